"""In-process checks of request ids, metrics, CORS and rate limits (the gunicorn-level ones are
in test_operations.py)."""

from __future__ import annotations

import json
import logging

import pytest

from service.app import create_app


def test_request_id_echoed_or_generated(client):
    assert client.get("/healthz", headers={"X-Request-ID": "bot-7.a:b"}).headers["X-Request-ID"] == "bot-7.a:b"
    generated = client.get("/healthz", headers={"X-Request-ID": "x" * 500}).headers["X-Request-ID"]
    assert len(generated) == 32 and generated != "x" * 500
    assert client.get("/nowhere").headers["X-Request-ID"]  # errors carry it too


def test_metrics_endpoint(client):
    client.post("/v1/evaluate", json={"activation": "relu", "x": [1.0, 2.0, 3.0]})
    text = client.get("/metrics").get_data(as_text=True)
    assert 'actfn_requests_total{method="POST",route="/v1/evaluate",status="200"}' in text
    points = [
        line
        for line in text.splitlines()
        if line.startswith('actfn_points_evaluated_total{endpoint="evaluate.evaluate"}')
    ]
    assert points and float(points[0].split()[-1]) >= 3
    assert "actfn_jit_compilations_total" in text
    # Unknown paths share one label value: no cardinality explosion from scanners.
    client.get("/wp-admin/x1")
    client.get("/wp-admin/x2")
    assert 'route="unmatched"' in client.get("/metrics").get_data(as_text=True)
    assert "/wp-admin" not in client.get("/metrics").get_data(as_text=True)


def test_cors_only_for_listed_origins(make_app):
    app = make_app(CORS_ORIGINS=["https://lesson.example"], CORS_CREDENTIALS=True)
    c = app.test_client()
    ok = c.get("/v1/limits", headers={"Origin": "https://lesson.example"})
    assert ok.headers["Access-Control-Allow-Origin"] == "https://lesson.example"
    assert ok.headers["Access-Control-Allow-Credentials"] == "true"
    assert "X-Request-ID" in ok.headers["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Origin" not in c.get("/v1/limits", headers={"Origin": "https://evil.example"}).headers
    wildcard = make_app(CORS_ORIGINS=["*"], CORS_CREDENTIALS=True).test_client()
    r = wildcard.get("/v1/limits", headers={"Origin": "https://any.example"})
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in r.headers  # never * with credentials
    assert (
        "Access-Control-Allow-Origin"
        not in make_app().test_client().get("/v1/limits", headers={"Origin": "https://lesson.example"}).headers
    )


def test_cors_answers_vary_on_origin_and_expose_what_pages_read(make_app):
    c = make_app(CORS_ORIGINS=["https://lesson.example"]).test_client()
    # Every answer, allowed origin or not, error or not: a shared cache must key on Origin.
    for path, origin in (
        ("/v1/limits", "https://lesson.example"),
        ("/v1/limits", "https://evil.example"),
        ("/v1/limits", None),
        ("/v1/activations/nope", "https://lesson.example"),
        ("/v1/activations/relu/evaluate?x=a", "https://lesson.example"),
    ):
        r = c.get(path, headers={"Origin": origin} if origin else {})
        assert "Origin" in r.headers.get("Vary", ""), (path, origin, r.headers)
    exposed = c.get("/v1/quiz/export?count=2&seed=1", headers={"Origin": "https://lesson.example"}).headers
    names = {h.strip().lower() for h in exposed["Access-Control-Expose-Headers"].split(",")}
    assert {"content-disposition", "x-quiz-seed", "x-request-id", "retry-after", "etag"} <= names


def test_retry_after_only_on_refusals(make_app):
    app = make_app(RATE_LIMIT_ENABLED=True, RATE_LIMIT="2 per minute", RATE_LIMIT_HEADERS=True)
    c = app.test_client()
    first = c.get("/v1/limits")
    assert first.status_code == 200 and "Retry-After" not in first.headers and "X-RateLimit-Limit" in first.headers
    c.get("/v1/activations")
    refused = c.get("/v1/activations/relu")  # one budget per address, whatever the route
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0


def test_cors_patterns_are_anchored_and_other_entries_refused(make_app):
    app = make_app(CORS_ORIGINS=["https://*.example.org", "http://localhost:3000"])
    c = app.test_client()
    for origin, allowed in (
        ("https://lesson.example.org", True),
        ("https://a.b.example.org", True),
        ("HTTPS://Lesson.Example.Org", True),
        ("http://localhost:3000", True),
        ("https://aexample.org.attacker.net", False),
        ("https://example.org.attacker.net", False),
        ("https://example.org", False),
        ("http://lesson.example.org", False),
        ("https://lesson.example.org:8443", False),
        ("http://localhost:30001", False),
        ("null", False),
    ):
        got = c.get("/v1/limits", headers={"Origin": origin}).headers.get("Access-Control-Allow-Origin")
        assert (got == origin) is allowed, origin
    for bad in ("https://exa(mple).org", "https://a.*.org", ".*", "ftp://x.org", "https://*"):
        with pytest.raises(ValueError, match="ACTFN_CORS_ORIGINS"):
            make_app(CORS_ORIGINS=[bad])


def test_production_needs_a_private_quiz_secret():
    for secret in ("", "change-me", "short"):
        with pytest.raises(RuntimeError, match="ACTFN_QUIZ_SECRET"):
            create_app(
                {
                    "ENVIRONMENT": "production",
                    "QUIZ_SECRET": secret or "actfn-default-quiz-secret: set ACTFN_QUIZ_SECRET",
                }
            )
    assert create_app({"ENVIRONMENT": "production", "QUIZ_SECRET": "0123456789abcdef0123456789abcdef"})


def test_rate_limit_problem_json(make_app):
    app = make_app(RATE_LIMIT_ENABLED=True, RATE_LIMIT="2 per minute")
    c = app.test_client()
    assert [c.get("/v1/limits").status_code for _ in range(2)] == [200, 200]
    r = c.get("/v1/limits")
    assert r.status_code == 429 and r.mimetype == "application/problem+json"
    assert int(r.headers["Retry-After"]) > 0 and r.get_json()["status"] == 429
    assert c.get("/healthz").status_code == 200 and c.get("/readyz").status_code in (200, 503)
    assert c.options("/v1/limits").status_code != 429


def test_error_logs_are_json_with_the_request_id(client, capsys, make_app):
    from service.api.observability import JsonFormatter

    app = make_app()

    @app.route("/boom")
    def boom():
        raise RuntimeError("kaboom")

    record = {}

    class Capture(logging.Handler):
        def emit(self, r):
            record["line"] = JsonFormatter().format(r)

    handler = Capture()
    logging.getLogger("actfn.errors").addHandler(handler)
    try:
        r = app.test_client().get("/boom", headers={"X-Request-ID": "trace-1"})
    finally:
        logging.getLogger("actfn.errors").removeHandler(handler)
    assert r.status_code == 500 and r.mimetype == "application/problem+json"
    line = json.loads(record["line"])
    assert line["request_id"] == "trace-1" and line["level"] == "error" and "kaboom" in line["exception"]

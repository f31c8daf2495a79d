"""Operating the service for real: gunicorn on loopback under load, metrics across workers,
JSON access logs with request ids, SIGTERM with requests in flight, a worker killed mid-load."""

from __future__ import annotations

import http.client
import json
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from realserver import Server, request

pytestmark = pytest.mark.slow  # real gunicorn under load: `make test-fast` leaves it out


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("ops"))
    yield s
    s.stop()


# A mix of what bots send: good requests and every kind of bad one.
MIX = [
    ("/v1/evaluate", {"activation": "gelu", "x": [-1.0, 0.0, 1.0]}, 200),
    (
        "/v1/evaluate",
        {
            "activation": {"name": "leaky_relu", "params": {"negative_slope": 0.2}},
            "grid": {"start": -3, "stop": 3, "num": 500},
        },
        200,
    ),
    ("/v1/evaluate", {"activation": "nope", "x": [1]}, 404),
    ("/v1/evaluate", {"activation": "relu", "x": [1], "order": 7}, 422),
    ("/v1/evaluate", b"{not json", 400),
    ("/v1/evaluate", {"activation": {"expression": "x * sigmoid(x)"}, "x": [0.5]}, 200),
    ("/v1/evaluate", {"activation": {"expression": "__import__('os')"}, "x": [0.5]}, 422),
    ("/v1/chain", {"activation": "sigmoid", "depth": 20, "z": [0.0, 1.0]}, 200),
    ("/v1/chain", {"activation": "sigmoid", "depth": 10**9, "z": 0}, 422),
    ("/v1/activations/tanh/evaluate?x=0,0.5,1", None, 200),
    ("/v1/activations/tanh/evaluate?x=abc", None, 422),
    ("/v1/quiz/questions?count=3&seed=4", None, 200),
    ("/v1/activations/sigmoid/plot", None, 200),
    ("/nowhere", None, 404),
]


def _send(base: str, item) -> int:
    path, body, _ = item
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    return request(base + path, data)[0]


def test_load_mix_has_no_5xx_and_no_worker_restart(server):
    before = server.workers()
    items = MIX * 12
    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(lambda item: _send(server.base, item), items))
    assert statuses == [expected for _, _, expected in items]
    assert server.workers() == before  # nobody crashed or was replaced
    assert "Traceback" not in server.log_path.read_text()


def test_metrics_count_every_worker(server):
    for _ in range(30):
        assert request(server.base + "/v1/activations/relu/evaluate?x=1")[0] == 200
    status, headers, body = request(server.base + "/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    text = body.decode()
    counts = [
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("actfn_requests_total{")
        and 'route="/v1/activations/<name>/evaluate"' in line
        and 'status="200"' in line
    ]
    assert sum(counts) >= 30
    assert "actfn_request_duration_seconds_bucket" in text
    assert "actfn_jit_compilations_total" in text and "actfn_points_evaluated_total" in text
    assert len(list(server.metrics_dir.glob("*.db"))) >= 2  # one file per worker at least


def test_request_ids_and_json_access_log(server):
    status, headers, _ = request(server.base + "/healthz", headers={"X-Request-ID": "lesson-42"})
    assert headers["X-Request-ID"] == "lesson-42"
    _, generated, _ = request(server.base + "/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert generated["X-Request-ID"] != "bad id with spaces" and len(generated["X-Request-ID"]) == 32
    time.sleep(0.5)
    records = [json.loads(line) for line in server.access_path.read_text().splitlines() if line.strip()]
    mine = [r for r in records if r.get("request_id") == "lesson-42"]
    assert mine and mine[0]["path"] == "/healthz" and mine[0]["status"] == 200 and mine[0]["duration_ms"] >= 0


def test_a_killed_worker_is_replaced_and_the_next_requests_succeed(server):
    victim = sorted(server.workers())[0]
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(_send, server.base, MIX[i % len(MIX)]) for i in range(80)]
        time.sleep(0.2)
        os.kill(victim, signal.SIGKILL)
        for f in futures:
            try:
                f.result()
            except (OSError, http.client.HTTPException):
                pass  # the request the victim was serving may be cut off, at any byte
    deadline = time.monotonic() + 30
    while victim in server.workers() and time.monotonic() < deadline:
        time.sleep(0.1)  # until the master has reaped it
    assert victim not in server.workers()
    server.wait_ready(2)  # its replacement is warm
    statuses = [_send(server.base, MIX[i % len(MIX)]) for i in range(len(MIX) * 3)]
    assert statuses == [MIX[i % len(MIX)][2] for i in range(len(MIX) * 3)]


def test_sigterm_lets_requests_in_flight_finish(tmp_path):
    s = Server(tmp_path)
    try:
        # One slow request per worker: a gradient flow near the work cap, compiled on first use
        # in this fresh server (about 1.5 s on 2 cores).
        slow = {"activation": "gelu", "depth": 29, "width": 512, "batch": 256, "init": "he_normal", "dtype": "float64"}
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = [
                pool.submit(request, s.base + "/v1/gradient-flow", json.dumps({**slow, "seed": i}).encode())
                for i in range(2)
            ]
            time.sleep(0.4)
            assert not any(f.done() for f in futures), "the slow requests finished before SIGTERM: make them slower"
            s.proc.send_signal(signal.SIGTERM)
            results = [f.result(timeout=60) for f in futures]
        assert [status for status, _, _ in results] == [200, 200]
        assert s.proc.wait(timeout=40) == 0
    finally:
        s.stop()


def test_rate_limit_answers_429_with_retry_after(tmp_path):
    s = Server(tmp_path, workers=1, ACTFN_RATE_LIMIT_ENABLED="1", ACTFN_RATE_LIMIT="5 per minute")
    try:
        statuses = [request(s.base + "/v1/activations/relu/evaluate?x=1") for _ in range(7)]
        assert [st for st, _, _ in statuses[:5]] == [200] * 5
        status, headers, body = statuses[5]
        assert status == 429 and int(headers["Retry-After"]) > 0
        assert headers["Content-Type"] == "application/problem+json"
        assert json.loads(body)["status"] == 429
        assert request(s.base + "/healthz")[0] == 200  # probes are never limited
    finally:
        s.stop()

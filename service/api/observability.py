"""Request ids, structured JSON logs and Prometheus metrics.

- ``X-Request-ID``: echoed when the client sends a sane one (≤ 128 of ``A-Za-z0-9._:-``),
  generated otherwise; on every response and in every log line of the request.
- Metrics (prometheus-client): per route template, method and status, a request counter and a
  latency histogram; JIT compilations (JAX's own compile events); points evaluated. Under
  gunicorn ``PROMETHEUS_MULTIPROC_DIR`` is set (gunicorn.conf.py), so ``/metrics`` sums all
  workers of the instance.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import time

import jax
from flask import Flask, Response, g, has_request_context, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

from ..serving import JsonLines

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")

REQUESTS = Counter("actfn_requests_total", "HTTP requests answered", ("route", "method", "status"))
LATENCY = Histogram(
    "actfn_request_duration_seconds",
    "Time to answer a request",
    ("route", "method"),
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
COMPILATIONS = Counter("actfn_jit_compilations_total", "XLA compilations (JAX backend compile events)")
POINTS = Counter("actfn_points_evaluated_total", "Points evaluated (x values or vector entries)", ("endpoint",))


def _on_jax_event(event: str, duration_secs: float, **kwargs) -> None:
    if event.endswith("backend_compile_duration"):
        COMPILATIONS.inc()


jax.monitoring.register_event_duration_secs_listener(_on_jax_event)


@functools.lru_cache(maxsize=4096)
def _child(metric, *labels):
    """``metric.labels(*labels)``, looked up once (prometheus_client validates and locks on
    every call)."""
    return metric.labels(*labels)


def count_points(endpoint: str, n: int) -> None:
    _child(POINTS, endpoint).inc(n)


def request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


class JsonFormatter(JsonLines):
    """gunicorn's JSON lines, with the request's id, method and path."""

    def fields(self, record: logging.LogRecord) -> dict:
        out = {}
        rid = getattr(record, "request_id", None) or request_id()
        if rid:
            out["request_id"] = rid
        if has_request_context():
            out["method"], out["path"] = request.method, request.path
        return out


def configure_logging(app: Flask) -> None:
    """JSON lines on stderr for the service's loggers (``ACTFN_LOG_FORMAT=text`` to opt out)."""
    if app.config["LOG_FORMAT"] != "json":
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    for logger in (logging.getLogger("actfn"), app.logger):
        if not any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
            logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    app.logger.propagate = False  # Flask's own default handler would print it a second time


def _route() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else "unmatched"  # bounded label values


def install(app: Flask) -> None:
    """Request ids, metrics per request, JSON logs, and GET /metrics."""

    @app.before_request
    def _start():
        given = request.environ.get("HTTP_X_REQUEST_ID", "")
        state = g._get_current_object()
        state.request_id = given if _REQUEST_ID.match(given) else os.urandom(16).hex()
        state.started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        state = g._get_current_object()
        rid = getattr(state, "request_id", None)
        if rid:
            response.headers["X-Request-ID"] = rid
        started = getattr(state, "started", None)
        if started is not None:
            method = request.method
            route = _route()
            _child(REQUESTS, route, method, str(response.status_code)).inc()
            _child(LATENCY, route, method).observe(time.perf_counter() - started)
        return response

    def metrics():
        if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import REGISTRY

            return Response(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
        from prometheus_client import multiprocess

        for attempt in range(3):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            try:
                return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
            except FileNotFoundError:
                # The master folded a dead worker's file into the archive between the listing
                # and the read: read the directory again.
                if attempt == 2:
                    raise

    app.add_url_rule("/metrics", "metrics", metrics)
    configure_logging(app)

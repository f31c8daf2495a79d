"""Rate limits (Flask-Limiter), CORS for browser front-ends (Flask-Cors), and the client
address behind trusted proxies (werkzeug's ProxyFix).

Two limits per client address, each one count across every route:

- requests (``ACTFN_RATE_LIMIT``, default 600 per minute);
- compute (``ACTFN_COMPUTE_LIMIT``, default 30 s of worker time per minute): each request is
  charged the time it took, after it is answered, so a client sending expensive requests
  reaches its limit long before one sending cheap ones.

The default storage is ``memory://``: each gunicorn worker counts on its own, so an instance
with W workers lets up to W× the limits through. Point ``ACTFN_RATE_LIMIT_STORAGE`` at Redis
(``redis://host:6379``, as docker-compose and the Kubernetes manifests do) for one count
across workers and replicas.

CORS origins match exactly (scheme, host and port, case-insensitive) or, written
``https://*.example.org``, any subdomain of example.org on that scheme and port; nothing else
is a pattern, so ``https://*.example.org`` can never match ``https://aexample.org.evil.net``.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable

from flask import Flask, g, request
from flask_cors import CORS
from flask_limiter import ApplicationLimit, Limiter
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix

# Probes, metrics, the page and the docs are never limited.
# A WSGI environ key only an in-process caller can set (a client's headers arrive as HTTP_*):
# the MCP server reading the catalog it builds its tools from is not a client's request.
INTERNAL = "actfn.internal"
EXEMPT_PREFIXES = ("/healthz", "/readyz", "/metrics", "/static/", "/docs", "/openapi.", "/favicon.ico")
EXPOSED_HEADERS = (
    "Content-Disposition",
    "ETag",
    "X-Request-ID",
    "Retry-After",
    "X-Quiz-Seed",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "X-Actfn-Rows",
    "X-Actfn-Activation",
    "X-Actfn-Device",
)
COMPUTE_UNIT = 0.01  # seconds: the compute limit counts in hundredths of a second
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_ORIGIN = re.compile(r"^(https?)://(\*\.)?([a-z0-9.-]+|\[[0-9a-f:.]+\])(:\d{1,5})?$", re.IGNORECASE)


def origin_pattern(origin: str) -> re.Pattern:
    """An anchored, case-insensitive pattern for one configured origin (ValueError if it is
    neither an exact origin nor ``scheme://*.domain[:port]``)."""
    m = _ORIGIN.match(origin.strip().rstrip("/"))
    if not m or (m.group(2) and not m.group(3).strip(".")):
        raise ValueError(
            f"ACTFN_CORS_ORIGINS entry {origin!r} is not an origin: use scheme://host[:port] or "
            "scheme://*.domain[:port]"
        )
    scheme, wildcard, host, port = m.group(1), m.group(2), m.group(3), m.group(4) or ""
    subdomains = rf"(?:{_LABEL}\.)+" if wildcard else ""
    return re.compile(rf"^{re.escape(scheme)}://{subdomains}{re.escape(host)}{re.escape(port)}\Z", re.IGNORECASE)


def compute_limit(seconds: float) -> str:
    """The compute limit in COMPUTE_UNITs per minute."""
    return f"{max(1, round(seconds / COMPUTE_UNIT))} per minute"


def _compute_cost() -> int:
    """Before the request: one unit (is any budget left?); after it: the time it took."""
    started = g.get("started")
    if started is None:
        return 1
    return max(1, math.ceil((time.perf_counter() - started) / COMPUTE_UNIT))


def install(app: Flask) -> Limiter:
    cfg = app.config
    if cfg["PROXY_COUNT"]:
        # Flask's documented way to wrap the WSGI app (mypy sees a method being replaced).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=cfg["PROXY_COUNT"], x_proto=cfg["PROXY_COUNT"])  # type: ignore[method-assign]

    limits: list[str | Callable[[], str] | ApplicationLimit] = []
    if cfg["RATE_LIMIT"]:
        limits.append(ApplicationLimit(cfg["RATE_LIMIT"], scope="requests"))
    if cfg["COMPUTE_LIMIT_SECONDS"] > 0:
        limits.append(
            ApplicationLimit(
                compute_limit(cfg["COMPUTE_LIMIT_SECONDS"]),
                scope="compute",
                cost=_compute_cost,
                deduct_when=lambda response: True,
                error_message=f"more than {cfg['COMPUTE_LIMIT_SECONDS']:g} s of compute per minute",
            )
        )

    if cfg["RATE_LIMIT_ENABLED"] and cfg["RATE_LIMIT_HEADERS"]:
        # Registered before the limiter, so it runs after the limiter's own header hook.
        @app.after_request
        def _retry_after_on_refusals_only(response):
            # flask-limiter writes Retry-After (its window's reset) on every answer when its
            # headers are on; it means "wait before retrying this" and belongs to 429 alone (a
            # 503 here, a GPU that is not there, does not pass with time). A disabled limiter
            # writes no headers: no hook.
            if response.status_code != 429:
                response.headers.pop("Retry-After", None)
            return response

    limiter = Limiter(
        key_func=get_remote_address,
        app=app,
        application_limits=limits,
        storage_uri=cfg["RATE_LIMIT_STORAGE"],
        headers_enabled=cfg["RATE_LIMIT_HEADERS"],
        enabled=cfg["RATE_LIMIT_ENABLED"],
        # A storage outage must not take the service down: serve unlimited and log it.
        swallow_errors=True,
        in_memory_fallback_enabled=True,
    )
    limiter.request_filter(
        lambda: (
            request.method == "OPTIONS"
            or request.path == "/"
            or request.path.startswith(EXEMPT_PREFIXES)
            or bool(request.environ.get(INTERNAL))
        )
    )

    origins = cfg["CORS_ORIGINS"]
    if origins:
        anywhere = "*" in origins
        CORS(
            app,
            origins="*" if anywhere else [origin_pattern(o) for o in origins],
            # Credentials only with an explicit origin list: never "*" with credentials.
            supports_credentials=cfg["CORS_CREDENTIALS"] and not anywhere,
            send_wildcard=anywhere,
            expose_headers=list(EXPOSED_HEADERS),
            max_age=600,
        )
        if not anywhere:
            # The CORS headers depend on the request's Origin: say so on every answer, so a
            # shared cache never hands one origin's copy (or a copy without CORS headers) to
            # another.
            @app.after_request
            def _vary_on_origin(response):
                response.vary.add("Origin")
                return response

    app.extensions["actfn_limiter"] = limiter
    return limiter

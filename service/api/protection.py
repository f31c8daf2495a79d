"""Rate limits (Flask-Limiter), CORS for browser front-ends (Flask-Cors), and the client
address behind trusted proxies (werkzeug's ProxyFix).

Rate limits count per client address. The default storage is ``memory://``: each gunicorn
worker counts on its own, so an instance with W workers lets up to W× the limit through.
Point ``ACTFN_RATE_LIMIT_STORAGE`` at Redis (``redis://host:6379``) to share one count across
workers and replicas.
"""

from __future__ import annotations

from flask import Flask, request
from flask_cors import CORS
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix

# Probes, metrics, the page and the docs are never limited.
EXEMPT_PREFIXES = ("/healthz", "/readyz", "/metrics", "/static/", "/docs", "/openapi.")
EXPOSED_HEADERS = (
    "ETag",
    "X-Request-ID",
    "Retry-After",
    "X-Quiz-Seed",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
)


def install(app: Flask) -> Limiter:
    cfg = app.config
    if cfg["PROXY_COUNT"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=cfg["PROXY_COUNT"], x_proto=cfg["PROXY_COUNT"])

    limiter = Limiter(
        key_func=get_remote_address,
        app=app,
        default_limits=[cfg["RATE_LIMIT"]] if cfg["RATE_LIMIT"] else [],
        storage_uri=cfg["RATE_LIMIT_STORAGE"],
        headers_enabled=cfg.get("RATE_LIMIT_HEADERS", True),
        enabled=cfg["RATE_LIMIT_ENABLED"],
        # A storage outage must not take the service down: serve unlimited and log it.
        swallow_errors=True,
        in_memory_fallback_enabled=True,
    )
    limiter.request_filter(
        lambda: request.method == "OPTIONS" or request.path == "/" or request.path.startswith(EXEMPT_PREFIXES)
    )

    origins = cfg["CORS_ORIGINS"]
    if origins:
        CORS(
            app,
            origins=origins,
            # Credentials only with an explicit origin list: never "*" with credentials.
            supports_credentials=cfg["CORS_CREDENTIALS"] and "*" not in origins,
            send_wildcard="*" in origins,
            expose_headers=list(EXPOSED_HEADERS),
            max_age=600,
        )
    app.extensions["actfn_limiter"] = limiter
    return limiter

"""Settings: defaults, then ``ACTFN_*`` environment variables, then a test override.

:func:`server` holds what gunicorn's side reads (``gunicorn.conf.py``, ``service.serving``) and
imports no JAX, so the master can read it; :func:`load` is the app's whole config, server
settings included, and the caps (:class:`service.core.Limits`).
"""

from __future__ import annotations

import multiprocessing
import os

DEFAULT_QUIZ_SECRET = "actfn-default-quiz-secret: set ACTFN_QUIZ_SECRET"
# Secrets that are public (defaults and placeholders in examples): refused in production.
PUBLIC_SECRETS = {DEFAULT_QUIZ_SECRET, "change-me", "changeme", "secret", "replace-me"}
MIN_SECRET_LENGTH = 16


TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


def as_bool(raw: str | None, default: bool) -> bool:
    """An environment variable as a boolean: 1/true/yes/on or 0/false/no/off (any case; empty
    is false); unset is ``default``; anything else is a configuration error."""
    if raw is None:
        return default
    value = raw.strip().lower()
    if value not in TRUE + FALSE:
        raise ValueError(f"not a boolean: {raw!r} (use 1/true/yes/on or 0/false/no/off)")
    return value in TRUE


def server(environ=os.environ) -> dict:
    """gunicorn's settings and the worker-side ones (no JAX is imported here)."""
    threads = int(environ.get("ACTFN_THREADS", "1"))
    cpus = multiprocessing.cpu_count()
    return {
        "BIND": environ.get("ACTFN_BIND", f"0.0.0.0:{environ.get('PORT', '8000')}"),
        "WORKERS": int(environ.get("ACTFN_WORKERS", environ.get("WEB_CONCURRENCY", min(4, cpus)))),
        "THREADS": threads,
        # sync (one request per connection) or gthread (keeps connections alive); empty: sync
        # for one thread, gthread for more (service.serving.worker_class).
        "WORKER_CLASS": environ.get("ACTFN_WORKER_CLASS", "").strip().lower(),
        "TIMEOUT": int(environ.get("ACTFN_TIMEOUT", "60")),
        "GRACEFUL_TIMEOUT": int(environ.get("ACTFN_GRACEFUL_TIMEOUT", "30")),
        "MAX_REQUESTS": int(environ.get("ACTFN_MAX_REQUESTS", "100000")),
        "MAX_REQUESTS_JITTER": int(environ.get("ACTFN_MAX_REQUESTS_JITTER", "10000")),
        "ACCESS_LOG": environ.get("ACTFN_ACCESS_LOG", "-") or None,  # empty: no access log
        "LOG_LEVEL": environ.get("ACTFN_LOG_LEVEL", "info"),
        # json lines for access and error logs; "text" keeps gunicorn's and Python's formats.
        "LOG_FORMAT": environ.get("ACTFN_LOG_FORMAT", "json"),
        # Compile the common programs when the worker starts (gunicorn's post_worker_init),
        # so /readyz turns 200 only once the first requests will not pay for compilation.
        "WARMUP": as_bool(environ.get("ACTFN_WARMUP"), True),
        # gunicorn's master answers GET /healthz here ("host:port"; empty: off).
        "HEALTH_BIND": environ.get("ACTFN_HEALTH_BIND", "").strip(),
        # JAX's persistent compilation cache shared by the workers of a host (empty: off;
        # gunicorn.conf.py defaults it to a private directory under the system temp dir).
        "COMPILATION_CACHE_DIR": environ.get("ACTFN_COMPILATION_CACHE_DIR", "").strip(),
        "COMPILATION_CACHE_MB": int(environ.get("ACTFN_COMPILATION_CACHE_MB", "") or 32),
        # A worker above this resident memory after a request is replaced (0: never).
        "WORKER_MEMORY_MB": float(environ.get("ACTFN_WORKER_MEMORY_MB", "") or 1024),
        # Seconds a worker waits for a whole request before answering 408 (0: forever).
        "REQUEST_READ_TIMEOUT": float(environ.get("ACTFN_REQUEST_READ_TIMEOUT", "") or 20),
    }


def split(text: str) -> list[str]:
    """A comma-separated setting as a list, blanks dropped."""
    return [item.strip() for item in text.split(",") if item.strip()]


def load(override: dict | None = None, environ=os.environ) -> dict:
    """The Flask config mapping for one app instance."""
    from .core.limits import Limits  # here, not at the top: server() must not import JAX

    limits = Limits.from_env(environ)
    config = {
        **server(environ),
        "LIMITS": limits,
        "MAX_CONTENT_LENGTH": limits.max_body_bytes,
        "EVALUATE_CACHE_SECONDS": int(environ.get("ACTFN_EVALUATE_CACHE_SECONDS", "3600")),
        "PLOT_CACHE_SECONDS": int(environ.get("ACTFN_PLOT_CACHE_SECONDS", "86400")),
        # "production" (the Docker image's default) refuses to start without a private quiz
        # secret; "development" (make run, tests) warns and uses a public one.
        "ENVIRONMENT": environ.get("ACTFN_ENV", "development"),
        # Signs quiz question ids. Every worker and replica must share it to grade each
        # other's questions.
        "QUIZ_SECRET": environ.get("ACTFN_QUIZ_SECRET", "") or DEFAULT_QUIZ_SECRET,
        # Seconds a question id stays gradable (0: forever).
        "QUIZ_ID_TTL": int(environ.get("ACTFN_QUIZ_ID_TTL", str(7 * 24 * 3600))),
        # Rate limits per client address, each one count across all routes: requests
        # (Flask-Limiter syntax; empty: none) and seconds of worker time per minute (0: none).
        "RATE_LIMIT": environ.get("ACTFN_RATE_LIMIT", "600 per minute"),
        "COMPUTE_LIMIT_SECONDS": float(environ.get("ACTFN_COMPUTE_LIMIT", "30")),
        "RATE_LIMIT_STORAGE": environ.get("ACTFN_RATE_LIMIT_STORAGE", "memory://"),
        "RATE_LIMIT_ENABLED": as_bool(environ.get("ACTFN_RATE_LIMIT_ENABLED"), True),
        # X-RateLimit-* headers on every limited answer.
        "RATE_LIMIT_HEADERS": as_bool(environ.get("ACTFN_RATE_LIMIT_HEADERS"), True),
        # Browser origins allowed by CORS (comma-separated; empty: no CORS headers).
        "CORS_ORIGINS": [o.strip() for o in environ.get("ACTFN_CORS_ORIGINS", "").split(",") if o.strip()],
        "CORS_CREDENTIALS": as_bool(environ.get("ACTFN_CORS_CREDENTIALS"), False),
        # The MCP server over HTTP (python -m service.mcp --http): a bearer token every request
        # must carry (empty: none; set one wherever it listens beyond loopback), the Host values
        # it answers (DNS-rebinding protection; "name:*" for any port) and the browser origins it
        # takes (requests without Origin, as chatbots send them, always pass).
        "MCP_TOKEN": environ.get("ACTFN_MCP_TOKEN", ""),
        "MCP_ALLOWED_HOSTS": split(environ.get("ACTFN_MCP_ALLOWED_HOSTS", "127.0.0.1:*,localhost:*,[::1]:*")),
        "MCP_ALLOWED_ORIGINS": split(
            environ.get("ACTFN_MCP_ALLOWED_ORIGINS", "http://127.0.0.1:*,http://localhost:*,http://[::1]:*")
        ),
        # The LTI 1.3 tool (/lti/…, README "Use from an LMS"). Platforms: JSON or a path to a
        # JSON file (issuer → platform); the tool's RSA key: a PEM or a path (empty: one key
        # generated and shared through the LTI storage); storage for state, nonces, launches and
        # registrations: redis://… (empty: the rate limiter's Redis, else a SQLite file on this
        # host); the public base URL the LMS reaches (empty: the request's own); the
        # openid_configuration URL prefixes dynamic registration accepts (empty: none, "*": any).
        "LTI_PLATFORMS": environ.get("ACTFN_LTI_PLATFORMS", ""),
        "LTI_PRIVATE_KEY": environ.get("ACTFN_LTI_PRIVATE_KEY", ""),
        "LTI_STORAGE": environ.get("ACTFN_LTI_STORAGE", ""),
        "LTI_BASE_URL": environ.get("ACTFN_LTI_BASE_URL", "").rstrip("/"),
        "LTI_REGISTRATION_ALLOW": split(environ.get("ACTFN_LTI_REGISTRATION_ALLOW", "")),
        "LTI_LAUNCH_TTL": int(environ.get("ACTFN_LTI_LAUNCH_TTL", str(3 * 3600))),
        # Proxies in front of the service that set X-Forwarded-For (0: trust none).
        "PROXY_COUNT": int(environ.get("ACTFN_PROXY_COUNT", "0")),
        "API_TITLE": "actfn",
        "API_VERSION": "1.0.0",
        "OPENAPI_VERSION": "3.1.0",
        "OPENAPI_URL_PREFIX": "/",
        "OPENAPI_JSON_PATH": "openapi.json",
        "API_SPEC_OPTIONS": {
            "info": {
                "description": (
                    "Neural-network activation functions, their exact derivatives by "
                    "automatic differentiation (JAX), and the caps every request obeys. "
                    "Errors are RFC 9457 application/problem+json."
                ),
            },
            # The committed openapi.yaml names `make run`'s address; each server serves the spec
            # with its own address first (Api.served_spec).
            "servers": [{"url": "http://127.0.0.1:8000", "description": "`make run` on this machine"}],
        },
    }
    config.update(override or {})
    if override and "LIMITS" in override and "MAX_CONTENT_LENGTH" not in override:
        config["MAX_CONTENT_LENGTH"] = override["LIMITS"].max_body_bytes
    return config


def check_secrets(config: dict) -> str | None:
    """Raise in production when the quiz secret is public or short; else return a warning
    (or None) for the log."""
    secret = config["QUIZ_SECRET"]
    weak = secret in PUBLIC_SECRETS or len(secret) < MIN_SECRET_LENGTH
    if not weak:
        return None
    message = (
        f"ACTFN_QUIZ_SECRET is unset, public or shorter than {MIN_SECRET_LENGTH} characters: anyone could "
        "sign quiz ids and answer keys. Set a private random value shared by all replicas "
        "(openssl rand -hex 32)"
    )
    if config["ENVIRONMENT"] == "production":
        raise RuntimeError(message + " (ACTFN_ENV=production refuses to start without one)")
    return message

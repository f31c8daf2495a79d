"""Settings: defaults, then ``ACTFN_*`` environment variables, then a test override."""

from __future__ import annotations

import os

from .core import Limits

DEFAULT_QUIZ_SECRET = "actfn-default-quiz-secret: set ACTFN_QUIZ_SECRET"
# Secrets that are public (defaults and placeholders in examples): refused in production.
PUBLIC_SECRETS = {DEFAULT_QUIZ_SECRET, "change-me", "changeme", "secret", "replace-me"}
MIN_SECRET_LENGTH = 16


def load(override: dict | None = None, environ=os.environ) -> dict:
    """The Flask config mapping for one app instance."""
    limits = Limits.from_env(environ)
    config = {
        "LIMITS": limits,
        "MAX_CONTENT_LENGTH": limits.max_body_bytes,
        # Compile the common programs when the worker starts (gunicorn's post_worker_init),
        # so /readyz turns 200 only once the first requests will not pay for compilation.
        "WARMUP": environ.get("ACTFN_WARMUP", "1") not in ("0", "false", "no"),
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
        "RATE_LIMIT_ENABLED": environ.get("ACTFN_RATE_LIMIT_ENABLED", "1") not in ("0", "false", "no"),
        # Browser origins allowed by CORS (comma-separated; empty: no CORS headers).
        "CORS_ORIGINS": [o.strip() for o in environ.get("ACTFN_CORS_ORIGINS", "").split(",") if o.strip()],
        "CORS_CREDENTIALS": environ.get("ACTFN_CORS_CREDENTIALS", "0") in ("1", "true", "yes"),
        # Proxies in front of the service that set X-Forwarded-For (0: trust none).
        "PROXY_COUNT": int(environ.get("ACTFN_PROXY_COUNT", "0")),
        "API_TITLE": "actfn",
        "API_VERSION": "1.0.0",
        "OPENAPI_VERSION": "3.1.0",
        "OPENAPI_URL_PREFIX": "/",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": "/docs/assets/",
        "API_SPEC_OPTIONS": {
            "info": {
                "description": (
                    "Neural-network activation functions, their exact derivatives by "
                    "automatic differentiation (JAX), and the caps every request obeys. "
                    "Errors are RFC 9457 application/problem+json."
                ),
            },
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

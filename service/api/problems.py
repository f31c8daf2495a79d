"""RFC 9457 problem+json: one envelope for every error the service answers."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Response, request
from werkzeug.exceptions import HTTPException, InternalServerError

from ..core import errors as core_errors
from ..serving import SLUGS
from .jsonprovider import dumps_bytes

MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("actfn.errors")

# Status for each compute-core error.
CORE_STATUS = {
    core_errors.UnknownActivation: 404,
    core_errors.InvalidParams: 422,
    core_errors.InvalidInput: 422,
    core_errors.LimitExceeded: 422,
    core_errors.DeviceUnavailable: 503,
}

TITLES = {
    400: "Malformed request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    408: "Request timeout",
    405: "Method not allowed",
    406: "Not acceptable",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid request",
    429: "Too many requests",
    500: "Internal server error",
    502: "Upstream error",
    503: "Service unavailable",
}


def flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """``{"json": {"activation": {"params": {"a": ["m"]}}}}`` → ``{"activation.params.a": ["m"]}``."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            key = str(key)
            if not prefix and key in ("json", "query", "view_args", "path", "form", "headers"):
                child = ""  # webargs' location is not part of the field's name
            elif key == "_schema":
                child = prefix or "body"
            else:
                child = f"{prefix}.{key}" if prefix else key
            for k, v in flatten(value, child).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(messages, (list, tuple)):
        if all(isinstance(m, str) for m in messages):
            out[prefix or "body"] = list(messages)
        else:
            for m in messages:
                for k, v in flatten(m, prefix).items():
                    out.setdefault(k, []).extend(v)
    else:
        out[prefix or "body"] = [str(messages)]
    return out


# An error body echoes what the client sent only this much: a body with a million unknown
# keys, or a ten-megabyte name, gets a short answer.
MAX_FIELDS, MAX_MESSAGES, MAX_TEXT = 20, 5, 300


def _clip(text: str, limit: int = MAX_TEXT) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bounded(errors: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """At most MAX_FIELDS fields of at most MAX_MESSAGES messages, every text clipped."""
    out: dict[str, list[str]] = {}
    for key, messages in errors.items():
        if len(out) == MAX_FIELDS:
            out["…"] = [f"and {len(errors) - MAX_FIELDS} more fields"]
            break
        messages = list(messages) if isinstance(messages, (list, tuple)) else [messages]
        clipped = [_clip(m) for m in messages[:MAX_MESSAGES]]
        if len(messages) > MAX_MESSAGES:
            clipped.append(f"and {len(messages) - MAX_MESSAGES} more")
        out[_clip(key, 120)] = clipped
    return out


def problem(status: int, detail: str, errors: Mapping[str, list[str]] | None = None, headers=None) -> Response:
    """Build the problem+json response (what it echoes of the request is bounded)."""
    body: dict[str, Any] = {
        "type": f"/problems/{SLUGS.get(status, 'error')}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": _clip(detail, 500),
    }
    if errors:
        body["errors"] = bounded(errors)
    response = Response(dumps_bytes(body), status=status, mimetype=MEDIA_TYPE)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _summary(errors: Mapping[str, list[str]]) -> str:
    parts = []
    for field, msgs in bounded(errors).items():
        parts.append(f"{field}: {'; '.join(msgs)}")
        if sum(map(len, parts)) > 500:
            break
    return _clip(" | ".join(parts), 500)


def handle_http_exception(error: HTTPException) -> Response:
    """Every ``HTTPException`` (404, 405, 413, webargs' 400/422, …) as problem+json."""
    status = error.code or 500
    if status >= 500:
        if isinstance(error, InternalServerError):
            log.error("unhandled error on %s %s", request.method, request.path, exc_info=error.original_exception)
        return problem(status, "The server failed to answer this request; it has been logged.")
    data = getattr(error, "data", None) or {}
    errors = flatten(data["messages"]) if "messages" in data else data.get("errors")
    detail = str(data.get("detail") or (_summary(errors) if errors else error.description))
    valid_methods = getattr(error, "valid_methods", None) or []  # MethodNotAllowed's
    if status == 405:
        allowed = ", ".join(sorted(valid_methods))
        detail = f"{request.method} is not allowed on {request.path}; allowed: {allowed}"
    elif status == 404 and not errors:
        detail = f"no resource at {request.path}; GET /openapi.json lists the API"
    elif status == 413:
        from flask import current_app

        detail = f"request body exceeds max_body_bytes={current_app.config['MAX_CONTENT_LENGTH']}"
    elif status == 429:
        detail = f"rate limit exceeded ({error.description}); retry after the Retry-After seconds"
    headers = dict(data.get("headers") or {})
    if status == 429 and "Retry-After" not in headers:
        headers["Retry-After"] = str(_seconds_to_reset())
    if status == 405 and valid_methods:
        headers["Allow"] = ", ".join(valid_methods)
    return problem(status, detail, errors, headers)


def _seconds_to_reset() -> int:
    """Seconds until the limit this request broke resets (flask-limiter's headers may be off,
    but a 429 always says when to come back)."""
    import time

    from flask import current_app

    limiter = current_app.extensions.get("actfn_limiter")
    limit = limiter.current_limit if limiter is not None else None
    return max(1, int(limit.reset_at - time.time())) if limit is not None else 60


def handle_core_error(error: core_errors.CoreError) -> Response:
    """Compute-core errors: the field they name becomes the ``errors`` key."""
    status = next((code for cls, code in CORE_STATUS.items() if isinstance(error, cls)), 422)
    field = error.field or "body"
    return problem(status, f"{field}: {error.message}", {field: [error.message]})


def handle_read_timeout(error: Exception) -> Response:
    """The body did not arrive within the server's read deadline (service.serving)."""
    return problem(408, str(error))


def handle_body_framing(error: Exception) -> Response:
    """gunicorn found the body's framing broken (a bad chunk size) while the view read it."""
    return problem(400, f"the request body is malformed: {error}")


def handle_unexpected(error: Exception) -> Response:
    """Anything else is a bug on our side: log it, say nothing about internals."""
    log.exception("unhandled error on %s %s", request.method, request.path)
    return problem(500, "The server failed to answer this request; it has been logged.")

"""``python -m service.mcp``: the MCP server over stdio, for a desktop chatbot that starts it
as a subprocess. Over Streamable HTTP it is served by gunicorn (``make run-mcp``, see
``gunicorn.mcp.conf.py``) from :func:`http_app`.

The same ``ACTFN_*`` settings as the REST service (caps, rate limits, quiz secret), plus
``ACTFN_MCP_TOKEN``, ``ACTFN_MCP_ALLOWED_HOSTS`` and ``ACTFN_MCP_ALLOWED_ORIGINS`` for HTTP.
"""

from __future__ import annotations

import hmac
import logging

from flask import Flask
from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import JSONResponse

from service import create_app
from service.mcp.server import build_server

log = logging.getLogger("actfn.mcp")
LOOPBACK = {"127.0.0.1", "localhost", "[::1]"}


class BearerToken:
    """ASGI middleware: /mcp answers only requests with ``Authorization: Bearer <token>``."""

    def __init__(self, app, token: str):
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith("/mcp"):
            given = dict(scope["headers"]).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                response = JSONResponse(
                    {"error": "unauthorized", "detail": "send Authorization: Bearer <ACTFN_MCP_TOKEN>"},
                    status_code=401,
                    headers={"WWW-Authenticate": 'Bearer realm="actfn-mcp"'},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def http_app(app: Flask | None = None):
    """The Streamable HTTP app (Starlette): /mcp, stateless with JSON answers, Host and Origin
    checked, the bearer token required when one is set; /healthz for probes."""
    app = app or create_app()
    if app.config["WARMUP"]:
        from service.api.warmup import warm

        warm(app)  # before the first request, as a REST worker does
    if not app.config["MCP_TOKEN"] and not all(
        h.rsplit(":", 1)[0] in LOOPBACK for h in app.config["MCP_ALLOWED_HOSTS"]
    ):
        log.warning(
            "MCP over HTTP answers non-loopback hosts without ACTFN_MCP_TOKEN: anyone who reaches it can "
            "call the tools (fine behind an authenticating proxy; otherwise set a token)"
        )
    server = build_server(app)
    logging.getLogger("mcp").setLevel(logging.WARNING)  # not a line per request

    @server.custom_route("/healthz", methods=["GET"])
    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    cfg = app.config
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=cfg["MCP_ALLOWED_HOSTS"],
        allowed_origins=cfg["MCP_ALLOWED_ORIGINS"],
    )
    asgi = server.streamable_http_app(stateless_http=True, json_response=True, transport_security=security)
    return BearerToken(asgi, cfg["MCP_TOKEN"]) if cfg["MCP_TOKEN"] else asgi


def main() -> None:
    # Logs go to stderr (the actfn logger's handler, Python's last resort for the rest): stdout
    # carries the protocol.
    build_server(create_app()).run("stdio")


if __name__ == "__main__":
    main()

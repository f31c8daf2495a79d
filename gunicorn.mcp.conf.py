"""gunicorn settings for actfn's MCP server over Streamable HTTP:
``gunicorn -c gunicorn.mcp.conf.py "service.mcp.__main__:http_app()"`` (``make run-mcp``).

A second process beside the REST service, in the same image: uvicorn's gunicorn worker runs
the SDK's ASGI app (stateless, JSON answers, so any worker or replica answers any request),
and the REST service's sync workers stay exactly as they are. Each worker builds its own
Flask app after fork and warms JAX before it serves, as the REST workers do. Settings:
``ACTFN_MCP_BIND`` (default 127.0.0.1:8001), ``ACTFN_MCP_WORKERS`` (default 1), and the REST
service's timeout, log and memory settings.
"""

import os

from service import serving
from service.config import server as server_settings

# JAX's persistent compilation cache, shared by the workers and kept across their restarts
# (README "Performance"); ACTFN_COMPILATION_CACHE_DIR="" turns it off. Read by each worker.
os.environ.setdefault("ACTFN_COMPILATION_CACHE_DIR", serving.default_compilation_cache())
settings = server_settings()
bind = os.environ.get("ACTFN_MCP_BIND", "127.0.0.1:8001")
workers = int(os.environ.get("ACTFN_MCP_WORKERS", "1"))
worker_class = "uvicorn_worker.UvicornWorker"
preload_app = False  # a JAX backend must never be created before fork
timeout = settings["TIMEOUT"]
graceful_timeout = settings["GRACEFUL_TIMEOUT"]
keepalive = 5
max_requests = settings["MAX_REQUESTS"]
max_requests_jitter = settings["MAX_REQUESTS_JITTER"]
accesslog = settings["ACCESS_LOG"]
errorlog = "-"
control_socket_disable = True
loglevel = settings["LOG_LEVEL"]
logger_class = serving.JsonLogger

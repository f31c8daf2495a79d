"""gunicorn settings for the peer apps of bench/peer_http.py: the service's own settings
(gunicorn.conf.py, from ``service.config.server()`` and ``service.serving``) for everything that
shapes a request's path through gunicorn, and none of the service's hooks (JAX warm-up, metrics,
memory recycling, liveness in the master).

``gunicorn -c bench/peers/gunicorn.peer.py bench.peers.hello:app``, from the repository root.
"""

from service import serving
from service.config import server as server_settings  # not "config": that is a gunicorn setting

settings = server_settings()
bind = settings["BIND"]
workers = settings["WORKERS"]
threads = settings["THREADS"]
# The service's worker class (ACTFN_WORKER_CLASS; empty: sync for one thread, gthread for more),
# with its request read deadline and problem+json protocol errors.
worker_class = serving.worker_class(threads, settings["WORKER_CLASS"])
preload_app = False  # as the service: the app (torch included) is imported in each worker
timeout = settings["TIMEOUT"]
graceful_timeout = settings["GRACEFUL_TIMEOUT"]
keepalive = 5
max_requests = settings["MAX_REQUESTS"]
max_requests_jitter = settings["MAX_REQUESTS_JITTER"]
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
# The same access log as the service: one JSON line per request (serving.JsonLogger), to the
# same sink (ACTFN_ACCESS_LOG, "-" is stdout).
accesslog = settings["ACCESS_LOG"]
errorlog = "-"
control_socket_disable = True
loglevel = settings["LOG_LEVEL"]
logger_class = serving.JsonLogger

"""gunicorn settings for actfn: ``gunicorn -c gunicorn.conf.py "service:create_app()"``.

JAX is imported in the master only as a module; devices, arrays and compiled programs are
created in each worker after fork (``preload_app`` stays off, and warm-up runs in
``post_worker_init``). Every setting comes from ``service.config.server()`` (environment
variables with defaults, README "Configuration"). What runs around the app (JSON logs,
problem+json protocol errors, the request read deadline, memory recycling, liveness in the
master, metrics compaction) is in ``service/serving.py``.
"""

import os
import tempfile

from service import serving
from service.config import server as server_settings  # not "config": that is a gunicorn setting

# JAX's persistent compilation cache, shared by the workers and kept across their restarts
# (README "Performance"); ACTFN_COMPILATION_CACHE_DIR="" turns it off. Read by each worker.
os.environ.setdefault("ACTFN_COMPILATION_CACHE_DIR", serving.default_compilation_cache())
settings = server_settings()
bind = settings["BIND"]
workers = settings["WORKERS"]
threads = settings["THREADS"]
worker_class = serving.worker_class(threads, settings["WORKER_CLASS"])
preload_app = False  # a JAX backend must never be created before fork
# Above the worst accepted request (README "Memory": under 10 s on 2 cores, first-use
# compilation included).
timeout = settings["TIMEOUT"]
graceful_timeout = settings["GRACEFUL_TIMEOUT"]
keepalive = 5
# Recycle each worker after about this many requests (jittered so they do not all restart at
# once): bounds any slow leak. High, because a new worker spends ~1.5 s of CPU compiling
# before it serves. Memory has its own budget (ACTFN_WORKER_MEMORY_MB, post_request below).
max_requests = settings["MAX_REQUESTS"]
max_requests_jitter = settings["MAX_REQUESTS_JITTER"]
# gunicorn's largest bound (0 would be none at all). It holds GET …/evaluate with
# max_query_points (250) numbers of up to 24 characters; past it, 414 problem+json.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = settings["ACCESS_LOG"]
errorlog = "-"
# No runtime control socket (it would be written under $HOME, read-only in the container).
control_socket_disable = True
loglevel = settings["LOG_LEVEL"]
logger_class = serving.JsonLogger

# Prometheus multiprocess mode: every worker writes its metrics under this directory and
# /metrics sums them. Set here, in the master, so workers inherit it.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="actfn-metrics-")


def on_starting(server):
    """A fresh metrics directory: counts from a previous run must not leak into this one."""
    serving.clear_metrics(os.environ["PROMETHEUS_MULTIPROC_DIR"])


def when_ready(server):
    """Liveness from the master (ACTFN_HEALTH_BIND): it answers while every worker is busy."""
    if settings["HEALTH_BIND"]:
        serving.start_health(server, settings["HEALTH_BIND"])


def post_fork(server, worker):
    serving.close_health_in_worker()
    serving.tune_malloc()


def child_exit(server, worker):
    """Fold a dead worker's metrics into the archive (its counters stay in the sum)."""
    serving.compact_dead_worker_metrics(os.environ["PROMETHEUS_MULTIPROC_DIR"], worker.pid)


def post_request(worker, req, environ, resp):
    """What a big request freed goes back to the system; past its memory budget, a worker
    finishes this request and is replaced."""
    serving.recycle_over_budget(worker, serving.release_freed())


def post_worker_init(worker):
    """Initialise JAX and compile the common programs before this worker takes requests."""
    if not worker.wsgi.config["WARMUP"]:
        return
    from service.api.warmup import warm

    ready = warm(worker.wsgi)
    worker.log.info("worker %s warm in %.2f s", worker.pid, ready.seconds)

"""gunicorn settings for actfn: ``gunicorn -c gunicorn.conf.py "service:create_app()"``.

JAX is imported in the master only as a module; devices, arrays and compiled programs are
created in each worker after fork (``preload_app`` stays off, and warm-up runs in
``post_worker_init``). Every setting reads an environment variable with a default. What runs
around the app (JSON logs, problem+json protocol errors, the request read deadline, memory
recycling, liveness in the master, metrics compaction) is in ``service/serving.py``.
"""

import multiprocessing
import os
import tempfile

from service import serving

bind = os.environ.get("ACTFN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("ACTFN_WORKERS", os.environ.get("WEB_CONCURRENCY", min(4, multiprocessing.cpu_count()))))
threads = int(os.environ.get("ACTFN_THREADS", "1"))
worker_class = serving.worker_class(threads)
preload_app = False  # a JAX backend must never be created before fork
# Above the worst accepted request (README "Operating": a few seconds on 2 cores) plus its
# first-use compilation; see /v1/limits.
timeout = int(os.environ.get("ACTFN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("ACTFN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# Recycle each worker after about this many requests (jittered so they do not all restart at
# once): bounds any slow leak. High, because a new worker spends ~1.5 s of CPU compiling
# before it serves. Memory has its own budget (ACTFN_WORKER_MEMORY_MB, post_request below).
max_requests = int(os.environ.get("ACTFN_MAX_REQUESTS", "100000"))
max_requests_jitter = int(os.environ.get("ACTFN_MAX_REQUESTS_JITTER", "10000"))
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = os.environ.get("ACTFN_ACCESS_LOG", "-") or None  # empty: no access log
errorlog = "-"
# No runtime control socket (it would be written under $HOME, read-only in the container).
control_socket_disable = True
loglevel = os.environ.get("ACTFN_LOG_LEVEL", "info")
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
    health = os.environ.get("ACTFN_HEALTH_BIND", "").strip()
    if health:
        serving.start_health(server, health)


def post_fork(server, worker):
    serving.close_health_in_worker()


def child_exit(server, worker):
    """Fold a dead worker's metrics into the archive (its counters stay in the sum)."""
    serving.compact_dead_worker_metrics(os.environ["PROMETHEUS_MULTIPROC_DIR"], worker.pid)


def post_request(worker, req, environ, resp):
    """Past its memory budget, a worker finishes this request and is replaced."""
    serving.recycle_over_budget(worker)


def post_worker_init(worker):
    """Initialise JAX and compile the common programs before this worker takes requests."""
    if os.environ.get("ACTFN_WARMUP", "1") in ("0", "false", "no"):
        return
    from service.api.warmup import warm

    ready = warm(worker.wsgi)
    worker.log.info("worker %s warm in %.2f s", worker.pid, ready.seconds)

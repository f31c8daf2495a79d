"""gunicorn settings for actfn: ``gunicorn -c gunicorn.conf.py "service:create_app()"``.

JAX is imported in the master only as a module; devices, arrays and compiled programs are
created in each worker after fork (``preload_app`` stays off, and warm-up runs in
``post_worker_init``). Every setting reads an environment variable with a default.
"""

import multiprocessing
import os

bind = os.environ.get("ACTFN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("ACTFN_WORKERS", os.environ.get("WEB_CONCURRENCY", min(4, multiprocessing.cpu_count()))))
threads = int(os.environ.get("ACTFN_THREADS", "1"))
worker_class = "sync" if threads == 1 else "gthread"
preload_app = False  # a JAX backend must never be created before fork
# Above the largest capped request (1e6 points, order 2, float64 ≈ 2 s on 2 cores) plus
# a first-use compilation; see /v1/limits.
timeout = int(os.environ.get("ACTFN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("ACTFN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
max_requests = int(os.environ.get("ACTFN_MAX_REQUESTS", "0"))
max_requests_jitter = int(os.environ.get("ACTFN_MAX_REQUESTS_JITTER", "0"))
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = os.environ.get("ACTFN_ACCESS_LOG", "-") or None  # empty: no access log
errorlog = "-"
loglevel = os.environ.get("ACTFN_LOG_LEVEL", "info")


def post_worker_init(worker):
    """Initialise JAX and compile the common programs before this worker takes requests."""
    if os.environ.get("ACTFN_WARMUP", "1") in ("0", "false", "no"):
        return
    from service.api.warmup import warm

    ready = warm(worker.wsgi)
    worker.log.info("worker %s warm in %.2f s", worker.pid, ready.seconds)

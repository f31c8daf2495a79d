"""gunicorn settings for actfn: ``gunicorn -c gunicorn.conf.py "service:create_app()"``.

JAX is imported in the master only as a module; devices, arrays and compiled programs are
created in each worker after fork (``preload_app`` stays off, and warm-up runs in
``post_worker_init``). Every setting reads an environment variable with a default.
"""

import datetime
import glob
import json
import multiprocessing
import os
import tempfile

from gunicorn import glogging

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
# Recycle each worker after about this many requests (jittered so they do not all restart at
# once): bounds the growth of per-worker caches and of any slow leak. High, because a new
# worker spends ~1.5 s of CPU compiling before it serves: at 2,000 requests/s per worker this
# is one restart per worker every ~50 s.
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

# Prometheus multiprocess mode: every worker writes its metrics under this directory and
# /metrics sums them. Set here, in the master, so workers inherit it.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="actfn-metrics-")


class JsonLogger(glogging.Logger):
    """gunicorn's logger writing JSON lines (``ACTFN_LOG_FORMAT=text`` keeps gunicorn's own)."""

    def setup(self, cfg):
        super().setup(cfg)
        if os.environ.get("ACTFN_LOG_FORMAT", "json") == "json":
            for handler in self.error_log.handlers:
                handler.setFormatter(_ErrorFormatter())

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled or os.environ.get("ACTFN_LOG_FORMAT", "json") != "json":
            return super().access(resp, req, environ, request_time)
        headers = {k.lower(): v for k, v in resp.headers}
        record = {
            "ts": datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds"),
            "level": "info",
            "logger": "gunicorn.access",
            "request_id": headers.get("x-request-id"),
            "remote": environ.get("REMOTE_ADDR"),
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),
            "query": environ.get("QUERY_STRING") or None,
            "status": resp.status_code,
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 3),
            "user_agent": environ.get("HTTP_USER_AGENT"),
            "pid": os.getpid(),
        }
        self.access_log.info(json.dumps(record, ensure_ascii=False))


class _ErrorFormatter(glogging.logging.Formatter):
    def format(self, record):
        out = {
            "ts": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


logger_class = JsonLogger


def on_starting(server):
    """A fresh metrics directory: counts from a previous run must not leak into this one."""
    for path in glob.glob(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "*.db")):
        os.remove(path)


def child_exit(server, worker):
    """Drop a dead worker's live gauges (its counters stay in the sum, as Prometheus expects)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    """Initialise JAX and compile the common programs before this worker takes requests."""
    if os.environ.get("ACTFN_WARMUP", "1") in ("0", "false", "no"):
        return
    from service.api.warmup import warm

    ready = warm(worker.wsgi)
    worker.log.info("worker %s warm in %.2f s", worker.pid, ready.seconds)

"""What gunicorn runs besides the app: JSON logs, worker classes that answer protocol errors
as problem+json, a liveness responder in the master, memory-budget recycling and compaction
of dead workers' metrics. Used by ``gunicorn.conf.py``; imports neither Flask nor JAX (the
master must never load XLA).

- Protocol errors gunicorn answers itself (a malformed request line, a bad Content-Length,
  414, 431, a request head that does not arrive in time) are problem+json like every other
  error, and never take the worker down: the access logger cannot raise.
- The worker is sync (one request per connection) for ``ACTFN_THREADS=1``, gthread otherwise;
  ``ACTFN_WORKER_CLASS=gthread`` asks for gthread with one thread too (:func:`worker_class`). It
  keeps connections alive (``keepalive`` seconds; an idle one waits in the poller, not in a
  thread), but measured on 2 cores (wrk -t2 -c16, 100-point evaluate and a bare Flask app)
  it serves no more requests/s than sync and has a higher p99: its thread hand-offs cost what
  the saved TCP handshakes gain.
- Either worker reads each request within ``ACTFN_REQUEST_READ_TIMEOUT`` seconds (head and
  body together, 408 otherwise; on a kept-alive connection from when the next request's first
  bytes arrive), so a slow client holds a thread for at most that long; the shipped
  deployments also put nginx in front, which buffers whole requests.
- On SIGTERM a worker closes its listening sockets at once, so new connections are refused (a
  load balancer retries elsewhere) instead of queueing behind a worker that is leaving.
- A worker's malloc (glibc) maps large blocks at a fixed threshold and, after a request that
  grew the worker, hands the free pages of its heaps back, so what a big request freed does not
  stay resident. After each request a worker whose resident memory is still above
  ``ACTFN_WORKER_MEMORY_MB`` finishes and is replaced by a fresh one (gunicorn's own graceful
  restart).
- ``ACTFN_HEALTH_BIND`` starts a tiny HTTP responder in the master: ``GET /healthz`` answers
  while every worker is busy (a liveness probe must not time out behind long requests).
"""

from __future__ import annotations

import ctypes
import datetime
import errno
import glob
import http.server
import json
import logging
import os
import platform
import socket
import tempfile
import threading
import time

from gunicorn import glogging, util
from gunicorn.http.errors import ParseException as BodyParseError  # noqa: F401 (the app maps it to 400)
from gunicorn.workers import base, sync
from gunicorn.workers.gthread import ThreadWorker as _ThreadWorker

from . import config

PROBLEM = "application/problem+json"
REASONS = {
    400: "Bad Request",
    403: "Forbidden",
    408: "Request Timeout",
    413: "Content Too Large",
    414: "URI Too Long",
    417: "Expectation Failed",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
}
# The ``type`` of every problem, here and in the app (service.api.problems): /problems/<slug>.
SLUGS = {
    400: "malformed-request",
    401: "not-authenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    408: "request-timeout",
    413: "body-too-large",
    414: "uri-too-long",
    415: "unsupported-media-type",
    422: "validation-error",
    429: "rate-limited",
    431: "headers-too-large",
    500: "internal-error",
    501: "not-implemented",
    502: "upstream-error",
    503: "unavailable",
}


SETTINGS = config.server()


# ----- logs ---------------------------------------------------------------------------


def _status(resp) -> int | None:
    """The status code from whatever gunicorn hands the logger (on its error path the
    response has only a ``status`` string)."""
    code = getattr(resp, "status_code", None)
    if isinstance(code, int):
        return code
    try:
        return int(str(getattr(resp, "status", "") or "").split()[0])
    except (ValueError, IndexError):
        return None


def timestamp(seconds: float) -> str:
    """UTC, ISO 8601, milliseconds: the ``ts`` of every log line."""
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC).isoformat(timespec="milliseconds")


class JsonLines(logging.Formatter):
    """One JSON object per line: time, level, logger, message, pid, exception, and what
    :meth:`fields` adds (the app's formatter adds the request id)."""

    def fields(self, record: logging.LogRecord) -> dict:
        return {}

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": timestamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
            **self.fields(record),
        }
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


class JsonLogger(glogging.Logger):
    """gunicorn's logger writing JSON lines (``ACTFN_LOG_FORMAT=text`` keeps gunicorn's own).
    Logging never raises: a request gunicorn refuses must not take the worker down."""

    def setup(self, cfg):
        super().setup(cfg)
        if SETTINGS["LOG_FORMAT"] == "json":
            for handler in self.error_log.handlers:
                handler.setFormatter(JsonLines())

    def access(self, resp, req, environ, request_time):
        try:
            if not self.access_log_enabled or SETTINGS["LOG_FORMAT"] != "json":
                return super().access(resp, req, environ, request_time)
            headers = {str(k).lower(): v for k, v in (getattr(resp, "headers", None) or [])}
            record = {
                "ts": timestamp(time.time()),
                "level": "info",
                "logger": "gunicorn.access",
                "request_id": headers.get("x-request-id"),
                "remote": environ.get("REMOTE_ADDR"),
                "method": environ.get("REQUEST_METHOD"),
                "path": (environ.get("PATH_INFO") or "")[:2048],
                "query": (environ.get("QUERY_STRING") or "")[:2048] or None,
                "status": _status(resp),
                "bytes": getattr(resp, "sent", None),
                "duration_ms": round(request_time.total_seconds() * 1000, 3),
                "user_agent": (environ.get("HTTP_USER_AGENT") or "")[:512] or None,
                "pid": os.getpid(),
            }
            self.access_log.info(json.dumps(record, ensure_ascii=False, default=str))
        except Exception:  # noqa: BLE001 (a log line is never worth a worker)
            self.error_log.debug("access log line failed", exc_info=True)


# ----- workers ------------------------------------------------------------------------


def problem_bytes(status: int, detail: str) -> bytes:
    """A complete HTTP/1.1 problem+json response that closes the connection. Readable from any
    origin: it is answered before the request (its Origin included) is read, and says nothing
    but what was wrong with the request, so a cross-origin page sees the problem instead of
    "Failed to fetch"."""
    body = json.dumps(
        {
            "type": f"/problems/{SLUGS.get(status, 'error')}",
            "title": REASONS.get(status, "Error"),
            "status": status,
            "detail": detail[:500],
        }
    ).encode()
    head = (
        f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}\r\nConnection: close\r\n"
        f"Content-Type: {PROBLEM}\r\nContent-Length: {len(body)}\r\n"
        "Access-Control-Allow-Origin: *\r\n\r\n"
    )
    return head.encode("latin-1") + body


def write_problem(sock, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's ``util.write_error``, writing problem+json instead of an HTML page."""
    detail = mesg or reason
    if status_int >= 500 and status_int != 501:
        detail = "The server failed to answer this request; it has been logged."
    _send(sock, problem_bytes(status_int, detail))


class _Errors:
    """Protocol errors as problem+json, never an exception that ends the worker."""

    def handle_error(self, req, client, addr, exc):
        if isinstance(exc, ReadTimeout):
            self.log.info("request from %s not read within %s s", (addr or ("",))[0], READ_TIMEOUT)
            _send(client, problem_bytes(408, f"the request was not received within {READ_TIMEOUT:g} s"))
            return
        # gunicorn decides the status and logs it; the response it writes is problem+json
        # (util.write_error is replaced in worker processes, below).
        try:
            super().handle_error(req, client, addr, exc)
        except Exception:
            self.log.debug("error response failed", exc_info=True)

    def init_process(self):
        util.write_error = write_problem
        super().init_process()


def _send(sock, data: bytes) -> None:
    try:
        util.write_nonblock(sock, data)
    except Exception:  # noqa: BLE001 (the client may be gone)
        pass


READ_TIMEOUT = SETTINGS["REQUEST_READ_TIMEOUT"]


class ReadTimeout(Exception):
    """The request did not arrive within ACTFN_REQUEST_READ_TIMEOUT (answered 408). Not an
    OSError, so that gunicorn and werkzeug pass it on instead of treating it as a hang-up."""


class DeadlineSocket:
    """A client socket whose reads share one deadline: the whole request (head and body)
    must arrive within ``seconds`` of the connection being accepted."""

    def __init__(self, sock: socket.socket, seconds: float):
        self._sock = sock
        self._deadline: float | None = time.monotonic() + seconds

    def restart(self, seconds: float) -> None:
        """A new request on a kept-alive connection: a new deadline from now."""
        self._deadline = time.monotonic() + seconds

    def settimeout(self, value) -> None:
        # A timeout in seconds comes from gunicorn's close_graceful or its bounded drain of an
        # unread body: the request is over, reads are free (bounded by that timeout). None is
        # gunicorn's parser restoring blocking reads (it does so before each request on a
        # kept-alive connection): the deadline stays.
        if value is not None:
            self._deadline = None
        self._sock.settimeout(value)

    def recv(self, size: int, *args) -> bytes:
        if self._deadline is None:
            return self._sock.recv(size, *args)
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise ReadTimeout(f"the request was not received within {READ_TIMEOUT:g} s")
        self._sock.settimeout(left)
        try:
            return self._sock.recv(size, *args)
        except TimeoutError:
            raise ReadTimeout(f"the request was not received within {READ_TIMEOUT:g} s") from None
        finally:
            self._sock.settimeout(None)

    def __getattr__(self, name):
        return getattr(self._sock, name)


class _Listener:
    """A listening socket whose address is remembered when the connection is accepted."""

    def __init__(self, sock: socket.socket):
        self._sock, self._name = sock, sock.getsockname()

    def getsockname(self):
        return self._name

    def __getattr__(self, name):
        return getattr(self._sock, name)


def _close(listeners) -> None:
    """Close a worker's listening sockets (on SIGTERM: new connections are refused at once)."""
    for listener in listeners:
        try:
            listener.close()
        except OSError:
            pass


class SyncWorker(_Errors, sync.SyncWorker):
    """gunicorn's sync worker with problem+json protocol errors, a request read deadline, and
    listeners closed at once on SIGTERM."""

    def handle_exit(self, sig, frame):
        # Refuse new connections now: the request in flight finishes, nothing new queues here
        # (on a graceful stop the master has closed its copy already). The accept loop sees
        # the closed sockets (EBADF) and returns.
        _close(self.sockets)
        super().handle_exit(sig, frame)

    def handle(self, listener, client, addr):
        if READ_TIMEOUT > 0 and not self.cfg.is_ssl:
            client = DeadlineSocket(client, READ_TIMEOUT)
        # The request in flight still needs the listener's address after handle_exit closed it.
        super().handle(_Listener(listener), client, addr)

    def handle_request(self, listener, req, client, addr):
        # Responses go to the real socket; only reads carry the deadline.
        return super().handle_request(listener, req, getattr(client, "_sock", client), addr)


class ThreadWorker(_Errors, _ThreadWorker):
    """gunicorn's gthread worker (keep-alive) with problem+json protocol errors, the request
    read deadline of each request on a connection, and listeners closed at once on SIGTERM."""

    _listeners_closed = False

    def handle(self, conn):
        # Runs in a pool thread when a request's first bytes are there (a new connection, or a
        # kept-alive one the poller saw readable): the whole request must arrive within
        # READ_TIMEOUT from here. The parser reads through conn.sock, wrapped once.
        if READ_TIMEOUT > 0 and not self.cfg.is_ssl:
            if isinstance(conn.sock, DeadlineSocket):
                conn.sock.restart(READ_TIMEOUT)
            else:
                conn.sock = DeadlineSocket(conn.sock, READ_TIMEOUT)
        return super().handle(conn)

    def handle_exit(self, sig, frame):
        # As SyncWorker: refuse new connections now. Out of the poller first (the other
        # processes' copies of a listener would keep reporting it), then closed.
        if self.poller is not None and not self._listeners_closed:
            self._listeners_closed = True
            try:
                super().set_accept_enabled(False)
            except (OSError, KeyError, ValueError):
                pass
            _close(self.sockets)
        super().handle_exit(sig, frame)

    def set_accept_enabled(self, enabled):
        if enabled and self._listeners_closed:
            return
        super().set_accept_enabled(enabled)

    def accept(self, listener):
        try:
            super().accept(listener)
        except OSError as e:
            # A readiness event collected just before handle_exit closed the listener.
            if not self._listeners_closed or e.errno not in (errno.EBADF, errno.EINVAL, errno.ENOTSOCK):
                raise


WORKER_CLASSES = {"gthread": "service.serving.ThreadWorker", "sync": "service.serving.SyncWorker"}


def worker_class(threads: int, kind: str = "") -> str:
    """gunicorn's ``worker_class`` for ``ACTFN_WORKER_CLASS``: empty (the default) is sync for one
    thread and gthread for more; gthread keeps connections alive; sync answers one request per
    connection and takes threads = 1 only."""
    kind = kind or ("sync" if threads == 1 else "gthread")
    if kind not in WORKER_CLASSES:
        raise ValueError(f"ACTFN_WORKER_CLASS must be one of {', '.join(WORKER_CLASSES)}, not {kind!r}")
    if kind == "sync" and threads != 1:
        raise ValueError("ACTFN_WORKER_CLASS=sync serves one request at a time: ACTFN_THREADS must be 1")
    return WORKER_CLASSES[kind]


# ----- memory budget ------------------------------------------------------------------

MEMORY_BUDGET_MB = SETTINGS["WORKER_MEMORY_MB"]


_STATM: dict[int, int] = {}  # pid → this process's /proc/self/statm, kept open (a forked worker opens its own)


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory of a process (Linux /proc; 0 where unavailable). Its own is read through a
    descriptor kept open: ~2 µs instead of ~15, and it is read after every request."""
    try:
        if pid == "self":
            fd = _STATM.get(os.getpid())
            if fd is None:
                fd = _STATM[os.getpid()] = os.open("/proc/self/statm", os.O_RDONLY | os.O_CLOEXEC)
            text = os.pread(fd, 128, 0)
        else:
            with open(f"/proc/{pid}/statm", "rb") as f:
                text = f.read()
        return int(text.split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


def recycle_over_budget(worker: base.Worker, used: float | None = None) -> bool:
    """After a request: past the budget (``used`` MB, read here if not given), finish and let the
    master start a fresh worker."""
    if MEMORY_BUDGET_MB <= 0 or not worker.alive:
        return False
    used = rss_mb() if used is None else used
    if used <= MEMORY_BUDGET_MB:
        return False
    worker.log.info(
        "worker %s uses %.0f MB, over ACTFN_WORKER_MEMORY_MB=%.0f: restarting after this request",
        worker.pid,
        used,
        MEMORY_BUDGET_MB,
    )
    worker.alive = False
    return True


def _glibc() -> ctypes.CDLL | None:
    """The C library where it is glibc (the image's Debian), None elsewhere (musl, macOS: their
    allocators are left as they are)."""
    if platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


_LIBC: ctypes.CDLL | None = None
M_MMAP_THRESHOLD = -3  # mallopt's parameter (malloc.h)
MMAP_THRESHOLD = 2**20
# Resident memory a worker may gain before the free pages inside its heaps are handed back.
TRIM_STEP_MB = 32.0
_trimmed_mb = 0.0  # resident memory after the last trim (or the lowest since)


def tune_malloc() -> bool:
    """In a worker, before JAX starts: blocks of 1 MB and more are mapped on their own and
    unmapped when freed. glibc raises its threshold (128 KB at first) to each large block freed,
    up to 32 MB, so after the first big request its arrays (an 80 MB answer, gradient-flow
    weights) come from the heap and stay resident once freed. Costs page faults when a large
    block is used again (the worst requests ~15–25 % slower warm, gradient-flow most), nothing
    for a small request (it allocates no such block). False where malloc is not glibc's."""
    global _LIBC
    _LIBC = _glibc()
    return _LIBC is not None and _LIBC.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1


def release_freed() -> float:
    """After a request, once the worker has grown ``TRIM_STEP_MB`` since the last time: hand back
    the free pages inside malloc's heaps (``malloc_trim``; compilations and blocks under the
    threshold leave them). With :func:`tune_malloc`, a worker keeps ~470 MB after the worst
    requests (bench/worst.py, twice) instead of ~770. Up to a few milliseconds when it runs, so
    not after every request. Returns the resident memory (MB) afterwards."""
    global _trimmed_mb
    used = rss_mb()
    if used <= _trimmed_mb + TRIM_STEP_MB:
        _trimmed_mb = min(_trimmed_mb, used)
        return used
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
        used = rss_mb()
    _trimmed_mb = used
    return used


# ----- liveness in the master ---------------------------------------------------------


class _Health(http.server.BaseHTTPRequestHandler):
    arbiter = None
    server_version = "actfn-health"
    sys_version = ""

    def do_GET(self):
        if self.path.split("?")[0] not in ("/healthz", "/livez"):
            return self._answer(404, {"type": "/problems/not-found", "title": "Not found", "status": 404})
        workers = len(getattr(self.arbiter, "WORKERS", {}) or {})
        if workers == 0:
            body = {"type": "/problems/unavailable", "title": "Service unavailable", "status": 503}
            return self._answer(503, {**body, "detail": "no worker is running"})
        return self._answer(200, {"status": "ok", "workers": workers})

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if status == 200 else PROBLEM)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):  # probes every few seconds: not worth a log line
        pass


class HealthServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    timeout = 5


_health: HealthServer | None = None


def start_health(arbiter, bind: str) -> None:
    """Serve GET /healthz from the master on ``host:port`` (a daemon thread)."""
    global _health
    host, _, port = bind.rpartition(":")
    handler = type("Health", (_Health,), {"arbiter": arbiter})
    _health = HealthServer((host.strip("[]") or "0.0.0.0", int(port)), handler)
    threading.Thread(target=_health.serve_forever, name="actfn-health", daemon=True).start()
    arbiter.log.info("liveness on http://%s/healthz (master)", bind)


def close_health_in_worker() -> None:
    """A forked worker holds a copy of the master's health socket: close it."""
    if _health is not None:
        try:
            _health.socket.close()
        except OSError:
            pass


# ----- metrics ------------------------------------------------------------------------


def compact_dead_worker_metrics(directory: str, pid: int) -> None:
    """Fold a dead worker's counter and histogram files into one archive file per kind, so
    /metrics reads a bounded number of files however many workers have come and gone.
    (Gauges of dead workers are dropped by prometheus_client's mark_process_dead.)"""
    from prometheus_client import multiprocess
    from prometheus_client.mmap_dict import MmapedDict

    multiprocess.mark_process_dead(pid, directory)
    for kind in ("counter", "histogram", "summary"):
        dead = os.path.join(directory, f"{kind}_{pid}.db")
        if not os.path.exists(dead):
            continue
        archive = MmapedDict(os.path.join(directory, f"{kind}_archive.db"))
        try:
            for key, value, timestamp, _ in MmapedDict.read_all_values_from_file(dead):
                old, _ = archive.read_value(key)
                archive.write_value(key, old + value, timestamp)
        finally:
            archive.close()
        try:
            os.remove(dead)
        except OSError as e:
            if e.errno != errno.ENOENT:
                raise


def default_compilation_cache() -> str:
    """Where the workers of this host keep compiled programs unless ACTFN_COMPILATION_CACHE_DIR
    says otherwise: a directory of this user's under the system temp dir (an emptyDir in the
    Kubernetes manifests, so it outlives container restarts within the pod)."""
    return os.path.join(tempfile.gettempdir(), f"actfn-jax-cache-{os.getuid()}")


def clear_metrics(directory: str) -> None:
    for path in glob.glob(os.path.join(directory, "*.db")):
        os.remove(path)

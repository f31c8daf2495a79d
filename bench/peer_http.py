"""The service's ``POST /v1/evaluate`` (100-point GELU) against two peers under the same gunicorn
settings: a bare Flask "hello world" (bench/peers/hello.py) and Flask + PyTorch autograd doing
the same job without validation (bench/peers/torch_peer.py).

``python bench/peer_http.py`` (from the repository root; needs wrk and torch) starts the service
as bench/run.py's ``bench_http`` does, then each peer, one at a time; warms each with 3 s of wrk,
measures 10 s (wrk -t2 -c16, loopback), checks the torch peer's numbers against the service's,
and prints a table. Then the in-process cost of each app (WSGI call, no HTTP) in µs per request.
``--no-http`` / ``--no-in-process`` skip either part; ``--rounds N`` keeps all three servers up
and interleaves N 10-s rounds of each (on a shared machine, outside load then falls on all three
alike, and the table shows the spread).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
from realserver import Server, free_port, request  # noqa: E402  (the test suite's gunicorn launcher)

PEER_CONFIG = "bench/peers/gunicorn.peer.py"
X = np.linspace(-4, 4, 100).round(6).tolist()
SERVICE_BODY = {"activation": "gelu", "x": X}
PEER_BODY = {"x": X}
# What both the service and the peers get: rate limiting off (wrk is one client), the access log
# on, to stdout, in the service's JSON lines; stdout goes to a file (realserver.Server's log).
BENCH_ENV = {"ACTFN_RATE_LIMIT_ENABLED": "0", "ACTFN_ACCESS_LOG": "-", "ACTFN_LOG_FORMAT": "json"}


def lua_post(body: dict) -> str:
    """A wrk script that POSTs ``body`` as JSON; the path of a temporary file."""
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    script.write(
        f'wrk.method = "POST"\nwrk.body = {json.dumps(json.dumps(body))}\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
    )
    script.close()
    return script.name


def wrk_run(url: str, script: str | None, seconds: int) -> dict:
    """wrk -t2 -c16 --latency (bench/run.py's ``_wrk``): requests/s, p50 and p99 in ms, and
    wrk's lines about non-2xx answers and socket errors."""
    cmd = ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", url]
    if script:
        cmd[1:1] = ["-s", script]
    text = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    stats: dict = {"rps": float(text.split("Requests/sec:")[1].split()[0])}
    scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in ("50%", "99%"):
            unit = next(u for u in ("us", "ms", "s") if parts[1].endswith(u))
            stats[f"p{parts[0][:2]}_ms"] = float(parts[1][: -len(unit)]) * scale[unit]
    stats["errors"] = [line.strip() for line in text.splitlines() if "Non-2xx" in line or "Socket errors" in line]
    return stats


def _worker_pids(master: int) -> set[int]:
    try:
        return {int(c) for c in Path(f"/proc/{master}/task/{master}/children").read_text().split()}
    except OSError:
        return set()


@contextlib.contextmanager
def serve(module: str, workers: int) -> Iterator[str]:
    """``gunicorn -c bench/peers/gunicorn.peer.py <module>:app`` on a free loopback port, with the
    environment bench/run.py gives the service; yields the base URL once every worker answers."""
    tmp = Path(tempfile.mkdtemp(prefix="actfn-peer-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = tmp / "gunicorn.log"
    env = {**os.environ, "ACTFN_BIND": f"127.0.0.1:{port}", "ACTFN_WORKERS": str(workers), **BENCH_ENV}
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", PEER_CONFIG, f"{module}:app"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            # A sync worker imports the app before it accepts, so any answer (a 404 on a peer
            # without GET /) means that worker is ready; the access log names the worker.
            deadline = time.monotonic() + 120
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(log_path.read_text())
                if time.monotonic() > deadline:
                    raise RuntimeError("peer did not become ready:\n" + log_path.read_text())
                with contextlib.suppress(OSError):
                    request(base + "/", timeout=5)
                pids = _worker_pids(proc.pid)
                answered = {
                    int(p) for p in re.findall(r'"logger": "gunicorn.access".*"pid": (\d+)', log_path.read_text())
                }
                if len(pids) == workers and pids <= answered:
                    break
                time.sleep(0.02)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=45)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            shutil.rmtree(tmp, ignore_errors=True)  # a failure to start has put the log in its message


def post_json(url: str, body: dict) -> dict:
    status, _, data = request(url, json.dumps(body).encode())
    if status != 200:
        raise RuntimeError(f"{url}: {status} {data[:500]!r}")
    return json.loads(data)


def gelu_reference(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact GELU and its derivative in float64 (erfc form: no cancellation in the left tail)."""
    cdf = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in x])
    pdf = np.exp(-0.5 * x**2) / math.sqrt(2 * math.pi)
    return x * cdf, cdf + x * pdf


def errors(got: np.ndarray, reference: np.ndarray) -> str:
    """Largest absolute and relative error of ``got`` against ``reference``."""
    error = np.abs(got - reference)
    return f"max abs {error.max():.2g} (rel {np.max(error / np.maximum(np.abs(reference), 1e-30)):.1g})"


def check_torch_against_service(service: dict, peer: dict, out=print) -> bool:
    """The torch peer's x, value and derivative against the service's, both read as float32:
    equal within an absolute tolerance of 1e-6 (2 float32 ulp at |y| = 4, the largest value).
    Also each one's error against a float64 reference at the same float32 x."""
    out("torch peer vs service, 100-point GELU, float32 (atol 1e-6):")
    x = np.asarray(service["x"], np.float32).astype(np.float64)
    reference = dict(zip(("value", "derivative"), gelu_reference(x)))
    ok = True
    for key in ("x", "value", "derivative"):
        a, b = np.asarray(service[key], np.float32), np.asarray(peer[key], np.float32)
        if a.shape != b.shape:
            out(f"  {key:<10} shapes differ: {a.shape} vs {b.shape}")
            ok = False
            continue
        diff = np.abs(a.astype(np.float64) - b)
        close = bool(np.all(diff <= 1e-6))
        ok &= close
        line = f"  {key:<10} max |service - torch| = {diff.max():.3g}, {int(np.sum(a != b))}/{a.size} differ"
        if key in reference:
            line += f"; vs float64 reference: service {errors(a, reference[key])}, torch {errors(b, reference[key])}"
        out(line + ("" if close else "  ✗ MISMATCH"))
    out(f"  {'equal' if ok else 'NOT equal'} within float32 tolerance")
    return ok


@contextlib.contextmanager
def service(workers: int) -> Iterator[str]:
    """The service under gunicorn.conf.py, started as bench/run.py's ``bench_http`` does."""
    server = Server(Path(tempfile.mkdtemp(prefix="actfn-bench-")), workers=workers, **BENCH_ENV)
    try:
        for _ in range(20):  # every worker warm, not just the first to answer (as bench/run.py)
            urllib.request.urlopen(f"{server.base}/readyz", timeout=10).read()
        yield server.base
    finally:
        server.stop()


SERVICE = "service POST /v1/evaluate (100-pt GELU)"
HELLO = "hello GET / (bare Flask)"
TORCH = "torch peer POST /evaluate (100-pt GELU)"
# label: (server, path, JSON body or None for a GET)
TARGETS = {
    SERVICE: (service, "/v1/evaluate", SERVICE_BODY),
    HELLO: (functools.partial(serve, "bench.peers.hello"), "/", None),
    TORCH: (functools.partial(serve, "bench.peers.torch_peer"), "/evaluate", PEER_BODY),
}


def bench_http(rounds: int = 1, out=print) -> dict:
    """One 10-s wrk run per target, the servers up one after another (``rounds`` = 1); or all
    three up at once and ``rounds`` rounds of 10 s each, interleaved (A B C A B C …), so that
    load from elsewhere on a shared machine falls on all three alike."""
    workers = os.cpu_count() or 2
    scripts = {label: lua_post(body) if body else None for label, (_, _, body) in TARGETS.items()}
    results: dict[str, list[dict]] = {label: [] for label in TARGETS}
    answers = {}
    with contextlib.ExitStack() as stack:
        bases = {}
        for label, (server, path, body) in TARGETS.items():
            bases[label] = base = stack.enter_context(server(workers))
            if body:
                answers[label] = post_json(base + path, body)
            if rounds == 1:
                wrk_run(base + path, scripts[label], 3)  # warm-up
                results[label].append(wrk_run(base + path, scripts[label], 10))
                stack.close()  # stop this server before the next one starts
        agrees = check_torch_against_service(answers[SERVICE], answers[TORCH], out)
        if rounds > 1:
            for label, (_, path, _) in TARGETS.items():
                wrk_run(bases[label] + path, scripts[label], 3)  # warm-up
            for _ in range(rounds):
                for label, (_, path, _) in TARGETS.items():
                    results[label].append(wrk_run(bases[label] + path, scripts[label], 10))
    for script in scripts.values():
        if script:
            os.unlink(script)
    print_http(results, workers, out)
    return {**results, "torch_agrees": agrees}


def print_http(results: dict[str, list[dict]], workers: int, out=print) -> None:
    rounds = len(results[SERVICE])
    how = "one after another" if rounds == 1 else f"all up at once, {rounds} interleaved rounds; median [min–max]"
    out()
    out(f"## HTTP, wrk -t2 -c16 -d10s after 3 s warm-up, loopback, {how}")
    out(f"gunicorn for all three: {_gunicorn_settings(workers)}")
    out()
    out("| route | req/s | p50 ms | p99 ms | p99/p50 | service evaluate / this (req/s) |")
    out("|---|---|---|---|---|---|")

    def spread(values: list[float], digits: int) -> str:
        middle = f"{statistics.median(values):.{digits}f}"
        return middle if len(values) == 1 else f"{middle} [{min(values):.{digits}f}–{max(values):.{digits}f}]"

    service_rps = [s["rps"] for s in results[SERVICE]]
    for label, samples in results.items():
        rps = [s["rps"] for s in samples]
        ratio = [a / b for a, b in zip(service_rps, rps)]  # each round's own ratio
        out(
            f"| {label} | {spread(rps, 0)} | {spread([s['p50_ms'] for s in samples], 2)} "
            f"| {spread([s['p99_ms'] for s in samples], 2)} | {spread([s['p99_ms'] / s['p50_ms'] for s in samples], 1)} "
            f"| {spread(ratio, 2)} |"
        )
        for e in sorted({e for s in samples for e in s["errors"]}):
            out(f"|  ⚠ {e} | | | | | |")
    out()


def _gunicorn_settings(workers: int) -> str:
    from service import serving
    from service.config import server as server_settings

    s = server_settings({**os.environ, "ACTFN_WORKERS": str(workers), **BENCH_ENV})
    return (
        f"workers={s['WORKERS']}, threads={s['THREADS']}, worker_class={serving.worker_class(s['THREADS'], s['WORKER_CLASS'])}, "
        f"keepalive=5, accesslog={s['ACCESS_LOG']!r} (JSON lines, stdout to a file)"
    )


def per_call_us(fn, repeat: int = 7, inner: int = 2000) -> tuple[float, float]:
    """(best, median) µs per call over ``repeat`` samples of ``inner`` calls each."""
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - start) / inner * 1e6)
    return min(samples), statistics.median(samples)


def wsgi_call(app, path: str, body: dict | None = None):
    """A function that calls ``app`` as a WSGI server would, for one prepared request."""
    from werkzeug.test import EnvironBuilder

    data = json.dumps(body).encode() if body is not None else None
    environ = EnvironBuilder(
        path=path,
        method="POST" if data else "GET",
        data=data,
        content_type="application/json" if data else None,
    ).get_environ()
    statuses = []

    def call():
        e = dict(environ)
        if data:
            e["wsgi.input"] = io.BytesIO(data)
        chunks = app(e, lambda status, headers: statuses.append(status))
        b"".join(chunks)
        if hasattr(chunks, "close"):
            chunks.close()

    call()
    if not statuses[-1].startswith("200"):
        raise RuntimeError(f"{path}: {statuses[-1]}")
    return call


def bench_in_process(out=print) -> dict:
    """µs per request of each app called directly (werkzeug environ, no HTTP, no gunicorn)."""
    from bench.peers.hello import app as hello
    from bench.peers.torch_peer import app as torch_peer
    from service.app import create_app

    service = create_app({"RATE_LIMIT_ENABLED": False, "QUIZ_SECRET": "bench"})
    calls = {
        "hello GET /": wsgi_call(hello, "/"),
        "torch peer POST /evaluate (100 points)": wsgi_call(torch_peer, "/evaluate", PEER_BODY),
        "service GET /healthz": wsgi_call(service, "/healthz"),
        "service POST /v1/evaluate (100 points)": wsgi_call(service, "/v1/evaluate", SERVICE_BODY),
    }
    results = {label: per_call_us(call) for label, call in calls.items()}
    out("## In process: the WSGI app called directly, µs per request (best and median of 7 × 2,000)")
    out()
    out("| app, route | best µs | median µs |")
    out("|---|---|---|")
    for label, (best, median) in results.items():
        out(f"| {label} | {best:.0f} | {median:.0f} |")
    out()
    results["ladder"] = cost_ladder(out)
    return results


def cost_ladder(out=print) -> dict:
    """The service's 100-point evaluate built up step by step in one app, each step a route of
    its own on top of the last: an empty POST through Flask and the service's hooks; reading
    and parsing the body as the request parser does; the marshmallow load; the whole
    ``POST /v1/evaluate`` (compute, answer, the view's wrappers). µs per request."""
    import orjson
    from flask import current_app, request

    from service.api.evaluate.schemas import EvaluateRequestSchema
    from service.api.parser import check_structure
    from service.app import create_app

    app = create_app({"RATE_LIMIT_ENABLED": False, "QUIZ_SECRET": "bench"})
    schema = EvaluateRequestSchema()

    def body():
        data = request.get_data()
        check_structure(data, current_app.config["LIMITS"])
        return orjson.loads(data)

    def answered():
        return current_app.response_class(b"{}", mimetype="application/json")

    app.add_url_rule("/bench/empty", "bench_empty", answered, methods=["POST"])
    app.add_url_rule("/bench/read", "bench_read", lambda: (body(), answered())[1], methods=["POST"])
    app.add_url_rule("/bench/load", "bench_load", lambda: (schema.load(body()), answered())[1], methods=["POST"])
    steps = {
        "an empty POST through Flask and the service's hooks": "/bench/empty",
        "+ reading and parsing the body": "/bench/read",
        "+ the marshmallow load": "/bench/load",
        "+ computing and answering: POST /v1/evaluate": "/v1/evaluate",
    }
    results = {label: per_call_us(wsgi_call(app, path, SERVICE_BODY)) for label, path in steps.items()}
    out("The service's evaluate, step by step (each row includes the ones above; best µs, and the step's own)")
    out()
    out("| step | best µs | this step µs |")
    out("|---|---|---|")
    previous = 0.0
    for label, (best, _) in results.items():
        out(f"| {label} | {best:.0f} | {best - previous:.0f} |")
        previous = best
    out()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-http", action="store_true", help="skip the gunicorn + wrk part")
    parser.add_argument("--no-in-process", action="store_true", help="skip the in-process part")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="above 1: all three servers up at once, this many interleaved 10-s rounds each",
    )
    args = parser.parse_args()
    if not args.no_http:
        bench_http(args.rounds)
    if not args.no_in_process:
        bench_in_process()


if __name__ == "__main__":
    main()

"""`make bench`: every speed figure of the service, measured in one run on this machine.

Prints a table and writes docs/benchmarks.md. Ratios compare numbers taken in the same run.
Needs requirements-bench.txt (PyTorch CPU, selenium), `wrk` (Debian package) for the HTTP part
and Chromium (chromium, chromium-driver) for the page part.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import jax  # noqa: E402

sys.path.insert(0, str(ROOT / "tests"))
from realserver import Server, rss_mb  # noqa: E402  (the test suite's gunicorn launcher)

from bench import firstuse, peer_http, worst  # noqa: E402
from bench.floors import FUSED_JIT, NUMPY, torch_autograd  # noqa: E402
from bench.mcp import bench_mcp  # noqa: E402
from bench.page import bench_page  # noqa: E402
from service.api.jsonprovider import dumps_bytes  # noqa: E402
from service.core import CATALOG, evaluate  # noqa: E402
from service.core.evaluate import bucket, program, split_params  # noqa: E402
from service.core.programs import PROGRAMS  # noqa: E402

N = 1_000_000
ROUNDS = 3  # interleaved wrk rounds of the service and its peers
ACTIVATIONS = ("relu", "sigmoid", "tanh", "gelu", "silu", "softplus", "elu", "mish")
LINES: list[str] = []


def out(line: str = "") -> None:
    print(line, flush=True)
    LINES.append(line)


def best_time(fn, repeat: int = 30, inner: int = 1) -> float:
    """Best of ``repeat`` samples of ``inner`` calls each, per call: on a shared machine the
    minimum is the stable estimate of what the code costs; medians move with whatever else
    runs, and sub-millisecond calls need several per sample."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        times.append((time.perf_counter() - start) / inner)
    return min(times)


# ----- compute core ---------------------------------------------------------------------


def _time_core(name: str, x: np.ndarray, torch) -> tuple[float, float, float, float]:
    """Seconds per call: the service core (its padded bucket), the fused floor, torch, NumPy."""
    activation = CATALOG.get(name)
    traced, static = split_params(activation, activation.bind({}))
    core_run = program(activation, 1, static, "float32", (bucket(N),)).run
    padded = np.zeros(bucket(N), np.float32)
    padded[:N] = x
    xd = jax.device_put(padded)
    p = {k: np.asarray(v, np.float32) for k, v in traced.items()}
    core = best_time(lambda: jax.block_until_ready(core_run(xd, p)), inner=10)
    xf = jax.device_put(x)
    floor = best_time(lambda: jax.block_until_ready(FUSED_JIT[name](xf)), inner=10)
    xt = torch.from_numpy(x.copy()).requires_grad_(True)
    run = torch_autograd(name)
    torch_t = best_time(lambda: run(xt), inner=10)
    numpy_t = best_time(lambda: NUMPY[name](x), repeat=5)
    return core, floor, torch_t, numpy_t


def bench_core() -> dict:
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    x = np.linspace(-8.0, 8.0, N, dtype=np.float32)
    out("## Compute core: value + first derivative, 1e6 float32 points (best of 30 samples of 10 calls, ms per call)")
    out()
    out(
        "| activation | service core | fused jax.jit floor | core / floor | torch autograd | torch / core | NumPy | NumPy / core |"
    )
    out("|---|---|---|---|---|---|---|---|")
    ratios = {}
    for name in ACTIVATIONS:
        core, floor, torch_t, numpy_t = _time_core(name, x, torch)
        ratios[name] = core / floor
        out(
            f"| {name} | {core * 1e3:.2f} | {floor * 1e3:.2f} | {core / floor:.2f} | {torch_t * 1e3:.2f} | "
            f"{torch_t / core:.2f} | {numpy_t * 1e3:.2f} | {numpy_t / core:.2f} |"
        )
    out()
    out("The service core runs the padded bucket (2^20 points for 1e6) it really uses.")
    out()
    return ratios


# ----- compilation ------------------------------------------------------------------------


def bench_compilation() -> dict:
    rng = np.random.default_rng(0)
    sizes = np.unique(np.round(np.exp(rng.uniform(0, np.log(N), 1000))).astype(int)).tolist()
    sizes = (sizes * 2)[:1000]
    out("## Compilations over 1,000 requests of random sizes 1…1e6 (float32, order 1)")
    out()
    out("| activation | distinct sizes | compiled programs |")
    out("|---|---|---|")
    counts = {}
    for name in ("relu", "gelu"):
        activation = CATALOG.get(name)
        params = activation.bind({})
        PROGRAMS.clear()
        before = PROGRAMS.compilations
        for n in sizes:
            evaluate(activation, params, np.zeros(n), order=1, dtype="float32")
        counts[name] = PROGRAMS.compilations - before
        out(f"| {name} | {len(set(sizes))} | {counts[name]} |")
    out()
    return counts


# ----- HTTP -------------------------------------------------------------------------------


def _wrk(url: str, script: str | None, seconds: int) -> dict:
    cmd = ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", url]
    if script:
        cmd[1:1] = ["-s", script]
    text = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    stats = {"rps": float(text.split("Requests/sec:")[1].split()[0])}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in ("50%", "99%"):
            value = parts[1]
            scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}
            unit = next(u for u in ("us", "ms", "s") if value.endswith(u))
            stats[parts[0]] = float(value[: -len(unit)]) * scale[unit]
    errors = [line for line in text.splitlines() if "Non-2xx" in line or "Socket errors" in line]
    stats["errors"] = errors
    return stats


def bench_http() -> dict:
    if not shutil.which("wrk"):
        out("## HTTP: skipped (install wrk: apt-get install wrk)")
        return {}
    # wrk is one client: per-client rate limiting would throttle it, so it is off here (its
    # per-request cost is measured on its own below, in process). The access log stays on.
    start = time.perf_counter()
    server = Server(
        Path(tempfile.mkdtemp(prefix="actfn-bench-")),
        workers=os.cpu_count() or 2,
        ACTFN_RATE_LIMIT_ENABLED="0",
        ACTFN_ACCESS_LOG="-",
    )
    base = server.base
    results: dict = {}
    try:
        results["cold_start_s"] = time.perf_counter() - start
        # every worker warm, not just the first to answer
        for _ in range(20):
            urllib.request.urlopen(f"{base}/readyz", timeout=10).read()
        script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
        body = json.dumps({"activation": "gelu", "x": np.linspace(-4, 4, 100).round(6).tolist()})
        script.write(
            f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\nwrk.headers["Content-Type"] = "application/json"\n'
        )
        script.close()
        qs = ",".join(f"{v:g}" for v in np.linspace(-2, 2, 10))
        runs = {
            "GET /healthz (framework floor)": (f"{base}/healthz", None),
            "POST /v1/evaluate, 100 points": (f"{base}/v1/evaluate", script.name),
            "GET /v1/activations/relu/evaluate, 10 points": (f"{base}/v1/activations/relu/evaluate?x={qs}", None),
        }
        for label, (url, lua) in runs.items():
            _wrk(url, lua, 3)  # warm-up
            results[label] = _wrk(url, lua, 10)
        # 1e6-point grid end to end, against compute + encoding in process.
        grid = json.dumps({"activation": "gelu", "grid": {"start": -5, "stop": 5, "num": N}}).encode()

        def one(accept="application/json"):
            headers = {"Content-Type": "application/json", "Accept": accept}
            req = urllib.request.Request(f"{base}/v1/evaluate", data=grid, headers=headers)
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.read()

        results["grid_e2e_s"] = best_time(one, repeat=5)
        results["grid_npy_s"] = best_time(lambda: one("application/x-npy"), repeat=5)
        results["grid_bytes"] = (len(one()), len(one("application/x-npy")))
        activation = CATALOG.get("gelu")
        params = activation.bind({})

        def in_process():
            r = evaluate(activation, params, np.linspace(-5, 5, N), order=1, dtype="float32")
            return dumps_bytes({"x": r.x, "value": r.value, "derivative": r.derivative})

        results["grid_inprocess_s"] = best_time(in_process, repeat=5)
        results["rss_mb"] = [rss_mb(pid) for pid in server.workers()]
    finally:
        server.stop()
    out("## HTTP under gunicorn (production config, wrk -t2 -c16 -d10s, loopback)")
    out()
    out("| route | requests/s | p50 ms | p99 ms | p99/p50 | vs /healthz |")
    out("|---|---|---|---|---|---|")
    floor_rps = results["GET /healthz (framework floor)"]["rps"]
    for label in runs:
        s = results[label]
        out(
            f"| {label} | {s['rps']:.0f} | {s['50%']:.2f} | {s['99%']:.2f} | {s['99%'] / s['50%']:.1f} | {s['rps'] / floor_rps:.0%} |"
        )
        for e in s["errors"]:
            out(f"|  ⚠ {e.strip()} | | | | | |")
    out()
    out(
        f"- 1e6-point grid (gelu, order 1): end to end {results['grid_e2e_s'] * 1e3:.0f} ms; compute + orjson "
        f"encoding in process {results['grid_inprocess_s'] * 1e3:.0f} ms; ratio "
        f"{results['grid_e2e_s'] / results['grid_inprocess_s']:.2f}"
    )
    out(
        f"- the same grid with `Accept: application/x-npy` (one .npy array): end to end "
        f"{results['grid_npy_s'] * 1e3:.0f} ms, {results['grid_npy_s'] / results['grid_e2e_s']:.2f}× the JSON answer's "
        f"time; {results['grid_bytes'][1] / 1e6:.1f} MB against JSON's {results['grid_bytes'][0] / 1e6:.1f} MB"
    )
    out(f"- cold start to /readyz: {results['cold_start_s']:.1f} s")
    out(f"- resident memory per worker: {', '.join(f'{m:.0f} MB' for m in results['rss_mb'])}")
    limiter = bench_rate_limit_cost()
    out(
        f"- rate limiting (off above, wrk being one client) costs {limiter['evaluate']:.0f} µs per limited request "
        f"in process (Flask-Limiter, memory storage; {limiter['healthz']:.0f} µs on the exempt /healthz)"
    )
    out()
    return results


def bench_rate_limit_cost() -> dict:
    """µs a request pays for Flask-Limiter, measured in process (best of 5 × 2,000 calls)."""
    import io

    from werkzeug.test import EnvironBuilder

    from service.app import create_app

    body = json.dumps({"activation": "gelu", "x": np.linspace(-4, 4, 100).round(6).tolist()}).encode()
    cost = {}
    apps = {
        on: create_app({"RATE_LIMIT_ENABLED": on, "RATE_LIMIT": "1000000000 per minute", "QUIZ_SECRET": "bench"})
        for on in (False, True)
    }
    for label, path, data in (("healthz", "/healthz", None), ("evaluate", "/v1/evaluate", body)):
        times = {}
        for on, app in apps.items():
            environ = EnvironBuilder(
                path=path,
                method="POST" if data else "GET",
                data=data,
                content_type="application/json" if data else None,
            ).get_environ()

            def call(app=app, environ=environ, data=data):
                e = dict(environ)
                if data:
                    e["wsgi.input"] = io.BytesIO(data)
                chunks = app(e, lambda status, headers: None)
                b"".join(chunks)
                chunks.close()

            times[on] = best_time(call, repeat=5, inner=2000)
        cost[label] = (times[True] - times[False]) * 1e6
    return cost


def bench_peers() -> dict:
    """The 100-point evaluate against a bare Flask app and a Flask + PyTorch autograd app under
    the same gunicorn settings (bench/peer_http.py), all three up at once, interleaved rounds."""
    if not shutil.which("wrk"):
        out("## Peers: skipped (install wrk: apt-get install wrk)")
        return {}
    results = peer_http.bench_http(rounds=ROUNDS, out=out)
    peer_http.bench_in_process(out)
    return results


def bench_memory() -> dict:
    out("## Resident memory of one gunicorn worker (shipped config, memory recycling off)")
    out()
    m = worst.worker_memory()
    out(f"- after warm-up: {m['after_warmup_mb']:.0f} MB")
    out(
        f"- through every request of the table below, twice (answers {sorted(m['statuses'])}): at most "
        f"{max(m['after_each_mb']):.0f} MB after any one; {m['after_pass_mb']:.0f} MB after the pass"
        + (" (⚠ the worker was replaced)" if m["replaced"] else "")
    )
    out()
    return m


def bench_worst() -> None:
    out("## The worst accepted request of each endpoint (fresh process each, through the app)")
    out()
    for line in worst.table(worst.measure()):
        out(line)
    out()
    out("first: the first such request in a worker (compilation included); warm: the same again; added: peak")
    out("resident memory over the warm worker's; after: resident memory once it is answered.")
    out()


def main() -> None:
    out("# Benchmarks")
    out()
    out(
        f"Measured {datetime.date.today()} with `make bench` on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, JAX {jax.__version__}."
    )
    out()
    core = bench_core()
    compiles = bench_compilation()
    http = bench_http()
    page = bench_page(out)
    mcp = bench_mcp(out)
    peers = bench_peers()
    first = firstuse.measure(out, bot_depths=True)
    out()
    memory = bench_memory()
    bench_worst()
    out("## Targets")
    out()
    checks = [(f"core ≤ 1.5× floor ({name}: {r:.2f})", r <= 1.5) for name, r in core.items()]
    checks += [(f"≤ 25 compilations ({name}: {c})", c <= 25) for name, c in compiles.items()]
    if peers:
        service = peers[peer_http.SERVICE]

        def median_ratio(peer: str) -> float:
            return statistics.median(a["rps"] / b["rps"] for a, b in zip(service, peers[peer]))

        hello, torch = median_ratio(peer_http.HELLO), median_ratio(peer_http.TORCH)
        tail = statistics.median(s["p99_ms"] / s["p50_ms"] for s in service)
        checks.append((f"evaluate ≥ 0.6× a bare Flask app's requests/s ({hello:.2f}×)", hello >= 0.6))
        checks.append((f"evaluate ≥ 1.5× a Flask + PyTorch autograd app's requests/s ({torch:.2f}×)", torch >= 1.5))
        checks.append((f"evaluate p99 ≤ 2× p50 ({tail:.1f})", tail <= 2))
        checks.append(("the PyTorch peer's numbers agree with the service's", peers["torch_agrees"]))
    if http:
        ratio = http["grid_e2e_s"] / http["grid_inprocess_s"]
        checks.append((f"1e6 grid end to end ≤ 1.5× compute + encoding in process ({ratio:.2f})", ratio <= 1.5))
        checks.append((f"cold start ≤ 15 s ({http['cold_start_s']:.1f} s)", http["cold_start_s"] <= 15))
    for name, label in (
        ("cold", "empty compilation cache"),
        ("warm_cache", "compilation cache filled"),
        ("quiz_first", "quiz and concepts first, empty compilation cache"),
    ):
        summary = first[name]["summary"]
        over = sum(row["over"] for row in summary.values())
        slowest = max(row["p100"] for row in summary.values())
        checks.append((f"no first use over 1 s, {label} ({over} over; slowest {slowest:.2f} s)", over == 0))
    for key, label in (("after_warmup_mb", "after warm-up"), ("after_pass_mb", "after the worst requests")):
        checks.append((f"worker memory ≤ 500 MB {label} ({memory[key]:.0f} MB)", memory[key] <= 500))
    if mcp:
        beside = mcp["rest, MCP server beside it"]["rps"]
        alone = min(mcp["rest alone"]["rps"], mcp["rest alone, again"]["rps"])
        checks.append(
            (
                f"REST throughput with the MCP server beside it ≥ the slower 'alone' run ({beside:.0f} vs {alone:.0f}/s)",
                beside >= 0.97 * alone,
            )
        )
    for view, r in page.items():
        slowest = max(r["first_curve_ms"])
        checks.append((f"first curve ≤ 500 ms after load, {view} (slowest {slowest:.0f} ms)", slowest <= 500))
        checks.append((f"first visit ≤ 300 kB, {view} ({r['transferred_kb']:.0f} kB)", r["transferred_kb"] <= 300))
    for label, ok in checks:
        out(f"- {'PASS' if ok else 'FAIL'} {label}")
    (ROOT / "docs" / "benchmarks.md").write_text("\n".join(LINES) + "\n")
    print(f"\nwritten to {ROOT / 'docs' / 'benchmarks.md'}")


if __name__ == "__main__":
    main()

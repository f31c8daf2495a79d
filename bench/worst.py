"""The worst accepted request of each endpoint: its time (first use, compilation included, and
again warm) and the peak memory it adds to a worker. Each request runs in a fresh process
(the app in process, through Flask's test client, JSON encoding included), so the peak is that
request's alone.

    python bench/worst.py          # the table (also part of `make bench`)
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_SINC6 = "sinc(sinc(sinc(sinc(sinc(sinc(x))))))"

# (label, method, path, body): each at the caps of /v1/limits (defaults).
WORST = [
    (
        "POST /v1/evaluate: gelu, 1e6 points, order 2, float64",
        "POST",
        "/v1/evaluate",
        {"activation": "gelu", "grid": {"start": -8, "stop": 8, "num": 1_000_000}, "order": 2, "dtype": "float64"},
    ),
    (
        "POST /v1/evaluate: softmax, 2,000 vectors of 1,000, order 0, float64",
        "POST",
        "/v1/evaluate",
        {"activation": "softmax", "x": [[0.001 * j for j in range(1000)]] * 2000, "order": 0, "dtype": "float64"},
    ),
    (
        "POST /v1/evaluate: softmax, 10 vectors of 46, order 2 (Hessian cap)",
        "POST",
        "/v1/evaluate",
        {"activation": "softmax", "x": [[0.1 * j for j in range(46)]] * 10, "order": 2, "dtype": "float64"},
    ),
    (
        "POST /v1/evaluate: a formula at max_formula_size, order 2, 500,000 points",
        "POST",
        "/v1/evaluate",
        {"activation": {"expression": _SINC6}, "grid": {"start": -4, "stop": 4, "num": 450_000}, "order": 2},
    ),
    (
        "GET /v1/activations/{name}/evaluate: 250 points (max_query_points), order 2",
        "GET",
        "/v1/activations/mish/evaluate?order=2&dtype=float64&x=" + ",".join(str(i / 25) for i in range(-125, 125)),
        None,
    ),
    (
        "GET /v1/activations/{name}: properties at new params",
        "GET",
        "/v1/activations/elu?param.alpha=0.7",
        None,
    ),
    (
        "POST /v1/chain: 1,000 inputs × 200 layers, float64",
        "POST",
        "/v1/chain",
        {"activation": "gelu", "depth": 200, "z": [0.001 * i for i in range(1000)], "weight": 1.1},
    ),
    (
        "POST /v1/chain: 20 inputs × 10,000 layers",
        "POST",
        "/v1/chain",
        {"activation": "tanh", "depth": 10_000, "z": [0.05 * i for i in range(20)]},
    ),
    (
        "POST /v1/chain: a formula with bound: true",
        "POST",
        "/v1/chain",
        {"activation": {"expression": "x * tanh(softplus(x))"}, "depth": 50, "z": 0.5, "bound": True},
    ),
    (
        "POST /v1/gradient-flow: 7 layers × 1,024 units × batch 270 (weights and work caps), float64",
        "POST",
        "/v1/gradient-flow",
        {"activation": "gelu", "depth": 7, "width": 1024, "batch": 270, "dtype": "float64"},
    ),
    (
        "POST /v1/gradient-flow: 200 layers × 200 units × batch 100, float64",
        "POST",
        "/v1/gradient-flow",
        {"activation": "gelu", "depth": 200, "width": 200, "batch": 100, "dtype": "float64"},
    ),
    (
        "POST /v1/gradient-flow: a formula at max_formula_size, 4 × 64 × 64",
        "POST",
        "/v1/gradient-flow",
        {"activation": {"expression": _SINC6}, "depth": 4, "width": 64, "batch": 64},
    ),
    (
        "POST /v1/plot: 8 formulas, f, f′, f″, 2000×2000 PNG",
        "POST",
        "/v1/plot",
        {
            "activations": [{"expression": f"x * sigmoid({1 + k} * x)"} for k in range(8)],
            "second_derivative": True,
            "width": 2000,
            "height": 2000,
            "format": "png",
        },
    ),
    (
        "GET /v1/chain/plot: 8 activations, 1,000 layers, 2000×2000 PNG",
        "GET",
        "/v1/chain/plot?activation=relu,gelu,silu,mish,tanh,sigmoid,elu,selu&depth=1000&width=2000&height=2000&format=png",
        None,
    ),
    (
        "GET /v1/quiz/export: 200 questions, QTI",
        "GET",
        "/v1/quiz/export?format=qti&count=200&seed=1",
        None,
    ),
]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def run_one(index: int) -> dict:
    """In this (fresh) process: a warm app, then the request twice."""
    sys.path.insert(0, str(ROOT))
    os.environ["ACTFN_RATE_LIMIT_ENABLED"] = "0"
    from service import create_app
    from service.api.warmup import warm

    app = create_app({"TESTING": True})
    warm(app)
    client = app.test_client()
    label, method, path, body = WORST[index]
    base = _rss_mb()
    times, sizes, statuses = [], [], []
    for _ in range(2):
        start = time.perf_counter()
        response = client.open(path, method=method, json=body)
        data = response.get_data()
        times.append(time.perf_counter() - start)
        sizes.append(len(data))
        statuses.append(response.status_code)
    return {
        "label": label,
        "status": statuses,
        "first_s": times[0],
        "warm_s": times[1],
        "bytes": sizes[1],
        "base_mb": base,
        "peak_mb": _peak_mb(),
        "after_mb": _rss_mb(),
    }


def measure() -> list[dict]:
    rows = []
    for i in range(len(WORST)):
        proc = subprocess.run(
            [sys.executable, __file__, "--one", str(i)], capture_output=True, text=True, cwd=ROOT, timeout=600
        )
        line = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "{}"
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            rows.append({"label": WORST[i][0], "error": proc.stderr[-500:]})
    return rows


def worker_memory() -> dict:
    """Resident memory of one real gunicorn worker (the shipped config, memory recycling off so
    that it is never replaced): after warm-up, then after each request of ``WORST``, twice
    through the list, each answered before the next is sent (MB, /proc/<pid>/statm)."""
    import tempfile

    sys.path.insert(0, str(ROOT / "tests"))
    from realserver import Server, request, rss_mb

    server = Server(
        Path(tempfile.mkdtemp(prefix="actfn-bench-memory-")),
        workers=1,
        ACTFN_WORKER_MEMORY_MB="0",
        ACTFN_RATE_LIMIT_ENABLED="0",
    )
    try:
        (pid,) = server.workers()
        time.sleep(0.5)
        out = {"after_warmup_mb": rss_mb(pid), "after_each_mb": [], "statuses": set()}
        for _ in range(2):
            for _label, method, path, body in WORST:
                data = json.dumps(body).encode() if body is not None else None
                status, _, _ = request(server.base + path, data, method=method, timeout=600)
                out["statuses"].add(status)
                time.sleep(0.3)  # gunicorn's post_request hook runs after the answer is sent
                out["after_each_mb"].append(rss_mb(pid))
        out["replaced"] = server.workers() != {pid}
        time.sleep(1.0)
        out["after_pass_mb"] = rss_mb(pid)
    finally:
        server.stop()
    return out


def table(rows: list[dict]) -> list[str]:
    lines = [
        "| request | status | first (s) | warm (s) | answer | worker before (MB) | peak (MB) | added (MB) | after (MB) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['label']} | failed: {r['error'][-120:]!r} | | | | | | | |")
            continue
        lines.append(
            f"| {r['label']} | {r['status'][1]} | {r['first_s']:.2f} | {r['warm_s']:.2f} | "
            f"{r['bytes'] / 1e6:.1f} MB | {r['base_mb']:.0f} | {r['peak_mb']:.0f} | {r['peak_mb'] - r['base_mb']:.0f} | "
            f"{r['after_mb']:.0f} |"
        )
    return lines


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(run_one(int(sys.argv[2]))))
    else:
        for line in table(measure()):
            print(line, flush=True)

"""Memory under a stream of distinct programs, against a real gunicorn: each worker's
compiled programs are bounded (issue: 2,000 distinct compiles took workers to 2.1 GB). In a
file of its own: it is the longest attack, and runs beside the others."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from realserver import Server, request, rss_mb

pytestmark = pytest.mark.slow  # 2,000 compilations on a real server: `make test-fast` leaves it out


def _post(base: str, path: str, body):
    return request(base + path, json.dumps(body).encode())


def _distinct_program(i: int) -> tuple[str, dict]:
    """2,000 requests that each compile a program no other one does: formulas, sizes,
    dtypes, orders, vector lengths, chain depths and gradient-flow shapes."""
    dtype = ("float32", "float64")[i % 2]
    if i % 10 == 7:
        return "/v1/evaluate", {"activation": "softmax", "x": [[0.5] * (1 + i % 97)] * (1 + i % 5), "dtype": dtype}
    if i % 200 == 13:  # heavy programs (~10 MB each): a few suffice to prove they are bounded too
        return "/v1/gradient-flow", {"activation": "tanh", "depth": 1 + i // 200, "width": 8 + i // 200, "dtype": dtype}
    if i % 10 == 3:
        return "/v1/chain", {
            "activation": {"expression": f"tanh({1 + i * 1e-4} * x)"},
            "z": [0.1] * (1 + i % 20),
            "depth": 1 + i % 64,
        }
    return "/v1/evaluate", {
        "activation": {"expression": f"x * sigmoid({1 + i * 1e-4} * x) + {i}"},
        "x": [0.5] * (1 + i % 40),
        "order": i % 2,
        "dtype": dtype,
    }


def test_memory_per_worker_stays_under_budget_through_2000_distinct_compiles(tmp_path):
    # Recycling off: the bound must come from the program cache itself.
    budget = 800  # MB, README "Operating"
    s = Server(tmp_path, workers=2, ACTFN_WORKER_MEMORY_MB="0", ACTFN_RATE_LIMIT_ENABLED="0", ACTFN_ACCESS_LOG="")
    try:
        before = s.workers()
        with ThreadPoolExecutor(max_workers=4) as pool:
            statuses = list(pool.map(lambda i: _post(s.base, *_distinct_program(i))[0], range(2000)))
        assert statuses == [200] * 2000
        assert s.workers() == before, "a worker was replaced"
        used = {pid: rss_mb(pid) for pid in before}
        assert max(used.values()) < budget, used
        metrics = request(s.base + "/metrics")[2].decode()
        compiled = sum(
            float(line.split()[-1]) for line in metrics.splitlines() if line.startswith("actfn_jit_compilations_total ")
        )
        assert compiled >= 2000
    finally:
        s.stop()

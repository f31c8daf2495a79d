"""Memory under a stream of distinct programs, against a real gunicorn: a worker's compiled
programs are bounded (issue: 2,000 distinct compiles took workers to 2.1 GB, about 1 MB each).

With a small program cache (16 MB) the cache is full after a few dozen programs, so a few
hundred more show whether anything else grows with them; `python bench/compiles.py` measures
the default cache through 2,000 compilations (README "Operating")."""

from __future__ import annotations

import json

import pytest
from realserver import Server, distinct_program, request, rss_mb

pytestmark = pytest.mark.slow  # hundreds of compilations on a real server: `make test-fast` leaves it out


def test_a_worker_stops_growing_once_its_program_cache_is_full(tmp_path):
    # Recycling off: the bound must come from the program cache itself.
    s = Server(
        tmp_path,
        workers=1,
        ACTFN_WORKER_MEMORY_MB="0",
        ACTFN_MAX_COMPILED_MB="16",
        ACTFN_RATE_LIMIT_ENABLED="0",
        ACTFN_ACCESS_LOG="",
    )
    try:
        (pid,) = s.workers()
        rss = {}
        for i in range(300):
            path, body = distinct_program(i)
            status, _, answer = request(s.base + path, json.dumps(body).encode())
            assert status == 200, (i, answer[:300])
            if i + 1 in (100, 300):
                rss[i + 1] = rss_mb(pid)
        assert s.workers() == {pid}, "the worker was replaced"
        metrics = request(s.base + "/metrics")[2].decode()
        compiled = sum(
            float(line.split()[-1]) for line in metrics.splitlines() if line.startswith("actfn_jit_compilations_total ")
        )
        assert compiled >= 300
        # Unbounded, 200 more programs would add ~200 MB; bounded, the allocator's noise: 12 to
        # 68 MB measured on 2 cores (more when the machine is busy), so the line sits at 100.
        assert rss[300] - rss[100] < 100, rss
        assert rss[300] < 800, rss  # README "Operating": the budget per worker
    finally:
        s.stop()

"""Memory of a worker through 2,000 distinct compilations with the default program cache
(`max_compiled_mb`), recycling off: README "Operating" quotes it. A real gunicorn, 2 workers,
4 clients; prints each worker's RSS every 250 requests.

    python bench/compiles.py [COUNT]
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from realserver import Server, distinct_program, request, rss_mb


def main(count: int = 2000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        s = Server(Path(tmp), workers=2, ACTFN_WORKER_MEMORY_MB="0", ACTFN_RATE_LIMIT_ENABLED="0", ACTFN_ACCESS_LOG="")
        try:
            pids = sorted(s.workers())
            print(f"requests  seconds  {'  '.join(f'worker {p} MB' for p in pids)}")
            start = time.monotonic()

            def one(i: int) -> int:
                path, body = distinct_program(i)
                return request(s.base + path, json.dumps(body).encode())[0]

            with ThreadPoolExecutor(max_workers=4) as pool:
                for done in range(0, count, 250):
                    statuses = list(pool.map(one, range(done, min(done + 250, count))))
                    assert set(statuses) == {200}, statuses
                    rss = "  ".join(f"{rss_mb(p):>{len(f'worker {p} MB')}.0f}" for p in pids)
                    print(f"{min(done + 250, count):>8}  {time.monotonic() - start:>7.1f}  {rss}", flush=True)
            assert sorted(s.workers()) == pids, "a worker was replaced"
        finally:
            s.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)

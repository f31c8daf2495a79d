"""What the MCP server costs the REST service, and what a tool call costs over a REST call.

    python bench/mcp.py          # or as part of `make bench`; needs wrk

The MCP server runs as its own gunicorn beside the REST service's (gunicorn.mcp.conf.py), so
the REST workers are unchanged; this measures it: REST throughput of the 100-point GELU
`POST /v1/evaluate` alone, with the MCP server started beside it, and alone again (the spread
of the two "alone" runs is the machine's noise); and the same question asked as an MCP
`tools/call` (evaluate) through /mcp, one JSON-RPC request each.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from realserver import McpServer, Server  # noqa: E402

SECONDS = 10


def _script(body: dict, headers: dict) -> str:
    lua = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    lua.write(f'wrk.method = "POST"\nwrk.body = {json.dumps(json.dumps(body))}\n')
    for k, v in headers.items():
        lua.write(f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}\n")
    lua.close()
    return lua.name


def bench_mcp(out=print) -> dict:
    if not shutil.which("wrk"):
        out("## MCP beside REST: skipped (install wrk: apt-get install wrk)")
        return {}
    from bench.run import _wrk  # the same wrk runner as the HTTP table

    x = np.linspace(-4, 4, 100).round(6).tolist()
    rest_script = _script({"activation": "gelu", "x": x}, {"Content-Type": "application/json"})
    call = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "evaluate", "arguments": {"activation": "gelu", "x": x}},
    }
    mcp_script = _script(
        call,
        {
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": "2025-06-18",
        },
    )
    tmp = Path(tempfile.mkdtemp(prefix="actfn-bench-mcp-"))
    workers = os.cpu_count() or 2
    rest = Server(tmp / "rest", workers=workers, ACTFN_RATE_LIMIT_ENABLED="0", ACTFN_ACCESS_LOG="-")
    results: dict = {}
    try:
        url = f"{rest.base}/v1/evaluate"
        _wrk(url, rest_script, 3)
        results["rest alone"] = _wrk(url, rest_script, SECONDS)
        mcp = McpServer(tmp, ACTFN_RATE_LIMIT_ENABLED="0", ACTFN_MCP_WORKERS=str(workers))
        try:
            _wrk(url, rest_script, 3)
            results["rest, MCP server beside it"] = _wrk(url, rest_script, SECONDS)
            _wrk(mcp.url + "/mcp", mcp_script, 3)
            results["MCP tools/call evaluate"] = _wrk(mcp.url + "/mcp", mcp_script, SECONDS)
        finally:
            mcp.stop()
        # Again alone: the spread between the two "alone" runs is this machine's noise.
        results["rest alone, again"] = _wrk(url, rest_script, SECONDS)
    finally:
        rest.stop()
    base = (results["rest alone"]["rps"] + results["rest alone, again"]["rps"]) / 2
    out(f"## MCP beside REST (gunicorn, {workers} workers each, wrk -t2 -c16 -d{SECONDS}s, 100-point GELU)")
    out()
    out("| run | requests/s | p50 ms | p99 ms | vs REST alone (mean of both runs) |")
    out("|---|---|---|---|---|")
    for label, s in results.items():
        out(f"| {label} | {s['rps']:.0f} | {s['50%']:.2f} | {s['99%']:.2f} | {s['rps'] / base:.0%} |")
    out()
    return results


if __name__ == "__main__":
    bench_mcp()

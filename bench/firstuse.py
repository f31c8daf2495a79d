"""First-use latency after a worker is ready (issue #18).

A fresh gunicorn service (the production config, as ``bench/run.py``'s ``bench_http`` starts
it) is asked every request the page (``service/static/js``) or a bot sends, once each, for
every catalog activation: the first request of its kind after ``/readyz`` turned 200, the one
that pays for compiling its programs. One worker (``workers=1``), so every request is a first
use on the worker that answers it. Three rounds:

- cold: JAX's persistent compilation cache (``ACTFN_COMPILATION_CACHE_DIR``) is a fresh empty
  directory: a new host, or a new release;
- warm cache: a second server (a restarted or recycled worker) on the directory the cold round
  filled;
- quiz first: a third server on a new empty directory asked only the quiz and concept requests,
  as a bot's or an LMS's first (in the page's order they come last, after requests that compile
  much of what they need).

Reported: cold start to ready (``Server`` construction until every worker has logged its
warm-up and ``/readyz`` answers 200), and per endpoint p50 and p100 (max) of the first-use
wall time, and every request over the 1 s target. A request over 1 s is sent a second time, to
tell its compilation from its steady cost. With ``log_compiles`` the server runs with
``JAX_LOG_COMPILES=1`` and each request lists the programs it compiled (and their seconds).

    python bench/firstuse.py [--quick] [--bot-depths] [--log-compiles] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.core import CATALOG, Limits  # noqa: E402
from service.core.chain import layers_bucket  # noqa: E402
from service.core.flow import shape_bucket  # noqa: E402
from service.teaching.concepts import CONCEPTS  # noqa: E402
from service.teaching.export import FORMATS  # noqa: E402
from service.teaching.quiz import TOPICS  # noqa: E402
from tests.realserver import Server, request  # noqa: E402

TARGET_S = 1.0
# What the page sends (service/static/js): the curves' grid (curves.js GRID_POINTS, x from
# -5 to 5, and the readout's x appended), the readout's x, the chain's inputs and depth slider
# (index.html: 1..50, default 10), the output panel's scores and the dying-ReLU panel.
GRID = [float(v) for v in np.linspace(-5.0, 5.0, 401)] + [0.5]
READ_X = 0.7
PAGE_DEPTHS = (1, 50)
FLOW_ACTIVATIONS = ("relu", "leaky_relu", "gelu")
FLOW_BODY = {"width": 64, "batch": 64, "bias": -1.0, "init": "he_normal", "seed": 0}
OUTPUT_SCORES = [2.0, 1.0, 0.1]
# Bots may ask any depth up to max_chain_depth (10,000): one per bucket past the page's.
BOT_DEPTHS = (100, 200, 500, 1000, 2000, 5000, 10_000)


def depth_buckets(low: int, high: int) -> list[int]:
    """The largest depth of each chain bucket in low..high (the one a slider lands on last)."""
    return sorted({min(layers_bucket(d), high) for d in range(low, high + 1)})


def flow_depth_buckets(low: int, high: int) -> list[int]:
    """One depth per gradient-flow shape bucket of the page's panel (service/core/flow.py)."""
    width, batch = FLOW_BODY["width"], FLOW_BODY["batch"]
    shapes = {shape_bucket(d, width, batch, Limits()): d for d in range(low, high + 1)}
    return sorted(shapes.values())


@dataclass
class Probe:
    endpoint: str  # the row of the table
    activation: str  # catalog name, or what the request is about
    method: str
    path: str
    body: dict | None = None


@dataclass
class Result:
    endpoint: str
    activation: str
    status: int
    seconds: float
    again: float | None = None  # second send, for the requests over the target
    compiles: list = field(default_factory=list)  # (program, seconds) with log_compiles


def probes(quick: bool = False, bot_depths: bool = False) -> list[Probe]:
    """Every request, in the order the page sends them (curves, readout, chain, then the
    panels); an activation's first request pays for what its later ones share (the properties
    survey behind the chain's bound, for one)."""
    names = [a.name for a in CATALOG]
    elementwise = [a.name for a in CATALOG if a.kind == "elementwise"]
    vector = [a.name for a in CATALOG if a.kind != "elementwise"]
    if quick:
        elementwise, vector = elementwise[:4], vector[:2]
        names = elementwise + vector
    out: list[Probe] = []
    # Curves: one POST per selected activation, 402 points in float64 (curves.js refresh).
    for name in elementwise:
        body = {"activation": name, "x": GRID, "order": 1, "dtype": "float64"}
        out.append(Probe("POST /v1/evaluate (page curve, 402 pts f64)", name, "POST", "/v1/evaluate", body))
    # Output activations (panels.js updateOutput): a few scores, float64; glu needs an even length.
    for name in vector:
        x = OUTPUT_SCORES + [-1.0] if name == "glu" else OUTPUT_SCORES
        body = {"activation": name, "x": x, "order": 1, "dtype": "float64"}
        out.append(Probe("POST /v1/evaluate (page vector, 3 scores f64)", name, "POST", "/v1/evaluate", body))
    # The readout at a new x (curves.js updateReadout) and a bot's default (float32, order 1).
    for name in elementwise:
        path = f"/v1/activations/{name}/evaluate?x={READ_X}&order=1&dtype=float64"
        out.append(Probe("GET /v1/activations/{name}/evaluate (readout, f64)", name, "GET", path))
    for name in elementwise:
        body = {"activation": name, "x": [0.5, 1.0, 2.0]}
        out.append(Probe("POST /v1/evaluate (bot default, f32)", name, "POST", "/v1/evaluate", body))
    # The chain at each depth bucket the slider reaches (chain.js updateChain).
    for depth in depth_buckets(*PAGE_DEPTHS):
        for name in elementwise:
            body = {"activation": name, "depth": depth, "z": 0.5, "weight": 1.0, "bias": 0.0, "dtype": "float64"}
            out.append(
                Probe(f"POST /v1/chain depth {depth} (bucket {layers_bucket(depth)})", name, "POST", "/v1/chain", body)
            )
    if bot_depths:
        for depth in BOT_DEPTHS:
            for name in elementwise:
                body = {"activation": name, "depth": depth, "z": 0.5}
                out.append(
                    Probe(
                        f"POST /v1/chain depth {depth} (bucket {layers_bucket(depth)})", name, "POST", "/v1/chain", body
                    )
                )
    # Properties (a bot's GET /v1/activations/{name}; the page reads the catalog list).
    out.append(Probe("GET /v1/activations?kind=elementwise (catalog)", "-", "GET", "/v1/activations?kind=elementwise"))
    for name in names:
        out.append(Probe("GET /v1/activations/{name} (properties)", name, "GET", f"/v1/activations/{name}"))
    # Plots (bots, LMS pages): SVG and PNG of each element-wise entry, and the chain's plot.
    for name in elementwise:
        out.append(Probe("GET /v1/activations/{name}/plot (svg)", name, "GET", f"/v1/activations/{name}/plot"))
    for name in elementwise:
        path = f"/v1/activations/{name}/plot?format=png"
        out.append(Probe("GET /v1/activations/{name}/plot (png)", name, "GET", path))
    for name in elementwise:
        path = f"/v1/chain/plot?activation={name}&depth=10"
        out.append(Probe("GET /v1/chain/plot (depth 10)", name, "GET", path))
    # Dying ReLU (panels.js updateFlow): its three activations at every depth bucket of the
    # "Layers" input (1..50), then every other element-wise one at the page's default depth.
    flow_depths = flow_depth_buckets(1, 50) if not quick else [10]
    for depth in flow_depths:
        for name in FLOW_ACTIVATIONS:
            body = {"activation": name, "depth": depth, **FLOW_BODY}
            endpoint = f"POST /v1/gradient-flow depth {depth} (page panel)"
            out.append(Probe(endpoint, name, "POST", "/v1/gradient-flow", body))
    for name in elementwise:
        if name not in FLOW_ACTIVATIONS:
            body = {"activation": name, "depth": 10, **FLOW_BODY}
            out.append(
                Probe("POST /v1/gradient-flow depth 10 (other activations)", name, "POST", "/v1/gradient-flow", body)
            )
    # Theory (panels.js loadConcepts, then each concept opened) and practice (quiz).
    out.append(Probe("GET /v1/concepts", "-", "GET", "/v1/concepts"))
    for concept in CONCEPTS:
        out.append(Probe("GET /v1/concepts/{id}", concept, "GET", f"/v1/concepts/{concept}"))
    out.append(Probe("GET /v1/quiz/questions?count=1 (page)", "any", "GET", "/v1/quiz/questions?count=1"))
    for topic in TOPICS:
        path = "/v1/quiz/questions?" + urllib.parse.urlencode({"count": 1, "topics": topic})
        out.append(Probe("GET /v1/quiz/questions?count=1 (page)", topic, "GET", path))
    out.append(Probe("GET /v1/quiz/questions (count 10)", "any", "GET", "/v1/quiz/questions?seed=1"))
    for fmt in FORMATS:
        out.append(Probe("GET /v1/quiz/export", fmt, "GET", f"/v1/quiz/export?format={fmt}&seed=1"))
    return out


COMPILE = re.compile(r"Finished XLA compilation of (.+?) in ([0-9.e-]+) s(?:ec)?")


def send(server: Server, probe: Probe) -> tuple[int, float]:
    body = None if probe.body is None else json.dumps(probe.body).encode()
    start = time.perf_counter()
    status, _, _ = request(server.base + probe.path, body, {"Accept": "application/json"}, timeout=120)
    return status, time.perf_counter() - start


def run_round(cache_dir: Path, plan: list[Probe], log_compiles: bool, out=print) -> dict:
    """One fresh server on ``cache_dir``: its cold start, then every probe once."""
    env = {"ACTFN_RATE_LIMIT_ENABLED": "0", "ACTFN_COMPILATION_CACHE_DIR": str(cache_dir)}
    if log_compiles:
        env["JAX_LOG_COMPILES"] = "1"
    start = time.perf_counter()
    server = Server(Path(tempfile.mkdtemp(prefix="actfn-firstuse-")), workers=1, **env)
    ready_s = time.perf_counter() - start
    warm = re.findall(r"warm in ([0-9.]+) s", server.log())
    results: list[Result] = []
    probe_start = time.perf_counter()
    try:
        for i, probe in enumerate(plan):
            offset = len(server.log())
            status, seconds = send(server, probe)
            result = Result(probe.endpoint, probe.activation, status, seconds)
            if seconds > TARGET_S:
                result.again = send(server, probe)[1]
            if log_compiles:
                result.compiles = [(m, float(s)) for m, s in COMPILE.findall(server.log()[offset:])]
            results.append(result)
            if (i + 1) % 50 == 0:
                out(f"<!-- {i + 1}/{len(plan)} requests, {time.perf_counter() - probe_start:.0f} s -->")
    finally:
        server.stop()
    return {
        "cold_start_to_ready_s": ready_s,
        "worker_warmup_s": [float(w) for w in warm],
        "probe_wall_s": time.perf_counter() - probe_start,
        "cache_mb": sum(p.stat().st_size for p in cache_dir.rglob("*") if p.is_file()) / 2**20,
        "results": results,
    }


def summarise(results: list[Result]) -> dict[str, dict]:
    rows: dict[str, dict] = {}
    for r in results:
        row = rows.setdefault(r.endpoint, {"times": [], "statuses": set(), "slowest": None})
        row["times"].append(r.seconds)
        row["statuses"].add(r.status)
        if row["slowest"] is None or r.seconds > row["slowest"][1]:
            row["slowest"] = (r.activation, r.seconds)
    for row in rows.values():
        t = np.array(row["times"])
        row.update(n=t.size, p50=float(np.median(t)), p100=float(t.max()), over=int((t > TARGET_S).sum()))
    return rows


def report(label: str, rnd: dict, out=print) -> None:
    out(f"### {label}")
    out()
    warm = ", ".join(f"{w:.2f} s" for w in rnd["worker_warmup_s"])
    out(f"- cold start to ready: **{rnd['cold_start_to_ready_s']:.1f} s** (worker warm-up: {warm})")
    out(
        f"- probe: {len(rnd['results'])} requests in {rnd['probe_wall_s']:.0f} s; cache dir after: {rnd['cache_mb']:.1f} MB"
    )
    out()
    out("| endpoint | n | status | p50 ms | p100 ms | slowest | over 1 s |")
    out("|---|---:|---|---:|---:|---|---:|")
    for endpoint, row in summarise(rnd["results"]).items():
        statuses = ",".join(str(s) for s in sorted(row["statuses"]))
        slowest = row["slowest"][0]
        out(
            f"| {endpoint} | {row['n']} | {statuses} | {row['p50'] * 1e3:.0f} | {row['p100'] * 1e3:.0f} "
            f"| {slowest} | {row['over']} |"
        )
    out()
    slow = sorted((r for r in rnd["results"] if r.seconds > TARGET_S), key=lambda r: -r.seconds)
    out(f"Requests over {TARGET_S:g} s on first use: {len(slow)}")
    out()
    if slow:
        out("| endpoint | activation | first ms | again ms | compiled (s) |")
        out("|---|---|---:|---:|---|")
        for r in slow:
            again = f"{r.again * 1e3:.0f}" if r.again is not None else ""
            compiled = "; ".join(f"{name} {s:.2f}" for name, s in r.compiles[:6])
            more = f" (+{len(r.compiles) - 6})" if len(r.compiles) > 6 else ""
            out(f"| {r.endpoint} | {r.activation} | {r.seconds * 1e3:.0f} | {again} | {compiled}{more} |")
        out()


def quiz_and_concepts_first(plan: list[Probe]) -> list[Probe]:
    """The quiz and concept requests of ``plan`` alone, in its order: what a bot or an LMS
    sends as a worker's very first requests (a teacher's export), where nothing the page's
    requests compile has been compiled yet."""
    return [p for p in plan if p.path.startswith(("/v1/quiz", "/v1/concepts"))]


def measure(out=print, quick: bool = False, bot_depths: bool = False, log_compiles: bool = False) -> dict:
    """Three rounds: every probe with an empty compilation cache, then with the cache the first
    filled; then the quiz and concepts first, in a fresh worker on a new empty cache. Markdown
    lines through ``out``; returns the numbers (``results`` as lists of dicts)."""
    plan = probes(quick=quick, bot_depths=bot_depths)
    cache_dir = Path(tempfile.mkdtemp(prefix="actfn-firstuse-cache-"))
    lms_cache_dir = Path(tempfile.mkdtemp(prefix="actfn-firstuse-cache-"))
    start = time.perf_counter()
    out(f"## First use after ready (1 worker, {len(plan)} requests per round, target {TARGET_S:g} s)")
    out()
    try:
        cold = run_round(cache_dir, plan, log_compiles, out)
        report("Empty compilation cache (a new host or release)", cold, out)
        warm = run_round(cache_dir, plan, log_compiles, out)
        report("Compilation cache filled by the first round (a restarted worker)", warm, out)
        lms = run_round(lms_cache_dir, quiz_and_concepts_first(plan), log_compiles, out)
        report("Quiz and concepts first (a bot or an LMS; fresh worker, empty compilation cache)", lms, out)
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)
        shutil.rmtree(lms_cache_dir, ignore_errors=True)
    total = time.perf_counter() - start
    out(f"Total wall time of the probe: {total:.0f} s")
    rounds = {"cold": cold, "warm_cache": warm, "quiz_first": lms}
    return {
        "total_s": total,
        **{
            name: {**rnd, "results": [asdict(r) for r in rnd["results"]], "summary": summarise(rnd["results"])}
            for name, rnd in rounds.items()
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few activations only (a smoke test)")
    parser.add_argument("--bot-depths", action="store_true", help=f"also chain depths {BOT_DEPTHS}")
    parser.add_argument("--log-compiles", action="store_true", help="JAX_LOG_COMPILES=1: programs per request")
    parser.add_argument("--json", type=Path, help="write the numbers here")
    args = parser.parse_args()
    os.chdir(ROOT)
    numbers = measure(print, args.quick, args.bot_depths, args.log_compiles)
    if args.json:
        args.json.write_text(json.dumps(numbers, default=lambda o: sorted(o) if isinstance(o, set) else str(o)))


if __name__ == "__main__":
    main()

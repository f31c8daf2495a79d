"""The page's speed as a reader meets it, on a warm server: time from navigation to the first
curve drawn, and what a first visit transfers (compressed, libraries and fonts included).

    python bench/page.py          # or as part of `make bench`

Real gunicorn (the shipped config) and real headless Chromium (apt-get install chromium
chromium-driver), at 1280×800 and 375×800 (2×, mobile). The page marks `actfn:first-curve`
(performance.mark) when the f panel is first drawn with data; the time is that mark's, from
navigation start. Each view is loaded once to warm the server, then `LOADS` times from an
empty browser cache.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browser import CHROMIUM, DRIVER, chromium, wait  # noqa: E402
from realserver import Server  # noqa: E402

LOADS = 10
VIEWS = {"desktop 1280×800": (1280, 800, 1), "phone 375×800 (2×)": (375, 800, 2)}
_FIRST_CURVE = "const m = performance.getEntriesByName('actfn:first-curve'); return m.length ? m[0].startTime : null;"
_TRANSFERRED = (
    "return performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))"
    ".filter((e) => !e.name.includes('/v1/')).reduce((sum, e) => sum + e.transferSize, 0);"
)


def _load(driver, base: str) -> tuple[float, int]:
    driver.get("about:blank")
    driver.execute_cdp_cmd("Network.clearBrowserCache", {})
    driver.get(base + "/")
    wait(driver, lambda d: d.execute_script(_FIRST_CURVE) is not None, timeout=60)
    wait(driver, lambda d: d.execute_script("return document.body.dataset.ready") == "true", timeout=60)
    return driver.execute_script(_FIRST_CURVE), driver.execute_script(_TRANSFERRED)


def bench_page(out=print) -> dict:
    """{view: {"first_curve_ms": [..], "transferred_kb": n}}; {} where Chromium is missing."""
    if not (CHROMIUM and DRIVER):
        out("## Page: skipped (apt-get install chromium chromium-driver)")
        return {}
    server = Server(
        Path(tempfile.mkdtemp(prefix="actfn-bench-page-")), workers=os.cpu_count() or 2, ACTFN_RATE_LIMIT_ENABLED="0"
    )
    results: dict = {}
    try:
        for view, (width, height, ratio) in VIEWS.items():
            with chromium(width, height) as driver:
                driver.execute_cdp_cmd(
                    "Emulation.setDeviceMetricsOverride",
                    {"width": width, "height": height, "deviceScaleFactor": ratio, "mobile": ratio > 1},
                )
                for _ in range(2):  # every worker has compiled what the page asks for
                    _load(driver, server.base)
                loads = [_load(driver, server.base) for _ in range(LOADS)]
            results[view] = {"first_curve_ms": [t for t, _ in loads], "transferred_kb": loads[-1][1] / 1000}
    finally:
        server.stop()
    out(f"## Page (warm gunicorn, headless Chromium, {LOADS} loads per view, empty browser cache)")
    out()
    out("| view | first curve p50 ms | first curve max ms | first visit transfers |")
    out("|---|---|---|---|")
    for view, r in results.items():
        times = r["first_curve_ms"]
        out(f"| {view} | {statistics.median(times):.0f} | {max(times):.0f} | {r['transferred_kb']:.0f} kB |")
    out()
    return results


if __name__ == "__main__":
    bench_page()

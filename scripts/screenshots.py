"""Screenshots of the page's panels for the README (docs/img/), in real headless Chromium.

    python scripts/screenshots.py      # needs chromium and chromium-driver (make tools)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
os.environ.setdefault("ACTFN_RATE_LIMIT_ENABLED", "0")

from browser import chromium, live, wait  # noqa: E402

from service import create_app  # noqa: E402

OUT = ROOT / "docs" / "img"
SECTIONS = {
    "page-curves": "curve-title",
    "page-chain": "chain-title",
    "page-theory": "theory-title",
    "page-maths": "maths-title",
    "page-output": "output-title",
    "page-dying-relu": "flow-title",
    "page-quiz": "quiz-title",
}


def main() -> None:
    from selenium.webdriver.common.by import By

    OUT.mkdir(parents=True, exist_ok=True)
    with live(create_app()) as url, chromium(1280, 900) as driver:
        driver.get(url + "/#a=sigmoid,relu,gelu&depth=20&z=0.5")
        wait(driver, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")
        driver.find_element(By.CSS_SELECTOR, "#concept-vanishing-exploding summary").click()
        wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#concept-vanishing-exploding .illustrations li"))
        driver.find_element(By.ID, "quiz-new").click()
        wait(driver, lambda d: d.find_element(By.ID, "quiz-text").text != "")
        for _ in range(25):
            driver.find_element(By.ID, "walk-step").click()
        driver.save_screenshot(str(OUT / "page.png"))
        driver.set_window_size(1280, 2200)  # each section whole
        for name, heading in SECTIONS.items():
            section = driver.find_element(By.ID, heading).find_element(By.XPATH, "..")
            driver.execute_script("arguments[0].scrollIntoView()", section)
            section.screenshot(str(OUT / f"{name}.png"))
    with live(create_app()) as url, chromium(1280, 900) as driver:
        driver.execute_cdp_cmd(
            "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]}
        )
        driver.get(url + "/#a=sigmoid,relu,gelu&depth=20&z=0.5")
        wait(driver, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")
        driver.save_screenshot(str(OUT / "page-dark.png"))
    with live(create_app()) as url, chromium(375, 800) as driver:
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride", {"width": 375, "height": 800, "deviceScaleFactor": 2, "mobile": True}
        )
        driver.get(url + "/")
        wait(driver, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")
        driver.execute_script("document.getElementById('curve-title').scrollIntoView()")
        driver.save_screenshot(str(OUT / "page-phone.png"))
    print("\n".join(sorted(str(p.relative_to(ROOT)) for p in OUT.glob("page*.png"))))


if __name__ == "__main__":
    main()

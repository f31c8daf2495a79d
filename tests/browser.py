"""Real headless Chromium for the tests that use a page as a person would (Debian's chromium
and chromium-driver; `make test` installs them as root), and the app on a loopback port."""

from __future__ import annotations

import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "build" / "e2e"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


@contextmanager
def live(app):
    """The app served on a free loopback port (threaded werkzeug); yields its base URL."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()


@contextmanager
def chromium(width: int = 1200, height: int = 1700):
    """A headless Chromium driven by chromedriver, recording the console (``driver.get_log
    ("browser")``); skips the test, saying why, where either is missing."""
    if not (CHROMIUM and DRIVER):
        pytest.skip("Chromium is not installed here (apt-get install chromium chromium-driver; make test does as root)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        f"--window-size={width},{height}",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def wait(driver, predicate, timeout: float = 60):
    """``predicate(driver)`` once it is truthy (selenium's WebDriverWait, polled every 0.1 s)."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda d: predicate(d))


def console_errors(driver) -> list[str]:
    """What the page logged as an error since the last call (failed loads included)."""
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]

"""The interactive page (GET /) driven in real headless Chromium (Debian's chromium and
chromium-driver packages; .ci/run installs them). Skips, saying why, only where they are
missing. Screenshots go to build/e2e/."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

pytestmark = pytest.mark.slow  # a real browser: `make test-fast` leaves it out

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "build" / "e2e"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


def test_page_and_assets_are_served(client):
    with client.get("/") as page:
        assert page.status_code == 200 and page.mimetype == "text/html"
        html = page.get_data(as_text=True)
    assert "/static/app.js" in html and "/static/style.css" in html
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html  # no CDN
    for asset, kind in (("app.js", "javascript"), ("style.css", "text/css")):
        with client.get(f"/static/{asset}") as r:
            assert r.status_code == 200 and kind in r.mimetype
    with client.get("/static/../../app.py") as r:
        assert r.status_code == 404


@pytest.fixture(scope="module")
def server(make_app):
    app = make_app()
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM and DRIVER):
        pytest.skip("Chromium is not installed here (apt-get install chromium chromium-driver; .ci/run does)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1200,1700",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _wait(driver, predicate, timeout=60):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda d: predicate(d))


_SNAPSHOT = """
return Array.from(document.querySelectorAll(`#${arguments[0]} tbody tr`)).map((tr) => {
  const out = {...tr.dataset};
  for (const td of tr.querySelectorAll("td")) Object.assign(out, td.dataset);
  return out;
});
"""


def _rows(driver, table: str) -> list[dict]:
    """The table's rows as one snapshot (the page redraws them as answers arrive)."""
    return driver.execute_script(_SNAPSHOT, table)


def test_pick_sigmoid_and_move_the_depth_slider(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    app, url = server
    api = app.test_client()
    browser.get(url + "/")
    _wait(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")

    # Pick sigmoid, drop the default relu.
    browser.find_element(By.ID, "act-sigmoid").click()
    browser.find_element(By.ID, "act-relu").click()
    _wait(browser, lambda d: [r["activation"] for r in _rows(d, "readout")] == ["sigmoid"])

    # The readout shows exactly what /v1/evaluate answers at that x.
    (row,) = _rows(browser, "readout")
    x = float(row["x"])
    shown_value, shown_derivative = float(row["value"]), float(row["derivative"])
    ref = api.post("/v1/evaluate", json={"activation": "sigmoid", "x": [x], "dtype": "float64"}).get_json()
    assert shown_value == ref["value"][0] and shown_derivative == ref["derivative"][0]

    # Move the depth slider with the keyboard: 10 → 15.
    slider = browser.find_element(By.ID, "depth")
    slider.send_keys(*[Keys.ARROW_RIGHT] * 5)
    _wait(
        browser,
        lambda d: [(r["activation"], r["depth"]) for r in _rows(d, "chain-result")] == [("sigmoid", "15")],
    )
    shown = float(_rows(browser, "chain-result")[0]["gradient"])
    chain = api.post("/v1/chain", json={"activation": "sigmoid", "depth": 15, "z": 0.0, "dtype": "float64"}).get_json()
    assert shown == chain["gradient"]
    assert browser.find_element(By.ID, "depth-value").text == "15"

    # A custom formula joins the plot and the tables.
    box = browser.find_element(By.ID, "expression")
    box.clear()
    box.send_keys("x * sigmoid(x)", Keys.ENTER)
    _wait(browser, lambda d: len(_rows(d, "chain-result")) == 2)
    assert browser.find_element(By.ID, "errors").text == ""

    SHOTS.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(SHOTS / "page.png"))


def test_a_bad_formula_shows_the_problem(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _, url = server
    browser.get(url + "/")
    _wait(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")
    box = browser.find_element(By.ID, "expression")
    box.clear()
    box.send_keys("x + import(os)", Keys.ENTER)
    _wait(browser, lambda d: "expression" in d.find_element(By.ID, "errors").text)


def test_fits_a_phone(server, browser):
    from selenium.webdriver.common.by import By

    _, url = server
    browser.set_window_size(375, 900)
    try:
        browser.get(url + "/")
        _wait(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")
        width = browser.execute_script("return document.documentElement.scrollWidth")
        inner = browser.execute_script("return window.innerWidth")
        assert width <= inner, f"page is {width}px wide in a {inner}px window"
        SHOTS.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(SHOTS / "page-375.png"))
    finally:
        browser.set_window_size(1200, 1700)

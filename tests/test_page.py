"""The interactive page (GET /) driven in real headless Chromium (Debian's chromium and
chromium-driver packages; .ci/run installs them). Skips, saying why, only where they are
missing. Screenshots go to build/e2e/."""

from __future__ import annotations

import pytest
from browser import SHOTS, chromium, live, wait

pytestmark = pytest.mark.slow  # a real browser: `make test-fast` leaves it out


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
    with live(app) as url:
        yield app, url


@pytest.fixture(scope="module")
def browser():
    with chromium() as driver:
        yield driver


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
    wait(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")

    # Pick sigmoid, drop the default relu.
    browser.find_element(By.ID, "act-sigmoid").click()
    browser.find_element(By.ID, "act-relu").click()
    wait(browser, lambda d: [r["activation"] for r in _rows(d, "readout")] == ["sigmoid"])

    # The readout shows exactly what /v1/evaluate answers at that x.
    (row,) = _rows(browser, "readout")
    x = float(row["x"])
    shown_value, shown_derivative = float(row["value"]), float(row["derivative"])
    ref = api.post("/v1/evaluate", json={"activation": "sigmoid", "x": [x], "dtype": "float64"}).get_json()
    assert shown_value == ref["value"][0] and shown_derivative == ref["derivative"][0]

    # Move the depth slider with the keyboard: 10 → 15.
    slider = browser.find_element(By.ID, "depth")
    slider.send_keys(*[Keys.ARROW_RIGHT] * 5)
    wait(
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
    wait(browser, lambda d: len(_rows(d, "chain-result")) == 2)
    assert browser.find_element(By.ID, "errors").text == ""

    SHOTS.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(SHOTS / "page.png"))


def test_a_bad_formula_shows_the_problem(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _, url = server
    browser.get(url + "/")
    wait(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")
    box = browser.find_element(By.ID, "expression")
    box.clear()
    box.send_keys("x + import(os)", Keys.ENTER)
    wait(browser, lambda d: "expression" in d.find_element(By.ID, "errors").text)


def test_fits_a_phone(server, browser):
    from selenium.webdriver.common.by import By

    _, url = server
    browser.set_window_size(375, 900)
    try:
        browser.get(url + "/")
        wait(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")
        width = browser.execute_script("return document.documentElement.scrollWidth")
        inner = browser.execute_script("return window.innerWidth")
        assert width <= inner, f"page is {width}px wide in a {inner}px window"
        SHOTS.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(SHOTS / "page-375.png"))
    finally:
        browser.set_window_size(1200, 1700)

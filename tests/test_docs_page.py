"""The API reference at GET /docs, used in real headless Chromium as an integrator would: it
renders every operation of the committed OpenAPI 3.1 spec, "Try it out" calls the running
service, and the page logs no error. Skips, saying why, only where Chromium is missing."""

from __future__ import annotations

import json

import pytest
from browser import SHOTS, chromium, console_errors, live, wait
from selenium.common.exceptions import TimeoutException

pytestmark = pytest.mark.slow  # a real browser: `make test-fast` leaves it out


@pytest.fixture(scope="module")
def docs(make_app):
    app = make_app()
    with live(app) as url, chromium(1280, 900) as driver:
        driver.get(url + "/docs")
        yield app, url, driver


_OPERATIONS = """return Array.from(document.querySelectorAll('.opblock')).map((block) => {
  const method = block.querySelector('.opblock-summary-method');
  const path = block.querySelector('.opblock-summary-path');
  return [method ? method.textContent.trim().toLowerCase() : '', path ? path.getAttribute('data-path') : ''];
});"""


def _operations(driver) -> set[tuple[str, str]]:
    """(method, path) of every operation block Swagger UI drew."""
    return {tuple(pair) for pair in driver.execute_script(_OPERATIONS)}


def test_every_operation_of_the_spec_is_on_the_page(docs):
    app, _, driver = docs
    spec = app.test_client().get("/openapi.json").get_json()
    wanted = {(method, path) for path, item in spec["paths"].items() for method in item if method != "parameters"}
    assert len(wanted) >= 15
    try:
        wait(driver, lambda d: _operations(d) >= wanted, timeout=60)
    except TimeoutException:
        raise AssertionError(f"not on the page: {sorted(wanted - _operations(driver))}") from None
    finally:
        SHOTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(SHOTS / "docs.png"))
    assert not driver.find_elements("css selector", ".errors-wrapper, .information-container .error")
    assert console_errors(driver) == []


def test_try_it_out_calls_the_service_and_shows_the_answer(docs):
    _, _, driver = docs
    wait(driver, lambda d: ("post", "/v1/evaluate") in _operations(d))
    block = driver.execute_script(
        """return Array.from(document.querySelectorAll('.opblock-post')).find((b) =>
             b.querySelector('.opblock-summary-path').getAttribute('data-path') === '/v1/evaluate');"""
    )
    driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", block)
    block.find_element("css selector", ".opblock-summary").click()
    wait(driver, lambda d: block.find_elements("css selector", ".try-out__btn"))
    block.find_element("css selector", ".try-out__btn").click()
    editor = wait(driver, lambda d: block.find_elements("css selector", "textarea.body-param__text"))[0]
    # The body Swagger UI offers is the spec's example: it must be a valid request as it stands.
    offered = json.loads(editor.get_attribute("value"))
    assert offered["activation"] and offered["x"], offered
    block.find_element("css selector", ".execute").click()
    status = wait(
        driver,
        lambda d: [
            el.text.strip()
            for el in block.find_elements("css selector", ".live-responses-table .response .response-col_status")
            if el.text.strip()
        ],
    )
    assert status[0] == "200", status
    shown = block.find_element("css selector", ".live-responses-table .response-col_description pre").text
    answer = json.loads(shown)
    assert len(answer["value"]) == len(offered["x"]) and answer["derivative"], answer
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / "docs-try-it-out.png"))
    assert console_errors(driver) == []

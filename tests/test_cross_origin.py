"""A page on another origin calls the service from real headless Chromium, as a lesson page
embedding it would: it reads an export's file name, a problem's details and the rate-limit
budget, and a refusal gunicorn answers before the app (a 414) reaches it as problem+json
instead of "Failed to fetch". Skips, saying why, only where Chromium is missing."""

from __future__ import annotations

import flask
import pytest
from browser import chromium, live, wait
from realserver import Server

pytestmark = pytest.mark.slow  # a real browser and a real gunicorn: `make test-fast` leaves them out

# Run in the page: fetch, and report what the page can see of the answer.
_FETCH = """
const [url, names, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
fetch(url).then(async (r) => {
  const headers = Object.fromEntries(names.map((n) => [n, r.headers.get(n)]));
  done({status: r.status, type: r.headers.get("content-type"), headers, body: await r.text()});
}).catch((e) => done({error: String(e)}));
"""


@pytest.fixture(scope="module")
def page_origin():
    page = flask.Flask("lesson")
    page.add_url_rule("/", view_func=lambda: "<!doctype html><title>lesson</title><p>a lesson page</p>")
    with live(page) as url:
        yield url


def test_a_page_on_another_origin_reads_what_it_needs(make_app, page_origin, tmp_path):
    api = make_app(CORS_ORIGINS=[page_origin])
    server = Server(tmp_path, workers=1, ACTFN_CORS_ORIGINS=page_origin)
    try:
        with live(api) as base, chromium(1000, 800) as driver:
            driver.get(page_origin + "/")
            wait(driver, lambda d: d.execute_script("return document.readyState") == "complete")

            def fetch(url, *names):
                driver.set_script_timeout(60)
                return driver.execute_async_script(_FETCH, url, list(names))

            export = fetch(f"{base}/v1/quiz/export?count=2&seed=7&format=gift", "content-disposition", "x-quiz-seed")
            assert export["status"] == 200, export
            assert export["headers"] == {
                "content-disposition": 'attachment; filename="actfn-quiz-7.gift"',
                "x-quiz-seed": "7",
            }
            bad = fetch(f"{base}/v1/activations/relu/evaluate?x=1&order=1&order=2", "x-request-id")
            assert bad["status"] == 422 and "application/problem+json" in bad["type"] and bad["headers"]["x-request-id"]
            assert '"order"' in bad["body"]
            too_long = fetch(f"{server.base}/v1/activations/tanh/evaluate?x={'1,' * 5000}1")
            assert "error" not in too_long, too_long  # not "Failed to fetch"
            assert too_long["status"] == 414 and "application/problem+json" in too_long["type"], too_long
            reachable = fetch(
                f"{server.base}/v1/activations/tanh/evaluate?x={'&x='.join(['-1.2345678901234567e%2B300'] * 250)}&dtype=float64"
            )
            assert reachable["status"] == 200, reachable
    finally:
        server.stop()

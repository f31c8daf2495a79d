"""The interactive page (GET /) driven in real headless Chromium (Debian's chromium and
chromium-driver packages; .ci/run installs them). Every browser test runs in four views: a
1280×800 desktop and a 375×800 phone (2× pixels, mobile viewport), each light and dark. Skips,
saying why, only where Chromium is missing. Screenshots go to build/e2e/."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from browser import SHOTS, chromium, console_errors, live, wait

STATIC = Path(__file__).resolve().parent.parent / "service" / "static"

pytestmark = pytest.mark.slow  # a real browser: `make test-fast` leaves it out


def test_page_and_assets_are_served(client):
    with client.get("/") as page:
        assert page.status_code == 200 and page.mimetype == "text/html"
        html = page.get_data(as_text=True)
    assert '<script type="module" src="/static/js/main.js">' in html and "/static/style.css" in html
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html  # no CDN
    # The modules, each served as JavaScript (a module's MIME type is checked), each imported
    # by another or preloaded: no file the page never loads, none it loads missing.
    modules = sorted(p.name for p in (STATIC / "js").glob("*.js"))
    imported = {"main.js"}
    for name in modules:
        with client.get(f"/static/js/{name}") as r:
            assert r.status_code == 200 and r.mimetype in ("text/javascript", "application/javascript"), name
            imported |= set(re.findall(r'from "\./([a-z]+\.js)"', r.get_data(as_text=True)))
        assert f'<link rel="modulepreload" href="/static/js/{name}">' in html, name
    assert sorted(imported) == modules
    with client.get("/static/style.css") as r:
        assert r.status_code == 200 and "text/css" in r.mimetype
    with client.get("/static/../../app.py") as r:
        assert r.status_code == 404
    # Vendored from npm by scripts/vendor-static.sh, at the pinned version, with the licence.
    pinned = dict(line.split() for line in (STATIC / "vendor" / "VERSIONS").read_text().splitlines())
    with client.get("/static/vendor/katex/katex.min.js") as r:
        assert r.status_code == 200 and f'version:"{pinned["katex"]}"'.encode() in r.get_data()
    with client.get("/static/vendor/katex/LICENSE") as r:
        assert r.status_code == 200 and b"MIT License" in r.get_data()
    assert "/static/vendor/katex/katex.min.js" in html and "/static/vendor/katex/katex.min.css" in html
    with client.get("/static/vendor/uplot/uPlot.iife.min.js") as r:
        assert r.status_code == 200 and f"(v{pinned['uplot']})".encode() in r.get_data()[:100]
    with client.get("/static/vendor/uplot/LICENSE") as r:
        assert r.status_code == 200 and b"The MIT License" in r.get_data()
    assert "/static/vendor/uplot/uPlot.iife.min.js" in html and "/static/vendor/uplot/uPlot.min.css" in html


@pytest.fixture(scope="module")
def server(make_app):
    app = make_app()
    with live(app) as url:
        yield app, url


# name -> (width, height, device pixel ratio, colour scheme)
VIEWS = {
    "desktop-light": (1280, 800, 1, "light"),
    "desktop-dark": (1280, 800, 1, "dark"),
    "phone-light": (375, 800, 2, "light"),
    "phone-dark": (375, 800, 2, "dark"),
}


@pytest.fixture(scope="module", params=list(VIEWS))
def view(request):
    return request.param


@pytest.fixture(scope="module")
def browser(view):
    """Chromium in one of the VIEWS: the phone's viewport is a mobile one at 2× density (the
    page's `<meta name=viewport>` in force), the scheme what `prefers-color-scheme` reports."""
    width, height, ratio, scheme = VIEWS[view]
    with chromium(width, height) as driver:
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": ratio, "mobile": ratio > 1},
        )
        driver.execute_cdp_cmd(
            "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]}
        )
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

    # The default view is sigmoid and relu; drop relu.
    wait(browser, lambda d: [r["activation"] for r in _rows(d, "readout")] == ["sigmoid", "relu"])
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
    chain = api.post("/v1/chain", json={"activation": "sigmoid", "depth": 15, "z": 0.5, "dtype": "float64"}).get_json()
    assert shown == chain["gradient"]
    assert browser.find_element(By.ID, "depth-value").text == "15"

    # A custom formula joins the plot and the tables.
    box = browser.find_element(By.ID, "expression")
    box.clear()
    box.send_keys("x * sigmoid(x)", Keys.ENTER)
    wait(browser, lambda d: len(_rows(d, "chain-result")) == 2)
    assert browser.find_element(By.ID, "errors").text == ""

    SHOTS.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(SHOTS / f"page-{_view(browser)}.png"))


def test_a_bad_formula_shows_the_problem(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _, url = server
    browser.get(url + "/")
    wait(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")
    box = browser.find_element(By.ID, "expression")
    box.clear()
    box.send_keys("x +* 2", Keys.ENTER)
    # The message sits at the input, and the caret on the character the service names (1-based).
    wait(browser, lambda d: "position 4" in d.find_element(By.ID, "expression-error").text)
    assert box.get_attribute("aria-invalid") == "true"
    assert browser.execute_script("return document.activeElement.id") == "expression"
    assert browser.execute_script("const b = document.getElementById('expression'); return b.selectionStart") == 3
    assert browser.find_element(By.ID, "errors").text == ""


def _view(browser) -> str:
    width, scheme = browser.execute_script(
        "return [window.innerWidth, matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light']"
    )
    return f"{width}-{scheme}"


# Every layout shift, even those flagged `hadRecentInput` (Chromium flags a load's early
# shifts so when WebDriver navigates, though the test gives no input while the page loads).
_SHIFTS = """
window.shifts = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.shifts.push([e.value, e.sources.map((s) => s.node && (s.node.id || s.node.nodeName))]);
}).observe({type: "layout-shift", buffered: true});
"""


def test_fits_the_screen_without_sideways_scroll_or_layout_shift(server, browser):
    _, url = server
    # Layout shifts recorded from the first byte of the page on (Web Vitals' definition).
    script = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": _SHIFTS})
    try:
        _ready(browser, url)
    finally:
        browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": script["identifier"]})
    width = browser.execute_script("return document.documentElement.scrollWidth")
    inner = browser.execute_script("return window.innerWidth")
    assert width <= inner, f"page is {width}px wide in a {inner}px window"
    # Nothing jumps while the data arrives: the cumulative layout shift of the whole load (the
    # catalog, curves, chains and panels filling in) stays "good" (< 0.1).
    shift = browser.execute_script("return new Promise((r) => setTimeout(() => r(window.shifts), 300))")
    assert sum(v for v, _ in shift) < 0.1, shift
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / f"page-{_view(browser)}-top.png"))


_TEXT = "return document.querySelector(arguments[0]).textContent;"


def _ready(browser, url):
    from selenium.webdriver.common.by import By

    browser.get(url + "/")
    wait(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")


def test_the_filter_hides_and_knows_aliases(server, browser):
    from selenium.webdriver.common.by import By

    _, url = server
    _ready(browser, url)
    total = len(browser.find_elements(By.CSS_SELECTOR, "#activation-list label"))
    box = browser.find_element(By.ID, "filter")
    for needle, want in (
        ("swish", ["silu", "hard_silu"]),  # hard_silu's alias is hard_swish
        ("logistic", ["sigmoid"]),
        ("ssp", ["shifted_softplus"]),
        ("hard-tanh", ["hard_tanh"]),
    ):
        box.clear()
        box.send_keys(needle)
        visible = [
            el.get_attribute("for")[4:]
            for el in browser.find_elements(By.CSS_SELECTOR, "#activation-list label")
            if el.is_displayed()
        ]
        assert visible == want, (needle, visible)
        assert browser.find_element(By.ID, "filter-count").text == f"{len(want)} of {total} shown"
    box.clear()
    box.send_keys(" ")
    # No inner scroll hides half the list: every entry is on the page.
    assert browser.execute_script(
        "const l = document.getElementById('activation-list'); return l.scrollHeight <= l.clientHeight + 1"
    )


_SCALE = "const p = arguments[0]; const s = actfn.sliderScale(p); return s.toValue(Number(document.getElementById(arguments[1]).value));"


def test_sliders_teach_land_on_the_default_and_take_exact_values(server, browser):
    from selenium.webdriver.common.by import By

    app, url = server
    catalog = {e["name"]: e for e in app.test_client().get("/v1/activations").get_json()["activations"]}
    _ready(browser, url)
    for name in ("elu", "hard_tanh", "squareplus", "isru", "celu", "leaky_relu", "prelu", "rrelu"):
        browser.find_element(By.ID, f"act-{name}").click()
        for p in catalog[name]["params"]:
            if p["type"] != "float" or p["default"] is None:
                continue
            slider_id = f"param-{name}-{p['name']}"
            exact = browser.find_element(By.ID, f"{slider_id}-exact")
            at = browser.execute_script(_SCALE, p, slider_id)
            assert abs(at - p["default"]) <= 1e-12 * max(1, abs(p["default"])), (name, p["name"], at)
            assert float(exact.get_attribute("value")) == p["default"]
            low, high = browser.execute_script("const s = actfn.sliderScale(arguments[0]); return s.range;", p)
            # A teaching range: within the legal bounds, at most a few hundred times the default's scale.
            assert (p.get("minimum") is None or low >= p["minimum"]) and (
                p.get("maximum") is None or high <= p["maximum"]
            )
            assert high - low <= 400 * max(1, abs(p["default"])), (name, p["name"], low, high)
        browser.find_element(By.ID, f"act-{name}").click()
    # Any valid value through the exact input, beyond the slider's range.
    browser.find_element(By.ID, "act-elu").click()
    exact = browser.find_element(By.ID, "param-elu-alpha-exact")
    exact.clear()
    exact.send_keys("37.5\t")
    wait(browser, lambda d: any(r["activation"] == "elu" for r in _rows(d, "readout")))
    wait(browser, lambda d: "alpha=37.5" in d.find_element(By.CSS_SELECTOR, "#readout tbody").text)


def test_one_bad_param_stays_with_its_activation(server, browser):
    from selenium.webdriver.common.by import By

    _, url = server
    _ready(browser, url)
    browser.find_element(By.ID, "act-hard_tanh").click()
    exact = browser.find_element(By.ID, "param-hard_tanh-min_val-exact")
    exact.clear()
    exact.send_keys("2\t")
    wait(browser, lambda d: "must be <" in d.find_element(By.ID, "param-error-hard_tanh").text)
    wait(browser, lambda d: [r["activation"] for r in _rows(d, "readout")] == ["sigmoid", "relu"])
    assert [r["activation"] for r in _rows(browser, "chain-result")] == ["sigmoid", "relu"]
    assert browser.find_element(By.ID, "errors").text == ""


def test_formulas_are_text_and_odd_answers_are_explained(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _, url = server
    _ready(browser, url)
    box = browser.find_element(By.ID, "expression")
    for text in ("where(x<e, x, e)", "log(x)"):
        box.clear()
        box.send_keys(text, Keys.ENTER)
        wait(browser, lambda d, t=text: t in d.execute_script(_TEXT, "#readout tbody"))
    assert (
        browser.execute_script(
            "return document.querySelectorAll('#expression-list code *, #readout td *:not(.swatch)').length"
        )
        == 0
    )
    codes = [c.text for c in browser.find_elements(By.CSS_SELECTOR, "#expression-list code")]
    assert codes == ["where(x<e, x, e)", "log(x)"]
    # log∘log∘… from z = 0.5 leaves the reals: the verdict says so instead of printing "null".
    wait(
        browser,
        lambda d: any(r.get("verdict") == "None" or r.get("verdict") == "null" for r in _rows(d, "chain-result")),
    )
    cells = browser.execute_script(_TEXT, "#chain-result tbody")
    assert "undefined (not a number)" in cells and "null" not in cells


def test_the_default_depth_view_teaches_and_a_drag_sends_few_requests(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _, url = server
    _ready(browser, url)
    wait(browser, lambda d: len(_rows(d, "chain-result")) == 2)
    verdicts = {r["activation"]: r["verdict"] for r in _rows(browser, "chain-result")}
    assert verdicts == {"sigmoid": "vanishing", "relu": "stable"}
    browser.execute_script(
        "window.chainCalls = 0; const f = window.fetch; window.fetch = (u, i) => {"
        " if (String(u).includes('/v1/chain')) window.chainCalls += 1; return f(u, i); };"
    )
    slider = browser.find_element(By.ID, "depth")
    slider.send_keys(*[Keys.ARROW_RIGHT] * 40)  # 10 → 50, one input event per key
    wait(browser, lambda d: [r["depth"] for r in _rows(d, "chain-result")] == ["50", "50"])
    assert browser.execute_script("return window.chainCalls") <= 3 * 2, "a request per input event"
    wait(browser, lambda d: d.find_element(By.ID, "status").text == "")
    # Depth 1 and a kink: relu from z = 0 gets the convention explained.
    for _ in range(49):
        slider.send_keys(Keys.ARROW_LEFT)
    z = browser.find_element(By.ID, "chain-z")
    z.clear()
    z.send_keys("0\t")
    wait(browser, lambda d: [r["depth"] for r in _rows(d, "chain-result")] == ["1", "1"])
    wait(browser, lambda d: "relu: z = 0 is a kink" in d.find_element(By.ID, "chain-note").text)


def test_formulas_typeset_and_code_to_copy(server, browser):
    from selenium.webdriver.common.by import By

    app, url = server
    _ready(browser, url)
    # Every formula and derivative of the catalog typesets in KaTeX without an error.
    catalog = app.test_client().get("/v1/activations").get_json()["activations"]
    broken = browser.execute_script(
        """return arguments[0].flatMap((e) => [e.formula, e.derivative_formula].map((tex) => {
             try { katex.renderToString(tex, {throwOnError: true}); return null; }
             catch (err) { return e.name + ": " + err.message; }
           })).filter(Boolean);""",
        catalog,
    )
    assert broken == []
    article = browser.find_element(By.CSS_SELECTOR, '#maths article[data-activation="sigmoid"]')
    assert len(article.find_elements(By.CSS_SELECTOR, ".formula .katex math")) == 2  # f and f′, with MathML
    code = article.find_element(By.CSS_SELECTOR, "pre code")
    assert "jax.nn.sigmoid(x)" in code.text and "jax.grad" in code.text
    article.find_element(By.ID, "code-sigmoid-pytorch").click()
    assert "torch.sigmoid(x)" in code.text
    assert article.find_element(By.ID, "code-sigmoid-pytorch").get_attribute("aria-selected") == "true"
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.execute_script("arguments[0].scrollIntoView()", article)
    article.screenshot(str(SHOTS / "page-maths.png"))
    article.find_element(By.CSS_SELECTOR, "button.copy").click()
    status = article.find_element(By.CSS_SELECTOR, ".code [role=status]")
    wait(browser, lambda d: status.text in ("copied", "selected: press Ctrl+C"))
    # The page's own icon: no 404 in the console.
    with app.test_client().get("/favicon.ico") as icon:
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert [m for m in console_errors(browser) if "favicon" in m or "status of 404" in m] == []


def test_practice_questions_are_answered_and_graded_in_the_page(server, browser):
    from selenium.webdriver.common.by import By

    app, url = server
    api = app.test_client()
    _ready(browser, url)
    for topic in ("saturation", "vanishing-gradients", "output-activations"):
        browser.find_element(By.CSS_SELECTOR, f'#quiz-topic option[value="{topic}"]').click()
        browser.find_element(By.ID, "quiz-new").click()
        wait(
            browser,
            lambda d, t=topic: (
                d.find_element(By.ID, "quiz-text").text != ""
                and d.execute_script("return actfn.quiz.question && actfn.quiz.question.topic") == t
            ),
        )
        question = browser.execute_script("return actfn.quiz.question")
        # Asking for the answer shows it with its explanation.
        browser.find_element(By.ID, "quiz-reveal").click()
        wait(browser, lambda d: d.find_element(By.ID, "quiz-result").text.startswith(("The answer:", "Right.")))
        any_answer = False if question["type"] == "true_false" else 0
        graded = api.post("/v1/quiz/grade", json={"id": question["id"], "answer": any_answer, "reveal": True})
        expected = graded.get_json()["expected"]
        # Answering right is graded right, with the explanation.
        if question["type"] == "numeric":
            box = browser.find_element(By.ID, "quiz-number")
            box.clear()
            box.send_keys(str(expected))
        elif question["type"] == "true_false":
            browser.find_element(By.CSS_SELECTOR, f'input[name="quiz-choice"][value="{str(expected).lower()}"]').click()
        else:
            index = expected if isinstance(expected, int) else question["choices"].index(expected)
            browser.find_element(By.ID, f"quiz-choice-{index}").click()
        browser.execute_script("delete document.getElementById('quiz-result').dataset.correct")
        browser.find_element(By.CSS_SELECTOR, "#quiz-form button[type=submit]").click()
        wait(browser, lambda d: d.find_element(By.ID, "quiz-result").get_attribute("data-correct") == "true")
        assert len(browser.find_element(By.ID, "quiz-result").text) > len("Right. ")


def test_dying_relu_shows_dead_units_per_layer(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    app, url = server
    _ready(browser, url)
    rows = {r["activation"]: json.loads(r["dead"]) for r in _rows(browser, "flow-result")}
    assert set(rows) == {"relu", "leaky_relu", "gelu"}
    want = (
        app.test_client()
        .post(
            "/v1/gradient-flow",
            json={
                "activation": "relu",
                "depth": 10,
                "width": 64,
                "batch": 64,
                "bias": -1.0,
                "init": "he_normal",
                "seed": 0,
            },
        )
        .get_json()
    )
    assert rows["relu"] == [layer["dead_fraction"] for layer in want["layers"]]
    assert rows["relu"][-1] > 0.5 and max(rows["leaky_relu"]) == 0 and max(rows["gelu"]) == 0
    # A positive bias revives them.
    slider = browser.find_element(By.ID, "flow-bias")
    slider.send_keys(*[Keys.ARROW_RIGHT] * 8)  # −1 → +1
    wait(browser, lambda d: max(json.loads(_rows(d, "flow-result")[0]["dead"])) < 0.5)


def test_theory_reads_and_its_illustrations_set_the_plots(server, browser):
    from selenium.webdriver.common.by import By

    app, url = server
    _ready(browser, url)
    concepts = app.test_client().get("/v1/concepts").get_json()["concepts"]
    assert len(browser.find_elements(By.CSS_SELECTOR, "#concepts details")) == len(concepts)
    browser.find_element(By.CSS_SELECTOR, "#concept-nonlinearity summary").click()
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#concept-nonlinearity .illustrations li"))
    full = app.test_client().get("/v1/concepts/nonlinearity").get_json()
    text = browser.find_element(By.ID, "concept-nonlinearity").text
    assert full["body"][0][:40] in text
    # "Show" on the tanh chain illustration: the chain view now holds exactly that request.
    target = next(i for i in full["illustrations"] if i["request"]["body"]["activation"] == "tanh")
    items = browser.find_elements(By.CSS_SELECTOR, "#concept-nonlinearity .illustrations li")
    item = next(li for li in items if li.text.startswith(target["label"]))
    item.find_element(By.CSS_SELECTOR, "button.show").click()
    wait(browser, lambda d: [r["activation"] for r in _rows(d, "chain-result")] == ["tanh"])
    (row,) = _rows(browser, "chain-result")
    assert float(row["gradient"]) == target["value"]


def test_output_activations_show_probabilities_and_the_jacobian(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    app, url = server
    api = app.test_client()
    _ready(browser, url)
    box = browser.find_element(By.ID, "logits")
    for name in ("softmax", "log_softmax", "softmin"):
        browser.find_element(By.CSS_SELECTOR, f'#output-activation option[value="{name}"]').click()
        box.clear()
        box.send_keys("40, 0, -1.5", Keys.ENTER)
        want = api.post("/v1/evaluate", json={"activation": name, "x": [40, 0, -1.5], "dtype": "float64"}).get_json()
        wait(browser, lambda d, w=want: [float(r["value"]) for r in _rows(d, "output-result")] == w["value"])
        cells = browser.execute_script(
            "return Array.from(document.querySelectorAll('#jacobian td')).map((td) => Number(td.dataset.value));"
        )
        assert cells == [v for row in want["jacobian"] for v in row]
    box.clear()
    box.send_keys("2, oops", Keys.ENTER)
    wait(browser, lambda d: "numbers separated by commas" in d.find_element(By.ID, "logits-error").text)


def test_step_through_the_chain_forward_then_back(server, browser):
    from selenium.webdriver.common.by import By

    app, url = server
    _ready(browser, url)
    wait(browser, lambda d: len(_rows(d, "chain-result")) == 2)
    browser.find_element(By.CSS_SELECTOR, '#walk-activation option[value="sigmoid"]').click()
    chain = (
        app.test_client()
        .post(
            "/v1/chain",
            json={"activation": "sigmoid", "depth": 10, "z": 0.5, "weight": 1, "bias": 0, "dtype": "float64"},
        )
        .get_json()
    )
    step = browser.find_element(By.ID, "walk-step")
    for _ in range(3):
        step.click()
    caption = browser.find_element(By.ID, "walk-caption")
    assert caption.text.startswith("Forward, layer 3") and fmt_in(chain["layers"][2]["output"], caption.text)
    browser.find_element(By.ID, "walk-play").click()
    wait(browser, lambda d: d.find_element(By.ID, "walk-caption").get_attribute("data-step") == "20", timeout=30)
    bottom = browser.execute_script(
        "return Number(document.querySelector('#walk-layers li[data-layer=\"1\"] .walk-g').dataset.gradient)"
    )
    assert bottom == pytest.approx(chain["gradient"], rel=1e-12)
    assert "Done: vanishing" in browser.find_element(By.ID, "walk-caption").text
    browser.find_element(By.ID, "walk-reset").click()
    assert browser.find_element(By.ID, "walk-caption").get_attribute("data-step") == "0"


def fmt_in(value: float, text: str) -> bool:
    """The page writes numbers with 6 significant digits."""
    return f"{value:.6g}" in text


def _select_only(browser, names):
    from selenium.webdriver.common.by import By

    for box in browser.find_elements(By.CSS_SELECTOR, "#activation-list input"):
        if box.is_selected() != (box.get_attribute("value") in names):
            box.click()
    wait(browser, lambda d: sorted(r["activation"] for r in _rows(d, "readout")) == sorted(names))


# How many pixels of the f panel, inside a box given in the plot's own units (x from x0 to x1,
# y from y0 to y1), are drawn in the colour of the first curve.
_INK = """
const [x0, x1, y0, y1] = arguments;
const canvas = document.querySelector("#curve canvas");
const over = document.querySelector("#curve .u-over").getBoundingClientRect();
const box = canvas.getBoundingClientRect();
const ratio = canvas.width / box.width;
const [xmin, xmax] = ["xmin", "xmax"].map((id) => Number(document.getElementById(id).value));
const [ylo, yhi] = actfn.view.range.value;
const X = (x) => Math.round((over.left - box.left + ((x - xmin) / (xmax - xmin)) * over.width) * ratio);
const Y = (y) => Math.round((over.top - box.top + ((yhi - y) / (yhi - ylo)) * over.height) * ratio);
const pixels = canvas.getContext("2d").getImageData(X(x0), Y(y1), X(x1) - X(x0) + 1, Y(y0) - Y(y1) + 1).data;
const ink = actfn.PALETTE[0].match(/[0-9a-f]{2}/gi).map((h) => parseInt(h, 16));
let n = 0;
for (let i = 0; i < pixels.length; i += 4) {
  if (pixels[i + 3] > 128 && Math.hypot(pixels[i] - ink[0], pixels[i + 1] - ink[1], pixels[i + 2] - ink[2]) < 60) n += 1;
}
return n;
"""


def test_a_jump_is_drawn_as_a_gap(server, browser):
    _, url = server
    _ready(browser, url)
    # hardshrink (λ = 0.5) is 0 up to x = 0.5, then x: nothing may be drawn between.
    _select_only(browser, ["hardshrink"])
    wait(browser, lambda d: d.execute_script("return actfn.view.pieces.value.hardshrink") == 3)
    assert browser.execute_script(_INK, 0.45, 0.55, 0.1, 0.4) == 0, "a vertical line at the jump"
    assert browser.execute_script(_INK, 0.9, 1.1, 0.85, 1.15) > 0  # the curve itself is seen


def test_the_curves_read_well(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _, url = server
    _ready(browser, url)
    # Jumps are gaps, not vertical lines: binary_step's f and relu's f′ are drawn in two pieces.
    _select_only(browser, ["binary_step", "relu", "tanh"])
    pieces = browser.execute_script("return [actfn.view.pieces.value, actfn.view.pieces.derivative]")
    assert pieces[0] == {"binary_step": 2, "relu": 1, "tanh": 1} and pieces[1]["relu"] == 2, pieces
    # The legend is beside the plot, one entry per curve; up to 12 curves keep distinct colours.
    legend = [li.get_attribute("data-activation") for li in browser.find_elements(By.CSS_SELECTOR, "#legend li")]
    assert sorted(legend) == ["binary_step", "relu", "tanh"]
    assert len(set(browser.execute_script("return actfn.PALETTE"))) == 12
    # A pole does not flatten the other curves, and the y range can be set by hand.
    box = browser.find_element(By.ID, "expression")
    box.clear()
    box.send_keys("1/x", Keys.ENTER)
    wait(browser, lambda d: any(r["activation"].startswith("expr:") for r in _rows(d, "readout")))
    low, high = browser.execute_script("return actfn.view.range.value")
    assert high - low < 50, (low, high)
    for field, value in (("ymin", "-2"), ("ymax", "3")):
        browser.find_element(By.ID, field).send_keys(value, Keys.TAB)
    wait(browser, lambda d: d.execute_script("return actfn.view.range.value") == [-2, 3])
    # Tick labels stay short.
    assert browser.execute_script(
        "const tick = actfn.tick; return [tick(100000), tick(0.0001), tick(2.5), tick(-1)]"
    ) == [
        "1e5",
        "1e-4",
        "2.5",
        "-1",
    ]


def test_the_plots_are_sharp_and_a_tap_or_click_reads_them(server, browser, view):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    _, url = server
    width, _, ratio, _ = VIEWS[view]
    _ready(browser, url)
    for plot in ("curve", "curve-derivative", "chain", "flow"):
        css_width, bitmap_width = browser.execute_script(
            "const c = document.querySelector(`#${arguments[0]} canvas`); return [c.clientWidth, c.width];", plot
        )
        # Drawn at the device's density and at the size shown, not a fixed bitmap scaled down.
        assert css_width <= width - 16 and bitmap_width == round(ratio * css_width), (plot, css_width, bitmap_width)
    plot = browser.find_element(By.ID, "curve")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", plot)
    before = browser.find_element(By.ID, "read-x").get_attribute("value")
    if ratio > 1:  # a phone: a real touch (touchstart, touchend), not a mouse click
        box = browser.execute_script(
            "const r = document.querySelector('#curve .u-over').getBoundingClientRect(); return [r.left, r.top, r.width, r.height];"
        )
        point = {"x": box[0] + box[2] / 5, "y": box[1] + box[3] / 2}
        browser.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [point]})
        browser.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    else:
        ActionChains(browser).move_to_element_with_offset(plot, -plot.size["width"] // 4, 0).click().perform()
    wait(browser, lambda d: d.find_element(By.ID, "read-x").get_attribute("value") != before)
    assert float(browser.find_element(By.ID, "read-x").get_attribute("value")) < 0  # left of centre: x < 0


def _luminance(rgb):
    channels = [c / 255 for c in rgb]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_every_curve_stands_out_from_the_background(server, browser, view):
    _, url = server
    _ready(browser, url)
    scheme, background = browser.execute_script(
        "const s = getComputedStyle(document.documentElement); return [s.colorScheme, getComputedStyle(document.body).backgroundColor];"
    )
    assert scheme == "light dark"  # form controls and scroll bars follow the theme too
    bg = [int(v) for v in background[background.index("(") + 1 : background.index(")")].split(",")[:3]]
    assert (_luminance(bg) < 0.05) == view.endswith("dark")
    for colour in browser.execute_script("return actfn.PALETTE"):
        rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
        light, dark = sorted((_luminance(rgb), _luminance(bg)), reverse=True)
        assert (light + 0.05) / (dark + 0.05) >= 3.0, colour  # WCAG 1.4.11: graphics at 3:1


def test_the_view_is_in_the_url(server, browser):
    from selenium.webdriver.common.by import By

    _, url = server
    browser.get("about:blank")
    browser.get(url + "/#a=elu,tanh&p=elu.alpha:0.5&f=x*sigmoid(x)&x=-3,4&depth=7&z=0.25&w=0.9&b=0")
    wait(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")
    wait(browser, lambda d: len(_rows(d, "chain-result")) == 3)
    rows = _rows(browser, "chain-result")
    assert [r["activation"] for r in rows][:2] == ["elu", "tanh"] and rows[2]["activation"].startswith("expr:")
    assert {r["depth"] for r in rows} == {"7"}
    assert browser.find_element(By.ID, "param-elu-alpha-exact").get_attribute("value") == "0.5"
    assert (
        browser.find_element(By.ID, "xmin").get_attribute("value"),
        browser.find_element(By.ID, "xmax").get_attribute("value"),
    ) == ("-3", "4")
    # A change is written back, so the address can be shared as it is.
    browser.find_element(By.ID, "act-tanh").click()
    wait(browser, lambda d: "a=elu&" in d.execute_script("return location.hash"))


AXE = Path(__file__).resolve().parent.parent / "build" / "npm" / "node_modules" / "axe-core" / "axe.min.js"


def _axe(browser) -> list[str]:
    """axe-core's violations on the page as it is now (WCAG 2.1 A and AA rules)."""
    if not AXE.exists():
        pytest.skip("axe-core is not installed (make tools installs it from npm into build/npm)")
    browser.execute_script(AXE.read_text())
    browser.set_script_timeout(60)
    result = browser.execute_async_script(
        "const done = arguments[0]; axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})"
        ".then((r) => done(r.violations.map((v) => v.id + ': ' + v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(' | '))));"
    )
    return result


def test_no_accessibility_violation_in_any_panel_state(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _, url = server
    _ready(browser, url)
    assert _axe(browser) == [], "on load"
    # Every panel opened: params, a concept, a question, a bad formula, the walk.
    browser.find_element(By.ID, "act-elu").click()
    browser.find_element(By.CSS_SELECTOR, "#concept-saturation summary").click()
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#concept-saturation .illustrations li"))
    browser.find_element(By.ID, "quiz-new").click()
    wait(browser, lambda d: d.find_element(By.ID, "quiz-text").text != "")
    box = browser.find_element(By.ID, "expression")
    box.clear()
    box.send_keys("x +* 2", Keys.ENTER)
    wait(browser, lambda d: d.find_element(By.ID, "expression-error").text != "")
    browser.find_element(By.ID, "walk-step").click()
    assert _axe(browser) == [], "with every panel open"


def test_the_keyboard_reaches_every_control_in_reasonable_steps(server, browser):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _, url = server
    _ready(browser, url)
    # Real Tab presses from the top of the page: every room is reached, and the last control
    # in fewer than 50 (the catalog, the zoom toolbar and each code block's tabs are one stop).
    browser.execute_script("document.activeElement.blur(); window.scrollTo(0, 0)")
    order = []
    for _ in range(60):
        ActionChains(browser).send_keys(Keys.TAB).perform()
        order.append(browser.execute_script("const e = document.activeElement; return e.id || e.tagName"))
        if order[-1] == "quiz-new":
            break
    assert order[-1] == "quiz-new" and len(order) < 50, order
    for control in (
        "filter",
        "expression",
        "curve",
        "zoom-in",
        "depth",
        "walk-play",
        "code-sigmoid-jax",
        "logits",
        "flow-bias",
    ):
        assert control in order, control
    assert sum(1 for c in order if c.startswith("act-")) == 1 and "zoom-out" not in order
    # In the catalog the arrow keys move and Space ticks; in a code block ← → switch the tab.
    first = browser.find_element(By.ID, "act-identity")
    first.send_keys(Keys.ARROW_DOWN, Keys.ARROW_DOWN)
    assert browser.execute_script("return document.activeElement.id") == "act-relu6"
    ActionChains(browser).send_keys(Keys.SPACE).perform()
    wait(browser, lambda d: "relu6" in [r["activation"] for r in _rows(d, "readout")])
    browser.find_element(By.ID, "code-sigmoid-jax").send_keys(Keys.ARROW_RIGHT)
    assert browser.find_element(By.ID, "code-sigmoid-pytorch").get_attribute("aria-selected") == "true"
    assert "import torch" in browser.find_element(By.ID, "code-sigmoid").text


def test_one_request_per_activation_per_change_and_none_to_read_the_plot(server, browser):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    _, url = server
    _ready(browser, url)
    browser.execute_script(
        "window.calls = []; const f = window.fetch; window.fetch = (u, i) => { window.calls.push(String(u)); return f(u, i); };"
    )
    # A param change: one /v1/evaluate per activation (the curve and the readout together).
    browser.find_element(By.ID, "act-elu").click()
    wait(browser, lambda d: any(r["activation"] == "elu" for r in _rows(d, "readout")))
    browser.execute_script("window.calls = []")
    exact = browser.find_element(By.ID, "param-elu-alpha-exact")
    exact.clear()
    exact.send_keys("0.5\t")
    wait(browser, lambda d: "alpha=0.5" in d.find_element(By.CSS_SELECTOR, "#readout tbody").text)
    evaluates = [c for c in browser.execute_script("return window.calls") if "evaluate" in c]
    assert len(evaluates) == 3, evaluates  # sigmoid, relu, elu
    # Reading the plot with the pointer asks for nothing: the values are held.
    browser.execute_script("window.calls = []")
    canvas = browser.find_element(By.ID, "curve")
    ActionChains(browser).move_to_element_with_offset(canvas, -100, 0).perform()  # left of x = 0.5
    wait(browser, lambda d: d.find_element(By.ID, "read-x").get_attribute("value") != "0.5")
    browser.execute_script("return new Promise((r) => setTimeout(r, 300))")
    assert [c for c in browser.execute_script("return window.calls") if "evaluate" in c] == []


def test_the_page_is_light_and_its_text_files_are_compressed(server, browser, client):
    """Page weight (what the browser transferred, compressed, libraries and fonts included) is
    at most 300 kB; text files go gzipped to clients that take it, and revalidate."""
    _, url = server
    browser.get("about:blank")
    browser.execute_cdp_cmd("Network.clearBrowserCache", {})  # a first visit: nothing cached
    _ready(browser, url)
    transferred = browser.execute_script(
        "return performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))"
        ".filter((e) => !e.name.includes('/v1/')).reduce((sum, e) => sum + e.transferSize, 0);"
    )
    assert 0 < transferred <= 300_000, transferred
    with client.get("/static/js/main.js", headers={"Accept-Encoding": "gzip"}) as r:
        assert r.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in r.headers["Vary"]
        etag = r.headers["ETag"]
    with client.get("/static/js/main.js", headers={"Accept-Encoding": "gzip", "If-None-Match": etag}) as r:
        assert r.status_code == 304
    with client.get("/static/js/main.js") as r:
        assert "Content-Encoding" not in r.headers and r.data.startswith(b"//")


def _x_range(browser):
    from selenium.webdriver.common.by import By

    return tuple(float(browser.find_element(By.ID, i).get_attribute("value")) for i in ("xmin", "xmax"))


def _grid_ends(browser):
    return tuple(
        browser.execute_script("const x = actfn.state.curves.get('sigmoid').x; return [x[0], x[x.length - 1]];")
    )


def test_zoom_and_pan_with_the_pointer_the_buttons_and_the_keys(server, browser, view):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _, url = server
    _ready(browser, url)
    assert _x_range(browser) == (-5, 5)
    if VIEWS[view][2] == 1:  # a mouse: drag a box over the f panel, from x = 0 to x = 2.5
        over = browser.find_element(By.CSS_SELECTOR, "#curve .u-over")
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", over)
        w, h = over.size["width"], over.size["height"]
        (
            ActionChains(browser)
            .move_to_element_with_offset(over, 0, -h // 4)
            .click_and_hold()
            .move_by_offset(w // 4, h // 2)
            .release()
            .perform()
        )
        wait(browser, lambda d: _x_range(d) != (-5, 5))
        low, high = _x_range(browser)
        assert abs(low - 0) < 0.05 and abs(high - 2.5) < 0.05, (low, high)
        # The curves are computed again on the new range (not stretched), and y follows the box.
        wait(browser, lambda d: _grid_ends(d) == (low, high))
        ymin, ymax = (float(browser.find_element(By.ID, i).get_attribute("value")) for i in ("ymin", "ymax"))
        assert ymin < ymax and browser.execute_script("return actfn.view.range.value") == [ymin, ymax]
        browser.find_element(By.ID, "zoom-reset").click()
        wait(browser, lambda d: _x_range(d) == (-5, 5) and _grid_ends(d) == (-5, 5))
        assert browser.find_element(By.ID, "ymin").get_attribute("value") == ""
    # The buttons: zoom in around the reading point (x = 0.5), pan, zoom out, reset.
    read = browser.find_element(By.ID, "read-x")
    read.clear()
    read.send_keys("0.5", Keys.TAB)
    wait(browser, lambda d: d.execute_script("return actfn.state.readX") == 0.5)
    browser.find_element(By.ID, "zoom-in").click()
    wait(browser, lambda d: _x_range(d) == (-2.25, 2.75))
    browser.find_element(By.ID, "pan-right").click()
    wait(browser, lambda d: _x_range(d) == (-1, 4))
    wait(browser, lambda d: _grid_ends(d) == (-1, 4))
    browser.find_element(By.ID, "zoom-out").click()
    wait(browser, lambda d: _x_range(d) == (-2.5, 7.5))
    browser.find_element(By.ID, "pan-left").click()
    wait(browser, lambda d: _x_range(d) == (-5, 5))
    # The keys, on the focused plot: + zooms, Shift+→ pans, 0 resets.
    plot = browser.find_element(By.ID, "curve")
    plot.send_keys("+")
    wait(browser, lambda d: _x_range(d) == (-2.25, 2.75))
    plot.send_keys(Keys.SHIFT, Keys.ARROW_RIGHT)
    wait(browser, lambda d: _x_range(d) == (-1, 4))
    plot.send_keys("0")
    wait(browser, lambda d: _x_range(d) == (-5, 5) and _grid_ends(d) == (-5, 5))
    assert "x from -5 to 5" in plot.get_attribute("aria-label")

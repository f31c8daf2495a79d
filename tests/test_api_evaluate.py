"""POST /v1/evaluate, GET /v1/activations[/{name}[/evaluate]], /v1/limits, health."""

import math

import numpy as np
import pytest

from service.core import CATALOG


def test_catalog_lists_every_entry_with_the_contract_fields(client):
    r = client.get("/v1/activations")
    assert r.status_code == 200
    body = r.get_json()
    assert body["count"] == len(body["activations"]) == len(CATALOG) >= 40
    for entry in body["activations"]:
        assert {"name", "aliases", "kind", "formula", "derivative_formula", "params", "summary"} <= set(entry)
        assert entry["kind"] in ("elementwise", "vector")
        # f′ in LaTeX for the page and for bots; vector entries give the Jacobian's entries.
        lead = "f'(x) = " if entry["kind"] == "elementwise" else "\\frac{\\partial f_i}{\\partial "
        assert entry["derivative_formula"].startswith(lead), entry["name"]
        for p in entry["params"]:
            assert {"name", "type", "default", "description"} <= set(p)


def test_catalog_filters_by_kind(client):
    body = client.get("/v1/activations?kind=vector").get_json()
    assert {a["name"] for a in body["activations"]} == {"softmax", "log_softmax", "softmin", "glu"}


@pytest.mark.parametrize("alias,name", [("swish", "silu"), ("Hardswish", "hard_silu"), ("leaky-relu", "leaky_relu")])
def test_aliases_resolve(client, alias, name):
    r = client.get(f"/v1/activations/{alias}")
    assert r.status_code == 200 and r.get_json()["name"] == name


def test_zeros_are_written_without_a_sign(client):
    raw = client.post("/v1/evaluate", json={"activation": "sigmoid", "x": [0], "order": 2}).get_data(as_text=True)
    assert '"second_derivative":[0.0]' in raw


def test_sigma_prime_at_zero_is_a_quarter(client):
    r = client.post("/v1/evaluate", json={"activation": "sigmoid", "x": [0]})
    body = r.get_json()
    assert r.status_code == 200
    assert body["value"] == [0.5] and body["derivative"] == [0.25]
    assert body["dtype"] == "float32" and body["device"] == "cpu:0"
    assert body["activation"] == {"name": "sigmoid", "params": {}}
    assert "second_derivative" not in body


def test_params_are_echoed_with_defaults_filled(client):
    r = client.post("/v1/evaluate", json={"activation": {"name": "softplus", "params": {"beta": 2}}, "x": [1.0]})
    assert r.get_json()["activation"] == {"name": "softplus", "params": {"beta": 2.0, "threshold": None}}


def test_grid_is_inclusive_like_linspace_and_float64_is_exact(client):
    r = client.post(
        "/v1/evaluate",
        json={"activation": "tanh", "grid": {"start": -2, "stop": 2, "num": 5}, "order": 2, "dtype": "float64"},
    )
    body = r.get_json()
    assert body["x"] == [-2.0, -1.0, 0.0, 1.0, 2.0]
    assert body["value"][3] == math.tanh(1.0)
    assert body["derivative"][3] == pytest.approx(1 - math.tanh(1.0) ** 2, rel=1e-15)
    assert len(body["second_derivative"]) == 5


def test_order_zero_returns_values_only(client):
    body = client.post("/v1/evaluate", json={"activation": "relu", "x": [-1, 2], "order": 0}).get_json()
    assert body["value"] == [0.0, 2.0] and "derivative" not in body


def test_vector_activation_returns_jacobian_and_hessian(client):
    body = client.post(
        "/v1/evaluate", json={"activation": "softmax", "x": [[0, 0], [1, 2]], "order": 2, "dtype": "float64"}
    ).get_json()
    assert body["kind"] == "vector"
    assert np.array(body["value"]).shape == (2, 2)
    assert np.array(body["jacobian"]).shape == (2, 2, 2)
    assert np.array(body["hessian"]).shape == (2, 2, 2, 2)
    assert body["jacobian"][0] == [[0.25, -0.25], [-0.25, 0.25]]


def test_glu_halves_the_vector(client):
    body = client.post("/v1/evaluate", json={"activation": "glu", "x": [1, 2, 0, 0]}).get_json()
    assert body["value"] == [0.5, 1.0] and np.array(body["jacobian"]).shape == (2, 4)


def test_huge_float64_input_is_rejected_for_float32(client):
    r = client.post("/v1/evaluate", json={"activation": "relu", "x": [1e39], "dtype": "float32"})
    assert r.status_code == 422 and "float32" in r.get_json()["detail"]
    assert client.post("/v1/evaluate", json={"activation": "relu", "x": [1e39], "dtype": "float64"}).status_code == 200


def test_large_inputs_give_finite_json(client):
    body = client.post("/v1/evaluate", json={"activation": "gelu", "x": [-1e4, -1e3, 1e3, 1e4], "order": 2}).get_json()
    for key in ("value", "derivative", "second_derivative"):
        assert all(v is not None for v in body[key])
    assert body["value"] == [0.0, 0.0, 1000.0, 10000.0]
    assert all(math.copysign(1.0, v) == 1.0 for v in body["value"][:2])  # no "-0.0" in the JSON


def test_get_evaluate_for_bots_is_cacheable_and_takes_params(client):
    r = client.get("/v1/activations/leaky_relu/evaluate?x=-1,0,2&param.negative_slope=0.2&order=1")
    assert r.status_code == 200
    assert r.headers["Cache-Control"].startswith("public, max-age=")
    body = r.get_json()
    assert body["value"] == [-0.2, 0.0, 2.0] and body["derivative"] == [0.2, 0.2, 1.0]


def test_get_evaluate_accepts_null_for_nullable_params(client):
    r = client.get("/v1/activations/softplus/evaluate?x=30&param.threshold=null&dtype=float64")
    assert r.get_json()["value"][0] == pytest.approx(30 + math.exp(-30), rel=1e-15)


def test_limits_report_the_caps(client, app):
    body = client.get("/v1/limits").get_json()
    assert body["max_points"] == app.config["LIMITS"].max_points
    assert body["max_body_bytes"] == app.config["MAX_CONTENT_LENGTH"]
    assert body["devices"]["gpu_available"] is False
    assert set(body["dtypes"]) == {"float32", "float64"}


def test_health_and_readiness(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200 and r.get_json() == {"status": "ready"}


def test_docs_page_and_its_assets_are_served_locally(client):
    with client.get("/docs") as page:
        assert page.status_code == 200 and page.mimetype == "text/html"
        html = page.get_data(as_text=True)
    assert "http://" not in html and "https://" not in html  # no CDN, no external validator
    for asset in ("swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png"):
        assert f"/docs/assets/{asset}" in html
        with client.get(f"/docs/assets/{asset}") as r:
            assert r.status_code == 200 and r.content_length > 0
    with client.get("/docs/assets/swagger-ui-bundle.js") as r:
        assert b'PACKAGE_VERSION:"5.' in r.get_data()  # Swagger UI 5: the first to read OpenAPI 3.1
    for other in ("swagger-editor-bundle.js", "../core.py", "LICENSE.txt"):
        with client.get(f"/docs/assets/{other}") as r:
            assert r.status_code == 404, other
    with client.get("/docs/assets/LICENSE") as r:
        assert r.status_code == 200 and b"Apache License" in r.get_data()


def test_nonfinite_outputs_are_null_and_reported(client, app):
    # No catalog entry is non-finite on finite input, so exercise the encoder directly.
    from service.api.jsonprovider import dumps_bytes
    from service.core.evaluate import Evaluation

    ev = Evaluation("float64", "cpu:0", np.array([0.0, 1.0]), np.array([np.nan, 1.0]), np.array([1.0, np.inf]))
    assert ev.nonfinite() == {"value": [0], "derivative": [1]}
    assert dumps_bytes({"v": ev.value, "d": ev.derivative}) == b'{"v":[null,1.0],"d":[1.0,null]}'

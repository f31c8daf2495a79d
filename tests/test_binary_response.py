"""POST /v1/evaluate answers one NumPy .npy array with `Accept: application/x-npy` (large
grids without JSON's cost), read back here with numpy.load as a client would."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

NPY = "application/x-npy"


def post(client, body, accept=NPY):
    return client.post("/v1/evaluate", json=body, headers={"Accept": accept})


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("order", [0, 1, 2])
def test_the_array_holds_what_the_json_answer_holds(client, dtype, order):
    body = {"activation": "gelu", "grid": {"start": -50, "stop": 50, "num": 1001}, "order": order, "dtype": dtype}
    r = post(client, body)
    assert r.status_code == 200 and r.headers["Content-Type"] == NPY and r.headers["Vary"] == "Accept"
    table = np.load(io.BytesIO(r.data), allow_pickle=False)
    rows = r.headers["X-Actfn-Rows"].split(",")
    assert rows == ["x", "value", "derivative", "second_derivative"][: order + 2]
    assert table.dtype == np.dtype(dtype).newbyteorder("<") and table.shape == (order + 2, 1001)
    answer = client.post("/v1/evaluate", json=body).get_json()
    for name, row in zip(rows, table):
        expected = np.array([np.nan if v is None else v for v in answer[name]], dtype=dtype)
        np.testing.assert_array_equal(row, expected)  # bit for bit: the JSON floats round-trip
    assert json.loads(r.headers["X-Actfn-Activation"]) == answer["activation"]
    assert r.headers["X-Actfn-Device"] == answer["device"]


def test_nonfinite_values_stay_nan_and_infinity(client):
    r = post(client, {"activation": {"expression": "log(x)"}, "x": [-1, 0, 1], "order": 1})
    table = np.load(io.BytesIO(r.data))
    assert np.isnan(table[1, 0]) and table[1, 1] == -np.inf and table[1, 2] == 0.0
    assert table[2, 1] == np.inf


def test_a_formula_with_a_non_ascii_param_name_fits_in_the_header(client):
    r = post(client, {"activation": {"expression": "x*sigmoid(β*x)", "params": {"β": 2.0}}, "x": [1.0]})
    assert r.status_code == 200
    assert json.loads(r.headers["X-Actfn-Activation"])["params"] == {"β": 2.0}


@pytest.mark.parametrize(
    "accept,media",
    [
        ("*/*", "application/json"),
        ("application/json", "application/json"),
        ("application/x-npy;q=0.5, application/json", "application/json"),
        ("application/json;q=0.5, application/x-npy", NPY),
        (None, "application/json"),
    ],
)
def test_json_unless_the_client_prefers_npy(client, accept, media):
    headers = {"Accept": accept} if accept else {}
    r = client.post("/v1/evaluate", json={"activation": "relu", "x": [1.0]}, headers=headers)
    assert r.status_code == 200 and r.headers["Content-Type"].split(";")[0] == media


@pytest.mark.parametrize("accept", ["application/x-npy, application/json;q=0.9", "application/x-npy, */*;q=0.1"])
def test_vector_activations_answer_json_where_the_client_also_accepts_it(client, accept):
    r = post(client, {"activation": "softmax", "x": [1.0, 2.0], "order": 1}, accept)
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"


def test_the_headers_are_exposed_to_cross_origin_pages(make_app):
    app = make_app(CORS_ORIGINS=["https://app.example.org"])
    r = app.test_client().post(
        "/v1/evaluate",
        json={"activation": "relu", "x": [1.0]},
        headers={"Accept": NPY, "Origin": "https://app.example.org"},
    )
    exposed = {h.strip() for h in r.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"X-Actfn-Rows", "X-Actfn-Activation", "X-Actfn-Device"} <= exposed


def test_vector_activations_answer_406_problem_json(client):
    r = post(client, {"activation": "softmax", "x": [1.0, 2.0], "order": 1})
    assert r.status_code == 406 and r.headers["Content-Type"] == "application/problem+json"
    problem = r.get_json()
    assert (
        problem["status"] == 406
        and problem["type"] == "/problems/not-acceptable"
        and "application/json" in problem["detail"]
    )


def test_errors_stay_problem_json(client):
    r = post(client, {"activation": "gelu", "x": "nope"})
    assert r.status_code == 422 and r.headers["Content-Type"] == "application/problem+json"

"""Subnormal inputs and params (issue #17): one rule, on every device.

- Inputs that are subnormal in the requested dtype are computed as ±0 (CPUs flush them inside
  every operation; the core flushes them first so a GPU agrees) and echoed as computed, so
  value and derivative always belong to the x the answer shows.
- Params (and the chain's weight and bias, gradient-flow's bias) must be 0 or normal numbers
  in the requested dtype: a nonzero value that rounds to 0, to a subnormal or to ±∞ there is a
  422 naming it and the dtype's range (squareplus b = 1e-300 in float32 used to become 0).
"""

from __future__ import annotations

import math

import mpmath as mp
import pytest


def post(client, path, body):
    r = client.post(path, json=body)
    return r.status_code, r.get_json()


@pytest.mark.parametrize(
    "name,x,dtype,value,derivative",
    [
        ("relu", 5e-324, "float64", 0.0, 0.0),  # relu′(0) = 0 (PyTorch's kink convention)
        ("relu", -5e-324, "float64", 0.0, 0.0),
        ("binary_step", -5e-324, "float64", 1.0, 0.0),  # −0.0 ≥ 0: the step of the x echoed
        ("selu", 5e-324, "float64", 0.0, 1.0507009873554805 * 1.6732632423543772),  # the left slope at 0
        ("selu", 1e-40, "float32", 0.0, 1.0507009873554805 * 1.6732632423543772),
        ("leaky_relu", 2e-310, "float64", 0.0, 0.01),
    ],
)
def test_subnormal_inputs_are_computed_and_echoed_as_signed_zeros(client, name, x, dtype, value, derivative):
    status, body = post(client, "/v1/evaluate", {"activation": name, "x": [x, 1.0], "dtype": dtype})
    assert status == 200, body
    assert body["x"][0] == 0.0 and math.copysign(1.0, body["x"][0]) == math.copysign(1.0, x)
    assert body["x"][1] == 1.0
    assert body["value"][0] == value
    assert body["derivative"][0] == pytest.approx(derivative, rel=1e-6, abs=0)


def test_the_smallest_normal_number_is_kept(client):
    tiny = 2.2250738585072014e-308
    status, body = post(client, "/v1/evaluate", {"activation": "relu", "x": [tiny, -tiny], "dtype": "float64"})
    assert status == 200 and body["x"] == [tiny, -tiny] and body["derivative"] == [1.0, 0.0]


def test_chain_inputs_are_flushed_the_same_way(client):
    status, body = post(client, "/v1/chain", {"activation": "relu", "depth": 1, "z": [5e-324, 1.0], "dtype": "float64"})
    assert status == 200, body
    assert body["layers"][0]["pre_activation"] == [0.0, 1.0]
    assert body["layers"][0]["local_derivative"] == [0.0, 1.0]
    status, body = post(
        client, "/v1/chain", {"activation": "tanh", "depth": 2, "pre_activations": [1e-40, 1.0], "dtype": "float32"}
    )
    assert status == 200 and body["layers"][0]["pre_activation"] == 0.0 and body["layers"][0]["local_derivative"] == 1.0


@pytest.mark.parametrize(
    "activation,dtype,field,what",
    [
        ({"name": "squareplus", "params": {"b": 1e-300}}, "float32", "activation.params.b", "rounds to 0 in float32"),
        ({"name": "squareplus", "params": {"b": 1e-40}}, "float32", "activation.params.b", "is subnormal in float32"),
        ({"name": "squareplus", "params": {"b": 5e-324}}, "float64", "activation.params.b", "is subnormal in float64"),
        (
            {"name": "leaky_relu", "params": {"negative_slope": 1e-45}},
            "float32",
            "activation.params.negative_slope",
            "subnormal",
        ),
        ({"expression": "x*k", "params": {"k": 1e-310}}, "float64", "activation.params.k", "is subnormal in float64"),
    ],
)
def test_params_that_are_not_normal_numbers_in_the_dtype_are_refused(client, activation, dtype, field, what):
    status, body = post(client, "/v1/evaluate", {"activation": activation, "x": [1.0], "dtype": dtype})
    assert status == 422, body
    assert list(body["errors"]) == [field]
    message = body["errors"][field][0]
    assert what in message and ("1.1754944e-38" in message if dtype == "float32" else "2.2250739e-308" in message)


def test_a_tiny_param_is_computed_exactly_in_float64(client):
    """squareplus b = 1e-300 is a normal float64: (x + √(x² + b))/2 against mpmath."""
    status, body = post(
        client,
        "/v1/evaluate",
        {"activation": {"name": "squareplus", "params": {"b": 1e-300}}, "x": [-1.0, 1e-151], "dtype": "float64"},
    )
    assert status == 200, body
    with mp.workdps(400):  # √(1 + 1e-300) − 1 needs 300 digits
        for got, x in zip(body["value"], (-1.0, 1e-151)):
            want = (mp.mpf(x) + mp.sqrt(mp.mpf(x) ** 2 + mp.mpf(1e-300))) / 2
            assert got == pytest.approx(float(want), rel=1e-14, abs=0)


@pytest.mark.parametrize(
    "path,body,field",
    [
        ("/v1/chain", {"activation": "relu", "depth": 2, "z": 1.0, "weight": 1e-40, "dtype": "float32"}, "weight"),
        ("/v1/chain", {"activation": "relu", "depth": 2, "z": 1.0, "bias": -1e-40, "dtype": "float32"}, "bias"),
        (
            "/v1/chain",
            {
                "activation": {"name": "elu", "params": {"alpha": 1e-39}},
                "depth": 1,
                "pre_activations": [1],
                "dtype": "float32",
            },
            "activation.params.alpha",
        ),
        ("/v1/gradient-flow", {"activation": "relu", "depth": 2, "width": 4, "bias": 1e-40}, "bias"),
    ],
)
def test_chain_and_gradient_flow_numbers_follow_the_same_rule(client, path, body, field):
    status, answer = post(client, path, body)
    assert status == 422 and field in answer["errors"], answer


def test_zero_params_are_accepted(client):
    for body in (
        {"activation": {"name": "leaky_relu", "params": {"negative_slope": 0}}, "x": [-1.0]},
        {"activation": {"expression": "x + k", "params": {"k": 0}}, "x": [1.0]},
    ):
        status, answer = post(client, "/v1/evaluate", body)
        assert status == 200, answer
    status, answer = post(client, "/v1/chain", {"activation": "relu", "depth": 1, "z": 1.0, "weight": 0, "bias": -0.0})
    assert status == 200, answer


def test_query_forms_name_the_query_key(client):
    for path in (
        "/v1/activations/squareplus/evaluate?x=1&param.b=1e-300",
        "/v1/activations/squareplus?param.b=5e-324",
        "/v1/activations/squareplus/plot?param.b=5e-324",
    ):
        r = client.get(path)
        assert r.status_code == 422, path
        assert list(r.get_json()["errors"]) == ["param.b"], (path, r.get_json())

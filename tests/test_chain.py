"""POST /v1/chain and the core chain: gradients, log magnitudes, verdicts, caps."""

import math
import zlib

import numpy as np
import pytest
from reference import kink_sides
from scipy.special import expit

from service.core import CATALOG, ELEMENTWISE, Limits
from service.core.chain import chain, product

ELEMENTWISE_NAMES = [a.name for a in CATALOG if a.kind == ELEMENTWISE]


def _composed(activation, params, w, b, depth):
    """The chain as plain Python over the float64 service function (for finite differences)."""
    from service.core import evaluate

    def run(z0):
        h = z0
        for _ in range(depth):
            h = float(evaluate(activation, params, np.array([w * h + b]), order=0, dtype="float64").value[0])
        return h

    return run


@pytest.mark.slow
@pytest.mark.parametrize("name", ELEMENTWISE_NAMES)
def test_gradient_is_the_product_of_local_factors_and_matches_finite_differences(name):
    rng = np.random.default_rng(zlib.crc32(name.encode()))  # same points in every run
    activation = CATALOG.get(name)
    params = activation.bind({})
    depth = 4
    z = rng.uniform(-2.0, 2.0, size=3)
    w, b = float(rng.uniform(0.5, 1.5)), float(rng.uniform(-0.5, 0.5))
    result = chain(activation, params, z, depth, weight=w, bias=b, dtype="float64")
    np.testing.assert_allclose(result.gradient, np.prod(w * result.local_derivative, axis=1), rtol=1e-12, atol=1e-300)
    run = _composed(activation, params, w, b, depth)
    # Kinks of f and the points where f″ jumps (reference.py knows both): the stencil
    # assumes a smooth function, so a chain passing within its reach is skipped.
    kinks = [*activation.non_differentiable_points(params), *kink_sides(name, params)]
    for i, z0 in enumerate(z):
        near_kink = any(abs(zl - k) < 1e-2 for zl in result.pre_activation[i] for k in kinks)
        if near_kink:
            continue
        h = 1e-3  # five-point stencil: truncation error ~h⁴
        fd = (-run(z0 + 2 * h) + 8 * run(z0 + h) - 8 * run(z0 - h) + run(z0 - 2 * h)) / (12 * h)
        assert result.gradient[i] == pytest.approx(fd, rel=1e-6, abs=1e-10), (z0, result.gradient[i], fd)


def test_sigmoid_pre_activations_of_ten_zeros_give_a_quarter_to_the_tenth(client):
    body = client.post("/v1/chain", json={"activation": "sigmoid", "depth": 10, "pre_activations": [0] * 10}).get_json()
    assert body["gradient"] == pytest.approx(0.25**10, rel=1e-15)
    assert body["log10_abs_gradient"] == pytest.approx(10 * math.log10(0.25), rel=1e-14)
    assert body["verdict"] == "vanishing"
    assert [layer["local_derivative"] for layer in body["layers"]] == [0.25] * 10


def test_relu_from_one_at_depth_1000_is_stable_with_gradient_one(client):
    body = client.post("/v1/chain", json={"activation": "relu", "depth": 1000, "z": 1}).get_json()
    assert body["gradient"] == 1.0 and body["verdict"] == "stable" and body["log10_abs_gradient"] == 0.0
    assert len(body["layers"]) == 1000


def test_identity_with_weight_two_at_depth_20_explodes(client):
    body = client.post("/v1/chain", json={"activation": "identity", "depth": 20, "z": 0.3, "weight": 2}).get_json()
    assert body["gradient"] == 2.0**20 and body["verdict"] == "exploding"
    assert body["bound"] == 2.0**20


def test_sigmoid_at_depth_10000_keeps_a_finite_log_magnitude(client):
    body = client.post("/v1/chain", json={"activation": "sigmoid", "depth": 10000, "z": 0}).get_json()
    z = np.array([layer["pre_activation"] for layer in body["layers"]])
    expected = np.sum(np.log10(expit(z) * expit(-z)))
    assert body["log10_abs_gradient"] == pytest.approx(expected, rel=1e-12)
    assert -6500 < body["log10_abs_gradient"] < -6470
    assert body["gradient"] == 0.0 and body["underflowed"] is True
    assert body["verdict"] == "vanishing"


def test_float32_chain_log_magnitude_does_not_underflow_with_each_factor(client):
    body = client.post("/v1/chain", json={"activation": "sigmoid", "depth": 200, "z": 0, "dtype": "float32"}).get_json()
    assert body["gradient"] == 0.0 and body["underflowed"] is True
    assert body["log10_abs_gradient"] == pytest.approx(
        sum(
            layer["log10_abs_cumulative_gradient"] - prev
            for layer, prev in zip(
                body["layers"], [0] + [x["log10_abs_cumulative_gradient"] for x in body["layers"][:-1]]
            )
        ),
        rel=1e-9,
    )


def test_dead_relu_gives_null_log_and_a_flag(client):
    body = client.post("/v1/chain", json={"activation": "relu", "depth": 3, "z": -1.0}).get_json()
    assert body["gradient"] == 0.0
    assert body["log10_abs_gradient"] is None and body["zero_derivative"] is True
    assert body["verdict"] == "vanishing"


def test_list_of_starting_points_gives_lists(client):
    body = client.post("/v1/chain", json={"activation": "tanh", "depth": 3, "z": [0, 1, -1], "weight": 1.5}).get_json()
    assert len(body["gradient"]) == 3 and len(body["verdict"]) == 3
    assert all(len(layer["pre_activation"]) == 3 for layer in body["layers"])
    a = CATALOG.get("tanh")
    single = chain(a, {}, np.array([1.0]), 3, weight=1.5)
    assert body["gradient"][1] == pytest.approx(float(single.gradient[0]), rel=1e-15)


def test_cumulative_gradient_per_layer_is_the_running_product(client):
    body = client.post(
        "/v1/chain", json={"activation": "gelu", "depth": 6, "z": 0.7, "weight": 1.2, "bias": 0.1}
    ).get_json()
    running = 1.0
    for layer in body["layers"]:
        running *= 1.2 * layer["local_derivative"]
        assert layer["cumulative_gradient"] == pytest.approx(running, rel=1e-12)
        assert layer["output"] == pytest.approx(
            layer["pre_activation"] * 0.5 * math.erfc(-layer["pre_activation"] / math.sqrt(2)), rel=1e-12
        )
    assert body["gradient"] == pytest.approx(running, rel=1e-12)


def test_new_depth_within_a_bucket_reuses_the_compiled_program():
    from service.core.programs import PROGRAMS

    a = CATALOG.get("tanh")
    chain(a, {}, np.array([0.1]), 40)
    before = PROGRAMS.compilations
    chain(a, {}, np.array([0.2]), 50, weight=0.9)
    assert PROGRAMS.compilations == before


def test_a_depth_slider_of_up_to_64_layers_compiles_once():
    """Every depth of 1…64 (a page's slider) runs the same chain and float64 programs: the
    first chain at a new depth compiles nothing, and its numbers are those of the layers it has."""
    from service.core.programs import PROGRAMS

    a = CATALOG.get("elu")
    deep = chain(a, a.bind({}), np.array([0.3]), 64, weight=1.1)
    before = PROGRAMS.compilations
    for depth in (1, 2, 10, 17, 33, 50, 63):
        short = chain(a, a.bind({}), np.array([0.3]), depth, weight=1.1)
        assert short.output.shape == (1, depth)
        np.testing.assert_array_equal(short.output, deep.output[:, :depth])
        np.testing.assert_array_equal(short.local_derivative, deep.local_derivative[:, :depth])
        np.testing.assert_array_equal(short.log10_abs_cumulative, deep.log10_abs_cumulative[:, :depth])
    assert PROGRAMS.compilations == before


def test_bound_is_null_for_an_unbounded_derivative(client):
    body = client.post("/v1/chain", json={"activation": "squared_relu", "depth": 3, "z": 1}).get_json()
    assert body["bound"] is None and body["max_abs_derivative"] is None


def test_product_form_matches_the_chain_with_the_same_pre_activations():
    a = CATALOG.get("silu")
    c = chain(a, {"beta": 1.0}, np.array([0.4]), 5, weight=1.0, bias=0.2)
    p = product(a, {"beta": 1.0}, c.pre_activation[0])
    assert float(p.gradient[0]) == pytest.approx(float(c.gradient[0]), rel=1e-12)


BAD = [
    ({"activation": "relu", "depth": 0, "z": 1}, "depth"),
    ({"activation": "relu", "depth": -3, "z": 1}, "depth"),
    ({"activation": "relu", "depth": 2.5, "z": 1}, "depth"),
    ({"activation": "relu", "z": 1}, "depth"),
    ({"activation": "relu", "depth": 3}, "z"),
    ({"activation": "relu", "depth": 3, "z": 1, "pre_activations": [1, 2, 3]}, "pre_activations"),
    ({"activation": "relu", "depth": 3, "pre_activations": [1, 2]}, "pre_activations"),
    ({"activation": "relu", "depth": 2, "pre_activations": [1, 2], "weight": 2}, "weight"),
    ({"activation": "relu", "depth": 3, "z": "a"}, "z"),
    ({"activation": "relu", "depth": 3, "z": [1, None]}, "z.1"),
    ({"activation": "relu", "depth": 3, "z": []}, "z"),
    ({"activation": "relu", "depth": 3, "z": 1, "weight": "x"}, "weight"),
    ({"activation": "softmax", "depth": 3, "z": 1}, "activation"),
    ({"activation": "relu", "depth": 10001, "z": 1}, "depth"),
    ({"activation": "relu", "depth": 3, "z": [0.0] * 1001}, "z"),
    ({"activation": "relu", "depth": 1000, "z": [0.0] * 201}, "depth"),
    ({"activation": "relu", "depth": 3, "z": 1, "dtype": "int"}, "dtype"),
    ({"activation": "relu", "depth": 3, "z": 1e39, "dtype": "float32"}, "z"),
]


@pytest.mark.parametrize("body,field", BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_chain_requests_are_422_naming_the_field(client, body, field):
    r = client.post("/v1/chain", json=body)
    assert r.status_code == 422 and r.mimetype == "application/problem+json", r.get_data(as_text=True)
    assert field in r.get_json()["errors"], r.get_json()


def test_chain_caps_come_from_the_limits(make_app):
    app = make_app(LIMITS=Limits(max_chain_depth=50))
    r = app.test_client().post("/v1/chain", json={"activation": "relu", "depth": 51, "z": 1})
    assert r.status_code == 422 and "max_chain_depth=50" in r.get_json()["detail"]
    assert app.test_client().get("/v1/limits").get_json()["max_chain_depth"] == 50


def test_unknown_activation_in_chain_is_404(client):
    assert client.post("/v1/chain", json={"activation": "nope", "depth": 2, "z": 1}).status_code == 404


def test_an_underflowing_derivative_is_not_a_dead_layer(client):
    """tanh′(400) ≈ 1.5e-347, σ′(−800), GELU′(−40) underflow float64 but are not 0: the log
    magnitude is finite and zero_derivative false (it is kept for f′ exactly 0)."""
    for activation, z, want in (
        ("tanh", 400.0, -346.8335255),
        ("sigmoid", -800.0, -347.4355855),
        ("gelu", -40.0, -346.2328868),
    ):
        body = client.post("/v1/chain", json={"activation": activation, "depth": 1, "pre_activations": [z]}).get_json()
        assert body["log10_abs_gradient"] == pytest.approx(want, rel=1e-9), activation
        assert body["zero_derivative"] is False and body["underflowed"] is True and body["gradient"] == 0


def test_a_zero_weight_is_not_a_dead_derivative_and_zeros_have_no_sign(client):
    body = client.post("/v1/chain", json={"activation": "sigmoid", "depth": 3, "z": 0.5, "weight": 0}).get_json()
    assert body["zero_derivative"] is False and body["gradient"] == 0 and body["log10_abs_gradient"] is None
    assert all(layer["local_derivative"] > 0.2 for layer in body["layers"])
    # relu with weight −1: w·f′ = −1·0 is −0.0 in IEEE arithmetic; JSON says 0.0.
    raw = client.post("/v1/chain", json={"activation": "relu", "depth": 4, "z": 0.5, "weight": -1}).get_data(
        as_text=True
    )
    assert "-0.0" not in raw and '"zero_derivative":true' in raw.replace(" ", "")


def test_a_float32_chain_uses_the_float32_weight_for_its_log_and_bound(client):
    """relu, depth 10,000, weight 1.0001: float32(1.0001) = 1.00010001659…, so |gradient| =
    w^L in float32 must not exceed the bound (|w|·sup|f′|)^L, nor its log the log bound."""
    body = client.post(
        "/v1/chain",
        json={"activation": "relu", "depth": 10000, "z": 1.0, "weight": 1.0001, "dtype": "float32"},
    ).get_json()
    w = float(np.float32(1.0001))
    assert body["log10_abs_gradient"] == pytest.approx(10000 * math.log10(w), rel=1e-6)
    assert body["log10_bound"] == pytest.approx(10000 * math.log10(w), rel=1e-12)
    assert body["log10_abs_gradient"] <= body["log10_bound"] + 1e-9
    assert abs(body["gradient"]) <= body["bound"] * (1 + 1e-6)

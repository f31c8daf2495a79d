"""POST /v1/gradient-flow: a random MLP's per-layer statistics and verdict."""

import pytest

from service.core import Limits


def flow(client, **body):
    r = client.post("/v1/gradient-flow", json=body)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()


def test_sigmoid_with_xavier_at_depth_50_vanishes(client):
    body = flow(client, activation="sigmoid", depth=50, width=256, init="xavier_normal")
    assert body["gradient_ratio"] < 1e-3 and body["verdict"] == "vanishing"
    assert len(body["layers"]) == 50 and body["layers"][0]["layer"] == 1


def test_relu_with_he_at_depth_50_stays_healthy(client):
    body = flow(client, activation="relu", depth=50, width=256, init="he_normal")
    assert 0.1 <= body["gradient_ratio"] <= 10 and body["verdict"] == "healthy"


def test_relu_with_a_large_negative_bias_is_dead(client):
    body = flow(client, activation="relu", depth=5, width=64, bias=-10.0)
    assert all(layer["dead_fraction"] > 0.99 for layer in body["layers"])
    assert body["verdict"] == "vanishing" and body["gradient_ratio"] is None


def test_depths_up_to_64_share_one_program_and_large_shapes_keep_fine_buckets():
    """A page's depth slider (1…50 at width 64, batch 64) compiles once: the padding layers are
    skipped and every real layer draws the same weights at any padding. A shape whose 64
    padded layers would pass the caps' cells keeps quarter-octave layers."""
    from service.core import CATALOG
    from service.core.flow import gradient_flow, shape_bucket
    from service.core.programs import PROGRAMS

    limits = Limits()
    assert {shape_bucket(d, 64, 64, limits) for d in range(1, 51)} == {(64, 64, 64)}
    assert shape_bucket(1, 1024, 1024, limits) == (4, 1024, 1024)  # 64 × 1024² cells: over the cap
    assert shape_bucket(100, 64, 64, limits)[0] == 112
    relu = CATALOG.get("relu")
    deep = gradient_flow(relu, relu.bind({}), depth=50, width=64, batch=64, seed=3)
    before = PROGRAMS.compilations
    for depth in (1, 7, 20, 49):
        short = gradient_flow(relu, relu.bind({}), depth=depth, width=64, batch=64, seed=3)
        assert len(short.layers) == depth
        # the forward statistics of the first layers do not depend on the layers after them
        assert [(x.activation_mean, x.activation_std, x.dead_fraction) for x in short.layers] == [
            (x.activation_mean, x.activation_std, x.dead_fraction) for x in deep.layers[:depth]
        ]
    assert PROGRAMS.compilations == before


def test_same_seed_gives_identical_json_and_another_seed_does_not(client):
    req = {"activation": "tanh", "depth": 6, "width": 32, "batch": 16, "seed": 42}
    a = client.post("/v1/gradient-flow", json=req).get_data()
    b = client.post("/v1/gradient-flow", json=req).get_data()
    c = client.post("/v1/gradient-flow", json={**req, "seed": 43}).get_data()
    assert a == b and a != c


def test_same_seed_gives_identical_numbers_in_a_second_app_instance(client, make_app):
    req = {"activation": "gelu", "depth": 4, "width": 16, "batch": 8, "seed": 7, "init": "lecun_uniform"}
    other = make_app().test_client()
    assert client.post("/v1/gradient-flow", json=req).get_data() == other.post("/v1/gradient-flow", json=req).get_data()


@pytest.mark.slow
@pytest.mark.parametrize(
    "init", ["he_normal", "he_uniform", "xavier_normal", "xavier_uniform", "lecun_normal", "lecun_uniform", "normal"]
)
def test_every_init_scheme_runs_and_reports_its_std(client, init):
    body = flow(client, activation="tanh", depth=3, width=50, batch=8, init=init, init_std=0.2)
    expected = {"he": (2 / 50) ** 0.5, "xavier": (2 / 100) ** 0.5, "lecun": (1 / 50) ** 0.5, "normal": 0.2}
    assert body["init_std"] == pytest.approx(expected[init.rsplit("_", 1)[0]])
    for layer in body["layers"]:
        assert {
            "activation_mean",
            "activation_std",
            "dead_fraction",
            "saturated_fraction",
            "grad_norm",
            "grad_norm_activations",
        } <= set(layer)


def test_saturated_tanh_with_huge_weights_reports_saturation(client):
    body = flow(client, activation="tanh", depth=3, width=64, init="normal", init_std=10.0)
    assert body["layers"][1]["saturated_fraction"] > 0.5


BAD = [
    ({"activation": "relu", "depth": 0, "width": 8}, "depth"),
    ({"activation": "relu", "depth": 2, "width": -1}, "width"),
    ({"activation": "relu", "depth": 2, "width": 8, "init": "orthogonal"}, "init"),
    ({"activation": "relu", "depth": 2, "width": 8, "batch": 0}, "batch"),
    ({"activation": "relu", "depth": 2, "width": 8, "seed": -1}, "seed"),
    ({"activation": "relu", "depth": 2, "width": 8, "init_std": -0.1}, "init_std"),
    ({"activation": "relu", "depth": 2}, "width"),
    ({"activation": "softmax", "depth": 2, "width": 8}, "activation"),
    ({"activation": "relu", "depth": 201, "width": 8}, "depth"),
    ({"activation": "relu", "depth": 2, "width": 1025}, "width"),
    ({"activation": "relu", "depth": 2, "width": 8, "batch": 1025}, "batch"),
    ({"activation": "relu", "depth": 200, "width": 1000, "batch": 100}, "depth"),
    ({"activation": "relu", "depth": 100, "width": 1000, "batch": 1}, "width"),
    ({"activation": "relu", "depth": 3, "width": 1024, "batch": 1024}, "batch"),
]


@pytest.mark.parametrize("body,field", BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_flow_requests_are_422_naming_the_field(client, body, field):
    r = client.post("/v1/gradient-flow", json=body)
    assert r.status_code == 422 and r.mimetype == "application/problem+json", r.get_data(as_text=True)
    assert field in r.get_json()["errors"], r.get_json()


def test_flow_caps_come_from_the_limits(make_app):
    app = make_app(LIMITS=Limits(max_flow_width=16))
    r = app.test_client().post("/v1/gradient-flow", json={"activation": "relu", "depth": 2, "width": 17})
    assert r.status_code == 422 and "max_flow_width=16" in r.get_json()["detail"]


def test_a_layers_weights_and_the_inputs_do_not_depend_on_the_padded_depth():
    """Depth 20 (64 padded layers) and depth 100 (112) draw the same inputs and the same
    weights for the layers they share: their forward statistics agree layer by layer."""
    from service.core import CATALOG
    from service.core.flow import gradient_flow, shape_bucket

    assert shape_bucket(20, 32, 16)[0] != shape_bucket(100, 32, 16)[0]
    tanh = CATALOG.get("tanh")
    short = gradient_flow(tanh, tanh.bind({}), depth=20, width=32, batch=16, seed=5, init="xavier_uniform")
    deep = gradient_flow(tanh, tanh.bind({}), depth=100, width=32, batch=16, seed=5, init="xavier_uniform")
    assert [(x.activation_mean, x.activation_std) for x in short.layers] == [
        (x.activation_mean, x.activation_std) for x in deep.layers[:20]
    ]


def test_every_matrix_product_of_a_flow_asks_for_full_precision():
    """A GPU's default float32 matmul is TF32 (~1e-3 relative); the flow asks for HIGHEST, so
    its statistics agree with a CPU's within a few ε on every device (bench/gpu_check.py)."""
    from service.core import CATALOG
    from service.core.flow import _program, flow_specs, shape_bucket

    activation = CATALOG.get("tanh")
    shape = shape_bucket(3, 8, 4)
    text = _program(activation, (), "float32", shape).trace(*flow_specs(activation, "float32", shape)).lower().as_text()
    dots = [line for line in text.splitlines() if "dot_general" in line]
    assert dots and all("HIGHEST" in line for line in dots), dots

"""Every bad input answers problem+json with the right status and the offending field named,
and the app keeps serving afterwards."""

import pytest

from service.core import Limits

PROBLEM = "application/problem+json"

BAD_BODIES = [
    # (body, status, field named in errors)
    ({"activation": "nope", "x": [1]}, 404, "activation"),
    ({"activation": {"name": "nope"}, "x": [1]}, 404, "activation"),
    ({"activation": {"name": "leaky_relu", "params": {"slope": 1}}, "x": [1]}, 422, "activation.params.slope"),
    (
        {"activation": {"name": "leaky_relu", "params": {"negative_slope": 5}}, "x": [1]},
        422,
        "activation.params.negative_slope",
    ),
    (
        {"activation": {"name": "leaky_relu", "params": {"negative_slope": "a"}}, "x": [1]},
        422,
        "activation.params.negative_slope",
    ),
    (
        {"activation": {"name": "leaky_relu", "params": {"negative_slope": True}}, "x": [1]},
        422,
        "activation.params.negative_slope",
    ),
    (
        {"activation": {"name": "gelu", "params": {"approximate": "fast"}}, "x": [1]},
        422,
        "activation.params.approximate",
    ),
    ({"activation": {"name": "celu", "params": {"alpha": 0}}, "x": [1]}, 422, "activation.params.alpha"),
    (
        {"activation": {"name": "rrelu", "params": {"lower": 0.5, "upper": 0.1}}, "x": [1]},
        422,
        "activation.params.lower",
    ),
    ({"activation": {"name": "hard_tanh", "params": {"min_val": 2}}, "x": [1]}, 422, "activation.params.min_val"),
    ({"activation": {"name": "relu", "params": [1]}, "x": [1]}, 422, "activation.params"),
    ({"activation": {"name": "relu", "colour": 1}, "x": [1]}, 422, "activation.colour"),
    ({"activation": {"params": {}}, "x": [1]}, 422, "activation.name"),
    ({"activation": {"name": "relu", "expression": "x"}, "x": [1]}, 422, "activation.name"),
    ({"activation": {"expression": "x.y"}, "x": [1]}, 422, "activation.expression"),
    ({"activation": 3, "x": [1]}, 422, "activation"),
    ({"x": [1]}, 422, "activation"),
    ({"activation": "relu"}, 422, "x"),
    ({"activation": "relu", "x": [1], "grid": {"start": 0, "stop": 1, "num": 3}}, 422, "x"),
    ({"activation": "relu", "x": []}, 422, "x"),
    ({"activation": "relu", "x": "1,2"}, 422, "x"),
    ({"activation": "relu", "x": [1, "2"]}, 422, "x.1"),
    ({"activation": "relu", "x": [1, True]}, 422, "x.1"),
    ({"activation": "relu", "x": [1, None]}, 422, "x.1"),
    ({"activation": "relu", "x": [[1, 2], [3]]}, 422, "x"),
    ({"activation": "relu", "x": [[1, 2], [3, 4]]}, 422, "x"),
    ({"activation": "softmax", "x": [[1, 2], [3]]}, 422, "x"),
    ({"activation": "glu", "x": [1, 2, 3]}, 422, "x"),
    ({"activation": "relu", "x": [1], "order": 3}, 422, "order"),
    ({"activation": "relu", "x": [1], "order": "1"}, 422, "order"),
    ({"activation": "relu", "x": [1], "order": 1.5}, 422, "order"),
    ({"activation": "relu", "x": [1], "dtype": "float16"}, 422, "dtype"),
    ({"activation": "relu", "x": [1], "device": "tpu"}, 422, "device"),
    ({"activation": "relu", "x": [1], "extra": 1}, 422, "extra"),
    ({"activation": "relu", "grid": {"start": 0, "stop": 1}}, 422, "grid.num"),
    ({"activation": "relu", "grid": {"start": 0, "stop": 1, "num": 0}}, 422, "grid.num"),
    ({"activation": "relu", "grid": {"start": 0, "stop": 1, "num": 10**12}}, 422, "grid.num"),
    ({"activation": "relu", "grid": {"start": "a", "stop": 1, "num": 3}}, 422, "grid.start"),
    ([1, 2], 422, "body"),
]


def assert_problem(r, status, field=None):
    assert r.status_code == status, r.get_data(as_text=True)
    assert r.mimetype == PROBLEM
    body = r.get_json()
    assert body["status"] == status and body["title"] and body["type"] and body["detail"]
    if field is not None:
        assert field in body["errors"], body
        assert all(isinstance(m, str) and m for m in body["errors"][field])
    return body


@pytest.mark.parametrize("body,status,field", BAD_BODIES, ids=[str(i) for i in range(len(BAD_BODIES))])
def test_bad_body_is_a_problem_naming_the_field(client, body, status, field):
    assert_problem(client.post("/v1/evaluate", json=body), status, field)
    assert client.post("/v1/evaluate", json={"activation": "relu", "x": [1]}).status_code == 200


@pytest.mark.parametrize(
    "raw,field",
    [
        ('{"activation": "relu", "x": [1, NaN]}', "x.1"),
        ('{"activation": "relu", "x": [Infinity]}', "x.0"),
        ('{"activation": "relu", "x": [-Infinity, 1, NaN]}', "x.0"),
        ('{"activation": "relu", "x": [1e400]}', "x.0"),
        ('{"activation": "relu", "x": [NaN, true, 1' + "0" * 400 + "]}", "x.2"),
        ('{"activation": "relu", "grid": {"start": NaN, "stop": 1, "num": 2}}', "grid.start"),
        ('{"activation": {"name": "elu", "params": {"alpha": NaN}}, "x": [1]}', "activation.params.alpha"),
    ],
)
def test_nan_and_infinity_tokens_are_rejected_by_field(client, raw, field):
    assert_problem(client.post("/v1/evaluate", data=raw, content_type="application/json"), 422, field)


@pytest.mark.parametrize("raw", ['{"activation": "relu", "x": [1,', "{'a': 1}", "\xff\xfe", "[1, 2,]"])
def test_malformed_json_is_400(client, raw):
    body = assert_problem(client.post("/v1/evaluate", data=raw, content_type="application/json"), 400, "body")
    assert "invalid JSON" in body["detail"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_wrong_content_type_is_415(client, content_type):
    r = client.post("/v1/evaluate", data='{"activation": "relu", "x": [1]}', content_type=content_type)
    assert_problem(r, 415, "Content-Type")


def test_too_many_points_is_422_naming_the_cap(make_app):
    app = make_app(LIMITS=Limits(max_points=100))
    client = app.test_client()
    body = assert_problem(client.post("/v1/evaluate", json={"activation": "relu", "x": [0.0] * 101}), 422, "x")
    assert "max_points=100" in body["detail"]
    body = assert_problem(
        client.post("/v1/evaluate", json={"activation": "relu", "grid": {"start": 0, "stop": 1, "num": 101}}),
        422,
        "grid.num",
    )
    assert "max_points=100" in body["detail"]


def test_vector_caps_are_422_naming_the_cap(make_app):
    app = make_app(LIMITS=Limits(max_vector_length=8, max_hessian_entries=100))
    client = app.test_client()
    body = assert_problem(client.post("/v1/evaluate", json={"activation": "softmax", "x": [0.0] * 9}), 422, "x")
    assert "max_vector_length=8" in body["detail"]
    body = assert_problem(
        client.post("/v1/evaluate", json={"activation": "softmax", "x": [0.0] * 5, "order": 2}), 422, "x"
    )
    assert "max_hessian_entries=100" in body["detail"]


def test_body_too_large_is_413(make_app):
    app = make_app(LIMITS=Limits(max_body_bytes=1000))
    r = app.test_client().post("/v1/evaluate", json={"activation": "relu", "x": [0.123456789] * 200})
    body = assert_problem(r, 413)
    assert "max_body_bytes=1000" in body["detail"]


def test_gpu_without_a_gpu_is_503_naming_device(client):
    body = assert_problem(
        client.post("/v1/evaluate", json={"activation": "relu", "x": [1], "device": "gpu"}), 503, "device"
    )
    assert "GPU" in body["detail"]


def test_auto_and_cpu_devices_compute_on_the_cpu(client):
    for device in ("auto", "cpu"):
        assert (
            client.post("/v1/evaluate", json={"activation": "relu", "x": [1], "device": device}).get_json()["device"]
            == "cpu:0"
        )


def test_unknown_path_and_wrong_method(client):
    assert_problem(client.get("/v1/nothing"), 404)
    body = assert_problem(client.get("/v1/evaluate"), 405)
    assert "POST" in body["detail"]
    assert_problem(client.get("/v1/activations/nope"), 404, "activation")


@pytest.mark.parametrize(
    "query,field",
    [
        ("", "x"),
        ("x=", "x"),
        ("x=1,a", "x"),
        ("x=1,nan", "x"),
        ("x=1&order=5", "order"),
        ("x=1&order=one", "order"),
        ("x=1&dtype=int8", "dtype"),
        ("x=1&param.negative_slope=abc", "param.negative_slope"),
        ("x=1&param.negative_slope=3", "param.negative_slope"),
        ("x=1&param.nope=3", "param.nope"),
        ("x=1&params=3", "params"),
        ("x=1&colour=red", "colour"),
        ("x=1&order=1&order=2", "order"),
        ("x=1&param.negative_slope=0.1&param.negative_slope=0.2", "param.negative_slope"),
        ("x=1&param.nope=1&param.nope=2", "param.nope"),
    ],
)
def test_get_evaluate_bad_query_is_422_naming_the_field(client, query, field):
    assert_problem(client.get(f"/v1/activations/leaky_relu/evaluate?{query}"), 422, field)


def test_get_evaluate_caps_points(make_app):
    app = make_app(LIMITS=Limits(max_query_points=3))
    for query in ("x=1,2,3,4", "x=1&x=2&x=3&x=4", "x=1,2&x=3,4"):
        body = assert_problem(app.test_client().get(f"/v1/activations/relu/evaluate?{query}"), 422, "x")
        assert "max_query_points=3" in body["detail"]


def test_every_query_list_takes_repeated_keys_and_commas_alike(client):
    """One rule for list parameters: k=a&k=b, k=a,b and a mix of them mean the same list."""
    for forms in (
        ("x=1&x=2&x=3", "x=1,2,3", "x=1,2&x=3"),
        ("activation=relu&activation=gelu", "activation=relu,gelu"),
        ("topics=saturation&topics=values", "topics=saturation,values"),
    ):
        base = {
            "x": "/v1/activations/tanh/evaluate?",
            "activation": "/v1/plot?format=svg&",
            "topics": "/v1/quiz/questions?count=3&seed=1&",
        }[forms[0].split("=")[0]]
        answers = [client.get(base + form) for form in forms]
        assert {a.status_code for a in answers} == {200}, [a.get_json() for a in answers]
        assert len({a.get_data() for a in answers if a.mimetype == "application/json"} or {0}) == 1
        if answers[0].mimetype != "application/json":
            assert len({a.get_data() for a in answers}) == 1


def test_get_evaluate_unknown_activation_is_404(client):
    assert_problem(client.get("/v1/activations/nope/evaluate?x=1"), 404, "activation")


def test_limits_report_every_cap(client):
    import dataclasses

    from service.core.limits import Limits

    reported = client.get("/v1/limits").get_json()
    assert {f.name: getattr(Limits(), f.name) for f in dataclasses.fields(Limits)}.items() <= reported.items()

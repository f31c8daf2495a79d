"""The committed openapi.yaml is exactly what the schemas generate, and it is valid."""

import pathlib

import yaml
from openapi_spec_validator import validate

ROOT = pathlib.Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "openapi.yaml"


def generated(app):
    return app.extensions["actfn_api"].spec.to_dict()


def test_committed_spec_matches_the_generated_one(app):
    committed = yaml.safe_load(COMMITTED.read_text())
    assert committed == generated(app), "openapi.yaml is stale: run `make openapi` and commit it"


def test_spec_is_valid_openapi(app):
    validate(generated(app))


def test_spec_is_served_as_json_and_yaml(client, app):
    """The committed spec, but for this server's own address first in servers."""
    here = {"url": "http://localhost", "description": "this server (the one that served this document)"}
    want = {**generated(app), "servers": [here, *generated(app)["servers"]]}
    assert client.get("/openapi.json").get_json() == want
    r = client.get("/openapi.yaml")
    assert r.status_code == 200 and yaml.safe_load(r.get_data(as_text=True)) == want


def test_contract_paths_are_documented(app):
    paths = generated(app)["paths"]
    for path, method in [
        ("/v1/activations", "get"),
        ("/v1/activations/{name}", "get"),
        ("/v1/activations/{name}/evaluate", "get"),
        ("/v1/evaluate", "post"),
        ("/v1/limits", "get"),
        ("/healthz", "get"),
        ("/readyz", "get"),
    ]:
        assert method in paths[path], path
    errors = paths["/v1/evaluate"]["post"]["responses"]
    assert {"400", "404", "413", "415", "422", "503"} <= set(errors)


def test_error_responses_are_problem_json(app):
    responses = generated(app)["components"]["responses"]
    assert "application/problem+json" in responses["UNPROCESSABLE_ENTITY"]["content"]


def test_the_readme_caps_table_is_the_limits_in_code():
    """One source for every cap: the README's table lists each Limits field with its default."""
    import re
    from dataclasses import fields

    from service.core import Limits

    table = {}
    readme = (COMMITTED.parent / "README.md").read_text()
    section = readme.split("\n## Caps\n", 1)[1].split("\n## ", 1)[0]
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].startswith("`"):
            for name in re.findall(r"`(\w+)`", cells[0]):
                table[name] = float(cells[1].replace(",", ""))
    defaults = {f.name: f.default for f in fields(Limits)}
    assert set(table) == set(defaults), set(table) ^ set(defaults)
    assert {k: float(v) for k, v in defaults.items()} == table


def test_each_server_names_itself_first_and_nothing_sticks(make_app):
    app = make_app()
    c = app.test_client()
    for host in ("a.example", "b.example:8443", "a b", "[zz", "a@b"):
        c.get("/openapi.json", headers={"Host": host})
    served = c.get("/openapi.json", base_url="https://docs.example").get_json()["servers"]
    assert served == [
        {"url": "https://docs.example", "description": "this server (the one that served this document)"},
        *yaml.safe_load(COMMITTED.read_text())["servers"],
    ]
    odd = c.get("/openapi.yaml", headers={"Host": "a b"})
    assert odd.status_code in (200, 400)
    if odd.status_code == 200:
        assert yaml.safe_load(odd.get_data())["servers"] == yaml.safe_load(COMMITTED.read_text())["servers"]
    as_yaml = yaml.safe_load(c.get("/openapi.yaml", base_url="http://10.0.0.7:8000").get_data())
    assert as_yaml["servers"][0]["url"] == "http://10.0.0.7:8000"
    assert {k: v for k, v in as_yaml.items() if k != "servers"} == {
        k: v for k, v in yaml.safe_load(COMMITTED.read_text()).items() if k != "servers"
    }
    assert "&id" not in COMMITTED.read_text() and "*id" not in COMMITTED.read_text()  # no YAML aliases


def test_429_is_declared_with_retry_after_where_limits_apply(app):
    spec = generated(app)
    response = spec["components"]["responses"]["RATE_LIMITED"]
    assert "Retry-After" in response["headers"]
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            limited = not path.startswith(("/healthz", "/readyz"))
            assert ("429" in operation["responses"]) == limited, (method, path)


def test_caps_are_bounds_in_the_spec(app):
    """Every cap on a request's size is a maximum/maxItems of the field it bounds."""
    limits = app.config["LIMITS"]
    spec = generated(app)
    schemas = spec["components"]["schemas"]

    def param(path, method, name):
        return next(p for p in spec["paths"][path][method]["parameters"] if p["name"] == name)["schema"]

    assert schemas["EvaluateRequest"]["properties"]["x"]["maxItems"] == limits.max_points
    assert schemas["Grid"]["properties"]["num"]["maximum"] == limits.max_points
    assert param("/v1/activations/{name}/evaluate", "get", "x")["maxItems"] == limits.max_query_points
    assert schemas["ChainRequest"]["properties"]["depth"]["maximum"] == limits.max_chain_depth
    z = schemas["ChainRequest"]["properties"]["z"]["anyOf"]
    assert [o.get("maxItems") for o in z if o.get("type") == "array"] == [limits.max_chain_inputs]
    flow = schemas["FlowRequest"]["properties"]
    assert (flow["depth"]["maximum"], flow["width"]["maximum"], flow["batch"]["maximum"]) == (
        limits.max_flow_depth,
        limits.max_flow_width,
        limits.max_flow_batch,
    )
    assert param("/v1/quiz/questions", "get", "count")["maximum"] == limits.max_quiz_questions
    assert param("/v1/plot", "get", "width")["maximum"] == limits.max_plot_width
    assert param("/v1/plot", "get", "xmin")["minimum"] == -limits.max_plot_abs_x
    assert param("/v1/chain/plot", "get", "depth")["maximum"] == limits.max_plot_depth
    assert schemas["PlotBody"]["properties"]["activations"]["maxItems"] == limits.max_plot_curves
    small = app.config["LIMITS"].__class__(max_chain_depth=7)
    from service import create_app

    assert (
        generated(create_app({"TESTING": True, "LIMITS": small}))["components"]["schemas"]["ChainRequest"][
            "properties"
        ]["depth"]["maximum"]
        == 7
    )

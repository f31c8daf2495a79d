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
    assert client.get("/openapi.json").get_json() == generated(app)
    r = client.get("/openapi.yaml")
    assert r.status_code == 200 and yaml.safe_load(r.get_data(as_text=True)) == generated(app)


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

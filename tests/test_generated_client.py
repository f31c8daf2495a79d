"""A Python client generated from the committed openapi.yaml by openapi-python-client (pinned in
requirements-dev.txt) calls every operation of the spec against the app on a loopback port.
The generator must print no warning (it drops what it cannot express: a schema, a response,
an operation), and every 200 must come back parsed: JSON into the operation's generated model
(which round-trips to the exact body), pictures and exports as their declared media type."""

from __future__ import annotations

import functools
import importlib
import importlib.util
import json
import pkgutil
import subprocess
import sys
from collections.abc import Callable
from types import ModuleType

import pytest
import yaml
from browser import ROOT, live

pytestmark = pytest.mark.slow  # generates a client (~1 s) and serves the app on a port

if importlib.util.find_spec("openapi_python_client") is None:
    pytest.skip("openapi-python-client is not installed (pip install -r requirements-dev.txt)", allow_module_level=True)

SPEC_PATH = ROOT / "openapi.yaml"
PACKAGE = "actfn_client"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

GENERATOR_CONFIG = {
    # No ruff over the generated code: nothing reads it but this test.
    "post_hooks": [],
    # Enum parameters and fields as plain strings, so the calls below do not depend on the names
    # of generated enum classes.
    "literal_enums": True,
    # The generator parses JSON, text/* and application/octet-stream only; these are bytes too.
    "content_type_overrides": {
        media: "application/octet-stream" for media in ("image/svg+xml", "image/png", "application/zip")
    },
}

# What a 200 of each format is: its media type, and a test of its bytes.
FORMATS: dict[str, tuple[str, Callable[[bytes], bool]]] = {
    "svg": ("image/svg+xml", lambda b: b"<svg" in b[:1000]),
    "png": ("image/png", lambda b: b.startswith(b"\x89PNG\r\n\x1a\n")),
    "gift": ("text/plain", lambda b: b"::" in b),
    "qti": ("application/zip", lambda b: b.startswith(b"PK\x03\x04")),
    "json": ("application/json", lambda b: isinstance(json.loads(b), dict)),
    "markdown": ("text/markdown", lambda b: b.startswith(b"# ")),
}
BINARY = {"png", "qti"}  # must come back as bytes; text may come back as str (or bytes)


@functools.cache
def operations() -> dict[str, dict]:
    """Every operation of the spec by operationId (``GET /path`` where it has none)."""
    found = {}
    for path, item in yaml.safe_load(SPEC_PATH.read_text())["paths"].items():
        for method in METHODS:
            if method in item:
                op = item[method]
                found[op.get("operationId", f"{method.upper()} {path}")] = op
    return found


class Generated:
    """The generated package: its models, and each operation's module found by its name."""

    def __init__(self, package: ModuleType):
        self.Client = package.Client
        self.models = importlib.import_module(f"{package.__name__}.models")
        self.types = importlib.import_module(f"{package.__name__}.types")
        api = importlib.import_module(f"{package.__name__}.api")
        self.modules = {
            info.name.rsplit(".", 1)[-1]: importlib.import_module(info.name)
            for info in pkgutil.walk_packages(api.__path__, f"{api.__name__}.")
            if not info.ispkg
        }

    def op(self, operation_id: str) -> ModuleType:
        if operation_id not in self.modules:
            pytest.fail(f"no generated module {operation_id}, only {', '.join(sorted(self.modules))}")
        return self.modules[operation_id]


CALLS: dict[str, Callable] = {}  # operationId → fn(gen, client): its call, answering JSON
FILE_CALLS: dict[str, tuple[tuple[str, ...], Callable]] = {}  # → (formats, fn(gen, client, format))


def calls(operation_id: str, *formats: str):
    """Register the call of one operation (with ``formats``: one call per format)."""

    def register(fn):
        if formats:
            FILE_CALLS[operation_id] = (formats, fn)
        else:
            CALLS[operation_id] = fn
        return fn

    return register


@calls("health")
def _health(gen, client):
    return gen.op("health").sync_detailed(client=client)


@calls("readiness")
def _readiness(gen, client):
    return gen.op("readiness").sync_detailed(client=client)


@calls("get_limits")
def _limits(gen, client):
    return gen.op("get_limits").sync_detailed(client=client)


@calls("list_activations")
def _list_activations(gen, client):
    return gen.op("list_activations").sync_detailed(client=client, kind="elementwise")


@calls("get_activation")
def _get_activation(gen, client):
    return gen.op("get_activation").sync_detailed("gelu", client=client, properties=True)


@calls("evaluate_at_points")
def _evaluate_at_points(gen, client):
    return gen.op("evaluate_at_points").sync_detailed(
        "tanh", client=client, x=[-1.0, 0.0, 0.5], order=2, dtype="float64", device="cpu"
    )


@calls("evaluate")
def _evaluate(gen, client):
    body = gen.models.EvaluateRequest.from_dict(
        {"activation": {"expression": "x * sigmoid(beta * x)", "params": {"beta": 1.702}}, "x": [-1, 0, 1], "order": 2}
    )
    return gen.op("evaluate").sync_detailed(client=client, body=body)


@calls("chain")
def _chain(gen, client):
    body = gen.models.ChainRequest.from_dict({"activation": "sigmoid", "depth": 10, "z": [0.5, 1.0]})
    return gen.op("chain").sync_detailed(client=client, body=body)


@calls("gradient_flow")
def _gradient_flow(gen, client):
    body = gen.models.FlowRequest.from_dict({"activation": "tanh", "depth": 3, "width": 8, "batch": 4})
    return gen.op("gradient_flow").sync_detailed(client=client, body=body)


@calls("list_concepts")
def _list_concepts(gen, client):
    return gen.op("list_concepts").sync_detailed(client=client)


@calls("get_concept")
def _get_concept(gen, client):
    concepts = gen.op("list_concepts").sync(client=client)
    return gen.op("get_concept").sync_detailed(concepts.concepts[0].id, client=client)


@calls("list_formula_functions")
def _list_formula_functions(gen, client):
    return gen.op("list_formula_functions").sync_detailed(client=client)


@calls("quiz_questions")
def _quiz_questions(gen, client):
    return gen.op("quiz_questions").sync_detailed(
        client=client, count=3, seed=7, topics=["values", "derivatives"], difficulty="easy", include_answers=True
    )


@calls("grade_answer")
def _grade_answer(gen, client):
    quiz = gen.op("quiz_questions").sync(client=client, count=1, seed=7, topics=["values"], include_answers=True)
    question = quiz.questions[0]
    body = gen.models.GradeRequest.from_dict({"id": question.id, "answer": question.answer})
    return gen.op("grade_answer").sync_detailed(client=client, body=body)


@calls("plot_activation", "svg", "png")
def _plot_activation(gen, client, fmt):
    return gen.op("plot_activation").sync_detailed(
        "gelu", client=client, format_=fmt, width=300, height=200, theme="dark", second_derivative=True
    )


@calls("plot_activations", "svg", "png")
def _plot_activations(gen, client, fmt):
    return gen.op("plot_activations").sync_detailed(client=client, activation=["relu", "gelu"], format_=fmt)


@calls("plot_curves", "svg", "png")
def _plot_curves(gen, client, fmt):
    body = gen.models.PlotBody.from_dict(
        {"activations": ["gelu", {"expression": "x * sigmoid(1.702 * x)"}], "format": fmt, "width": 300}
    )
    return gen.op("plot_curves").sync_detailed(client=client, body=body)


@calls("plot_chain", "svg", "png")
def _plot_chain(gen, client, fmt):
    return gen.op("plot_chain").sync_detailed(client=client, activation=["sigmoid", "tanh"], depth=8, format_=fmt)


@calls("export_quiz", "gift", "qti", "json", "markdown")
def _export_quiz(gen, client, fmt):
    return gen.op("export_quiz").sync_detailed(client=client, count=3, seed=7, format_=fmt)


@calls("lti_jwks")
def _lti_jwks(gen, client):
    return gen.op("lti_jwks").sync_detailed(client=client)


# The LTI browser endpoints: a program calls them only as an LMS does, with signed tokens this
# test has not got; each documented refusal must come back parsed (tests/test_lti.py runs the
# real flow against a fake LMS).
LTI_REFUSALS: dict[str, tuple[int, Callable]] = {
    "lti_login_get": (
        403,
        lambda gen, client: gen.op("lti_login_get").sync_detailed(
            client=client, iss="https://lms.example", login_hint="u1", target_link_uri="http://127.0.0.1/lti/launch"
        ),
    ),
    "lti_login": (
        403,
        lambda gen, client: gen.op("lti_login").sync_detailed(
            client=client,
            body=gen.models.LtiLogin.from_dict(
                {"iss": "https://lms.example", "login_hint": "u1", "target_link_uri": "http://127.0.0.1/lti/launch"}
            ),
        ),
    ),
    "lti_launch": (
        401,
        lambda gen, client: gen.op("lti_launch").sync_detailed(
            client=client, body=gen.models.LtiLaunch.from_dict({"id_token": "a.b.c", "state": "never-issued"})
        ),
    ),
    "lti_deep_link": (
        401,
        lambda gen, client: gen.op("lti_deep_link").sync_detailed(
            client=client,
            body=gen.models.LtiDeepLink.from_dict(
                {"launch_id": "lti1p3-launch-00000000-0000-4000-8000-000000000000", "kind": "quiz", "count": 5}
            ),
        ),
    ),
    "lti_attempt": (
        401,
        lambda gen, client: gen.op("lti_attempt").sync_detailed(
            client=client,
            body=gen.models.LtiAttempt.from_dict({"launch_id": "lti1p3-launch-00000000-0000-4000-8000-000000000000"}),
        ),
    ),
    "lti_register": (
        403,
        lambda gen, client: gen.op("lti_register").sync_detailed(
            client=client, openid_configuration="https://lms.example/.well-known/openid-configuration"
        ),
    ),
}


@pytest.mark.parametrize("operation_id", sorted(LTI_REFUSALS))
def test_lti_operation_refusal_is_parsed(operation_id, gen, api_client):
    status, call = LTI_REFUSALS[operation_id]
    response = call(gen, api_client)
    assert response.status_code == status, response.content[:500]
    assert isinstance(response.parsed, gen.models.Problem), response.content[:500]
    assert response.parsed.errors, response.content[:500]


@pytest.fixture(scope="module")
def generation(tmp_path_factory):
    """The generator's run over the committed spec: (completed process, output folder)."""
    out = tmp_path_factory.mktemp("generated")
    config = out / "config.json"
    config.write_text(json.dumps(GENERATOR_CONFIG))
    command = [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(SPEC_PATH)]
    command += ["--output-path", str(out / PACKAGE), "--meta", "none", "--config", str(config), "--fail-on-warning"]
    return subprocess.run(command, capture_output=True, text=True, timeout=300), out


@pytest.fixture(scope="module")
def gen(generation):
    """The generated package, imported (it is written even when the generator warned)."""
    run, out = generation
    if not (out / PACKAGE / "__init__.py").exists():
        pytest.fail(f"the generator wrote no client:\n{run.stdout}{run.stderr}")
    sys.path.insert(0, str(out))
    try:
        yield Generated(importlib.import_module(PACKAGE))
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


@pytest.fixture(scope="module")
def base_url(app):
    with live(app) as url:
        yield url


@pytest.fixture(scope="module")
def api_client(gen, base_url):
    """The generated package's client of the app (a status the spec does not declare raises)."""
    with gen.Client(base_url=base_url, raise_on_unexpected_status=True, timeout=120.0) as client:
        yield client


def test_generator_prints_no_warning(generation):
    run, _ = generation
    assert run.returncode == 0 and not run.stderr.strip(), f"openapi-python-client:\n{run.stdout}{run.stderr}"


def test_every_operation_has_a_client_call():
    """An operation added to the spec needs a call here (and an operationId: its module's name)."""
    spec, called = set(operations()), {*CALLS, *FILE_CALLS, *LTI_REFUSALS}
    assert not spec - called, f"operations of the spec that no test calls: {sorted(spec - called)}"
    assert not called - spec, f"calls of operations not in the spec: {sorted(called - spec)}"


@pytest.mark.parametrize("operation_id", sorted(CALLS))
def test_json_operation(operation_id, gen, api_client):
    response = CALLS[operation_id](gen, api_client)
    assert response.status_code == 200, response.content[:500]
    declared = operations()[operation_id]["responses"]["200"].get("content", {})
    assert "application/json" in declared, f"200 declares {sorted(declared)}, not application/json"
    model = getattr(gen.models, declared["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1])
    assert not isinstance(response.parsed, gen.models.Problem), response.content[:500]
    assert isinstance(response.parsed, model), f"parsed as {type(response.parsed).__name__}, not {model.__name__}"
    # The typed model holds the whole body: nothing the server sent was dropped or changed.
    assert response.parsed.to_dict() == json.loads(response.content)


@pytest.mark.parametrize(
    ("operation_id", "fmt"), [(op, fmt) for op, (formats, _) in sorted(FILE_CALLS.items()) for fmt in formats]
)
def test_file_operation(operation_id, fmt, gen, api_client):
    declared = operations()[operation_id]["responses"]["200"].get("content", {})
    try:
        response = FILE_CALLS[operation_id][1](gen, api_client, fmt)
    except ValueError as error:  # a body the client parsed as another media type (JSONDecodeError)
        pytest.fail(
            f"the generated client parses every 200 of {operation_id} as the first declared media type it can"
            f" read (of {', '.join(declared)}), so format={fmt} raises {type(error).__name__}: {str(error)[:100]}"
        )
    assert response.status_code == 200, response.content[:500]
    media, looks_right = FORMATS[fmt]
    content_type = response.headers["content-type"].split(";")[0].strip()
    assert content_type == media
    assert content_type in declared, f"{content_type} is not declared for 200: {sorted(declared)}"
    assert looks_right(response.content), response.content[:200]
    parsed = response.parsed
    assert parsed is not None and not isinstance(parsed, gen.models.Problem), f"parsed as {parsed!r}"
    if isinstance(parsed, gen.types.File):
        parsed = parsed.payload.read()
    if isinstance(parsed, bytes):
        assert parsed == response.content
        return
    # The first declared media type that the generator can read decides how every 200 is parsed.
    assert fmt not in BINARY, f"{fmt} parsed as {type(parsed).__name__}, not bytes"
    if hasattr(parsed, "to_dict"):
        assert parsed.to_dict() == json.loads(response.content)
    else:
        assert parsed == response.content.decode()


def test_activation_params_through_httpx(gen, base_url):
    """``param.<name>=value`` cannot be an OpenAPI parameter (one per activation, with a dot):
    a generated client sends them as default query params of its httpx client."""
    params = {"param.negative_slope": 0.25}
    with gen.Client(base_url=base_url, timeout=120.0, httpx_args={"params": params}) as client:
        response = gen.op("evaluate_at_points").sync_detailed("leaky_relu", client=client, x=[-2.0], order=0)
    assert response.status_code == 200, response.content[:500]
    assert response.parsed.value == [-0.5]
    assert response.parsed.activation.to_dict()["params"]["negative_slope"] == 0.25

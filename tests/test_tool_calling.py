"""Every operation of openapi.yaml as an OpenAI-style strict function tool (as LLM frameworks
build them): the definitions obey strict mode, name and describe every argument and carry the
size caps; a realistic strict call of each (every optional argument present, mostly null),
replayed as the HTTP request it stands for, answers 200."""

import json
import pathlib
import re
from urllib.parse import quote

import jsonschema
import pytest
import yaml
from werkzeug.datastructures import MultiDict

ROOT = pathlib.Path(__file__).resolve().parent.parent
SPEC = yaml.safe_load((ROOT / "openapi.yaml").read_text())
METHODS = ("get", "put", "post", "patch", "delete")
# (method, path, operation, path-level parameters) for every operation of the spec but the
# LTI tool's: an LMS calls those with the browser (forms, redirects, signed tokens), never a model.
OPERATIONS = [
    (method, path, operation, item.get("parameters", []))
    for path, item in SPEC["paths"].items()
    for method, operation in item.items()
    if method in METHODS and "lti" not in operation.get("tags", ())
]
TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
# Arguments whose name says "how many/how big": an integer needs a maximum, an array maxItems.
SIZE_NAMES = {"count", "depth", "width", "height", "batch", "num", "x", "z"}
# What OpenAI's strict mode accepts; anything else is dropped (`oneOf` becomes `anyOf`,
# `allOf` is merged, `default` goes into the description, `format` stays on strings it knows).
STRICT_KEYWORDS = {
    "type", "properties", "required", "additionalProperties", "enum", "const", "anyOf", "items",
    "description", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
    "minItems", "maxItems", "pattern", "format", "$defs", "$ref",
}  # fmt: skip
STRING_FORMATS = {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}

# The non-null arguments of a realistic call per operationId; every other argument is sent as
# null, as a strict model does. grade_answer needs a live question id (see grade_answer_call).
CALLS = {
    "health": {},
    "readiness": {},
    "list_activations": {},
    "get_activation": {"name": "gelu"},
    "evaluate_at_points": {"name": "leaky_relu", "x": [-1, 0, 0.5, 2], "order": 2},
    "plot_activation": {"name": "gelu", "width": 480, "theme": "dark", "second_derivative": True, "xmin": -4},
    "chain": {"activation": "sigmoid", "depth": 10, "z": 0.5},
    "plot_chain": {"activation": ["tanh", "relu"], "depth": 20, "weight": 1.5},
    "list_concepts": {},
    "get_concept": {"concept_id": "vanishing-exploding"},
    "evaluate": {"activation": "gelu", "x": [-2, -1, 0, 1, 2], "order": 1},
    "list_formula_functions": {},
    "gradient_flow": {"activation": "tanh", "depth": 8, "width": 32, "init": "xavier_normal"},
    "get_limits": {},
    "plot_activations": {"activation": ["relu", "gelu"], "format": "png", "derivative": False},
    # The second curve as a strict model writes an object branch: its optional params as null.
    "plot_curves": {"activations": ["gelu", {"expression": "x * sigmoid(1.702 * x)", "params": None}], "shade": False},
    "export_quiz": {"count": 5, "seed": 42, "topics": ["derivatives", "values"], "format": "markdown"},
    "grade_answer": {},
    "quiz_questions": {"count": 3, "seed": 7, "topics": ["values", "saturation"], "difficulty": "easy"},
}
# Arguments the response echoes: a list sent as repeated query keys must come back whole.
ECHOED = {"quiz_questions": ["topics"]}


def resolve(node):
    """``node`` with its $ref (and those of its schemas, all the way down) replaced by the target;
    siblings of a $ref (a description) win over the target's."""
    if isinstance(node, list):
        return [resolve(item) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = SPEC
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        return {**resolve(target), **{k: resolve(v) for k, v in node.items() if k != "$ref"}}
    return {key: resolve(value) for key, value in node.items()}


def types(schema) -> set:
    kind = schema.get("type", [])
    return {kind} if isinstance(kind, str) else set(kind)


def nullable(schema):
    """An optional argument: strict mode requires it, so it must accept null instead."""
    if "anyOf" in schema:
        return {**schema, "anyOf": [*schema["anyOf"], {"type": "null"}]}
    if "type" not in schema or "object" in types(schema):
        inner = {k: v for k, v in schema.items() if k != "description"}
        described = {"description": schema["description"]} if "description" in schema else {}
        return {"anyOf": [inner, {"type": "null"}], **described}
    kinds = [schema["type"]] if isinstance(schema["type"], str) else schema["type"]
    out = {**schema, "type": kinds if "null" in kinds else [*kinds, "null"]}
    if "enum" in schema:
        out["enum"] = [*schema["enum"], None]
    return out


def strict(schema):
    """A resolved JSON schema rewritten for strict mode."""
    for part in schema.get("allOf", []):
        schema = {**part, **{k: v for k, v in schema.items() if k != "allOf"}}
    out = {}
    for key, value in schema.items():
        if key in ("oneOf", "anyOf"):
            out["anyOf"] = [strict(branch) for branch in value]
        elif key == "items":
            out["items"] = strict(value)
        elif key == "format":
            if "string" in types(schema) and value in STRING_FORMATS:
                out["format"] = value
        elif key in STRICT_KEYWORDS - {"properties", "required", "additionalProperties"}:
            out[key] = value
    if out.get("description") and "default" in schema:
        out["description"] += f" (default: {json.dumps(schema['default'])})"
    if "object" in types(schema) or "properties" in schema:
        # A free-form object (no properties) can only be {} in strict mode.
        properties, required = schema.get("properties", {}), set(schema.get("required", []))
        out["type"] = "object"
        out["properties"] = {k: strict(v) if k in required else nullable(strict(v)) for k, v in properties.items()}
        out["required"] = list(properties)
        out["additionalProperties"] = False
    return out


def build_tool(method, path, operation, path_parameters):
    """The function tool for one operation, and where each argument goes (path, query, body)."""
    parameters = {(p["in"], p["name"]): p for p in map(resolve, [*path_parameters, *operation.get("parameters", [])])}
    properties, required, where = {}, [], {}
    for parameter in parameters.values():
        if parameter["in"] not in ("path", "query"):
            continue  # headers and cookies are the client's business, not the model's
        schema = {k: v for k, v in parameter["schema"].items() if k != "description"}
        if parameter.get("description") or parameter["schema"].get("description"):
            schema["description"] = parameter.get("description") or parameter["schema"]["description"]
        properties[parameter["name"]] = schema
        where[parameter["name"]] = parameter["in"]
        if parameter.get("required"):
            required.append(parameter["name"])
    if "requestBody" in operation:
        body = resolve(operation["requestBody"])["content"]["application/json"]["schema"]
        for name, schema in body.get("properties", {}).items():
            assert name not in properties, f"{name} is both a parameter and a body field"
            properties[name] = schema
            where[name] = "body"
        required += body.get("required", [])
    tool = {
        "type": "function",
        "name": operation.get("operationId"),
        "description": "\n\n".join(filter(None, [operation.get("summary"), operation.get("description")])),
        "strict": True,
        "parameters": strict({"type": "object", "properties": properties, "required": required}),
    }
    return tool, where


def strict_mode_problems(schema, at="parameters"):
    """What OpenAI's strict mode would refuse in ``schema`` (a check of the conversion)."""
    problems = [f"{at}: {key} is not allowed" for key in set(schema) - STRICT_KEYWORDS]
    if "object" in types(schema):
        if schema.get("additionalProperties") is not False:
            problems.append(f"{at}: additionalProperties is not false")
        if sorted(schema.get("required", [])) != sorted(schema.get("properties", {})):
            problems.append(f"{at}: required does not list every property")
    if "type" not in schema and "anyOf" not in schema and "enum" not in schema and "const" not in schema:
        problems.append(f"{at}: no type")
    for name, sub in schema.get("properties", {}).items():
        problems += strict_mode_problems(sub, f"{at}.{name}")
    for i, sub in enumerate(schema.get("anyOf", [])):
        problems += strict_mode_problems(sub, f"{at}.anyOf[{i}]")
    if "items" in schema:
        problems += strict_mode_problems(schema["items"], f"{at}[]")
    return problems


def missing_caps(schema, at="parameters"):
    """Size-like arguments (anywhere in the tree) without an upper bound."""
    problems = []
    for name, sub in schema.get("properties", {}).items():
        if name in SIZE_NAMES:
            for branch in sub.get("anyOf", [sub]):
                if "integer" in types(branch) and "maximum" not in branch and "exclusiveMaximum" not in branch:
                    problems.append(f"{at}.{name}: an integer size with no maximum")
                if "array" in types(branch) and "maxItems" not in branch:
                    problems.append(f"{at}.{name}: an array with no maxItems")
        for branch in sub.get("anyOf", [sub]):
            problems += missing_caps(branch, f"{at}.{name}")
            if "items" in branch:
                problems += missing_caps(branch["items"], f"{at}.{name}[]")
    return problems


def label(operation):
    method, path, *_ = operation
    return f"{method.upper()} {path}"


def test_every_operation_has_a_realistic_call():
    names = [operation.get("operationId") for _, _, operation, _ in OPERATIONS]
    assert None not in names, "operations without an operationId: " + ", ".join(
        label(o) for o in OPERATIONS if "operationId" not in o[2]
    )
    assert len(set(names)) == len(names), "operationIds are not unique"
    assert set(names) == set(CALLS), f"spec only: {set(names) - set(CALLS)}; test only: {set(CALLS) - set(names)}"


@pytest.mark.parametrize("operation", OPERATIONS, ids=label)
def test_tool_definition(operation):
    tool, _ = build_tool(*operation)
    parameters = tool["parameters"]
    problems = []
    if not tool["name"] or not TOOL_NAME.match(tool["name"]):
        problems.append(f"name {tool['name']!r}: the operationId must match {TOOL_NAME.pattern}")
    if not tool["description"].strip():
        problems.append("no summary or description")
    problems += [f"{name}: no description" for name, p in parameters["properties"].items() if not p.get("description")]
    problems += missing_caps(parameters)
    problems += strict_mode_problems(parameters)
    assert not problems, "\n".join(problems)
    jsonschema.Draft202012Validator.check_schema(parameters)


def grade_answer_call(client):
    """A question's own signed id and its right answer: the strict call of grade_answer."""
    query = {"count": 1, "seed": 7, "include_answers": "true"}
    question = client.get("/v1/quiz/questions", query_string=query).get_json()["questions"][0]
    return {"id": question["id"], "answer": question["answer"]}


def to_request(path, where, arguments):
    """The HTTP request a tool call stands for: path params in the path, query params in the
    query string (lists as repeated keys, nulls left out), the rest as a JSON body with its nulls."""
    query, body = MultiDict(), {}
    for name, value in arguments.items():
        if where[name] == "path":
            path = path.replace("{" + name + "}", quote(str(value), safe=""))
        elif where[name] == "query" and value is not None:
            for item in value if isinstance(value, list) else [value]:
                query.add(name, json.dumps(item) if isinstance(item, bool) else str(item))
        elif where[name] == "query":
            continue
        else:
            body[name] = value
    return path, query, body


@pytest.mark.parametrize("operation", OPERATIONS, ids=label)
def test_strict_call_is_answered(operation, client):
    method, path, spec_operation, _ = operation
    tool, where = build_tool(*operation)
    assert tool["name"] in CALLS, f"{label(operation)}: no operationId, or no realistic call for {tool['name']!r}"
    given = grade_answer_call(client) if tool["name"] == "grade_answer" else CALLS[tool["name"]]
    arguments = {name: None for name in tool["parameters"]["properties"]} | given
    jsonschema.validate(arguments, tool["parameters"])  # what a strict model may send
    url, query, body = to_request(path, where, arguments)
    response = client.open(
        url, method=method.upper(), query_string=query, json=body if "requestBody" in spec_operation else None
    )
    sent = f"{method.upper()} {url}?{query.to_dict(flat=False)} body={json.dumps(body) if body else None}"
    assert response.status_code == 200, f"{sent}\n→ {response.status_code} {response.get_data(as_text=True)[:600]}"
    for name in ECHOED.get(tool["name"], []):
        assert response.get_json()[name] == arguments[name], f"{sent}\n→ {name} = {response.get_json()[name]}"

"""The MCP server: the REST API's operations as tools, the catalog and the concepts as
resources, two prompts — on the official SDK's ``MCPServer``.

One place for the rules: every tool runs the REST operation it names inside this process,
through the Flask app's own request handling (its test client: no socket, no copy of a
schema). So a tool takes the same arguments as the operation's JSON body or query, checks
them with the same marshmallow schemas and caps, and refuses with the same words: the
problem's ``detail`` ("x: at most 1000000 points …") becomes the tool error's text. The
tools' input and output JSON Schemas are the OpenAPI spec's, with references inlined, and
each call counts against the caller's rate limit as the REST request would (the caller's
address is passed on).
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from flask import Flask
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, CallToolResult, ImageContent, TextContent, ToolAnnotations

from service.api.protection import INTERNAL
from service.core import CATALOG, CoreError

INSTRUCTIONS = (
    "actfn computes neural-network activation functions exactly: values and derivatives by "
    "automatic differentiation (JAX), gradients chained through depth (vanishing/exploding), "
    "dead units in a random MLP, plots, concepts and graded quiz questions. Use its numbers "
    "instead of computing them yourself; every tool answers JSON (structured content) and says "
    "which argument is wrong when one is."
)
PLOT_SAMPLES = 21  # points per curve in the plot tool's numbers (the picture has its own grid)


class RestError(Exception):
    """A REST operation's refusal: the problem's detail, and the problem itself."""

    def __init__(self, problem: dict):
        super().__init__(problem.get("detail") or problem.get("title") or f"HTTP {problem.get('status')}")
        self.problem = problem


@dataclass
class Caller:
    """Who is asking, as the REST API's rate limiter and logs see a client; ``internal``: the
    server itself (building its tools and resources), which no rate limit counts."""

    address: str = "127.0.0.1"
    forwarded_for: str | None = None
    internal: bool = False

    @classmethod
    def of(cls, ctx: Context | None) -> Caller:
        request = getattr(ctx.request_context, "request", None) if ctx is not None else None
        if request is None:  # stdio: the person at this machine
            return cls()
        client = getattr(request, "client", None)
        return cls(client.host if client else "127.0.0.1", request.headers.get("x-forwarded-for"))


class Rest:
    """The REST API, called inside this process."""

    def __init__(self, app: Flask):
        self.app = app

    def call(self, method: str, path: str, *, body=None, query=None, caller: Caller | None = None):
        """(media type, body bytes) of a 2xx answer; a problem raises :class:`RestError`."""
        caller = caller or Caller()
        headers = {"X-Forwarded-For": caller.forwarded_for} if caller.forwarded_for else {}
        # The standard json module writes integers of any size (orjson stops at 64 bits): a body
        # the route cannot take reaches it, and it answers with its own 422.
        sent = None if body is None else json.dumps(body)
        with self.app.test_client() as client:
            response = client.open(
                path,
                method=method,
                data=sent,
                content_type="application/json" if body is not None else None,
                query_string=query,
                headers=headers,
                environ_base={"REMOTE_ADDR": caller.address, INTERNAL: caller.internal},
            )
            data = response.get_data()
            if response.status_code >= 400:
                problem = orjson.loads(data) if response.is_json else {"status": response.status_code}
                if response.status_code == 429:
                    # A chatbot sees no Retry-After header: the wait goes into the text.
                    limit = str(problem.get("detail", "too many requests")).split(";")[0]
                    problem["detail"] = (
                        f"rate limited: {limit}; retry after {response.headers.get('Retry-After', '?')} s"
                    )
                raise RestError(problem)
            return response.mimetype, data

    def json(self, method: str, path: str, **kwargs) -> Any:
        return orjson.loads(self.call(method, path, **kwargs)[1])


def inline(schema: Any, components: dict, depth: int = 0) -> Any:
    """``schema`` with every ``$ref`` to ``#/components/schemas/…`` replaced by its target: a
    tool's schema stands alone (clients validate it without the spec around it)."""
    if depth > 32:
        raise ValueError("schema references nest too deep")
    if isinstance(schema, dict):
        if "$ref" in schema:
            target = inline(components[schema["$ref"].rsplit("/", 1)[1]], components, depth + 1)
            return {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        return {k: inline(v, components, depth) for k, v in schema.items()}
    if isinstance(schema, list):
        return [inline(v, components, depth) for v in schema]
    return schema


def query_schema(parameters: list[dict], drop: tuple[str, ...] = ()) -> dict:
    """An object schema for an operation's query parameters (a tool takes them as arguments)."""
    props = {
        p["name"]: {**p["schema"], "description": p.get("description", "")}
        for p in parameters
        if p["in"] == "query" and p["name"] not in drop and not p["name"].startswith("param.")
    }
    required = [p["name"] for p in parameters if p.get("required") and p["name"] in props]
    out: dict = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        out["required"] = required
    return out


# JSON-RPC code for an unknown resource (MCP specification, resources: error handling).
RESOURCE_NOT_FOUND = -32002


def catalog_name(name: Any) -> str | None:
    """The catalog's own name for a name or alias as the REST API reads it (any case, - or _),
    or None: the lookup the routes use, so the tool takes what they take and nothing else."""
    if not isinstance(name, str):
        return None
    try:
        return CATALOG.get(name).name
    except CoreError:
        return None


class _Arguments(FuncMetadata):
    """Arguments go to the tool as they came: the REST route validates them (marshmallow)."""

    def validate_arguments(self, arguments_to_validate: dict[str, Any]) -> dict[str, Any]:
        return {"arguments": dict(arguments_to_validate)}


class _NoArguments(ArgModelBase):
    pass


def result(data: Any, *extra: Any) -> CallToolResult:
    """Structured content, and the same JSON as text (clients differ in which they read)."""
    return CallToolResult(
        content=[*extra, TextContent(type="text", text=orjson.dumps(data).decode())], structured_content=data
    )


def refusal(err: RestError, rename: Callable[[str], str] = lambda s: s) -> CallToolResult:
    """A tool error: the text names the argument and the rule, as the problem's detail does (a
    rule about the whole request body is one about the tool's arguments)."""
    detail = rename(str(err))
    for body in ("body: ", "request body "):
        if detail.startswith(body):
            detail = "arguments: " + detail[len(body) :]
    problem = {**err.problem, "detail": detail}
    return CallToolResult(
        content=[TextContent(type="text", text=problem["detail"])], structured_content=problem, is_error=True
    )


@dataclass
class ToolSpec:
    name: str
    title: str
    description: str
    input_schema: dict
    output_schema: dict
    run: Callable[[dict, Caller], CallToolResult]

    def tool(self) -> Tool:
        def call(arguments: dict, ctx: Context) -> CallToolResult:
            try:
                return self.run(arguments, Caller.of(ctx))
            except RestError as err:
                return refusal(err)

        return Tool(
            fn=call,
            name=self.name,
            title=self.title,
            description=self.description,
            parameters=self.input_schema,
            fn_metadata=_Arguments(arg_model=_NoArguments, output_schema=self.output_schema),
            is_async=False,
            context_kwarg="ctx",
            annotations=ToolAnnotations(
                title=self.title, read_only_hint=True, idempotent_hint=True, open_world_hint=False
            ),
        )


def tools(rest: Rest, spec: dict) -> list[ToolSpec]:
    """The tools, each on the REST operation whose schemas it shows."""
    components = spec["components"]["schemas"]
    schema = lambda name: inline(components[name], components)  # noqa: E731
    paths = spec["paths"]

    cap = rest.app.config["LIMITS"].max_tool_points

    def numbers_in(value: Any, inside: bool = False) -> int:
        """How many numbers the arrays of an answer hold (arrays of arrays included)."""
        if isinstance(value, list):
            return sum(numbers_in(v, True) for v in value)
        if isinstance(value, dict):
            return sum(numbers_in(v, inside) for v in value.values())
        return 1 if inside and (value is None or isinstance(value, (int, float))) else 0

    def small_enough(answer: Any, field: str) -> Any:
        """An answer goes into a model's context: at most max_tool_points numbers in its arrays."""
        count = numbers_in(answer)
        if count > cap:
            raise RestError(
                {
                    "status": 422,
                    "detail": f"{field}: the answer would hold {count} numbers, more than max_tool_points ({cap}, see "
                    "/v1/limits) in one tool call: ask for less (fewer points, layers or activations, a lower order)",
                }
            )
        return answer

    def points_field(arguments: dict) -> str:
        """The argument that sets how many points: grid.num when a grid is given, else x."""
        return "grid.num" if isinstance(arguments.get("grid"), dict) else "x"

    def within_cap(arguments: dict) -> None:
        """At most max_tool_points numbers in, before anything is computed."""
        x, grid = arguments.get("x"), arguments.get("grid")
        count = sum(len(v) if isinstance(v, list) else 1 for v in x) if isinstance(x, list) else 0
        if isinstance(grid, dict) and isinstance(grid.get("num"), int):
            count = grid["num"]
        if count > cap:
            raise RestError(
                {
                    "status": 422,
                    "detail": f"{points_field(arguments)}: at most {cap} numbers in one tool call (max_tool_points, "
                    "see /v1/limits); the REST API takes more",
                }
            )

    def capped(input_schema: dict) -> dict:
        """x and grid.num bounded so that the answer (x, f, f′, f″) fits max_tool_points."""
        out = copy.deepcopy(input_schema)
        props = out["properties"]
        props["x"]["maxItems"] = cap // 4
        if "grid" in props:
            props["grid"]["properties"]["num"]["maximum"] = cap // 4
        return out

    def body_tool(name, title, description, path, request, response):
        def run(arguments: dict, caller: Caller) -> CallToolResult:
            if path == "/v1/evaluate":
                within_cap(arguments)
                field = points_field(arguments)
            else:
                field = "depth"  # chain and gradient-flow: layers set the answer's size
            return result(small_enough(rest.json("POST", path, body=arguments, caller=caller), field))

        input_schema = capped(schema(request)) if path == "/v1/evaluate" else schema(request)
        return ToolSpec(name, title, description, input_schema, schema(response), run)

    # describe_activation: GET /v1/activations/{name}?param.<k>=v
    itself = Caller(internal=True)
    catalog = rest.json("GET", "/v1/activations", caller=itself)["activations"]
    names = sorted({n for e in catalog for n in (e["name"], *e["aliases"])})

    def describe(arguments: dict, caller: Caller) -> CallToolResult:
        extra = set(arguments) - {"name", "params"}
        if extra:
            raise RestError({"status": 422, "detail": f"{sorted(extra)[0]}: unknown field"})
        name = arguments.get("name")
        if name is None:
            raise RestError({"status": 422, "detail": "name: required (a catalog name or alias, see actfn://catalog)"})
        canonical = catalog_name(name)
        if canonical is None:
            raise RestError(
                {
                    "status": 422,
                    "detail": f"name: {str(name)[:80]!r} is not a catalog name or alias (see actfn://catalog)",
                }
            )
        name = canonical
        params = arguments.get("params")
        if params is not None and not isinstance(params, dict):
            raise RestError({"status": 422, "detail": "params: must be an object of param values by name"})
        query = {
            f"param.{k}": str(v).lower() if isinstance(v, bool) else str(v)
            for k, v in (params or {}).items()
            if v is not None  # null: the default, as everywhere in the API
        }
        try:
            return result(rest.json("GET", f"/v1/activations/{name}", query=query, caller=caller))
        except RestError as err:
            # The route names its query fields param.<k>; the tool's argument is params.<k>.
            return refusal(err, lambda s: s.replace("param.", "params.", 1) if s.startswith("param.") else s)

    # compare_activations: POST /v1/evaluate once per activation, at the same points
    evaluate = capped(schema("EvaluateRequest"))
    compare_input: dict[str, Any] = {
        "type": "object",
        "properties": {
            "activations": {
                "type": "array",
                "minItems": 1,
                "maxItems": 8,
                "description": "1 to 8 activations to compare: names, {name, params} or {expression, params}",
                "items": evaluate["properties"]["activation"],
            },
            **{k: evaluate["properties"][k] for k in ("x", "order", "dtype")},
        },
        "required": ["activations", "x"],
        "additionalProperties": False,
    }

    def compare(arguments: dict, caller: Caller) -> CallToolResult:
        activations = arguments.get("activations")
        if not isinstance(activations, list) or not 1 <= len(activations) <= 8:
            raise RestError({"status": 422, "detail": "activations: must be a list of 1 to 8 activations"})
        extra = set(arguments) - {"activations", "x", "order", "dtype"}
        if extra:
            raise RestError({"status": 422, "detail": f"{sorted(extra)[0]}: unknown field"})
        within_cap(arguments)
        common = {k: v for k, v in arguments.items() if k != "activations"}
        results = []
        for i, activation in enumerate(activations):
            try:
                results.append(
                    rest.json("POST", "/v1/evaluate", body={**common, "activation": activation}, caller=caller)
                )
            except RestError as err:
                # The route names its field activation; here it is the i-th of activations.
                def rename(detail: str, i: int = i) -> str:
                    return (
                        f"activations.{i}{detail[len('activation') :]}" if detail.startswith("activation") else detail
                    )

                return refusal(err, rename)
        return result(small_enough({"results": results}, points_field(arguments)))

    # plot: POST /v1/plot as PNG, and the numbers behind it
    plot_input = copy.deepcopy(schema("PlotBody"))
    plot_input["properties"].pop("format", None)
    plot_input["additionalProperties"] = False

    def plot(arguments: dict, caller: Caller) -> CallToolResult:
        if "format" in arguments:
            raise RestError({"status": 422, "detail": "format: unknown field (this tool always draws a PNG)"})
        body = {**arguments, "format": "png"}
        try:
            _, png = rest.call("POST", "/v1/plot", body=body, caller=caller)
        except RestError as err:
            raise plot_refusal(err, arguments, caller) from None
        curves = []
        order = 2 if arguments.get("second_derivative") else 1
        xmin, xmax = arguments.get("xmin"), arguments.get("xmax")  # null: the default, as in the route
        grid = {"start": -5.0 if xmin is None else xmin, "stop": 5.0 if xmax is None else xmax, "num": PLOT_SAMPLES}
        for activation in arguments["activations"]:
            curves.append(
                rest.json(
                    "POST",
                    "/v1/evaluate",
                    body={"activation": activation, "grid": grid, "order": order, "dtype": "float64"},
                    caller=caller,
                )
            )
        image = ImageContent(type="image", data=base64.b64encode(png).decode(), mime_type="image/png")
        return result({"curves": curves}, image)

    def plot_refusal(err: RestError, arguments: dict, caller: Caller) -> RestError:
        """The route names its field activation; the tool's argument is activations (which one:
        the first that evaluate refuses)."""
        detail = str(err)
        if not detail.startswith("activation"):
            return err
        activations = arguments.get("activations")
        for i, activation in enumerate(activations if isinstance(activations, list) else []):
            try:
                rest.call("POST", "/v1/evaluate", body={"activation": activation, "x": [0]}, caller=caller)
            except RestError as one:
                text = str(one)
                text = f"activations.{i}{text[len('activation') :]}" if text.startswith("activation") else text
                return RestError({**one.problem, "detail": text})
        return RestError({**err.problem, "detail": "activations" + detail[len("activation") :].lstrip("s")})

    # quiz_question: GET /v1/quiz/questions?count=1
    quiz_params = paths["/v1/quiz/questions"]["get"]["parameters"]
    question_input = query_schema(quiz_params, drop=("count", "include_answers"))

    def question(arguments: dict, caller: Caller) -> CallToolResult:
        extra = set(arguments) - set(question_input["properties"])
        if extra:
            raise RestError({"status": 422, "detail": f"{sorted(extra)[0]}: unknown field"})
        topics = arguments.get("topics")
        if topics is not None:
            if not isinstance(topics, list):
                raise RestError({"status": 422, "detail": "topics: must be a list of topic names"})
            if not topics:
                raise RestError({"status": 422, "detail": "topics: name at least one topic, or leave it out for all"})
            for i, topic in enumerate(topics):
                if not isinstance(topic, str):
                    raise RestError({"status": 422, "detail": f"topics.{i}: must be a topic name"})
        quiz = rest.json("GET", "/v1/quiz/questions", query={**arguments, "count": 1}, caller=caller)
        return result({"seed": quiz["seed"], "question": quiz["questions"][0]})

    # explain_concept: GET /v1/concepts/{id}
    concept_ids = [c["id"] for c in rest.json("GET", "/v1/concepts", caller=itself)["concepts"]]

    def concept(arguments: dict, caller: Caller) -> CallToolResult:
        extra = set(arguments) - {"concept_id"}
        if extra:
            raise RestError({"status": 422, "detail": f"{sorted(extra)[0]}: unknown field"})
        cid = arguments.get("concept_id")
        if cid not in concept_ids:
            raise RestError({"status": 422, "detail": f"concept_id: must be one of {', '.join(concept_ids)}"})
        return result(rest.json("GET", f"/v1/concepts/{cid}", caller=caller))

    obj = lambda props, required: {"type": "object", "properties": props, "required": required}  # noqa: E731
    return [
        body_tool(
            "evaluate",
            "Evaluate an activation",
            "Values f(x) and exact derivatives f′(x), f″(x) (automatic differentiation) of a catalog "
            "activation or a custom formula at the points x (or a grid). E.g. GELU′(1): "
            '{"activation": "gelu", "x": [1], "dtype": "float64"}.',
            "/v1/evaluate",
            "EvaluateRequest",
            "Evaluation",
        ),
        ToolSpec(
            "describe_activation",
            "Describe an activation",
            "An activation's formula and derivative (LaTeX), params, the convention at its kinks, its "
            "computed properties (range, monotonic, saturation, f(0), f′(0), …) and code in JAX, PyTorch "
            "and NumPy.",
            {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "enum": names, "description": "a catalog name or alias"},
                    "params": {
                        "type": "object",
                        "description": 'param values (see the activation\'s params), e.g. {"alpha": 0.5}',
                        "additionalProperties": {"type": ["number", "string", "boolean"]},
                    },
                },
                "required": ["name"],
                "additionalProperties": False,
            },
            schema("Entry"),
            describe,
        ),
        ToolSpec(
            "compare_activations",
            "Compare activations",
            "Several activations at the same points: values and derivatives side by side (e.g. GELU "
            "against Mish at x = -2 … 2).",
            compare_input,
            obj({"results": {"type": "array", "items": schema("Evaluation")}}, ["results"]),
            compare,
        ),
        body_tool(
            "chain",
            "Gradient through depth",
            "The gradient of L stacked layers h_l = f(weight·h_{l-1} + bias) with respect to the input: "
            "the product of the local derivatives, per layer, and a verdict (vanishing, exploding or "
            "stable). Answers 'why does my 50-layer sigmoid net stop learning?'.",
            "/v1/chain",
            "ChainRequest",
            "ChainResponse",
        ),
        body_tool(
            "gradient_flow",
            "Gradient flow in a random MLP",
            "A random multilayer perceptron (seeded): per layer the activations' statistics, the "
            "gradient norm and the fraction of dead units (dying ReLU).",
            "/v1/gradient-flow",
            "FlowRequest",
            "FlowResponse",
        ),
        ToolSpec(
            "plot",
            "Plot activations",
            "A PNG of up to 8 activations with their derivatives (dashed), returned as an image, and "
            f"the numbers behind it ({PLOT_SAMPLES} points per curve) as structured content.",
            plot_input,
            obj({"curves": {"type": "array", "items": schema("Evaluation")}}, ["curves"]),
            plot,
        ),
        ToolSpec(
            "quiz_question",
            "A quiz question",
            "One practice question (numeric, multiple choice or true/false) on activation functions. "
            "Its `id` is signed: pass it back to grade_answer with the learner's answer.",
            question_input,
            obj({"seed": {"type": "integer"}, "question": schema("Question")}, ["seed", "question"]),
            question,
        ),
        body_tool(
            "grade_answer",
            "Grade an answer",
            "Grades an answer to a quiz_question by its signed id; with reveal=true the expected "
            "answer and explanation come even when the answer is wrong.",
            "/v1/quiz/grade",
            "GradeRequest",
            "Grade",
        ),
        ToolSpec(
            "explain_concept",
            "Explain a concept",
            "A concept (saturation, vanishing gradients, dying ReLU, output activations, …) in a few "
            "paragraphs, with numbers the service computes to illustrate it.",
            {
                "type": "object",
                "properties": {"concept_id": {"type": "string", "enum": concept_ids}},
                "required": ["concept_id"],
                "additionalProperties": False,
            },
            schema("Concept"),
            concept,
        ),
    ]


class Server(MCPServer):
    """MCPServer whose prompts refuse an unknown name or argument as invalid params, naming it
    (the SDK would answer an internal error that hides the message)."""

    async def get_prompt(self, name, arguments=None, context=None):
        prompt = next((p for p in await self.list_prompts() if p.name == name), None)
        if prompt is None:
            known = ", ".join(p.name for p in await self.list_prompts())
            raise MCPError(INVALID_PARAMS, f"name: no prompt {str(name)[:80]!r}; the prompts are {known}")
        declared = {a.name: a for a in prompt.arguments or []}
        given = arguments or {}
        for extra in sorted(set(given) - set(declared)):
            raise MCPError(INVALID_PARAMS, f"{extra}: not an argument of the prompt {name}")
        for arg in declared.values():
            if arg.required and arg.name not in given:
                raise MCPError(INVALID_PARAMS, f"{arg.name}: required by the prompt {name}")
        return await super().get_prompt(name, arguments, context)


def build_server(app: Flask) -> MCPServer:
    """The MCP server on ``app`` (its settings, caps and rate limits)."""
    rest = Rest(app)
    with app.app_context():
        spec = app.extensions["actfn_api"].spec_dict()
    server = Server(
        name="actfn",
        title="actfn: activation functions and their gradients",
        instructions=INSTRUCTIONS,
        version=str(spec["info"]["version"]),
        tools=[t.tool() for t in tools(rest, spec)],
    )

    # The catalog and the concept list do not change while the server runs: read once.
    itself = Caller(internal=True)
    fixed = {
        "catalog": rest.call("GET", "/v1/activations", caller=itself)[1].decode(),
        "concepts": rest.call("GET", "/v1/concepts", caller=itself)[1].decode(),
    }
    concept_ids = {c["id"] for c in json.loads(fixed["concepts"])["concepts"]}
    topics = sorted(
        {
            t
            for p in spec["paths"]["/v1/quiz/questions"]["get"]["parameters"]
            if p["name"] == "topics"
            for t in p["schema"]["items"]["enum"]
        }
    )

    def read(path: str, ctx: Context) -> str:
        try:
            return rest.call("GET", path, caller=Caller.of(ctx))[1].decode()
        except RestError as err:
            raise ResourceError(str(err)) from err

    @server.resource("actfn://catalog", name="catalog", title="The activation catalog", mime_type="application/json")
    def catalog() -> str:
        """Every activation: name, aliases, formula, params, conventions."""
        return fixed["catalog"]

    @server.resource(
        "actfn://activations/{name}", name="activation", title="One activation", mime_type="application/json"
    )
    def activation(name: str, ctx: Context) -> str:
        """One activation with its computed properties and code."""
        canonical = catalog_name(name)
        if canonical is None:
            raise MCPError(
                RESOURCE_NOT_FOUND, f"name: {name[:80]!r} is not a catalog name or alias (see actfn://catalog)"
            )
        return read(f"/v1/activations/{canonical}", ctx)

    @server.resource("actfn://concepts", name="concepts", title="The concepts", mime_type="application/json")
    def concepts() -> str:
        """The teaching concepts: ids, titles, summaries."""
        return fixed["concepts"]

    @server.resource("actfn://concepts/{concept_id}", name="concept", title="One concept", mime_type="application/json")
    def concept(concept_id: str, ctx: Context) -> str:
        """One concept's text and its computed illustrations."""
        if concept_id not in concept_ids:
            raise MCPError(
                RESOURCE_NOT_FOUND, f"concept_id: {concept_id[:80]!r} is not a concept (see actfn://concepts)"
            )
        return read(f"/v1/concepts/{concept_id}", ctx)

    @server.prompt(title="Explain an activation")
    def explain_activation(name: str) -> str:
        """Explain one activation function to a learner, with the service's exact numbers."""
        if catalog_name(name) is None:
            raise MCPError(INVALID_PARAMS, f"name: {name[:80]!r} is not a catalog name or alias (see actfn://catalog)")
        return (
            f"Explain the activation function {name} to a learner. Call describe_activation for its "
            f"formula, derivative, conventions and properties; call plot to show it with its derivative; "
            f"call chain with depth 20 from z = 0.5 to show what depth does to its gradient. Use the "
            f"tools' numbers, not your own, and say where it saturates and why that matters."
        )

    @server.prompt(title="Quiz me")
    def quiz_me(topic: str = "vanishing-gradients") -> str:
        """A short practice session on one topic, graded by the service."""
        if topic not in topics:
            raise MCPError(INVALID_PARAMS, f"topic: must be one of {', '.join(topics)}")
        return (
            f"Quiz me on {topic} with three questions. For each: call quiz_question with topics "
            f'["{topic}"], ask me the question (with its choices), wait for my answer, then call '
            f"grade_answer with the question's id and my answer, and tell me the result and the "
            f"explanation. Never reveal the answer before I have answered."
        )

    return server

"""The HTTP layer: flask-smorest Api, problem+json errors, one blueprint per resource."""

from __future__ import annotations

import json

from flask import Flask, current_app, request
from flask_smorest import Api as SmorestApi
from werkzeug.exceptions import HTTPException

from ..core import CoreError
from ..core.expressions import ExpressionCache
from ..core.programs import PROGRAMS
from ..serving import BodyParseError, ReadTimeout
from ..teaching.quiz import Quiz
from . import contract, observability, problems, protection
from .activations.routes import blp as activations_blp
from .chain.routes import blp as chain_blp
from .concepts.routes import blp as concepts_blp
from .evaluate.routes import blp as evaluate_blp
from .expressions.routes import blp as expressions_blp
from .flow.routes import blp as flow_blp
from .meta.routes import blp as meta_blp
from .meta.routes import files as meta_files
from .plots.routes import blp as plots_blp
from .quiz.routes import blp as quiz_blp
from .schemas import ProblemSchema

BLUEPRINTS = (
    activations_blp,
    evaluate_blp,
    chain_blp,
    flow_blp,
    expressions_blp,
    concepts_blp,
    quiz_blp,
    plots_blp,
    meta_blp,
)


class Api(SmorestApi):
    """flask-smorest's Api with problem+json errors instead of its own error payload, and the
    declarations of :mod:`.contract` (caps as bounds, 429, query lists)."""

    ERROR_SCHEMA = ProblemSchema

    def __init__(self, app: Flask):
        super().__init__(app, spec_kwargs={"extra_plugins": [contract.ContractPlugin()]})
        self._spec_dict: dict | None = None
        self._rest_yaml: str | None = None
        self.ma_plugin.converter.add_attribute_function(contract.cap_bounds(app.config["LIMITS"]))
        self.spec.components.response(contract.RATE_LIMITED, contract.RATE_LIMITED_RESPONSE)
        # flask-smorest registers it for paginated views; this API has none.
        self.spec.components.schemas.pop("PaginationMetadata", None)

    def spec_dict(self) -> dict:
        """The spec as the schemas generate it (computed once: it does not change while the
        app runs). Never edited in place: apispec hands out its own options in it."""
        if self._spec_dict is None:
            self._spec_dict = self.spec.to_dict()
        return self._spec_dict

    def servers(self) -> list[dict]:
        """``servers`` as this server serves them: its own address first (when the request
        names a plausible one), so a client that reads the spec from a deployment calls that
        deployment; then the committed ones."""
        committed = list(self.spec_dict().get("servers", []))
        root = request.url_root.rstrip("/")
        if request.scheme not in ("http", "https") or not contract.PLAUSIBLE_HOST.fullmatch(request.host):
            return committed
        here = {"url": root, "description": "this server (the one that served this document)"}
        return [here, *(s for s in committed if s["url"] != root)]

    def served_spec(self) -> dict:
        return {**self.spec_dict(), "servers": self.servers()}

    def yaml(self, servers: list[dict] | None = None) -> str:
        """The spec as YAML in declaration order (not sorted: a client reads a response's media
        types in the order the operation declares them), without YAML aliases: the committed
        openapi.yaml, or, with ``servers``, those first and the rest rendered once."""
        if servers is None:
            return contract.to_yaml(self.spec_dict())
        if self._rest_yaml is None:
            self._rest_yaml = contract.to_yaml({k: v for k, v in self.spec_dict().items() if k != "servers"})
        return contract.to_yaml({"servers": servers}) + self._rest_yaml

    def _openapi_json(self):
        return current_app.response_class(json.dumps(self.served_spec()), mimetype="application/json")

    def handle_http_exception(self, error: HTTPException):
        return problems.handle_http_exception(error)

    def _register_responses(self):
        """Document every error response as application/problem+json."""
        default = self.DEFAULT_RESPONSE_CONTENT_TYPE
        self.DEFAULT_RESPONSE_CONTENT_TYPE = problems.MEDIA_TYPE
        try:
            super()._register_responses()
        finally:
            self.DEFAULT_RESPONSE_CONTENT_TYPE = default


def register(app: Flask) -> Api:
    observability.install(app)  # first: request ids and timing wrap everything else
    protection.install(app)
    api = Api(app)
    for blp in BLUEPRINTS:
        api.register_blueprint(blp)
    app.register_blueprint(meta_files)
    app.register_error_handler(CoreError, problems.handle_core_error)
    app.register_error_handler(ReadTimeout, problems.handle_read_timeout)
    app.register_error_handler(BodyParseError, problems.handle_body_framing)
    app.register_error_handler(Exception, problems.handle_unexpected)
    app.extensions["actfn_api"] = api
    app.extensions["actfn_expressions"] = ExpressionCache(app.config["LIMITS"].expression_cache_size)
    PROGRAMS.resize(app.config["LIMITS"].max_compiled_mb)
    app.extensions["actfn_quiz"] = Quiz(app.config["QUIZ_SECRET"], ttl=app.config["QUIZ_ID_TTL"])
    return api

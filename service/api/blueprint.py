"""The Blueprint every resource uses: flask-smorest's, with this service's request parser, and
one call layer per view instead of one per decorator."""

import functools
from copy import deepcopy

import flask_smorest
from flask import request
from flask_smorest.utils import deepupdate

from .parser import PARSER

# Error responses registered by flask-smorest as components, by status code.
ERROR_RESPONSES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    406: "NOT_ACCEPTABLE",
    413: "REQUEST_ENTITY_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    503: "SERVICE_UNAVAILABLE",
}
# What any JSON-body endpoint can answer besides 200 and 422.
BODY_ERRORS = (400, 404, 413, 415)


PATH_PARAMETERS = {
    "name": "a catalog name or alias, case-insensitive (GET /v1/activations lists them), e.g. gelu",
    "concept_id": "a concept's id (GET /v1/concepts lists them), e.g. vanishing-gradients",
}


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = PARSER

    def route(self, rule, *, operation_id: str, **options):
        """flask-smorest's route with the operation's ``operationId``, required: generated
        clients and LLM tools are named after it (snake_case, unique in the spec). Path
        parameters are described from :data:`PATH_PARAMETERS`."""
        described = [
            {"in": "path", "name": name, "description": text}
            for name, text in PATH_PARAMETERS.items()
            if f"<{name}>" in rule
        ]
        if described:
            options["parameters"] = [*described, *options.get("parameters", ())]
        register = super().route(rule, **options)

        def decorator(view):
            return register(self.doc(operationId=operation_id)(view))

        return decorator

    @staticmethod
    def doc(**kwargs):
        """flask-smorest's ``doc``: the same documentation, kept on the view itself instead of on
        a wrapper that calls it (flask-smorest wraps so that one function can serve several
        routes with different docs; every view here has one route)."""

        def decorator(func):
            apidoc = deepcopy(getattr(func, "_apidoc", {}))
            apidoc["manual_doc"] = deepupdate(deepcopy(apidoc.get("manual_doc", {})), kwargs)
            func._apidoc = apidoc
            return func

        return decorator

    def arguments(self, schema, *, location="json", **kwargs):
        """flask-smorest's ``arguments``: the same documentation, and the same parse (webargs'
        ``Parser.parse`` with the same options: validation, unknown fields, error status), called
        by one wrapper instead of flask-smorest's and webargs' two."""
        documented = super().arguments(schema, location=location, **kwargs)
        options = {
            key: kwargs[key] for key in ("unknown", "validate", "error_status_code", "error_headers") if key in kwargs
        }
        parse = self.ARGUMENTS_PARSER.parse

        def decorator(func):
            @functools.wraps(func)
            def wrapper(*f_args, **f_kwargs):
                return func(*f_args, parse(schema, request, location=location, **options), **f_kwargs)

            wrapper._apidoc = documented(func)._apidoc
            return wrapper

        return decorator

    def errors(self, *codes: int):
        """Document these problem+json responses on the operation: what ``alt_response`` with a
        response reference records, without its per-request wrapper around the view (one call
        layer per documented code on every request)."""

        def decorator(view):
            doc = deepcopy(getattr(view, "_apidoc", {}))
            responses = doc.setdefault("response", {}).setdefault("responses", {})
            for code in codes:
                responses.setdefault(code, []).append(ERROR_RESPONSES[code])
            view._apidoc = doc
            return view

        return decorator

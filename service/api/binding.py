"""An activation bound to a request: a catalog name or a formula with its params checked,
from a JSON body or from ``param.<name>`` query keys; and an evaluation shaped as the answer.
Shared by the views (evaluate, the GET form, pictures), so no view imports another."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import marshmallow as ma
import numpy as np
from flask import current_app, request

from .. import core
from ..core import CATALOG, Activation, InvalidParams
from ..core.expressions import ExpressionError, compile_expression
from .observability import count_points


@dataclass(frozen=True)
class BoundActivation:
    """A catalog activation (or a compiled formula) with its params validated and filled in."""

    activation: Activation
    params: dict
    expression: str | None = None

    def describe(self) -> dict:
        if self.expression is not None:
            return {"expression": self.expression, "params": self.params}
        return {"name": self.activation.name, "params": self.params}


def _params_error(error: InvalidParams) -> ma.ValidationError:
    """A param the core refused, as the validation error of the body's ``params`` field."""
    if error.field in (None, "params"):
        return ma.ValidationError({"params": [error.message]})
    return ma.ValidationError({"params": {error.field: [error.message]}})


def bind(name: Any, params: Any) -> BoundActivation:
    """Resolve a name (404 if unknown) and validate params (422 naming the param)."""
    activation = CATALOG.get(name)
    if not isinstance(params, dict):
        raise ma.ValidationError({"params": ["Must be an object mapping parameter names to values."]})
    # null for a param that does not take null means its default, as null means absent for
    # every optional field (softplus' threshold takes null: it is its default anyway).
    defaults_on_null = {p.name for p in activation.params if not p.nullable}
    params = {k: v for k, v in params.items() if not (v is None and k in defaults_on_null)}
    try:
        return BoundActivation(activation, activation.bind(params))
    except InvalidParams as e:
        raise _params_error(e) from None


def default(name: str) -> BoundActivation:
    """A catalog activation at its default params (404 if unknown)."""
    activation = CATALOG.get(name)
    return BoundActivation(activation, activation.bind({}))


def compile_formula(text: Any, params: Any) -> BoundActivation:
    """Compile a custom formula with this app's caps and cache (422 naming what is wrong)."""
    try:
        activation, bound = compile_expression(
            text, params, current_app.extensions["actfn_expressions"], current_app.config["LIMITS"]
        )
    except ExpressionError as e:
        raise ma.ValidationError({"expression": [e.message]}) from None
    except InvalidParams as e:
        raise _params_error(e) from None
    return BoundActivation(activation, bound, expression=text)


def bind_query(activation: Activation) -> BoundActivation:
    """The activation with the request's ``param.<name>`` query keys (422 naming the key)."""
    given = {k[len("param.") :]: v for k, v in request.args.items() if k.startswith("param.")}
    raw = {k: _parse_param(activation, k, v) for k, v in given.items()}
    try:
        return BoundActivation(activation, activation.bind(raw))
    except InvalidParams as e:
        raise InvalidParams(e.message, f"param.{e.field}") from None


@contextlib.contextmanager
def query_param_names():
    """A param the core refuses (e.g. 0 or subnormal in the requested dtype) named as the
    query key the client sent, ``param.<name>``, not as a body path."""
    try:
        yield
    except InvalidParams as e:
        if e.field and ".params." in e.field:
            raise InvalidParams(e.message, f"param.{e.field.rsplit('.params.', 1)[1]}") from None
        raise


def _parse_param(activation: Activation, name: str, raw: str):
    """Turn a query string into the param's type; the catalog checks the rest."""
    try:
        param = activation.param(name)
    except KeyError:
        return raw  # bind() rejects it with the list of known params
    if param.type == "choice":
        return raw
    if param.nullable and raw.lower() in ("null", "none"):
        return None
    try:
        return float(raw)
    except ValueError:
        raise InvalidParams(f"'{raw[:40]}' is not a number", f"param.{name}") from None


def evaluation(bound: BoundActivation, x: np.ndarray, order: int, dtype: str, device: str) -> dict:
    """Evaluate and shape the answer of POST /v1/evaluate and its GET form."""
    activation = bound.activation
    result = core.evaluate(
        activation, bound.params, x, order=order, dtype=dtype, device=device, limits=current_app.config["LIMITS"]
    )
    count_points(request.endpoint or "evaluate", int(result.x.size))
    vector = activation.kind == core.VECTOR
    out = {
        "activation": bound.describe(),
        "kind": activation.kind,
        "dtype": result.dtype,
        "device": result.device,
        "order": order,
        "x": result.x,
        "value": result.value,
    }
    if order >= 1:
        out["jacobian" if vector else "derivative"] = result.derivative
    if order >= 2:
        out["hessian" if vector else "second_derivative"] = result.second_derivative
    nonfinite = result.nonfinite()
    if nonfinite:
        out["nonfinite"] = {
            {"derivative": "jacobian", "second_derivative": "hessian"}.get(k, k) if vector else k: v
            for k, v in nonfinite.items()
        }
    return out

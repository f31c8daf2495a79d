"""POST /v1/evaluate: values and exact derivatives at a list of points or on a grid."""

from __future__ import annotations

import numpy as np
from flask import current_app, request

from ... import core
from ..blueprint import BODY_ERRORS, Blueprint
from ..observability import count_points
from .schemas import EvaluateRequestSchema, EvaluationSchema

blp = Blueprint("evaluate", __name__, url_prefix="/v1", description="Values and exact derivatives")


def run(bound, x: np.ndarray, order: int, dtype: str, device: str) -> dict:
    """Evaluate and shape the response (shared with the GET form)."""
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


@blp.route("/evaluate", methods=["POST"])
@blp.arguments(EvaluateRequestSchema())
@blp.response(200, EvaluationSchema())
@blp.errors(*BODY_ERRORS, 503)
def evaluate(args):
    """Evaluate an activation and its exact derivatives.

    Give exactly one of `x` (a list of numbers; for vector activations one vector or a list
    of vectors) or `grid` ({start, stop, num}, both ends included). Derivatives come from
    `jax.grad` (element-wise) or `jax.jacrev`/`jax.hessian` (vector activations), never
    from finite differences.
    """
    limits = current_app.config["LIMITS"]
    if "grid" in args:
        grid = args["grid"]
        if grid["num"] > limits.max_points:
            raise core.LimitExceeded(f"{grid['num']} points exceed max_points={limits.max_points}", "grid.num")
        x = np.linspace(grid["start"], grid["stop"], grid["num"])
    else:
        x = args["x"]
    return run(args["activation"], x, args["order"], args["dtype"], args["device"])

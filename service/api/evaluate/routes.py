"""POST /v1/evaluate: values and exact derivatives at a list of points or on a grid."""

from __future__ import annotations

import numpy as np
from flask import current_app

from ... import core
from ..binding import evaluation
from ..blueprint import BODY_ERRORS, Blueprint
from .schemas import EvaluateRequestSchema, EvaluationSchema

blp = Blueprint("evaluate", __name__, url_prefix="/v1", description="Values and exact derivatives")


@blp.route("/evaluate", methods=["POST"], operation_id="evaluate")
@blp.arguments(
    EvaluateRequestSchema(), example={"activation": "gelu", "x": [-2, -1, 0, 1, 2], "order": 1, "dtype": "float64"}
)
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
    return evaluation(args["activation"], x, args["order"], args["dtype"], args["device"])

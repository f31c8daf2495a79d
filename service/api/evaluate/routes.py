"""POST /v1/evaluate: values and exact derivatives at a list of points or on a grid."""

from __future__ import annotations

import io
import json

import numpy as np
from flask import Response, current_app, request
from werkzeug.exceptions import NotAcceptable

from ... import core
from ..binding import evaluation
from ..blueprint import BODY_ERRORS, Blueprint
from ..jsonprovider import dumps_bytes
from .schemas import EvaluateRequestSchema, EvaluationSchema

blp = Blueprint("evaluate", __name__, url_prefix="/v1", description="Values and exact derivatives")

NPY = "application/x-npy"
ROWS = ("x", "value", "derivative", "second_derivative")
NPY_DOC = {
    "description": (
        "The evaluation as JSON; or, with `Accept: application/x-npy` (element-wise activations), "
        "one NumPy .npy array of shape (order + 2, n) in the requested dtype, little-endian, rows "
        "x, value, derivative, second_derivative (up to the order asked for), NaN and ±Inf kept as "
        "such; the headers `X-Actfn-Rows` (the rows' names), `X-Actfn-Activation` (name and all "
        "params, JSON) and `X-Actfn-Device` carry the rest. `numpy.load` reads it."
    ),
    "headers": {
        "X-Actfn-Rows": {
            "description": "(.npy answers) the rows, e.g. x,value,derivative",
            "schema": {"type": "string"},
        },
        "X-Actfn-Activation": {"description": "(.npy answers) name and params, JSON", "schema": {"type": "string"}},
        "X-Actfn-Device": {"description": "(.npy answers) the JAX device, e.g. cpu:0", "schema": {"type": "string"}},
    },
    "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/Evaluation"}},
        NPY: {"schema": {"type": "string", "format": "binary"}},
    },
}


def _wants_npy(vector: bool) -> bool:
    """Whether to answer .npy: the client prefers it (JSON when it states no preference).
    A vector activation has only JSON: 406 where the client accepts .npy and not JSON."""
    if request.headers.get("Accept", "*/*") in ("*/*", "application/json"):
        return False  # what most clients send (or nothing): JSON, without parsing the header
    accept = request.accept_mimetypes
    if vector:
        if accept.quality(NPY) > 0 and accept.quality("application/json") == 0:
            raise NotAcceptable(f"{NPY} holds element-wise answers only; ask a vector activation for application/json")
        return False
    return accept.best_match(["application/json", NPY]) == NPY


def _npy(out: dict) -> Response:
    rows = [name for name in ROWS if name in out]
    table = np.stack([np.asarray(out[name]) for name in rows]).astype(np.dtype(out["dtype"]).newbyteorder("<"))
    buffer = io.BytesIO()
    np.save(buffer, table, allow_pickle=False)
    response = Response(buffer.getvalue(), mimetype=NPY)
    response.headers["X-Actfn-Rows"] = ",".join(rows)
    # ASCII JSON: a header is Latin-1, a formula's param may be named β
    response.headers["X-Actfn-Activation"] = json.dumps(out["activation"], separators=(",", ":"))
    response.headers["X-Actfn-Device"] = out["device"]
    response.headers["Vary"] = "Accept"
    return response


@blp.route("/evaluate", methods=["POST"], operation_id="evaluate")
@blp.arguments(
    EvaluateRequestSchema(), example={"activation": "gelu", "x": [-2, -1, 0, 1, 2], "order": 1, "dtype": "float64"}
)
@blp.response(200, EvaluationSchema())
@blp.doc(responses={"200": NPY_DOC})
@blp.errors(*BODY_ERRORS, 406, 503)
def evaluate(args):
    """Evaluate an activation and its exact derivatives.

    Give exactly one of `x` (a list of numbers; for vector activations one vector or a list
    of vectors) or `grid` ({start, stop, num}, both ends included). Derivatives come from
    `jax.grad` (element-wise) or `jax.jacrev`/`jax.hessian` (vector activations), never
    from finite differences. Large element-wise answers can come as one binary NumPy array
    instead of JSON: send `Accept: application/x-npy`.
    """
    limits = current_app.config["LIMITS"]
    binary = _wants_npy(args["activation"].activation.kind == core.VECTOR)
    if "grid" in args:
        grid = args["grid"]
        if grid["num"] > limits.max_points:
            raise core.LimitExceeded(f"{grid['num']} points exceed max_points={limits.max_points}", "grid.num")
        x = np.linspace(grid["start"], grid["stop"], grid["num"])
    else:
        x = args["x"]
    out = evaluation(args["activation"], x, args["order"], args["dtype"], args["device"])
    if binary:
        return _npy(out)
    # Written directly: every key of `out` is a field of EvaluationSchema and its dump would
    # copy them unchanged (~10 % of a 100-point request); the schema still documents it.
    return current_app.response_class(dumps_bytes(out), mimetype="application/json")

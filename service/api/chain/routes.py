"""POST /v1/chain: the gradient through a chain of identical layers."""

from __future__ import annotations

import math

import numpy as np
from flask import current_app

from ...core import chain as chains
from ..blueprint import BODY_ERRORS, Blueprint
from .schemas import ChainRequestSchema, ChainResponseSchema

blp = Blueprint("chain", __name__, url_prefix="/v1", description="Depth-chained gradient products")


def _finite_or_none(v: float):
    """A finite number as JSON (−0.0 as 0.0), else null."""
    return float(v) + 0.0 if math.isfinite(v) else None


def _pick(values: list, scalar: bool):
    """A per-input list as a JSON value: its only item for a scalar z, else the list."""
    return values[0] if scalar else values


def _column(values: np.ndarray, scalar: bool):
    return _pick([_finite_or_none(v) for v in values.astype(np.float64).tolist()], scalar)


def shape(bound, result: chains.ChainResult, scalar: bool, depth: int) -> dict:
    """The response body (also used by the chain plot)."""
    logs = result.log10_abs_gradient.tolist()
    grad = result.gradient.astype(np.float64).tolist()
    return {
        "gradient": _column(result.gradient, scalar),
        "log10_abs_gradient": _column(result.log10_abs_gradient, scalar),
        "verdict": _pick([chains.verdict(x) for x in logs], scalar),
        "underflowed": _pick([g == 0 and math.isfinite(x) for g, x in zip(grad, logs)], scalar),
        "overflowed": _pick([not math.isfinite(g) and math.isfinite(x) for g, x in zip(grad, logs)], scalar),
        "zero_derivative": _pick([bool(x) for x in result.zero_derivative.tolist()], scalar),
        "bound": _finite_or_none(result.bound) if result.bound is not None else None,
        "log10_bound": result.log10_bound,
        "max_abs_derivative": result.max_abs_derivative,
        "thresholds": {"vanishing_below": 10**chains.VANISHING_LOG10, "exploding_above": 10**chains.EXPLODING_LOG10},
        "layers": [
            {
                "layer": layer + 1,
                "pre_activation": _column(result.pre_activation[:, layer], scalar),
                "output": _column(result.output[:, layer], scalar),
                "local_derivative": _column(result.local_derivative[:, layer], scalar),
                "cumulative_gradient": _column(result.cumulative_gradient[:, layer], scalar),
                "log10_abs_cumulative_gradient": _column(result.log10_abs_cumulative[:, layer], scalar),
            }
            for layer in range(depth)
        ],
    }


@blp.route("/chain", methods=["POST"], operation_id="chain")
@blp.arguments(ChainRequestSchema(), example={"activation": "sigmoid", "depth": 10, "z": 0.5})
@blp.response(200, ChainResponseSchema())
@blp.errors(*BODY_ERRORS)
def chain(args):
    """Gradient of h_L with respect to h₀ through L identical layers.

    `h₀ = z`, `z_l = weight·h_{l−1} + bias`, `h_l = f(z_l)`. The gradient comes from
    `jax.grad` of the composed function (a `lax.scan` over the layers, vmapped over a list
    of `z`); `log10_abs_gradient` is summed in log space so depth 10,000 stays meaningful
    when the gradient itself underflows. With `pre_activations` instead, the result is the
    plain product Π f′(z_l).
    """
    bound = args["activation"]
    limits = current_app.config["LIMITS"]
    depth = args["depth"]
    out = {"activation": bound.describe(), "dtype": args["dtype"], "depth": depth}
    # sup|f′| of a catalog entry is computed once per params and cached; a formula's needs a
    # survey of f′ over the real line, done only when asked for.
    with_bound = args.get("bound", bound.expression is None)
    if "pre_activations" in args:
        result = chains.product(
            bound.activation,
            bound.params,
            args["pre_activations"],
            dtype=args["dtype"],
            with_bound=with_bound,
            limits=limits,
        )
        scalar = True
    else:
        z = args["z"]
        scalar = not isinstance(z, np.ndarray)
        weight, bias = args.get("weight", 1.0), args.get("bias", 0.0)
        result = chains.chain(
            bound.activation,
            bound.params,
            np.atleast_1d(z),
            depth,
            weight=weight,
            bias=bias,
            dtype=args["dtype"],
            with_bound=with_bound,
            limits=limits,
        )
        out.update(weight=weight, bias=bias, z=float(z) if scalar else z)
    out.update(shape(bound, result, scalar, depth))
    return out

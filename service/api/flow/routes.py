"""POST /v1/gradient-flow: per-layer statistics of a random MLP's backward pass."""

from __future__ import annotations

import dataclasses
import math

from flask import current_app

from ...core import flow
from ..blueprint import BODY_ERRORS, Blueprint
from .schemas import FlowRequestSchema, FlowResponseSchema

blp = Blueprint("gradient_flow", __name__, url_prefix="/v1", description="Gradient flow through a random MLP")


def _json_number(v):
    return v if v is None or math.isfinite(v) else None


@blp.route("/gradient-flow", methods=["POST"], operation_id="gradient_flow")
@blp.arguments(FlowRequestSchema(), example={"activation": "tanh", "depth": 20, "width": 64, "init": "xavier_normal"})
@blp.response(200, FlowResponseSchema())
@blp.errors(*BODY_ERRORS)
def gradient_flow(args):
    """Forward and backward pass of a random MLP, summarised per hidden layer.

    `depth` hidden layers of `width` units with the chosen `init`, a standard-normal input
    batch, a random linear read-out and a squared-error loss; `jax.grad` with respect to
    every layer's weights and activations. Same `seed`, same numbers.
    """
    bound = args["activation"]
    report = flow.gradient_flow(
        bound.activation,
        bound.params,
        depth=args["depth"],
        width=args["width"],
        batch=args["batch"],
        init=args["init"],
        std=args["init_std"],
        bias=args["bias"],
        seed=args["seed"],
        dtype=args["dtype"],
        limits=current_app.config["LIMITS"],
    )
    return {
        "activation": bound.describe(),
        **{k: args[k] for k in ("depth", "width", "batch", "init", "bias", "seed", "dtype")},
        "init_std": flow.init_std(args["init"], args["width"], args["width"], args["init_std"]),
        "loss": _json_number(report.loss),
        "layers": [
            {k: _json_number(v) if isinstance(v, float) else v for k, v in dataclasses.asdict(layer).items()}
            for layer in report.layers
        ],
        "gradient_ratio": _json_number(report.gradient_ratio),
        "verdict": report.verdict,
        "thresholds": {"vanishing_below": flow.VANISHING_RATIO, "exploding_above": flow.EXPLODING_RATIO},
    }

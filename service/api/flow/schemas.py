"""Schemas of POST /v1/gradient-flow."""

import marshmallow as ma

from ...core.flow import INITS
from ..fields import ActivationRef
from ..schemas import DTYPE_RULE, activation_ref_doc


class FlowRequestSchema(ma.Schema):
    activation = ActivationRef(required=True, metadata=activation_ref_doc())
    depth = ma.fields.Integer(
        required=True,
        strict=True,
        validate=ma.validate.Range(min=1),
        metadata={"description": "hidden layers (at most max_flow_depth)", "cap": "max_flow_depth"},
    )
    width = ma.fields.Integer(
        required=True,
        strict=True,
        validate=ma.validate.Range(min=1),
        metadata={
            "description": "units per hidden layer, also the input size (at most max_flow_width)",
            "cap": "max_flow_width",
        },
    )
    batch = ma.fields.Integer(
        load_default=64,
        strict=True,
        validate=ma.validate.Range(min=1),
        metadata={"description": "samples in the random input batch (at most max_flow_batch)", "cap": "max_flow_batch"},
    )
    init = ma.fields.String(
        load_default="he_normal",
        validate=ma.validate.OneOf(INITS),
        metadata={"description": "weight initialisation scheme"},
    )
    init_std = ma.fields.Float(
        load_default=0.01,
        allow_nan=False,
        validate=ma.validate.Range(min=0, max=1e3),
        metadata={
            "description": "standard deviation for init 'normal' (ignored by the other schemes; 0: all weights 0)"
        },
    )
    bias = ma.fields.Float(
        load_default=0.0,
        allow_nan=False,
        validate=ma.validate.Range(min=-1e6, max=1e6),
        metadata={"description": "constant initial bias of every hidden unit (a large negative one kills ReLUs)"},
    )
    seed = ma.fields.Integer(
        load_default=0,
        strict=True,
        validate=ma.validate.Range(min=0, max=2**32 - 1),
        metadata={"description": "seed of the jax.random keys"},
    )
    dtype = ma.fields.String(
        load_default="float32",
        validate=ma.validate.OneOf(("float32", "float64")),
        metadata={"description": "floating-point type of the network" + DTYPE_RULE},
    )


class FlowLayerSchema(ma.Schema):
    """One hidden layer; a statistic that overflows the dtype is null."""

    layer = ma.fields.Integer(metadata={"description": "1 = nearest the input"})
    activation_mean = ma.fields.Float(allow_none=True)
    activation_std = ma.fields.Float(allow_none=True)
    dead_fraction = ma.fields.Float(
        allow_none=True, metadata={"description": "units whose output and derivative are 0 for the whole batch"}
    )
    saturated_fraction = ma.fields.Float(
        allow_none=True, metadata={"description": "(sample, unit) pairs with |f′| < 1e-3"}
    )
    grad_norm = ma.fields.Float(allow_none=True, metadata={"description": "‖∂loss/∂W_l‖ (Frobenius)"})
    grad_norm_activations = ma.fields.Float(allow_none=True, metadata={"description": "‖∂loss/∂h_l‖ (Frobenius)"})


class FlowResponseSchema(ma.Schema):
    activation = ma.fields.Dict()
    depth = ma.fields.Integer()
    width = ma.fields.Integer()
    batch = ma.fields.Integer()
    init = ma.fields.String()
    init_std = ma.fields.Float(metadata={"description": "the weight standard deviation actually used"})
    bias = ma.fields.Float()
    seed = ma.fields.Integer()
    dtype = ma.fields.String()
    loss = ma.fields.Float(
        allow_none=True, metadata={"description": "the squared-error loss; null when it overflows the dtype"}
    )
    layers = ma.fields.List(ma.fields.Nested(FlowLayerSchema))
    gradient_ratio = ma.fields.Float(
        allow_none=True, metadata={"description": "first layer's grad_norm over the last's (null when the last is 0)"}
    )
    verdict = ma.fields.String(
        metadata={"description": "'vanishing' (ratio < 1e-2), 'exploding' (ratio > 1e2) or 'healthy'"}
    )
    thresholds = ma.fields.Dict()

"""Schemas of POST /v1/chain."""

import marshmallow as ma

from ..fields import NUMBER_OR_NULL, ActivationRef, NumberArray, StrictBoolean, scalar_or_list
from ..schemas import DTYPE_RULE, activation_ref_doc


class NumberOrList(NumberArray):
    """A number or a list of numbers; remembers which was given."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, list):
            return super()._deserialize(value, attr, data, **kwargs)
        try:
            return float(super()._deserialize([value], attr, data, **kwargs)[0])
        except ma.ValidationError:
            raise ma.ValidationError("Must be a finite number or a list of finite numbers.") from None


class ChainRequestSchema(ma.Schema):
    activation = ActivationRef(required=True, metadata=activation_ref_doc())
    depth = ma.fields.Integer(
        required=True,
        strict=True,
        validate=ma.validate.Range(min=1),
        metadata={"description": "number of layers L (at most max_chain_depth)", "cap": "max_chain_depth"},
    )
    z = NumberOrList(
        metadata={
            "description": "starting point h₀, or a list of them (one vmapped call)",
            "anyOf": [{"type": "number"}, {"type": "array", "items": {"type": "number"}}],
            "cap": "max_chain_inputs",
        }
    )
    weight = ma.fields.Float(allow_nan=False, metadata={"description": "w in z_l = w·h_{l−1} + b (default 1)"})
    bias = ma.fields.Float(allow_nan=False, metadata={"description": "b in z_l = w·h_{l−1} + b (default 0)"})
    pre_activations = NumberArray(
        metadata={
            "description": "instead of z/weight/bias: the pre-activations z_1..z_L; the result is Π f′(z_l)",
            "type": "array",
            "items": {"type": "number"},
            "cap": "max_chain_depth",
        }
    )
    bound = StrictBoolean(
        metadata={
            "description": "compute bound = (|weight|·sup|f′|)^depth; default true for catalog activations "
            "(sup|f′| is cached per params), false for formulas (sup|f′| needs a survey of f′ over the reals)"
        }
    )
    dtype = ma.fields.String(
        load_default="float64",
        validate=ma.validate.OneOf(("float32", "float64")),
        metadata={
            "description": "floating-point type of the chain (default float64: these numbers are for reading)"
            + DTYPE_RULE
        },
    )

    @ma.validates_schema
    def _one_form(self, data, **kwargs):
        if "pre_activations" in data:
            if "z" in data:
                raise ma.ValidationError(
                    "Give either z (with weight and bias) or pre_activations, not both.", "pre_activations"
                )
            for name in ("weight", "bias"):
                if name in data:
                    raise ma.ValidationError(
                        f"{name} applies to the z form only; pre_activations are used as given.", name
                    )
            if "depth" in data and len(data["pre_activations"]) != data["depth"]:
                raise ma.ValidationError(
                    f"has {len(data['pre_activations'])} entries but depth is {data['depth']}: give one per layer.",
                    "pre_activations",
                )
        elif "z" not in data:
            raise ma.ValidationError("Give z (a starting point or a list of them) or pre_activations.", "z")


# Per-input fields: one value for one z, a list over the inputs when z is a list.
_NUMBERS = scalar_or_list(NUMBER_OR_NULL)
_FLAGS = scalar_or_list({"type": "boolean"})
_VERDICTS = scalar_or_list({"type": ["string", "null"], "enum": ["vanishing", "exploding", "stable", None]})


class ChainLayerSchema(ma.Schema):
    layer = ma.fields.Integer()
    pre_activation = ma.fields.Raw(
        metadata={"description": "z_l (a list over the inputs when z is a list)", **_NUMBERS}
    )
    output = ma.fields.Raw(metadata={"description": "h_l = f(z_l)", **_NUMBERS})
    local_derivative = ma.fields.Raw(metadata={"description": "f′(z_l)", **_NUMBERS})
    cumulative_gradient = ma.fields.Raw(
        metadata={"description": "dh_l/dh₀ = Π_{k≤l} w·f′(z_k) (null if it overflowed)", **_NUMBERS}
    )
    log10_abs_cumulative_gradient = ma.fields.Raw(
        metadata={"description": "Σ_{k≤l} log10|w·f′(z_k)| in float64 (null for −∞: a zero factor)", **_NUMBERS}
    )


class ChainResponseSchema(ma.Schema):
    activation = ma.fields.Dict()
    dtype = ma.fields.String()
    depth = ma.fields.Integer()
    weight = ma.fields.Float()
    bias = ma.fields.Float()
    z = ma.fields.Raw(
        metadata={"description": "the starting point(s) as given (null with pre_activations)", **_NUMBERS}
    )
    gradient = ma.fields.Raw(
        metadata={
            "description": "dh_L/dh₀ from jax.grad of the composed function (0 when it underflowed); "
            "a list over the inputs when z is a list",
            **_NUMBERS,
        }
    )
    log10_abs_gradient = ma.fields.Raw(
        metadata={
            "description": "log10|dh_L/dh₀| summed in log space (exact where f′ underflows: the entry's ln|f′| form); "
            "null when the weight or some f′ is exactly 0",
            **_NUMBERS,
        }
    )
    verdict = ma.fields.Raw(
        metadata={
            "description": "'vanishing' (|g| < 1e-3), 'exploding' (|g| > 1e3) or 'stable'; null if the gradient is NaN",
            **_VERDICTS,
        }
    )
    underflowed = ma.fields.Raw(
        metadata={"description": "the gradient is 0 in this dtype although its log magnitude is finite", **_FLAGS}
    )
    overflowed = ma.fields.Raw(
        metadata={
            "description": "the gradient is ±∞ (null) in this dtype although its log magnitude is finite",
            **_FLAGS,
        }
    )
    zero_derivative = ma.fields.Raw(
        metadata={
            "description": "some layer's local derivative is exactly 0 (dead; one that only underflows is not, except in a "
            "formula without a log form, README): the gradient is exactly 0",
            **_FLAGS,
        }
    )
    bound = ma.fields.Float(
        allow_none=True,
        metadata={
            "description": "(|w|·sup|f′|)^L; null when sup|f′| is unbounded, the bound overflows, or it was not "
            "asked for (request field bound)"
        },
    )
    log10_bound = ma.fields.Float(allow_none=True)
    max_abs_derivative = ma.fields.Float(allow_none=True, metadata={"description": "sup|f′| used by the bound"})
    thresholds = ma.fields.Dict(metadata={"description": "the verdict's thresholds on |gradient|"})
    layers = ma.fields.List(ma.fields.Nested(ChainLayerSchema))

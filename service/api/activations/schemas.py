"""Schemas of the catalog resource."""

import marshmallow as ma

from ..fields import StrictBoolean
from ..schemas import device_field, dtype_field, order_field


class ParamSchema(ma.Schema):
    name = ma.fields.String()
    type = ma.fields.String(metadata={"description": "'float' (any number in range) or 'choice' (one of choices)"})
    default = ma.fields.Raw(metadata={"description": "value used when the param is omitted"})
    minimum = ma.fields.Float()
    maximum = ma.fields.Float()
    exclusive_minimum = ma.fields.Boolean()
    exclusive_maximum = ma.fields.Boolean()
    choices = ma.fields.List(ma.fields.String())
    nullable = ma.fields.Boolean()
    description = ma.fields.String()


class ActivationSchema(ma.Schema):
    name = ma.fields.String()
    aliases = ma.fields.List(ma.fields.String())
    kind = ma.fields.String(metadata={"description": "'elementwise' or 'vector'"})
    formula = ma.fields.String(metadata={"description": "LaTeX"})
    params = ma.fields.List(ma.fields.Nested(ParamSchema))
    summary = ma.fields.String()
    non_differentiable_points = ma.fields.List(
        ma.fields.Float(),
        metadata={"description": "declared kinks: at the default params (one entry: at the query's params)"},
    )
    convention = ma.fields.String(metadata={"description": "the derivative returned at each kink"})


class CatalogSchema(ma.Schema):
    count = ma.fields.Integer()
    activations = ma.fields.List(ma.fields.Nested(ActivationSchema))


class CatalogQuerySchema(ma.Schema):
    kind = ma.fields.String(
        validate=ma.validate.OneOf(("elementwise", "vector")), metadata={"description": "only entries of this kind"}
    )


class _Points(ma.fields.Field):
    """Comma-separated numbers: ``0.5,1,2``."""

    def _deserialize(self, value, attr, data, **kwargs):
        import math

        import numpy as np

        parts = [p.strip() for p in str(value).split(",")]
        if parts == [""]:
            raise ma.ValidationError("Must not be empty.")
        out = []
        for i, p in enumerate(parts):
            try:
                v = float(p)
            except ValueError:
                raise ma.ValidationError(f"Item {i} ('{p[:40]}') is not a number.") from None
            if not math.isfinite(v):
                raise ma.ValidationError(f"Item {i} ('{p[:40]}') is not a finite number.")
            out.append(v)
        return np.asarray(out, dtype=np.float64)


class ParamsQuerySchema(ma.Schema):
    """A query whose activation params come as ``param.<name>=value`` keys: the view reads
    those (their names depend on the activation); the schema checks everything else."""

    @ma.pre_load
    def _set_params_aside(self, data, **kwargs):
        out = {}
        for key in data:
            values = data.getlist(key) if hasattr(data, "getlist") else [data[key]]
            if len(values) > 1:
                raise ma.ValidationError("Give this query parameter once.", key)
            if key == "params":
                raise ma.ValidationError("Send each param as param.<name>=value.", "params")
            if not key.startswith("param."):
                out[key] = values[0]
        return out


class EvaluateQuerySchema(ParamsQuerySchema):
    """Query of GET /v1/activations/{name}/evaluate."""

    x = _Points(required=True, metadata={"description": "comma-separated points, e.g. 0.5,1,2", "type": "string"})
    order = order_field(strict=False)
    dtype = dtype_field()
    device = device_field()


class EntryQuerySchema(ParamsQuerySchema):
    """Query of GET /v1/activations/{name}: the params the properties are computed at."""

    properties = StrictBoolean(
        text=True, load_default=True, metadata={"description": "compute `properties` (false: the catalog entry only)"}
    )


class ExtremumSchema(ma.Schema):
    value = ma.fields.Float(allow_none=True, metadata={"description": "null: unbounded"})
    at = ma.fields.Float(
        allow_none=True,
        metadata={"description": "where it is attained (or, next to a kink, approached); null: only as x → ±∞"},
    )


class SidesSchema(ma.Schema):
    left = ma.fields.Raw(metadata={"description": "x → −∞"})
    right = ma.fields.Raw(metadata={"description": "x → +∞"})


class PropertiesSchema(ma.Schema):
    """Computed with JAX in float64 at the given params (see README "Properties")."""

    params = ma.fields.Dict(metadata={"description": "the params they were computed at, defaults filled in"})
    value_at_zero = ma.fields.Float()
    derivative_at_zero = ma.fields.Float(metadata={"description": "f′(0) with the entry's kink convention"})
    range = ma.fields.List(
        ma.fields.Float(allow_none=True),
        metadata={"description": "[inf f, sup f] over the reals; null for an unbounded side"},
    )
    minimum = ma.fields.Nested(ExtremumSchema, metadata={"description": "inf f and where"})
    maximum = ma.fields.Nested(ExtremumSchema, metadata={"description": "sup f and where"})
    limits = ma.fields.Nested(SidesSchema, metadata={"description": "lim f at ∓∞; null when unbounded or oscillating"})
    max_abs_derivative = ma.fields.Float(allow_none=True, metadata={"description": "sup |f′|; null if unbounded"})
    argmax_abs_derivative = ma.fields.Float(
        allow_none=True, metadata={"description": "where sup |f′| is attained; null if only as x → ±∞"}
    )
    monotonic = ma.fields.Boolean(metadata={"description": "non-decreasing or non-increasing on the reals"})
    monotonic_direction = ma.fields.String(
        allow_none=True, metadata={"description": "'increasing' or 'decreasing' (non-strict), null if neither"}
    )
    zero_centered = ma.fields.Boolean(
        metadata={"description": "f(0) = 0 and the range is symmetric about 0 (both sides unbounded, or inf = −sup)"}
    )
    saturates = ma.fields.Nested(SidesSchema, metadata={"description": "f′ → 0 as x → −∞ (left) / +∞ (right)"})
    non_differentiable_points = ma.fields.List(
        ma.fields.Float(), metadata={"description": "where f or f′ jumps (searched on [−1e6, 1e6])"}
    )


class EntrySchema(ActivationSchema):
    properties = ma.fields.Nested(
        PropertiesSchema,
        allow_none=True,
        metadata={"description": "element-wise entries only (null for vector activations)"},
    )

"""Schemas of the catalog resource."""

import marshmallow as ma

from ...core import CATALOG
from ..fields import StrictBoolean
from ..schemas import device_field, dtype_field, order_field


class ParamSchema(ma.Schema):
    name = ma.fields.String()
    type = ma.fields.String(metadata={"description": "'float' (any number in range) or 'choice' (one of choices)"})
    default = ma.fields.Raw(
        metadata={"description": "value used when the param is omitted", "type": ["number", "string", "null"]}
    )
    minimum = ma.fields.Float()
    maximum = ma.fields.Float()
    exclusive_minimum = ma.fields.Boolean()
    exclusive_maximum = ma.fields.Boolean()
    choices = ma.fields.List(ma.fields.String())
    nullable = ma.fields.Boolean()
    description = ma.fields.String()


class CodeSchema(ma.Schema):
    """f as a short program in each library, at the default params (with the JAX derivative)."""

    jax = ma.fields.String(metadata={"description": "JAX: f, and f′ (or the Jacobian) by autodiff"})
    pytorch = ma.fields.String(metadata={"description": "PyTorch: f on a tensor"})
    numpy = ma.fields.String(metadata={"description": "NumPy (and scipy.special): f on an array"})


class ActivationSchema(ma.Schema):
    name = ma.fields.String()
    aliases = ma.fields.List(ma.fields.String())
    kind = ma.fields.String(metadata={"description": "'elementwise' or 'vector'"})
    formula = ma.fields.String(metadata={"description": "LaTeX"})
    code = ma.fields.Nested(CodeSchema, metadata={"description": "f in JAX, PyTorch and NumPy, ready to paste"})
    derivative_formula = ma.fields.String(
        metadata={"description": "LaTeX of f′ (vector entries: of ∂f_i/∂x_j), with the default kink convention"}
    )
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
    """Numbers as a query list: ``x=0.5&x=1&x=2`` or ``x=0.5,1,2`` (the parser joins repeats)."""

    list_parameter = True

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
    """A query whose activation params come as ``param.<name>=value`` keys. The view reads
    and checks those against the activation (binding.bind_query: which names are valid depends
    on it); the schema checks everything else, and declares every ``param.<name>`` of the
    catalog so the spec tells clients they exist."""

    @ma.pre_load
    def _set_params_aside(self, data, **kwargs):
        if "params" in data:
            raise ma.ValidationError("Send each param as param.<name>=value.", "params")
        return {key: value for key, value in data.items() if not key.startswith("param.")}


def _catalog_params() -> dict[str, ma.fields.Field]:
    """One optional query field ``param.<name>`` per param name in the catalog (documentation:
    the view binds them)."""
    uses: dict[str, list] = {}
    for activation in CATALOG:
        for param in activation.params:
            uses.setdefault(param.name, []).append((activation.name, param))
    out: dict[str, ma.fields.Field] = {}
    for name, entries in sorted(uses.items()):
        owners = "; ".join(f"{who}: {param.description}" for who, param in entries)
        choices = sorted({c for _, param in entries for c in param.choices})
        metadata: dict = {"description": f"activation param ({owners})"}
        if choices:
            field: ma.fields.Field = ma.fields.String(data_key=f"param.{name}", metadata={**metadata, "enum": choices})
        else:
            if any(param.nullable for _, param in entries):
                metadata["description"] += "; 'null' where the param takes null"
            field = ma.fields.Float(data_key=f"param.{name}", metadata=metadata)
        out[f"param_{name}"] = field
    return out


# Declared before any subclass exists: marshmallow copies the declared fields into subclasses.
ParamsQuerySchema._declared_fields.update(_catalog_params())


class EvaluateQuerySchema(ParamsQuerySchema):
    """Query of GET /v1/activations/{name}/evaluate."""

    x = _Points(
        required=True,
        metadata={
            "description": "the points: x=0.5&x=1&x=2, or comma-separated x=0.5,1,2 (at most max_query_points)",
            "type": "array",
            "items": {"type": "number"},
            "cap": "max_query_points",
        },
    )
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
        metadata={"description": "where it is attained, or the kink it is approached beside; null: only as x → ±∞"},
    )
    attained = ma.fields.Boolean(
        metadata={"description": "some x gives exactly this value (false: only approached, at ±∞ or beside a kink)"}
    )


class LimitsAtInfinitySchema(ma.Schema):
    left = ma.fields.Float(allow_none=True, metadata={"description": "lim f as x → −∞"})
    right = ma.fields.Float(allow_none=True, metadata={"description": "lim f as x → +∞"})


class SaturationSchema(ma.Schema):
    left = ma.fields.Boolean(metadata={"description": "f′ → 0 as x → −∞"})
    right = ma.fields.Boolean(metadata={"description": "f′ → 0 as x → +∞"})


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
    limits = ma.fields.Nested(
        LimitsAtInfinitySchema, metadata={"description": "lim f at ∓∞; null when unbounded or oscillating"}
    )
    max_abs_derivative = ma.fields.Float(allow_none=True, metadata={"description": "sup |f′|; null if unbounded"})
    argmax_abs_derivative = ma.fields.Float(
        allow_none=True,
        metadata={
            "description": "where sup |f′| is attained (on a flat stretch: the kink that starts it, else the whole "
            "number nearest 0), or the kink it is approached beside; null if only as x → ±∞"
        },
    )
    max_abs_derivative_attained = ma.fields.Boolean(
        metadata={"description": "some x has |f′(x)| = sup |f′| (false: only approached, at ±∞ or beside a kink)"}
    )
    monotonic = ma.fields.Boolean(metadata={"description": "non-decreasing or non-increasing on the reals"})
    monotonic_direction = ma.fields.String(
        allow_none=True, metadata={"description": "'increasing' or 'decreasing' (non-strict), null if neither"}
    )
    zero_centered = ma.fields.Boolean(
        metadata={"description": "f(0) = 0 and the range is symmetric about 0 (both sides unbounded, or inf = −sup)"}
    )
    saturates = ma.fields.Nested(SaturationSchema, metadata={"description": "f′ → 0 as x → −∞ (left) / +∞ (right)"})
    non_differentiable_points = ma.fields.List(
        ma.fields.Float(), metadata={"description": "where f or f′ jumps (searched on [−1e6, 1e6])"}
    )


class EntrySchema(ActivationSchema):
    properties = ma.fields.Nested(
        PropertiesSchema,
        allow_none=True,
        metadata={"description": "element-wise entries only (null for vector activations)"},
    )

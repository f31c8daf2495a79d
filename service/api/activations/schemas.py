"""Schemas of the catalog resource."""

import marshmallow as ma

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
    non_differentiable_points = ma.fields.List(ma.fields.Float(), metadata={"description": "at the default params"})
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


class EvaluateQuerySchema(ma.Schema):
    """Query of GET /v1/activations/{name}/evaluate; params come as ``param.<name>=value``."""

    x = _Points(required=True, metadata={"description": "comma-separated points, e.g. 0.5,1,2", "type": "string"})
    order = order_field(strict=False)
    dtype = dtype_field()
    device = device_field()

    @ma.pre_load
    def _set_params_aside(self, data, **kwargs):
        """``param.<name>`` keys are read by the view (their names depend on the activation)."""
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

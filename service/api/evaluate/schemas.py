"""Schemas of POST /v1/evaluate (also the response of GET /v1/activations/{name}/evaluate)."""

import marshmallow as ma

from ..fields import ActivationRef, NumberArray, nested_lists
from ..schemas import activation_ref_doc, device_field, dtype_field, order_field


class GridSchema(ma.Schema):
    """Evenly spaced points, both ends included (like numpy.linspace)."""

    start = ma.fields.Float(required=True, allow_nan=False, metadata={"description": "first point"})
    stop = ma.fields.Float(required=True, allow_nan=False, metadata={"description": "last point"})
    num = ma.fields.Integer(
        required=True,
        strict=True,
        validate=ma.validate.Range(min=1),
        metadata={"description": "number of points (at most max_points, see /v1/limits)", "cap": "max_points"},
    )


class EvaluateRequestSchema(ma.Schema):
    activation = ActivationRef(required=True, metadata=activation_ref_doc())
    x = NumberArray(
        ndims=(1, 2),
        metadata={
            "description": "points; for a vector activation one vector or a list of vectors",
            "type": "array",
            "items": {"anyOf": [{"type": "number"}, {"type": "array", "items": {"type": "number"}}]},
            "cap": "max_points",
        },
    )
    grid = ma.fields.Nested(GridSchema, metadata={"description": "instead of x: evenly spaced points"})
    order = order_field()
    dtype = dtype_field()
    device = device_field()

    @ma.validates_schema
    def _exactly_one_input(self, data, **kwargs):
        if ("x" in data) == ("grid" in data):
            which = "both were given" if "x" in data else "neither was given"
            raise ma.ValidationError(f"Give exactly one of 'x' or 'grid'; {which}.", "x")


class EvaluationSchema(ma.Schema):
    activation = ma.fields.Dict(metadata={"description": "name and all params, defaults filled in"})
    kind = ma.fields.String(metadata={"description": "'elementwise' or 'vector'"})
    dtype = ma.fields.String()
    device = ma.fields.String(metadata={"description": "the JAX device that computed, e.g. 'cpu:0'"})
    order = ma.fields.Integer()
    x = NumberArray(
        ndims=(1, 2),
        metadata={
            "description": "the points as computed: cast to dtype, subnormal ones as ±0",
            **nested_lists((1, 2), {"type": "number"}),
        },
    )
    value = NumberArray(ndims=(1, 2), metadata={"description": "f(x) (null where not finite)", **nested_lists((1, 2))})
    derivative = NumberArray(metadata={"description": "f′(x) (element-wise, order ≥ 1)", **nested_lists((1,))})
    second_derivative = NumberArray(metadata={"description": "f″(x) (element-wise, order 2)", **nested_lists((1,))})
    jacobian = NumberArray(
        ndims=(2, 3), metadata={"description": "∂f_i/∂x_j per vector (vector, order ≥ 1)", **nested_lists((2, 3))}
    )
    hessian = NumberArray(
        ndims=(3, 4),
        metadata={"description": "∂²f_i/∂x_j∂x_k per vector (vector, order 2)", **nested_lists((3, 4))},
    )
    nonfinite = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.Raw()),
        metadata={"description": "indices where an output is NaN or ±Inf (written as null), per output"},
    )

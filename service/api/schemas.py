"""Schemas shared by several resources: the problem envelope and common request options."""

import marshmallow as ma

from ..core import DEVICE_CHOICES, DTYPES


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details (media type application/problem+json)."""

    type = ma.fields.String(metadata={"description": "URI reference naming the kind of problem"})
    title = ma.fields.String(metadata={"description": "Short summary of the kind of problem"})
    status = ma.fields.Integer(metadata={"description": "HTTP status code"})
    detail = ma.fields.String(metadata={"description": "What went wrong in this request"})
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.String()),
        metadata={"description": "Messages per offending field, keyed by dotted path (e.g. activation.params.b, x.3)"},
    )


def order_field(strict=True):
    """strict for JSON bodies (1.0 and "1" are refused); query strings are always text."""
    return ma.fields.Integer(
        load_default=1,
        strict=strict,
        validate=ma.validate.Range(0, 2),
        metadata={
            "description": "highest derivative returned: 0 value only, 1 adds f′ (or the Jacobian), 2 adds f″ (or the Hessian)"
        },
    )


DTYPE_RULE = (
    "; inputs are rounded to it (subnormal ones to ±0, as CPUs compute them) and params must be 0 or normal "
    "numbers in it (a nonzero value that rounds to 0, to a subnormal or to ±∞ is a 422)"
)


def dtype_field():
    return ma.fields.String(
        load_default="float32",
        validate=ma.validate.OneOf(tuple(DTYPES)),
        metadata={"description": "floating-point type of the computation" + DTYPE_RULE},
    )


def device_field():
    return ma.fields.String(
        load_default="auto",
        validate=ma.validate.OneOf(DEVICE_CHOICES),
        metadata={"description": "'auto' uses a GPU when JAX sees one; 'gpu' answers 503 where there is none"},
    )


_NAME = {"type": "string", "description": "a catalog name or alias (GET /v1/activations)"}
_EXPRESSION = {
    "type": "string",
    "description": "a formula in x, e.g. 'x * sigmoid(beta * x)' (GET /v1/expressions/functions)",
}
_PARAMS = {
    "type": "object",
    "description": "param values by name; defaults fill the rest (null for a param means its default)",
    "additionalProperties": {"type": ["number", "string", "null"]},
}


def activation_ref_doc() -> dict:
    """OpenAPI description of an activation reference (a name or {name, params})."""
    return {
        "description": (
            "a catalog name such as 'gelu', {'name': ..., 'params': {...}}, or a custom formula "
            "{'expression': 'x * sigmoid(beta * x)', 'params': {'beta': 1.702}} (GET /v1/expressions/functions)"
        ),
        "oneOf": [
            {"type": "string", "description": "a catalog name or alias at its default params"},
            {
                "type": "object",
                "properties": {"name": _NAME, "params": _PARAMS},
                "required": ["name"],
                "additionalProperties": False,
            },
            {
                "type": "object",
                "properties": {"expression": _EXPRESSION, "params": _PARAMS},
                "required": ["expression"],
                "additionalProperties": False,
            },
        ],
    }

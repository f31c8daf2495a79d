"""Marshmallow fields shared by the resources: whole-array numbers and activation references."""

from __future__ import annotations

import math
from typing import Any

import marshmallow as ma
import numpy as np

from .binding import BoundActivation, bind, compile_formula

_NUMBER_TYPES = (int, float)
_MAX_LISTED = 10


def _bad_number(v) -> str | None:
    if type(v) is bool or not isinstance(v, _NUMBER_TYPES):
        return "Not a valid number."
    try:
        finite = math.isfinite(v)
    except OverflowError:  # an integer beyond float64
        return "Must lie within the float64 range."
    return None if finite else "Must be a finite number (NaN and ±Infinity are not numbers here)."


NUMBER_OR_NULL = {"type": ["number", "null"]}


def nested_lists(ndims: tuple[int, ...], leaf: dict = NUMBER_OR_NULL) -> dict:
    """JSON schema of ``leaf`` values in lists nested to each depth of ``ndims`` (one depth:
    that array; several: anyOf them), with ``items`` at every level."""

    def depth(n: int) -> dict:
        return {"type": "array", "items": leaf if n == 1 else depth(n - 1)}

    options = [depth(n) for n in ndims]
    return options[0] if len(options) == 1 else {"anyOf": options}


def scalar_or_list(leaf: dict) -> dict:
    """JSON schema of one ``leaf`` value, or a list of them (the chain's per-input fields)."""
    return {"anyOf": [leaf, {"type": "array", "items": leaf}]}


class NumberArray(ma.fields.Field):
    """A list of finite numbers (``ndim=1``) or a list of equal-length lists (``ndim=2``),
    loaded into a float64 NumPy array in one call instead of one Python float at a time.
    Errors name the first offending indices, e.g. ``x.3``. Dumps arrays as they are: the
    orjson provider writes them (NaN/±Inf as null)."""

    default_error_messages = {
        "type": "Must be a list of numbers.",
        "empty": "Must not be empty.",
        "ragged": "Must be a list of numbers or a list of equal-length lists of numbers.",
    }

    def __init__(self, ndims=(1,), **kwargs):
        self.ndims = tuple(ndims)
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> np.ndarray:
        if not isinstance(value, list):
            raise self.make_error("type")
        if not value:
            raise self.make_error("empty")
        nested = isinstance(value[0], list)
        if nested and 2 not in self.ndims or not nested and 1 not in self.ndims:
            raise self.make_error("ragged" if 2 in self.ndims else "type")
        rows = value if nested else [value]
        errors: dict[Any, Any] = {}
        for i, row in enumerate(rows):
            if not isinstance(row, list):
                errors[i] = ["Must be a list of numbers."]
                continue
            types = set(map(type, row))
            if types <= {float, int}:
                continue
            bad = {j: [m] for j, v in enumerate(row) if (m := _bad_number(v))}
            bad = dict(list(bad.items())[:_MAX_LISTED])
            if bad:
                errors[i] = bad
            if len(errors) >= _MAX_LISTED:
                break
        if errors:
            raise ma.ValidationError(errors if nested else errors[0])
        try:
            arr = np.asarray(value, dtype=np.float64)
        except OverflowError:
            raise ma.ValidationError("Numbers must lie within the float64 range.") from None
        except ValueError:
            raise self.make_error("ragged") from None
        finite = np.isfinite(arr)
        if not finite.all():
            idx = np.argwhere(~finite)[:_MAX_LISTED]
            msg = ["Must be a finite number (NaN and ±Infinity are not numbers here)."]
            if nested:
                out: dict = {}
                for i, j in idx.tolist():
                    out.setdefault(i, {})[j] = msg
                raise ma.ValidationError(out)
            raise ma.ValidationError({int(i): msg for (i,) in idx.tolist()})
        return arr

    def _serialize(self, value, attr, obj, **kwargs):
        return value


class StrictBoolean(ma.fields.Boolean):
    """``true`` or ``false`` and nothing else: JSON booleans in a body; in a query string
    (``text=True``) the words true and false, in any case. No 0, 1, "yes" or "on"."""

    default_error_messages = {"invalid": "Must be true or false."}

    def __init__(self, *, text: bool = False, **kwargs):
        super().__init__(truthy={True}, falsy={False}, **kwargs)
        self.text = text

    def _deserialize(self, value, attr, data, **kwargs):
        if self.text and isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class ActivationRef(ma.fields.Field):
    """``"gelu"``, ``{"name": "leaky_relu", "params": {"negative_slope": 0.1}}`` or
    ``{"expression": "x * sigmoid(beta * x)", "params": {"beta": 1.702}}``."""

    def _deserialize(self, value, attr, data, **kwargs) -> BoundActivation:
        if isinstance(value, str):
            return bind(value, {})
        if not isinstance(value, dict):
            raise ma.ValidationError("Must be an activation name or an object with 'name' and optional 'params'.")
        # An explicit null means absent here too (strict tool callers send null for what they
        # do not use): {"name": "gelu", "params": null, "expression": null} is plain gelu.
        value = {k: v for k, v in value.items() if v is not None}
        unknown = set(value) - {"name", "params", "expression"}
        if unknown:
            raise ma.ValidationError({k: ["Unknown field."] for k in sorted(unknown)})
        if "expression" in value:
            if "name" in value:
                raise ma.ValidationError({"name": ["Give either a catalog name or an expression, not both."]})
            return compile_formula(value["expression"], value.get("params", {}))
        name = value.get("name")
        if not isinstance(name, str) or not name:
            raise ma.ValidationError({"name": ["Missing or not a string: the catalog name of the activation."]})
        return bind(name, value.get("params", {}))

    def _serialize(self, value, attr, obj, **kwargs):
        return value.describe() if isinstance(value, BoundActivation) else value

"""What the spec declares beyond each schema, in one place: generated clients and LLM tools
read the spec, so it must say everything a careful client needs.

- Caps as bounds: a field or parameter with ``metadata={"cap": "max_…"}`` gets that cap of
  the limits in force as its ``maximum`` (numbers; ``"symmetric": True`` adds ``minimum`` =
  −cap) or ``maxItems`` (arrays, and the list option of a number-or-list): ``/v1/limits``, the
  spec and the refusals all read the same :class:`~service.core.Limits`.
- Every rate-limited operation declares 429 (problem+json with ``Retry-After``).
- Query lists are written ``form`` + ``explode`` (``k=a&k=b``, what generated clients send);
  the server also takes ``k=a,b`` (:func:`~service.api.parser.one_value_per_key`).
"""

from __future__ import annotations

import re
from typing import Any

import marshmallow as ma
import yaml  # type: ignore[import-untyped]
from apispec import BasePlugin

from ..core import Limits
from .protection import EXEMPT_PREFIXES

# A Host header worth naming as this server's address: a name or an IP literal, and a port.
PLAUSIBLE_HOST = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?")


class _NoAliases(yaml.SafeDumper):
    """YAML without anchors and aliases (some OpenAPI tools mishandle them)."""

    def ignore_aliases(self, data) -> bool:
        return True


def to_yaml(spec: dict) -> str:
    return yaml.dump(spec, Dumper=_NoAliases, sort_keys=False, allow_unicode=True)


# Not flask-smorest's TOO_MANY_REQUESTS: it registers that name lazily and would replace this.
RATE_LIMITED = "RATE_LIMITED"
RATE_LIMITED_RESPONSE = {
    "description": "Rate limit exceeded: retry after `Retry-After` seconds",
    "headers": {
        "Retry-After": {"description": "seconds until the limit resets", "schema": {"type": "integer", "minimum": 0}}
    },
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
}


def cap_bounds(limits: Limits):
    """An apispec attribute function (bound to the field converter): the ``cap`` a field
    names, as its bound."""

    def bounds(converter: Any, field: ma.fields.Field, ret: dict, **kwargs: Any) -> dict:
        cap = field.metadata.get("cap")
        if cap is None:
            return {}
        value = getattr(limits, cap)
        if "anyOf" in ret:  # a number or a list of them: the cap counts the list (a new list:
            # ret's is the field's own metadata, shared by every app)
            return {"anyOf": [{**o, "maxItems": value} if o.get("type") == "array" else o for o in ret["anyOf"]]}
        if ret.get("type") == "array":
            return {"maxItems": value}
        if field.metadata.get("symmetric"):  # |value| ≤ cap
            return {"minimum": -value, "maximum": value}
        return {"maximum": value}

    return bounds


class ContractPlugin(BasePlugin):
    """Runs after flask-smorest's marshmallow plugin on every operation."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        limited = not (path or "").startswith(EXEMPT_PREFIXES)
        for operation in (operations or {}).values():
            if limited:
                operation.setdefault("responses", {})["429"] = RATE_LIMITED
            for parameter in operation.get("parameters", []):
                if isinstance(parameter, dict) and parameter.get("explode") is False:
                    del parameter["explode"], parameter["style"]  # form + explode: the defaults

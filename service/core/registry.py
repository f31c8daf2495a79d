"""The activation registry: what an activation is (function, params, maths, conventions)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import InvalidParams, UnknownActivation

ELEMENTWISE = "elementwise"
VECTOR = "vector"


@dataclass(frozen=True)
class Param:
    """One parameter of an activation.

    ``type`` is ``"float"`` (a traced argument: a new value never recompiles) or
    ``"choice"`` (one of ``choices``; it selects code, so each value compiles once).
    A nullable float maps ``None`` to +∞ inside the compute function.
    """

    name: str
    default: Any
    description: str
    type: str = "float"
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    exclusive_maximum: bool = False
    choices: tuple[str, ...] = ()
    nullable: bool = False

    def check(self, value: Any) -> Any:
        """Return the validated value or raise :class:`InvalidParams` naming the rule."""
        if self.type == "choice":
            if not isinstance(value, str) or value not in self.choices:
                raise InvalidParams(f"must be one of {', '.join(map(repr, self.choices))}", self.name)
            return value
        if value is None:
            if self.nullable:
                return None
            raise InvalidParams("must be a number, not null", self.name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidParams("must be a number", self.name)
        try:
            value = float(value)
        except OverflowError:  # an integer past float64
            raise InvalidParams("must be a finite number within the float64 range", self.name) from None
        if not math.isfinite(value):
            raise InvalidParams("must be a finite number", self.name)
        if self.minimum is not None:
            if self.exclusive_minimum and not value > self.minimum:
                raise InvalidParams(f"must be > {self.minimum:g}", self.name)
            if not self.exclusive_minimum and not value >= self.minimum:
                raise InvalidParams(f"must be >= {self.minimum:g}", self.name)
        if self.maximum is not None:
            if self.exclusive_maximum and not value < self.maximum:
                raise InvalidParams(f"must be < {self.maximum:g}", self.name)
            if not self.exclusive_maximum and not value <= self.maximum:
                raise InvalidParams(f"must be <= {self.maximum:g}", self.name)
        return value

    def describe(self) -> dict:
        """The public description used by the catalog endpoint."""
        out: dict[str, Any] = {"name": self.name, "type": self.type, "default": self.default}
        if self.minimum is not None:
            out["minimum"] = self.minimum
            if self.exclusive_minimum:
                out["exclusive_minimum"] = True
        if self.maximum is not None:
            out["maximum"] = self.maximum
            if self.exclusive_maximum:
                out["exclusive_maximum"] = True
        if self.choices:
            out["choices"] = list(self.choices)
        if self.nullable:
            out["nullable"] = True
        out["description"] = self.description
        return out


_NUMPY_FROM_SCIPY = ("erf", "expit", "softmax", "log_softmax")


@dataclass(frozen=True)
class Code:
    """f in three libraries, each an expression of the array ``x`` at the default params.
    :meth:`snippets` turns them into short programs a reader can paste (imports, ``def f``,
    and in JAX the derivative by autodiff, as this service computes it)."""

    jax: str
    pytorch: str
    numpy: str

    def snippets(self, kind: str) -> dict[str, str]:
        vector = kind == VECTOR
        jax_imports = ["import jax"] + (["import jax.numpy as jnp"] if "jnp." in self.jax else [])
        derivative = (
            "jacobian = jax.jacobian(f)  # ∂f_i/∂x_j of one vector"
            if vector
            else "df = jax.vmap(jax.grad(f))  # f′ at each point, by autodiff"
        )
        torch_imports = (["import math"] if "math." in self.pytorch else []) + ["import torch"]
        if "F." in self.pytorch:
            torch_imports.append("import torch.nn.functional as F")
        scipy = [name for name in _NUMPY_FROM_SCIPY if re.search(rf"\b{name}\(", self.numpy)]
        numpy_imports = ["import numpy as np"] + ([f"from scipy.special import {', '.join(scipy)}"] if scipy else [])
        doc = '    """x is one vector."""\n' if vector else ""

        def program(imports: list[str], expression: str, after: str = "") -> str:
            body = "\n".join(imports) + f"\n\n\ndef f(x):\n{doc}    return {expression}\n"
            return body + (f"\n\n{after}\n" if after else "")

        return {
            "jax": program(jax_imports, self.jax, derivative),
            "pytorch": program(torch_imports, self.pytorch),
            "numpy": program(numpy_imports, self.numpy),
        }


@dataclass(frozen=True, eq=False)  # identity: entries are singletons, and cheap to hash as cache keys
class Activation:
    """A catalog entry.

    ``fn(x, **params)`` is a JAX function: element-wise entries map a scalar (or array,
    element by element) to the same shape; vector entries map a 1-D vector to a 1-D vector.
    ``kinks(params)`` lists the points where f itself is not differentiable, and
    ``convention`` says which derivative is returned there.
    """

    name: str
    fn: Callable
    formula: str
    summary: str
    # LaTeX of f′ (for vector entries, of the Jacobian's entries), with the default convention
    # at each kink: the closed form a learner checks the computed numbers against.
    derivative_formula: str = ""
    params: tuple[Param, ...] = ()
    aliases: tuple[str, ...] = ()
    kind: str = ELEMENTWISE
    kinks: Callable[[Mapping[str, Any]], Iterable[float]] = lambda p: ()
    convention: str = ""
    # Rules between params, e.g. rrelu's lower ≤ upper: raise InvalidParams naming one.
    constraints: Callable[[Mapping[str, Any]], None] = lambda p: None
    # Vector entries take ``where`` (the real entries of a padded vector); ``halves`` ones
    # (glu) split the vector in two and are padded half by half instead.
    halves: bool = False
    # A user's formula (service.core.expressions), measured before it is compiled.
    custom: bool = False
    # f in JAX, PyTorch and NumPy at the default params (catalog entries).
    code: Code | None = None
    # ln|f′(x)| in NumPy float64 (x, **params), for the entries whose f′ underflows float64
    # in a tail (e^{−|x|}-like): the chain's log magnitude uses it where f′ itself is 0 or
    # subnormal, so log10|dh_L/dh₀| stays finite and exact there (−∞ only where f′ = 0).
    log_derivative: Callable | None = None
    # ``jet(x, params, order)`` → (f, f′, f″)[: order + 1] in one program, for entries that
    # have one cheaper than f, grad f and grad grad f traced apart (a user's formula: one
    # nested forward-mode jvp).
    jet: Callable | None = None

    def with_choices(self, static: tuple) -> Callable:
        """``f(x, params, **more)``: ``fn`` with its choice params fixed (they select code, so
        they are part of a program, not traced arguments)."""
        extra = dict(static)
        return lambda x, params, **more: self.fn(x, **params, **more, **extra)

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def bind(self, given: Mapping[str, Any] | None) -> dict[str, Any]:
        """Validate user-given params and fill defaults; raise :class:`InvalidParams`."""
        given = dict(given or {})
        known = {p.name for p in self.params}
        for name in given:
            if name not in known:
                hint = f"known: {', '.join(sorted(known))}" if known else "this activation takes no parameters"
                shown = name if len(str(name)) <= 64 else f"{str(name)[:64]}…"
                raise InvalidParams(f"unknown parameter '{shown}' for {self.name} ({hint})", shown)
        bound = {p.name: p.check(given[p.name]) if p.name in given else p.default for p in self.params}
        self.constraints(bound)
        return bound

    def non_differentiable_points(self, bound: Mapping[str, Any]) -> list[float]:
        return sorted({float(k) for k in self.kinks(bound)})

    def describe(self) -> dict:
        """The public catalog entry."""
        return {
            "name": self.name,
            "aliases": list(self.aliases),
            "kind": self.kind,
            "formula": self.formula,
            "derivative_formula": self.derivative_formula,
            "code": self.code.snippets(self.kind) if self.code else {},
            "params": [p.describe() for p in self.params],
            "summary": self.summary,
            "non_differentiable_points": self.non_differentiable_points({p.name: p.default for p in self.params}),
            "convention": self.convention or "Differentiable everywhere: no kink, no convention needed.",
        }


@dataclass
class Registry:
    """Name → activation, with aliases resolved case-insensitively (``-`` reads as ``_``)."""

    entries: dict[str, Activation] = field(default_factory=dict)
    _lookup: dict[str, str] = field(default_factory=dict)

    @staticmethod
    def _key(name: str) -> str:
        return name.strip().lower().replace("-", "_")

    def add(self, activation: Activation) -> Activation:
        for label in (activation.name, *activation.aliases):
            key = self._key(label)
            if key in self._lookup:
                raise ValueError(f"duplicate activation name or alias: {label}")
            self._lookup[key] = activation.name
        self.entries[activation.name] = activation
        return activation

    def entry(self, formula: str, summary: str, *, name: str | None = None, **fields: Any) -> Callable:
        """Decorator: register the function below as an activation (named after it unless
        ``name`` is given; ``fields`` as :class:`Activation`'s) and return it unchanged."""

        def register(fn: Callable) -> Callable:
            self.add(Activation(name or fn.__name__, fn, formula, summary, **fields))
            return fn

        return register

    def get(self, name: str) -> Activation:
        try:
            return self.entries[self._lookup[self._key(name)]]
        except (KeyError, AttributeError):
            shown = name if len(str(name)) <= 64 else f"{str(name)[:64]}…"
            raise UnknownActivation(
                f"unknown activation '{shown}'; GET /v1/activations lists the catalog", "activation"
            ) from None

    def __iter__(self):
        return iter(self.entries.values())

    def __len__(self):
        return len(self.entries)

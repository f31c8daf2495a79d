"""The numbers teaching content is made of, each computed by the compute core in float64."""

from __future__ import annotations

import functools
import math

import numpy as np

from ..core import CATALOG, evaluate
from ..core.chain import chain
from ..core.properties import Properties, properties

# Negative inputs a "dying" unit sees: f′ exactly 0 on all of them means no gradient at all.
_NEGATIVE = -np.logspace(-3, 2, 400)
_PROBE = np.array([[1.0, 2.0, 3.0], [-2.0, 0.5, 0.0]])  # score vectors for output layers


def value(name: str, x: float, **params) -> float:
    a = CATALOG.get(name)
    return float(evaluate(a, a.bind(params), np.array([x]), order=0, dtype="float64", device="cpu").value[0])


def derivative(name: str, x: float, **params) -> float:
    a = CATALOG.get(name)
    return float(evaluate(a, a.bind(params), np.array([x]), order=1, dtype="float64", device="cpu").d1[0])


def props(name: str, **params) -> Properties:
    a = CATALOG.get(name)
    return properties(a, a.bind(params))


@functools.lru_cache(maxsize=256)
def chain_gradient(name: str, depth: int, z: float, weight: float = 1.0) -> float:
    """d h_L / d h_0 of the scalar chain (bias 0)."""
    a = CATALOG.get(name)
    return float(chain(a, a.bind({}), np.array([z]), depth, weight=weight, dtype="float64").gradient[0])


@functools.lru_cache(maxsize=256)
def depth_below(name: str, threshold: float, z: float = 0.0, weight: float = 1.0, max_depth: int = 500) -> int | None:
    """The first layer at which |cumulative gradient| < threshold, or None within max_depth."""
    a = CATALOG.get(name)
    r = chain(a, a.bind({}), np.array([z]), max_depth, weight=weight, dtype="float64")
    below = np.flatnonzero(r.log10_abs_cumulative[0] < math.log10(threshold))
    return int(below[0]) + 1 if below.size else None


@functools.cache
def can_die(name: str) -> bool:
    """f′(x) = 0 exactly for every negative input: a unit pushed there gets no gradient."""
    a = CATALOG.get(name)
    d = evaluate(a, a.bind({}), _NEGATIVE, order=1, dtype="float64", device="cpu").derivative
    return bool(np.all(d == 0.0))


@functools.cache
def is_probability(name: str) -> bool:
    """Element-wise with range [0, 1]: each output reads as one probability."""
    a = CATALOG.get(name)
    return a.kind == "elementwise" and props(name).range == (0.0, 1.0)


@functools.cache
def is_distribution(name: str) -> bool:
    """Maps a score vector to positive numbers that sum to 1 and keeps the scores' order:
    a categorical distribution over mutually exclusive classes."""
    a = CATALOG.get(name)
    x = _PROBE
    if a.kind == "elementwise":
        y = evaluate(a, a.bind({}), x.reshape(-1), order=0, dtype="float64", device="cpu").value.reshape(x.shape)
    else:
        y = evaluate(a, a.bind({}), x, order=0, dtype="float64", device="cpu").value
    sums_to_one = np.allclose(y.sum(axis=-1), 1.0, rtol=0, atol=1e-12)
    same_order = all((np.argsort(row) == np.argsort(s)).all() for row, s in zip(y, x))
    return bool(sums_to_one and (y > 0).all() and same_order)


@functools.cache
def is_linear(name: str) -> bool:
    """f(x) = x everywhere: the output layer for an unbounded real-valued target."""
    a = CATALOG.get(name)
    if a.kind != "elementwise":
        return False
    x = np.linspace(-1e3, 1e3, 2001)
    return bool(np.array_equal(evaluate(a, a.bind({}), x, order=0, dtype="float64", device="cpu").value, x))

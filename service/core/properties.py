"""Numerical properties of an activation computed with JAX (no hand-typed tables)."""

from __future__ import annotations

import functools

import numpy as np

from .evaluate import evaluate
from .registry import VECTOR, Activation

# A dense grid where every catalog activation's derivative does its interesting things,
# plus far points that reveal a derivative still growing (unbounded) at large |x|.
_GRID = np.concatenate([np.linspace(-60.0, 60.0, 12_001), [-1e6, -1e4, -1e3, 1e3, 1e4, 1e6]])


@functools.lru_cache(maxsize=1024)
def _max_abs_derivative(activation: Activation, frozen_params: tuple) -> tuple[float | None, float | None]:
    params = dict(frozen_params)
    grid = _GRID
    kinks = np.asarray(activation.non_differentiable_points(params), dtype=np.float64)
    if kinks.size:
        grid = np.concatenate([grid, kinks])
    d = np.abs(evaluate(activation, params, grid, order=1, dtype="float64", device="cpu").derivative)
    i = int(np.argmax(d))
    if d[grid == 1e6].max() > 2.0 * d[grid == 1e4].max():
        return None, None  # still growing a hundred times farther out: unbounded
    # Refine the argmax on a fine grid around the best grid point.
    lo, hi = grid[i] - 1e-2, grid[i] + 1e-2
    fine = np.linspace(lo, hi, 2001)
    df = np.abs(evaluate(activation, params, fine, order=1, dtype="float64", device="cpu").derivative)
    j = int(np.argmax(df))
    if df[j] > d[i]:
        return float(df[j]), float(fine[j])
    return float(d[i]), float(grid[i])


def max_abs_derivative(activation: Activation, params: dict) -> tuple[float | None, float | None]:
    """(sup |f′|, where) over the reals for an element-wise activation; (None, None) when
    |f′| is unbounded. Found on a dense grid (spacing 1e-2 on [−60, 60], kinks and far points included)
    refined around its best point."""
    if activation.kind == VECTOR:
        raise ValueError("max |f′| is defined for element-wise activations")
    return _max_abs_derivative(activation, tuple(sorted(params.items(), key=lambda kv: kv[0])))

"""Values and exact derivatives of catalog activations: ``jax.grad`` (orders 1 and 2)
vectorised with ``jax.vmap`` and compiled with ``jax.jit``; Jacobians and Hessians of vector
activations with ``jax.jacrev``/``jax.hessian``.

Compiled programs are cached per (activation, order, choice params). Float params are traced
arguments, so a new slope never recompiles; input lengths are padded to power-of-two
buckets and the answer sliced, so a stream of sizes compiles a handful of times.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from . import devices
from .errors import InvalidInput, LimitExceeded
from .limits import Limits
from .registry import VECTOR, Activation

DTYPES = {"float32": np.float32, "float64": np.float64}
DTYPE_MAX = {name: float(np.finfo(t).max) for name, t in DTYPES.items()}
MIN_BUCKET = 16


@functools.cache
def default_device():
    """JAX's default device, looked up on first use (after fork)."""
    return jax.devices()[0]


@dataclass(frozen=True)
class Evaluation:
    """Result arrays (NumPy, on the host) with the padding already removed."""

    dtype: str
    device: str
    x: np.ndarray
    value: np.ndarray
    derivative: np.ndarray | None = None  # element-wise f′, or the Jacobian for vectors
    second_derivative: np.ndarray | None = None  # element-wise f″, or the Hessian

    def nonfinite(self) -> dict[str, list]:
        """Indices of NaN/±Inf per output (written as null in JSON)."""
        report = {}
        for name in ("value", "derivative", "second_derivative"):
            arr = getattr(self, name)
            if arr is None or np.isfinite(arr).all():
                continue
            bad = np.argwhere(~np.isfinite(arr))
            if len(bad):
                report[name] = bad[:, 0].tolist() if arr.ndim == 1 else bad.tolist()
        return report


def bucket(n: int) -> int:
    """Smallest power of two ≥ max(n, MIN_BUCKET)."""
    return max(MIN_BUCKET, 1 << (int(n) - 1).bit_length())


def split_params(activation: Activation, bound: Mapping[str, Any]) -> tuple[dict, tuple]:
    """Float params (traced; null → +∞) and choice params (static, part of the cache key)."""
    traced, static = {}, []
    for p in activation.params:
        v = bound[p.name]
        if p.type == "choice":
            static.append((p.name, v))
        else:
            traced[p.name] = np.inf if v is None else v
    return traced, tuple(static)


def _positive_zeros(program):
    """Write −0.0 (e.g. σ″(0) = −σ′(0)·tanh 0) as 0.0, inside the compiled program, so JSON
    readers print no sign. (XLA folds ``o + 0.0`` away, so this compares instead.)"""
    return lambda x, params: tuple(jnp.where(o == 0, 0.0, o) for o in program(x, params))


@functools.lru_cache(maxsize=512)
def compiled(activation: Activation, order: int, static: tuple) -> Any:
    """The jitted program returning (value, f′, f″)[: order + 1] for one activation."""
    extra = dict(static)

    def f(x, params):
        return activation.fn(x, **params, **extra)

    if activation.kind == VECTOR:
        derivs = [f, jax.jacrev(f), jax.hessian(f)][: order + 1]

        def program(x, params):
            return tuple(jax.vmap(d, in_axes=(0, None))(x, params) for d in derivs)

        return jax.jit(_positive_zeros(program))

    df = jax.grad(f)

    def pointwise(x, params):
        # value_and_grad shares the forward pass between f and f′ (and f′ with f″).
        if order == 0:
            return (f(x, params),)
        if order == 1:
            return jax.value_and_grad(f)(x, params)
        d1, d2 = jax.value_and_grad(df)(x, params)
        return f(x, params), d1, d2

    def program(x, params):
        return jax.vmap(pointwise, in_axes=(0, None))(x, params)

    return jax.jit(_positive_zeros(program))


def check_input(activation: Activation, x: np.ndarray, order: int, limits: Limits) -> None:
    """Shape rules and caps; raise :class:`InvalidInput` or :class:`LimitExceeded`."""
    if x.size == 0:
        raise InvalidInput("must not be empty", "x")
    if activation.kind == VECTOR:
        if x.ndim not in (1, 2):
            raise InvalidInput("must be one vector or a list of vectors of equal length", "x")
        rows = x.reshape(-1, x.shape[-1])
        n = rows.shape[1]
        if n == 0:
            raise InvalidInput("vectors must not be empty", "x")
        if n > limits.max_vector_length:
            raise LimitExceeded(f"vector length {n} exceeds max_vector_length={limits.max_vector_length}", "x")
        if rows.shape[0] > limits.max_vectors:
            raise LimitExceeded(f"{rows.shape[0]} vectors exceed max_vectors={limits.max_vectors}", "x")
        if activation.name == "glu" and n % 2:
            raise InvalidInput("glu needs vectors of even length (it splits them in halves)", "x")
        m = n // 2 if activation.name == "glu" else n
        if order >= 1 and rows.shape[0] * m * n > limits.max_jacobian_entries:
            raise LimitExceeded(
                f"Jacobian of {rows.shape[0]}×{m}×{n} entries exceeds max_jacobian_entries={limits.max_jacobian_entries}",
                "x",
            )
        if order >= 2 and rows.shape[0] * m * n * n > limits.max_hessian_entries:
            raise LimitExceeded(
                f"Hessian of {rows.shape[0]}×{m}×{n}×{n} entries exceeds max_hessian_entries={limits.max_hessian_entries}",
                "x",
            )
    else:
        if x.ndim != 1:
            raise InvalidInput(f"{activation.name} is element-wise: x must be a flat list of numbers", "x")
        if x.size > limits.max_points:
            raise LimitExceeded(f"{x.size} points exceed max_points={limits.max_points}", "x")
    if not 0 <= order <= limits.max_order:
        raise InvalidInput(f"must be between 0 and {limits.max_order}", "order")


def evaluate(
    activation: Activation,
    params: Mapping[str, Any],
    x: np.ndarray,
    *,
    order: int = 1,
    dtype: str = "float32",
    device: str = "auto",
    limits: Limits = Limits(),
) -> Evaluation:
    """Evaluate ``activation`` with bound ``params`` at ``x`` and its derivatives to ``order``.

    ``x`` is 1-D for element-wise activations; for vector ones a vector or a 2-D batch.
    """
    x = np.asarray(x, dtype=np.float64)
    check_input(activation, x, order, limits)
    np_dtype = DTYPES[dtype]
    big = np.abs(x) > DTYPE_MAX[dtype]
    if big.any():
        raise InvalidInput(f"{x[big][0]:g} is outside the {dtype} range", "x")
    xd = x.astype(np_dtype)
    target = devices.select(device)
    traced, static = split_params(activation, params)
    program = compiled(activation, order, static)

    rows = xd.reshape(-1, xd.shape[-1]) if activation.kind == VECTOR else xd
    n = rows.shape[0]
    padded = np.zeros((bucket(n),) + rows.shape[1:], dtype=np_dtype)
    padded[:n] = rows
    args = (padded, {k: np.asarray(v, dtype=np_dtype) for k, v in traced.items()})
    if target != default_device():
        args = jax.device_put(args, target)  # NumPy inputs already run on the default device
    outs = [np.asarray(o)[:n] for o in program(*args)]
    if activation.kind == VECTOR and xd.ndim == 1:
        outs = [o[0] for o in outs]
    return Evaluation(
        dtype=dtype,
        device=devices.label(target),
        x=xd,
        value=outs[0],
        derivative=outs[1] if order >= 1 else None,
        second_derivative=outs[2] if order >= 2 else None,
    )

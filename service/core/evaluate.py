"""Values and exact derivatives of activations: ``jax.grad`` (orders 1 and 2) vectorised with
``jax.vmap``; Jacobians and Hessians of vector activations with ``jax.jacrev``/``jax.hessian``.

Every program is compiled once per (activation, order, choice params, dtype, padded shape,
device) and kept in the process's bounded program cache (:mod:`.programs`). Float params are
traced arguments, so a new slope never recompiles. Input lengths are padded to buckets and
the answer sliced: element-wise lists and batches of vectors to powers of two, the length of
one vector to quarter octaves (8, 10, 12, 14, 16, 20, …) with the padding masked out, so a
stream of sizes compiles a bounded number of programs.

A custom formula's program is measured before it is compiled (:func:`check_formula`).
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
from .errors import InvalidInput, InvalidParams, LimitExceeded
from .limits import Limits
from .programs import PROGRAMS, Program, SizeCache, jaxpr_size
from .registry import VECTOR, Activation

DTYPES: dict[str, type[np.floating]] = {"float32": np.float32, "float64": np.float64}
# Magnitudes below these round to a finite number in that dtype (float32: halfway between its
# largest finite number and 2**128 rounds to even, which is 2**128 = ∞).
ROUNDS_FINITE = {"float32": 2.0**128 - 2.0**103, "float64": np.inf}
MIN_BUCKET = 16
MIN_VECTOR_BUCKET = 8


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

    @property
    def d1(self) -> np.ndarray:
        """f′ (or the Jacobian): evaluated at order ≥ 1."""
        if self.derivative is None:
            raise ValueError("evaluated at order 0: no derivative")
        return self.derivative

    @property
    def d2(self) -> np.ndarray:
        """f″ (or the Hessian): evaluated at order 2."""
        if self.second_derivative is None:
            raise ValueError("evaluated below order 2: no second derivative")
        return self.second_derivative

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


def fine_bucket(n: int, minimum: int = MIN_VECTOR_BUCKET, steps: int = 4) -> int:
    """Smallest of minimum, and of 2^k·(1 + j/steps) for j < steps, that is ≥ n: at most
    1/steps of padding (a quarter octave: 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, …)."""
    n = max(int(n), minimum)
    octave = 1 << (n.bit_length() - 1)
    step = max(1, octave // steps)
    return -(-n // step) * step


def padded(values: np.ndarray, size: int, dtype) -> np.ndarray:
    """``values`` (1-D) followed by zeros up to ``size``, in ``dtype``."""
    out = np.zeros(size, dtype=dtype)
    out[: values.size] = values
    return out


def check_range(values: np.ndarray, dtype: str, field: str) -> None:
    """Every value must round to a finite ``dtype`` number (InvalidInput naming the first that
    does not). Rounding, not comparing with the max: 3.4028235e38, the float32 max as the
    service prints it, is a float64 a hair above that max and is the max in float32."""
    values = np.asarray(values, np.float64)
    if values.size and -ROUNDS_FINITE[dtype] < values.min() and values.max() < ROUNDS_FINITE[dtype]:
        return  # the common case, in two reductions (NaN fails both comparisons: checked below)
    with np.errstate(over="ignore", invalid="ignore"):
        big = ~np.isfinite(values.astype(DTYPES[dtype])) & ~np.isnan(values)
    if big.any():
        largest = float(np.finfo(DTYPES[dtype]).max)
        raise InvalidInput(
            f"{float(values[big][0])!r} is outside the {dtype} range (it rounds to ±∞; the largest finite "
            f"{dtype} is {largest:.9g})",
            field,
        )


def flush_subnormals(values: np.ndarray) -> np.ndarray:
    """Subnormal entries as ±0 (sign kept). CPUs flush them inside every computation; doing it
    here, before anything runs, makes every device agree and lets an answer echo the input it
    computed with (relu′ at 5e-324 is relu′(0) = 0, and x is echoed as 0.0)."""
    tiny = np.finfo(values.dtype).tiny
    magnitude = np.abs(values)
    if np.min(magnitude, where=magnitude > 0, initial=np.inf) >= tiny:
        return values  # none (NaN is not subnormal)
    return np.where(magnitude < tiny, np.copysign(np.zeros_like(values), values), values)


def check_number(value: float, dtype: str, field: str) -> None:
    """A param (or weight, bias, std) must be 0 or a normal ``dtype`` number: a nonzero value
    that rounds to 0, to a subnormal (flushed to 0 by CPUs) or to ±∞ in ``dtype`` would be
    computed as something else than was asked (squareplus b = 1e-300 in float32 is b = 0)."""
    if value is None or value == 0 or not np.isfinite(value):
        return
    info = np.finfo(DTYPES[dtype])
    with np.errstate(over="ignore", under="ignore"):
        rounded = np.float64(value).astype(DTYPES[dtype])
    if np.isfinite(rounded) and abs(rounded) >= info.tiny:
        return
    what = "rounds to ±∞" if not np.isfinite(rounded) else "rounds to 0" if rounded == 0 else "is subnormal"
    raise InvalidParams(
        f"{float(value)!r} {what} in {dtype}: a nonzero value must have magnitude between "
        f"{float(info.tiny):.8g} and {float(info.max):.8g} in {dtype}",
        field,
    )


def check_params(activation: Activation, bound: Mapping[str, Any], dtype: str, field: str = "activation") -> None:
    """:func:`check_number` for every float param of ``activation`` (a formula's too), named
    ``<field>.params.<name>``."""
    for p in activation.params:
        if p.type != "choice":
            check_number(bound[p.name], dtype, f"{field}.params.{p.name}")


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
    return lambda *args: tuple(jnp.where(o == 0, 0.0, o) for o in program(*args))


def _elementwise_program(activation: Activation, order: int, static: tuple):
    """(x, params) → (f, f′, f″)[: order + 1] at every point of x."""
    f = activation.with_choices(static)
    df = jax.grad(f)
    jet = activation.jet

    def pointwise(x, params):
        if jet is not None:
            return jet(x, {**params, **dict(static)}, order)
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


def _vector_program(activation: Activation, order: int, static: tuple):
    """(rows, mask, params) → (f, J, H)[: order + 1] of every row; ``mask`` marks the real
    entries of a padded vector (glu's halves are padded with zeros and ignore it)."""
    fixed = activation.with_choices(static)

    def f(x, mask, params):
        return fixed(x, params, where=mask)

    derivs = [f, jax.jacrev(f), jax.hessian(f)][: order + 1]

    def program(x, mask, params):
        return tuple(jax.vmap(d, in_axes=(0, None, None))(x, mask, params) for d in derivs)

    return jax.jit(_positive_zeros(program))


def _spec(shape, dtype, device) -> jax.ShapeDtypeStruct:
    return jax.ShapeDtypeStruct(shape, dtype, sharding=jax.sharding.SingleDeviceSharding(device))


def program(activation: Activation, order: int, static: tuple, dtype: str, shape: tuple, device=None) -> Program:
    """The compiled program for inputs of the padded ``shape`` (from the program cache)."""
    device = device or default_device()
    np_dtype = DTYPES[dtype]
    vector = activation.kind == VECTOR

    def specs() -> tuple:
        params = {p.name: _spec((), np_dtype, device) for p in activation.params if p.type != "choice"}
        if vector:
            return _spec(shape, np_dtype, device), _spec(shape[1:], np.bool_, device), params
        return _spec(shape, np_dtype, device), params

    build = functools.partial(_vector_program if vector else _elementwise_program, activation, order, static)
    key = ("evaluate", activation, order, static, dtype, shape, devices.label(device))
    return PROGRAMS.get(key, build, specs)


_SIZES = SizeCache()
# f″'s program is at least this many times f′'s (it computes f′ on the way: 1.1 where a
# weighted erfc dominates, 2–2.5 typically): a formula whose f′ already predicts an f″ over the
# cap is refused before f″ is traced.
SECOND_ORDER_GROWTH = 1.0


def formula_size(activation: Activation, static: tuple, dtype: str, order: int) -> int:
    """Operations of a formula's element-wise program at ``order`` (traced, not compiled;
    measured once per formula, order and dtype)."""
    np_dtype = DTYPES[dtype]
    names = tuple(p.name for p in activation.params if p.type != "choice")

    def measure() -> int:
        jitted = _elementwise_program(activation, order, static)
        specs = (jax.ShapeDtypeStruct((MIN_BUCKET,), np_dtype), {n: jax.ShapeDtypeStruct((), np_dtype) for n in names})
        return jaxpr_size(jitted.trace(*specs).jaxpr.jaxpr)

    return _SIZES.get(activation, (order, static, dtype), measure)


def check_formula(
    activation: Activation,
    static: tuple,
    *,
    dtype: str,
    order: int,
    evaluations: int,
    limits: Limits,
    field: str = "activation",
) -> None:
    """Refuse a custom formula before compiling it: its program at ``order`` must have at most
    ``max_formula_size`` operations, and size × ``evaluations`` (element-wise applications the
    request needs) must stay within ``max_formula_work``. Catalog entries pass untouched:
    their programs are small and the other caps bound their work."""
    if not activation.custom:
        return
    what = ("value", "first derivative", "second derivative")
    size = 0
    for k in range(order + 1):  # lower orders first: a bomb is refused before its f″ is traced
        size = formula_size(activation, static, dtype, k)
        if k == 1 and order == 2 and size * SECOND_ORDER_GROWTH > limits.max_formula_size:
            raise LimitExceeded(
                f"the formula's first derivative is already {size} operations, so its second derivative "
                f"exceeds max_formula_size={limits.max_formula_size}; simplify it or ask for order 1",
                f"{field}.expression",
            )
        if size > limits.max_formula_size:
            raise LimitExceeded(
                f"the formula's {what[k]} is {size} operations, over max_formula_size="
                f"{limits.max_formula_size}; simplify it or ask for a lower order",
                f"{field}.expression",
            )
    work = size * evaluations
    if work > limits.max_formula_work:
        raise LimitExceeded(
            f"{evaluations} evaluations of a formula of {size} operations is {work:.3g} operations, over "
            f"max_formula_work={limits.max_formula_work:.3g}; use fewer points or a simpler formula",
            f"{field}.expression",
        )


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
        if activation.halves and n % 2:
            raise InvalidInput(f"{activation.name} needs vectors of even length (it splits them in halves)", "x")
        m = n // 2 if activation.halves else n
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
        count = rows.shape[0]
        numbers = count * (n + m) + (count * m * n if order >= 1 else 0) + (count * m * n * n if order >= 2 else 0)
    else:
        if x.ndim != 1:
            raise InvalidInput(f"{activation.name} is element-wise: x must be a flat list of numbers", "x")
        if x.size > limits.max_points:
            raise LimitExceeded(f"{x.size} points exceed max_points={limits.max_points}", "x")
        numbers = x.size * (2 + max(order, 0))
    if not 0 <= order <= limits.max_order:
        raise InvalidInput(f"must be between 0 and {limits.max_order}", "order")
    if numbers > limits.max_response_numbers:
        raise LimitExceeded(
            f"the answer would hold {numbers} numbers, over max_response_numbers={limits.max_response_numbers}; "
            "send fewer or shorter vectors, or a lower order",
            "x",
        )


def _pad_vectors(activation: Activation, rows: np.ndarray, np_dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows padded to (bucket(rows), fine_bucket(length)); the mask of real entries; and the
    padded positions of the real entries (glu's two halves are padded one by one)."""
    count, n = rows.shape
    if activation.halves:
        half, width = n // 2, fine_bucket(n // 2)
        where = np.concatenate([np.arange(half), width + np.arange(half)])
        size = 2 * width
    else:
        where, size = np.arange(n), fine_bucket(n)
    padded = np.zeros((bucket(count), size), dtype=np_dtype)
    padded[:count, where] = rows
    mask = np.zeros(size, dtype=bool)
    mask[where] = True
    return padded, mask, where


def evaluate(
    activation: Activation,
    params: Mapping[str, Any],
    x: np.ndarray,
    *,
    order: int = 1,
    dtype: str = "float32",
    device: str = "auto",
    limits: Limits = Limits(),
    field: str = "activation",
) -> Evaluation:
    """Evaluate ``activation`` with bound ``params`` at ``x`` and its derivatives to ``order``.

    ``x`` is 1-D for element-wise activations; for vector ones a vector or a 2-D batch.
    """
    x = np.asarray(x, dtype=np.float64)
    check_input(activation, x, order, limits)
    np_dtype = DTYPES[dtype]
    check_range(x, dtype, "x")
    check_params(activation, params, dtype, field)
    xd = flush_subnormals(x.astype(np_dtype))
    target = devices.select(device)
    traced, static = split_params(activation, params)
    cast = {k: np.asarray(v, dtype=np_dtype) for k, v in traced.items()}
    args: tuple
    if activation.kind == VECTOR:
        rows = xd.reshape(-1, xd.shape[-1])
        n = rows.shape[0]
        rows_padded, mask, where = _pad_vectors(activation, rows, np_dtype)
        args = (rows_padded, mask, cast)
    else:
        n = xd.shape[0]
        check_formula(activation, static, dtype=dtype, order=order, evaluations=bucket(n), limits=limits, field=field)
        args = (padded(xd, bucket(n), np_dtype), cast)
    compiled = program(activation, order, static, dtype, args[0].shape, target)
    if target != default_device():
        args = jax.device_put(args, target)  # NumPy inputs already run on the default device
    outs = [np.asarray(o)[:n] for o in compiled.run(*args)]
    if activation.kind == VECTOR:
        outs = _unpad_vector_outputs(activation, outs, where)
        if xd.ndim == 1:
            outs = [o[0] for o in outs]
    return Evaluation(
        dtype=dtype,
        device=devices.label(target),
        x=xd,
        value=outs[0],
        derivative=outs[1] if order >= 1 else None,
        second_derivative=outs[2] if order >= 2 else None,
    )


def _unpad_vector_outputs(activation: Activation, outs: list[np.ndarray], where: np.ndarray) -> list[np.ndarray]:
    """Real outputs (glu: the first half) and, in the Jacobian and Hessian, real inputs only."""
    rows_out = np.arange(len(where) // 2) if activation.halves else where
    value = outs[0][:, rows_out]
    result = [np.ascontiguousarray(value)]
    if len(outs) > 1:
        result.append(np.ascontiguousarray(outs[1][:, rows_out][:, :, where]))
    if len(outs) > 2:
        result.append(np.ascontiguousarray(outs[2][:, rows_out][:, :, where][:, :, :, where]))
    return result

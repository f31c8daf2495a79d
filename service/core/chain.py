"""Depth-chained gradients: the arithmetic behind vanishing and exploding gradients.

The scalar chain h₀ = z, z_l = w·h_{l−1} + b, h_l = f(z_l) (l = 1..L) has

    dh_L/dh₀ = Π_l w·f′(z_l),

computed here by ``jax.grad`` of the composed function written with ``jax.lax.scan`` and
vmapped over the starting points. The depth is a traced argument: the scan runs over a
bucket of layers (64, then powers of two) and layers past the depth pass h through unchanged,
so any depth in a bucket reuses one compiled program. ``log10|dh_L/dh₀|`` is summed in log space
(float64) so it stays finite and exact where the product itself underflows.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from . import numerics as nm
from .errors import InvalidInput, LimitExceeded
from .evaluate import (
    DTYPES,
    bucket,
    check_formula,
    check_number,
    check_params,
    check_range,
    flush_subnormals,
    padded,
    split_params,
)
from .limits import Limits
from .programs import PROGRAMS, Program
from .properties import SURVEY_EVALUATIONS, max_abs_derivative
from .registry import VECTOR, Activation

# |gradient| below 1e-3 is vanishing, above 1e3 exploding, stable in between.
VANISHING_LOG10 = -3.0
EXPLODING_LOG10 = 3.0


def verdict(log10_abs: float | None) -> str | None:
    """'vanishing', 'exploding' or 'stable' from log10|gradient| (−∞: exactly 0); None when
    the gradient is NaN (a custom formula undefined somewhere on the chain)."""
    if log10_abs is not None and math.isnan(log10_abs):
        return None
    if log10_abs is None or log10_abs == -math.inf or log10_abs < VANISHING_LOG10:
        return "vanishing"
    if log10_abs > EXPLODING_LOG10:
        return "exploding"
    return "stable"


@dataclass(frozen=True)
class ChainResult:
    """Arrays of shape (inputs,) or (inputs, depth); NumPy on the host."""

    gradient: np.ndarray  # dh_L/dh₀ per input (by jax.grad)
    log10_abs_gradient: np.ndarray  # float64; −inf where a local derivative (or the weight) is 0
    pre_activation: np.ndarray  # z_l
    output: np.ndarray  # h_l
    local_derivative: np.ndarray  # f′(z_l)
    cumulative_gradient: np.ndarray  # Π_{k≤l} w·f′(z_k)
    log10_abs_cumulative: np.ndarray  # float64 running sum of log10|w·f′(z_k)|
    bound: float | None  # (|w|·sup|f′|)^L; None when sup|f′| is unbounded or not asked for
    log10_bound: float | None
    max_abs_derivative: float | None  # sup|f′| behind the bound
    zero_derivative: np.ndarray  # per input: some f′(z_l) is exactly 0 (not underflow)


def _check(activation: Activation, depth: int, n_inputs: int, limits: Limits) -> None:
    if activation.kind == VECTOR:
        raise InvalidInput(
            f"{activation.name} is a vector activation; the scalar chain needs an element-wise one", "activation"
        )
    if depth > limits.max_chain_depth:
        raise LimitExceeded(f"depth {depth} exceeds max_chain_depth={limits.max_chain_depth}", "depth")
    if n_inputs > limits.max_chain_inputs:
        raise LimitExceeded(f"{n_inputs} starting points exceed max_chain_inputs={limits.max_chain_inputs}", "z")
    if n_inputs * depth > limits.max_chain_cells:
        raise LimitExceeded(
            f"inputs × depth = {n_inputs * depth} exceeds max_chain_cells={limits.max_chain_cells}", "depth"
        )


# Chains of up to this many layers share one program per bucket of inputs, and f′ re-evaluated
# in float64 (or a plain product) on up to this many cells shares one: a page's depth slider
# compiles once per activation, not once per power of two. Padding costs microseconds.
SHARED_LAYERS = 64
SHARED_CELLS = 1024


def layers_bucket(depth: int) -> int:
    """The layers a chain of ``depth`` runs over (the rest pass h through)."""
    return max(SHARED_LAYERS, bucket(depth))


def cells_bucket(n: int) -> int:
    return max(SHARED_CELLS, bucket(n))


def _chain_program(activation: Activation, static: tuple, n_layers: int):
    # f and f′ at a layer's input in one pass; the gradient through the layers reuses that f′.
    step = nm.value_and_slope(jax.value_and_grad(activation.with_choices(static)))

    def composed(h0, weight, bias, depth, params):
        def layer(h, index):
            z = weight * h + bias
            live = index < depth
            # Padding layers pass h through; they see z = 0 so an overflowed h there cannot
            # turn the gradient into NaN through 0·f′(∞).
            value, slope = step(jnp.where(live, z, 0.0), params)
            h_next = jnp.where(live, value, h)
            return h_next, (z, h_next, slope)

        h_last, per_layer = jax.lax.scan(layer, h0, jnp.arange(n_layers))
        return h_last, per_layer

    def program(z0, weight, bias, depth, params):
        grad = jax.grad(composed, has_aux=True)
        return jax.vmap(grad, in_axes=(0, None, None, None, None))(z0, weight, bias, depth, params)

    return jax.jit(program)


def _product_program(activation: Activation, static: tuple):
    f = activation.with_choices(static)

    def program(z, params):
        return jax.vmap(f, in_axes=(0, None))(z, params), jax.vmap(jax.grad(f), in_axes=(0, None))(z, params)

    return jax.jit(program)


def _params_spec(activation: Activation, np_dtype) -> dict:
    return {p.name: jax.ShapeDtypeStruct((), np_dtype) for p in activation.params if p.type != "choice"}


def chain_program(activation: Activation, static: tuple, dtype: str, n_inputs: int, n_layers: int) -> Program:
    """The compiled chain for a bucket of starting points and of layers."""
    np_dtype = DTYPES[dtype]

    def specs() -> tuple:
        scalar = jax.ShapeDtypeStruct((), np_dtype)
        depth = jax.ShapeDtypeStruct((), np.int32)
        z0 = jax.ShapeDtypeStruct((n_inputs,), np_dtype)
        return z0, scalar, scalar, depth, _params_spec(activation, np_dtype)

    key = ("chain", activation, static, dtype, n_inputs, n_layers)
    return PROGRAMS.get(key, functools.partial(_chain_program, activation, static, n_layers), specs)


def product_program(activation: Activation, static: tuple, dtype: str, n: int) -> Program:
    """f and f′ at a bucket of points (the pre-activation form, and float64 re-evaluation)."""
    np_dtype = DTYPES[dtype]

    def specs() -> tuple:
        return jax.ShapeDtypeStruct((n,), np_dtype), _params_spec(activation, np_dtype)

    key = ("product", activation, static, dtype, n)
    return PROGRAMS.get(key, functools.partial(_product_program, activation, static), specs)


def _check_formula(activation: Activation, static: tuple, cells: int, limits: Limits) -> None:
    """A formula's chain evaluates f and f′ at every (input, layer) cell, in the chain's dtype
    and again in float64 for the log magnitudes. It is measured at order 2, as when the
    gradient differentiated f again (it now reuses each layer's f′): a margin that keeps the
    caps' meaning and refuses a hostile formula before it compiles."""
    check_formula(activation, static, dtype="float64", order=2, evaluations=2 * cells, limits=limits)


def _float64_local_derivative(activation: Activation, traced: dict, static: tuple, z: np.ndarray) -> np.ndarray:
    """f′ at the chain's own z values, re-evaluated in float64 so that a float32 chain's
    log-magnitude does not inherit float32 underflow of each factor."""
    flat = z.reshape(-1).astype(np.float64)
    n = flat.size
    params = {k: np.asarray(v, np.float64) for k, v in traced.items()}
    size = cells_bucket(n)
    _, d = product_program(activation, static, "float64", size).run(padded(flat, size, np.float64), params)
    return np.asarray(d)[:n].reshape(z.shape)


def _bound(sup: float | None, weight: float, depth: int) -> tuple[float | None, float | None]:
    if sup is None:
        return None, None
    base = abs(weight) * sup
    if base == 0.0:
        return 0.0, None
    log10_bound = depth * math.log10(base)
    try:
        bound = base**depth
    except OverflowError:
        bound = math.inf
    return bound, log10_bound


def _sup(activation: Activation, params: dict, static: tuple, with_bound: bool, limits: Limits) -> float | None:
    """sup|f′| from the computed properties (a survey of f, f′, f″ on ~24,000 points, cached
    per params), only when the bound is asked for."""
    if not with_bound:
        return None
    check_formula(activation, static, dtype="float64", order=2, evaluations=SURVEY_EVALUATIONS, limits=limits)
    return max_abs_derivative(activation, params)[0]


def _log_abs_derivative(activation: Activation, params: dict, z: np.ndarray, d64: np.ndarray) -> np.ndarray:
    """ln|f′(z)| in float64: from f′ itself, or, where f′ is 0 or subnormal and the entry has
    a log form (catalog ``log_derivative``), from that form, so an underflowing tail keeps its
    exact magnitude and only a derivative that is mathematically 0 gives −∞."""
    with np.errstate(divide="ignore"):
        ln = np.log(np.abs(d64))
    if activation.log_derivative is not None:
        weak = np.abs(d64) < np.finfo(np.float64).tiny
        if weak.any():
            with np.errstate(all="ignore"):
                ln = np.where(weak, activation.log_derivative(z.astype(np.float64), **params), ln)
    return ln


def _assemble(activation, params, traced, static, weight, z, h, d, gradient, depth, sup):
    # The weight the chain ran with (float32(w) in a float32 chain), for every derived number.
    w = float(np.asarray(weight, d.dtype))
    ln_d = _log_abs_derivative(activation, params, z, _float64_local_derivative(activation, traced, static, z))
    with np.errstate(divide="ignore"):
        logs = np.cumsum(ln_d / math.log(10.0) + np.log10(abs(w)), axis=1)
    cumulative = np.cumprod((w * d).astype(d.dtype), axis=1)
    bound, log10_bound = _bound(sup, w, depth)
    return ChainResult(
        gradient=gradient,
        log10_abs_gradient=logs[:, -1],
        pre_activation=z,
        output=h,
        local_derivative=d,
        cumulative_gradient=cumulative,
        log10_abs_cumulative=logs,
        bound=bound,
        log10_bound=log10_bound,
        max_abs_derivative=sup,
        zero_derivative=np.isneginf(ln_d).any(axis=1),
    )


def chain(
    activation: Activation,
    params: dict,
    z: np.ndarray,
    depth: int,
    *,
    weight: float = 1.0,
    bias: float = 0.0,
    dtype: str = "float64",
    with_bound: bool = True,
    limits: Limits = Limits(),
) -> ChainResult:
    """Run the chain from each starting point in ``z`` (1-D) through ``depth`` layers;
    ``with_bound`` adds (|w|·sup|f′|)^L."""
    z = np.asarray(z, dtype=np.float64).reshape(-1)
    _check(activation, depth, z.size, limits)
    np_dtype = DTYPES[dtype]
    for name, v in (("z", z), ("weight", np.array([weight])), ("bias", np.array([bias]))):
        check_range(v, dtype, name)
    check_number(weight, dtype, "weight")
    check_number(bias, dtype, "bias")
    check_params(activation, params, dtype)
    z = flush_subnormals(z.astype(np_dtype)).astype(np.float64)
    traced, static = split_params(activation, params)
    n = z.size
    _check_formula(activation, static, max(bucket(n) * layers_bucket(depth), cells_bucket(n * depth)), limits)
    sup = _sup(activation, params, static, with_bound, limits)
    program = chain_program(activation, static, dtype, bucket(n), layers_bucket(depth))
    z0 = padded(z, bucket(n), np_dtype)
    cast = {k: np.asarray(v, dtype=np_dtype) for k, v in traced.items()}
    g, (zs, hs, ds) = program.run(z0, np.asarray(weight, np_dtype), np.asarray(bias, np_dtype), np.int32(depth), cast)
    zs, hs, ds = (np.asarray(a)[:n, :depth] for a in (zs, hs, ds))
    return _assemble(activation, params, traced, static, weight, zs, hs, ds, np.asarray(g)[:n], depth, sup)


def product(
    activation: Activation,
    params: dict,
    pre_activations: np.ndarray,
    *,
    dtype: str = "float64",
    with_bound: bool = True,
    limits: Limits = Limits(),
) -> ChainResult:
    """The plain product Π f′(z_l) over given pre-activations z_1..z_L (weight 1)."""
    zs = np.asarray(pre_activations, dtype=np.float64).reshape(1, -1)
    depth = zs.shape[1]
    _check(activation, depth, 1, limits)
    np_dtype = DTYPES[dtype]
    check_range(zs, dtype, "pre_activations")
    check_params(activation, params, dtype)
    zs = flush_subnormals(zs.astype(np_dtype)).astype(np.float64)
    traced, static = split_params(activation, params)
    size = cells_bucket(depth)
    _check_formula(activation, static, size, limits)
    sup = _sup(activation, params, static, with_bound, limits)
    cast = {k: np.asarray(v, dtype=np_dtype) for k, v in traced.items()}
    program = product_program(activation, static, dtype, size)
    h, d = (np.asarray(a)[:depth].reshape(1, -1) for a in program.run(padded(zs[0], size, np_dtype), cast))
    gradient = np.prod(d, axis=1, dtype=d.dtype)
    return _assemble(activation, params, traced, static, 1.0, zs.astype(np_dtype), h, d, gradient, depth, sup)

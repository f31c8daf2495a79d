"""Gradient flow through a real random MLP: where gradients vanish, explode or die.

``depth`` hidden layers of ``width`` units, h_l = f(h_{l−1} W_l + b), weights from the
named initialisation, a standard-normal input batch, a random linear read-out o = h_L v, and
the loss ½·mean((o − t)²) against standard-normal targets t. ``jax.grad`` gives ∂loss/∂W_l
for every layer and ∂loss/∂h_l (through a zero perturbation added to each h_l). All
randomness comes from ``jax.random`` keys derived from ``seed``: the same request gives the
same numbers on every worker and machine.
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
from .evaluate import DTYPES, check_formula, check_number, check_params, default_device, fine_bucket, split_params
from .limits import Limits
from .programs import PROGRAMS, Program
from .registry import VECTOR, Activation

INITS = ("he_normal", "he_uniform", "xavier_normal", "xavier_uniform", "lecun_normal", "lecun_uniform", "normal")
# first-to-last gradient-norm ratio below 1e-2: vanishing; above 1e2: exploding.
VANISHING_RATIO = 1e-2
EXPLODING_RATIO = 1e2
SATURATED_BELOW = 1e-3


def init_std(init: str, fan_in: int, fan_out: int, std: float) -> float:
    """Standard deviation of the weights for each scheme (uniform ones use ±√3·std)."""
    family = init.rsplit("_", 1)[0]
    return {
        "he": math.sqrt(2.0 / fan_in),
        "xavier": math.sqrt(2.0 / (fan_in + fan_out)),
        "lecun": math.sqrt(1.0 / fan_in),
        "normal": std,
    }[family]


@dataclass(frozen=True)
class LayerStats:
    layer: int
    activation_mean: float
    activation_std: float
    dead_fraction: float
    saturated_fraction: float
    grad_norm: float
    grad_norm_activations: float


@dataclass(frozen=True)
class FlowReport:
    layers: list[LayerStats]
    gradient_ratio: float | None  # None when the last layer's gradient is exactly 0
    verdict: str
    loss: float


def flow_verdict(ratio: float | None, first: float, last: float) -> str:
    if ratio is None or not math.isfinite(ratio):
        # Nothing reaches the last layer (all units dead) or it overflowed.
        return "exploding" if (math.isinf(first) or math.isinf(last)) else "vanishing"
    if ratio < VANISHING_RATIO:
        return "vanishing"
    if ratio > EXPLODING_RATIO:
        return "exploding"
    return "healthy"


def check_caps(depth: int, width: int, batch: int, limits: Limits) -> None:
    for name, value, cap in (
        ("depth", depth, limits.max_flow_depth),
        ("width", width, limits.max_flow_width),
        ("batch", batch, limits.max_flow_batch),
    ):
        if value > cap:
            raise LimitExceeded(f"{name} {value} exceeds max_flow_{name}={cap}", name)
    cells = depth * width * batch
    if cells > limits.max_flow_cells:
        raise LimitExceeded(f"depth × width × batch = {cells} exceeds max_flow_cells={limits.max_flow_cells}", "depth")
    weights = depth * width * width
    if weights > limits.max_flow_weights:
        raise LimitExceeded(f"depth × width² = {weights} exceeds max_flow_weights={limits.max_flow_weights}", "width")
    work = depth * width * width * batch
    if work > limits.max_flow_work:
        raise LimitExceeded(f"depth × width² × batch = {work} exceeds max_flow_work={limits.max_flow_work}", "batch")


def _matmul(a, b):
    """a @ b at the dtype's full precision on every device (a GPU's default for float32 is
    TF32, ~1e-3 relative: a flow's statistics would differ from a CPU's in the third digit)."""
    return jnp.matmul(a, b, precision=jax.lax.Precision.HIGHEST)


def _norms(g):
    """Frobenius norm of each layer's slice, scaled by its max so that squares of tiny
    (vanishing) gradients do not underflow to 0 in float32."""
    m = jnp.max(jnp.abs(g), axis=(1, 2))
    safe = jnp.where(m > 0, m, 1.0)
    return m * jnp.sqrt(jnp.sum((g / safe[:, None, None]) ** 2, axis=(1, 2)))


# XLA's CPU code generation at LLVM's -O1 instead of its default: a flow program (compiled on
# first use of each activation and shape) compiles ~20 % faster (0.72 → 0.58 s) with the same
# numbers to the bit and no slower a run (measured on 6 activations, depths 10 and 64).
CPU_COMPILER_OPTIONS = {"xla_backend_optimization_level": 1}

# Networks of up to this many layers share one program per (units, samples) bucket (a page's
# depth slider then compiles once, not once per quarter octave), where the padded arrays stay
# within the caps; padding layers are skipped at run time, so only their weights are drawn.
SHARED_LAYERS = 64


def shape_bucket(depth: int, width: int, batch: int, limits: Limits = Limits()) -> tuple[int, int, int]:
    """The padded (layers, units, samples) a request runs in: SHARED_LAYERS layers where they
    fit the caps, else quarter octaves (padding layers are skipped, not computed); units and
    samples to eighth octaves (at most 12.5 % more, masked out of every statistic)."""
    units, samples = fine_bucket(width, 8, 8), fine_bucket(batch, 8, 8)
    layers = fine_bucket(depth, 4, 4)
    shared = max(layers, SHARED_LAYERS)
    if shared * units * samples <= limits.max_flow_cells and shared * units * units <= limits.max_flow_weights:
        layers = shared
    return layers, units, samples


def _sampler(uniform: bool, dtype: str, shape: tuple[int, int, int]):
    """(seed, std, width) → the network's weights w, inputs x, read-out v and targets t.
    One uniform draw in (−1, 1) for everything: inputs, read-out and targets first, then the
    weights layer by layer, so that each value's place (and, threefry being partitionable, the
    value) does not depend on the padded depth. Normal samples are made from it as
    jax.random.normal makes them, √2·erfinv(u). One draw compiles ~1 s faster than four; and
    this program, shared by every activation, is compiled once per shape bucket and scheme
    family instead of inside each activation's program (~0.15–0.2 s less at an activation's
    first gradient flow)."""
    n_layers, n_units, n_samples = shape
    np_dtype = DTYPES[dtype]
    sizes = (n_samples * n_units, n_units, n_samples, n_layers * n_units * n_units)
    low = np.nextafter(np.array(-1.0, np_dtype), np.array(0.0, np_dtype))

    def normal(a):
        return np.asarray(math.sqrt(2.0), np_dtype) * jax.lax.erf_inv(a)

    def sample(seed, std, width):
        units = jnp.arange(n_units) < width
        u = jax.random.uniform(jax.random.PRNGKey(seed), (sum(sizes),), np_dtype, low, 1.0)
        ux, uv, ut, uw = jnp.split(u, np.cumsum(sizes)[:-1])
        full = (n_layers, n_units, n_units)
        w = (math.sqrt(3.0) * std * uw if uniform else std * normal(uw)).reshape(full)
        # Padding units have no weights in or out: the real network is exactly the requested one.
        w = jnp.where(units[:, None] & units[None, :], w, 0.0)
        x = jnp.where(units, normal(ux).reshape(n_samples, n_units), 0.0)
        # The read-out in float64 at every dtype (the division by √(units), an integer count,
        # promotes it; written out since the flow program is compiled for it).
        v = (jnp.where(units, normal(uv), 0.0) / jnp.sqrt(jnp.sum(units))).astype(np.float64)
        t = normal(ut)
        return w, x, v, t

    return jax.jit(sample)


def _program(activation: Activation, static: tuple, dtype: str, shape: tuple[int, int, int]):
    """(w, x, v, t, bias, params, depth, width, batch) → the loss, each layer's gradient norms
    (weights and activations), and each layer's outputs and f′ for :func:`forward_stats`."""
    n_layers, n_units, n_samples = shape
    np_dtype = DTYPES[dtype]
    f = activation.with_choices(static)
    both = jax.vmap(jax.value_and_grad(f), in_axes=(0, None))

    # f and f′ of a layer's pre-activations in one pass; the backward pass reuses that f′ (which
    # the statistics report too).
    def on_layer(a, params):
        return tuple(o.reshape(a.shape) for o in both(a.reshape(-1), params))

    layer_fn = nm.value_and_slope(on_layer)

    def loss_fn(w, eps, x, v, t, bias, params, depth, samples, units):
        def layer(h, item):
            index, wl, el = item

            def live():
                value, slope = layer_fn(_matmul(h, wl) + bias, params)
                # Padding units output exactly 0: with their weights 0 too, every gradient
                # that involves them is exactly 0, and no mask is needed on the gradients.
                return jnp.where(units, value + el, 0.0), slope

            # Layers past the depth are skipped at run time and pass h through.
            h_next, slope = jax.lax.cond(index < depth, live, lambda: (h, jnp.zeros_like(h)))
            return h_next, (slope, h_next)

        h_last, (deriv, post) = jax.lax.scan(layer, x, (jnp.arange(n_layers), w, eps))
        out = _matmul(h_last, v)
        squared = jnp.where(samples, (out - t) ** 2, 0.0)
        return 0.5 * jnp.sum(squared) / jnp.sum(samples), (deriv, post)

    def program(w, x, v, t, bias, params, depth, width, batch):
        units = jnp.arange(n_units) < width
        samples = jnp.arange(n_samples) < batch
        eps = jnp.zeros((n_layers, n_samples, n_units), np_dtype)
        (loss, (deriv, post)), (gw, gh) = jax.value_and_grad(loss_fn, argnums=(0, 1), has_aux=True)(
            w, eps, x, v, t, bias, params, depth, samples, units
        )
        # The forward statistics are taken on the host from these (forward_stats): a smaller
        # program, ~0.1 s (~13 %) less to compile, for ~2 ms of NumPy at depth 60.
        return loss, _norms(gw), _norms(gh), post, deriv

    return jax.jit(program)


def sample_program(uniform: bool, dtype: str, shape: tuple[int, int, int]) -> Program:
    """The compiled draw of one shape bucket: normal or uniform (the schemes differ otherwise
    only in their traced std), for every activation."""
    np_dtype = DTYPES[dtype]

    def specs() -> tuple:
        scalar = jax.ShapeDtypeStruct((), np_dtype)
        return jax.ShapeDtypeStruct((), np.uint32), scalar, jax.ShapeDtypeStruct((), np.int32)

    key = ("flow-sample", uniform, dtype, shape)
    options = CPU_COMPILER_OPTIONS if default_device().platform == "cpu" else None
    return PROGRAMS.get(key, functools.partial(_sampler, uniform, dtype, shape), specs, options)


def flow_program(activation: Activation, static: tuple, dtype: str, shape: tuple[int, int, int]) -> Program:
    """The compiled forward and backward pass of one activation and shape bucket, for every
    initialisation scheme (the weights come in from :func:`sample_program`)."""
    key = ("flow", activation, static, dtype, shape)
    build = functools.partial(_program, activation, static, dtype, shape)
    specs = functools.partial(flow_specs, activation, dtype, shape)
    options = CPU_COMPILER_OPTIONS if default_device().platform == "cpu" else None
    return PROGRAMS.get(key, build, specs, options)


def flow_specs(activation: Activation, dtype: str, shape: tuple[int, int, int]) -> tuple:
    """The arguments :func:`_program` is compiled for: what the draw returns, then the scalars."""
    n_layers, n_units, n_samples = shape
    np_dtype = DTYPES[dtype]
    scalar = jax.ShapeDtypeStruct((), np_dtype)
    count = jax.ShapeDtypeStruct((), np.int32)
    params = {p.name: scalar for p in activation.params if p.type != "choice"}
    w = jax.ShapeDtypeStruct((n_layers, n_units, n_units), np_dtype)
    x = jax.ShapeDtypeStruct((n_samples, n_units), np_dtype)
    v = jax.ShapeDtypeStruct((n_units,), np.float64)
    t = jax.ShapeDtypeStruct((n_samples,), np_dtype)
    return w, x, v, t, scalar, params, count, count, count


def forward_stats(post: np.ndarray, deriv: np.ndarray, depth: int, width: int, batch: int) -> dict[str, np.ndarray]:
    """Per layer, over the real samples and units (float64): the mean and standard deviation of
    the layer's outputs, the fraction of units that are 0 with f′ = 0 for every sample (dead),
    and the fraction of cells where |f′| < SATURATED_BELOW."""
    out: dict[str, list[float]] = {
        k: [] for k in ("activation_mean", "activation_std", "dead_fraction", "saturated_fraction")
    }
    with np.errstate(all="ignore"):  # an exploding network's outputs may be ±inf or NaN
        for layer in range(depth):
            h = post[layer, :batch, :width].astype(np.float64)
            d = deriv[layer, :batch, :width]
            mean = float(h.mean())
            out["activation_mean"].append(mean)
            out["activation_std"].append(float(np.sqrt(np.mean((h - mean) ** 2))))
            out["dead_fraction"].append(float(np.mean(np.all((h == 0) & (d == 0), axis=0))))
            out["saturated_fraction"].append(float(np.mean(np.abs(d) < SATURATED_BELOW)))
    return {k: np.array(v, np.float64) for k, v in out.items()}


def gradient_flow(
    activation: Activation,
    params: dict,
    *,
    depth: int,
    width: int,
    batch: int = 64,
    init: str = "he_normal",
    std: float = 0.01,
    bias: float = 0.0,
    seed: int = 0,
    dtype: str = "float32",
    limits: Limits = Limits(),
) -> FlowReport:
    """Per-layer statistics of a random MLP's forward and backward pass."""
    if activation.kind == VECTOR:
        raise InvalidInput(f"{activation.name} is a vector activation; the MLP needs an element-wise one", "activation")
    if init not in INITS:
        raise InvalidInput(f"must be one of {', '.join(INITS)}", "init")
    check_caps(depth, width, batch, limits)
    np_dtype = DTYPES[dtype]
    check_number(bias, dtype, "bias")
    check_number(std, dtype, "std")
    check_params(activation, params, dtype)
    traced, static = split_params(activation, params)
    shape = shape_bucket(depth, width, batch, limits)
    # The program evaluates f and f′ once per unit of every layer (the backward pass reuses f′);
    # a formula is checked as if it were f″ three times per unit (order 2), as before that
    # sharing: a margin that keeps the caps' meaning and refuses a hostile formula before it
    # compiles.
    try:
        check_formula(activation, static, dtype=dtype, order=2, evaluations=3 * math.prod(shape), limits=limits)
    except LimitExceeded:
        if shape[0] == fine_bucket(depth, 4, 4):
            raise
        shape = (fine_bucket(depth, 4, 4), *shape[1:])  # a large formula: no shared padding
        check_formula(activation, static, dtype=dtype, order=2, evaluations=3 * math.prod(shape), limits=limits)
    draw = sample_program(init.endswith("uniform"), dtype, shape)
    program = flow_program(activation, static, dtype, shape)
    w, x, v, t = draw.run(np.uint32(seed), np.asarray(init_std(init, width, width, std), np_dtype), np.int32(width))
    outputs = program.run(
        w,
        x,
        v,
        t,
        np.asarray(bias, np_dtype),
        {k: np.asarray(value, dtype=np_dtype) for k, value in traced.items()},
        np.int32(depth),
        np.int32(width),
        np.int32(batch),
    )
    loss, grad_norm, grad_norm_activations, post, deriv = outputs
    stats = {
        **forward_stats(np.asarray(post), np.asarray(deriv), depth, width, batch),
        "grad_norm": np.asarray(grad_norm, np.float64)[:depth],
        "grad_norm_activations": np.asarray(grad_norm_activations, np.float64)[:depth],
    }
    layers = [LayerStats(layer=i + 1, **{k: float(v[i]) for k, v in stats.items()}) for i in range(depth)]
    first, last = layers[0].grad_norm, layers[-1].grad_norm
    ratio = first / last if last > 0 and math.isfinite(first) and math.isfinite(last) else None
    return FlowReport(layers=layers, gradient_ratio=ratio, verdict=flow_verdict(ratio, first, last), loss=float(loss))

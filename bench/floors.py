"""The baselines the core is measured against, for value + first derivative.

``FUSED`` are hand-written ``jax.jit`` closed forms, using the same numerically stable
formulas as the service (σ′ = σ(x)σ(−x), sech² from e^{−2|x|}, erfc for Φ): the floor for
this arithmetic in JAX. ``NUMPY`` are the same closed forms in NumPy; ``torch_autograd``
runs PyTorch's own activations and autograd on the CPU.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import erfc
from scipy import special

SQRT2 = math.sqrt(2.0)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _sig_pair(x):
    s, sn = jax.nn.sigmoid(x), jax.nn.sigmoid(-x)
    return s, s * sn


def _sech2(x):
    e = jnp.exp(-2.0 * jnp.abs(x))
    return 4.0 * e / (1.0 + e) ** 2


FUSED = {
    "relu": lambda x: (jnp.where(x > 0, x, 0.0), jnp.where(x > 0, 1.0, 0.0).astype(x.dtype)),
    "sigmoid": lambda x: _sig_pair(x),
    "tanh": lambda x: (jnp.tanh(x), _sech2(x)),
    "gelu": lambda x: (
        x * 0.5 * erfc(-x / SQRT2),
        0.5 * erfc(-x / SQRT2) + x * jnp.exp(-0.5 * x * x) * INV_SQRT_2PI,
    ),
    "silu": lambda x: (x * jax.nn.sigmoid(x), jax.nn.sigmoid(x) + x * _sig_pair(x)[1]),
    "softplus": lambda x: (jnp.logaddexp(x, 0.0), jax.nn.sigmoid(x)),
    "elu": lambda x: (
        jnp.where(x > 0, x, jnp.expm1(jnp.minimum(x, 0.0))),
        jnp.where(x > 0, 1.0, jnp.exp(jnp.minimum(x, 0.0))),
    ),
    "mish": lambda x: (
        x * jnp.tanh(jax.nn.softplus(x)),
        jnp.tanh(jax.nn.softplus(x)) + x * _sech2(jax.nn.softplus(x)) * jax.nn.sigmoid(x),
    ),
}
FUSED_JIT = {name: jax.jit(f) for name, f in FUSED.items()}


def _np_sig_pair(x):
    s = special.expit(x)
    return s, s * special.expit(-x)


NUMPY = {
    "relu": lambda x: (np.maximum(x, 0), (x > 0).astype(x.dtype)),
    "sigmoid": _np_sig_pair,
    "tanh": lambda x: (np.tanh(x), 1.0 / np.cosh(x) ** 2),
    "gelu": lambda x: (x * special.ndtr(x), special.ndtr(x) + x * np.exp(-0.5 * x * x) * INV_SQRT_2PI),
    "silu": lambda x: (x * special.expit(x), special.expit(x) + x * _np_sig_pair(x)[1]),
    "softplus": lambda x: (np.logaddexp(x, 0), special.expit(x)),
    "elu": lambda x: (np.where(x > 0, x, np.expm1(np.minimum(x, 0))), np.where(x > 0, 1.0, np.exp(np.minimum(x, 0)))),
    "mish": lambda x: (
        x * np.tanh(np.logaddexp(x, 0)),
        np.tanh(np.logaddexp(x, 0)) + x / np.cosh(np.logaddexp(x, 0)) ** 2 * special.expit(x),
    ),
}


def torch_autograd(name):
    """A function x (NumPy) → (value, derivative) with PyTorch's activation and autograd."""
    import torch
    import torch.nn.functional as F

    fn = {
        "relu": F.relu,
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "gelu": F.gelu,
        "silu": F.silu,
        "softplus": F.softplus,
        "elu": F.elu,
        "mish": F.mish,
    }[name]

    def run(x_t):
        x_t.grad = None
        y = fn(x_t)
        y.backward(torch.ones_like(y))
        return y.detach(), x_t.grad

    return run

"""ln|f′(x)| in float64 NumPy for the catalog entries whose derivative underflows in a tail.

f′ of an exponential tail (σ′(−800) ≈ 1e-348, tanh′(400) ≈ 1e-347, GELU′(−40) ≈ 1e-346)
is 0 in float64 although its logarithm is an ordinary number. The chain sums log10|w·f′|
layer by layer, so it needs ln|f′| itself where f′ underflows: these closed forms give it
without ever forming f′. Each is exact to float64 rounding over the whole real line (or, where
noted, on the tail it is used for) and −∞ only where f′ is exactly 0. The catalog entry names
its form (``log_derivative=``); ``chain`` uses it where f′ is 0 or subnormal.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import expit, ndtr  # type: ignore[import-untyped]

LOG_4 = math.log(4.0)
HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def softplus(x):
    """ln(1 + eˣ) without overflow."""
    return np.logaddexp(0.0, x)


def log_abs(v):
    with np.errstate(divide="ignore"):
        return np.log(np.abs(v))


def sigmoid(x):
    """ln σ′(x) = ln σ(x) + ln σ(−x) = −softplus(−x) − softplus(x)."""
    return -softplus(-x) - softplus(x)


def tanh(x):
    """ln sech²x = ln 4 − 2|x| − 2·ln(1 + e^{−2|x|})."""
    a = np.abs(x)
    return LOG_4 - 2.0 * a - 2.0 * np.log1p(np.exp(-2.0 * a))


def log_sigmoid(x):
    """f′ = σ(−x): ln σ(−x) = −softplus(x)."""
    return -softplus(x)


def softplus_beta(x, beta, threshold):
    """f′ = σ(βx) (1 on the linear branch βx > threshold): ln σ(βx) = −softplus(−βx)."""
    out = -softplus(-beta * x)
    return out if threshold is None else np.where(beta * x > threshold, 0.0, out)


def shifted_softplus(x):
    return -softplus(-x)


def elu(x, alpha):
    """f′ = αeˣ for x ≤ 0, 1 above."""
    with np.errstate(divide="ignore"):
        return np.where(x > 0, 0.0, math.log(alpha) + x if alpha > 0 else -np.inf)


def selu(x, scale: float, alpha: float):
    """f′ = λαeˣ for x ≤ 0, λ above."""
    return np.where(x > 0, math.log(scale), math.log(scale * alpha) + x)


def celu(x, alpha):
    """f′ = e^{x/α} for x ≤ 0, 1 above."""
    return np.where(x > 0, 0.0, x / alpha)


def silu(x, beta):
    """f′ = σ(βx)·(1 + βx·σ(−βx)): ln σ(βx) + ln|1 + βx·σ(−βx)| (the second factor never
    underflows; it is 0 only at the single root near βx ≈ −1.2785)."""
    bx = beta * x
    return -softplus(-bx) + log_abs(1.0 + bx * expit(-bx))


def mish(x):
    """f′ = tanh(s) + x·sech²(s)·σ(x), s = softplus(x). Below x = −40, s, tanh s and σ(x) all
    equal eˣ to float64 precision and sech² s = 1, so f′ = eˣ(1 + x): ln|f′| = x + ln|1 + x|."""
    xs = np.maximum(x, -40.0)
    s = softplus(xs)
    direct = np.tanh(s) + xs * (1.0 - np.tanh(s) ** 2) * expit(xs)
    return np.where(x < -40.0, x + log_abs(1.0 + x), log_abs(direct))


def elish(x):
    """x < 0: f′ = σ(x)·(eˣ − (1 − eˣ)·σ(−x)); x ≥ 0: SiLU's."""
    xn = np.minimum(x, 0.0)
    left = -softplus(-xn) + log_abs(np.exp(xn) - (1.0 - np.exp(xn)) * expit(-xn))
    return np.where(x < 0, left, silu(x, 1.0))


def cloglog(x):
    """f′ = e^{x − eˣ}."""
    with np.errstate(over="ignore"):
        return x - np.exp(x)


def gaussian(x):
    """f′ = −2x·e^{−x²}: ln|f′| = ln(2|x|) − x² (−∞ at 0, where f′ = 0)."""
    return log_abs(2.0 * x) - x * x


def _mills(t):
    """Q(t)/φ(t) for t ≥ 38 (Q the normal tail): 1/t·(1 − 1/t² + 3/t⁴ − 15/t⁶ + 105/t⁸), whose
    next term is below float64 precision there."""
    u = 1.0 / (t * t)
    return (1.0 - u * (1.0 - u * (3.0 - u * (15.0 - 105.0 * u)))) / t


def gelu(x, approximate="none"):
    """'none': f′ = Φ(x) + xφ(x). Below x = −38, Φ(x) = φ(x)·M(−x) (M the Mills ratio), so
    f′ = −φ(x)·(t − M(t)), t = −x: ln|f′| = −x²/2 − ln√(2π) + ln(t − M(t)).
    'tanh': f = x·σ(2u), u = √(2/π)(x + 0.044715x³): f′ = σ(2u)·(1 + 2x·u′·σ(−2u))."""
    if approximate == "tanh":
        u = SQRT_2_OVER_PI * (x + 0.044715 * x**3)
        du = SQRT_2_OVER_PI * (1.0 + 3 * 0.044715 * x * x)
        return -softplus(-2.0 * u) + log_abs(1.0 + 2.0 * x * du * expit(-2.0 * u))
    t = np.maximum(-x, 38.0)
    tail = -0.5 * x * x - HALF_LOG_2PI + np.log(t - _mills(t))
    xs = np.maximum(x, -38.0)
    direct = log_abs(ndtr(xs) + xs * np.exp(-0.5 * xs * xs - HALF_LOG_2PI))
    return np.where(x < -38.0, tail, direct)

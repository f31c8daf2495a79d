"""The activation catalog: every activation the service knows, one entry each.

To add an activation, add one ``Activation`` to ``CATALOG`` below: a JAX function of ``x``
and its params, the params with defaults and bounds, the LaTeX formula, its kinks and the
derivative convention there. Tests are parametrized over this registry, so a new entry is
checked (against the float64 references in ``tests/reference.py``) the moment it exists.

Conventions, in one place:
- Exact mathematics by default (GELU is the erf form, softplus never switches to linear).
- At a kink the derivative is PyTorch's choice where PyTorch and JAX disagree; the other is
  reachable with the entry's ``kink`` param. Every kink's derivative is stated in the entry.
- Branches are written with the double-``where`` trick so an unused branch can never turn a
  gradient into NaN, and large |x| is handled without overflow (values and derivatives stay
  finite wherever the mathematics is finite).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.scipy.special import erfc

from . import numerics as nm
from .errors import InvalidParams
from .registry import VECTOR, Activation, Param, Registry

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
LOG_2 = math.log(2.0)


def _zero(x):
    return jnp.zeros_like(x)


def _one(x):
    return jnp.ones_like(x)


def _ordered(low: str, high: str, strict: bool):
    """A constraint: params[low] < params[high] (strict) or ≤."""

    def check(p):
        if p[low] > p[high] or (strict and p[low] == p[high]):
            raise InvalidParams(f"must be {'<' if strict else '<='} {high} ({p[high]:g})", low)

    return check


def _kink(default: str, other: str, what: str) -> Param:
    return Param(
        "kink",
        default,
        f"derivative convention at the kink: {what}",
        type="choice",
        choices=(default, other),
    )


# ----- element-wise functions ------------------------------------------------------------


def identity(x):
    return x


def relu(x, kink="left"):
    return jnp.where(x >= 0, x, 0.0) if kink == "right" else jnp.where(x > 0, x, 0.0)


def relu6(x):
    return jnp.where(x <= 0, 0.0, jnp.where(x >= 6, 6.0, x))


def leaky_relu(x, negative_slope, kink="left"):
    pos = x >= 0 if kink == "right" else x > 0
    return jnp.where(pos, x, negative_slope * x)


def prelu(x, weight, kink="left"):
    return leaky_relu(x, weight, kink)


def rrelu(x, lower, upper, kink="left"):
    return leaky_relu(x, 0.5 * (lower + upper), kink)


def elu(x, alpha):
    xn = nm.safe_where(x > 0, 0.0, x)
    return jnp.where(x > 0, x, alpha * nm.expm1(xn))


def selu(x):
    return SELU_SCALE * elu(x, SELU_ALPHA)


def celu(x, alpha):
    xn = nm.safe_where(x > 0, 0.0, x)
    return jnp.where(x > 0, x, alpha * nm.expm1(xn / alpha))


def gelu(x, approximate="none"):
    # Beyond |x| = 50, GELU is 0 or x to every float's precision (1 − Φ(50) ≈ 1e-545).
    if approximate == "tanh":
        # ½(1 + tanh u) = σ(2u): no cancellation of 1 + tanh u for negative x.
        return nm.linear_tail(
            x, lambda t: t * nm.sigmoid(2.0 * SQRT_2_OVER_PI * (t + 0.044715 * t * t * t)), -50.0, 50.0
        )
    return nm.linear_tail(x, lambda t: t * 0.5 * erfc(-t / math.sqrt(2.0)), -50.0, 50.0)


def silu(x, beta):
    # Beyond |βx| = 750 the gate σ(βx) is exactly 0 or 1 even in float64: clipping its
    # argument there changes no value, and keeps an overflowing β·x (x near the float max,
    # β > 1) from turning a derivative into ∞·0 (the clip's derivative is 0 out there).
    return x * nm.sigmoid(jnp.clip(beta * x, -750.0, 750.0))


def quick_gelu(x):
    return silu(x, 1.702)


def mish(x):
    # tanh(softplus(50)) is 1 in float64 and x·e^x underflows below −750.
    return nm.linear_tail(x, lambda t: t * nm.tanh(nm.softplus(t)), -750.0, 50.0)


def hard_sigmoid(x):
    return jnp.where(x <= -3, 0.0, jnp.where(x >= 3, 1.0, x / 6.0 + 0.5))


def hard_tanh(x, min_val, max_val, kink="outer"):
    if kink == "inner":
        return jnp.where(x < min_val, min_val, jnp.where(x > max_val, max_val, x))
    return jnp.where(x <= min_val, min_val, jnp.where(x >= max_val, max_val, x))


def hard_silu(x, kink="inner"):
    mid = (x * x + 3.0 * x) / 6.0  # derivative (2x + 3)/6: exactly 0 at −1.5
    if kink == "outer":
        return jnp.where(x <= -3, 0.0, jnp.where(x >= 3, x, mid))
    return jnp.where(x < -3, 0.0, jnp.where(x > 3, x, mid))


def softplus(x, beta, threshold):
    # threshold = +inf (the default, null in the API) never switches to the linear branch.
    return jnp.where(beta * x > threshold, x, nm.softplus(beta * x) / beta)


def shifted_softplus(x):
    # log((1 + eˣ)/2) = log1p(expm1(x)/2): no cancellation of softplus(0) − log 2 near 0.
    small = x < 1.0
    xs = nm.safe_where(small, x, 0.0)
    xb = nm.safe_where(small, 1.0, x)
    return jnp.where(small, jnp.log1p(0.5 * nm.expm1(xs)), nm.softplus(xb) - LOG_2)


def sparse_plus(x):
    xm = nm.safe_where(jnp.abs(x) < 1, x, 0.0)
    return jnp.where(x <= -1, 0.0, jnp.where(x >= 1, x, 0.25 * (xm + 1.0) ** 2))


def sparse_sigmoid(x):
    return jnp.where(x <= -1, 0.0, jnp.where(x >= 1, 1.0, 0.5 * (x + 1.0)))


def hardshrink(x, lambd):
    return jnp.where(jnp.abs(x) > lambd, x, 0.0)


def softshrink(x, lambd):
    return jnp.where(x > lambd, x - lambd, jnp.where(x < -lambd, x + lambd, 0.0))


def threshold(x, threshold, value):
    return jnp.where(x > threshold, x, value)


def squared_relu(x):
    xp = jnp.where(x > 0, x, 0.0)
    return xp * xp


def binary_step(x):
    return jnp.where(x >= 0, _one(x), _zero(x))


def gaussian(x):
    xc = jnp.clip(x, -50.0, 50.0)  # e^{−2500} is 0 in float64: nothing is lost
    return jnp.exp(-xc * xc)


def isru(x, alpha):
    return nm.isru(x, alpha)


def isrlu(x, alpha):
    return jnp.where(x >= 0, x, nm.isru(x, alpha))


def cloglog(x):
    xc = jnp.minimum(x, 40.0)  # beyond 40, e^{−e^x} is 0 even in float64
    return -nm.expm1(-jnp.exp(xc))


def elish(x):
    def body(t):
        neg = t < 0
        tn = nm.safe_where(neg, t, 0.0)
        return jnp.where(neg, nm.expm1(tn) * nm.sigmoid(tn), t * nm.sigmoid(t))

    return nm.linear_tail(x, body, -750.0, 750.0)


# ----- vector functions (x is one 1-D vector) -----------------------------------------


# Vector entries: ``where`` marks the real entries of a vector padded to a bucket (the padding
# takes no share of the sum and gets 0); glu is padded half by half with zeros and ignores it.


def softmax(x, where=None):
    return jax.nn.softmax(x, where=where)


def log_softmax(x, where=None):
    return jax.nn.log_softmax(x, where=where)


def softmin(x, where=None):
    return jax.nn.softmax(-x, where=where)


def glu(x, where=None):
    a, b = jnp.split(x, 2)
    return a * nm.sigmoid(b)


# ----- the registry ------------------------------------------------------------------------

_LAMBD = Param("lambd", 0.5, "half-width λ of the zeroed band [−λ, λ]", minimum=0.0, maximum=1e6)
_ALPHA_ELU = Param("alpha", 1.0, "α: the negative branch saturates at −α", minimum=0.0, maximum=1e3)

CATALOG = Registry()
for _a in (
    Activation(
        "identity",
        identity,
        r"f(x) = x",
        "Passes the input through; a network made only of it collapses to one linear map.",
        aliases=("linear",),
    ),
    Activation(
        "relu",
        relu,
        r"f(x) = \max(0, x)",
        "Zero for negative inputs, the input itself otherwise: cheap, non-saturating on the right, can die on the left.",
        params=(_kink("left", "right", "'left' gives f'(0) = 0 (PyTorch and JAX), 'right' gives 1"),),
        aliases=("rectifier",),
        kinks=lambda p: (0.0,),
        convention="f'(0) = 0 by default (both PyTorch and JAX); kink='right' gives 1.",
    ),
    Activation(
        "relu6",
        relu6,
        r"f(x) = \min(\max(0, x), 6)",
        "ReLU capped at 6, popular in mobile networks for its bounded range.",
        kinks=lambda p: (0.0, 6.0),
        convention="f'(0) = 0 and f'(6) = 0 (PyTorch and JAX agree).",
    ),
    Activation(
        "leaky_relu",
        leaky_relu,
        r"f(x) = \begin{cases} x & x > 0 \\ a x & x \le 0 \end{cases}",
        "ReLU with a small slope a for negative inputs so units never stop passing gradient.",
        params=(
            Param("negative_slope", 0.01, "slope a for x < 0", minimum=0.0, maximum=1.0),
            _kink("left", "right", "'left' gives f'(0) = a (PyTorch), 'right' gives 1 (JAX)"),
        ),
        aliases=("leakyrelu", "lrelu"),
        kinks=lambda p: (0.0,) if p["negative_slope"] != 1.0 else (),
        convention="f'(0) = negative_slope by default (PyTorch); kink='right' gives 1 (JAX).",
    ),
    Activation(
        "prelu",
        prelu,
        r"f(x) = \begin{cases} x & x > 0 \\ w x & x \le 0 \end{cases}",
        "Parametric ReLU: the negative slope w is learned; here one shared w is given.",
        params=(
            Param(
                "weight",
                0.25,
                "the (learned) negative slope w; PyTorch initialises it to 0.25",
                minimum=-10.0,
                maximum=10.0,
            ),
            _kink("left", "right", "'left' gives f'(0) = w (PyTorch), 'right' gives 1"),
        ),
        kinks=lambda p: (0.0,) if p["weight"] != 1.0 else (),
        convention="f'(0) = weight by default (PyTorch); kink='right' gives 1.",
    ),
    Activation(
        "rrelu",
        rrelu,
        r"f(x) = \begin{cases} x & x > 0 \\ \frac{l + u}{2} x & x \le 0 \end{cases}",
        "Randomized leaky ReLU in evaluation mode: the negative slope is the mean of its training range [l, u].",
        params=(
            Param("lower", 1.0 / 8.0, "lower bound l of the training-time slope", minimum=0.0, maximum=1.0),
            Param("upper", 1.0 / 3.0, "upper bound u of the training-time slope", minimum=0.0, maximum=1.0),
            _kink("left", "right", "'left' gives f'(0) = (l+u)/2 (PyTorch), 'right' gives 1"),
        ),
        kinks=lambda p: (0.0,) if p["lower"] + p["upper"] != 2.0 else (),
        convention="f'(0) = (lower+upper)/2 by default (PyTorch); kink='right' gives 1.",
        constraints=_ordered("lower", "upper", strict=False),
    ),
    Activation(
        "elu",
        elu,
        r"f(x) = \begin{cases} x & x > 0 \\ \alpha (e^{x} - 1) & x \le 0 \end{cases}",
        "Exponential linear unit: smooth negative branch saturating at −α pushes mean activations toward zero.",
        params=(_ALPHA_ELU,),
        kinks=lambda p: (0.0,) if p["alpha"] != 1.0 else (),
        convention="f'(0) = α (the left branch, PyTorch and JAX); continuous derivative when α = 1, where f''(0) = 1 from the left branch.",
    ),
    Activation(
        "selu",
        selu,
        r"f(x) = \lambda \begin{cases} x & x > 0 \\ \alpha (e^{x} - 1) & x \le 0 \end{cases}",
        "Scaled ELU with constants chosen so activations self-normalise to zero mean and unit variance.",
        kinks=lambda p: (0.0,),
        convention="f'(0) = λα ≈ 1.7581 (the left branch, PyTorch and JAX).",
    ),
    Activation(
        "celu",
        celu,
        r"f(x) = \begin{cases} x & x > 0 \\ \alpha (e^{x/\alpha} - 1) & x \le 0 \end{cases}",
        "Continuously differentiable ELU: the negative branch is rescaled so f'(0) = 1 for every α.",
        params=(
            Param(
                "alpha",
                1.0,
                "α > 0: the negative branch saturates at −α",
                minimum=0.0,
                exclusive_minimum=True,
                maximum=1e3,
            ),
        ),
        convention="f is C¹; f''(0) = 1/α from the left branch.",
    ),
    Activation(
        "gelu",
        gelu,
        r"f(x) = x \, \Phi(x) = \tfrac{x}{2} \left(1 + \operatorname{erf}(x/\sqrt{2})\right)",
        "Gaussian error linear unit: weights the input by the probability a standard normal falls below it.",
        params=(
            Param(
                "approximate",
                "none",
                "'none' = exact erf form (PyTorch's default), 'tanh' = the tanh approximation (JAX's default)",
                type="choice",
                choices=("none", "tanh"),
            ),
        ),
        convention="Smooth everywhere. Default is the exact form; the tanh approximation differs by up to ≈4.7e-4.",
    ),
    Activation(
        "silu",
        silu,
        r"f(x) = x \, \sigma(\beta x)",
        "Sigmoid-weighted linear unit (swish): smooth, non-monotonic just below zero, unbounded above.",
        params=(Param("beta", 1.0, "β scales the sigmoid's input; β = 1 is SiLU", minimum=0.0, maximum=100.0),),
        aliases=("swish",),
    ),
    Activation(
        "quick_gelu",
        quick_gelu,
        r"f(x) = x \, \sigma(1.702 x)",
        "The sigmoid approximation of GELU used in CLIP-style models.",
        aliases=("gelu_quick",),
    ),
    Activation(
        "mish",
        mish,
        r"f(x) = x \tanh(\operatorname{softplus}(x))",
        "Smooth, non-monotonic self-gated activation close to SiLU with a slightly deeper negative dip.",
    ),
    Activation(
        "sigmoid",
        nm.sigmoid,
        r"f(x) = \frac{1}{1 + e^{-x}}",
        "Squashes any input into (0, 1); its slope is at most 1/4, which is why deep sigmoid stacks stop learning.",
        aliases=("logistic",),
    ),
    Activation(
        "hard_sigmoid",
        hard_sigmoid,
        r"f(x) = \min(\max(0, x/6 + 1/2), 1)",
        "Piecewise-linear sigmoid: ReLU6(x + 3)/6.",
        aliases=("hardsigmoid",),
        kinks=lambda p: (-3.0, 3.0),
        convention="f'(−3) = f'(3) = 0 (PyTorch and JAX agree).",
    ),
    Activation(
        "log_sigmoid",
        nm.log_sigmoid,
        r"f(x) = \log \sigma(x) = -\operatorname{softplus}(-x)",
        "Logarithm of the sigmoid, computed without forming σ: what a binary cross-entropy adds up.",
        aliases=("logsigmoid",),
    ),
    Activation(
        "tanh",
        nm.tanh,
        r"f(x) = \tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}",
        "Zero-centred squashing into (−1, 1) with slope 1 at the origin; saturates on both sides.",
        aliases=("hyperbolic_tangent",),
    ),
    Activation(
        "hard_tanh",
        hard_tanh,
        r"f(x) = \min(\max(x, a), b)",
        "Clips the input to [a, b]: a piecewise-linear tanh.",
        params=(
            Param("min_val", -1.0, "lower clip value a (must be < b)", minimum=-1e6, maximum=1e6),
            Param("max_val", 1.0, "upper clip value b", minimum=-1e6, maximum=1e6),
            _kink("outer", "inner", "'outer' gives f' = 0 at a and b (PyTorch), 'inner' gives 1 (JAX)"),
        ),
        aliases=("hardtanh",),
        kinks=lambda p: (p["min_val"], p["max_val"]),
        constraints=_ordered("min_val", "max_val", strict=True),
        convention="f'(a) = f'(b) = 0 by default (PyTorch); kink='inner' gives 1 (JAX).",
    ),
    Activation(
        "hard_silu",
        hard_silu,
        r"f(x) = x \cdot \min(\max(0, x + 3), 6) / 6",
        "Piecewise-quadratic SiLU used in MobileNetV3: x · hard_sigmoid(x).",
        params=(
            _kink("inner", "outer", "'inner' gives f'(−3) = −0.5, f'(3) = 1.5 (PyTorch), 'outer' gives 0 and 1 (JAX)"),
        ),
        aliases=("hard_swish", "hardswish"),
        kinks=lambda p: (-3.0, 3.0),
        convention="f'(−3) = −0.5 and f'(3) = 1.5 by default (PyTorch, the middle piece); kink='outer' gives 0 and 1 (JAX).",
    ),
    Activation(
        "softplus",
        softplus,
        r"f(x) = \frac{1}{\beta} \log(1 + e^{\beta x})",
        "Smooth ReLU whose derivative is the sigmoid; always positive.",
        params=(
            Param("beta", 1.0, "sharpness β > 0", minimum=0.0, exclusive_minimum=True, maximum=100.0),
            Param(
                "threshold",
                None,
                "return x where βx > threshold (PyTorch uses 20); null = never, the exact function (JAX)",
                minimum=0.0,
                maximum=1e6,
                nullable=True,
            ),
        ),
        kinks=lambda p: (p["threshold"] / p["beta"],) if p["threshold"] is not None else (),
        convention="Smooth with the default threshold (null). With a threshold t the function switches to x for βx > t; at βx = t the smooth branch is used.",
    ),
    Activation(
        "shifted_softplus",
        shifted_softplus,
        r"f(x) = \log(1 + e^{x}) - \log 2",
        "Softplus moved down so f(0) = 0, as used in SchNet.",
        aliases=("ssp",),
    ),
    Activation(
        "soft_sign",
        nm.soft_sign,
        r"f(x) = \frac{x}{1 + |x|}",
        "Squashes into (−1, 1) like tanh but approaches the bounds polynomially, not exponentially.",
        aliases=("softsign",),
        convention="f is C¹; f''(0) is reported as 0, the mean of the one-sided values ±2.",
    ),
    Activation(
        "squareplus",
        nm.squareplus,
        r"f(x) = \frac{x + \sqrt{x^2 + b}}{2}",
        "Algebraic smooth ReLU needing only a square root; b sets how round the corner is.",
        params=(
            Param("b", 4.0, "b > 0 controls the curvature at 0", minimum=0.0, exclusive_minimum=True, maximum=1e6),
        ),
    ),
    Activation(
        "sparse_plus",
        sparse_plus,
        r"f(x) = \begin{cases} 0 & x \le -1 \\ \frac{(x+1)^2}{4} & -1 < x < 1 \\ x & x \ge 1 \end{cases}",
        "Piecewise-quadratic smooth ReLU whose derivative is sparse_sigmoid.",
        convention="f is C¹; f'' jumps at ±1 and is reported as 0 there (the outer pieces).",
    ),
    Activation(
        "sparse_sigmoid",
        sparse_sigmoid,
        r"f(x) = \min(\max(0, (x + 1)/2), 1)",
        "Piecewise-linear sigmoid reaching exactly 0 and 1, the derivative of sparse_plus.",
        kinks=lambda p: (-1.0, 1.0),
        convention="f'(±1) = 0 (the outer pieces); jax.nn.sparse_sigmoid's clip splits ties and gives 0.25.",
    ),
    Activation(
        "hardshrink",
        hardshrink,
        r"f(x) = \begin{cases} x & |x| > \lambda \\ 0 & |x| \le \lambda \end{cases}",
        "Zeroes inputs in [−λ, λ] and passes the rest unchanged (discontinuous at ±λ).",
        params=(_LAMBD,),
        aliases=("hard_shrink",),
        kinks=lambda p: (-p["lambd"], p["lambd"]) if p["lambd"] > 0 else (),
        convention="f(±λ) = 0 and f'(±λ) = 0 (PyTorch).",
    ),
    Activation(
        "softshrink",
        softshrink,
        r"f(x) = \operatorname{sign}(x) \max(|x| - \lambda, 0)",
        "Soft thresholding: shrinks every input toward zero by λ, the proximal map of the L1 norm.",
        params=(_LAMBD,),
        aliases=("soft_shrink",),
        kinks=lambda p: (-p["lambd"], p["lambd"]),
        convention="f'(±λ) = 0 (PyTorch).",
    ),
    Activation(
        "tanhshrink",
        nm.tanhshrink,
        r"f(x) = x - \tanh(x)",
        "The input minus its tanh: nearly flat (cubic) around zero, linear far away.",
        aliases=("tanh_shrink",),
    ),
    Activation(
        "threshold",
        threshold,
        r"f(x) = \begin{cases} x & x > t \\ v & x \le t \end{cases}",
        "Passes inputs above t and replaces the rest with a constant v (PyTorch's Threshold).",
        params=(
            Param("threshold", 0.0, "threshold t", minimum=-1e6, maximum=1e6),
            Param("value", 0.0, "replacement value v", minimum=-1e6, maximum=1e6),
        ),
        kinks=lambda p: (p["threshold"],),
        convention="f(t) = v and f'(t) = 0 (PyTorch).",
    ),
    Activation(
        "squared_relu",
        squared_relu,
        r"f(x) = \max(0, x)^2",
        "ReLU squared, as in Primer: smooth at 0 to first order, grows quadratically.",
        aliases=("relu_squared", "relu2"),
        convention="f is C¹; f''(0) = 0 (the left piece).",
    ),
    Activation(
        "binary_step",
        binary_step,
        r"f(x) = \begin{cases} 1 & x \ge 0 \\ 0 & x < 0 \end{cases}",
        "The Heaviside step of the original perceptron: its zero derivative is why it cannot be trained by gradients.",
        aliases=("heaviside", "step"),
        kinks=lambda p: (0.0,),
        convention="f(0) = 1; f' = 0 everywhere, also at 0 (the Dirac delta there is not a number).",
    ),
    Activation(
        "arctan",
        nm.arctan,
        r"f(x) = \arctan(x)",
        "Inverse tangent: squashes into (−π/2, π/2) with polynomially decaying slope.",
        aliases=("atan",),
    ),
    Activation(
        "gaussian",
        gaussian,
        r"f(x) = e^{-x^2}",
        "Bell curve: a radial-basis activation that peaks at 0 and vanishes on both sides.",
    ),
    Activation(
        "sine",
        jnp.sin,
        r"f(x) = \sin(x)",
        "Periodic activation used by SIREN networks for representing signals.",
        aliases=("sin", "siren"),
    ),
    Activation(
        "sinc",
        nm.sinc,
        r"f(x) = \begin{cases} \sin(x)/x & x \ne 0 \\ 1 & x = 0 \end{cases}",
        "The unnormalised cardinal sine: a damped oscillation, smooth at 0.",
    ),
    Activation(
        "bent_identity",
        nm.bent_identity,
        r"f(x) = \frac{\sqrt{x^2 + 1} - 1}{2} + x",
        "Smooth, unbounded, always increasing: bends the identity upward on both sides.",
    ),
    Activation(
        "isru",
        isru,
        r"f(x) = \frac{x}{\sqrt{1 + \alpha x^2}}",
        "Inverse square root unit: a cheap tanh-like squashing into (−1/√α, 1/√α).",
        params=(Param("alpha", 1.0, "α > 0 sets the bounds ±1/√α", minimum=0.0, exclusive_minimum=True, maximum=1e6),),
    ),
    Activation(
        "isrlu",
        isrlu,
        r"f(x) = \begin{cases} x & x \ge 0 \\ \frac{x}{\sqrt{1 + \alpha x^2}} & x < 0 \end{cases}",
        "Inverse square root linear unit: identity on the right, ISRU on the left (an ELU-like shape).",
        params=(
            Param("alpha", 1.0, "α > 0 sets the left bound −1/√α", minimum=0.0, exclusive_minimum=True, maximum=1e6),
        ),
        convention="f is C² at 0 (f'(0) = 1, f''(0) = 0).",
    ),
    Activation(
        "cloglog",
        cloglog,
        r"f(x) = 1 - e^{-e^{x}}",
        "Complementary log-log: an asymmetric sigmoid-like squashing into (0, 1).",
        aliases=("complementary_log_log",),
    ),
    Activation(
        "elish",
        elish,
        r"f(x) = \begin{cases} x\,\sigma(x) & x \ge 0 \\ (e^{x} - 1)\,\sigma(x) & x < 0 \end{cases}",
        "Exponential linear sigmoid squashing: SiLU on the right, ELU times a sigmoid on the left.",
        convention="f is C¹ (f'(0) = 1/2); f''(0) = 1/2 from the right piece.",
    ),
    Activation(
        "snake",
        nm.snake,
        r"f(x) = x + \frac{\sin^2(a x)}{a}",
        "Periodic activation with a linear trend, for learning periodic functions.",
        params=(Param("a", 1.0, "frequency a > 0", minimum=0.0, exclusive_minimum=True, maximum=1e3),),
    ),
    Activation(
        "softmax",
        softmax,
        r"f(x)_i = \frac{e^{x_i}}{\sum_j e^{x_j}}",
        "Turns a vector of scores into a categorical distribution; the output layer for multi-class problems.",
        kind=VECTOR,
    ),
    Activation(
        "log_softmax",
        log_softmax,
        r"f(x)_i = x_i - \log \sum_j e^{x_j}",
        "Log-probabilities of the softmax, computed stably; what a categorical cross-entropy adds up.",
        kind=VECTOR,
        aliases=("logsoftmax",),
    ),
    Activation(
        "softmin",
        softmin,
        r"f(x)_i = \frac{e^{-x_i}}{\sum_j e^{-x_j}}",
        "Softmax of the negated vector: puts the mass on the smallest entries.",
        kind=VECTOR,
    ),
    Activation(
        "glu",
        glu,
        r"f(a \Vert b) = a \odot \sigma(b)",
        "Gated linear unit: splits the vector in halves and gates the first with the sigmoid of the second.",
        kind=VECTOR,
        halves=True,
        convention="The input length must be even; the output has half the length, so the Jacobian is (n/2)×n.",
    ),
):
    CATALOG.add(_a)
del _a

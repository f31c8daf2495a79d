"""Numerically stable building blocks whose autodiff derivatives stay accurate.

JAX's own rules lose relative accuracy in the tails: ``lax.logistic`` differentiates to
``s * (1 - s)`` and ``tanh`` to ``(1 + t)(1 - t)``, both of which round to 0 long before the
true derivative underflows (σ′(40) ≈ 4.2e-18 is representable in float64). The functions
here carry ``custom_jvp`` rules written in forms that keep full relative precision, and
their derivative functions carry rules again, so first and second derivatives are exact
to rounding. Everything is dtype-preserving: only Python (weakly typed) constants are used.
"""

import jax
import jax.numpy as jnp
from jax import lax


def safe_where(cond, x, safe):
    """Return ``x`` where ``cond`` holds and ``safe`` elsewhere (the first half of the
    double-``where`` trick: feed a branch only inputs on which it is finite)."""
    return jnp.where(cond, x, safe)


# ----- logistic sigmoid -------------------------------------------------------------


@jax.custom_jvp
def sigmoid(x):
    """σ(x) = 1 / (1 + e^{−x}); σ′(x) = σ(x)·σ(−x) with no cancellation in either tail."""
    return lax.logistic(x)


@jax.custom_jvp
def sigmoid_prime(x):
    """σ′(x) = σ(x)·σ(−x); its derivative σ″(x) = −σ′(x)·tanh(x/2)."""
    return lax.logistic(x) * lax.logistic(-x)


@sigmoid.defjvp
def _sigmoid_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return sigmoid(x), sigmoid_prime(x) * t


@sigmoid_prime.defjvp
def _sigmoid_prime_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return sigmoid_prime(x), -sigmoid_prime(x) * jnp.tanh(0.5 * x) * t


# ----- hyperbolic tangent -------------------------------------------------------------


@jax.custom_jvp
def tanh(x):
    """tanh(x); tanh′(x) = sech²(x) computed as 4e^{−2|x|}/(1 + e^{−2|x|})²."""
    return jnp.tanh(x)


@jax.custom_jvp
def sech2(x):
    """sech²(x) = 1 − tanh²(x) without cancellation; (sech²)′ = −2·tanh(x)·sech²(x)."""
    e = jnp.exp(-2.0 * jnp.abs(x))
    return 4.0 * e / (1.0 + e) ** 2


@tanh.defjvp
def _tanh_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return tanh(x), sech2(x) * t


@sech2.defjvp
def _sech2_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return sech2(x), -2.0 * jnp.tanh(x) * sech2(x) * t


# ----- softplus -------------------------------------------------------------------------


@jax.custom_jvp
def softplus(x):
    """softplus(x) = log(1 + eˣ) = max(x, 0) + log1p(e^{−|x|}); softplus′ = σ."""
    return jnp.maximum(x, 0.0) + jnp.log1p(jnp.exp(-jnp.abs(x)))


@softplus.defjvp
def _softplus_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return softplus(x), sigmoid(x) * t


def log_sigmoid(x):
    """log σ(x) = −softplus(−x)."""
    return -softplus(-x)


# ----- square roots of 1 + c·x² --------------------------------------------------------


def sqrt_x2_plus(x, c):
    """√(x² + c) for c > 0 without overflow of x² at large |x| (|x|·√(1 + c/x²) there)."""
    big = jnp.abs(x) > 1.0
    xb = safe_where(big, x, 1.0)
    xs = safe_where(big, 0.0, x)
    return jnp.where(big, jnp.abs(xb) * jnp.sqrt(1.0 + c / (xb * xb)), jnp.sqrt(xs * xs + c))


@jax.custom_jvp
def isru(x, alpha):
    """ISRU(x) = x/√(1 + αx²); ISRU′ = (1 + αx²)^{−3/2} (written out: the quotient rule
    cancels catastrophically at large |x|)."""
    return x / (jnp.sqrt(alpha) * sqrt_x2_plus(x, 1.0 / alpha))


def isru_prime(x, alpha):
    """(1 + αx²)^{−3/2}, overflow-free."""
    return (jnp.sqrt(alpha) * sqrt_x2_plus(x, 1.0 / alpha)) ** -3


@isru.defjvp
def _isru_jvp(primals, tangents):
    x, alpha = primals
    tx, ta = tangents
    # ∂/∂α = −x³/(2(1 + αx²)^{3/2}); only used if someone differentiates a parameter.
    da = -0.5 * x * x * x * isru_prime(x, alpha)
    return isru(x, alpha), isru_prime(x, alpha) * tx + da * ta


@jax.custom_jvp
def soft_sign(x):
    """x/(1 + |x|); derivative 1/(1 + |x|)² written out (the quotient rule cancels)."""
    return x / (1.0 + jnp.abs(x))


@jax.custom_jvp
def soft_sign_prime(x):
    """1/(1 + |x|)²; its derivative −2·sign(x)/(1 + |x|)³ (0 at the kink x = 0)."""
    return (1.0 + jnp.abs(x)) ** -2


@soft_sign.defjvp
def _soft_sign_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return soft_sign(x), soft_sign_prime(x) * t


@soft_sign_prime.defjvp
def _soft_sign_prime_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return soft_sign_prime(x), -2.0 * jnp.sign(x) * (1.0 + jnp.abs(x)) ** -3 * t


# ----- series near 0 where the closed form cancels --------------------------------------

# x − tanh x = Σ c_k x^{2k+1}; coefficients 2^{2k}(2^{2k}−1)|B_{2k}|/(2k)! from k = 2.
_TANHSHRINK_SERIES = (
    1.0 / 3.0,
    -2.0 / 15.0,
    17.0 / 315.0,
    -62.0 / 2835.0,
    1382.0 / 155925.0,
    -21844.0 / 6081075.0,
    929569.0 / 638512875.0,
    -6404582.0 / 10854718875.0,
    443861162.0 / 1856156927625.0,
)


def tanhshrink(x):
    """x − tanh(x); a Taylor series for |x| < 0.25, where the difference cancels."""
    small = jnp.abs(x) < 0.25
    xs = safe_where(small, x, 0.0)
    x2 = xs * xs
    acc = 0.0
    for c in reversed(_TANHSHRINK_SERIES):
        acc = acc * x2 + c
    series = acc * x2 * xs
    xb = safe_where(small, 1.0, x)
    return jnp.where(small, series, xb - tanh(xb))


def sinc(x):
    """sin(x)/x with sinc(0) = 1; a Taylor series for |x| < 1, where the quotient's
    derivatives cancel."""
    small = jnp.abs(x) < 1.0
    xs = safe_where(small, x, 0.0)
    x2 = xs * xs
    acc = 0.0
    fact = 1.0
    coeffs = []
    for k in range(12):
        if k:
            fact *= (2 * k) * (2 * k + 1)
        coeffs.append((-1.0) ** k / fact)
    for c in reversed(coeffs):
        acc = acc * x2 + c
    xb = safe_where(small, 1.0, x)
    return jnp.where(small, acc, jnp.sin(xb) / xb)


# ----- exponentials -------------------------------------------------------------------


@jax.custom_jvp
def expm1(x):
    """eˣ − 1; its derivative is eˣ itself (JAX's rule forms ``expm1(x) + 1``, which rounds
    to 0 for x below about −37 in float64 and −17 in float32)."""
    return jnp.expm1(x)


@expm1.defjvp
def _expm1_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return expm1(x), jnp.exp(x) * t


@jax.custom_jvp
def snake(x, a):
    """x + sin²(ax)/a; derivative (sin ax + cos ax)², not 1 + sin 2ax, which cancels where
    sin 2ax ≈ −1."""
    s = jnp.sin(a * x)
    return x + s * s / a


@snake.defjvp
def _snake_jvp(primals, tangents):
    x, a = primals
    tx, ta = tangents
    s, c = jnp.sin(a * x), jnp.cos(a * x)
    # ∂/∂a = (2ax·sin·cos − sin²)/a².
    da = (2.0 * a * x * s * c - s * s) / (a * a)
    return snake(x, a), (s + c) ** 2 * tx + da * ta

"""Numerically stable building blocks whose derivatives stay accurate to the last digits.

JAX's own rules lose relative accuracy where it matters for activations: ``lax.logistic``
differentiates to ``s·(1 − s)`` and ``tanh`` to ``(1 + t)(1 − t)``, both of which round to 0
long before the true derivative underflows (σ′(40) ≈ 4.2e-18 is representable in float64);
``expm1`` differentiates to ``expm1(x) + 1``, which is 0 below x ≈ −37. Quotients such as
x/√(1 + x²) cancel catastrophically in their autodiff derivative at large |x|.

The functions here are written so that values, first and second derivatives keep full
relative precision over the whole real line, never overflow into ∞/∞ or 0·∞, and never
produce NaN where the mathematics is finite. They use only Python (weakly typed) constants,
so float32 stays float32.
"""

import math

import jax
import jax.numpy as jnp
from jax import lax


def safe_where(cond, x, safe):
    """``x`` where ``cond`` holds, ``safe`` elsewhere: the first half of the double-``where``
    trick (feed each branch only inputs on which it and its derivatives are finite)."""
    return jnp.where(cond, x, safe)


def with_derivatives(f, df, d2f):
    """``f(x, *params)`` whose first and second x-derivatives are the given closed forms.

    ``jax.grad`` then uses ``df`` and ``d2f`` exactly as it uses the rules of its own
    primitives. Params are constants here: the service differentiates with respect to x only.
    """
    f, df = jax.custom_jvp(f), jax.custom_jvp(df)

    @f.defjvp
    def _f_jvp(primals, tangents):
        return f(*primals), df(*primals) * tangents[0]

    @df.defjvp
    def _df_jvp(primals, tangents):
        return df(*primals), d2f(*primals) * tangents[0]

    return f


def linear_tail(x, fn, lo, hi):
    """``fn(x)`` on [lo, hi]; 0 below lo and x above hi, where ``fn`` equals them to every
    float's precision (SiLU-like gates beyond saturation). Keeps 0·∞ out of derivatives when x
    is huge or infinite, as it can be deep inside an exploding chain."""
    inside = (x >= lo) & (x <= hi)
    xs = safe_where(inside, x, 0.0)
    return jnp.where(inside, fn(xs), jnp.where(x > hi, x, 0.0))


def sqrt_x2_plus(x, c):
    """√(x² + c) for c > 0, as |x|·√(1 + c·(1/x)²) for |x| > 1 so x² never overflows."""
    big = jnp.abs(x) > 1.0
    inv = 1.0 / safe_where(big, x, 1.0)
    xs = safe_where(big, 0.0, x)
    return jnp.where(big, jnp.abs(x) * jnp.sqrt(1.0 + c * inv * inv), jnp.sqrt(xs * xs + c))


# ----- sigmoid, tanh, softplus: σ′ = σ(x)σ(−x) has no cancellation in either tail ---------


def _sigmoid_prime(x):
    return lax.logistic(x) * lax.logistic(-x)


sigmoid = with_derivatives(
    lax.logistic,  # σ(x) = 1/(1 + e^{−x})
    _sigmoid_prime,  # σ′ = σ(x)σ(−x)
    lambda x: -_sigmoid_prime(x) * jnp.tanh(0.5 * x),  # σ″ = σ′·(σ(−x) − σ(x)) = −σ′·tanh(x/2)
)


def _sech2(x):
    e = jnp.exp(-2.0 * jnp.abs(x))
    return 4.0 * e / (1.0 + e) ** 2  # sech²x = 1 − tanh²x, without the cancellation


tanh = with_derivatives(jnp.tanh, _sech2, lambda x: -2.0 * jnp.tanh(x) * _sech2(x))

softplus = with_derivatives(
    lambda x: jnp.logaddexp(x, 0.0),  # log(1 + eˣ), stable
    lax.logistic,  # softplus′ = σ
    _sigmoid_prime,  # softplus″ = σ′
)


def log_sigmoid(x):
    """log σ(x) = −softplus(−x)."""
    return -softplus(-x)


# eˣ − 1 whose derivative is eˣ itself, not expm1(x) + 1.
expm1 = with_derivatives(jnp.expm1, jnp.exp, jnp.exp)


# ----- algebraic squashing functions: closed-form derivatives, no quotient rule ----------


def _isru_r(x, alpha):
    return jnp.sqrt(alpha) * sqrt_x2_plus(x, 1.0 / alpha)  # r = √(1 + αx²)


def _isru(x, alpha):
    return x / _isru_r(x, alpha)


isru = with_derivatives(
    _isru,
    lambda x, alpha: _isru_r(x, alpha) ** -3,  # (1 + αx²)^{−3/2}
    # −3αx(1 + αx²)^{−5/2}, as −3α·(x/r)·r^{−4} so 3αx cannot overflow before r^{−5} vanishes
    lambda x, alpha: -3.0 * alpha * _isru(x, alpha) * _isru_r(x, alpha) ** -4,
)

soft_sign = with_derivatives(
    lambda x: x / (1.0 + jnp.abs(x)),
    lambda x: (1.0 + jnp.abs(x)) ** -2,
    lambda x: -2.0 * jnp.sign(x) * (1.0 + jnp.abs(x)) ** -3,  # 0 at the f″ kink x = 0
)


def _squareplus(x, b):
    # x ≥ 0: (x + r)/2; x < 0: b / (2(r − x)), the same value without cancellation.
    pos = x >= 0
    xp = safe_where(pos, x, 1.0)
    xn = safe_where(pos, -1.0, x)
    return jnp.where(pos, 0.5 * (xp + sqrt_x2_plus(xp, b)), 0.5 * b / (sqrt_x2_plus(xn, b) - xn))


squareplus = with_derivatives(
    _squareplus,
    lambda x, b: _squareplus(x, b) / sqrt_x2_plus(x, b),  # f′ = f/r with r = √(x² + b)
    lambda x, b: 0.5 * b * sqrt_x2_plus(x, b) ** -3,  # f″ = b/(2r³)
)


def _bent_identity(x):
    big = jnp.abs(x) > 1.0
    xs = safe_where(big, 0.0, x)
    small_part = xs * xs / (2.0 * (jnp.sqrt(xs * xs + 1.0) + 1.0))  # (r − 1)/2 without cancellation
    big_part = 0.5 * (sqrt_x2_plus(x, 1.0) - 1.0)
    return jnp.where(big, big_part, small_part) + x


bent_identity = with_derivatives(
    _bent_identity,
    lambda x: 1.0 + 0.5 * x / sqrt_x2_plus(x, 1.0),  # f′ = 1 + x/(2r), r = √(x² + 1)
    lambda x: 0.5 * sqrt_x2_plus(x, 1.0) ** -3,  # f″ = 1/(2r³)
)


def _inverse_square(x):
    big = jnp.abs(x) > 1.0
    inv = 1.0 / safe_where(big, x, 1.0)
    xs = safe_where(big, 0.0, x)
    return big, inv, xs


def _arctan_prime(x):
    big, inv, xs = _inverse_square(x)
    return jnp.where(big, inv * inv / (1.0 + inv * inv), 1.0 / (1.0 + xs * xs))  # 1/(1 + x²)


def _arctan_second(x):
    big, inv, xs = _inverse_square(x)
    return jnp.where(big, -2.0 * inv**3 / (1.0 + inv * inv) ** 2, -2.0 * xs / (1.0 + xs * xs) ** 2)  # −2x/(1 + x²)²


# arctan′ = 1/(1 + x²) written with 1/x for |x| > 1, so x² never overflows into ∞/∞.
arctan = with_derivatives(jnp.arctan, _arctan_prime, _arctan_second)


def _snake_phase(x, a):
    # a·x overflows only where sin(ax) is meaningless anyway (|x| near the largest float),
    # and there sin²(ax)/a ≤ 1/a is far below the spacing of x: use 0 to stay finite.
    u = a * x
    return safe_where(jnp.isfinite(u), u, 0.0)


def _snake(x, a):
    s = jnp.sin(_snake_phase(x, a))
    return x + s * s / a  # x + sin²(ax)/a


def _snake_prime(x, a):
    u = _snake_phase(x, a)
    return (jnp.sin(u) + jnp.cos(u)) ** 2  # 1 + sin 2ax, which cancels where sin 2ax ≈ −1


def _snake_second(x, a):
    u = _snake_phase(x, a)
    s, c = jnp.sin(u), jnp.cos(u)
    return 2.0 * a * (c - s) * (c + s)  # 2a·cos 2ax without forming 2ax


snake = with_derivatives(_snake, _snake_prime, _snake_second)


# ----- Taylor series near 0, where the closed form cancels ------------------------------

# x − tanh x = Σ c_k x^{2k+1}; c_k = (−1)^k 2^{2k}(2^{2k} − 1)|B_{2k}|/(2k)! from k = 2 (sign flipped).
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


def _horner(coeffs, t):
    acc = 0.0
    for c in reversed(coeffs):
        acc = acc * t + c
    return acc


def tanhshrink(x):
    """x − tanh(x); a Taylor series for |x| < 0.25, where the difference cancels."""
    small = jnp.abs(x) < 0.25
    xs = safe_where(small, x, 0.0)
    xb = safe_where(small, 1.0, x)
    return jnp.where(small, _horner(_TANHSHRINK_SERIES, xs * xs) * xs**3, xb - tanh(xb))


# sin(x)/x = Σ (−1)^k x^{2k}/(2k+1)!, k = 0..11: below 1e-17 relative for |x| < 1.
_SINC_SERIES = tuple((-1.0) ** k / math.factorial(2 * k + 1) for k in range(12))


def sinc(x):
    """sin(x)/x with sinc(0) = 1; a Taylor series for |x| < 1, where the quotient's
    derivatives cancel."""
    small = jnp.abs(x) < 1.0
    xs = safe_where(small, x, 0.0)
    xb = safe_where(small, 1.0, x)
    return jnp.where(small, _horner(_SINC_SERIES, xs * xs), jnp.sin(xb) / xb)

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
    inv = 1.0 / xb  # (1/x)² underflows harmlessly where x² would overflow
    return jnp.where(big, jnp.abs(xb) * jnp.sqrt(1.0 + c * inv * inv), jnp.sqrt(xs * xs + c))


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


def with_derivatives(f, df, d2f):
    """``f(x, *params)`` whose first and second x-derivatives are the given closed forms.

    For functions whose autodiff derivative cancels catastrophically (a quotient whose
    terms nearly cancel at large |x|). Params are treated as constants: the service only
    differentiates with respect to x.
    """
    f, df = jax.custom_jvp(f), jax.custom_jvp(df)

    @f.defjvp
    def _f_jvp(primals, tangents):
        return f(*primals), df(*primals) * tangents[0]

    @df.defjvp
    def _df_jvp(primals, tangents):
        return df(*primals), d2f(*primals) * tangents[0]

    return f


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
    xb = safe_where(big, x, 2.0)
    small_part = xs * xs / (2.0 * (jnp.sqrt(xs * xs + 1.0) + 1.0))  # (r − 1)/2 without cancellation
    big_part = 0.5 * (sqrt_x2_plus(xb, 1.0) - 1.0)
    return jnp.where(big, big_part, small_part) + x


bent_identity = with_derivatives(
    _bent_identity,
    lambda x: 1.0 + 0.5 * x / sqrt_x2_plus(x, 1.0),  # f′ = 1 + x/(2r), r = √(x² + 1)
    lambda x: 0.5 * sqrt_x2_plus(x, 1.0) ** -3,  # f″ = 1/(2r³)
)


def _arctan_prime(x):
    big = jnp.abs(x) > 1.0
    inv = 1.0 / safe_where(big, x, 1.0)
    xs = safe_where(big, 0.0, x)
    return jnp.where(big, inv * inv / (1.0 + inv * inv), 1.0 / (1.0 + xs * xs))  # 1/(1 + x²)


def _arctan_second(x):
    big = jnp.abs(x) > 1.0
    inv = 1.0 / safe_where(big, x, 1.0)
    xs = safe_where(big, 0.0, x)
    return jnp.where(big, -2.0 * inv**3 / (1.0 + inv * inv) ** 2, -2.0 * xs / (1.0 + xs * xs) ** 2)  # −2x/(1 + x²)²


# arctan′ = 1/(1 + x²) written with 1/x for |x| > 1, so x² never overflows into ∞/∞.
arctan = with_derivatives(jnp.arctan, _arctan_prime, _arctan_second)

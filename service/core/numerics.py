"""Numerically stable building blocks whose derivatives stay accurate to the last digits.

JAX's own rules lose relative accuracy where it matters for activations: ``lax.logistic``
differentiates to ``s·(1 − s)`` and ``tanh`` to ``(1 + t)(1 − t)``, both of which round to 0
long before the true derivative underflows (σ′(40) ≈ 4.2e-18 is representable in float64);
``expm1`` differentiates to ``expm1(x) + 1``, which is 0 below x ≈ −37. Quotients such as
x/√(1 + x²) cancel catastrophically in their autodiff derivative at large |x|.

The building blocks here (shared by catalog entries and user formulas; an entry's own closed
forms sit next to it in ``catalog.py``) are written so that values, first and second derivatives keep full
relative precision over the whole real line, never overflow into ∞/∞ or 0·∞, and never
produce NaN where the mathematics is finite. They use only Python (weakly typed) constants,
so float32 stays float32.
"""

import jax
import jax.numpy as jnp
from jax import lax


def safe_where(cond, x, safe):
    """``x`` where ``cond`` holds, ``safe`` elsewhere: the first half of the double-``where``
    trick (feed each branch only inputs on which it and its derivatives are finite)."""
    return jnp.where(cond, x, safe)


def derivatives(df, d2f):
    """Decorator: ``f(x, *params)`` whose first and second x-derivatives are the closed forms
    ``df`` and ``d2f`` (same arguments).

    ``jax.grad`` then uses them exactly as it uses the rules of its own primitives. Params are
    constants here: the service differentiates with respect to x only.
    """

    def wrap(f):
        f, first = jax.custom_jvp(f), jax.custom_jvp(df)

        @f.defjvp
        def _f_jvp(primals, tangents):
            return f(*primals), first(*primals) * tangents[0]

        @first.defjvp
        def _df_jvp(primals, tangents):
            return first(*primals), d2f(*primals) * tangents[0]

        return f

    return wrap


def reverse_derivatives(fn):
    """``fn(u, *params)``, element-wise, with its f′ and f″ taken by ``grad`` (reverse mode) and
    handed on as closed forms (:func:`derivatives`). A user formula is differentiated in forward
    mode; a catalog entry with a traced param that a rewrite puts in it (x·σ(βx) → SiLU with
    β) keeps the derivatives it is built and tested with: forward mode would scale the tangent
    by β twice before x (β²σ″ subnormal at β = 0.01, x = 7850 in float32), reverse mode does not."""

    def d1(u, *params):
        return jax.grad(lambda v: jnp.sum(fn(v, *params)))(u)

    def d2(u, *params):
        return jax.grad(lambda v: jnp.sum(d1(v, *params)))(u)

    return derivatives(d1, d2)(fn)


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


# ----- sigmoid, tanh, softplus, expm1, arctan: shared by catalog entries and user formulas --


def _sigmoid_prime(x):
    return lax.logistic(x) * lax.logistic(-x)


@derivatives(_sigmoid_prime, lambda x: -_sigmoid_prime(x) * jnp.tanh(0.5 * x))
def sigmoid(x):
    """σ(x) = 1/(1 + e^{−x}); σ′ = σ(x)σ(−x), with no cancellation in either tail, and
    σ″ = σ′·(σ(−x) − σ(x)) = −σ′·tanh(x/2)."""
    return lax.logistic(x)


def _sech2(x):
    # sech²x = (2h/(1 + h²))² with h = e^{−|x|}: without the cancellation of 1 − tanh²x, one
    # exp, and no underflow before sech²x itself leaves the normals (e^{−2|x|} alone is
    # subnormal, flushed to 0 on CPUs, while float32 tanh′(43.8) ≈ 3.6e-38 is still normal).
    h = jnp.exp(-jnp.abs(x))
    return (2.0 * h / (1.0 + h * h)) ** 2


@derivatives(_sech2, lambda x: -2.0 * jnp.tanh(x) * _sech2(x))
def tanh(x):
    """tanh x; tanh′ = sech²x = 4e^{−2|x|}/(1 + e^{−2|x|})², tanh″ = −2 tanh x · sech²x."""
    return jnp.tanh(x)


@derivatives(lax.logistic, _sigmoid_prime)
def softplus(x):
    """log(1 + eˣ) computed as logaddexp(x, 0); softplus′ = σ, softplus″ = σ′."""
    return jnp.logaddexp(x, 0.0)


@derivatives(jnp.sign, jnp.zeros_like)
def absolute(x):
    """|x|; f′ = sign(x), 0 at 0 (the subgradient's midpoint, as PyTorch; JAX's own rule
    gives 1), f″ = 0."""
    return jnp.abs(x)


@derivatives(jnp.exp, jnp.exp)
def expm1(x):
    """eˣ − 1, whose derivative is eˣ itself (JAX's rule, expm1(x) + 1, is 0 below x ≈ −37)."""
    return jnp.expm1(x)


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


@derivatives(_arctan_prime, _arctan_second)
def arctan(x):
    """arctan x; arctan′ = 1/(1 + x²) and arctan″ = −2x/(1 + x²)², written with 1/x for
    |x| > 1 so x² never overflows into ∞/∞."""
    return jnp.arctan(x)


def horner(coeffs, t):
    """Σ coeffs[k]·tᵏ."""
    acc = 0.0
    for c in reversed(coeffs):
        acc = acc * t + c
    return acc


# ----- softmax and log-softmax: derivatives without 1 − s --------------------------------------
#
# ∂s_i/∂x_j = s_i(δ_ij − s_j) holds 1 − s_a for the dominant entry a, which rounds to 0 once
# one logit leads by ~37 (float64) or ~17 (float32) although s_a(1 − s_a) is a normal number.
# The tangent therefore gives t_a, the dominant entry's, its own coefficient: with
# r = Σ_{j≠a} s_j and g = Σ_{j≠a} s_j t_j,
#     ds_i = s_i (t_i − Σ_j s_j t_j) = s_i (r t_a − g)              (i = a; Σ_j s_j = 1),
#                                    = s_i (t_i − s_a t_a − g)      (i ≠ a),
# so 1 − s_a only ever appears as r, a sum of small positive terms; differentiating this rule
# again (Hessians) keeps the property. Every Jacobian entry is then one product, s_i·r,
# −s_i·s_a or s_i(δ_ij − s_j) with s_j ≤ ½, in forward and in reverse mode alike: no sum of
# terms that cancel (centring on t_a, d_i − Σ_j s_j d_j with d = t − t_a, formed −s_a as
# r − 1 and, transposed, s_i s_a as s_i − Σ_k s_i s_k: nε wrong on near-uniform vectors, and
# wrong by every product s_i s_k that underflows when s_i is near the smallest normal).
# log-softmax takes the same tangent, and its value −log1p(Σ_{j≠a} e^{x_j − x_a}) at the
# dominant entry instead of log(1 + tiny) = 0.


def _dominant(x, where):
    """(index of the largest real entry, its value); ``where`` marks the real entries."""
    masked = jnp.where(where, x, -jnp.inf)
    a = jnp.argmax(masked)
    return a, masked[a]


def _centred_tangent(s, t, a, where):
    """t_i − Σ_j s_j t_j (0 off ``where``), as r·t_a − g at the dominant entry a and
    t_i − s_a·t_a − g elsewhere, with r = Σ_{j≠a} s_j and g = Σ_{j≠a} s_j t_j."""
    dominant = jnp.arange(t.shape[0]) == a
    others = where & ~dominant
    r = jnp.sum(jnp.where(others, s, 0.0))
    g = jnp.sum(jnp.where(others, s * t, 0.0))
    own = jnp.where(dominant, 0.0, t) + jnp.where(dominant, r, -s[a]) * t[a]
    return jnp.where(where, own - g, 0.0)


@jax.custom_jvp
def _softmax(x, where):
    a, top = _dominant(x, where)
    e = jnp.where(where, jnp.exp(safe_where(where, x, top) - top), 0.0)
    return e / jnp.sum(e)


@_softmax.defjvp
def _softmax_jvp(primals, tangents):
    x, where = primals
    s = _softmax(x, where)
    a, _ = _dominant(x, where)
    return s, s * _centred_tangent(s, tangents[0], a, where)


@jax.custom_jvp
def _log_softmax(x, where):
    a, top = _dominant(x, where)
    shifted = jnp.where(where, safe_where(where, x, top) - top, 0.0)
    rest = jnp.sum(jnp.where(where & (jnp.arange(x.shape[0]) != a), jnp.exp(shifted), 0.0))
    return jnp.where(where, shifted - jnp.log1p(rest), 0.0)


@_log_softmax.defjvp
def _log_softmax_jvp(primals, tangents):
    x, where = primals
    s = _softmax(x, where)
    a, _ = _dominant(x, where)
    return _log_softmax(x, where), _centred_tangent(s, tangents[0], a, where)


def _mask(x, where):
    return jnp.ones(x.shape, bool) if where is None else jnp.asarray(where, bool)


def softmax(x, where=None):
    """s_i = e^{x_i − x_a}/Σ_j e^{x_j − x_a} (x_a the largest); derivatives as above."""
    return _softmax(x, _mask(x, where))


def log_softmax(x, where=None):
    """x_i − x_a − log1p(Σ_{j≠a} e^{x_j − x_a}); ∂f_i/∂x_j = δ_ij − s_j, centred as above."""
    return _log_softmax(x, _mask(x, where))


def silu_parts(x, beta):
    """What SiLU's f, f′ and f″ share: u = βx (within ±1e4, where every term has saturated;
    an overflowed β·x is ±1e4), h = e^{−|u|/2} and q = 1/(1 + h²). Then σ(u)σ(−u) = h²q², and
    with (w, v) = :func:`silu_halves`, σ(u) = w²q and σ(−u) = qv: neither σ has a
    cancellation."""
    u = jnp.clip(beta * x, -1e4, 1e4)
    h = jnp.exp(-0.5 * jnp.abs(u))
    return u, h, 1.0 / (1.0 + h * h)


def silu_halves(u, h):
    """(w, v) = (h, 1) below 0 and (1, h²) from 0 up: products with e^{u} take it as w·w, one
    half at a time, so they stay normal as long as the result is."""
    pos = u >= 0
    return jnp.where(pos, 1.0, h), jnp.where(pos, h * h, 1.0)


def value_and_slope(both):
    """``both(z, params) = (f(z), f′(z))`` as one function whose JVP is f′·ż (and 0 for the f′
    output): a gradient through it multiplies by the f′ it already has instead of
    differentiating f again, so f appears once in a program that needs f, f′ and a gradient
    (chains, gradient flows)."""

    @jax.custom_jvp
    def fn(z, params):
        return both(z, params)

    @fn.defjvp
    def _jvp(primals, tangents):
        value, slope = fn(*primals)
        return (value, slope), (slope * tangents[0], jnp.zeros_like(slope))

    return fn


# ----- x·e^{βx} for βx < −40: the left tail of Mish ------------------------------------------
#
# There tanh(softplus(x)) = eˣ to every float's precision, so the gate is x·eˣ. Formed as a
# product, eˣ is subnormal (flushed to 0 on CPUs) long before the result is (Mish(−709) ≈
# −8.6e-306 in float64, −5.3e-37 at −88 in float32): each of f, f′, f″ is therefore one exp of
# a sum of logarithms. (SiLU takes e^{βx} in two halves instead: silu_parts.)


def _xexp_exponent(x, beta):
    # βx, floored at −1e4 (below, every term is 0 in any float, and −∞ + ∞ never forms)
    return jnp.maximum(beta * x, -1e4)


def _xexp_prime(x, beta):
    # e^{βx}(1 + βx), with 1 + βx < 0 here
    u = _xexp_exponent(x, beta)
    return -jnp.exp(u + jnp.log(-(1.0 + u)))


def _xexp_second(x, beta):
    # βe^{βx}(2 + βx)
    u = _xexp_exponent(x, beta)
    return -jnp.exp(jnp.log(beta) + u + jnp.log(-(2.0 + u)))


@derivatives(_xexp_prime, _xexp_second)
def x_exp_tail(x, beta):
    """x·e^{βx} = −e^{ln(−x) + βx} for βx < −40 (callers select that range); f′ = e^{βx}(1 + βx),
    f″ = βe^{βx}(2 + βx), each as one exponential."""
    return -jnp.exp(jnp.log(-jnp.maximum(x, -1e38)) + _xexp_exponent(x, beta))

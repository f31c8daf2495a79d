"""Formulas rewritten to stable forms before they are compiled and differentiated.

Students type textbook formulas: ``log(1 + exp(x))``, ``1/(1 + exp(-x))``, ``sin(x)/x``,
``0.5*x*(1 + erf(x/sqrt(2)))``. Evaluated and differentiated literally they lose digits
(1 + eˣ rounds to eˣ; 1 + erf(u) cancels for u ≪ 0; sin(x)/x's derivative is a difference of
nearly equal terms near 0) or overflow (eˣ for x > 709). The rewriter walks the checked tree
bottom-up and replaces each pattern of :data:`RULES` by the same function written stably —
often the catalog entry it is the textbook form of — so a written-out formula agrees with its
catalog entry. Every rule is an identity of real analysis: the function is unchanged, only the
rounding is. Sums and products are searched as flat lists of terms and factors, so
``x*sigmoid(beta*x)``, ``sigmoid(beta*x)*x`` and ``0.5*x*(1 + erf(x/sqrt(2)))`` are all found.

Functions the rewriter introduces that a user cannot type start with ``_`` (:data:`INTERNAL`).
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from dataclasses import dataclass

import jax.numpy as jnp

from . import catalog as cat
from . import numerics as nm


@dataclass(frozen=True)
class Rule:
    pattern: str
    replacement: str
    why: str


# What is rewritten (u is any sub-formula in x, k and c any sub-formulas free of x: numbers,
# params, pi, e). The README and GET /v1/expressions/functions list this table.
RULES: tuple[Rule, ...] = (
    Rule("log(1 + u)", "log1p(u)", "1 + u rounds away the digits of a small u"),
    Rule("log1p(exp(u)), log(1 + exp(u))", "softplus(u)", "eˣ overflows above 709; f″ cancels"),
    Rule("log(exp(u))", "u", "eᵘ overflows"),
    Rule("log(sigmoid(u))", "log_sigmoid(u)", "σ(u) underflows to 0 for u ≪ 0"),
    Rule("exp(u) − 1, 1 − exp(u)", "expm1(u), −expm1(u)", "cancels near u = 0"),
    Rule("1 − exp(−exp(u))", "cloglog(u)", "e^{−eᵘ} rounds to 1 for u ≪ 0; eᵘ overflows"),
    Rule("1 + erf(u), 1 − erf(u)", "erfc(−u), erfc(u)", "cancels in the tail where erf(u) → ∓1"),
    Rule("1 + tanh(u), 1 − tanh(u)", "2·sigmoid(2u), 2·sigmoid(−2u)", "cancels where tanh(u) → ∓1"),
    Rule("A − A·sigmoid(u) (A any factor: 1, a, x)", "A·sigmoid(−u)", "cancels where σ(u) → 1"),
    Rule("A·sigmoid(u) − A/2", "(A/2)·tanh(u/2)", "cancels near u = 0"),
    Rule("a/(1 + exp(u)), exp(u)/(1 + exp(u))", "a·sigmoid(−u), sigmoid(u)", "eᵘ overflows (∞/∞)"),
    Rule("(exp(u) − exp(−u))/(exp(u) + exp(−u)), expm1(u)/(1 + exp(u))", "tanh(u), tanh(u/2)", "∞/∞ for |u| > 709"),
    Rule(
        "u·sigmoid(k·u)",
        "silu(u) (k = 1), or u·σ(ku) with SiLU's tail (k < 0: −(−u)·σ(|k|·(−u)))",
        "σ underflows before u·σ(ku) does",
    ),
    Rule("u·tanh(softplus(u))", "mish(u)", "the catalog's tails and closed forms"),
    Rule("sin(u)/u", "sinc(u)", "0/0 at u = 0; the derivatives cancel near 0"),
    Rule("u − tanh(u)", "tanhshrink(u)", "cancels near u = 0"),
    Rule("softplus(u) − u", "softplus(−u)", "cancels for u ≫ 0"),
    Rule("u/(1 + abs(u))", "soft_sign(u)", "the quotient rule cancels for large |u|"),
    Rule("log1p(exp(u)) − log(2)", "shifted_softplus(u)", "cancels near u = 0"),
    Rule(
        "softplus(k·u)/k",
        "the catalog's softplus(u, β = k) (k < 0: −softplus(−u, β = |k|))",
        "k·u overflows where the result does not",
    ),
    Rule("sqrt(k·u² + c)", "the same, as |u|·√(k + c/u²) for |u| > 1", "u² overflows"),
    Rule(
        "u + sqrt(u² + c), sqrt(u² + c) − u (halved: squareplus)",
        "2·squareplus(±u, c)",
        "cancels for u ≪ 0 (resp. u ≫ 0); the halved form never overflows",
    ),
    Rule("sqrt(k·u² + c) − √c", "k·u²/(sqrt(k·u² + c) + √c)", "cancels near u = 0"),
    Rule(
        "u/sqrt(1 + k·u²), u·(1 + k·u²)**−0.5",
        "isru(u, k) for k > 0 (the quotient for k ≤ 0)",
        "the quotient rule cancels for large |u|",
    ),
    Rule("v**0.5, v**−0.5, v**−1 (v a sum)", "sqrt(v), 1/sqrt(v), 1/v", "so the rules above see them"),
)


# ----- the functions rewrites introduce -------------------------------------------------------


def _sqrt_quad_parts(u, k, c):
    """(big, us, inv, q, s): where |u| > 1 and k ≠ 0, r = |u|·q with q = √(k + c/u²) (u² never
    formed); elsewhere r = √s with s = k·us² + c (k = 0: √c however large u is)."""
    big = (jnp.abs(u) > 1.0) & (k != 0)
    us = nm.safe_where(big, 0.0, u)
    inv = 1.0 / nm.safe_where(big, u, 1.0)
    return big, us, inv, jnp.sqrt(k + (c * inv) * inv), (k * us) * us + c


def _sqrt_quad_value(u, k, c):
    big, us, _, q, s = _sqrt_quad_parts(u, k, c)
    return jnp.where(big, jnp.abs(u) * q, jnp.sqrt(s))


def _sqrt_quad_prime(u, k, c):
    """k·u/r, as (k/r)·u so k·u cannot underflow first (k = c = 1e-30 in float32); 0 where r = 0."""
    big, us, _, q, s = _sqrt_quad_parts(u, k, c)
    return jnp.where(big, jnp.sign(u) * k / q, jnp.where(s == 0, 0.0, (k / jnp.sqrt(s)) * us))


def _sqrt_quad_second(u, k, c):
    """k·c/r³ as (k/r)·(c/r²): r³ neither overflows (|u| > 1: r = |u|·q, and (k/q)/|u| times
    (c/(u·q))/(u·q)) nor underflows where f″ does not (c = 1e-30 at u = 0 in float32: f″ = 1e15)."""
    big, _, inv, q, s = _sqrt_quad_parts(u, k, c)
    far = ((k / q) * jnp.abs(inv)) * ((c * inv / q) * (inv / q))
    return jnp.where(big, far, jnp.where(s == 0, 0.0, (k / jnp.sqrt(s)) * (c / s)))


@nm.derivatives(_sqrt_quad_prime, _sqrt_quad_second)
def sqrt_quad(u, k, c):
    """r = √(k·u² + c); r′ = k·u/r, r″ = k·c/r³ (u² never formed for |u| > 1)."""
    return _sqrt_quad_value(u, k, c)


@nm.derivatives(_sqrt_quad_prime, _sqrt_quad_second)
def sqrt_quad_minus(u, k, c):
    """r − √c = k·u²/(r + √c) (no cancellation near 0; 0 where r = √c = 0); derivatives those of r."""
    q = (k * u) * u
    r = _sqrt_quad_value(u, k, c)
    small = jnp.abs(q) < 1e30
    denominator = r + jnp.sqrt(c)
    near = nm.safe_where(small, q, 0.0) / nm.safe_where(denominator > 0, denominator, 1.0)
    return jnp.where(small, jnp.where(denominator > 0, near, 0.0), r - jnp.sqrt(c))


def _sign(k):
    """±1 as k ≥ 0 or k < 0 (1 at 0): the odd symmetry the rewrites below use for k < 0."""
    return jnp.where(k < 0, -1.0, 1.0)


def _swish(u, k):
    """u·σ(k·u): the catalog's SiLU with β = |k| (its left tail u·e^{ku} stays normal), for
    k < 0 through u·σ(ku) = −(−u)·σ(|k|·(−u)) (SiLU's tail holds for β ≥ 0 only)."""
    s = _sign(k)
    return s * cat.silu(s * u, jnp.abs(k))


def _softplus_over(u, k):
    """softplus(k·u)/k: the catalog's softplus with β = |k|, for k < 0 through
    softplus(ku)/k = −softplus(|k|·(−u))/|k| (the catalog's β > 0 form would cancel)."""
    s = _sign(k)
    return s * cat.softplus(s * u, jnp.abs(k), math.inf)


def _isru(u, k):
    """u/√(1 + k·u²): the catalog's ISRU for k > 0; for k ≤ 0 (outside the catalog's α > 0)
    the quotient itself, with u² only where it cannot overflow (|u| ≤ 1/√|k| on the domain)."""
    pos = k > 0
    kp = nm.safe_where(pos, k, 1.0)
    us = nm.safe_where(k < 0, u, 0.0)  # k = 0: u/1 (no 0·∞ where u² overflows)
    return jnp.where(pos, cat.isru(u, kp), u / jnp.sqrt(1.0 + nm.safe_where(pos, 0.0, k) * us * us))


def _two_squareplus(u, c):
    """u + √(u² + c) = 2·squareplus(u, c), c/(√(u² + c) − u) for u < 0."""
    return 2.0 * cat.squareplus(u, c)


# name → (arity, function); names a user cannot type.
INTERNAL: dict[str, tuple[int, Callable]] = {
    "_sqrt_quad": (3, sqrt_quad),
    "_sqrt_quad_minus": (3, sqrt_quad_minus),
    "_swish": (2, nm.reverse_derivatives(_swish)),
    "_two_squareplus": (2, nm.reverse_derivatives(_two_squareplus)),
    "_isru": (2, nm.reverse_derivatives(_isru)),
    "_squareplus": (2, nm.reverse_derivatives(cat.squareplus)),
    "_softplus": (2, nm.reverse_derivatives(_softplus_over)),
}


# ----- tree helpers -------------------------------------------------------------------------


def _key(node) -> str:
    return ast.dump(node)


def _same(a, b) -> bool:
    return _key(a) == _key(b)


def has_x(node) -> bool:
    return any(isinstance(n, ast.Name) and n.id == "x" for n in ast.walk(node))


_FOLD = {"log": math.log, "exp": math.exp, "sqrt": math.sqrt, "log1p": math.log1p, "expm1": math.expm1}


def fold(node) -> float | None:
    """The value of a sub-formula built only of numbers, pi, e, + − × ÷ ** and log, exp,
    sqrt; None otherwise (or where it is not a finite real)."""
    try:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return float(node.value)
        if isinstance(node, ast.Name):
            return {"pi": math.pi, "e": math.e}.get(node.id)
        if isinstance(node, ast.UnaryOp):
            v = fold(node.operand)
            return None if v is None else (-v if isinstance(node.op, ast.USub) else v)
        if isinstance(node, ast.BinOp):
            a, b = fold(node.left), fold(node.right)
            if a is None or b is None:
                return None
            if isinstance(node.op, ast.Pow):
                v = math.pow(a, b) if abs(b) <= 1e4 else math.inf
            else:
                v = (
                    {ast.Add: a + b, ast.Sub: a - b, ast.Mult: a * b}.get(type(node.op))
                    if not isinstance(node.op, ast.Div)
                    else a / b
                )
            return v if v is not None and math.isfinite(v) else None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FOLD:
            args = [fold(a) for a in node.args]
            if len(args) == 1 and args[0] is not None:
                v = _FOLD[node.func.id](args[0])
                return v if math.isfinite(v) else None
    except (ValueError, OverflowError, ZeroDivisionError):
        return None
    return None


def _num(value: float):
    return ast.Constant(float(value))


def _call(name: str, *args):
    return ast.Call(func=ast.Name(name, ast.Load()), args=list(args), keywords=[])


def _callee(node) -> str | None:
    return node.func.id if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) else None


def _arg(node, name: str):
    """The argument of ``name(arg)``, else None."""
    return node.args[0] if _callee(node) == name and len(node.args) == 1 else None


def _neg(node):
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return node.operand
    if isinstance(node, ast.Constant):
        return _num(-node.value)
    return ast.UnaryOp(ast.USub(), node)


def _mul(a, b):
    fa, fb = fold(a), fold(b)
    if fa == 1.0:
        return b
    if fb == 1.0:
        return a
    if fa == -1.0:
        return _neg(b)
    if fa is not None and fb is not None and math.isfinite(fa * fb):
        return _num(fa * fb)
    return ast.BinOp(a, ast.Mult(), b)


def _scaled(k: float, node):
    """k·node with the numbers of node folded into k (2·(x/2) → x; not where k·c overflows)."""
    c, num, den = _split(node)
    if not math.isfinite(k * c):
        return ast.BinOp(_num(k), ast.Mult(), node)
    return product(1, [_num(k * c), *num], den)


def terms(node) -> list[tuple[int, ast.expr]]:
    """node as a signed sum: [(±1, term), …] (through + − and unary −)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        right = terms(node.right)
        if isinstance(node.op, ast.Sub):
            right = [(-s, t) for s, t in right]
        return terms(node.left) + right
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return [(-s, t) for s, t in terms(node.operand)]
    return [(1, node)]


def total(items: list[tuple[int, ast.expr]]):
    """The sum Σ ±term, in the order given."""
    out = None
    for sign, term in items:
        if out is None:
            out = term if sign > 0 else _neg(term)
        else:
            out = ast.BinOp(out, ast.Add() if sign > 0 else ast.Sub(), term)
    return out if out is not None else _num(0.0)


def factors(node) -> tuple[int, list, list]:
    """node as ±Π num / Π den (through × ÷ and unary −)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div)):
        s1, n1, d1 = factors(node.left)
        s2, n2, d2 = factors(node.right)
        if isinstance(node.op, ast.Div):
            n2, d2 = d2, n2
        return s1 * s2, n1 + n2, d1 + d2
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        s, n, d = factors(node.operand)
        return -s, n, d
    return 1, [node], []


def product(sign: int, num: list, den: list):
    """±Π num / Π den, in the order given."""
    out = None
    for f in num:
        out = f if out is None else _mul(out, f)
    out = out if out is not None else _num(1.0)
    for f in den:
        out = ast.BinOp(out, ast.Div(), f)
    return out if sign > 0 else _neg(out)


def _split(term) -> tuple[float, list, list]:
    """term = c · Π num / Π den with c the product of its foldable (x-free numeric) factors."""
    sign, num, den = factors(term)
    c = float(sign)
    keep_n: list = []
    keep_d: list = []
    for f in num:
        v = fold(f)
        if v is None:
            keep_n.append(f)
        else:
            c *= v
    for f in den:
        v = fold(f)
        if v is None or v == 0.0:
            keep_d.append(f)
        else:
            c /= v
    return c, keep_n, keep_d


def _multiple(v, u) -> float | None:
    """k with v = k·u for a number k ≠ 0 (2*x and x, -2*x and 2*x, x/2 and -x), else None."""
    cv, nv, dv = _split(v)
    cu, nu, du = _split(u)
    if cu == 0.0 or cv == 0.0 or sorted(map(_key, nv)) != sorted(map(_key, nu)):
        return None
    return cv / cu if sorted(map(_key, dv)) == sorted(map(_key, du)) else None


def _negates(a, b) -> bool:
    """Whether b = −a (−(2x), -2*x, (-2)*x and 2*(-x) all negate 2*x)."""
    return _multiple(b, a) == -1.0


def _ratio(v, u):
    """k with v = k·u and k free of x (a node), else None."""
    if _same(v, u):
        return _num(1.0)
    sign, num, den = factors(v)
    for i, f in enumerate(num):
        if _same(f, u):
            rest = num[:i] + num[i + 1 :]
            if all(not has_x(g) for g in rest + den):
                return product(sign, rest, den)
    return None


def _quad(node):
    """(u, k) with node = k·u² (u**2 or u*u), k free of x; else None."""
    sign, num, den = factors(node)
    for i, f in enumerate(num):
        u = None
        if isinstance(f, ast.BinOp) and isinstance(f.op, ast.Pow) and fold(f.right) == 2.0:
            u = f.left
        elif isinstance(f, ast.BinOp) and isinstance(f.op, ast.Mult) and _same(f.left, f.right):
            u = f.left
        if u is not None and has_x(u):
            rest = num[:i] + num[i + 1 :]
            if not any(has_x(g) for g in rest + den):
                return u, product(sign, rest, den)
    for i, f in enumerate(num):  # u·u as two factors of the product
        for j in range(i + 1, len(num)):
            if _same(f, num[j]) and has_x(f):
                rest = [g for m, g in enumerate(num) if m not in (i, j)]
                if not any(has_x(g) for g in rest + den):
                    return f, product(sign, rest, den)
    return None


# ----- the rules ------------------------------------------------------------------------------


def _is_one_plus(node, name: str):
    """u where node is 1 + name(u) (either order), else None."""
    items = terms(node)
    if len(items) != 2 or any(sign < 0 for sign, _ in items):
        return None
    (_, a), (_, b) = items
    for one, other in ((a, b), (b, a)):
        if fold(one) == 1.0 and _arg(other, name) is not None:
            return _arg(other, name)
    return None


def _call_rule(node):
    name = _callee(node)
    if name is None or len(node.args) != 1:
        return None
    (a,) = node.args
    if name == "log":
        inner = _arg(a, "exp")
        if inner is not None:
            return inner
        inner = _arg(a, "sigmoid")
        if inner is not None:
            return _call("log_sigmoid", inner)
        items = terms(a)
        for i, (sign, t) in enumerate(items):
            if sign > 0 and fold(t) == 1.0 and len(items) > 1 and all(has_x(s) for _, s in items[:i] + items[i + 1 :]):
                return _call("log1p", total(items[:i] + items[i + 1 :]))
    if name == "log1p":
        inner = _arg(a, "exp")
        if inner is not None:
            return _call("softplus", inner)
    if name == "expm1" and isinstance(a, ast.UnaryOp) and isinstance(a.op, ast.USub):
        inner = _arg(a.operand, "exp")
        if inner is not None:
            return _neg(_call("cloglog", inner))
    if name == "sqrt":
        items = terms(a)
        for i, (sign, t) in enumerate(items):
            found = _quad(t) if sign > 0 else None
            rest = items[:i] + items[i + 1 :]
            if found is not None and rest and not any(has_x(s) for _, s in rest):
                u, k = found
                return _call("_sqrt_quad", u, k, total(rest))
    return None


def _pow_rule(node):
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow)):
        return None
    p = fold(node.right)
    if len(terms(node.left)) < 2:
        return None  # only sums take part in the rules below; x**-0.5 stays a power (exact f″)
    if p == 0.5:
        return _call("sqrt", node.left)
    if p == -0.5:
        return ast.BinOp(_num(1.0), ast.Div(), _call("sqrt", node.left))
    if p == -1.0:
        return ast.BinOp(_num(1.0), ast.Div(), node.left)
    return None


# Pairs A + B with B = ±A·g(u): what A·(1 ± g(u)) becomes. (g, ratio B/A) → (factor, new call)
def _combined(g: str, ratio: float, u):
    if abs(ratio) != 1.0 and g != "sigmoid":
        return None
    if g == "erf":
        return 1.0, _call("erfc", _neg(u) if ratio > 0 else u)
    if g == "tanh":
        return 2.0, _call("sigmoid", _scaled(2.0 if ratio > 0 else -2.0, u))
    if g == "sigmoid" and ratio == -1.0:
        return 1.0, _call("sigmoid", _neg(u))
    if g == "sigmoid" and ratio == -2.0:
        return -1.0, _call("tanh", _scaled(0.5, u))  # A − 2A·σ(u) = −A·tanh(u/2)
    if g == "exp" and ratio < 0:
        return -1.0, _call("expm1", u)  # A − A·eᵘ = −A·expm1(u)
    return None


def _without(items, u, sign: int):
    """items with the terms of sign·u taken out (u a sum whose terms are among them), else None."""
    rest = list(items)
    for s_t, t in terms(u):
        for m, (s_r, r) in enumerate(rest):
            if s_r == sign * s_t and _same(r, t):
                del rest[m]
                break
        else:
            return None
    return rest


def _sum_of_parts(items):
    """u − tanh(u) → tanhshrink(u) and softplus(u) − u → softplus(−u), u itself a sum of some
    of the items ((x + 1) − tanh(x + 1) flattens to x + 1 − tanh(x + 1): found before 1 − tanh
    pairs up and cancels near −1)."""
    for j, (sb, b) in enumerate(items):
        others = items[:j] + items[j + 1 :]
        u = _arg(b, "tanh")
        if sb < 0 and u is not None:
            rest = _without(others, u, 1)
            if rest is not None and _without(rest, u, -1) is None:  # x − tanh(x) − x: −tanh(x)
                return total([*rest, (1, _call("tanhshrink", u))])
        u = _arg(b, "softplus")
        if sb > 0 and u is not None:
            rest = _without(others, u, -1)
            if rest is not None and _without(rest, u, 1) is None:
                return total([*rest, (1, _call("softplus", _neg(u)))])
    return None


def _sum_rule(node):
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub))):
        return None
    items = terms(node)
    found = _sum_of_parts(items)
    if found is not None:
        return found
    split = [_split(t) for _, t in items]
    split = [(s * c, n, d) for (s, _), (c, n, d) in zip(items, split, strict=True)]

    def replace(i: int, j: int, new):
        rest = [it for m, it in enumerate(items) if m not in (i, j)]
        return total([*rest[:i], (1, new), *rest[i:]]) if rest else new

    # ±u + sqrt(u² + c) first: sqrt(u² + c) − √c − u pairs up either way, and r − √c − u
    # cancels for u ≫ 0 where 2·squareplus(−u, c) − √c does not
    for i, (sa, a) in enumerate(items):
        for j, (sb, b) in enumerate(items):
            if i == j:
                continue
            if sb > 0 and _callee(b) == "_sqrt_quad" and fold(b.args[1]) == 1.0 and _same(b.args[0], a):
                return replace(i, j, _call("_two_squareplus", a if sa > 0 else _neg(a), b.args[2]))
    for i, (ca, na, da) in enumerate(split):
        for j, (cb, nb, db) in enumerate(split):
            if i == j or ca == 0.0:
                continue
            # B = ±A·g(u): same factors as A plus one call g(u)
            if len(nb) == len(na) + 1 and sorted(map(_key, da)) == sorted(map(_key, db)):
                for m, extra in enumerate(nb):
                    g, ratio = _callee(extra), cb / ca
                    if (
                        g not in ("erf", "tanh", "sigmoid", "exp")
                        or abs(ratio) not in (1.0, 2.0)
                        or len(extra.args) != 1
                    ):
                        continue
                    if sorted(map(_key, nb[:m] + nb[m + 1 :])) != sorted(map(_key, na)):
                        continue
                    out = _combined(g, ratio, extra.args[0])
                    if out is not None:
                        factor, call = out
                        return replace(i, j, product(1, [_num(ca * factor), *na, call], da))
            if (
                len(na) == len(nb) == 1
                and not (da or db)
                and _callee(na[0]) == "sqrt"
                and not has_x(na[0])
                and _callee(nb[0]) == "_sqrt_quad"
                and _same(nb[0].args[2], na[0].args[0])
                and ca == -cb
            ):  # sqrt_quad(u, k, c) − √c with c a param
                return replace(i, j, _scaled(cb, _call("_sqrt_quad_minus", *nb[0].args)))
            if na or da:
                continue
            # A is a number: a·σ(v) − a/2, softplus(u) − log 2, sqrt_quad(u, k, c) − √c
            if len(nb) == 1 and not db:
                b = nb[0]
                if _callee(b) == "sigmoid" and ca == -cb / 2:
                    return replace(i, j, _scaled(cb / 2, _call("tanh", _scaled(0.5, b.args[0]))))
                if _callee(b) == "softplus" and math.isclose(ca, -cb * math.log(2.0), rel_tol=4e-16):
                    return replace(i, j, _scaled(cb, _call("shifted_softplus", b.args[0])))
                if _callee(b) == "_sqrt_quad":
                    c = fold(b.args[2])
                    if c is not None and c > 0 and ca == -cb * math.sqrt(c):
                        return replace(i, j, _scaled(cb, _call("_sqrt_quad_minus", *b.args)))
    return None


def _product_rule(node):
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div))):
        return None
    sign, num, den = factors(node)

    def rebuilt(n, d):
        return product(sign, n, d)

    for j, d in enumerate(den):
        other = den[:j] + den[j + 1 :]
        v = _is_one_plus(d, "exp")
        if v is not None:
            for i, f in enumerate(num):
                if _same(f, _call("exp", v)):  # eᵛ/(1 + eᵛ)
                    return rebuilt([*num[:i], _call("sigmoid", v), *num[i + 1 :]], other)
                if _callee(f) == "expm1" and _same(f.args[0], v):  # (eᵛ − 1)/(eᵛ + 1)
                    return rebuilt([*num[:i], _call("tanh", _scaled(0.5, v)), *num[i + 1 :]], other)
            return rebuilt([*num, _call("sigmoid", _neg(v))], other)
        d_items = terms(d)
        if len(d_items) == 2 and all(s > 0 and _callee(t) == "exp" for s, t in d_items):
            (_, e1), (_, e2) = d_items
            if _negates(e1.args[0], e2.args[0]):
                for i, f in enumerate(num):
                    n_items = terms(f)
                    if (
                        len(n_items) == 2
                        and {_key(t) for _, t in n_items} == {_key(e1), _key(e2)}
                        and n_items[0][0] != n_items[1][0]
                    ):
                        plus = next(t for s, t in n_items if s > 0)
                        return rebuilt([*num[:i], _call("tanh", plus.args[0]), *num[i + 1 :]], other)
        v = _is_one_plus(d, "abs")
        k = _multiple(product(1, num, []), v) if v is not None else None
        if k is not None and len(num) > 1:  # 2*x/(1 + abs(2*x)): the numerator split into factors
            return rebuilt([_num(k), _call("soft_sign", v)], other)
        for i, f in enumerate(num):
            if v is not None and _same(f, v):
                return rebuilt([*num[:i], _call("soft_sign", v), *num[i + 1 :]], other)
            if _callee(f) == "sin" and _same(f.args[0], d):
                return rebuilt([*num[:i], _call("sinc", d), *num[i + 1 :]], other)
            if _callee(f) == "sin" and len(den) > 1 and _same(f.args[0], product(1, den, [])):
                return rebuilt([*num[:i], _call("sinc", f.args[0]), *num[i + 1 :]], [])
            if _callee(d) == "_sqrt_quad" and fold(d.args[2]) == 1.0 and _same(f, d.args[0]):
                return rebuilt([*num[:i], _call("_isru", f, d.args[1]), *num[i + 1 :]], other)
    for i, f in enumerate(num):
        if _callee(f) == "_two_squareplus":  # (u + √(u² + c))/2 = squareplus(u, c): 2·squareplus may overflow
            for g in num:
                if fold(g) == 0.5:
                    return rebuilt([h if h is not f else _call("_squareplus", *f.args) for h in num if h is not g], den)
            for m, d in enumerate(den):
                if fold(d) == 2.0:
                    return rebuilt(
                        [h if h is not f else _call("_squareplus", *f.args) for h in num], den[:m] + den[m + 1 :]
                    )
        v = _arg(f, "softplus")
        for m, d in enumerate(den):  # softplus(k·u)/k: k·u may overflow where the result does not
            if v is not None and not has_x(d):
                sign_v, num_v, den_v = factors(v)
                for n, g in enumerate(num_v):
                    if _same(g, d) and not den_v:
                        u = product(sign_v, num_v[:n] + num_v[n + 1 :], [])
                        if has_x(u):
                            return rebuilt([*num[:i], _call("_softplus", u, d), *num[i + 1 :]], den[:m] + den[m + 1 :])
    for i, g in enumerate(num):
        gate = _arg(g, "sigmoid")
        inner = _arg(_arg(g, "tanh") or _num(0.0), "softplus")
        for j, u in enumerate(num):
            if i == j or not has_x(u):
                continue
            rest = [f for m, f in enumerate(num) if m not in (i, j)]
            if inner is not None and _same(inner, u):
                return rebuilt([*rest, _call("mish", u)], den)
            k = _ratio(gate, u) if gate is not None else None
            if k is not None:
                new = _call("silu", u) if fold(k) == 1.0 else _call("_swish", u, k)
                return rebuilt([*rest, new], den)
    return None


_RULES = (_pow_rule, _call_rule, _sum_rule, _product_rule)


def _first(node, rules=_RULES):
    """node with the first of ``rules`` that matches applied, else None."""
    for rule in rules:
        new = rule(node)
        if new is not None:
            return new
    return None


def rewrite(node):
    """The tree with every pattern of :data:`RULES` replaced: first a sum's patterns as the sum
    is written (x·σ(x) − x = −x·σ(−x), before x·σ(x) becomes SiLU), then children first."""
    for _ in range(64):  # each rule shrinks the tree or removes a pattern; the bound is a safety net
        new = _first(node, (_sum_rule,))
        if new is None:
            break
        node = new
    node = _rewrite_children(node)
    for _ in range(64):
        new = _first(node)
        if new is None:
            return node
        node = _rewrite_children(new)
    return node


def _rewrite_children(node):
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        # term by term: a sum's own patterns span all its terms, however it is parenthesised
        # ((sqrt(x**2 + 4) - 2) - x must not pair sqrt(…) − 2 before sqrt(…) − x is seen)
        return total([(sign, rewrite(t)) for sign, t in terms(node)])
    if isinstance(node, ast.BinOp):
        return ast.BinOp(rewrite(node.left), node.op, rewrite(node.right))
    if isinstance(node, ast.UnaryOp):
        inner = rewrite(node.operand)
        if isinstance(node.op, ast.USub):
            return _neg(inner) if isinstance(inner, ast.UnaryOp) else ast.UnaryOp(ast.USub(), inner)
        return inner
    if isinstance(node, ast.Call):
        return ast.Call(func=node.func, args=[rewrite(a) for a in node.args], keywords=[])
    if isinstance(node, ast.Compare):
        return ast.Compare(rewrite(node.left), node.ops, [rewrite(c) for c in node.comparators])
    return node

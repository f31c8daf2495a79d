"""Custom activations from a formula: a small expression language compiled to JAX.

``"x * sigmoid(beta * x)"`` with params ``{"beta": 1.702}`` becomes a JAX function of x and
its params, differentiated exactly by ``jax.grad`` like any catalog entry. The text is parsed
with Python's ``ast`` and every node is checked against an allow-list; nothing is ever
evaluated by Python (no ``eval``/``exec``/``compile``), and the caps on length, node count,
nesting depth and literals are checked before anything expensive happens.

Language: the variable ``x``; named params; finite numeric literals (always floats);
``+ - * / **``; unary ``-``/``+``; parentheses; comparisons ``< <= > >= == !=`` (1.0 when true,
0.0 when false); ``where(cond, a, b)``; the constants ``pi`` and ``e``; and the functions of
:data:`FUNCTIONS`, which include every element-wise catalog activation at its default params.

Before compiling, textbook patterns that lose digits are rewritten to stable forms
(:mod:`.rewrites`: ``log(1 + exp(x))`` → ``softplus(x)``, ``sin(x)/x`` → ``sinc(x)``, …), and
f′, f″ are taken in forward mode: evaluate takes all three from one nested jvp
(:func:`_jet`), the chain and the gradient flow through ``grad`` (:func:`_forward`). Gradients through ``where`` (and
comparisons) are those of the branch selected at each point; the condition itself has
derivative 0, and a branch that is NaN or infinite where it is not selected does not reach
the derivative.
"""

from __future__ import annotations

import ast
import contextlib
import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.scipy.special import erf, erfc

from . import logderiv as ld
from . import numerics as nm
from . import rewrites
from .catalog import CATALOG
from .errors import InvalidParams
from .limits import Limits
from .registry import ELEMENTWISE, Activation, Param


class ExpressionError(InvalidParams):
    """A formula the language does not accept; ``position`` is 1-based in the text."""

    def __init__(self, message: str, position: int | None = None):
        where = f" at position {position}" if position is not None else ""
        super().__init__(f"{message}{where}", "expression")
        self.reason = message
        self.position = position


@dataclass(frozen=True)
class Function:
    name: str
    arity: int
    fn: Callable | None  # None: compiled by the language itself (where)
    description: str


def _catalog_function(activation: Activation) -> Callable:
    defaults = {p.name: (math.inf if p.default is None else p.default) for p in activation.params}
    return lambda x: activation.fn(x, **defaults)


_BUILTIN = (
    Function("exp", 1, jnp.exp, "eˣ"),
    Function("log", 1, jnp.log, "natural logarithm (NaN for x < 0, −∞ at 0)"),
    Function("log1p", 1, jnp.log1p, "log(1 + x), accurate near 0"),
    Function("expm1", 1, nm.expm1, "eˣ − 1, accurate near 0"),
    Function("sqrt", 1, jnp.sqrt, "square root (NaN for x < 0)"),
    Function("abs", 1, nm.absolute, "|x|; derivative sign(x), 0 at 0"),
    Function("sign", 1, jnp.sign, "−1, 0 or 1; derivative 0"),
    Function("sin", 1, jnp.sin, "sine"),
    Function("cos", 1, jnp.cos, "cosine"),
    Function("tan", 1, jnp.tan, "tangent"),
    Function("tanh", 1, nm.tanh, "hyperbolic tangent (accurate derivative in the tails)"),
    Function("arctan", 1, nm.arctan, "inverse tangent"),
    Function("erf", 1, erf, "error function"),
    Function("erfc", 1, erfc, "1 − erf(x), accurate for large x"),
    Function("sigmoid", 1, nm.sigmoid, "1/(1 + e^{−x}) (accurate derivative in the tails)"),
    Function("softplus", 1, nm.softplus, "log(1 + eˣ), stable"),
    Function("maximum", 2, jnp.maximum, "larger of a and b; at a tie the derivative is split ½/½"),
    Function("minimum", 2, jnp.minimum, "smaller of a and b; at a tie the derivative is split ½/½"),
    Function("clip", 3, jnp.clip, "clip(v, lo, hi) = minimum(maximum(v, lo), hi)"),
    Function(
        "where", 3, None, "where(cond, a, b): a where cond is true (non-zero), else b; derivative of the chosen branch"
    ),
)
FUNCTIONS: dict[str, Function] = {f.name: f for f in _BUILTIN}
for _a in CATALOG:
    if _a.kind == ELEMENTWISE and _a.name not in FUNCTIONS:
        FUNCTIONS[_a.name] = Function(
            _a.name, 1, _catalog_function(_a), f"the catalog's {_a.name} at its default params"
        )
CONSTANTS = {"pi": math.pi, "e": math.e}
VARIABLE = "x"

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_CMPOPS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
_DESCRIBE = {
    ast.Attribute: "attribute access is not allowed",
    ast.Subscript: "subscripts are not allowed",
    ast.Lambda: "lambdas are not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.List: "lists are not allowed",
    ast.Tuple: "tuples are not allowed",
    ast.Dict: "dicts are not allowed",
    ast.Set: "sets are not allowed",
    ast.BoolOp: "'and'/'or' are not allowed (use where)",
    ast.IfExp: "'if' expressions are not allowed (use where)",
    ast.JoinedStr: "strings are not allowed",
    ast.NamedExpr: "assignments are not allowed",
    ast.Starred: "starred arguments are not allowed",
    ast.Await: "await is not allowed",
    ast.Slice: "slices are not allowed",
}


def _pos(node) -> int | None:
    offset = getattr(node, "col_offset", None)
    return None if offset is None else offset + 1


def parse(text: str, limits: Limits = Limits()) -> ast.Expression:
    """Parse and check the whole tree against the language; raise :class:`ExpressionError`
    with a 1-based position in ``text`` as given (leading blanks counted; one past the end
    for a formula that stops too early)."""
    with positions_in(text):
        return _parse(text, limits)


@contextlib.contextmanager
def positions_in(text: str):
    """Report an :class:`ExpressionError`'s position (1-based, in the stripped formula that
    is parsed) in ``text`` as the user wrote it, leading blanks counted; a position past the
    end (Python's 0 for "ended too early") is one past the last character."""
    try:
        yield
    except ExpressionError as e:
        if e.position is None or not isinstance(text, str):
            raise
        stripped = text.strip()
        position = (e.position if 1 <= e.position <= len(stripped) else len(stripped) + 1) + (
            len(text) - len(text.lstrip())
        )
        if position == e.position:
            raise
        raise ExpressionError(e.reason, position) from None


def _parse(text: str, limits: Limits) -> ast.Expression:
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("must be a non-empty string")
    if len(text) > limits.max_expression_length:
        raise ExpressionError(f"is {len(text)} characters long; max_expression_length={limits.max_expression_length}")
    if "\n" in text or "\r" in text:
        raise ExpressionError("must be a single line")
    if "#" in text:
        raise ExpressionError("comments ('#') are not allowed", text.strip().index("#") + 1)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        raise ExpressionError(f"is not a valid formula ({e.msg})", e.offset) from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError("is too deeply nested") from None
    # Iterative walk: node count and depth are checked without recursion.
    count = 0
    stack: list[tuple[ast.AST, int]] = [(tree.body, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > limits.max_expression_nodes:
            raise ExpressionError(f"has more than max_expression_nodes={limits.max_expression_nodes} nodes")
        if depth > limits.max_expression_depth:
            raise ExpressionError(
                f"is nested deeper than max_expression_depth={limits.max_expression_depth}", _pos(node)
            )
        stack.extend(
            (child, depth + 1)
            for child in ast.iter_child_nodes(node)
            if not isinstance(child, (ast.operator, ast.unaryop, ast.cmpop, ast.expr_context))
        )
    return tree


class _Checker:
    """Validates node types, names, arity and literals; folds nothing, evaluates nothing."""

    def __init__(self, params: set[str], limits: Limits):
        self.params, self.limits = params, limits
        self.used: set[str] = set()

    def check(self, node) -> None:
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                kind = "strings" if isinstance(value, (str, bytes)) else type(value).__name__
                raise ExpressionError(f"{kind} are not allowed", _pos(node))
            if (
                isinstance(value, int)
                and value.bit_length() > 64
                or not math.isfinite(float(value))
                or abs(float(value)) > self.limits.max_expression_literal
            ):
                raise ExpressionError(
                    f"numeric literals must be finite with magnitude <= {self.limits.max_expression_literal:g}",
                    _pos(node),
                )
        elif isinstance(node, ast.Name):
            name = node.id
            if name.startswith("_"):
                raise ExpressionError(f"name '{name}' is not allowed", _pos(node))
            if name == VARIABLE or name in CONSTANTS:
                return
            if name in self.params:
                self.used.add(name)
                return
            if name in FUNCTIONS:
                raise ExpressionError(f"function '{name}' must be called, e.g. {name}(x)", _pos(node))
            raise ExpressionError(f"unknown name '{name}' (the variable is x; give params in 'params')", _pos(node))
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _BINOPS:
                raise ExpressionError(f"operator {type(node.op).__name__} is not allowed (use + - * / **)", _pos(node))
            if isinstance(node.op, ast.Pow):
                self._check_exponent(node.right)
            self.check(node.left)
            self.check(node.right)
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise ExpressionError("only unary - and + are allowed", _pos(node))
            self.check(node.operand)
        elif isinstance(node, ast.Compare):
            if len(node.ops) != 1:
                raise ExpressionError("chained comparisons are not allowed; use one comparison", _pos(node))
            if type(node.ops[0]) not in _CMPOPS:
                raise ExpressionError("only < <= > >= == != comparisons are allowed", _pos(node))
            self.check(node.left)
            self.check(node.comparators[0])
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name):
                raise ExpressionError("only the listed functions can be called, by name", _pos(node))
            name = node.func.id
            if name not in FUNCTIONS:
                raise ExpressionError(
                    f"unknown function '{name}' (GET /v1/expressions/functions lists them)", _pos(node)
                )
            if node.keywords:
                raise ExpressionError("keyword arguments are not allowed", _pos(node.keywords[0].value))
            if any(isinstance(a, ast.Starred) for a in node.args):
                raise ExpressionError("starred arguments are not allowed", _pos(node))
            arity = FUNCTIONS[name].arity
            if len(node.args) != arity:
                raise ExpressionError(
                    f"{name}() takes {arity} argument{'s' if arity != 1 else ''}, got {len(node.args)}", _pos(node)
                )
            for arg in node.args:
                self.check(arg)
        else:
            raise ExpressionError(
                _DESCRIBE.get(type(node), f"'{type(node).__name__}' syntax is not allowed"), _pos(node)
            )

    def _check_exponent(self, node) -> None:
        """A constant exponent (built of literals, pi, e and + - * /) must be small: keeps
        ``9**9**9`` and ``x**1e308`` out. Folded with Python floats, overflow caught."""
        value = _constant_value(node)
        if value is not None and not (math.isfinite(value) and abs(value) <= self.limits.max_expression_exponent):
            raise ExpressionError(
                f"constant exponents must have magnitude <= {self.limits.max_expression_exponent:g}", _pos(node)
            )


def _constant_value(node) -> float | None:
    """The float value of a constant sub-expression, or None if it involves x, a param or a
    function; ±inf/NaN when it overflows."""
    try:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return float(node.value)
        if isinstance(node, ast.Name) and node.id in CONSTANTS:
            return CONSTANTS[node.id]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            v = _constant_value(node.operand)
            return None if v is None else (-v if isinstance(node.op, ast.USub) else v)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            a, b = _constant_value(node.left), _constant_value(node.right)
            if a is None or b is None:
                return None
            op = type(node.op)
            if op is ast.Pow:
                # Python floats raise OverflowError instead of hanging, but skip huge powers anyway.
                return math.inf if abs(b) > 1e4 else math.pow(a, b)
            if op is ast.Div:
                return a / b
            return a + b if op is ast.Add else a - b if op is ast.Sub else a * b
    except (OverflowError, ZeroDivisionError, ValueError):
        return math.inf
    return None


# Beyond (lo, hi) these functions are constant and their derivative is 0 to every float's
# precision (None: the square root of the dtype's largest float, for 1/u²-like decay). Their
# argument is held there, so an intermediate that overflowed (u = ±∞ with u′ = ∞, e.g.
# sigmoid(x**3) at x = 1e200) gives f′(u)·u′ = 0 instead of 0·∞ = NaN.
_SATURATES: dict[str, tuple[float | None, float | None]] = {
    "sigmoid": (-750.0, 750.0),
    "tanh": (-400.0, 400.0),
    "erf": (-40.0, 40.0),
    "erfc": (-40.0, 40.0),
    "exp": (-1000.0, math.inf),
    "softplus": (-750.0, math.inf),
    "log_sigmoid": (-math.inf, 750.0),
    "cloglog": (-750.0, 40.0),
    "arctan": (None, None),
    "soft_sign": (None, None),
}


def _hold(u, lo: float | None, hi: float | None):
    """u held inside [lo, hi]; outside, a constant (derivative 0, whatever u′ is)."""
    bound = float(jnp.finfo(jnp.result_type(u)).max) ** 0.5
    lo, hi = -bound if lo is None else lo, bound if hi is None else hi
    s = lax.stop_gradient(u)
    return jnp.where(s < lo, lo, jnp.where(s > hi, hi, u))


def _forward(body: Callable) -> Callable:
    """``body(x, p)`` whose f′ and f″ are taken in forward mode (``jax.jvp`` with tangent 1)
    and handed to ``grad`` as closed forms (:func:`numerics.derivatives`). In forward mode a
    tangent meets ``where`` as a selection, not a product, so a branch that is NaN or infinite
    where it is not chosen (log(x) for x ≤ 0 inside where(x > 0, …)) and a held saturating
    argument (:data:`_SATURATES`) leave the derivative finite; reverse mode would multiply
    their zero cotangent by the ∞ on the other side."""

    def d1(x, p):
        return jax.jvp(lambda t: body(t, p), (x,), (jnp.ones_like(x),))[1]

    def d2(x, p):
        return jax.jvp(lambda t: d1(t, p), (x,), (jnp.ones_like(x),))[1]

    return nm.derivatives(d1, d2)(body)


def _jet(body: Callable) -> Callable:
    """``(x, p, order)`` → (f, f′, f″)[: order + 1] of ``body`` from one nested ``jax.jvp``
    (the derivatives :func:`_forward` hands to ``grad``, without tracing f and f′ again
    beside f″)."""

    def jet(x, p, order):
        one = jnp.ones_like(x)
        if order == 0:
            return (body(x, p),)
        if order == 1:
            return jax.jvp(lambda t: body(t, p), (x,), (one,))
        (f, d1), (_, d2) = jax.jvp(lambda t: jax.jvp(lambda s: body(s, p), (t,), (one,)), (x,), (one,))
        return f, d1, d2

    return jet


def _compile(node) -> Callable:
    """Tree → a function (x, params) → JAX array. Only checked trees reach here."""
    # Constants become arrays of x's dtype: Python float arithmetic would raise on 0/0 and
    # would not follow the requested dtype.
    if isinstance(node, ast.Constant):
        value = float(cast(float, node.value))  # checked: a finite int or float
        return lambda x, p: jnp.full_like(x, value)
    if isinstance(node, ast.Name):
        name = node.id
        if name == VARIABLE:
            return lambda x, p: x
        if name in CONSTANTS:
            value = CONSTANTS[name]
            return lambda x, p: jnp.full_like(x, value)
        return lambda x, p: p[name]
    if isinstance(node, ast.UnaryOp):
        inner = _compile(node.operand)
        return (lambda x, p: -inner(x, p)) if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp):
        a, b = _compile(node.left), _compile(node.right)
        op = type(node.op)
        if op is ast.Add:
            return lambda x, p: a(x, p) + b(x, p)
        if op is ast.Sub:
            return lambda x, p: a(x, p) - b(x, p)
        if op is ast.Mult:
            return lambda x, p: a(x, p) * b(x, p)
        if op is ast.Div:
            return lambda x, p: a(x, p) / b(x, p)
        return lambda x, p: a(x, p) ** b(x, p)
    if isinstance(node, ast.Compare):
        a, b = _compile(node.left), _compile(node.comparators[0])
        cmp = {
            ast.Lt: jnp.less,
            ast.LtE: jnp.less_equal,
            ast.Gt: jnp.greater,
            ast.GtE: jnp.greater_equal,
            ast.Eq: jnp.equal,
            ast.NotEq: jnp.not_equal,
        }[type(node.ops[0])]
        return lambda x, p: jnp.where(cmp(a(x, p), b(x, p)), 1.0, 0.0) + 0.0 * x
    if isinstance(node, ast.Call):
        args = [_compile(a) for a in node.args]
        name = cast(ast.Name, node.func).id  # checked: calls are by name
        if name == "where":
            c, a, b = args
            return lambda x, p: jnp.where(c(x, p) != 0, a(x, p), b(x, p)) + 0.0 * x
        if name in rewrites.INTERNAL:
            fn = rewrites.INTERNAL[name][1]
        else:
            fn = cast(Callable, FUNCTIONS[name].fn)  # every function but where has one
        if name in _SATURATES:
            lo, hi = _SATURATES[name]
            (inner,) = args
            return lambda x, p: fn(_hold(inner(x, p), lo, hi))
        return lambda x, p: fn(*(g(x, p) for g in args))
    raise AssertionError(f"unchecked node {type(node).__name__}")  # pragma: no cover


class ExpressionCache:
    """Bounded LRU of compiled expressions keyed by the normalised tree and param names, so
    a formula sent a thousand times compiles once (the compiled programs hang off the cached
    Activation object)."""

    def __init__(self, size: int):
        self.size = size
        self._entries: OrderedDict[tuple, Activation] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple, build: Callable[[], Activation]) -> Activation:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                return self._entries[key]
        activation = build()
        with self._lock:
            self.misses += 1
            self._entries[key] = activation
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return activation

    def __len__(self):
        return len(self._entries)


# ln|g′(u)| in float64 NumPy for the functions a formula's log form may be built on (see
# :func:`log_form`); catalog functions add their own entry's form at its default params.
_LOG_FORMS: dict[str, Callable] = {
    "sigmoid": ld.sigmoid,
    "tanh": ld.tanh,
    "softplus": ld.shifted_softplus,  # softplus′ = σ: ln σ(u) = −softplus(−u)
    "exp": lambda u: u,
    "expm1": lambda u: u,
    "erf": lambda u: math.log(2.0 / math.sqrt(math.pi)) - u * u,
    "erfc": lambda u: math.log(2.0 / math.sqrt(math.pi)) - u * u,
}
for _a in CATALOG:
    if _a.kind == ELEMENTWISE and _a.log_derivative is not None and _a.name not in _LOG_FORMS:
        _defaults = {p.name: p.default for p in _a.params}
        _LOG_FORMS[_a.name] = lambda u, _f=_a.log_derivative, _d=_defaults: _f(u, **_d)
_LOG_FORMS_2 = {"_swish": ld.silu, "_softplus": lambda u, k: ld.softplus_beta(u, k, None)}


def _value(node, p: dict) -> float:
    """An x-free sub-formula evaluated in float64 (numbers, params, pi, e, + − × ÷ **)."""
    if isinstance(node, ast.Name):
        return CONSTANTS[node.id] if node.id in CONSTANTS else float(p[node.id])
    if isinstance(node, ast.UnaryOp):
        v = _value(node.operand, p)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp):
        a, b = _value(node.left, p), _value(node.right, p)
        with np.errstate(all="ignore"):
            return float(
                {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide, ast.Pow: np.power}[
                    type(node.op)
                ](np.float64(a), np.float64(b))
            )
    folded = rewrites.fold(node)
    if folded is None:
        raise ValueError("not a number")
    return folded


def _evaluable(node) -> bool:
    """Whether :func:`_value` can evaluate node: numbers, params, pi, e, + − × ÷ ** and
    functions of numbers only (sqrt(2), not sqrt(k) or where(…))."""
    if isinstance(node, (ast.Constant, ast.Name)):
        return True
    if isinstance(node, ast.UnaryOp):
        return _evaluable(node.operand)
    if isinstance(node, ast.BinOp):
        return _evaluable(node.left) and _evaluable(node.right)
    return rewrites.fold(node) is not None


def _one_x_factor(node):
    """(c, g, rest) with node = c·g + rest, where g is the one factor holding x and c, rest are
    free of x (nodes); else None."""
    items = rewrites.terms(node)
    with_x = [item for item in items if rewrites.has_x(item[1])]
    if len(with_x) != 1:
        return None
    sign, term = with_x[0]
    s, num, den = rewrites.factors(term)
    inner = [f for f in num if rewrites.has_x(f)]
    if len(inner) != 1 or any(map(rewrites.has_x, den)):
        return None
    c = rewrites.product(sign * s, [f for f in num if f is not inner[0]], den)
    return c, inner[0], rewrites.total([item for item in items if item is not with_x[0]])


def _affine(node):
    """(k, b) nodes with node = k·x + b, k and b free of x; else None."""
    split = _one_x_factor(node)
    if split is None or not (isinstance(split[1], ast.Name) and split[1].id == VARIABLE):
        return None
    return split[0], split[2]


def log_form(body) -> Callable | None:
    """ln|f′(x)| in float64 for a formula c₀·g(k·x + b) + c₁ (c₀, k, b, c₁ free of x) whose g
    has a log form: ln|c₀| + ln|k| + ln|g′(kx + b)|. The chain uses it where f′ underflows, so
    ``sigmoid(x)`` or ``1/(1 + exp(-x))`` at −800 keeps log10|f′| = −347.4 like the entry."""
    split = _one_x_factor(body)
    if split is None:
        return None
    c0, g, _ = split
    name = g.func.id if isinstance(g, ast.Call) and isinstance(g.func, ast.Name) else None
    form: Callable
    extra: tuple = ()
    if isinstance(g, ast.Name) and g.id == VARIABLE:
        form, args, extra = (lambda u: np.zeros_like(u)), _affine(g), ()
    elif name in _LOG_FORMS and len(g.args) == 1:
        form, args, extra = _LOG_FORMS[name], _affine(g.args[0]), ()
    elif name in _LOG_FORMS_2 and not rewrites.has_x(g.args[1]):
        form, args, extra = _LOG_FORMS_2[name], _affine(g.args[0]), (g.args[1],)
    else:
        return None
    if args is None or not all(map(_evaluable, (c0, *args, *extra))):
        return None
    k, b = args

    def ln_abs_derivative(x, **p):
        c, kk, bb = _value(c0, p), _value(k, p), _value(b, p)
        more = [_value(e, p) for e in extra]
        with np.errstate(all="ignore"):
            return np.log(abs(c)) + np.log(abs(kk)) + form(kk * np.asarray(x, np.float64) + bb, *more)

    return ln_abs_derivative


def compile_expression(
    text: str, params: dict, cache: ExpressionCache, limits: Limits = Limits()
) -> tuple[Activation, dict]:
    """Check and compile ``text``; return the Activation and its bound params.

    Every param must be a finite number with a valid name and must appear in the formula.
    """
    if not isinstance(params, dict):
        raise InvalidParams("must be an object mapping parameter names to numbers", "params")
    if len(params) > limits.max_expression_params:
        raise InvalidParams(f"at most max_expression_params={limits.max_expression_params} params", "params")
    reserved = {VARIABLE, *CONSTANTS, *FUNCTIONS}
    bound = {}
    for name, value in params.items():
        if not isinstance(name, str) or not name.isidentifier() or name.startswith("_") or len(name) > 64:
            raise InvalidParams("param names must be identifiers without a leading underscore", str(name)[:64])
        if name in reserved:
            raise InvalidParams(f"'{name}' is reserved (the variable, a constant or a function)", name)
        bound[name] = Param(
            name, 0.0, "user param", minimum=-limits.max_expression_literal, maximum=limits.max_expression_literal
        ).check(value)
    tree = parse(text, limits)
    checker = _Checker(set(bound), limits)
    with positions_in(text):
        checker.check(tree.body)
    unused = sorted(set(bound) - checker.used)
    if unused:
        raise InvalidParams("is not used in the expression", unused[0])
    names = tuple(sorted(bound))
    key = (ast.dump(tree, annotate_fields=False), names)

    def build() -> Activation:
        rewritten = rewrites.rewrite(tree.body)
        body = _compile(rewritten)

        def broadcast(x, p):
            return body(x, p) + 0.0 * x  # constants broadcast to x's shape and dtype

        smooth = _forward(broadcast)
        return Activation(
            name="expression",
            fn=lambda x, **p: smooth(x, p),
            jet=_jet(broadcast),
            log_derivative=log_form(rewritten),
            formula=text,
            summary="A custom activation given as a formula.",
            params=tuple(Param(n, 0.0, "user param") for n in names),
            custom=True,
        )

    return cache.get(key, build), bound


def functions_table() -> list[dict]:
    """The function table for clients (autocompletion)."""
    return [{"name": f.name, "arity": f.arity, "description": f.description} for f in FUNCTIONS.values()]

"""Independent references: every element-wise activation written again as a closed form in
mpmath (40 significant digits), with derivatives by mpmath's high-precision differentiation.

Nothing here imports the service. ``SIDES`` states the documented derivative convention at
each kink as the side whose one-sided derivative the service must return.
"""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path

import mpmath as mp

mp.mp.dps = 40

SELU_A = mp.mpf("1.6732632423543772848170429916717")
SELU_L = mp.mpf("1.0507009873554804934193349852946")


def sig(x):
    return 1 / (1 + mp.exp(-x))


def sp(x):
    return mp.log(1 + mp.exp(x)) if x < 50 else x + mp.log(1 + mp.exp(-x))


def Phi(x):
    return mp.erfc(-x / mp.sqrt(2)) / 2


def leaky(x, a, side):
    return x if (x > 0 or (x == 0 and side > 0)) else a * x


# name -> (value function of (x, **params), kink sides: function of params -> {point: side})
REFERENCES = {
    "identity": (lambda x: x, {}),
    "relu": (
        lambda x, kink="left": max(x, 0) if kink == "left" else leaky(x, 0, 1),
        lambda p: {0.0: -1 if p.get("kink", "left") == "left" else 1},
    ),
    "relu6": (lambda x: min(max(x, 0), 6), {0.0: -1, 6.0: 1}),
    "leaky_relu": (
        lambda x, negative_slope, kink="left": leaky(x, negative_slope, -1 if kink == "left" else 1),
        lambda p: {0.0: -1 if p.get("kink", "left") == "left" else 1},
    ),
    "prelu": (
        lambda x, weight, kink="left": leaky(x, weight, -1 if kink == "left" else 1),
        lambda p: {0.0: -1 if p.get("kink", "left") == "left" else 1},
    ),
    "rrelu": (
        lambda x, lower, upper, kink="left": leaky(x, (mp.mpf(lower) + upper) / 2, -1),
        lambda p: {0.0: -1 if p.get("kink", "left") == "left" else 1},
    ),
    "elu": (lambda x, alpha: x if x > 0 else alpha * mp.expm1(x), {0.0: -1}),
    "selu": (lambda x: SELU_L * (x if x > 0 else SELU_A * mp.expm1(x)), {0.0: -1}),
    "celu": (lambda x, alpha: x if x > 0 else alpha * mp.expm1(x / alpha), {0.0: -1}),
    "gelu": (
        lambda x, approximate="none": (
            x * Phi(x)
            if approximate == "none"
            else x / 2 * (1 + mp.tanh(mp.sqrt(2 / mp.pi) * (x + mp.mpf("0.044715") * x**3)))
        ),
        {},
    ),
    "silu": (lambda x, beta: x * sig(beta * x), {}),
    "quick_gelu": (lambda x: x * sig(mp.mpf("1.702") * x), {}),
    "mish": (lambda x: x * mp.tanh(sp(x)), {}),
    "sigmoid": (sig, {}),
    "hard_sigmoid": (lambda x: min(max(x / 6 + mp.mpf(1) / 2, 0), 1), {-3.0: -1, 3.0: 1}),
    "log_sigmoid": (lambda x: -sp(-x), {}),
    "tanh": (mp.tanh, {}),
    "hard_tanh": (
        lambda x, min_val, max_val, kink="outer": min(max(x, min_val), max_val),
        lambda p: (
            {p["min_val"]: -1, p["max_val"]: 1}
            if p.get("kink", "outer") == "outer"
            else {p["min_val"]: 1, p["max_val"]: -1}
        ),
    ),
    "hard_silu": (
        lambda x, kink="inner": x * min(max(x + 3, 0), 6) / 6,
        lambda p: {-3.0: 1, 3.0: -1} if p.get("kink", "inner") == "inner" else {-3.0: -1, 3.0: 1},
    ),
    "softplus": (
        lambda x, beta, threshold: x if (threshold is not None and beta * x > threshold) else sp(beta * x) / beta,
        lambda p: {} if p["threshold"] is None else {p["threshold"] / p["beta"]: -1},
    ),
    "shifted_softplus": (lambda x: sp(x) - mp.log(2), {}),
    "soft_sign": (lambda x: x / (1 + abs(x)), {0.0: 0}),
    "squareplus": (lambda x, b: (x + mp.sqrt(x * x + b)) / 2, {}),
    "sparse_plus": (lambda x: 0 if x <= -1 else (x if x >= 1 else (x + 1) ** 2 / 4), {-1.0: -1, 1.0: 1}),
    "sparse_sigmoid": (lambda x: 0 if x <= -1 else (1 if x >= 1 else (x + 1) / 2), {-1.0: -1, 1.0: 1}),
    "hardshrink": (
        lambda x, lambd: x if abs(x) > lambd else 0,
        lambda p: {-p["lambd"]: 1, p["lambd"]: -1} if p["lambd"] > 0 else {},
    ),
    "softshrink": (
        lambda x, lambd: x - lambd if x > lambd else (x + lambd if x < -lambd else 0),
        lambda p: {-p["lambd"]: 1, p["lambd"]: -1},
    ),
    "tanhshrink": (lambda x: x - mp.tanh(x), {}),
    "threshold": (lambda x, threshold, value: x if x > threshold else value, lambda p: {p["threshold"]: -1}),
    "squared_relu": (lambda x: max(x, 0) ** 2, {0.0: -1}),
    "binary_step": (lambda x: 1 if x >= 0 else 0, {0.0: 1}),
    "arctan": (mp.atan, {}),
    "gaussian": (lambda x: mp.exp(-x * x), {}),
    "sine": (mp.sin, {}),
    "sinc": (mp.sinc, {}),
    "bent_identity": (lambda x: (mp.sqrt(x * x + 1) - 1) / 2 + x, {}),
    "isru": (lambda x, alpha: x / mp.sqrt(1 + alpha * x * x), {}),
    "isrlu": (lambda x, alpha: x if x >= 0 else x / mp.sqrt(1 + alpha * x * x), {0.0: 1}),
    # e^{−e^{50}} is far below any float: beyond 50 the function is 1 to every precision.
    "cloglog": (lambda x: -mp.expm1(-mp.exp(x)) if x < 50 else mp.mpf(1), {}),
    "elish": (lambda x: x * sig(x) if x >= 0 else mp.expm1(x) * sig(x), {0.0: 1}),
    "snake": (lambda x, a: x + mp.sin(a * x) ** 2 / a, {}),
}

# A second parameter set per entry with params, so non-default values are checked too.
ALT_PARAMS = {
    "relu": {"kink": "right"},
    "leaky_relu": {"negative_slope": 0.2, "kink": "right"},
    "prelu": {"weight": -0.5},
    "rrelu": {"lower": 0.05, "upper": 0.15},
    "elu": {"alpha": 0.5},
    "celu": {"alpha": 2.5},
    "gelu": {"approximate": "tanh"},
    "silu": {"beta": 1.702},
    "hard_tanh": {"min_val": -2.0, "max_val": 0.5, "kink": "inner"},
    "hard_silu": {"kink": "outer"},
    "softplus": {"beta": 2.0, "threshold": 20.0},
    "squareplus": {"b": 0.25},
    "hardshrink": {"lambd": 1.5},
    "softshrink": {"lambd": 0.25},
    "threshold": {"threshold": 1.0, "value": -2.0},
    "isru": {"alpha": 3.0},
    "isrlu": {"alpha": 0.5},
    # a power of two: float32 rounding of a·x at |x| ~ 1e4 would otherwise dominate sin(ax),
    # a property of float32 arguments rather than of the implementation.
    "snake": {"a": 2.0},
}


# Closed-form derivatives where numerical differentiation would need thousands of digits
# (1 − Φ(x) and e^{−e^x} in the tails): name -> (f′, f″) as functions of (x, **params).
# cloglog′ = e^{x − eˣ}, cloglog″ = e^{x − eˣ}(1 − eˣ): below e^{−5e21} for x ≥ 50, 0 in any float
# (and mpmath would spend half a minute reducing e^{1e4} at full precision to say so).
_cloglog_d1 = lambda x: mp.exp(x - mp.exp(x)) if x < 50 else mp.mpf(0)  # noqa: E731
CLOSED_FORM_DERIVATIVES = {
    "cloglog": (_cloglog_d1, lambda x: _cloglog_d1(x) * (1 - mp.exp(x)) if x < 50 else mp.mpf(0)),
}
_phi = lambda x: mp.exp(-x * x / 2) / mp.sqrt(2 * mp.pi)  # noqa: E731
CLOSED_FORM_DERIVATIVES_BY_PARAMS = {
    ("gelu", (("approximate", "none"),)): (lambda x, **_: Phi(x) + x * _phi(x), lambda x, **_: _phi(x) * (2 - x * x)),
}


def kink_sides(name: str, params: dict) -> dict[float, int]:
    sides = REFERENCES[name][1]
    return sides(params) if callable(sides) else sides


@functools.cache
def reference(name: str, params: tuple, x: float) -> tuple[float, float, float]:
    """(f, f′, f″) at x in float64, from 40-digit arithmetic."""
    p = dict(params)
    f = REFERENCES[name][0]
    side = kink_sides(name, p).get(x, 0)
    # Tails such as 1 − σ(x) ≈ e^{−x} need about 0.87·|x| digits to resolve down to the
    # float64 underflow limit; 40 digits are plenty near the origin.
    with mp.workdps(int(40 + min(0.9 * abs(x), 340))):
        mpx = mp.mpf(x)
        g = lambda t: mp.mpf(f(t, **p))  # noqa: E731
        value = g(mpx)
        closed = CLOSED_FORM_DERIVATIVES.get(name) or CLOSED_FORM_DERIVATIVES_BY_PARAMS.get((name, params))
        if closed and side == 0:
            d1, d2 = (mp.mpf(d(mpx, **p)) for d in closed)
        else:
            d1 = mp.diff(g, mpx, 1, direction=side)
            d2 = mp.diff(g, mpx, 2, direction=side)
        return float(value), float(d1), float(d2)


def points(kinks=()) -> list[float]:
    """≥ 1,000 float32-representable points in [−1e4, 1e4]: a dense band around 0, both
    logarithmic tails, 0, ±1e3, ±1e4, and the given kinks."""
    import numpy as np

    tail = np.logspace(-8, 4, 300)
    pts = np.concatenate([np.linspace(-10, 10, 401), tail, -tail, [0.0, 1e3, -1e3, 1e4, -1e4], list(kinks)])
    pts = np.unique(pts.astype(np.float32).astype(np.float64))
    return [float(v) for v in pts if math.isfinite(v)]


# ----- the committed table -------------------------------------------------------------
# The references at every test point, computed once: 40-digit arithmetic out to |x| = 1e4
# takes minutes (cloglog's e^(e^x) alone over a minute). `python tests/reference.py` writes
# it again; tests/test_catalog_numerics.py checks it covers every case and, on a sample of
# points including the extremes, that it still equals what the formulas above give.
TABLE = Path(__file__).with_name("reference_table.npz")


def table_key(name: str, params: tuple) -> str:
    return f"{name}|{json.dumps(params)}"


@functools.cache
def load_table() -> dict:
    """key → array of rows (x, f, f′, f″); empty when the file is missing."""
    import numpy as np

    if not TABLE.exists():
        return {}
    with np.load(TABLE) as data:
        return {k: data[k] for k in data.files}


def table_rows(name: str, params: tuple, xs: list[float]):
    """(f, f′, f″) at ``xs`` from the table when it holds exactly these points, else computed."""
    import numpy as np

    rows = load_table().get(table_key(name, params))
    if rows is not None and rows.shape[0] == len(xs) and np.array_equal(rows[:, 0], np.asarray(xs)):
        return rows[:, 1:]
    return np.array([reference(name, params, x) for x in xs])


def write_table(cases) -> None:
    """``cases``: (name, params tuple, points) for every table entry."""
    import numpy as np

    tables = {
        table_key(name, params): np.array([(x, *reference(name, params, x)) for x in xs]) for name, params, xs in cases
    }
    np.savez_compressed(TABLE, **tables)


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from test_catalog_numerics import reference_cases

    write_table(reference_cases())
    print(f"written {TABLE}")

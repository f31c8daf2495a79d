"""Computed properties (GET /v1/activations/{name}) over the whole catalog.

Three independent checks: the published values (NOTES.md, the issue), the 40-digit mpmath
reference at the reported points, and a brute-force grid four hundred times denser than the
survey the properties are computed from (and offset from it).
"""

import math

import numpy as np
import pytest
from reference import ALT_PARAMS, reference

from service.core import CATALOG, ELEMENTWISE, evaluate
from service.core.properties import properties

NAMES = [a.name for a in CATALOG if a.kind == ELEMENTWISE]
CASES = [pytest.param(n, {}, id=f"{n}-default") for n in NAMES] + [
    pytest.param(n, p, id=f"{n}-alt") for n, p in ALT_PARAMS.items()
]
# Brute force: spacing 2.5e-4 on [−50, 50], shifted off the survey's multiples of 0.01,
# plus log-spaced points out to ±1e9.
_DENSE = np.linspace(-50.0, 50.0, 400_001) + 1.1e-5
_FAR = np.logspace(np.log10(50.5), 9.0, 3000)
BRUTE = np.concatenate([-_FAR[::-1], _DENSE, _FAR])


def brute(activation, params):
    """f, f′ on the brute-force grid with the declared kinks and their neighbouring floats
    added (extremes sit there, and a drop of f right past a kink breaks monotonicity)."""
    k = np.asarray(activation.non_differentiable_points(params), np.float64)
    x = np.unique(np.concatenate([BRUTE, k, np.nextafter(k, -np.inf), np.nextafter(k, np.inf)]))
    r = evaluate(activation, params, x, order=1, dtype="float64", device="cpu")
    return x, r.value, r.derivative


def close(a, b, rtol=1e-9, atol=1e-9):
    return abs(a - b) <= atol + rtol * abs(b)


@pytest.mark.parametrize(
    "name, params, field, expected, at",
    [
        ("sigmoid", {}, "max_abs_derivative", 0.25, 0.0),
        ("tanh", {}, "max_abs_derivative", 1.0, 0.0),
        ("gelu", {}, "minimum", -0.16997121, -0.75179152),
        ("silu", {}, "minimum", -0.27846454, -1.27846454),
        ("mish", {}, "minimum", -0.30884341, -1.19243121),
        ("gelu", {}, "max_abs_derivative", 1.12890415, math.sqrt(2.0)),  # Φ(√2) + √2 φ(√2)
        ("relu6", {}, "maximum", 6.0, 6.0),
        ("hard_silu", {}, "minimum", -0.375, -1.5),
    ],
)
def test_published_values(name, params, field, expected, at):
    activation = CATALOG.get(name)
    p = properties(activation, activation.bind(params)).as_dict()
    if field == "max_abs_derivative":
        value, where = p["max_abs_derivative"], p["argmax_abs_derivative"]
    else:
        value, where = p[field]["value"], p[field]["at"]
    assert value == pytest.approx(expected, abs=5e-9)
    assert where == pytest.approx(at, abs=5e-8)


@pytest.mark.parametrize(
    "name, f0, d0",
    [("sigmoid", 0.5, 0.25), ("tanh", 0.0, 1.0), ("gelu", 0.0, 0.5), ("silu", 0.0, 0.5), ("mish", 0.0, 0.6)],
)
def test_values_at_zero(name, f0, d0):
    p = properties(CATALOG.get(name), CATALOG.get(name).bind({}))
    assert p.value_at_zero == pytest.approx(f0, abs=1e-15)
    assert p.derivative_at_zero == pytest.approx(d0, abs=1e-15)


def test_textbook_shapes():
    get = lambda n, **kw: properties(CATALOG.get(n), CATALOG.get(n).bind(kw))  # noqa: E731
    relu = get("relu")
    assert relu.saturates == (True, False) and relu.range == (0.0, None) and relu.monotonic
    assert get("sigmoid").saturates == (True, True) and get("sigmoid").range == (0.0, 1.0)
    assert get("sigmoid").minimum.at is None  # 0 is only approached
    assert get("tanh").zero_centered and not get("sigmoid").zero_centered and not relu.zero_centered
    assert get("tanh").range == (-1.0, 1.0)
    assert get("elu", alpha=0.5).range == (-0.5, None)
    assert get("softplus").argmax_abs_derivative is None and get("softplus").max_abs_derivative == 1.0
    assert get("squared_relu").max_abs_derivative is None  # f′ = 2x is unbounded
    assert not get("gelu").monotonic and not get("sine").monotonic and get("snake").monotonic
    assert get("sine").limits == (None, None) and get("sine").range == (-1.0, 1.0)
    assert get("leaky_relu", negative_slope=0.2).derivative_at_zero == pytest.approx(0.2)
    assert get("leaky_relu", negative_slope=0.2, kink="right").derivative_at_zero == 1.0
    # One-sided supremum: with the outer convention hard_silu′(3) = 1 but f′ → 1.5 as x → 3⁻.
    assert get("hard_silu", kink="outer").max_abs_derivative == pytest.approx(1.5, abs=1e-9)
    # A derivative convention at one point is not a kink: hardshrink with λ = 0 is x.
    assert get("hardshrink", lambd=0.0).non_differentiable_points == ()
    assert get("threshold", threshold=1.0, value=-2.0).monotonic  # jumps up at 1
    assert not get("threshold", threshold=1.0, value=3.0).monotonic  # jumps down at 1


@pytest.mark.slow
@pytest.mark.parametrize("name, given", CASES)
def test_against_reference_and_brute_force(name, given):
    activation = CATALOG.get(name)
    params = activation.bind(given)
    p = properties(activation, params)
    frozen = tuple(sorted(params.items()))
    x, f, d = brute(activation, params)
    inner = np.abs(x) <= 50

    # f(0), f′(0) against the 40-digit reference.
    ref0 = reference(name, frozen, 0.0)
    assert close(p.value_at_zero, ref0[0], 1e-12, 1e-15)
    assert close(p.derivative_at_zero, ref0[1], 1e-12, 1e-15)

    # Kinks: the ones the catalog declares (the entry's documented convention points).
    assert list(p.non_differentiable_points) == pytest.approx(activation.non_differentiable_points(params), abs=1e-9)

    # Range: no brute-force value escapes it, and it is tight.
    lo, hi = p.range
    if lo is None:
        assert f.min() < -1e6
    else:
        assert f.min() >= lo - 1e-9 * max(1.0, abs(lo))
        assert f.min() <= lo + 1e-6 * max(1.0, abs(lo))
    if hi is None:
        assert f.max() > 1e6
    else:
        assert f.max() <= hi + 1e-9 * max(1.0, abs(hi))
        assert f.max() >= hi - 1e-6 * max(1.0, abs(hi))
    for ext in (p.minimum, p.maximum):
        if ext.value is not None and ext.at is not None and ext.at not in p.non_differentiable_points:
            assert close(float(reference(name, frozen, ext.at)[0]), ext.value, 1e-12, 1e-12)

    # sup |f′|: bounds the brute force and is reached by it (or in the far tail).
    a = np.abs(d)
    if p.max_abs_derivative is None:
        assert a[~inner].max() > 1e3
    else:
        assert a.max() <= p.max_abs_derivative * (1 + 1e-9) + 1e-12
        reached = a.max()
        if p.argmax_abs_derivative is not None:  # a single point (0) or a one-sided limit at a kink
            at = p.argmax_abs_derivative
            near = np.array([at - 1e-9, at, at + 1e-9])
            reached = max(reached, np.abs(evaluate(activation, params, near, dtype="float64").derivative).max())
        assert reached >= p.max_abs_derivative * (1 - 1e-6) - 1e-12
        if p.argmax_abs_derivative is not None and p.argmax_abs_derivative not in p.non_differentiable_points:
            ref = abs(float(reference(name, frozen, p.argmax_abs_derivative)[1]))
            assert close(ref, p.max_abs_derivative, 1e-9, 1e-12)

    # Monotonic: the sign of f′ and of the steps of f on the brute-force grid.
    steps = np.diff(f)
    tol = 1e-12 * np.maximum(1.0, np.abs(f[1:]))
    up = (d >= -1e-12).all() and (steps >= -tol).all()
    down = (d <= 1e-12).all() and (steps <= tol).all()
    assert p.monotonic == (up or down)

    # Saturation: |f′| far out, at ±1e4 (where test_catalog_numerics checks f′ against the
    # reference).
    far = np.abs(evaluate(activation, params, np.array([-1e4, 1e4]), dtype="float64").derivative)
    assert p.saturates == (bool(far[0] < 1e-3), bool(far[1] < 1e-3)), far

    # Zero-centred: f(0) = 0 and a range symmetric about 0.
    symmetric = (lo is None and hi is None) or (lo is not None and hi is not None and close(-lo, hi))
    assert p.zero_centered == (ref0[0] == 0 and symmetric)


@pytest.mark.parametrize("formula", ["log(x)", "exp(x)", "x**3", "sin(1/x)", "sqrt(x)"])
def test_chain_bound_for_formulas_with_nan_or_overflow(client, formula):
    """The chain's bound needs sup |f′| of any formula: NaN regions and overflow are answers
    (null or unbounded), never a 500 or a warning."""
    r = client.post("/v1/chain", json={"activation": {"expression": formula}, "depth": 5, "z": 0.5})
    assert r.status_code == 200, r.get_json()

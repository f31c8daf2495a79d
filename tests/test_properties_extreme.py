"""Properties at the edges issue #17 found: extrema beyond ±60 (on the log-spaced and the far
part of the survey), attained vs approached, kinks a param places at 1e6, and monotonicity
broken by a drop one ulp past a kink. References are closed forms, solved with mpmath (40
digits) where they are transcendental."""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest

from service.core import CATALOG, evaluate
from service.core.expressions import ExpressionCache, compile_expression
from service.core.properties import properties

# A few ulps: the extremes are refined by bisection to adjacent floats.
ULPS = 1e-15


def get(name, **given):
    activation = CATALOG.get(name)
    return properties(activation, activation.bind(given))


def formula(text):
    activation, params = compile_expression(text, {}, ExpressionCache(4))
    return properties(activation, params)


def _silu_references():
    """SiLU x·σ(βx) in u = βx: f′ = σ(u)(1 + u·σ(−u)) is 0 where 1 + u·σ(−u) = 0 (the minimum,
    u = w ≈ −1.2785), and f″ = βσ(u)σ(−u)(2 − u·tanh(u/2)) is 0 where u·tanh(u/2) = 2 (sup f′,
    u = v ≈ 2.3994); both scale as 1/β."""
    with mp.workdps(40):
        sig = lambda t: 1 / (1 + mp.exp(-t))  # noqa: E731
        w = mp.findroot(lambda t: 1 + t * sig(-t), -1.28)
        v = mp.findroot(lambda t: 2 - t * mp.tanh(t / 2), 2.4)
        return w, w * sig(w), v, sig(v) * (1 + v * sig(-v))


@pytest.mark.parametrize("beta", [1.0, 0.3, 0.05, 0.01, 1e-3, 1e-6, 1e-7, 1e-10, 1e-14])
def test_silu_extremes_are_refined_wherever_they_are(beta):
    """min f at w/β and sup f′ at v/β to full float64 precision, whether that is on the fine
    grid, the log-spaced part (−127.8 at β = 0.01) or the far part (−1.28e7 at β = 1e-7,
    −1.28e14 at β = 1e-14), and attained."""
    w, low, v, steep = _silu_references()
    p = get("silu", beta=beta)
    b = mp.mpf(beta)
    assert p.minimum.attained and p.max_abs_derivative_attained
    assert p.minimum.value == pytest.approx(float(low / b), rel=ULPS, abs=0)
    assert p.minimum.at == pytest.approx(float(w / b), rel=ULPS, abs=0)
    assert p.max_abs_derivative == pytest.approx(float(steep), rel=ULPS, abs=0)
    assert p.argmax_abs_derivative == pytest.approx(float(v / b), rel=ULPS, abs=0)


@pytest.mark.parametrize("a", [1.0, 1e-5, 1e-7, 1e-9])
def test_snake_steepest_point_in_the_far_part(a):
    """snake x + sin²(ax)/a: f′ = 1 + sin(2ax) is first 2 at x = π/(4a) (7.9e8 at a = 1e-9)."""
    p = get("snake", a=a)
    assert p.max_abs_derivative_attained
    assert p.max_abs_derivative == pytest.approx(2.0, rel=ULPS, abs=0)
    assert p.argmax_abs_derivative == pytest.approx(math.pi / (4 * a), rel=ULPS, abs=0)


def test_a_plateau_a_kink_starts_is_attained():
    """softplus β = 2, threshold 20: |f′| = 1 exactly on x > 10 (the linear branch)."""
    p = get("softplus", beta=2.0, threshold=20.0)
    assert p.max_abs_derivative == 1.0 and p.max_abs_derivative_attained
    at = p.argmax_abs_derivative
    assert at is not None and at > 10.0
    assert (
        evaluate(CATALOG.get("softplus"), {"beta": 2.0, "threshold": 20.0}, np.array([at]), dtype="float64").derivative[
            0
        ]
        == 1.0
    )
    # without a threshold the same supremum is only approached as x → ∞
    q = get("softplus", beta=2.0)
    assert q.max_abs_derivative == 1.0 and q.argmax_abs_derivative is None and not q.max_abs_derivative_attained


def test_an_infimum_approached_beside_a_kink_is_not_attained():
    """threshold t = 1, v = 2: f = 2 on x ≤ 1 and x above, so inf f = 1 is approached as x → 1⁺
    and never reached (f(1) = 2); the unbounded sup is not attained either."""
    p = get("threshold", threshold=1.0, value=2.0)
    assert p.minimum.value == 1.0 and p.minimum.at == 1.0 and not p.minimum.attained
    assert p.maximum.value is None and not p.maximum.attained
    assert not p.monotonic
    # a minimum that is reached is attained: v = 0.5 < 1 is f on the whole left side
    q = get("threshold", threshold=1.0, value=0.5)
    assert q.minimum.value == 0.5 and q.minimum.attained


def test_sigmoid_limits_are_approached_and_its_steepest_point_attained():
    p = get("sigmoid")
    assert (p.minimum.value, p.minimum.at, p.minimum.attained) == (0.0, None, False)
    assert (p.maximum.value, p.maximum.at, p.maximum.attained) == (1.0, None, False)
    assert p.max_abs_derivative == 0.25 and p.argmax_abs_derivative == 0.0 and p.max_abs_derivative_attained


@pytest.mark.parametrize("lambd", [1e6, 5e5, 999999.5])
def test_kinks_a_param_places_far_out_are_found(lambd):
    p = get("hardshrink", lambd=lambd)
    assert p.non_differentiable_points == (-lambd, lambd)
    q = get("softshrink", lambd=lambd)
    assert q.non_differentiable_points == (-lambd, lambd)


@pytest.mark.parametrize("beta,threshold", [(1.0, 20.0), (2.0, 20.0), (1.0, 5.0)])
def test_softplus_with_a_threshold_is_not_monotonic(beta, threshold):
    """At βx = t the smooth branch is used: f(t/β) = log(1 + eᵗ)/β > t/β, and one float later
    f = x is smaller, so f drops (by mpmath: log(1 + e²⁰) − 20 = 2.06e-9 > 1 ulp of 20)."""
    k = threshold / beta
    with mp.workdps(40):
        drop = mp.log(1 + mp.exp(threshold)) / beta - mp.mpf(np.nextafter(k, np.inf))
    assert drop > 0
    p = get("softplus", beta=beta, threshold=threshold)
    assert not p.monotonic and p.monotonic_direction is None
    assert get("softplus", beta=beta).monotonic  # without the threshold it is increasing


@pytest.mark.parametrize(
    "name, params",
    [
        ("hardshrink", {"lambd": 1e6}),
        ("softshrink", {"lambd": 1e6}),
        ("threshold", {"threshold": 1e6, "value": -1e6}),
    ],
)
def test_a_plateau_past_1e6_is_attained(name, params):
    """|f′| = 1 on all of x > 1e6: sup |f′| = 1 is attained there (not only as x → ∞)."""
    p = get(name, **params)
    assert p.max_abs_derivative == 1.0 and p.max_abs_derivative_attained
    at = p.argmax_abs_derivative
    assert at is not None and at > 1e6
    activation = CATALOG.get(name)
    assert evaluate(activation, activation.bind(params), np.array([at]), dtype="float64").derivative[0] == 1.0


def test_a_minimum_on_a_flat_stretch_is_attained():
    """squared_relu = max(0, x)² is 0 on x ≤ 0, and x² is 0 at 0: attained, though f′ grows to
    2e6 at 1e6 (the slope that makes a flat stretch real is judged on [−60, 60])."""
    p = get("squared_relu")
    assert (p.minimum.value, p.minimum.at, p.minimum.attained) == (0.0, 0.0, True)
    q = formula("x*x")
    assert (q.minimum.value, q.minimum.at, q.minimum.attained) == (0.0, 0.0, True)


@pytest.mark.parametrize("v", [-1e6, -1.0, 0.0, 1.0, 1e6])
@pytest.mark.parametrize("t", [-1e6, -1.0, 0.0, 1.0, 1e6])
def test_threshold_infimum_is_exact(t, v):
    """f = v on x ≤ t, x above: inf f = min(v, t), attained iff v ≤ t (else only as x → t⁺,
    at the kink t); read exactly, not 1e-12 beside the kink (t = 0, v = 1 gave 1e-12, t = −1e6,
    v = 1e6 gave −999999.999999). Monotonic iff v ≤ t; sup f unbounded."""
    p = get("threshold", threshold=t, value=v)
    assert (p.minimum.value, p.minimum.at, p.minimum.attained) == (min(v, t), t, v <= t)
    assert p.maximum.value is None and p.monotonic == (v <= t)


def test_a_kink_at_the_edge_of_the_search_is_found():
    """The generic search (a formula declares no kinks) covers ±1e6 itself: the grid interval
    from 1e6 to the first far point is searched."""
    p = formula("where(abs(x) > 1000000, x, 0)")
    assert p.non_differentiable_points == (-1e6, 1e6)
    assert p.max_abs_derivative == 1.0 and p.max_abs_derivative_attained


def test_a_fall_that_settles_far_out_is_bounded():
    """softplus with β = 1e-10 falls from ln 2/β = 6.9e9 at 0 to below 1e-30 by x = −1e12: inf f = 0 is
    approached (as the left limit says), not unbounded."""
    p = get("softplus", beta=1e-10)
    assert (p.minimum.value, p.minimum.at, p.minimum.attained) == (0.0, None, False)
    assert p.limits[0] == 0.0

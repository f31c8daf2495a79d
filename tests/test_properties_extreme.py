"""Properties at the edges issue #17 found: extrema beyond ±60, attained vs approached, kinks a
param places at 1e6, and monotonicity broken by a drop one ulp past a kink. References are
closed forms solved with mpmath (40 digits)."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

from service.core import CATALOG, evaluate
from service.core.properties import properties


def get(name, **given):
    activation = CATALOG.get(name)
    return properties(activation, activation.bind(given))


@pytest.mark.parametrize("beta", [0.01, 0.05, 0.3])
def test_silu_minimum_beyond_the_fine_grid_is_refined(beta):
    """x·σ(βx) is least where 1 + βx·σ(−βx) = 0: βx = w ≈ −1.2785 whatever β, so x* = w/β
    (−127.8 at β = 0.01, on the log-spaced part of the grid)."""
    with mp.workdps(40):
        w = mp.findroot(lambda t: 1 + t * (1 - 1 / (1 + mp.exp(-t))), -1.28)
        at, value = w / beta, (w / beta) / (1 + mp.exp(-w))
    p = get("silu", beta=beta)
    assert p.minimum.attained
    assert p.minimum.value == pytest.approx(float(value), rel=1e-14, abs=0)
    assert p.minimum.at == pytest.approx(float(at), rel=1e-9, abs=0)


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

"""The chain's log magnitude against mpmath for every element-wise catalog entry: log10|f′(z)|
at pre-activations out to ±1e4, where f′ itself underflows float64 for the exponential tails
(σ′(−800), tanh′(400), GELU′(−40), …). It must be finite there — null only where f′ is exactly
0 (relu on the left, hard_tanh outside its band), flagged zero_derivative then and only then.

The reference differentiates tests/reference.py's independent mpmath definitions with enough
digits to resolve the tail (≈ 0.9·|z| + 40), never the service's log forms."""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest
from reference import ALT_PARAMS, CLOSED_FORM_DERIVATIVES_BY_PARAMS, REFERENCES, kink_sides

from service.core import CATALOG, ELEMENTWISE
from service.core.chain import product

pytestmark = pytest.mark.slow  # thousands of digits at |z| = 1e4

POINTS = [s * v for v in (0.75, 3.0, 40.0, 100.0, 400.0, 800.0, 1e3, 1e4) for s in (-1.0, 1.0)]


def reference_log10(name: str, params: dict, x: float) -> float | None:
    """log10|f′(x)| from 40 + 0.9|x| digits; None where f′ is exactly 0."""
    if name == "cloglog":  # f′ = e^{x − eˣ}: its log is x − eˣ (beyond float range past x ≈ 709)
        return float((mp.mpf(x) - mp.exp(x)) / mp.log(10))
    if name == "gelu" and params.get("approximate") == "tanh":
        return float(mp.log10(abs(_gelu_tanh_prime(mp.mpf(x)))))
    f = REFERENCES[name][0]
    with mp.workdps(int(40 + min(0.9 * abs(x), 9000))):
        closed = CLOSED_FORM_DERIVATIVES_BY_PARAMS.get((name, tuple(sorted(params.items()))))
        if closed:
            d1 = closed[0](mp.mpf(x))
        else:
            d1 = mp.diff(lambda t: mp.mpf(f(t, **params)), mp.mpf(x), 1)
        if d1 == 0 or abs(d1) < mp.mpf(10) ** (-mp.mp.dps + 5) * max(1, abs(mp.mpf(f(mp.mpf(x), **params)))):
            # 0, or numerical noise of a constant piece (the difference quotient of a flat function)
            return None if d1 == 0 or _flat(f, params, x) else float(mp.log10(abs(d1)))
        return float(mp.log10(abs(d1)))


def _gelu_tanh_prime(x):
    """GELU (tanh) is x·σ(2u), u = √(2/π)(x + 0.044715x³), as 1 + tanh u = 2σ(2u): so
    f′ = σ(2u) + 2x·u′·σ(2u)σ(−2u), with no cancellation; its tail e^{2u} at x = −40 already
    needs ~2,000 digits to difference numerically, at −1e4 ~1e10."""
    c = mp.sqrt(2 / mp.pi)
    u, du = c * (x + mp.mpf("0.044715") * x**3), c * (1 + 3 * mp.mpf("0.044715") * x**2)
    s = lambda t: 1 / (1 + mp.exp(-t))  # noqa: E731
    return s(2 * u) + 2 * x * du * s(2 * u) * s(-2 * u)


def test_the_gelu_tanh_closed_form_is_the_derivative_of_the_definition():
    f = REFERENCES["gelu"][0]
    for x in (-5.0, -1.0, 0.3, 2.0):
        numeric = mp.diff(lambda t: f(t, approximate="tanh"), mp.mpf(x), 1)
        assert abs(numeric - _gelu_tanh_prime(mp.mpf(x))) < mp.mpf(10) ** -30


def _flat(f, params, x) -> bool:
    h = mp.mpf(x) * mp.mpf(10) ** -20 if x else mp.mpf(10) ** -20
    return f(mp.mpf(x) - h, **params) == f(mp.mpf(x) + h, **params)


def cases():
    for a in CATALOG:
        if a.kind != ELEMENTWISE or a.name not in REFERENCES:
            continue
        for given in ({}, ALT_PARAMS.get(a.name)):
            if given is None:
                continue
            yield pytest.param(a.name, given, id=f"{a.name}-{'alt' if given else 'default'}")


@pytest.mark.parametrize("name,given", list(cases()))
def test_log_magnitude_of_each_layer_matches_mpmath(name, given):
    activation = CATALOG.get(name)
    params = activation.bind(given)
    kinks = set(kink_sides(name, params))
    xs = [x for x in POINTS if x not in kinks]
    total = 0.0
    for x in xs:
        one = product(activation, params, np.array([x]), dtype="float64", with_bound=False)
        got, zero = float(one.log10_abs_gradient[0]), bool(one.zero_derivative[0])
        want = reference_log10(name, dict(params), x)
        if want is None:
            assert got == -math.inf and zero, (name, params, x, got)
            total = -math.inf
        elif want == -math.inf:  # cloglog past x ≈ 709: even the logarithm is beyond float64
            assert got == -math.inf, (name, params, x, got)
            total = -math.inf
        else:
            assert not zero and got == pytest.approx(want, rel=1e-9, abs=1e-9), (name, params, x, got, want)
            total += want
    # All the points as the layers of one chain: the sum, and the flag for any exact zero.
    chain = product(activation, params, np.array(xs), dtype="float64", with_bound=False)
    if math.isfinite(total):
        assert float(chain.log10_abs_gradient[0]) == pytest.approx(total, rel=1e-9)
    else:
        assert float(chain.log10_abs_gradient[0]) == -math.inf

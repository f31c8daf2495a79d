"""Extreme params and inputs near the float max: no intermediate overflows (issue #17).

squareplus with b = 1e6 at x ≈ −max gives b/(4|x|) (was 0), at x ≈ max gives ≈ x (was null);
isru/isrlu with α = 1e6 beyond max/√α give ±1/√α (was 0); softplus with β = 100 beyond max/β
gives ≈ x (was null). References: mpmath at 800 digits, f′ from the closed forms."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
from reference import REFERENCES

from service.core import CATALOG, evaluate

mp.mp.dps = 60

PRIME = {
    "squareplus": lambda x, b: (1 + x / mp.sqrt(x * x + b)) / 2,
    "isru": lambda x, alpha: (1 + alpha * x * x) ** mp.mpf(-1.5),
    "isrlu": lambda x, alpha: 1 if x >= 0 else (1 + alpha * x * x) ** mp.mpf(-1.5),
    "softplus": lambda x, beta, threshold: 1 / (1 + mp.exp(-beta * x)),
}
MAX = {"float64": float(np.finfo(np.float64).max), "float32": float(np.finfo(np.float32).max)}
TINY = {"float64": float(np.finfo(np.float64).tiny), "float32": float(np.finfo(np.float32).tiny)}
RTOL = {"float64": 1e-13, "float32": 1e-6}

CASES = [
    ("squareplus", {"b": 1e6}),
    ("squareplus", {"b": 4.0}),
    ("isru", {"alpha": 1e6}),
    ("isrlu", {"alpha": 1e6}),
    ("softplus", {"beta": 100.0, "threshold": None}),
    ("softplus", {"beta": 1.0, "threshold": None}),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name,given", CASES, ids=lambda v: str(v))
def test_values_and_derivatives_near_the_float_max(name, given, dtype):
    activation = CATALOG.get(name)
    params = activation.bind(given)
    top = MAX[dtype]
    xs = [s * v for v in (top, top / 2, top / 1e3, 1e30, 1e10, 3.0, 0.5, 1e-3) for s in (-1.0, 1.0)]
    xs = [float(np.asarray(x, dtype)) for x in xs]
    r = evaluate(activation, params, np.array(xs), order=1, dtype=dtype)
    f = REFERENCES[name][0]
    ref_params = {k: v for k, v in params.items() if k != "kink"}
    for x, got, slope in zip(xs, r.value.tolist(), r.derivative.tolist()):
        with mp.workdps(800):  # (x + √(x² + b))/2 at x = −1e308 cancels 600 digits away
            want = f(mp.mpf(x), **ref_params)
            want_slope = PRIME[name](mp.mpf(x), **ref_params)
        assert abs(got - float(want)) <= RTOL[dtype] * abs(float(want)) + TINY[dtype], (
            name,
            params,
            dtype,
            x,
            got,
            want,
        )
        assert abs(slope - float(want_slope)) <= RTOL[dtype] * abs(float(want_slope)) + TINY[dtype], (
            name,
            params,
            dtype,
            x,
            slope,
            want_slope,
        )


def test_the_cases_the_review_found():
    sq = CATALOG.get("squareplus")
    r = evaluate(sq, sq.bind({"b": 1e6}), np.array([-1e308, 1e308]), order=0, dtype="float64")
    assert r.value[0] == pytest.approx(2.5e-303, rel=1e-12, abs=0) and r.value[1] == pytest.approx(1e308, rel=1e-15)
    isru = CATALOG.get("isru")
    r = evaluate(isru, isru.bind({"alpha": 1e6}), np.array([-1e306, 1e306]), order=0, dtype="float64")
    assert r.value.tolist() == pytest.approx([-0.001, 0.001], rel=1e-15)
    sp = CATALOG.get("softplus")
    r = evaluate(sp, sp.bind({"beta": 100.0}), np.array([1e307]), order=1, dtype="float64")
    assert r.value[0] == 1e307 and r.derivative[0] == 1.0


def test_the_float32_max_the_service_prints_is_taken_back(client):
    """The service prints float32's max as 3.4028235e38, a float64 a hair above that max: it
    rounds to the max in float32, so it is accepted; what rounds to ∞ is refused, naming x."""
    r = client.post("/v1/evaluate", json={"activation": "relu", "x": [3.4028235e38], "dtype": "float32"})
    assert r.status_code == 200 and r.get_json()["value"] == [3.4028235e38]
    again = client.post("/v1/evaluate", json={"activation": "relu", "x": r.get_json()["value"], "dtype": "float32"})
    assert again.status_code == 200
    r = client.post("/v1/evaluate", json={"activation": "relu", "x": [3.4028235677973366e38], "dtype": "float32"})
    assert r.status_code == 422 and "x" in r.get_json()["errors"]
    assert "rounds to ±∞" in r.get_json()["detail"] and "3.40282347e+38" in r.get_json()["detail"]


def test_a_vector_of_max_vector_length_gets_its_jacobian(client):
    limits = client.get("/v1/limits").get_json()
    n = limits["max_vector_length"]
    assert limits["max_jacobian_entries"] >= n * n
    r = client.post("/v1/evaluate", json={"activation": "softmax", "x": [0.01 * i for i in range(n)], "order": 1})
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    jac = r.get_json()["jacobian"]
    assert len(jac) == n and len(jac[0]) == n


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_the_range_check_agrees_with_rounding_at_the_edge(sign):
    """check_range's two-reduction shortcut and the cast it stands for agree on both sides of
    the edge: the largest float64 that rounds to a finite float32, the next one up, and NaN."""
    from service.core.errors import InvalidInput
    from service.core.evaluate import check_range

    edge = 2.0**128 - 2.0**103  # halfway between float32's max and 2**128: rounds to ∞
    below = np.nextafter(edge, 0.0)
    with np.errstate(over="ignore"):
        assert np.isfinite(np.float32(below)) and not np.isfinite(np.float64(edge).astype(np.float32))
    check_range(np.array([0.0, sign * below]), "float32", "x")
    check_range(np.array([np.nan, sign * below]), "float32", "x")  # NaN is another check's
    check_range(np.array([sign * 1e308, np.nan]), "float64", "x")
    for bad in ([sign * edge], [np.nan, sign * edge], [1.0, sign * np.inf]):
        with pytest.raises(InvalidInput, match="outside the float32 range"):
            check_range(np.array(bad), "float32", "x")
    with pytest.raises(InvalidInput, match="outside the float64 range"):
        check_range(np.array([np.nan, sign * np.inf]), "float64", "x")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_tanh_derivative_is_within_a_few_ulps_everywhere_it_is_normal(dtype):
    """tanh′ = sech²x against 40 digits from 0 to where it leaves the normals (float32 43.8
    is still normal though e^{−2|x|} is not): at most 6 ulps, never 0 where the truth is normal."""
    import mpmath

    mpmath.mp.dps = 40
    t = CATALOG.get("tanh")
    np_dtype = np.dtype(dtype)
    x = np.concatenate([np.linspace(-60, 60, 2401), [1e-30, 43.8, 87.0, 300.0, 354.0]])
    r = evaluate(t, {}, x, order=1, dtype=dtype)
    truth = np.array([float(mpmath.sech(mpmath.mpf(float(v))) ** 2) for v in r.x])
    normal = truth >= np.finfo(np_dtype).tiny
    ulps = np.abs(r.derivative[normal] - truth[normal]) / np.spacing(truth[normal].astype(np_dtype)).astype(float)
    assert ulps.max() <= 6 and np.all(r.derivative[normal] > 0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("beta", [1.0, 2.5])
def test_silu_and_its_derivatives_are_accurate_everywhere_they_are_normal(dtype, beta):
    """f, f′ and f″ of x·σ(βx) against 40 digits, from the far left tail (float32 −88, where
    e^{βx} alone is subnormal; float64 −709) across the roots of f′ and f″ to the right tail
    (f″ normal up to 87 / 708): the error within a few ε of the sum of the absolute terms
    (which is the function's own conditioning at a root), plus |βx|·ε for rounding βx itself."""
    import mpmath

    mpmath.mp.dps = 40
    silu = CATALOG.get("silu")
    x = np.concatenate(
        [np.linspace(-100, 100, 801), -np.logspace(-6, 2.9, 120), np.logspace(-6, 2.9, 120)]
        + [[-1.2784645427610738 / beta, -88.0, -87.5, -700.0, -709.0, 87.0, 700.0, 708.0]]
    )
    r = evaluate(silu, silu.bind({"beta": beta}), x, order=2, dtype=dtype)
    eps, tiny = np.finfo(dtype).eps, np.finfo(dtype).tiny
    for i, xi in enumerate(r.x):
        t = mpmath.mpf(float(xi))
        u = beta * t
        s, c = 1 / (1 + mpmath.exp(-u)), 1 / (1 + mpmath.exp(u))
        truths = (t * s, s + u * s * c, beta * s * c * (2 + u * (c - s)))
        scales = (abs(t * s), s + abs(u) * s * c, beta * s * c * (2 + abs(u) * abs(c - s)))
        got = (r.value[i], r.derivative[i], r.second_derivative[i])
        for order, (g, truth, scale) in enumerate(zip(got, truths, scales)):
            if abs(truth) < tiny:
                assert abs(g) < 2 * tiny, (dtype, beta, float(xi), order, g)
            else:
                bound = (4 + abs(float(u))) * eps * float(scale)
                assert abs(float(g) - float(truth)) <= bound, (dtype, beta, float(xi), order, g, float(truth))

"""softmax, log_softmax and softmin against a 50-digit mpmath reference: values, Jacobians and
Hessians on vectors whose entries spread 0 … 1e3 (one logit dominating by 20–1,000 is where
s(1 − s) used to round to 0), float32 and float64.

The reference never forms 1 − s: with a the dominant entry, 1 − s_a = Σ_{j≠a} s_j, so it keeps
every digit however small. Each entry is compared relative to the size of the terms it is made
of (a Hessian entry s_i(c_ij c_ik − s_j c_jk) may cancel to ~0 where its terms do not), and
below the dtype's smallest normal number absolutely."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from service.core import CATALOG, evaluate

mpmath.mp.dps = 50
TINY = {"float64": np.finfo(np.float64).tiny, "float32": float(np.finfo(np.float32).tiny)}
RTOL = {"float64": 5e-13, "float32": 5e-5}


def reference(x: np.ndarray, negate: bool = False):
    """(s, c) in mpmath: s the softmax of x (of −x for softmin), c_ij = δ_ij − s_j with the
    diagonal 1 − s_j taken as the sum of the other entries."""
    v = [-mpmath.mpf(float(t)) if negate else mpmath.mpf(float(t)) for t in x]
    top = max(v)
    e = [mpmath.exp(t - top) for t in v]
    z = mpmath.fsum(e)
    s = [t / z for t in e]
    a = max(range(len(v)), key=lambda i: v[i])
    rest = mpmath.fsum(s[j] for j in range(len(s)) if j != a)
    total = mpmath.fsum(s)
    others = [rest if j == a else total - s[j] for j in range(len(s))]
    c = [[others[j] if i == j else -s[j] for j in range(len(s))] for i in range(len(s))]
    return v, s, c, a


def close(got: float, ref, scale, dtype: str) -> bool:
    ref, scale = float(ref), float(scale)
    return abs(got - ref) <= RTOL[dtype] * abs(scale) + TINY[dtype]


def vectors(n: int, spread: float, rng) -> list[np.ndarray]:
    out = [spread * rng.uniform(-1, 1, n)]
    if n > 1:
        lead = np.zeros(n)
        lead[rng.integers(n)] = spread  # one logit ahead by the whole spread
        out.append(lead)
        tie = np.full(n, -spread)
        tie[:2] = spread  # two equal leaders
        out.append(tie)
    return out


SPREADS = (0.0, 1.0, 10.0, 17.0, 20.0, 40.0, 100.0, 1e3)


def check(name: str, x: np.ndarray, dtype: str, order: int) -> None:
    x = x.astype(dtype).astype(np.float64)
    r = evaluate(CATALOG.get(name), {}, x, order=order, dtype=dtype)
    v, s, c, a = reference(x, negate=name == "softmin")
    n = len(x)
    sign = -1 if name == "softmin" else 1
    for i in range(n):
        if name == "log_softmax":
            rest = mpmath.fsum(mpmath.exp(v[j] - v[a]) for j in range(n) if j != a)
            ref = (v[i] - v[a]) - mpmath.log1p(rest)
        else:
            ref = s[i]
        assert close(float(r.value[i]), ref, ref, dtype), (name, dtype, list(x), i, r.value[i], ref)
        for j in range(n):
            # ∂f_i/∂x_j: softmax s_i c_ij, log_softmax c_ij, softmin −s_i c_ij.
            ref = c[i][j] if name == "log_softmax" else sign * s[i] * c[i][j]
            got = float(r.derivative[i][j])
            assert close(got, ref, ref, dtype), (name, dtype, list(x), (i, j), got, ref)
            if order < 2:
                continue
            for k in range(n):
                # softmax: ∂²s_i/∂x_j∂x_k = s_i (c_ij c_ik − s_j c_jk); log_softmax: −s_j c_jk;
                # softmin: the softmax's of −x (two sign flips: the same).
                if name == "log_softmax":
                    ref, scale = -s[j] * c[j][k], s[j] * c[j][k]
                else:
                    terms = (c[i][j] * c[i][k], s[j] * c[j][k])
                    ref, scale = s[i] * (terms[0] - terms[1]), s[i] * (abs(terms[0]) + abs(terms[1]))
                got = float(r.second_derivative[i][j][k])
                assert close(got, ref, scale, dtype), (name, dtype, list(x), (i, j, k), got, ref)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
def test_values_jacobians_and_hessians_against_mpmath(name, dtype):
    rng = np.random.default_rng(17)
    for n in (1, 2, 3, 5):
        for spread in SPREADS:
            for x in vectors(n, spread, rng):
                check(name, x, dtype, order=2)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
def test_jacobians_of_longer_vectors_against_mpmath(name, dtype):
    rng = np.random.default_rng(23)
    for n in (16, 64):
        for spread in (0.0, 20.0, 40.0, 1e3):
            for x in vectors(n, spread, rng)[:2]:
                check(name, x, dtype, order=1)


def test_the_cases_the_review_found():
    """softmax [40, 0] float64: J₀₀ = 4.248e-18 (was 0); log_softmax [40, 0]: value₀ = −4.248e-18
    (was 0); float32 [17, 0, 0, 0]: J₀₀ = 1.24e-7 (was 0)."""
    r = evaluate(CATALOG.get("softmax"), {}, np.array([40.0, 0.0]), order=1, dtype="float64")
    assert r.derivative[0][0] == pytest.approx(4.248354255291589e-18, rel=1e-14, abs=0)
    r = evaluate(CATALOG.get("log_softmax"), {}, np.array([40.0, 0.0]), order=0, dtype="float64")
    assert r.value[0] == pytest.approx(-4.248354255291589e-18, rel=1e-14, abs=0)
    r = evaluate(CATALOG.get("softmax"), {}, np.array([17.0, 0, 0, 0]), order=1, dtype="float32")
    assert r.derivative[0][0] == pytest.approx(
        3 * float(mpmath.exp(-17)) / (1 + 3 * float(mpmath.exp(-17))), rel=1e-5, abs=0
    )

"""The vector activations against a 50-digit mpmath reference, as the element-wise ones are:
values, Jacobians and Hessians of softmax, log_softmax, softmin and glu, float32 and float64,
on vectors whose entries spread 0 … 1e3 (one logit dominating by 20–1,000 is where s(1 − s)
used to round to 0; a gate b far below 0 where glu's σ(b) is subnormal), of lengths 1 … 1,024
(max_vector_length, with its whole Jacobian) and, for Hessians, up to the longest length
max_hessian_entries allows (n = 100; glu n = 124); one entry more is refused (422).

The reference never forms 1 − s: with a the dominant entry, 1 − s_a = Σ_{j≠a} s_j, so it keeps
every digit however small. Each entry is compared relative to the size of the terms it is made
of (a Hessian entry s_i(c_ij c_ik − s_j c_jk) may cancel to ~0 where its terms do not), and
below the dtype's smallest normal number absolutely (a few times it for Hessians, whose terms
the CPU flushes to 0 one by one: HESSIAN_FLOOR). Small vectors are checked entry by entry in
mpmath; long ones with the vectorised reference described above softmax_reference."""

from __future__ import annotations

from dataclasses import replace

import mpmath
import numpy as np
import pytest

from service.core import CATALOG, LimitExceeded, Limits, evaluate
from service.core.evaluate import MIN_BUCKET

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


def value_of(name, v, s, a, i):
    """f_i: s_i, or for log_softmax (v_i − v_a) − log1p(Σ_{j≠a} e^{v_j − v_a}) (a the largest)."""
    if name != "log_softmax":
        return s[i]
    rest = mpmath.fsum(mpmath.exp(v[j] - v[a]) for j in range(len(v)) if j != a)
    return (v[i] - v[a]) - mpmath.log1p(rest)


def jacobian_of(name, s, c, i, j):
    """∂f_i/∂x_j: softmax s_i c_ij, log_softmax c_ij, softmin −s_i c_ij."""
    return c[i][j] if name == "log_softmax" else (-1 if name == "softmin" else 1) * s[i] * c[i][j]


def hessian_of(name, s, c, i, j, k):
    """(∂²f_i/∂x_j∂x_k, the size of its terms): softmax s_i (c_ij c_ik − s_j c_jk), log_softmax
    −s_j c_jk; softmin the softmax's of −x (two sign flips: the same)."""
    if name == "log_softmax":
        return -s[j] * c[j][k], s[j] * c[j][k]
    terms = (c[i][j] * c[i][k], s[j] * c[j][k])
    return s[i] * (terms[0] - terms[1]), s[i] * (abs(terms[0]) + abs(terms[1]))


def check(name: str, x: np.ndarray, dtype: str, order: int) -> None:
    x = x.astype(dtype).astype(np.float64)
    r = evaluate(CATALOG.get(name), {}, x, order=order, dtype=dtype)
    v, s, c, a = reference(x, negate=name == "softmin")
    n = len(x)
    for i in range(n):
        ref = value_of(name, v, s, a, i)
        assert close(float(r.value[i]), ref, ref, dtype), (name, dtype, list(x), i, r.value[i], ref)
        for j in range(n):
            ref = jacobian_of(name, s, c, i, j)
            got = float(r.derivative[i][j])
            assert close(got, ref, ref, dtype), (name, dtype, list(x), (i, j), got, ref)
            if order < 2:
                continue
            for k in range(n):
                ref, scale = hessian_of(name, s, c, i, j, k)
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


# ----- lengths 1 … 1,024 and the Hessian cap: vectorised references ---------------------------
#
# Entry by entry in mpmath, a 1,024-long softmax Jacobian is 1,048,576 products of 50-digit
# numbers, and a Hessian at the cap 10⁶ more per vector: too slow for the suite. The references
# below therefore compute in mpmath (50 digits) only what needs the digits, O(n) numbers per
# vector: s, the diagonal 1 − s_j = Σ_{k≠j} s_k (never formed as a difference near 1) and the
# log-softmax values. Each is rounded once to float64 (to nearest; an entry in the subnormal
# range is off by less than one subnormal step), and the O(n²)/O(n³) products J_ij = s_i c_ij
# and H_ijk = s_i (c_ij c_ik − s_j c_jk) are formed in NumPy float64. Every factor is at most 1
# in magnitude, so such a product is within ~3 float64 roundings (≤ 4e-16) of the exact
# product, and a Hessian entry within ~8 (≤ 1e-15; checked to 2e-15) of the size s_i(|c_ij c_ik| + |s_j c_jk|) it
# is compared relative to; an intermediate that underflows adds at most a few subnormal steps
# (≤ 1e-323). The tolerances are RTOL = 5e-13 (float64) and 5e-5 (float32) relative to that
# size plus the dtype's smallest normal number: over 500 times the reference's own error.
# test_the_vectorised_reference_is_the_mpmath_one checks the claim against the entry-by-entry
# mpmath reference above.
#
# A batch of up to 16 vectors runs the very program one vector does: evaluate pads every batch
# to at least MIN_BUCKET = 16 rows and maps the same function over them row by row. The long
# cases therefore hand 16 vectors to each call, under caps raised for that (BATCH_LIMITS) only;
# one vector at each cap also goes through the default Limits(), and the first length over
# each cap is refused.

DEFAULT = Limits()
BATCH_LIMITS = replace(
    DEFAULT,
    max_jacobian_entries=MIN_BUCKET * DEFAULT.max_jacobian_entries,
    max_hessian_entries=MIN_BUCKET * DEFAULT.max_hessian_entries,
    max_response_numbers=MIN_BUCKET * (DEFAULT.max_jacobian_entries + DEFAULT.max_hessian_entries),
)


def heavy(n: int):
    """A length whose sweep takes seconds (a 1,024² Jacobian or a Hessian at the cap, 16
    vectors a call): in `make test`, not `make test-fast`, which keeps
    test_one_vector_at_each_cap_under_the_default_limits."""
    return pytest.param(n, marks=pytest.mark.slow, id=str(n))


LENGTHS = (1, 2, 3, 7, 64, 257, heavy(1024))  # 7 → padded to 8, 257 → 320 (mask), 1,024 the cap
GLU_LENGTHS = (2, 4, 14, 128, 514, heavy(1024))  # halves of 1, 2, 7, 64, 257, 512
# Larger spans too for the long shapes: their uniform shape spreads over ±spread.
LONG_SPREADS = (0.0, 1.0, 17.0, 20.0, 40.0, 100.0, 1e3)


# The longest vectors whose Hessians the cap allows: n³ ≤ 10⁶ (n = 100); glu's (n/2)·n² (124).
HESSIAN_CAP = max(n for n in range(1, DEFAULT.max_vector_length + 1) if n**3 <= DEFAULT.max_hessian_entries)
GLU_HESSIAN_CAP = max(
    n for n in range(2, DEFAULT.max_vector_length + 1, 2) if n // 2 * n * n <= DEFAULT.max_hessian_entries
)


def long_shapes(n: int, spread: float, rng) -> list[np.ndarray]:
    """Uniform on ±spread; one logit ahead by the spread at a random place; two tied leaders
    at a random place and at the last entry (next to the padding), the rest at −spread. At
    spread 0 all three are 0: one vector."""
    out = [spread * rng.uniform(-1, 1, n)]
    if n > 1 and spread:
        lead = np.zeros(n)
        lead[rng.integers(n)] = spread
        tie = np.full(n, -spread)
        tie[[rng.integers(n - 1), n - 1]] = spread
        out += [lead, tie]
    return out


def softmax_reference(x: np.ndarray, negate: bool = False):
    """(s, c, log_softmax) as float64 arrays, each entry rounded once from 50 digits: s the
    softmax of x (of −x for softmin), c_ij = δ_ij − s_j with the diagonal 1 − s_j taken as the
    sum of the other entries, and x_i − x_a − log1p(Σ_{j≠a} e^{x_j − x_a})."""
    v = [-mpmath.mpf(float(t)) if negate else mpmath.mpf(float(t)) for t in x]
    a = max(range(len(v)), key=lambda i: v[i])
    e = [mpmath.exp(t - v[a]) for t in v]
    z = mpmath.fsum(e)
    s = [t / z for t in e]
    total, rest = mpmath.fsum(s), mpmath.fsum(s[j] for j in range(len(s)) if j != a)
    others = np.array([float(rest if j == a else total - s[j]) for j in range(len(s))])
    s64 = np.array([float(t) for t in s])
    c = np.tile(-s64, (len(s), 1))
    np.fill_diagonal(c, others)
    log1p_rest = mpmath.log1p(mpmath.fsum(e[j] for j in range(len(e)) if j != a))
    log_s = np.array([float((t - v[a]) - log1p_rest) for t in v])
    return s64, c, log_s


def expected(name: str, x: np.ndarray, order: int):
    """[(reference, size it is compared relative to)] for the value, the Jacobian and (order 2)
    the Hessian of softmax, log_softmax or softmin at x."""
    s, c, log_s = softmax_reference(x, negate=name == "softmin")
    if name == "log_softmax":
        out = [(log_s, log_s), (c, c)]
        if order >= 2:
            h = np.broadcast_to(-s[:, None] * c, (len(x),) * 3)  # ∂²f_i/∂x_j∂x_k = −s_j c_jk
            out.append((h, h))
        return out
    sign = -1.0 if name == "softmin" else 1.0
    jac = sign * s[:, None] * c
    out = [(s, s), (jac, jac)]
    if order >= 2:
        # ∂²s_i/∂x_j∂x_k = s_i (c_ij c_ik − s_j c_jk); softmin's is the softmax's of −x.
        t0, t1 = c[:, :, None] * c[:, None, :], (s[:, None] * c)[None, :, :]
        out.append((s[:, None, None] * (t0 - t1), s[:, None, None] * (np.abs(t0) + np.abs(t1))))
    return out


# A Hessian entry is formed as a sum of two or three products (s_i s_j s_k + s_i s_j s_k where
# the formula reads 2 s_i s_j s_k, say), each of which the CPU flushes to 0 once it is
# subnormal: within 2× the smallest normal the Hessian may lose the whole entry (a float32
# 2.35e-38 computed as 0). Hessians are held to the smallest normal times this, absolutely.
HESSIAN_FLOOR = 4


def assert_close(got: np.ndarray, ref: np.ndarray, scale: np.ndarray, dtype: str, what, floor: float = 1) -> None:
    """|got − ref| ≤ RTOL·|scale| + floor·TINY entry by entry (NaN fails); names the worst
    entry."""
    got = np.asarray(got)
    assert got.dtype == np.dtype(dtype), (what, got.dtype)
    err = np.abs(got.astype(np.float64) - ref)
    bound = RTOL[dtype] * np.abs(scale) + floor * TINY[dtype]
    bad = ~(err <= bound)
    if bad.any():
        worst = np.unravel_index(np.argmax(np.where(bad, np.nan_to_num(err / bound, nan=np.inf), 0)), bad.shape)
        raise AssertionError(
            f"{what}: {int(bad.sum())} of {bad.size} entries off; worst at {tuple(int(i) for i in worst)}: "
            f"got {float(got[worst])!r}, want {float(ref[worst])!r} (± {float(bound[worst]):.3g})"
        )


def in_batches(items: list, size: int = MIN_BUCKET):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def compare(outs: list, pairs: list, dtype: str, what) -> None:
    """outs = [value, J, H][: len(pairs)] against pairs = [(reference, size), …]."""
    for k, (ref, scale) in enumerate(pairs):
        assert_close(outs[k], ref, scale, dtype, (*what, ("value", "J", "H")[k]), HESSIAN_FLOOR if k == 2 else 1)


def check_batch(name: str, xs: list[np.ndarray], dtype: str, order: int, reference) -> None:
    """Evaluate the vectors xs (rounded to dtype) in one call and compare every output with
    reference(x) = [(ref, scale), …] per vector."""
    rows = np.array([x.astype(dtype).astype(np.float64) for x in xs])
    r = evaluate(CATALOG.get(name), {}, rows, order=order, dtype=dtype, limits=BATCH_LIMITS)
    outs = [r.value, r.derivative, r.second_derivative][: order + 1]
    for row, x in enumerate(rows):
        compare([o[row] for o in outs], reference(x), dtype, (name, dtype, len(x), x[:8]))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_vectorised_reference_is_the_mpmath_one(dtype):
    """The float64 products of the long cases against the entry-by-entry 50-digit reference:
    within 2e-15 of each entry's size (the tolerances are 5e-13 and 5e-5), and within a few
    subnormal steps where everything underflows."""
    rng = np.random.default_rng(5)
    for name in ("softmax", "log_softmax", "softmin"):
        for spread in (0.0, 1.0, 40.0, 1e3):
            for x in long_shapes(6, spread, rng):
                x = x.astype(dtype).astype(np.float64)
                v, s, c, a = reference(x, negate=name == "softmin")
                (val, _), (jac, _), (hes, scale) = expected(name, x, order=2)
                n = len(x)
                for i in range(n):
                    want = value_of(name, v, s, a, i)
                    assert abs(val[i] - want) <= 2e-16 * abs(want) + 1e-322, (name, x, i)
                    for j in range(n):
                        want = jacobian_of(name, s, c, i, j)
                        assert abs(jac[i, j] - want) <= 5e-16 * abs(want) + 1e-322, (name, x, i, j)
                        for k in range(n):
                            want = hessian_of(name, s, c, i, j, k)[0]
                            assert abs(hes[i, j, k] - want) <= 2e-15 * abs(scale[i, j, k]) + 1e-322, (name, x, i, j, k)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("n", LENGTHS)
def test_values_and_jacobians_of_vectors_up_to_the_length_cap(n, name, dtype):
    """Value and full Jacobian (1,048,576 entries at n = 1,024) of every shape and spread."""
    rng = np.random.default_rng(n)
    xs = [x for spread in LONG_SPREADS for x in long_shapes(n, spread, rng)]
    for batch in in_batches(xs):
        check_batch(name, batch, dtype, 1, lambda x: expected(name, x, order=1))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("n", [7, 64, heavy(HESSIAN_CAP)])
def test_hessians_up_to_the_hessian_cap(n, name, dtype):
    """Every entry of the Hessian (10⁶ at the cap, n = 100), every shape and spread."""
    rng = np.random.default_rng(1000 + n)
    xs = [x for spread in LONG_SPREADS for x in long_shapes(n, spread, rng)]
    for batch in in_batches(xs):
        check_batch(name, batch, dtype, 2, lambda x: expected(name, x, order=2))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_one_vector_at_each_cap_under_the_default_limits(dtype):
    """What the service takes as it is: a 1,024-long vector with its Jacobian, and a vector
    of the longest length the Hessian cap allows with its Hessian, both of softmax with one
    logit ahead by 40 (1 − s_a ≈ 1e-15: all of it in Σ_{j≠a} s_j)."""
    assert DEFAULT.max_vector_length**2 <= DEFAULT.max_jacobian_entries  # the longest gets its Jacobian
    for n, order in ((DEFAULT.max_vector_length, 1), (HESSIAN_CAP, 2)):
        x = np.zeros(n)
        x[n // 3] = 40.0
        r = evaluate(CATALOG.get("softmax"), {}, x, order=order, dtype=dtype)
        compare([r.value, r.derivative, r.second_derivative], expected("softmax", x, order), dtype, ("softmax", n))


@pytest.mark.parametrize("order,n,cap", [(1, 1025, "max_vector_length=1024"), (2, 101, "max_hessian_entries")])
def test_the_first_length_over_each_cap_is_refused(client, order, n, cap):
    """One entry more than test_one_vector_at_each_cap_under_the_default_limits: LimitExceeded
    in the core, 422 naming x from the API, for the softmax family and glu alike."""
    assert n == (DEFAULT.max_vector_length if order == 1 else HESSIAN_CAP) + 1
    for name in ("softmax", "log_softmax", "softmin"):
        with pytest.raises(LimitExceeded, match=cap):
            evaluate(CATALOG.get(name), {}, np.zeros(n), order=order, dtype="float64")
    glu_n = DEFAULT.max_vector_length + 2 if order == 1 else GLU_HESSIAN_CAP + 2
    with pytest.raises(LimitExceeded, match=cap):
        evaluate(CATALOG.get("glu"), {}, np.zeros(glu_n), order=order, dtype="float64")
    r = client.post("/v1/evaluate", json={"activation": "softmax", "x": [0.0] * n, "order": order})
    assert r.status_code == 422 and "x" in r.get_json()["errors"], r.get_data(as_text=True)
    assert cap in r.get_json()["detail"]


# ----- glu: a ⊙ σ(b) for x = a ‖ b -------------------------------------------------------------
#
# Every nonzero entry is one or two factors: f_i = a_i σ(b_i), ∂f_i/∂a_i = σ(b_i), ∂f_i/∂b_i =
# a_i σ′(b_i), ∂²f_i/∂a_i∂b_i = σ′(b_i), ∂²f_i/∂b_i² = a_i σ″(b_i) with σ′ = σ(b)σ(−b) and
# σ″ = −σ′ tanh(b/2), all taken in mpmath (σ(−b) directly: 1 − σ(b) at 50 digits is 0 past
# b ≈ 115). Every other entry is 0. Each is rounded once to float64 and compared relative to
# itself, except ∂²f_i/∂a_i² = 0: below b = −40 glu is sign(a)·e^{ln|a| − softplus(−b)}, whose
# second a-derivative is f/a² − f/a², two terms of size σ(b)/|a| that cancel to a rounding
# residual (≈ 1e-16 of them in float64, 1e-7 in float32), so that entry is compared relative to
# 2σ(b)/|a|.

# a far from 0 where σ(b) alone is subnormal: a·σ(b) is normal well below b = −708 (float64).
HUGE = {"float64": 1e300, "float32": 1e37}


def glu_reference(x: np.ndarray, order: int):
    m = len(x) // 2
    val, ja, jb, hab, hbb, haa = (np.zeros(m) for _ in range(6))
    for i in range(m):
        a, b = mpmath.mpf(float(x[i])), mpmath.mpf(float(x[m + i]))
        sp, sm = 1 / (1 + mpmath.exp(-b)), 1 / (1 + mpmath.exp(b))
        d1 = sp * sm
        val[i], ja[i], jb[i] = float(a * sp), float(sp), float(a * d1)
        hab[i], hbb[i] = float(d1), float(-a * d1 * mpmath.tanh(b / 2))
        haa[i] = float(2 * sp / abs(a)) if a else 0.0
    rows = np.arange(m)
    jac = np.zeros((m, 2 * m))
    jac[rows, rows], jac[rows, m + rows] = ja, jb
    out = [(val, val), (jac, jac)]
    if order >= 2:
        hes = np.zeros((m, 2 * m, 2 * m))
        hes[rows, rows, m + rows] = hes[rows, m + rows, rows] = hab
        hes[rows, m + rows, m + rows] = hbb
        scale = np.abs(hes)
        scale[rows, rows, rows] = haa
        out.append((hes, scale))
    return out


def glu_shapes(n: int, spread: float, rng, dtype: str) -> list[np.ndarray]:
    """a and b uniform on ±spread; b far negative (−spread … −spread/2: σ(b) tiny); b far
    positive; and a huge (±HUGE) with b on ±spread (at spread 0: 0, and a huge with b = 0)."""
    m = n // 2
    a = spread * rng.uniform(-1, 1, (4, m))
    a[3] = HUGE[dtype] * rng.choice([-1, 1], m) * rng.uniform(0.1, 1, m)
    b = spread * np.stack(
        [rng.uniform(-1, 1, m), -rng.uniform(0.5, 1, m), rng.uniform(0.5, 1, m), rng.uniform(-1, 1, m)]
    )
    return [np.concatenate([a[k], b[k]]) for k in ((0, 3) if spread == 0 else range(4))]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("n", GLU_LENGTHS)
def test_glu_values_and_jacobians_up_to_the_length_cap(n, dtype):
    rng = np.random.default_rng(2000 + n)
    xs = [x for spread in LONG_SPREADS for x in glu_shapes(n, spread, rng, dtype)]
    for batch in in_batches(xs):
        check_batch("glu", batch, dtype, 1, lambda x: glu_reference(x, 1))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("n", [2, 14, heavy(GLU_HESSIAN_CAP)])
def test_glu_hessians_up_to_the_hessian_cap(n, dtype):
    """Every entry of the (n/2)×n×n Hessian, up to n = 124 (62·124² ≤ 10⁶ < 63·126²)."""
    rng = np.random.default_rng(3000 + n)
    xs = [x for spread in LONG_SPREADS for x in glu_shapes(n, spread, rng, dtype)]
    for batch in in_batches(xs):
        check_batch("glu", batch, dtype, 2, lambda x: glu_reference(x, 2))
    x = glu_shapes(n, 1e3, rng, dtype)[3]  # one vector as the service takes it
    r = evaluate(CATALOG.get("glu"), {}, x.astype(dtype).astype(np.float64), order=2, dtype=dtype)
    pairs = glu_reference(x.astype(dtype).astype(np.float64), 2)
    compare([r.value, r.derivative, r.second_derivative], pairs, dtype, ("glu", dtype, n))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_glu_a_far_positive_gate_keeps_a_times_the_tail_of_the_sigmoid(dtype):
    """∂f/∂b = a·σ(b)σ(−b) and ∂²f/∂b² = −a·σ′(b)·tanh(b/2) are normal numbers although σ(−b)
    is subnormal: float32 glu([100, 88]) (6.05e-37) and glu([1e37, 100]) (3.72e-7); float64
    glu([1e3, 709]) (1.22e-305) and glu([1e300, 720]) (2.03e-13)."""
    a, b = ([100.0, 1e37], [88.0, 100.0]) if dtype == "float32" else ([1e3, 1e300], [709.0, 720.0])
    x = np.array(a + b)
    r = evaluate(CATALOG.get("glu"), {}, x, order=2, dtype=dtype)
    x = x.astype(dtype).astype(np.float64)
    compare([r.value, r.derivative, r.second_derivative], glu_reference(x, 2), dtype, ("glu", dtype))

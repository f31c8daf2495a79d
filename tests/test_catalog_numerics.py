"""Every element-wise catalog entry against an independent 40-digit reference.

Parametrized over the registry: a new entry is checked the moment it is added (and fails
until tests/reference.py knows its closed form).
"""

import functools
import math

import numpy as np
import pytest
from reference import ALT_PARAMS, REFERENCES, kink_sides, load_table, points, reference, table_key, table_rows
from scipy.special import expit

from service.core import CATALOG, ELEMENTWISE, evaluate
from service.core.programs import PROGRAMS

ELEMENTWISE_NAMES = [a.name for a in CATALOG if a.kind == ELEMENTWISE]
# rtol as the issue asks; atol is a floor of about one float32 ulp of 1 (rounding near the
# roots of f′ and f″) and far below any meaningful float64 value (the reference's own noise).
TOLERANCE = {"float64": (1e-6, 1e-30), "float32": (1e-5, 1e-7)}


def param_sets(name):
    activation = CATALOG.get(name)
    sets = [activation.bind({})]
    if name in ALT_PARAMS:
        sets.append(activation.bind(ALT_PARAMS[name]))
    return sets


CASES = [
    pytest.param(name, i, id=f"{name}-{'default' if i == 0 else 'alt'}")
    for name in ELEMENTWISE_NAMES
    for i in range(len(param_sets(name)))
]


def reference_cases() -> list[tuple[str, tuple, list[float]]]:
    """(name, params, points) of every reference case: what tests/reference_table.npz holds."""
    out = []
    for name in ELEMENTWISE_NAMES:
        for params in param_sets(name):
            out.append((name, tuple(sorted(params.items())), points(kink_sides(name, params))))
    return out


@functools.cache
def reference_table(name, i):
    params = param_sets(name)[i]
    key = tuple(sorted(params.items()))
    pts = points(kink_sides(name, params))
    return params, np.array(pts), table_rows(name, key, pts)


def test_the_reference_table_covers_every_case():
    table = load_table()
    for name, key, pts in reference_cases():
        rows = table.get(table_key(name, key))
        assert rows is not None and np.array_equal(rows[:, 0], pts), (
            f"{name} {key}: not in tests/reference_table.npz; run `python tests/reference.py`"
        )


@pytest.mark.slow
@pytest.mark.parametrize("name,i", CASES)
def test_the_reference_table_is_what_the_formulas_give(name, i):
    """On the extremes and a spread of points, the committed table equals mpmath now."""
    params, x, table = reference_table(name, i)
    key = tuple(sorted(params.items()))
    picks = sorted({0, len(x) - 1, *np.linspace(0, len(x) - 1, 12).astype(int).tolist(), int(np.argmin(np.abs(x)))})
    for j in picks:
        assert tuple(table[j]) == reference(name, key, float(x[j])), (name, x[j])


def test_catalog_has_at_least_40_entries_and_every_elementwise_one_has_a_reference():
    assert len(CATALOG) >= 40
    assert sorted(set(ELEMENTWISE_NAMES) - set(REFERENCES)) == []


@pytest.mark.slow
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name,i", CASES)
def test_value_and_derivatives_match_the_reference(name, i, dtype):
    params, x, ref = reference_table(name, i)
    assert len(x) >= 1000 and x.min() == -1e4 and x.max() == 1e4
    result = evaluate(CATALOG.get(name), params, x, order=2, dtype=dtype)
    rtol, atol = TOLERANCE[dtype]
    for k, got in enumerate((result.value, result.derivative, result.second_derivative)):
        assert got.dtype == np.dtype(dtype)
        got = got.astype(np.float64)
        want = ref[:, k]
        assert np.isfinite(got).all(), f"order {k}: non-finite at x={x[~np.isfinite(got)][:5]}"
        bad = np.abs(got - want) > rtol * np.abs(want) + atol
        assert not bad.any(), (
            f"order {k}: {bad.sum()} points off, e.g. x={x[bad][:3]} got={got[bad][:3]} want={want[bad][:3]}"
        )


@pytest.mark.slow
@pytest.mark.parametrize("name", ELEMENTWISE_NAMES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_extreme_inputs_stay_finite(name, dtype):
    """No NaN or Inf where the mathematics is finite, up to the largest representable |x|."""
    big = float(np.finfo(dtype).max)
    x = np.array([-big, -1e30, -1e20, -1e8, -1e5, 1e5, 1e8, 1e20, 1e30, big])
    activation = CATALOG.get(name)
    result = evaluate(activation, activation.bind({}), x, order=2, dtype=dtype)
    outputs = (result.value, result.derivative, result.second_derivative)
    for out in outputs:
        assert not np.isnan(out).any(), (name, out)  # ±∞ only where f grows past the dtype
    moderate = np.abs(x) <= 1e8  # every entry's outputs are representable there
    for out in outputs:
        assert np.isfinite(out[moderate]).all(), (name, out)


# σ′, tanh′, softplus′ … in the tails: a wrong 0 would hide under any absolute tolerance.
TAIL_CASES = [
    ("sigmoid", 1, [20.0, 40.0, 80.0, 300.0, -80.0, -300.0]),
    ("sigmoid", 2, [20.0, 40.0, 80.0, -80.0]),
    ("tanh", 1, [10.0, 20.0, 100.0, -100.0, 300.0]),
    ("tanh", 2, [10.0, 20.0, -100.0]),
    ("softplus", 1, [-80.0, -300.0, 40.0]),
    ("softplus", 2, [40.0, 80.0, -80.0]),
    ("log_sigmoid", 1, [40.0, 80.0, 300.0]),
    ("silu", 1, [-40.0, -80.0, -300.0]),
    ("gelu", 1, [-10.0, -20.0, -30.0]),
    ("gelu", 2, [10.0, 20.0, -20.0]),
    ("mish", 1, [-40.0, -80.0, -300.0]),
    ("elu", 1, [-40.0, -100.0, -300.0]),
    ("selu", 1, [-40.0, -100.0]),
    ("cloglog", 1, [3.0, 4.0, 5.0, -40.0]),
    ("soft_sign", 1, [1e4, 1e6, -1e8]),
    ("isru", 1, [1e4, 1e6, -1e8]),
    ("tanhshrink", 0, [1e-3, 1e-6, -1e-4]),
    ("tanhshrink", 1, [1e-3, 1e-6]),
    ("shifted_softplus", 0, [1e-6, -1e-9]),
    ("squareplus", 0, [-1e4, -1e6]),
    ("bent_identity", 0, [1e-5, -1e-7]),
    ("sinc", 2, [1e-4, 0.0, 0.9]),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name,order,xs", TAIL_CASES, ids=[f"{n}-d{o}" for n, o, _ in TAIL_CASES])
def test_tails_keep_relative_accuracy(name, order, xs, dtype):
    activation = CATALOG.get(name)
    params = activation.bind({})
    x = np.array(xs, dtype=dtype).astype(np.float64)
    got = getattr(
        evaluate(activation, params, x, order=2, dtype=dtype), ["value", "derivative", "second_derivative"][order]
    )
    key = tuple(sorted(params.items()))
    tiny = np.finfo(dtype).tiny
    for xi, g in zip(x, got.astype(np.float64)):
        want = reference(name, key, float(xi))[order]
        if abs(want) < 1e3 * tiny:
            continue  # below the normal range of this dtype: underflow is the right answer
        assert math.isclose(g, want, rel_tol=1e-5 if dtype == "float32" else 1e-9), (xi, g, want)


# ----- kinks: the documented convention, pinned -----------------------------------------

KINK_VALUES = [
    ("relu", {}, 0.0, 0.0),
    ("relu", {"kink": "right"}, 0.0, 1.0),
    ("relu6", {}, 0.0, 0.0),
    ("relu6", {}, 6.0, 0.0),
    ("leaky_relu", {}, 0.0, 0.01),
    ("leaky_relu", {"kink": "right"}, 0.0, 1.0),
    ("prelu", {}, 0.0, 0.25),
    ("rrelu", {}, 0.0, (1 / 8 + 1 / 3) / 2),
    ("elu", {"alpha": 0.5}, 0.0, 0.5),
    ("selu", {}, 0.0, 1.0507009873554805 * 1.6732632423543772),
    ("hard_sigmoid", {}, -3.0, 0.0),
    ("hard_sigmoid", {}, 3.0, 0.0),
    ("hard_tanh", {}, -1.0, 0.0),
    ("hard_tanh", {}, 1.0, 0.0),
    ("hard_tanh", {"kink": "inner"}, -1.0, 1.0),
    ("hard_tanh", {"kink": "inner"}, 1.0, 1.0),
    ("hard_silu", {}, -3.0, -0.5),
    ("hard_silu", {}, 3.0, 1.5),
    ("hard_silu", {"kink": "outer"}, -3.0, 0.0),
    ("hard_silu", {"kink": "outer"}, 3.0, 1.0),
    ("sparse_sigmoid", {}, -1.0, 0.0),
    ("sparse_sigmoid", {}, 1.0, 0.0),
    ("hardshrink", {}, 0.5, 0.0),
    ("hardshrink", {}, -0.5, 0.0),
    ("softshrink", {}, 0.5, 0.0),
    ("softshrink", {}, -0.5, 0.0),
    ("threshold", {"threshold": 1.0, "value": 3.0}, 1.0, 0.0),
    ("binary_step", {}, 0.0, 0.0),
]


@pytest.mark.parametrize("name,params,x,expected", KINK_VALUES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_derivative_at_each_kink_follows_the_documented_convention(name, params, x, expected, dtype):
    activation = CATALOG.get(name)
    result = evaluate(activation, activation.bind(params), np.array([x]), order=1, dtype=dtype)
    assert result.derivative[0] == pytest.approx(expected, rel=1e-6)
    assert x in activation.non_differentiable_points(activation.bind(params))


@pytest.mark.parametrize("name", ELEMENTWISE_NAMES)
def test_every_entry_documents_its_kinks(name):
    activation = CATALOG.get(name)
    kinks = activation.non_differentiable_points(activation.bind({}))
    assert not kinks or activation.convention, f"{name} has kinks {kinks} but no convention"
    assert activation.summary and activation.formula


# ----- closed forms and the reference values from shared/NOTES.md -----------------------


def _eval(name, x, params=None, dtype="float64"):
    a = CATALOG.get(name)
    return evaluate(a, a.bind(params or {}), np.asarray(x, dtype=np.float64), order=2, dtype=dtype)


def test_sigmoid_derivatives_are_the_closed_forms():
    x = np.linspace(-30, 30, 601)
    r = _eval("sigmoid", x)
    s, s_neg = expit(x), expit(-x)  # 1 − σ(x) = σ(−x), without the cancellation
    np.testing.assert_allclose(r.derivative, s * s_neg, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(r.second_derivative, s * s_neg * (s_neg - s), rtol=1e-9, atol=1e-15)


def test_tanh_derivative_is_sech_squared():
    x = np.linspace(-15, 15, 301)
    np.testing.assert_allclose(_eval("tanh", x).derivative, 1 / np.cosh(x) ** 2, rtol=1e-12)


def test_gelu_exact_derivative_is_phi_plus_x_pdf():
    from scipy.special import ndtr

    x = np.linspace(-8, 8, 321)
    pdf = np.exp(-x * x / 2) / np.sqrt(2 * np.pi)
    r = _eval("gelu", x)
    np.testing.assert_allclose(r.value, x * ndtr(x), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(r.derivative, ndtr(x) + x * pdf, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(r.second_derivative, pdf * (2 - x * x), rtol=1e-9, atol=1e-15)


def test_reference_values_from_the_field_notes():
    assert _eval("sigmoid", [0.0]).derivative[0] == 0.25
    assert _eval("tanh", [0.0]).derivative[0] == 1.0
    assert _eval("gelu", [0.0]).derivative[0] == 0.5
    assert _eval("silu", [0.0]).derivative[0] == 0.5
    assert _eval("mish", [0.0]).derivative[0] == pytest.approx(0.6, rel=1e-12)
    for name, xmin, fmin in [
        ("gelu", -0.75179152, -0.16997121),
        ("silu", -1.27846454, -0.27846454),
        ("mish", -1.19243121, -0.30884341),
    ]:
        r = _eval(name, [xmin])
        assert r.value[0] == pytest.approx(fmin, abs=1e-8)
        assert abs(r.derivative[0]) < 1e-7


def test_gelu_tanh_approximation_differs_from_exact_by_at_most_5e_4():
    x = np.linspace(-6, 6, 2001)
    diff = np.abs(_eval("gelu", x).value - _eval("gelu", x, {"approximate": "tanh"}).value)
    assert 4.5e-4 < diff.max() < 5e-4


def test_softplus_threshold_switches_to_identity_like_pytorch():
    r = _eval("softplus", [25.0, 19.0], {"threshold": 20.0})
    assert r.value[0] == 25.0 and r.derivative[0] == 1.0
    assert r.value[1] == pytest.approx(19.0 + math.log1p(math.exp(-19.0)), rel=1e-15)


# ----- compilation: params are traced, sizes are bucketed -------------------------------


def test_a_new_slope_or_size_inside_a_bucket_does_not_recompile():
    a = CATALOG.get("leaky_relu")
    evaluate(a, a.bind({"negative_slope": 0.1}), np.linspace(-1, 1, 100), dtype="float32")
    before = PROGRAMS.compilations
    r = evaluate(a, a.bind({"negative_slope": 0.3}), np.linspace(-1, 1, 120), dtype="float32")
    assert PROGRAMS.compilations == before
    np.testing.assert_allclose(r.value[:3], 0.3 * np.linspace(-1, 1, 120)[:3], rtol=1e-6)


def test_bucketing_returns_exactly_the_unpadded_answer():
    a = CATALOG.get("gelu")
    x = np.linspace(-5, 5, 37)
    padded_run = evaluate(a, a.bind({}), x, dtype="float64")
    one_by_one = [evaluate(a, a.bind({}), x[i : i + 1], dtype="float64").value[0] for i in range(len(x))]
    assert padded_run.value.shape == (37,)
    np.testing.assert_array_equal(padded_run.value, one_by_one)

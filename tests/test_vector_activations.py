"""Vector activations: values, Jacobians and Hessians against closed forms in float64."""

import numpy as np
import pytest

from service.core import CATALOG, VECTOR, InvalidInput, evaluate

RNG = np.random.default_rng(7)
BATCH = np.concatenate([RNG.normal(size=(20, 6)) * 3, [[1e4, -1e4, 0, 1, 2, 3], [0.0] * 6]])


def softmax(v):
    e = np.exp(v - v.max())
    return e / e.sum()


CLOSED = {
    "softmax": (softmax, lambda v: np.diag(softmax(v)) - np.outer(softmax(v), softmax(v))),
    "log_softmax": (
        lambda v: v - v.max() - np.log(np.exp(v - v.max()).sum()),
        lambda v: np.eye(len(v)) - softmax(v)[None, :],
    ),
    "softmin": (lambda v: softmax(-v), lambda v: -(np.diag(softmax(-v)) - np.outer(softmax(-v), softmax(-v)))),
    "glu": (
        lambda v: v[:3] / (1 + np.exp(-v[3:])),
        lambda v: np.hstack(
            [np.diag(1 / (1 + np.exp(-v[3:]))), np.diag(v[:3] * np.exp(-v[3:]) / (1 + np.exp(-v[3:])) ** 2)]
        ),
    ),
}


def test_every_vector_entry_has_a_closed_form_here():
    assert {a.name for a in CATALOG if a.kind == VECTOR} == set(CLOSED)


@pytest.mark.parametrize("name", sorted(CLOSED))
@pytest.mark.parametrize("dtype,rtol", [("float64", 1e-10), ("float32", 1e-5)])
def test_value_and_jacobian_match_closed_forms(name, dtype, rtol):
    a = CATALOG.get(name)
    x = BATCH.astype(dtype).astype(np.float64)
    r = evaluate(a, {}, x, order=1, dtype=dtype)
    f, jac = CLOSED[name]
    assert r.value.dtype == np.dtype(dtype)
    for i, v in enumerate(x):
        np.testing.assert_allclose(r.value[i], f(v), rtol=rtol, atol=1e-6 if dtype == "float32" else 1e-15)
        np.testing.assert_allclose(r.derivative[i], jac(v), rtol=rtol, atol=1e-6 if dtype == "float32" else 1e-15)
        assert np.isfinite(r.value[i]).all()


@pytest.mark.parametrize("name", sorted(CLOSED))
def test_hessian_matches_central_differences_of_the_jacobian(name):
    a = CATALOG.get(name)
    v = BATCH[0]
    r = evaluate(a, {}, v, order=2, dtype="float64")
    h = 1e-5
    for k in range(len(v)):
        e = np.zeros_like(v)
        e[k] = h
        fd = (CLOSED[name][1](v + e) - CLOSED[name][1](v - e)) / (2 * h)
        np.testing.assert_allclose(r.second_derivative[:, :, k], fd, atol=1e-7)


def test_single_vector_gives_unbatched_shapes():
    r = evaluate(CATALOG.get("softmax"), {}, np.array([1.0, 2.0, 3.0]), order=2, dtype="float64")
    assert r.value.shape == (3,) and r.derivative.shape == (3, 3) and r.second_derivative.shape == (3, 3, 3)
    assert r.value.sum() == pytest.approx(1.0)


def test_glu_rejects_odd_length():
    with pytest.raises(InvalidInput, match="even"):
        evaluate(CATALOG.get("glu"), {}, np.array([1.0, 2.0, 3.0]))

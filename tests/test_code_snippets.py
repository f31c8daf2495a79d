"""The code every catalog entry serves (JAX, PyTorch, NumPy) computes what the service
computes: each snippet is run as a program and compared with POST /v1/evaluate in float64,
f and, for JAX, f′ by its own autodiff. PyTorch's snippets run where torch is installed and
skip, saying so, elsewhere."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from service.core import CATALOG, VECTOR

NAMES = [a.name for a in CATALOG]
# Points off every default kink (0, ±0.5, ±1, ±3, 6), inside the range where the textbook
# formulas of the snippets are accurate (the service stays exact far beyond it).
POINTS = [-5.9, -3.3, -2.2, -1.4, -0.8, -0.3, -0.07, 0.04, 0.2, 0.7, 1.3, 2.6, 3.9, 5.7]
VECTOR_POINTS = [0.5, -1.0, 2.0, 0.25]


def _run(source: str):
    scope: dict = {}
    exec(compile(source, "<snippet>", "exec"), scope)  # the catalog's own snippets
    return scope


def _expected(client, name: str) -> dict:
    x = VECTOR_POINTS if CATALOG.get(name).kind == VECTOR else POINTS
    body = client.post("/v1/evaluate", json={"activation": name, "x": x, "dtype": "float64"}).get_json()
    return {"x": np.asarray(x), "value": np.asarray(body["value"]), "d": body.get("derivative", body.get("jacobian"))}


@pytest.mark.parametrize("name", NAMES)
def test_numpy_and_jax_snippets_compute_the_service_numbers(client, name):
    entry = client.get(f"/v1/activations/{name}?properties=false").get_json()
    code = entry["code"]
    assert set(code) == {"jax", "pytorch", "numpy"} and all("def f(x):" in s for s in code.values())
    want = _expected(client, name)
    np.testing.assert_allclose(_run(code["numpy"])["f"](want["x"]), want["value"], rtol=1e-9, atol=1e-12)
    import jax.numpy as jnp

    scope = _run(code["jax"])
    x = jnp.asarray(want["x"], dtype=jnp.float64)
    np.testing.assert_allclose(np.asarray(scope["f"](x)), want["value"], rtol=1e-9, atol=1e-12)
    derivative = scope["jacobian" if CATALOG.get(name).kind == VECTOR else "df"](x)
    np.testing.assert_allclose(np.asarray(derivative), np.asarray(want["d"]), rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_pytorch_snippets_compute_the_service_numbers(client, name):
    if importlib.util.find_spec("torch") is None:
        pytest.skip("torch is not installed here (pip install torch==2.13.0, the CPU build): PyTorch snippets not run")
    import torch

    want = _expected(client, name)
    got = _run(client.get(f"/v1/activations/{name}?properties=false").get_json()["code"]["pytorch"])["f"](
        torch.tensor(want["x"], dtype=torch.float64)
    )
    np.testing.assert_allclose(got.numpy(), want["value"], rtol=1e-9, atol=1e-12)

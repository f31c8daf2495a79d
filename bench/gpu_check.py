"""The compute core on whatever device JAX picks (a GPU where one is present), written out for
comparison with a CPU run: ``python bench/gpu_check.py OUT.json`` on each machine, then
``python bench/gpu_check.py --compare CPU.json GPU.json``. Needs only JAX and NumPy (the core
imports no Flask), so it runs on a bare GPU image.

Per activation and dtype: values and derivatives at points from the tails to 0; a chain of 50
layers; a gradient flow of 10 layers. The comparison prints the largest difference of each in
units of the dtype's epsilon relative to the value (values below the smallest normal count as
0). At a root of f′ (SiLU's at −1.2785) the relative difference is large by nature: both sides
are ~1e-9 off zero, within an ε of the terms that cancel there."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

NAMES = ("relu", "sigmoid", "tanh", "gelu", "silu", "softplus", "elish", "mish", "elu", "sinc")
X = [-800.0, -100.0, -88.0, -40.0, -3.0, -1.2784645, -0.5, -1e-6, 0.0, 1e-6, 0.5, 3.0, 40.0, 88.0, 100.0, 800.0]


def run() -> dict:
    import jax

    from service.core import CATALOG, evaluate
    from service.core.chain import chain
    from service.core.flow import gradient_flow

    out: dict = {"devices": [str(d) for d in jax.devices()]}
    for name in NAMES:
        a = CATALOG.get(name)
        p = a.bind({})
        for dtype in ("float32", "float64"):
            r = evaluate(a, p, np.array(X), order=2, dtype=dtype, device="auto")
            out[f"{name} {dtype} device"] = r.device
            for k in ("value", "derivative", "second_derivative"):
                out[f"{name} {dtype} {k}"] = np.asarray(getattr(r, k), np.float64).tolist()
        c = chain(a, p, np.linspace(-3, 3, 7), 50, weight=1.1, bias=0.1, dtype="float64")
        out[f"{name} chain gradient"] = np.asarray(c.gradient, np.float64).tolist()
        f = gradient_flow(a, p, depth=10, width=32, batch=16, seed=1, dtype="float32")
        out[f"{name} flow"] = [f.loss] + [layer.grad_norm for layer in f.layers]
    return out


def compare(cpu: dict, gpu: dict) -> None:
    print("devices:", cpu["devices"][:1], "vs", gpu["devices"][:1])
    for key, want in cpu.items():
        if key == "devices" or key.endswith("device"):
            continue
        got = gpu[key]
        info = np.finfo(np.float32 if ("float32" in key or "flow" in key) else np.float64)
        w, g = np.array(want, np.float64), np.array(got, np.float64)
        same_nan = np.array_equal(np.isnan(w), np.isnan(g))
        # Below the smallest normal both are 0 as the service counts (a GPU may keep a
        # subnormal that a CPU flushes).
        w, g = (np.where(np.abs(v) < info.tiny, 0.0, v) for v in (w, g))
        scale = np.maximum(np.abs(w), info.tiny)
        with np.errstate(invalid="ignore"):
            err = np.where(np.isfinite(w) & np.isfinite(g), np.abs(w - g) / scale / info.eps, 0.0)
        i = int(np.argmax(err))
        where = f" at x = {X[i]:g}: {w[i]:.17g} vs {g[i]:.17g}" if len(w) == len(X) and err[i] > 4 else ""
        flag = "" if same_nan else "   NaN pattern differs"
        print(f"{key:36s} max {err[i]:10.1f} eps{where}{flag}")


if __name__ == "__main__":
    if sys.argv[1] == "--compare":
        compare(*(json.loads(Path(p).read_text()) for p in sys.argv[2:4]))
    else:
        Path(sys.argv[1]).write_text(json.dumps(run()))

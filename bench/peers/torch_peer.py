"""The service's ``POST /v1/evaluate`` as a user would write it with Flask and PyTorch: no
validation, no caps, no logging of its own. ``{"x": [...]}`` → exact (erf) GELU and its
derivative by autograd, float32.

One intra-op thread per process: gunicorn runs one worker per core, and the app is imported
in each worker after fork (no preload), so this holds per worker.
"""

import os

# One OpenMP thread in every thread, not only the one that imports torch: torch.set_num_threads
# is per thread for OpenMP, and a gthread worker answers in a pool thread (measured: 2× the CPU
# per request, a spinning second OpenMP thread, without this).
os.environ.setdefault("OMP_NUM_THREADS", "1")

import flask
import torch

torch.set_num_threads(1)

app = flask.Flask(__name__)


@app.post("/evaluate")
def evaluate():
    x = torch.tensor(flask.request.get_json()["x"], dtype=torch.float32, requires_grad=True)
    y = torch.nn.functional.gelu(x)
    (dy,) = torch.autograd.grad(y.sum(), x)
    return flask.jsonify(x=x.tolist(), value=y.tolist(), derivative=dy.tolist())

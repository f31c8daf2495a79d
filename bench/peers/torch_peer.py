"""The service's ``POST /v1/evaluate`` as a user would write it with Flask and PyTorch: no
validation, no caps, no logging of its own. ``{"x": [...]}`` → exact (erf) GELU and its
derivative by autograd, float32.

One intra-op thread per process: gunicorn runs one worker per core, and the app is imported
in each worker after fork (no preload), so this holds per worker.
"""

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

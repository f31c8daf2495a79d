"""Per-worker readiness: JAX initialised and the most common programs compiled.

Called from gunicorn's ``post_worker_init`` (after fork, never in the master), so a worker
serves nothing before it is warm; without gunicorn the first /readyz warms the process.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

import numpy as np
from flask import Flask

from .. import core

log = logging.getLogger("actfn.warmup")

# (activation, order) pairs that front-ends ask for first; each compiles at float32 and the
# smallest bucket. Everything else compiles on first use.
COMMON = (("relu", 1), ("sigmoid", 1), ("tanh", 1), ("gelu", 1), ("silu", 1), ("sigmoid", 2))


@dataclass
class Readiness:
    ready: bool = False
    seconds: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


def warm(app: Flask) -> Readiness:
    """Compile the common programs once in this process; idempotent and thread-safe."""
    ready = app.extensions.setdefault("actfn_readiness", Readiness())
    with ready.lock:
        if ready.ready:
            return ready
        start = time.perf_counter()
        x = np.linspace(-3.0, 3.0, 7)
        for name, order in COMMON:
            activation = core.CATALOG.get(name)
            core.evaluate(activation, activation.bind({}), x, order=order, dtype="float32", device="auto")
        ready.seconds = time.perf_counter() - start
        ready.ready = True
        log.info("warm-up finished in %.2f s", ready.seconds)
    return ready

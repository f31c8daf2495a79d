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
from ..core.programs import PROGRAMS

log = logging.getLogger("actfn.warmup")

# (activation, order) pairs that clients ask for first; each compiles at float32 and the
# smallest bucket (a bot's default request).
COMMON = (("relu", 1), ("sigmoid", 1), ("tanh", 1), ("gelu", 1), ("silu", 1), ("sigmoid", 2))
# What the page (service/static/js) asks on its first screen: the curves of its default
# activations (401 points and the readout, float64), the readout alone, their chains, the
# output panel's softmax and the dying-ReLU panel (64 units, 64 samples, float32).
PAGE_CURVES = ("sigmoid", "relu")
PAGE_FLOWS = ("relu", "leaky_relu", "gelu")
PAGE_SCORES = np.array([2.0, 1.0, 0.1])


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
        compile_first_screens(app.config["LIMITS"])
        ready.seconds = time.perf_counter() - start
        ready.ready = True
        log.info("warm-up finished in %.2f s", ready.seconds)
    return ready


def compile_first_screens(limits: core.Limits) -> None:
    """Run once what a bot and the page ask first, so that it is compiled (or loaded from the
    persistent compilation cache) before the worker serves; everything else compiles on first
    use (README "Performance")."""
    from ..core.chain import chain
    from ..core.flow import gradient_flow
    from ..teaching.concepts import CONCEPTS, illustrations
    from ..teaching.export import picture, pictured
    from ..teaching.quiz import build_every_question

    def default(name: str) -> tuple[core.Activation, dict]:
        activation = core.CATALOG.get(name)
        return activation, activation.bind({})

    # First every question the quiz can ask, built once (the table of them, told apart by
    # content, that the page's first question and every later draw or export read; and what
    # each question evaluates, surveys and compiles), then the page's first screen: the
    # programs compiled last are the last the bounded program cache drops.
    build_every_question()
    x = np.linspace(-3.0, 3.0, 7)
    for name, order in COMMON:
        core.evaluate(*default(name), x, order=order, dtype="float32", limits=limits)
    curve = np.linspace(-5.0, 5.0, 402)
    for name in PAGE_CURVES:
        core.evaluate(*default(name), curve, order=1, dtype="float64", limits=limits)
        core.evaluate(*default(name), curve[:1], order=1, dtype="float64", limits=limits)
        chain(*default(name), np.array([0.5]), 10, dtype="float64", limits=limits)
    core.evaluate(*default("softmax"), PAGE_SCORES, order=1, dtype="float64", limits=limits)
    for name in PAGE_FLOWS:
        gradient_flow(*default(name), depth=10, width=64, batch=64, init="he_normal", limits=limits)
    # Results kept for good (each worker computes them once): the curves a Moodle export
    # embeds (15 activations, ~0.2 s each to compile and draw) and every concept's
    # illustrations (the initialisation concept alone runs five gradient flows, ~1.7 s from an
    # empty cache). The programs they compile are not kept (~15 MB per worker).
    with PROGRAMS.transient():
        for name in pictured():
            picture(name)
        for concept_id in CONCEPTS:
            illustrations(concept_id)

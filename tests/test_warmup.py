"""Warm-up: after a worker is ready, the page's first screen, the quiz and the concepts compile
nothing."""

import numpy as np

from service.api.warmup import PAGE_CURVES, PAGE_FLOWS, warm
from service.core.programs import PROGRAMS
from service.teaching import concepts, export, quiz


def test_the_first_screen_quiz_and_concepts_compile_nothing_after_warm_up(make_app):
    """The requests service/static/js sends on first load, with the page's own bodies: curves
    (401 points and the readout), readouts, chains over the depth slider, the softmax panel
    and the dying-ReLU panel over its depth slider; then every concept, quiz exports (GIFT and
    Moodle, with its pictures) and a question. From an empty program cache, quiz table and
    caches of pictures and illustrations, as in a new worker (earlier tests may have filled
    them and evicted their programs), and a fresh app (the session's may have been warmed)."""
    app = make_app()
    PROGRAMS.clear()
    quiz._pool.cache_clear()
    concepts.illustrations.cache_clear()
    concepts._flow.cache_clear()
    export.picture.cache_clear()
    assert warm(app).ready
    client = app.test_client()
    before = PROGRAMS.compilations
    warmed = set(PROGRAMS._entries)
    grid = np.linspace(-5, 5, 401).tolist()
    for name in PAGE_CURVES:
        body = {"activation": name, "x": [*grid, 0.3], "order": 1, "dtype": "float64"}
        assert client.post("/v1/evaluate", json=body).status_code == 200
        assert client.get(f"/v1/activations/{name}/evaluate?x=0.7&order=1&dtype=float64").status_code == 200
        for depth in (1, 10, 50):
            body = {"activation": name, "depth": depth, "z": 0.5, "weight": 1, "bias": 0, "dtype": "float64"}
            assert client.post("/v1/chain", json=body).status_code == 200
    body = {"activation": "softmax", "x": [2, 1, 0.1], "order": 1, "dtype": "float64"}
    assert client.post("/v1/evaluate", json=body).status_code == 200
    for name in PAGE_FLOWS:
        for depth in (1, 10, 50):
            body = {
                "activation": name,
                "depth": depth,
                "width": 64,
                "batch": 64,
                "bias": 0,
                "init": "he_normal",
                "seed": 0,
            }
            assert client.post("/v1/gradient-flow", json=body).status_code == 200
    # Every concept's illustrations were computed in warm-up (initialisation's five flows took
    # ~1.7 s on first use from an empty compilation cache).
    for concept_id in concepts.CONCEPTS:
        assert client.get(f"/v1/concepts/{concept_id}").status_code == 200
    assert concepts.illustrations.cache_info().currsize == len(concepts.CONCEPTS)
    # Every question was built in warm-up: a 50-question export (2–3 s from an empty
    # compilation cache before) and any later draw compile nothing.
    for seed in (1, 2):
        assert client.get(f"/v1/quiz/export?format=gift&seed={seed}").status_code == 200
    # and every curve a Moodle export embeds was drawn (~0.2 s each on first use before).
    assert export.picture.cache_info().currsize == len(export.pictured()) > 0
    assert client.get("/v1/quiz/export?format=moodle&seed=1").status_code == 200
    assert export.picture.cache_info().currsize == len(export.pictured())
    assert PROGRAMS.compilations == before, sorted((k[0], k[1].name, k[2:]) for k in set(PROGRAMS._entries) - warmed)
    # The quiz's table of distinct questions (what the page's first question waited ~2.7 s for,
    # cold) is built once.
    assert quiz._pool.cache_info().currsize == 1
    built = quiz._pool.cache_info().misses
    assert client.get("/v1/quiz/questions?count=1").status_code == 200
    assert quiz._pool.cache_info().misses == built  # read, not built again


def test_programs_compiled_inside_transient_are_dropped_and_earlier_ones_kept():
    """What warm-up computes once and keeps (pictures, concept illustrations) does not keep
    the programs it compiled; programs cached before stay, whether used inside or not."""
    import jax
    import jax.numpy as jnp

    from service.core.programs import ProgramCache

    cache = ProgramCache()

    def specs():
        return (jax.ShapeDtypeStruct((4,), np.float32),)

    kept = cache.get("kept", lambda: jax.jit(jnp.sin), specs)
    with cache.transient():
        assert cache.get("kept", lambda: jax.jit(jnp.sin), specs) is kept
        once = cache.get("once", lambda: jax.jit(jnp.cos), specs)
        assert len(cache) == 2 and np.allclose(once.run(np.zeros(4, np.float32)), 1.0)
    assert len(cache) == 1 and cache.total_mb == kept.mb
    assert cache.get("kept", lambda: jax.jit(jnp.sin), specs) is kept and cache.compilations == 2

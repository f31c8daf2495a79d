"""JAX's persistent compilation cache (ACTFN_COMPILATION_CACHE_DIR): a second process loads
the programs the first one compiled instead of compiling them again; a directory that is not
private to the service's user is refused (an executable planted there would run in the
worker), and the service works on without the cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# One process: an app from the environment, a chain and an evaluate of gelu (compiled on first
# use), and JAX's own counts of persistent-cache hits and of backend compilations.
PROBE = """
import json, jax
events = {"hits": 0, "compiles": 0}
jax.monitoring.register_event_listener(
    lambda e, **k: events.__setitem__("hits", events["hits"] + (e == "/jax/compilation_cache/cache_hits")))
jax.monitoring.register_event_duration_secs_listener(
    lambda e, d, **k: events.__setitem__("compiles", events["compiles"] + e.endswith("backend_compile_duration")))
from service.app import create_app
client = create_app().test_client()
chain = client.post("/v1/chain", json={"activation": "gelu", "depth": 50, "z": 0.5})
value = client.post("/v1/evaluate", json={"activation": "gelu", "x": [0.5], "order": 2})
print(json.dumps({**events, "status": [chain.status_code, value.status_code], "chain": chain.get_json()["gradient"]}))
"""


def run(directory: Path | str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JAX_")}  # not the suite's own cache
    env.update(ACTFN_COMPILATION_CACHE_DIR=str(directory), ACTFN_WARMUP="0")
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=True
    )
    return {**json.loads(out.stdout.strip().splitlines()[-1]), "log": out.stderr}


def test_a_second_process_loads_what_the_first_compiled(tmp_path):
    cache = tmp_path / "cache"
    first = run(cache)
    assert first["status"] == [200, 200] and first["compiles"] > 0 and first["hits"] == 0
    assert oct(cache.stat().st_mode & 0o777) == oct(0o700) and any(cache.iterdir())
    second = run(cache)
    assert second["status"] == [200, 200] and second["chain"] == first["chain"]
    assert second["hits"] >= first["compiles"] >= 2, (first, second)  # every program loaded


def test_a_directory_others_can_write_is_refused_and_the_service_still_answers(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    result = run(shared)
    assert result["status"] == [200, 200] and result["hits"] == 0
    assert "compilation cache off" in result["log"] and "not private" in result["log"]
    assert not any(shared.iterdir())


def test_an_empty_setting_turns_the_cache_off(tmp_path):
    result = run("")
    assert result["status"] == [200, 200] and result["hits"] == 0


def test_a_symbolic_link_is_refused(tmp_path):
    """persist() checks the path it is given; a link could be re-pointed to another user's
    directory after the check, so a link is refused however private its target is."""
    target = tmp_path / "mine"
    target.mkdir(mode=0o700)
    link = tmp_path / "link"
    link.symlink_to(target)
    result = run(link)
    assert result["status"] == [200, 200] and result["hits"] == 0
    assert "symbolic link" in result["log"] and not any(target.iterdir())


def test_a_size_of_0_turns_the_cache_off(tmp_path):
    from service.core.programs import persist

    assert "0 or less" in persist(str(tmp_path / "c"), 0)  # refused before JAX is configured
    assert not (tmp_path / "c").exists()

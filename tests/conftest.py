"""Fixtures: an app per test session (compiled programs are process-wide anyway) and a client."""

import atexit
import os
import shutil
import tempfile

import pytest
from hypothesis import settings

# Rate limits count per client address, and every test client is 127.0.0.1: they are off
# for the suite (servers started by tests inherit this) except where a test turns them on.
os.environ.setdefault("ACTFN_RATE_LIMIT_ENABLED", "0")

# One JAX compilation cache on disk for the run: the test processes and every gunicorn worker
# the tests start compile the same programs (warm-up, the catalog), and read them back from
# it instead. A fresh folder per run (removed at exit), so a run never sees an older build's
# programs; set JAX_COMPILATION_CACHE_DIR to keep one between runs.
if "JAX_COMPILATION_CACHE_DIR" not in os.environ:
    _cache = tempfile.mkdtemp(prefix="actfn-jax-cache-")
    os.environ["JAX_COMPILATION_CACHE_DIR"] = _cache
    os.environ["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0"
    atexit.register(shutil.rmtree, _cache, ignore_errors=True)
# The service's own cache (ACTFN_COMPILATION_CACHE_DIR, size-bounded) in a folder of its own:
# JAX's bounded cache fails its writes on entries an unbounded writer left (no -atime file),
# as the programs compiled at import time into the folder above are.
if "ACTFN_COMPILATION_CACHE_DIR" not in os.environ:
    _service_cache = tempfile.mkdtemp(prefix="actfn-service-cache-")
    os.environ["ACTFN_COMPILATION_CACHE_DIR"] = _service_cache
    atexit.register(shutil.rmtree, _service_cache, ignore_errors=True)

from service import create_app

# CI runs the property-based tests on a fixed sequence of examples, so a landing never
# depends on luck; locally every run explores new ones.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def make_app():
    """A fresh app with test settings: ``make_app(LIMITS=Limits(max_points=100))``."""

    def make(**settings):
        return create_app({"TESTING": True, **settings})

    return make


@pytest.fixture(scope="session")
def app(make_app):
    return make_app()


@pytest.fixture()
def client(app):
    return app.test_client()

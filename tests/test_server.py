"""The production entry point: gunicorn with gunicorn.conf.py, on loopback, for real."""

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from realserver import Server

pytestmark = pytest.mark.slow  # real gunicorn: `make test-fast` leaves it out


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("gunicorn"), workers=2, ACTFN_ACCESS_LOG="")
    yield s.base, s.proc, s.log_path
    s.stop()


def _post(url, body, content_type="application/json"):
    req = urllib.request.Request(url, data=body, headers={"Content-Type": content_type}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers.get_content_type(), json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get_content_type(), json.loads(e.read())


def test_gunicorn_serves_evaluate_and_survives_bad_input(server):
    base, proc, _ = server
    status, _, body = _post(f"{base}/v1/evaluate", json.dumps({"activation": "sigmoid", "x": [0]}).encode())
    assert status == 200 and body["derivative"] == [0.25]
    for bad in (b'{"activation": "relu", "x": [NaN]}', b"{", b'{"activation": "nope", "x": [1]}'):
        status, media, _ = _post(f"{base}/v1/evaluate", bad)
        assert 400 <= status < 500 and media == "application/problem+json"
    status, _, body = _post(
        f"{base}/v1/evaluate",
        json.dumps({"activation": "gelu", "grid": {"start": -5, "stop": 5, "num": 100000}}).encode(),
    )
    assert status == 200 and len(body["value"]) == 100000
    assert proc.poll() is None


def test_every_worker_warms_itself_and_the_master_never_loads_jax(server):
    base, proc, log_path = server
    for _ in range(8):
        with urllib.request.urlopen(f"{base}/readyz", timeout=10) as r:
            assert r.status == 200
    warm_lines = [line for line in log_path.read_text().splitlines() if " warm in " in line]
    assert len({line.split("worker ")[1].split()[0] for line in warm_lines}) == 2
    # preload_app is off: the master never imports the app, so no XLA library is mapped.
    maps = Path(f"/proc/{proc.pid}/maps")
    if maps.exists():
        assert "xla" not in maps.read_text() and "jaxlib" not in maps.read_text()

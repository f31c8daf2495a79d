"""The production entry point: gunicorn with gunicorn.conf.py, on loopback, for real."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = _free_port()
    log_path = tmp_path_factory.mktemp("gunicorn") / "log.txt"
    log = open(log_path, "w")
    env = {**os.environ, "ACTFN_BIND": f"127.0.0.1:{port}", "ACTFN_WORKERS": "2", "ACTFN_ACCESS_LOG": ""}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "service:create_app()"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=2) as r:
                if r.status == 200:
                    break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if proc.poll() is not None:
                log.close()
                raise RuntimeError(log_path.read_text()) from None
            time.sleep(0.3)
    else:
        proc.kill()
        proc.wait()
        log.close()
        raise RuntimeError("gunicorn did not become ready in 90 s")
    yield base, proc, log_path
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()


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

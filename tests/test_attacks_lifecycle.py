"""A hostile client against servers of its own: each test starts the real gunicorn (shipped
config, loopback) with the settings it attacks — a worker's memory budget, rate limits, a
production start without a secret, workers killed under metrics, a graceful stop. Apart from
tests/test_attacks.py so the two run side by side."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from realserver import ROOT, Server, free_port, request

pytestmark = pytest.mark.slow  # real servers started and stopped: `make test-fast` leaves them out


def _post(base: str, path: str, body, timeout: float = 60):
    return request(base + path, json.dumps(body).encode(), timeout=timeout)


def test_a_worker_past_its_memory_budget_finishes_its_request_and_is_replaced(tmp_path):
    s = Server(tmp_path, workers=1, ACTFN_WORKER_MEMORY_MB="50", ACTFN_RATE_LIMIT_ENABLED="0")
    try:
        (first,) = s.workers()
        status, _, body = request(s.base + "/v1/activations/tanh/evaluate?x=0.5")
        assert status == 200 and json.loads(body)["derivative"]
        deadline = time.monotonic() + 60
        while s.workers() in ({first}, set()) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert s.workers() and first not in s.workers()
        s.wait_ready(1)
        assert request(s.base + "/v1/activations/tanh/evaluate?x=0.5")[0] == 200
        assert "over ACTFN_WORKER_MEMORY_MB=50" in s.log()
    finally:
        s.stop()


def test_rate_limits_count_per_address_across_routes_and_by_compute(tmp_path):
    s = Server(
        tmp_path, workers=1, ACTFN_RATE_LIMIT_ENABLED="1", ACTFN_RATE_LIMIT="8 per minute", ACTFN_COMPUTE_LIMIT="0"
    )
    try:
        paths = ["/v1/limits", "/v1/activations", "/v1/activations/relu", "/v1/activations/relu/evaluate?x=1"] * 3
        statuses = [request(s.base + p)[0] for p in paths]
        assert statuses == [200] * 8 + [429] * 4  # one count for every route
        assert request(s.base + "/healthz")[0] == 200
    finally:
        s.stop()
    s = Server(
        tmp_path / "compute", workers=1, ACTFN_RATE_LIMIT_ENABLED="1", ACTFN_RATE_LIMIT="", ACTFN_COMPUTE_LIMIT="1"
    )
    try:
        flow = {"activation": "tanh", "depth": 20, "width": 256, "batch": 128, "dtype": "float64"}
        statuses = [_post(s.base, "/v1/gradient-flow", {**flow, "seed": i})[0] for i in range(6)]
        assert 429 in statuses and statuses[0] == 200, statuses
        status, headers, raw_body = request(s.base + "/v1/limits")
        assert status == 429 and "compute" in json.loads(raw_body)["detail"] and int(headers["Retry-After"]) > 0
    finally:
        s.stop()


def test_production_refuses_to_start_without_a_private_quiz_secret():
    env = {k: v for k, v in os.environ.items() if k != "ACTFN_QUIZ_SECRET"}
    for secret in (None, "change-me"):
        run_env = {**env, "ACTFN_ENV": "production", "ACTFN_BIND": f"127.0.0.1:{free_port()}", "ACTFN_WORKERS": "1"}
        if secret:
            run_env["ACTFN_QUIZ_SECRET"] = secret
        proc = subprocess.run(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "service:create_app()"],
            cwd=ROOT,
            env=run_env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode != 0 and "ACTFN_QUIZ_SECRET" in proc.stdout + proc.stderr, secret


def test_metrics_files_stay_few_as_workers_come_and_go(tmp_path):
    s = Server(tmp_path, workers=2, ACTFN_RATE_LIMIT_ENABLED="0")
    try:
        served = 0
        for _ in range(5):
            for _ in range(4):
                assert request(s.base + "/v1/activations/relu/evaluate?x=1")[0] == 200
                served += 1
            victim = min(s.workers())
            os.kill(victim, signal.SIGKILL)
            deadline = time.monotonic() + 30
            while victim in s.workers() and time.monotonic() < deadline:
                time.sleep(0.1)
            s.wait_ready(2)
        files = list(s.metrics_dir.glob("*.db"))
        assert len(files) <= 16, sorted(f.name for f in files)  # live workers' files and one archive per kind
        text = request(s.base + "/metrics")[2].decode()
        counted = sum(
            float(line.split()[-1])
            for line in text.splitlines()
            if line.startswith("actfn_requests_total{") and "evaluate" in line and 'status="200"' in line
        )
        assert counted >= served  # the dead workers' requests are still counted
    finally:
        s.stop()


def test_a_graceful_stop_refuses_new_connections_at_once_and_finishes_the_old(tmp_path):
    s = Server(tmp_path, workers=1, ACTFN_RATE_LIMIT_ENABLED="0")
    try:
        slow = {"activation": "gelu", "depth": 29, "width": 512, "batch": 256, "dtype": "float64", "seed": 5}
        with ThreadPoolExecutor(max_workers=1) as pool:
            in_flight = pool.submit(_post, s.base, "/v1/gradient-flow", slow)
            time.sleep(0.5)
            s.proc.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            start = time.monotonic()
            with pytest.raises(OSError):
                with socket.create_connection(("127.0.0.1", s.port), timeout=3) as c:
                    c.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
                    if not c.recv(100):
                        raise ConnectionResetError("closed without an answer")
            assert time.monotonic() - start < 1.0  # refused, not left hanging
            assert in_flight.result(timeout=60)[0] == 200
        assert s.proc.wait(timeout=45) == 0
    finally:
        s.stop()

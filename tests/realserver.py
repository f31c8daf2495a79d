"""Real servers for the tests that attack the service as a client would: gunicorn with the
shipped gunicorn.conf.py on loopback, optionally nginx in front with the shipped template
(the docker-compose topology), and raw-socket and HTTP helpers."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NGINX_TEMPLATE = ROOT / "deploy" / "nginx" / "actfn.conf.template"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(url: str, body: bytes | None = None, headers: dict | None = None, timeout: float = 60, method=None):
    """(status, headers, body) of one HTTP request; HTTP errors are answers, not exceptions."""
    req = urllib.request.Request(
        url, data=body, headers=headers or {}, method=method or ("POST" if body is not None else "GET")
    )
    if body is not None and "Content-Type" not in (headers or {}):
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def raw(port: int, data: bytes, timeout: float = 10) -> bytes:
    """Send bytes on a fresh connection and read until the server closes it."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered before reading everything (a 413): read its answer
        out = b""
        try:
            while chunk := s.recv(65536):
                out += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    return out


def status_of(response: bytes) -> int:
    m = re.match(rb"HTTP/1\.[01] (\d{3})", response)
    return int(m.group(1)) if m else 0


def rss_mb(pid: int) -> float:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def distinct_program(i: int) -> tuple[str, dict]:
    """(path, body) of the i-th of a stream of requests that each compile a program no other
    one does: formulas, sizes, dtypes, orders, vector lengths, chain depths and gradient-flow
    shapes (every 200th a heavy ~10 MB gradient-flow program)."""
    dtype = ("float32", "float64")[i % 2]
    if i % 10 == 7:
        return "/v1/evaluate", {"activation": "softmax", "x": [[0.5] * (1 + i % 97)] * (1 + i % 5), "dtype": dtype}
    if i % 200 == 13:
        return "/v1/gradient-flow", {"activation": "tanh", "depth": 1 + i // 200, "width": 8 + i // 200, "dtype": dtype}
    if i % 10 == 3:
        return "/v1/chain", {
            "activation": {"expression": f"tanh({1 + i * 1e-4} * x)"},
            "z": [0.1] * (1 + i % 20),
            "depth": 1 + i % 64,
        }
    return "/v1/evaluate", {
        "activation": {"expression": f"x * sigmoid({1 + i * 1e-4} * x) + {i}"},
        "x": [0.5] * (1 + i % 40),
        "order": i % 2,
        "dtype": dtype,
    }


class Server:
    """gunicorn -c gunicorn.conf.py "service:create_app()" on a free loopback port."""

    def __init__(self, tmp: Path, workers: int = 2, health: bool = False, **env):
        tmp.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.health_port = free_port() if health else None
        self.log_path = tmp / "gunicorn.log"
        self.access_path = tmp / "access.log"
        self.metrics_dir = tmp / "metrics"
        self.metrics_dir.mkdir(exist_ok=True)
        self._log = open(self.log_path, "w")
        full_env = {
            **os.environ,
            "ACTFN_BIND": f"127.0.0.1:{self.port}",
            "ACTFN_WORKERS": str(workers),
            "ACTFN_ACCESS_LOG": str(self.access_path),
            "PROMETHEUS_MULTIPROC_DIR": str(self.metrics_dir),
            **({"ACTFN_HEALTH_BIND": f"127.0.0.1:{self.health_port}"} if health else {}),
            **env,
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "service:create_app()"],
            cwd=ROOT,
            env=full_env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        try:
            self.wait_ready(workers)
        except BaseException:
            self.stop()
            raise

    def wait_ready(self, workers: int, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(self.log_path.read_text())
            pids = self.workers()
            if len(pids) == workers and pids <= self.warm_workers():
                try:
                    if request(self.base + "/readyz", timeout=10)[0] == 200:
                        return
                except OSError:
                    pass
            time.sleep(0.05)
        raise RuntimeError("gunicorn did not become ready:\n" + self.log_path.read_text())

    def warm_workers(self) -> set[int]:
        """Workers that have logged the end of their warm-up (gunicorn.conf.py post_worker_init)."""
        return {int(pid) for pid in re.findall(r"worker (\d+) warm in", self.log())}

    def workers(self) -> set[int]:
        try:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        except OSError:
            return set()
        return {int(c) for c in children}

    def log(self) -> str:
        return self.log_path.read_text()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=45)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)


def render_template(text: str, env: dict[str, str]) -> str:
    """What the nginx image's entrypoint does: ${VAR} replaced for the variables it defines."""
    for name, value in env.items():
        text = text.replace("${" + name + "}", value)
    return text


class Nginx:
    """nginx with the shipped template in front of a Server (the docker-compose topology)."""

    def __init__(self, tmp: Path, server: Server, mcp_port: int | None = None):
        binary = nginx_binary()
        if binary is None:
            raise RuntimeError("nginx is not installed")
        self.dir = tmp / "nginx"
        self.dir.mkdir(exist_ok=True)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        site = render_template(
            NGINX_TEMPLATE.read_text(),
            {
                "ACTFN_UPSTREAM": f"127.0.0.1:{server.port}",
                "ACTFN_HEALTH_UPSTREAM": f"127.0.0.1:{server.health_port}",
                "ACTFN_MCP_UPSTREAM": f"127.0.0.1:{mcp_port or free_port()}",
                "NGINX_PORT": f"127.0.0.1:{self.port}",
            },
        )
        (self.dir / "site.conf").write_text(site)
        # The main config of the official image, reduced to what a loopback test needs.
        (self.dir / "nginx.conf").write_text(
            f"""worker_processes 1;
daemon off;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {self.dir}/body;
    proxy_temp_path {self.dir}/proxy;
    fastcgi_temp_path {self.dir}/fastcgi;
    uwsgi_temp_path {self.dir}/uwsgi;
    scgi_temp_path {self.dir}/scgi;
    include {self.dir}/site.conf;
}}
"""
        )
        self.proc = subprocess.Popen(
            [binary, "-c", str(self.dir / "nginx.conf"), "-p", str(self.dir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError((self.dir / "error.log").read_text()) from None
                time.sleep(0.1)
        raise RuntimeError("nginx did not start")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


class McpServer:
    """gunicorn -c gunicorn.mcp.conf.py on a free loopback port (what `make run-mcp` runs)."""

    def __init__(self, tmp: Path, **env):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / "mcp.log"
        self._out = open(self.log, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.mcp.conf.py", "service.mcp.__main__:http_app()"],
            cwd=ROOT,
            env={**os.environ, "ACTFN_MCP_BIND": f"127.0.0.1:{self.port}", **env},
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(self.log.read_text())
            try:
                if request(self.url + "/healthz", timeout=5)[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("MCP gunicorn did not start:\n" + self.log.read_text())

    def stop(self):
        self.proc.terminate()
        self.proc.wait(30)
        self._out.close()

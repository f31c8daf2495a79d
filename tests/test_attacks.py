"""A hostile client against the real server: gunicorn with the shipped config on loopback
(and nginx with the shipped template in front, as docker-compose runs it). One test per way
in which an unauthenticated request could take the service down, reach a 500, or abuse it;
every attack is bounded in time and count."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from realserver import Nginx, Server, nginx_binary, raw, request, rss_mb, status_of

pytestmark = pytest.mark.slow  # real servers under attack: `make test-fast` leaves it out

PROBLEM = "application/problem+json"
HUGE = int("9" * 401)  # a 401-digit integer: past float64


def _problem(response: bytes) -> dict:
    head, _, body = response.partition(b"\r\n\r\n")
    assert PROBLEM.encode() in head, head
    return json.loads(body)


def _post(base: str, path: str, body, timeout: float = 60):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return request(base + path, data, timeout=timeout)


def _nest(function: str, depth: int) -> str:
    text = "x"
    for _ in range(depth):
        text = f"{function}({text})"
    return text


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    s = Server(
        tmp_path_factory.mktemp("target"),
        workers=2,
        health=True,
        ACTFN_REQUEST_READ_TIMEOUT="3",
        ACTFN_RATE_LIMIT_ENABLED="0",
    )
    yield s
    s.stop()


@pytest.fixture(scope="module")
def compose(tmp_path_factory):
    """nginx (the shipped template) in front of gunicorn, as docker-compose.yml runs them."""
    if nginx_binary() is None:
        pytest.skip("nginx is not installed (apt-get install nginx; `make test` installs it as root)")
    tmp = tmp_path_factory.mktemp("compose")
    s = Server(tmp, workers=2, health=True, ACTFN_PROXY_COUNT="1", ACTFN_RATE_LIMIT_ENABLED="0")
    proxy = Nginx(tmp, s)
    yield s, proxy
    proxy.stop()
    s.stop()


# ----- what took the service down --------------------------------------------------------

MALFORMED = [
    ("non-numeric Content-Length", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n", 400),
    (
        "Content-Length with Transfer-Encoding",
        b"POST /v1/evaluate HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        400,
    ),
    (
        "two Content-Lengths",
        b"POST /v1/evaluate HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
        400,
    ),
    ("bad chunk size", b"POST /v1/evaluate HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n", 400),
    ("not HTTP", b"HELLO THERE\r\n\r\n", 400),
    ("bad version", b"GET / HTTP/9.9\r\nHost: a\r\n\r\n", 400),
    ("request line too long", b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: a\r\n\r\n", 414),
    ("header too long", b"GET / HTTP/1.1\r\nHost: a\r\nX-A: " + b"a" * 9000 + b"\r\n\r\n", 431),
    (
        "too many headers",
        b"GET / HTTP/1.1\r\nHost: a\r\n" + b"".join(b"X-%d: a\r\n" % i for i in range(120)) + b"\r\n",
        431,
    ),
    ("NUL in a header", b"GET / HTTP/1.1\r\nHost: a\r\nX-A: a\x00b\r\n\r\n", 400),
]


def test_malformed_requests_are_problem_json_and_no_worker_dies(target):
    before = target.workers()
    for _ in range(2):  # 13 such requests used to crash 13 workers
        for name, data, expected in MALFORMED:
            response = raw(target.port, data)
            assert status_of(response) == expected, name
            problem = _problem(response)
            assert problem["status"] == expected and problem["detail"], name
    assert target.workers() == before, "a worker died"
    assert request(target.base + "/v1/activations/relu/evaluate?x=1")[0] == 200
    assert "Traceback" not in target.log()


BOMBS = [
    ("/v1/evaluate", {"activation": {"expression": _nest("sinc", 20)}, "x": [1], "order": 2}),
    ("/v1/evaluate", {"activation": {"expression": _nest("erfc", 30)}, "x": [1], "order": 1}),
    ("/v1/evaluate", {"activation": {"expression": _nest("tanhshrink", 30)}, "x": [1], "order": 2}),
    ("/v1/evaluate", {"activation": {"expression": _nest("elish", 30)}, "x": [1], "order": 2}),
    ("/v1/evaluate", {"activation": {"expression": _nest("gelu", 31)}, "x": [1], "order": 2}),
    ("/v1/chain", {"activation": {"expression": _nest("sinc", 10)}, "z": 0.5, "depth": 10}),
    ("/v1/chain", {"activation": {"expression": _nest("mish", 30)}, "pre_activations": [0.1] * 5, "depth": 5}),
    ("/v1/gradient-flow", {"activation": {"expression": _nest("mish", 30)}, "depth": 10, "width": 64}),
    ("/v1/plot", {"activations": [{"expression": _nest("sinc", 20)}], "second_derivative": True}),
    # Small formula, too much work: its size times a million points.
    (
        "/v1/evaluate",
        {
            "activation": {"expression": _nest("sinc", 6)},
            "grid": {"start": -1, "stop": 1, "num": 10**6},
            "order": 2,
        },
    ),
]


def _refused_as_too_much_work(status: int, content_type: str, raw_body: bytes, path: str) -> None:
    assert status == 422 and content_type == PROBLEM, (path, raw_body[:300])
    problem = json.loads(raw_body)
    assert any(key.endswith("expression") for key in problem["errors"]), problem
    assert "max_formula_size" in problem["detail"] or "max_formula_work" in problem["detail"], problem


def test_compile_bombs_and_their_cousins_are_refused_and_no_worker_dies(target):
    before = target.workers()
    for path, body in BOMBS:
        status, headers, raw_body = _post(target.base, path, body)
        _refused_as_too_much_work(status, headers["Content-Type"], raw_body, path)
    assert target.workers() == before
    # A chain of a formula does not survey it for a bound nobody asked for.
    status, _, raw_body = _post(
        target.base, "/v1/chain", {"activation": {"expression": "x*sigmoid(x)"}, "z": 1, "depth": 5}
    )
    assert status == 200 and json.loads(raw_body)["bound"] is None


def test_compile_bombs_are_refused_before_anything_compiles(client):
    """The refusal comes from counting the formula's size and work, not from trying: no XLA
    compilation happens for any bomb (the service's own compile counter, fed by JAX's
    backend-compile events). Checked by counting, not by timing."""
    from prometheus_client import REGISTRY

    def compilations() -> float:
        return REGISTRY.get_sample_value("actfn_jit_compilations_total") or 0.0

    client.post("/v1/evaluate", json={"activation": {"expression": "sinc(x)"}, "x": [1], "order": 2})
    assert compilations() > 0  # the counter counts
    for path, body in BOMBS:
        before = compilations()
        r = client.post(path, json=body)
        _refused_as_too_much_work(r.status_code, r.headers["Content-Type"], r.data, path)
        assert compilations() == before, (path, body)


def _slowloris(port: int, count: int, seconds: float) -> list[threading.Thread]:
    """``count`` connections that send a request line, then one header every second."""

    def hold():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=seconds + 5) as s:
                s.sendall(b"POST /v1/evaluate HTTP/1.1\r\nHost: a\r\n")
                end = time.monotonic() + seconds
                i = 0
                while time.monotonic() < end:
                    s.sendall(b"X-%d: a\r\n" % i)
                    i += 1
                    time.sleep(1)
        except OSError:
            pass  # the server closed it: what it should do

    threads = [threading.Thread(target=hold, daemon=True) for _ in range(count)]
    for t in threads:
        t.start()
    return threads


def test_slow_clients_do_not_stop_service_in_the_compose_topology(compose):
    server, proxy = compose
    threads = _slowloris(proxy.port, 3 * len(server.workers()), seconds=8)
    time.sleep(1.5)
    for path, body in (("/healthz", None), ("/v1/evaluate", {"activation": "gelu", "x": [1.0]})):
        start = time.monotonic()
        status, _, _ = request(proxy.base + path, json.dumps(body).encode() if body else None, timeout=5)
        assert status == 200 and time.monotonic() - start < 1.0, path
    for t in threads:
        t.join(timeout=30)


def test_slow_clients_are_cut_off_by_gunicorn_itself(target):
    before = target.workers()
    answers = []

    def slow():
        with socket.create_connection(("127.0.0.1", target.port), timeout=15) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\n")
            try:
                for i in range(7):  # a header every 0.5 s, past the 3 s deadline
                    s.sendall(b"X-%d: a\r\n" % i)
                    time.sleep(0.5)
            except OSError:
                pass
            try:
                answers.append(s.recv(4096))
            except OSError:
                answers.append(b"")

    threads = [threading.Thread(target=slow) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(answers) == 3 and all(status_of(a) == 408 for a in answers), answers
    assert target.workers() == before


def _read_answer(s: socket.socket) -> bytes:
    """One HTTP answer with a Content-Length, read off a connection that may stay open."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(4096)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(
        next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
    )
    while len(body) < length:
        body += s.recv(4096)
    return data


def _trickle(s: socket.socket, seconds: float) -> bytes:
    """A request line, then a header every 0.5 s for ``seconds``; whatever the server answers."""
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\n")
        for i in range(int(seconds / 0.5)):
            s.sendall(b"X-%d: a\r\n" % i)
            time.sleep(0.5)
    except OSError:
        pass
    answer = b""
    with contextlib.suppress(OSError):
        while chunk := s.recv(4096):
            answer += chunk
    return answer


def test_the_gthread_worker_keeps_connections_alive_and_cuts_off_slow_requests(tmp_path):
    """ACTFN_WORKER_CLASS=gthread: a connection stays open after an answer; every request on
    it, the first and the next, has its own read deadline: trickled headers are a 408, not a
    thread held."""
    s = Server(tmp_path, workers=1, ACTFN_WORKER_CLASS="gthread", ACTFN_REQUEST_READ_TIMEOUT="3")
    try:
        with socket.create_connection(("127.0.0.1", s.port), timeout=15) as c:
            assert status_of(_trickle(c, 4.5)) == 408
        with socket.create_connection(("127.0.0.1", s.port), timeout=15) as c:
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
            first = _read_answer(c)
            assert status_of(first) == 200 and b"connection: close" not in first.lower()
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
            assert status_of(_read_answer(c)) == 200  # the same connection, reused
            time.sleep(1)  # idle between requests: not counted against the next one
            answer = _trickle(c, 4.5)
        assert status_of(answer) == 408 and _problem(answer)["status"] == 408, answer
        assert request(s.base + "/healthz")[0] == 200
        assert "Traceback" not in s.log()
    finally:
        s.stop()


def test_liveness_answers_while_every_worker_is_busy(target, compose):
    slow = {"activation": "gelu", "depth": 29, "width": 512, "batch": 256, "init": "he_normal", "dtype": "float64"}
    with ThreadPoolExecutor(max_workers=2) as pool:
        busy = [pool.submit(_post, target.base, "/v1/gradient-flow", {**slow, "seed": i}) for i in range(2)]
        time.sleep(0.5)
        start = time.monotonic()
        status, _, body = request(f"http://127.0.0.1:{target.health_port}/healthz", timeout=5)
        assert status == 200 and json.loads(body)["workers"] == 2
        assert time.monotonic() - start < 1.0
        assert not all(f.done() for f in busy), "the slow requests finished too early to prove anything"
        assert [f.result()[0] for f in busy] == [200, 200]
    server, proxy = compose
    with ThreadPoolExecutor(max_workers=2) as pool:
        busy = [pool.submit(_post, proxy.base, "/v1/gradient-flow", {**slow, "seed": i}) for i in range(2)]
        time.sleep(0.5)
        start = time.monotonic()
        assert request(proxy.base + "/healthz", timeout=5)[0] == 200 and time.monotonic() - start < 1.0
        assert [f.result()[0] for f in busy] == [200, 200]


# ----- bad input that reached a 500 -----------------------------------------------------


def test_a_401_digit_integer_is_a_422_naming_the_field(target):
    qid = json.loads(request(target.base + "/v1/quiz/questions?count=1&seed=3&topics=derivatives")[2])["questions"][0][
        "id"
    ]
    cases = [
        (
            "/v1/evaluate",
            {"activation": {"name": "elu", "params": {"alpha": HUGE}}, "x": [1]},
            "activation.params.alpha",
        ),
        ("/v1/evaluate", {"activation": {"expression": "a*x", "params": {"a": HUGE}}, "x": [1]}, "activation.params.a"),
        (
            "/v1/chain",
            {"activation": {"name": "elu", "params": {"alpha": HUGE}}, "z": 0, "depth": 2},
            "activation.params.alpha",
        ),
        ("/v1/chain", {"activation": "tanh", "z": 0, "depth": 2, "weight": HUGE}, "weight"),
        (
            "/v1/gradient-flow",
            {"activation": {"expression": "a*x", "params": {"a": HUGE}}, "depth": 2, "width": 4},
            "activation.params.a",
        ),
        ("/v1/gradient-flow", {"activation": "relu", "depth": 2, "width": 4, "bias": HUGE}, "bias"),
        ("/v1/plot", {"activations": [{"name": "elu", "params": {"alpha": HUGE}}]}, "activations.0.params.alpha"),
        ("/v1/plot", {"activations": ["relu"], "xmax": HUGE}, "xmax"),
        ("/v1/quiz/grade", {"id": qid, "answer": HUGE}, "answer"),
        ("/v1/evaluate", {"activation": "relu", "x": [1, HUGE]}, "x.1"),
    ]
    for path, body, field in cases:
        status, headers, raw_body = _post(target.base, path, body)
        assert status == 422 and headers["Content-Type"] == PROBLEM, (path, raw_body[:200])
        assert field in json.loads(raw_body)["errors"], (path, raw_body[:300])


def test_a_quiz_id_with_a_non_ascii_signature_is_a_422(target):
    qid = json.loads(request(target.base + "/v1/quiz/questions?count=1&seed=3")[2])["questions"][0]["id"]
    for bad in (qid[:-1] + "é", qid[:-2] + "\u2603", "q2.é.é"):
        status, _, raw_body = _post(target.base, "/v1/quiz/grade", {"id": bad, "answer": 1})
        assert status == 422 and "id" in json.loads(raw_body)["errors"]


def test_pictures_of_hostile_formulas_and_huge_values(target):
    status, _, raw_body = _post(target.base, "/v1/plot", {"activations": [{"expression": "x # $\\nope{$"}]})
    assert status == 422 and "comments" in json.loads(raw_body)["detail"]
    for body in (
        {"activations": [{"expression": "exp(x)"}], "xmin": 700, "xmax": 709.7},
        {"activations": [{"expression": "x**64"}], "xmin": 0, "xmax": 7e4},
        {"activations": [{"expression": "x**64"}], "xmin": -1e6, "xmax": 1e6, "second_derivative": True},
        {"activations": [{"expression": "1/x"}], "xmin": -1, "xmax": 1, "format": "png"},
        {"activations": ["relu"], "xmin": 1, "xmax": 1 + 1e-12},
    ):
        status, headers, raw_body = _post(target.base, "/v1/plot", body)
        assert status == 200 and headers["Content-Type"].startswith("image/"), (body, raw_body[:300])
    # A formula's text is clipped in the picture: no kilobyte of arbitrary text in an image.
    long = "x * 1." + "0" * 900
    status, _, svg = _post(target.base, "/v1/plot", {"activations": [{"expression": long}]})
    assert status == 200 and long.encode() not in svg and b"\xe2\x80\xa6" in svg


def test_gradient_flow_overflow_is_a_typed_null_and_zero_std_is_allowed(target, app):
    from service.api.flow.schemas import FlowResponseSchema

    for std in (1000, 0):
        body = {"activation": "relu", "depth": 3, "width": 8, "init": "normal", "init_std": std}
        status, _, raw_body = _post(target.base, "/v1/gradient-flow", body)
        assert status == 200
        out = json.loads(raw_body)
        assert out["loss"] is None or isinstance(out["loss"], float)
        assert not FlowResponseSchema().validate(out)
    assert app.extensions["actfn_api"].spec.to_dict()["components"]["schemas"]["FlowResponse"]["properties"]["loss"][
        "type"
    ] == ["number", "null"]


def test_switches_are_true_or_false_only(target):
    for value in (1, 0, "yes", "true"):
        status, _, raw_body = _post(target.base, "/v1/plot", {"activations": ["relu"], "derivative": value})
        assert status == 422 and "derivative" in json.loads(raw_body)["errors"], value
    # null is "not given" (strict tool callers send it for every option they leave alone)
    assert _post(target.base, "/v1/plot", {"activations": ["relu"], "derivative": None})[0] == 200
    for value in ("yes", "1", "on"):
        status, _, _ = request(target.base + f"/v1/activations/relu/plot?derivative={value}")
        assert status == 422, value
    assert request(target.base + "/v1/activations/relu/plot?derivative=FALSE")[0] == 200
    assert _post(target.base, "/v1/plot", {"activations": ["relu"], "derivative": False})[0] == 200


def test_body_framing(target):
    # A streamed (chunked) body past max_body_bytes is 413, not "invalid JSON".
    # (32 chunks of 1 MiB reach max_body_bytes; the server drains the last 10 kB and answers.)
    chunk = b"[" + b"0," * ((1 << 19) - 1) + b"0"
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(32))
    body += b"%x\r\n%s\r\n0\r\n\r\n" % (10_000, b"0" * 10_000)
    head = (
        b"POST /v1/evaluate HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    response = raw(target.port, head + body, timeout=30)
    assert status_of(response) == 413 and _problem(response)["status"] == 413
    # Trailing garbage after a valid document is malformed JSON (400).
    for garbage in (
        b'{"activation":"relu","x":[1]} xyz',
        b'{"activation":"relu","x":[1]}{}',
        b'{"activation":"relu","x":[1]}\x00',
    ):
        status, headers, _ = _post(target.base, "/v1/evaluate", garbage)
        assert status == 400 and headers["Content-Type"] == PROBLEM, garbage


def test_work_is_refused_before_it_is_done_and_answers_are_bounded(target):
    pids = sorted(target.workers())
    start = time.monotonic()
    tiny_vectors = b'{"activation":"softmax","x":[' + b"[0]," * 8_000_000 + b"[0]]}"
    status, _, raw_body = _post(target.base, "/v1/evaluate", tiny_vectors)
    assert status == 422 and "max_body_containers" in json.loads(raw_body)["detail"]
    assert time.monotonic() - start < 3.0
    assert max(rss_mb(p) for p in pids) < 800
    keys = json.dumps({"activation": "relu", "x": [1], **{f"k{i}": 1 for i in range(1_000_000)}}).encode()
    status, _, raw_body = _post(target.base, "/v1/evaluate", keys)
    assert status == 422 and len(raw_body) < 10_000
    status, _, raw_body = _post(target.base, "/v1/evaluate", {"activation": "r" * 10_000_000, "x": [1]})
    assert status == 404 and len(raw_body) < 2_000
    status, _, raw_body = _post(
        target.base, "/v1/evaluate", {"activation": {"name": "relu", "params": {"p" * 100_000: 1}}, "x": [1]}
    )
    assert status == 422 and len(raw_body) < 2_000
    # An answer bigger than max_response_numbers is refused before it is computed.
    vectors = [[0.25] * 1024] * 2000
    status, _, raw_body = _post(
        target.base, "/v1/evaluate", {"activation": "softmax", "x": vectors, "order": 0, "dtype": "float64"}
    )
    assert status == 422 and "max_response_numbers" in json.loads(raw_body)["detail"]


# ----- what a cross-origin page sees ----------------------------------------------------

# max_query_points numbers as long as a float can be written (24 characters), URL-encoded in the
# repeated-key form generated clients send (29 bytes a point), for the longest name with every
# option: the longest GET …/evaluate the caps allow (~7.4 kB of request line).
LONGEST = (
    "/v1/activations/complementary_log_log/evaluate?"
    + "&".join(f"x=-1.{i:016d}e%2B300" for i in range(250))
    + "&order=2&dtype=float64&device=auto"
)


def test_the_documented_query_cap_is_reachable_directly_and_through_the_proxy(target, compose):
    assert json.loads(request(target.base + "/v1/limits")[2])["max_query_points"] == 250
    for base in (target.base, compose[1].base):
        status, _, body = request(base + LONGEST)
        assert status == 200, body[:300]
        assert len(json.loads(body)["value"]) == 250


def test_refusals_before_the_app_are_problem_json_a_page_can_read(target, compose):
    """Past the request-line bound (8 kB in gunicorn and nginx) the answer comes from the
    server, not the app: it must still be problem+json with CORS, or a page sees only "Failed
    to fetch"."""
    too_long = f"GET /v1/activations/tanh/evaluate?x={'1,' * 5_000}1 HTTP/1.1\r\nHost: a\r\n"
    too_wide = f"GET /v1/limits HTTP/1.1\r\nHost: a\r\nX-Padding: {'p' * 10_000}\r\n"
    for port in (target.port, compose[1].port):
        for request_head, status in ((too_long, 414), (too_wide, 431)):
            response = raw(port, f"{request_head}Origin: https://lesson.example\r\n\r\n".encode())
            assert status_of(response) == status, response[:300]
            head = response.partition(b"\r\n\r\n")[0].lower()
            assert b"access-control-allow-origin: *" in head, head
            assert _problem(response)["status"] == status  # the status line and the body agree


# ----- trust and abuse -----------------------------------------------------------------


def test_the_client_cannot_choose_its_address_through_the_proxy(compose):
    server, proxy = compose
    request(proxy.base + "/v1/limits", headers={"X-Forwarded-For": "203.0.113.9", "X-Request-ID": "spoof-1"})
    time.sleep(0.5)
    lines = [json.loads(line) for line in server.access_path.read_text().splitlines() if "spoof-1" in line]
    assert lines and lines[0]["remote"] == "127.0.0.1"


def test_a_npy_answer_for_a_long_non_ascii_formula_passes_the_shipped_nginx(compose):
    """X-Actfn-Activation escapes a formula of 1,000 non-ASCII characters and 16 params to ~12 kB
    of header: more than nginx's default proxy buffer (a 503 before proxy_buffer_size 16k)."""
    _, proxy = compose
    names = ["α" * 59 + str(i) for i in range(16)]  # ~60-character non-ASCII param names
    expression = "x*(" + "+".join(names) + ")"
    body = {"activation": {"expression": expression, "params": {n: 1.0 for n in names}}, "x": [1.0, 2.0]}
    assert len(expression) <= 1000
    status, headers, raw_body = request(
        proxy.base + "/v1/evaluate", json.dumps(body).encode(), {"Accept": "application/x-npy"}
    )
    assert status == 200, raw_body[:300]
    assert len(headers["X-Actfn-Activation"]) > 4096

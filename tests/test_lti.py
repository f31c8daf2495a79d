"""The LTI 1.3 tool against a fake LMS (tests/ltiplatform.py): both serve on loopback, the test
plays the browser. The whole flow — dynamic registration, login, deep linking, a graded attempt,
the score received by the platform's gradebook — and the attacks a launch must refuse."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import threading
import time
from html import unescape
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
import requests
from ltiplatform import DL, INSTRUCTOR, LTI, Platform, Server, new_key

from service.app import create_app
from service.lti.routes import _seed
from service.lti.schemas import LtiActivitySchema
from service.lti.store import RedisStore, SqliteStore, open_store

pytestmark = pytest.mark.slow  # two servers on loopback; `make test-fast` leaves it out


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, f"no hidden {name} in:\n{page[:2000]}"
    return unescape(found.group(1))


@pytest.fixture(scope="module")
def platform():
    p = Platform()
    yield p
    p.close()


@pytest.fixture(scope="module")
def tool(platform, tmp_path_factory):
    """The service (Flask app, threaded werkzeug) configured with the fake platform."""
    db = tmp_path_factory.mktemp("lti") / "lti.sqlite3"
    app = create_app(
        {
            "TESTING": True,
            "RATE_LIMIT_ENABLED": False,
            "LTI_PLATFORMS": json.dumps(platform.tool_config()),
            "LTI_STORAGE": f"sqlite://{db}",
            "LTI_REGISTRATION_ALLOW": [],
        }
    )
    server = Server(app)
    server.app = app
    platform.tool_url = server.url
    yield server
    server.close()


class Browser:
    """The user's browser between the LMS and the tool: no cookies kept (as in an iframe whose
    third-party cookies are blocked)."""

    def __init__(self, tool: Server, platform: Platform):
        self.tool, self.platform = tool, platform

    def login(self, method: str = "post", **params) -> dict:
        data = {**self.platform.login_params(f"{self.tool.url}/lti/launch"), **params}
        if method == "post":
            r = requests.post(f"{self.tool.url}/lti/login", data=data, allow_redirects=False, timeout=30)
        else:
            r = requests.get(f"{self.tool.url}/lti/login", params=data, allow_redirects=False, timeout=30)
        assert r.status_code == 302, r.text
        assert r.headers["Location"].startswith(f"{self.platform.url}/auth?")
        auth = Platform.authorization(r.headers["Location"])
        assert auth["client_id"] == self.platform.client_id and auth["login_hint"] == data["login_hint"]
        assert auth["redirect_uri"] == f"{self.tool.url}/lti/launch" and auth["prompt"] == "none"
        return auth

    def launch(self, token: str, state: str) -> requests.Response:
        return requests.post(
            f"{self.tool.url}/lti/launch", data={"id_token": token, "state": state}, allow_redirects=False, timeout=30
        )

    def post(self, path: str, data) -> requests.Response:
        return requests.post(f"{self.tool.url}{path}", data=data, allow_redirects=False, timeout=60)


@pytest.fixture
def browser(tool, platform):
    return Browser(tool, platform)


def refused(response: requests.Response, status: int, field: str, words: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert field in body["errors"], body
    assert words.lower() in body["detail"].lower(), body
    return body


# ----- the keys and the happy path -------------------------------------------------------------


def test_jwks_publishes_the_key_the_tool_signs_with(tool):
    keys = requests.get(f"{tool.url}/lti/jwks", timeout=10).json()["keys"]
    assert len(keys) == 1 and keys[0]["kty"] == "RSA" and keys[0]["alg"] == "RS256" and keys[0]["use"] == "sig"
    assert "d" not in keys[0] and keys[0]["kid"]  # public only


def answers_for(tool: Server, custom: dict, sub: str, iss: str, right: int) -> tuple[dict, int]:
    """The form a student sends: the first ``right`` answers right, the rest wrong."""
    activity = LtiActivitySchema().load(custom)
    quiz = tool.app.extensions["actfn_quiz"]
    topics = tuple(activity.get("topics") or ())
    questions = quiz.generate(
        activity["count"], _seed(activity, {"sub": sub, "iss": iss}), topics, activity.get("difficulty")
    )
    form = {}
    for i, q in enumerate(questions):
        if q.type == "numeric":
            form[f"a{i}"] = repr(q.value if i < right else q.value + 1000 * (q.margin + 1))
        elif q.type == "multiple_choice":
            form[f"a{i}"] = q.answer if i < right else next(c for c in q.choices if c != q.answer)
        else:
            form[f"a{i}"] = str(q.answer if i < right else not q.answer).lower()
    return form, len(questions)


def test_deep_linking_then_a_graded_attempt_reaches_the_gradebook(browser, tool, platform):
    """A teacher adds a quiz by deep linking; the platform stores the returned ltiResourceLink
    and creates its gradebook column; a student launches it, answers, and the platform
    receives the score (FullyGraded, Completed) for that student in that column."""
    # The teacher: login, deep-linking launch, the picker.
    auth = browser.login(login_hint="teacher-1")
    r = browser.launch(
        platform.id_token(auth, sub="teacher-1", roles=(INSTRUCTOR,), message="LtiDeepLinkingRequest"), auth["state"]
    )
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html"), r.text
    assert "Add actfn to your course" in r.text
    choice = {
        "launch_id": hidden(r.text, "launch_id"),
        "kind": "quiz",
        "count": "6",
        "topics": ["derivatives", "values"],
        "difficulty": "easy",
        "seed": "11",
        "per_student": "true",
        "graded": "true",
        "title": "Derivatives check",
    }
    # A quiz the topics cannot fill, or over the cap, is refused to the teacher, not to a student.
    refused(
        browser.post("/lti/deep-link", {**choice, "topics": ["properties"], "count": "150"}), 422, "count", "distinct"
    )
    refused(browser.post("/lti/deep-link", {**choice, "count": "100000"}), 422, "count", "max_quiz_questions")
    r = browser.post("/lti/deep-link", choice)
    assert r.status_code == 200, r.text
    action = re.search(r'<form id="return" method="post" action="([^"]+)"', r.text).group(1)
    assert unescape(action) == f"{platform.url}/deep-link-return"
    assert requests.post(unescape(action), data={"JWT": hidden(r.text, "JWT")}, timeout=30).status_code == 200

    # What the platform received, checked with the tool's published key.
    item = platform.deep_links[-1][DL + "content_items"][0]
    assert item["type"] == "ltiResourceLink" and item["url"] == f"{tool.url}/lti/launch"
    assert item["title"] == "Derivatives check" and item["lineItem"]["scoreMaximum"] == 6
    custom = item["custom"]
    assert custom == {
        "kind": "quiz",
        "title": "Derivatives check",
        "count": "6",
        "seed": "11",
        "per_student": "true",
        "topics": "derivatives,values",
        "difficulty": "easy",
    }
    column = f"{platform.url}/lineitems/col-1"
    platform.lineitems[column] = {"id": column, "label": item["title"], "scoreMaximum": 6, "resourceLinkId": "link-7"}

    # The student: login, resource-link launch, the quiz, the attempt.
    auth = browser.login(login_hint="student-9")
    r = browser.launch(
        platform.id_token(auth, sub="student-9", custom=custom, lineitem=column, resource_link="link-7"), auth["state"]
    )
    assert r.status_code == 200, r.text
    assert r.text.count("<fieldset>") == 6 and "Derivatives check" in r.text
    form, total = answers_for(tool, custom, "student-9", platform.issuer, right=4)
    r = browser.post("/lti/attempt", {"launch_id": hidden(r.text, "launch_id"), **form})
    assert r.status_code == 200, r.text
    assert "Derivatives check: 4 / 6" in unescape(r.text) and "sent to the course gradebook" in r.text

    score = platform.scores[-1]
    assert score["lineitem"] == column and score["userId"] == "student-9"
    assert (score["scoreGiven"], score["scoreMaximum"]) == (4, 6)
    assert score["gradingProgress"] == "FullyGraded" and score["activityProgress"] == "Completed"
    assert score["timestamp"].endswith("+00:00")


def test_a_link_without_a_column_gets_one_and_each_student_their_own_questions(browser, tool, platform):
    custom = {"kind": "quiz", "count": "3", "seed": "5", "per_student": "true", "title": "Quick quiz"}
    pages = {}
    for student in ("s-1", "s-2"):
        auth = browser.login(login_hint=student)
        r = browser.launch(
            platform.id_token(auth, sub=student, custom=custom, resource_link="link-hand"), auth["state"]
        )
        assert r.status_code == 200, r.text
        pages[student] = r.text
        form, total = answers_for(tool, custom, student, platform.issuer, right=3)
        r = browser.post("/lti/attempt", {"launch_id": hidden(r.text, "launch_id"), **form})
        assert r.status_code == 200 and "3 / 3" in r.text
    assert re.findall(r'<p id="q\d">(.*?)</p>', pages["s-1"]) != re.findall(r'<p id="q\d">(.*?)</p>', pages["s-2"])
    created = [li for li in platform.lineitems.values() if li.get("resourceLinkId") == "link-hand"]
    assert len(created) == 1 and created[0]["scoreMaximum"] == 3  # found again for the second student
    assert {s["userId"] for s in platform.scores if s["lineitem"] == created[0]["id"]} == {"s-1", "s-2"}


def test_explorer_link_opens_the_page_on_its_activations(browser, platform):
    auth = browser.login(method="get")
    custom = {"kind": "explorer", "activations": "gelu,mish", "depth": "50"}
    r = browser.launch(platform.id_token(auth, custom=custom), auth["state"])
    assert r.status_code == 303 and r.headers["Location"].endswith("/#a=gelu,mish&depth=50")


def test_a_gradebook_that_refuses_the_score_is_said(browser, tool, platform):
    custom = {"kind": "quiz", "count": "2", "seed": "3", "per_student": "false"}
    auth = browser.login()
    r = browser.launch(platform.id_token(auth, custom=custom, lineitem=f"{platform.url}/lineitems/x"), auth["state"])
    form, _ = answers_for(tool, custom, "student-1", platform.issuer, right=1)
    platform.fail_scores = True
    try:
        r = browser.post("/lti/attempt", {"launch_id": hidden(r.text, "launch_id"), **form})
    finally:
        platform.fail_scores = False
    assert r.status_code == 502 and "not recorded" in r.text and "1 / 2" in r.text


def test_invalid_custom_parameters_are_named(browser, platform):
    auth = browser.login()
    r = browser.launch(platform.id_token(auth, custom={"kind": "quiz", "count": "500"}), auth["state"])
    refused(r, 422, "custom", "count")
    auth = browser.login()
    r = browser.launch(platform.id_token(auth, custom={"kind": "explorer", "activations": "nope"}), auth["state"])
    refused(r, 422, "custom", "not in the catalog")


# ----- the attacks ------------------------------------------------------------------------------


def test_bad_signature_is_refused(browser, platform):
    auth = browser.login()
    forged = platform.id_token(auth, key=new_key())  # right kid, another key
    refused(browser.launch(forged, auth["state"]), 401, "id_token", "signature")
    auth = browser.login()
    refused(browser.launch(platform.id_token(auth, kid="unknown-kid"), auth["state"]), 401, "id_token", "signature")
    auth = browser.login()
    token = platform.id_token(auth)
    header, body, signature = token.split(".")
    tampered = jwt.utils.base64url_encode(
        json.dumps({**jwt.decode(token, options={"verify_signature": False}), "sub": "admin"}).encode()
    ).decode()
    refused(browser.launch(f"{header}.{tampered}.{signature}", auth["state"]), 401, "id_token", "signature")


def test_unsigned_token_is_refused(browser, platform):
    auth = browser.login()
    claims = jwt.decode(platform.id_token(auth), options={"verify_signature": False})
    unsigned = jwt.encode(claims, key=None, algorithm="none", headers={"kid": platform.kid})
    refused(browser.launch(unsigned, auth["state"]), 401, "id_token", "signature")


def test_wrong_audience_is_refused(browser, platform):
    auth = browser.login()
    refused(
        browser.launch(platform.id_token(auth, aud="another-tool", azp=None), auth["state"]),
        401,
        "id_token",
        "audience",
    )
    auth = browser.login()
    both = platform.id_token(auth, aud=["another-tool", platform.client_id], azp="another-tool")
    refused(browser.launch(both, auth["state"]), 401, "id_token", "audience")


def test_expired_token_is_refused(browser, platform):
    auth = browser.login()
    old = platform.id_token(auth, exp=int(time.time()) - 120, iat=int(time.time()) - 600)
    refused(browser.launch(old, auth["state"]), 401, "id_token", "expired")


def test_replayed_launch_and_nonce_are_refused(browser, platform):
    auth = browser.login()
    token = platform.id_token(auth)
    assert browser.launch(token, auth["state"]).status_code == 303
    # The same POST again (a captured launch): its state was used.
    refused(browser.launch(token, auth["state"]), 401, "state", "already used")
    # A fresh login's state with the old token: its nonce was used.
    fresh = browser.login()
    refused(browser.launch(token, fresh["state"]), 401, "id_token", "nonce")
    # A nonce the tool never issued.
    fresh = browser.login()
    refused(browser.launch(platform.id_token({**fresh, "nonce": "made-up"}), fresh["state"]), 401, "id_token", "nonce")


def test_unknown_issuer_and_deployment_are_refused(browser, platform):
    r = requests.post(
        f"{browser.tool.url}/lti/login",
        data={**platform.login_params(f"{browser.tool.url}/lti/launch"), "iss": "https://evil.example"},
        allow_redirects=False,
        timeout=10,
    )
    refused(r, 403, "iss", "unknown issuer")
    auth = browser.login()
    refused(
        browser.launch(platform.id_token(auth, iss="https://evil.example"), auth["state"]),
        403,
        "id_token",
        "unknown issuer",
    )
    auth = browser.login()
    refused(
        browser.launch(platform.id_token(auth, **{LTI + "deployment_id": "other"}), auth["state"]),
        403,
        "id_token",
        "deployment",
    )


def test_malformed_requests_name_the_field(browser, platform):
    r = browser.post("/lti/launch", {"state": "x"})
    refused(r, 422, "id_token", "id_token")
    auth = browser.login()
    refused(browser.launch("not-a-jwt", auth["state"]), 401, "id_token", "not a JWT")
    refused(browser.launch("a.b.c", "never-issued"), 401, "state", "state")
    r = requests.get(
        f"{browser.tool.url}/lti/login", params={"iss": platform.issuer}, allow_redirects=False, timeout=10
    )
    refused(r, 422, "login_hint", "login_hint")
    refused(browser.post("/lti/attempt", {"launch_id": "x", "a0": "1"}), 422, "launch_id", "launch id")
    r = browser.post("/lti/attempt", {"launch_id": "lti1p3-launch-00000000-0000-4000-8000-000000000000", "a0": "1"})
    refused(r, 401, "launch_id", "expired")
    refused(browser.post("/lti/attempt", {"launch_id": "x", "evil": "1"}), 422, "evil", "answers")


# ----- dynamic registration ---------------------------------------------------------------------


@pytest.fixture
def allow(tool):
    """Set ACTFN_LTI_REGISTRATION_ALLOW for one test."""

    def set_allow(*entries: str) -> None:
        tool.app.config["LTI_REGISTRATION_ALLOW"] = list(entries)

    yield set_allow
    tool.app.config["LTI_REGISTRATION_ALLOW"] = []


def test_dynamic_registration_then_launch(tool, allow):
    """A second platform registers the tool itself (no configuration by the operator), and its
    launches then validate; registering it again is refused (it would replace its endpoints)."""
    other = Platform(client_id="registered-client", deployment_id="dep-9")
    other.tool_url = tool.url
    allow(other.url + "/")
    try:
        r = requests.get(
            f"{tool.url}/lti/register",
            params={
                "openid_configuration": f"{other.url}/.well-known/openid-configuration",
                "registration_token": other.registration_token,
            },
            timeout=30,
        )
        assert r.status_code == 200 and "org.imsglobal.lti.close" in r.text, r.text
        sent = other.registrations[-1]
        config = sent["https://purl.imsglobal.org/spec/lti-tool-configuration"]
        assert sent["initiate_login_uri"] == f"{tool.url}/lti/login"
        assert sent["jwks_uri"] == f"{tool.url}/lti/jwks" and sent["redirect_uris"] == [f"{tool.url}/lti/launch"]
        assert sent["token_endpoint_auth_method"] == "private_key_jwt"
        assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in sent["scope"].split()
        assert {m["type"] for m in config["messages"]} == {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"}
        b = Browser(tool, other)
        auth = b.login()
        r = b.launch(other.id_token(auth, custom={"kind": "explorer", "activations": "relu"}), auth["state"])
        assert r.status_code == 303, r.text
        r = requests.get(
            f"{tool.url}/lti/register",
            params={
                "openid_configuration": f"{other.url}/.well-known/openid-configuration",
                "registration_token": other.registration_token,
            },
            timeout=30,
        )
        refused(r, 409, "openid_configuration", "registered already")
    finally:
        other.close()


def test_registration_is_refused_unless_allowed_and_checked(tool, platform, allow):
    url = f"{platform.url}/.well-known/openid-configuration"
    r = requests.get(f"{tool.url}/lti/register", params={"openid_configuration": url}, timeout=10)
    refused(r, 403, "openid_configuration", "not allowed")
    port = urlparse(platform.url).port
    # Entries are compared as URLs: not a string prefix (another port, another host that starts
    # alike, user info that names the allowed host but connects elsewhere, another path).
    allow(f"http://127.0.0.1:{port}/lms")
    for sneaky in (
        f"http://127.0.0.1:{port}0/.well-known/openid-configuration",
        f"http://127.0.0.1:{port}/lmsx/.well-known/openid-configuration",
        f"http://127.0.0.1:{port}@127.0.0.2:{port}/lms/.well-known/openid-configuration",
        f"http://user@127.0.0.1:{port}/lms/.well-known/openid-configuration",
    ):
        r = requests.get(f"{tool.url}/lti/register", params={"openid_configuration": sneaky}, timeout=10)
        refused(r, 403, "openid_configuration", "not allowed")
    allow("*")
    # A configuration whose issuer is not its URL's prefix (a platform impersonating another).
    bad = Platform()
    bad.issuer = "https://moodle.example"
    r = requests.get(
        f"{tool.url}/lti/register",
        params={"openid_configuration": f"{bad.url}/.well-known/openid-configuration"},
        timeout=10,
    )
    refused(r, 502, "openid_configuration", "issuer")
    bad.close()
    # A wrong registration token: the platform refuses, the tool says so.
    r = requests.get(
        f"{tool.url}/lti/register",
        params={"openid_configuration": url, "registration_token": "wrong"},
        timeout=10,
    )
    refused(r, 502, "openid_configuration", "registration")
    # Endpoints elsewhere than the configuration's origin (keys the tool would trust, a URL
    # it would post to) are refused unless allowed; what a platform answers is never echoed.
    odd = Platform()
    try:
        for key in ("jwks_uri", "token_endpoint", "registration_endpoint"):
            odd.config_overrides = {key: "http://127.0.0.2:9/x"}
            r = requests.get(
                f"{tool.url}/lti/register",
                params={"openid_configuration": f"{odd.url}/.well-known/openid-configuration"},
                timeout=10,
            )
            refused(r, 502, "openid_configuration", key)
        odd.config_overrides = {}
        odd.registration_answer = ("secret-internal-detail", 400)
        r = requests.get(
            f"{tool.url}/lti/register",
            params={
                "openid_configuration": f"{odd.url}/.well-known/openid-configuration",
                "registration_token": odd.registration_token,
            },
            timeout=10,
        )
        body = refused(r, 502, "openid_configuration", "HTTP 400")
        assert "secret-internal-detail" not in json.dumps(body)
    finally:
        odd.close()


def test_registration_urls_compare_as_urls():
    from service.lti.registration import allowed, is_prefix

    assert is_prefix("https://lms.example", "https://lms.example/mod/lti/openid-configuration.php")
    assert is_prefix("https://lms.example/", "https://lms.example:443/x")
    assert not is_prefix("https://lms.example", "https://lms.example.evil.com/x")
    assert not is_prefix("https://lms.example/a", "https://lms.example/ab/x")
    assert not is_prefix("https://lms.example", "http://lms.example/x")
    assert not allowed("https://lms.example@evil.com/x", ["https://lms.example"])
    assert not allowed("javascript:alert(1)", ["*"])
    assert allowed("https://any.example/x", ["*"]) and not allowed("https://any.example/x", ["*"], wildcard=False)


# ----- the store shared by workers --------------------------------------------------------------


def single_use(store) -> None:
    """Of many concurrent pops of one nonce, exactly one gets it."""
    store.set("nonce-x", True, exp=60)
    got = []
    threads = [threading.Thread(target=lambda: got.append(store.pop("nonce-x"))) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got.count(True) == 1 and got.count(None) == 15
    assert store.add("key", "first") and not store.add("key", "second") and store.get("key") == "first"
    store.set("short", 1, exp=1)
    time.sleep(1.2)
    assert store.get("short") is None and store.pop("short") is None
    assert store.hadd("listed", "a", {"n": 1}) and store.hadd("listed", "b", {"n": 2})
    assert not store.hadd("listed", "a", {"n": 9})  # never overwritten
    assert store.hadd("listee", "c", {"n": 3}) and store.add("listed:d", {"n": 4})
    assert sorted(v["n"] for v in store.hvalues("listed")) == [1, 2]


def test_sqlite_store_is_single_use_across_threads(tmp_path):
    single_use(SqliteStore(str(tmp_path / "s.db")))
    assert isinstance(open_store(f"sqlite://{tmp_path}/t.db"), SqliteStore)
    with pytest.raises(ValueError, match="ACTFN_LTI_STORAGE"):
        open_store("mysql://x")


@pytest.fixture
def redis_url(tmp_path):
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed (make test installs it as root: apt-get install redis-server)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


def two_replicas_share_logins(url: str, platform: Platform) -> None:
    """Two app instances on one store (as two workers or replicas): one key, and a login
    answered by one launches on the other, once."""
    apps = [
        create_app(
            {
                "TESTING": True,
                "RATE_LIMIT_ENABLED": False,
                "LTI_PLATFORMS": json.dumps(platform.tool_config()),
                "LTI_STORAGE": url,
            }
        )
        for _ in range(2)
    ]
    one, two = (a.test_client() for a in apps)
    assert one.get("/lti/jwks").get_json() == two.get("/lti/jwks").get_json()  # one shared key
    r = one.post("/lti/login", data=platform.login_params("http://localhost/lti/launch"))
    auth = {k: v[0] for k, v in parse_qs(urlparse(r.headers["Location"]).query).items()}
    token = platform.id_token(auth, custom={"kind": "explorer"})
    assert two.post("/lti/launch", data={"id_token": token, "state": auth["state"]}).status_code == 303
    assert one.post("/lti/launch", data={"id_token": token, "state": auth["state"]}).status_code == 401


def test_sqlite_store_is_shared_by_two_apps_on_one_host(tmp_path, platform):
    two_replicas_share_logins(f"sqlite://{tmp_path}/shared.db", platform)


def test_redis_store_is_single_use_and_shared_by_two_apps(redis_url, platform):
    """With Redis (the deployment's), a login answered by one replica launches on another."""
    single_use(open_store(redis_url))
    assert isinstance(open_store(redis_url), RedisStore)
    two_replicas_share_logins(redis_url, platform)

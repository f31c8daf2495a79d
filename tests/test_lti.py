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
from ltiplatform import DL, INSTRUCTOR, LTI, Platform, Server, new_key, pem

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
        activity["count"],
        _seed(activity, {"sub": sub, "iss": iss}, tool.app.extensions["actfn_lti"].get().secret),
        topics,
        activity.get("difficulty"),
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
        "graded": "true",
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
    # Not recorded: no marks and no score (else a student could correct answer by answer), the
    # answers kept in a form that submits them again.
    assert r.status_code == 502 and "not recorded" in r.text and "1 / 2" not in r.text and "Right" not in r.text
    assert "Submit again" in r.text and hidden(r.text, "a0") == form["a0"]


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


def store_of(tool: Server):
    return tool.app.extensions["actfn_lti"].get().store


def forget_keys(tool: Server, platform: Platform) -> None:
    """Drop the tool's cached copy of the platform's JWKS and its refetch allowance."""
    from service.lti.tool import _digest

    store = store_of(tool)
    url = f"{platform.url}/jwks"
    store.delete("jwks:" + _digest(url))
    store.delete("jwks-refetch:" + _digest(url))


def graded_launch(browser: Browser, platform: Platform, sub: str, link: str, custom: dict, **claims):
    auth = browser.login(login_hint=sub)
    return browser.launch(
        platform.id_token(
            auth, sub=sub, custom=custom, lineitem=f"{platform.url}/lineitems/{link}", resource_link=link, **claims
        ),
        auth["state"],
    )


def test_a_graded_quiz_takes_one_attempt_and_does_not_show_the_answers(browser, tool, platform):
    """A graded link: one attempt per student (a second launch or a replayed form is a 409),
    its result says right or not right without the expected answers (a classmate would copy
    them); a practice link (no grade service) may be retried and shows them."""
    custom = {"kind": "quiz", "count": "3", "seed": "41", "per_student": "false", "title": "Once"}
    r = graded_launch(browser, platform, "once-1", "link-once", custom)
    assert r.status_code == 200, r.text
    launch_id = hidden(r.text, "launch_id")
    form, _ = answers_for(tool, custom, "once-1", platform.issuer, right=1)
    r = browser.post("/lti/attempt", {"launch_id": launch_id, **form})
    assert r.status_code == 200 and "1 / 3" in r.text and "sent to the course gradebook" in r.text
    quiz = tool.app.extensions["actfn_quiz"]
    for q in quiz.generate(3, 41, (), None):
        assert "the answer is" not in r.text and q.explanation not in unescape(r.text)
    refused(browser.post("/lti/attempt", {"launch_id": launch_id, **form}), 409, "launch_id", "already submitted")
    refused(graded_launch(browser, platform, "once-1", "link-once", custom), 409, "id_token", "already submitted")
    # Another student, or the same student on another link, is not affected.
    assert graded_launch(browser, platform, "once-2", "link-once", custom).status_code == 200
    assert graded_launch(browser, platform, "once-1", "link-twice", custom).status_code == 200
    # Practice: no AGS claim.
    for _ in range(2):
        auth = browser.login(login_hint="practice")
        r = browser.launch(
            platform.id_token(
                auth, sub="practice", custom=custom, **{"https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": None}
            ),
            auth["state"],
        )
        assert r.status_code == 200, r.text
        r = browser.post("/lti/attempt", {"launch_id": hidden(r.text, "launch_id"), **form})
        assert r.status_code == 200 and "the answer is" in r.text and "1 / 3" in r.text


def test_practice_links_are_not_graded_and_launched_quizzes_are_not_the_public_seed(browser, tool, platform):
    """A link the teacher added as practice (graded=false) is practice although the platform
    grants AGS on every launch, as Moodle and Canvas do; so is a launch whose AGS grants no
    column (score scope only, no lineitem). And a launched quiz is not the public quiz of its
    seed: GET /v1/quiz/questions?seed=…&include_answers=true does not give its answer key."""
    practice = {"kind": "quiz", "count": "3", "seed": "41", "per_student": "false", "graded": "false"}
    score_only = {
        "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
        "lineitems": f"{platform.url}/lineitems",
    }
    for custom, claims in (
        (practice, {}),
        ({**practice, "graded": "true"}, {"https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": score_only}),
    ):
        before = len(platform.scores)
        for _ in range(2):
            auth = browser.login(login_hint="p-1")
            r = browser.launch(
                platform.id_token(auth, sub="p-1", custom=custom, resource_link="link-p", **claims), auth["state"]
            )
            assert r.status_code == 200 and "gradebook" not in r.text, r.text
            form, _ = answers_for(tool, custom, "p-1", platform.issuer, right=2)
            r = browser.post("/lti/attempt", {"launch_id": hidden(r.text, "launch_id"), **form})
            assert r.status_code == 200 and "2 / 3" in r.text and "the answer is" in r.text
        assert len(platform.scores) == before
    shown = re.findall(r'<p id="q\d">(.*?)</p>', r.text) or re.findall(r"<li>\s*<p>(.*?)</p>", r.text)
    public = tool.app.test_client().get("/v1/quiz/questions?count=3&seed=41").get_json()["questions"]
    assert shown and [unescape(t) for t in shown] != [q["text"] for q in public]


def test_line_item_pages_are_bounded_and_stay_on_the_platform(browser, tool, platform):
    """Finding a link's column follows at most 20 pages, and never a next page on another
    origin (it would get the access token): the score is refused with a 502, promptly."""
    custom = {"kind": "quiz", "count": "1", "seed": "2", "per_student": "false"}
    for next_page in (lambda n: f"{platform.url}/lineitems?p={n}", lambda n: "http://127.0.0.2:9/steal"):
        platform.next_page, platform.lineitem_pages = next_page, 0
        try:
            auth = browser.login(login_hint="pages")
            r = browser.launch(
                platform.id_token(auth, sub="pages", custom=custom, resource_link="link-pages"), auth["state"]
            )
            form, _ = answers_for(tool, custom, "pages", platform.issuer, right=1)
            r = browser.post("/lti/attempt", {"launch_id": hidden(r.text, "launch_id"), **form})
        finally:
            platform.next_page = None
        assert r.status_code == 502 and "not recorded" in r.text
        assert 1 <= platform.lineitem_pages <= 20


def test_a_platform_that_dribbles_its_answer_meets_the_deadline(browser, tool, platform, monkeypatch):
    from flask import Response

    from service.lti import tool as lti_tool

    monkeypatch.setattr(lti_tool, "PLATFORM_DEADLINE", 1)

    def dribble():
        for _ in range(40):
            time.sleep(0.2)
            yield b" "

    forget_keys(tool, platform)
    platform.jwks_answer = Response(dribble(), mimetype="application/json")
    try:
        auth = browser.login()
        start = time.monotonic()
        r = browser.launch(platform.id_token(auth), auth["state"])
    finally:
        platform.jwks_answer = None
        forget_keys(tool, platform)
    refused(r, 502, "id_token", "took over 1 s")
    assert time.monotonic() - start < 6  # not the 8 s the platform would take


def test_the_redirect_uri_is_the_launch_url_without_the_target_query(browser, tool, platform):
    target = f"{tool.url}/lti/launch?from=lms"
    r = requests.post(f"{tool.url}/lti/login", data=platform.login_params(target), allow_redirects=False, timeout=10)
    auth = Platform.authorization(r.headers["Location"])
    assert auth["redirect_uri"] == f"{tool.url}/lti/launch"
    token = platform.id_token(auth, custom={"kind": "explorer"}, **{LTI + "target_link_uri": target})
    assert browser.launch(token, auth["state"]).status_code == 303
    auth = browser.login()
    refused(browser.launch(platform.id_token(auth, azp="someone-else"), auth["state"]), 401, "id_token", "azp")


def test_a_score_the_gradebook_refused_may_be_submitted_again(browser, tool, platform):
    custom = {"kind": "quiz", "count": "2", "seed": "8", "per_student": "false"}
    r = graded_launch(browser, platform, "retry-1", "link-retry", custom)
    launch_id = hidden(r.text, "launch_id")
    form, _ = answers_for(tool, custom, "retry-1", platform.issuer, right=2)
    platform.fail_scores = True
    try:
        r = browser.post("/lti/attempt", {"launch_id": launch_id, **form})
    finally:
        platform.fail_scores = False
    assert r.status_code == 502 and "HTTP 503" in r.text and "gradebook unavailable" not in r.text
    r = browser.post("/lti/attempt", {"launch_id": launch_id, **form})
    assert r.status_code == 200 and "2 / 2" in r.text and platform.scores[-1]["userId"] == "retry-1"


def test_access_tokens_are_cached_per_registration():
    """Two registrations of one issuer (two client_ids, or two token URLs) never share a
    cached service token."""
    from pylti1p3.registration import Registration

    from service.lti.tool import Connector

    def key(client: str, token_url: str) -> str:
        reg = Registration().set_issuer("https://lms.example").set_client_id(client).set_auth_token_url(token_url)
        return Connector(reg)._scope_key(["b", "a"])

    one = key("c1", "https://lms.example/token")
    assert one == key("c1", "https://lms.example/token")
    assert one != key("c2", "https://lms.example/token") and one != key("c1", "https://lms.example/token2")


def test_a_learner_gets_no_deep_linking_picker_and_a_pick_is_answered_once(browser, platform):
    auth = browser.login()
    r = browser.launch(platform.id_token(auth, message="LtiDeepLinkingRequest"), auth["state"])
    refused(r, 403, "id_token", "instructor")
    auth = browser.login(login_hint="teacher-2")
    r = browser.launch(
        platform.id_token(auth, sub="teacher-2", roles=(INSTRUCTOR,), message="LtiDeepLinkingRequest"), auth["state"]
    )
    choice = {"launch_id": hidden(r.text, "launch_id"), "kind": "explorer", "activations": ["relu"]}
    refused(browser.post("/lti/attempt", {"launch_id": choice["launch_id"]}), 403, "launch_id", "not a resource link")
    assert browser.post("/lti/deep-link", choice).status_code == 200
    refused(browser.post("/lti/deep-link", choice), 409, "launch_id", "already answered")


def test_launch_claims_that_are_malformed_are_refused_with_a_4xx(browser, platform):
    """A validly signed token whose claims the tool cannot use: 422 naming the claim, never a
    500; message types the tool does not offer are refused."""
    cases = [
        (
            {
                "message": "LtiSubmissionReviewRequest",
                LTI + "for_user": {"user_id": "student-1"},
                "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
                    "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
                    "lineitem": f"{platform.url}/lineitems/x",
                },
            },
            422,
            "id_token",
            "LtiResourceLinkRequest",
        ),
        ({LTI + "custom": ["kind", "quiz"]}, 422, "custom", "object"),
        ({LTI + "roles": "Instructor"}, 422, "id_token", "roles"),
        ({"https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": "everything"}, 422, "id_token", "AGS"),
        (
            {"https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {"scope": "x", "lineitems": 3}},
            422,
            "id_token",
            "AGS",
        ),
        ({"sub": 42}, 401, "id_token", "subject must be a string"),
        ({"exp": None}, 401, "id_token", "exp"),
        ({"iat": None}, 401, "id_token", "iat"),
        ({"iat": int(time.time()) + 600}, 401, "id_token", "iat"),
    ]
    for claims, status, field, words in cases:
        auth = browser.login()
        extra = dict(claims)
        message = extra.pop("message", "LtiResourceLinkRequest")
        token = platform.id_token(auth, message=message, **extra)
        refused(browser.launch(token, auth["state"]), status, field, words)
    for settings in (None, {"accept_types": ["ltiResourceLink"]}, {"deep_link_return_url": "javascript:alert(1)"}):
        auth = browser.login(login_hint="teacher-1")
        token = platform.id_token(
            auth, roles=(INSTRUCTOR,), message="LtiDeepLinkingRequest", **{DL + "deep_linking_settings": settings}
        )
        r = browser.launch(token, auth["state"])
        assert r.status_code in (401, 422) and r.headers["Content-Type"].startswith("application/problem+json"), r.text
    # Claims PyJWT would not even encode: signed as raw JWS.
    for iss in (42, ["x"], {"a": 1}):
        auth = browser.login()
        claims = {**jwt.decode(platform.id_token(auth), options={"verify_signature": False}), "iss": iss}
        token = jwt.api_jws.encode(
            json.dumps(claims).encode(), pem(platform.key), algorithm="RS256", headers={"kid": platform.kid}
        )
        refused(browser.launch(token, auth["state"]), 401, "id_token", "iss")
    # A payload that is JSON but not an object.
    auth = browser.login()
    header = platform.id_token(auth).split(".")[0]
    body = jwt.utils.base64url_encode(b"[1, 2]").decode()
    refused(browser.launch(f"{header}.{body}.c2ln", auth["state"]), 401, "id_token", "JSON objects")


def test_clock_skew_within_a_minute_is_accepted(browser, platform):
    auth = browser.login()
    now = int(time.time())
    late = platform.id_token(auth, exp=now - 30, iat=now - 300, custom={"kind": "explorer"})
    assert browser.launch(late, auth["state"]).status_code == 303
    auth = browser.login()
    early = platform.id_token(auth, iat=now + 30, custom={"kind": "explorer"})
    assert browser.launch(early, auth["state"]).status_code == 303


def test_several_audiences_with_our_client_as_azp_are_accepted(browser, platform):
    auth = browser.login()
    both = platform.id_token(
        auth, aud=["another-tool", platform.client_id], azp=platform.client_id, custom={"kind": "explorer"}
    )
    assert browser.launch(both, auth["state"]).status_code == 303
    auth = browser.login()
    no_azp = platform.id_token(auth, aud=[platform.client_id, "another-tool"], azp=None)
    refused(browser.launch(no_azp, auth["state"]), 401, "id_token", "azp")


def test_nonce_and_target_are_bound_to_the_login(browser, tool, platform):
    """A nonce issued to one login does not pass with another login's state; the login's
    target must be this tool's launch URL, and the id_token's target_link_uri the login's."""
    first, second = browser.login(), browser.login()
    crossed = platform.id_token(first, custom={"kind": "explorer"})
    refused(browser.launch(crossed, second["state"]), 401, "id_token", "nonce")
    r = requests.post(
        f"{tool.url}/lti/login",
        data=platform.login_params("https://evil.example/lti/launch"),
        allow_redirects=False,
        timeout=10,
    )
    refused(r, 422, "target_link_uri", "launch URL")
    r = requests.post(
        f"{tool.url}/lti/login", data=platform.login_params(f"{tool.url}/elsewhere"), allow_redirects=False, timeout=10
    )
    refused(r, 422, "target_link_uri", "launch URL")
    auth = browser.login()
    moved = platform.id_token(auth, **{LTI + "target_link_uri": f"{tool.url}/lti/launch?x=1"})
    refused(browser.launch(moved, auth["state"]), 401, "id_token", "target_link_uri")


def test_platform_keys_rotate_and_bad_key_sets_are_not_kept(browser, tool, platform):
    """A rotated key is fetched again (once per 10 s per URL, however many made-up kids
    arrive); a key set answered with an error, not JSON, or too large is a 502 and is not
    cached; nothing the platform answered is echoed."""
    forget_keys(tool, platform)
    old_key, old_kid = platform.key, platform.kid
    try:
        auth = browser.login()
        assert browser.launch(platform.id_token(auth, custom={"kind": "explorer"}), auth["state"]).status_code == 303
        platform.key, platform.kid = new_key(), "platform-key-2"
        hits = platform.jwks_hits
        auth = browser.login()
        assert browser.launch(platform.id_token(auth, custom={"kind": "explorer"}), auth["state"]).status_code == 303
        assert platform.jwks_hits == hits + 1
        for i in range(3):
            auth = browser.login()
            refused(
                browser.launch(platform.id_token(auth, kid=f"made-up-{i}"), auth["state"]), 401, "id_token", "signature"
            )
        assert platform.jwks_hits == hits + 1
        for answer, words in (
            (("secret-detail", 500), "HTTP 500"),
            (("<html>secret-detail</html>", 200), "JWKS"),
            (({"keys": "secret-detail"}, 200), "JWKS"),
            (("x" * (2 << 20), 200), "bytes"),
        ):
            forget_keys(tool, platform)
            platform.jwks_answer = answer
            auth = browser.login()
            body = refused(browser.launch(platform.id_token(auth), auth["state"]), 502, "id_token", words)
            assert "secret-detail" not in json.dumps(body)
        platform.jwks_answer = None
        auth = browser.login()  # nothing bad was cached: the next launch fetches the real set
        assert browser.launch(platform.id_token(auth, custom={"kind": "explorer"}), auth["state"]).status_code == 303
    finally:
        platform.jwks_answer = None
        platform.key, platform.kid = old_key, old_kid
        forget_keys(tool, platform)


def test_an_unreachable_store_is_a_503(platform):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there
    app = create_app(
        {
            "TESTING": True,
            "RATE_LIMIT_ENABLED": False,
            "LTI_PLATFORMS": json.dumps(platform.tool_config()),
            "LTI_STORAGE": f"redis://127.0.0.1:{port}/0",
        }
    )
    r = app.test_client().post("/lti/login", data=platform.login_params("http://localhost/lti/launch"))
    assert r.status_code == 503 and r.mimetype == "application/problem+json", r.data
    assert "storage" in r.get_json()["detail"]


def test_the_default_sqlite_file_is_private(tmp_path, monkeypatch):
    import os
    import stat
    import tempfile

    from service.lti import store as lti_store

    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    path = lti_store.default_sqlite_path()
    SqliteStore(path).set("k", 1)
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    os.chmod(os.path.dirname(path), 0o777)  # someone opened it up: refused, not used
    with pytest.raises(lti_store.StoreUnavailable, match="private"):
        lti_store.default_sqlite_path()


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

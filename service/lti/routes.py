"""The LTI 1.3 endpoints under ``/lti``: OIDC login, launch, JWKS, deep linking, the graded
attempt (score sent back through AGS) and dynamic registration.

Pages are HTML for the person in the LMS's iframe; refusals are problem+json naming the field.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import marshmallow as ma
import requests
from flask import current_app, redirect, render_template, request
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.exception import LtiException
from pylti1p3.grade import Grade
from pylti1p3.lineitem import LineItem

from ..api import problems
from ..api.blueprint import Blueprint
from ..api.schemas import ProblemSchema
from ..teaching.quiz import DIFFICULTIES, TOPICS, QuizError
from . import registration
from .schemas import (
    JwksSchema,
    LtiActivitySchema,
    LtiAttemptSchema,
    LtiDeepLinkSchema,
    LtiLaunchSchema,
    LtiLoginSchema,
    LtiRegisterSchema,
)
from .store import StoreUnavailable
from .tool import Launch, LtiError, PlatformTooSlowOrLarge, Tool

log = logging.getLogger("actfn.lti")

blp = Blueprint(
    "lti",
    __name__,
    url_prefix="/lti",
    template_folder="templates",
    description="LTI 1.3 tool: an LMS (Moodle, Canvas, Blackboard, Brightspace) launches the explorer and "
    "graded quizzes, picks them by deep linking and gets scores back (AGS). Browser endpoints: they answer "
    "HTML pages and redirects; refusals are problem+json.",
)

CUSTOM = "https://purl.imsglobal.org/spec/lti/claim/custom"
RESOURCE_LINK = "https://purl.imsglobal.org/spec/lti/claim/resource_link"
AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
HTML = {"text/html": {"schema": {"type": "string"}}}


def _tool() -> Tool:
    return current_app.extensions["actfn_lti"].get()


def _base() -> str:
    return current_app.config["LTI_BASE_URL"] or request.url_root.rstrip("/")


def _refusals(*codes: int):
    """Document problem+json refusals on an operation."""
    reasons = {
        401: "the id_token or launch does not authenticate (signature, expiry, audience, state, nonce)",
        403: "an unknown platform (issuer, client_id or deployment), a role that may not do this, or "
        "registration not allowed",
        409: "done already: this student's graded attempt was submitted, this deep-linking launch was used, "
        "or this platform is registered",
        502: "the platform did not answer as LTI requires",
        503: "the LTI storage (Redis or the SQLite file) is unavailable",
    }

    def decorator(view):
        for code in codes:
            view = blp.alt_response(
                code, schema=ProblemSchema, content_type=problems.MEDIA_TYPE, description=reasons[code]
            )(view)
        return view

    return decorator


@blp.errorhandler(LtiError)
def _refused(error: LtiError):
    return problems.problem(error.status, error.message, {error.field: [error.message]} if error.field else None)


@blp.errorhandler(StoreUnavailable)
def _store_down(error: StoreUnavailable):
    log.error("LTI storage unavailable: %s", error.__cause__ or error)
    return problems.problem(503, "The LTI storage is unavailable: try again in a moment")


def _may_design(message: Launch) -> bool:
    """An instructor or content developer of the course (who may add a link), not a learner."""
    return message.check_teacher_access() or message.check_designer_access()


def _page(template: str, status: int = 200, **context):
    response = current_app.response_class(render_template(template, **context), status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    # Shown inside the LMS's iframe: no frame-ancestors restriction, but no referrer to it.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# ----- login, launch, keys ----------------------------------------------------------------------


@blp.route("/login", operation_id="lti_login_get", methods=["GET"])
@blp.arguments(LtiLoginSchema(), location="query", unknown=ma.EXCLUDE)
@blp.doc(responses={"302": {"description": "to the platform's authorisation endpoint (state and nonce issued)"}})
@_refusals(403, 503)
def login_get(args):
    """OIDC login initiation (GET).

    The platform names itself (iss, client_id); the tool answers with a redirect to the
    platform's authorisation endpoint carrying a single-use state and nonce (LTI 1.3 §5.1.1).
    target_link_uri must be this tool's /lti/launch.
    """
    return _tool().login(args, f"{_base()}/lti/launch")


@blp.route("/login", operation_id="lti_login", methods=["POST"])
@blp.arguments(LtiLoginSchema(), location="form", unknown=ma.EXCLUDE)
@blp.doc(responses={"302": {"description": "to the platform's authorisation endpoint (state and nonce issued)"}})
@_refusals(403, 503)
def login_post(args):
    """OIDC login initiation (POST).

    The same as the GET, with the parameters as a form, as Moodle and Canvas send them.
    """
    return _tool().login(args, f"{_base()}/lti/launch")


@blp.route("/launch", operation_id="lti_launch", methods=["POST"])
@blp.arguments(LtiLaunchSchema(), location="form", unknown=ma.EXCLUDE)
@blp.doc(
    responses={
        "200": {"description": "the quiz, or the deep-linking picker for a teacher", "content": HTML},
        "303": {"description": "to the explorer page showing the link's activations"},
    }
)
@_refusals(401, 403, 502, 503)
def launch(args):
    """Launch: the platform's id_token, then the linked activity.

    The id_token is validated (signature against the platform's JWKS, issuer, audience,
    expiry, deployment, single-use state and nonce). A deep-linking request shows the teacher
    the picker (403 for a learner); a resource link opens its quiz, or redirects to the
    explorer. Other message types are refused (422).
    """
    tool = _tool()
    message = tool.launch(args)
    if message.is_deep_link_launch():
        if not _may_design(message):
            raise LtiError(403, "Only an instructor or content developer of the course can add this tool", "id_token")
        return _page(
            "pick.html",
            launch_id=message.get_launch_id(),
            topics=TOPICS,
            difficulties=DIFFICULTIES,
            max_count=current_app.config["LIMITS"].max_quiz_questions,
            seed=secrets.randbelow(2**31),
        )
    data = message.get_launch_data()
    activity = _activity(data.get(CUSTOM) or {})
    if activity["kind"] == "explorer":
        return redirect(_explorer_url(activity), code=303)
    return _quiz_page(message, activity)


@blp.route("/jwks", operation_id="lti_jwks", methods=["GET"])
@blp.response(200, JwksSchema())
def jwks():
    """The tool's public keys (JWKS).

    Platforms check the tool's deep-linking responses and service-token requests with them.
    """
    return _tool().jwks()


# ----- activities -------------------------------------------------------------------------------


def _activity(custom: Any) -> dict:
    """The link's custom parameters as an activity (refused with a clear error when a teacher
    or the platform edited them into something invalid)."""
    if not isinstance(custom, dict):
        raise LtiError(422, "The id_token's custom claim must be an object of parameters", "custom")
    try:
        return LtiActivitySchema(unknown=ma.EXCLUDE).load({k: v for k, v in custom.items() if isinstance(v, str)})
    except ma.ValidationError as e:
        raise LtiError(
            422,
            "This link's custom parameters are invalid: " + problems._summary(problems.flatten(e.messages)),
            "custom",
        ) from None


def _explorer_url(activity: dict) -> str:
    return "/#" + urlencode({"a": ",".join(activity["activations"]), "depth": activity["depth"]}, safe=",")


def _seed(activity: dict, data: Mapping[str, Any], secret: bytes) -> int:
    """The quiz's seed as drawn for this link: an HMAC under the tool's secret of the teacher's
    seed, the platform and (each student their own) the user, so that nobody can ask
    ``GET /v1/quiz/questions?include_answers=true`` for a launched quiz's answer key."""
    who = data.get("sub") if activity["per_student"] else ""
    message = json.dumps([activity["seed"], data.get("iss"), who]).encode()
    return int.from_bytes(hmac.new(secret, message, hashlib.sha256).digest()[:4], "big") >> 1


def _questions(activity: dict, data: Mapping[str, Any], field: str = "custom"):
    quiz = current_app.extensions["actfn_quiz"]
    topics = tuple(dict.fromkeys(activity.get("topics") or ()))
    cap = current_app.config["LIMITS"].max_quiz_questions
    if activity["count"] > cap:
        raise LtiError(422, f"count={activity['count']} is over max_quiz_questions={cap}", field)
    try:
        return quiz.generate(
            activity["count"], _seed(activity, data, _tool().secret), topics, activity.get("difficulty")
        )
    except QuizError as e:
        raise LtiError(422, f"This quiz cannot be built: {e}", field) from None


def _graded(message: Launch, activity: dict) -> bool:
    """A launch whose score goes to a gradebook: the link is not practice (deep linking stored
    ``graded``; a link without it counts as graded), the platform granted the score scope and
    a column exists or may be made (a ``lineitem``, or the line-item scope), for a known user."""
    if activity.get("graded") is False:
        return False
    data: dict[str, Any] = dict(message.get_launch_data())
    endpoint = data.get(AGS_ENDPOINT) or {}
    scope = endpoint.get("scope") or []
    column = bool(endpoint.get("lineitem")) or "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem" in scope
    return (
        isinstance(data.get("sub"), str) and "https://purl.imsglobal.org/spec/lti-ags/scope/score" in scope and column
    )


def _attempt_key(data: Mapping[str, Any]) -> str:
    """One graded attempt per student per link: (issuer, client, deployment, link, user)."""
    parts = [
        data.get("iss"),
        data.get("aud") if isinstance(data.get("aud"), str) else data.get("azp"),
        data.get("https://purl.imsglobal.org/spec/lti/claim/deployment_id"),
        (data.get(RESOURCE_LINK) or {}).get("id"),
        data.get("sub"),
    ]
    return "attempt:" + hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def _quiz_page(message: Launch, activity: dict):
    data = message.get_launch_data()
    graded = _graded(message, activity)
    if graded and _tool().store.get(_attempt_key(data)) is not None:
        raise LtiError(
            409, "You have already submitted this graded quiz; your score is in the course gradebook", "id_token"
        )
    questions = _questions(activity, data)
    return _page(
        "quiz.html",
        title=activity.get("title") or "Activation functions quiz",
        launch_id=message.get_launch_id(),
        questions=[q.public(False) for q in questions],
        graded=graded,
    )


# ----- deep linking -----------------------------------------------------------------------------


@blp.route("/deep-link", operation_id="lti_deep_link", methods=["POST"])
@blp.arguments(LtiDeepLinkSchema(), location="form", unknown=ma.EXCLUDE)
@blp.doc(
    responses={
        "200": {"description": "a form that posts the signed content item back to the platform", "content": HTML}
    }
)
@_refusals(401, 403, 409, 503)
def deep_link(args):
    """Deep linking: the teacher's pick, returned to the platform.

    The answer is a page that posts a signed LtiDeepLinkingResponse holding one
    ltiResourceLink (with a lineItem when the quiz is graded) to the platform. Each
    deep-linking launch answers once (409 after).
    """
    launch_id = args.pop("launch_id")
    tool = _tool()
    message = tool.restore(launch_id)
    if not message.is_deep_link_launch():
        raise LtiError(403, "This launch is not a deep-linking request", "launch_id")
    if not _may_design(message):
        raise LtiError(403, "Only an instructor or content developer of the course can add this tool", "launch_id")
    graded = args.pop("graded") and args["kind"] == "quiz"
    if args["kind"] == "quiz":
        _questions(args, {}, "count")  # a count the topics cannot fill is refused now, not at a student's launch
    title = args.get("title") or (
        f"Quiz: {args['count']} questions" if args["kind"] == "quiz" else "Explorer: " + ", ".join(args["activations"])
    )
    custom = {"kind": args["kind"], "title": title}
    if args["kind"] == "quiz":
        custom.update(
            count=str(args["count"]),
            seed=str(args["seed"]),
            per_student=str(args["per_student"]).lower(),
            graded=str(graded).lower(),
        )
        if args.get("topics"):
            custom["topics"] = ",".join(args["topics"])
        if args.get("difficulty"):
            custom["difficulty"] = args["difficulty"]
    else:
        custom.update(activations=",".join(args["activations"]), depth=str(args["depth"]))
    resource = DeepLinkResource().set_url(f"{_base()}/lti/launch").set_title(title).set_custom_params(custom)
    if graded:
        resource.set_lineitem(LineItem().set_label(title).set_score_maximum(args["count"]).set_tag("actfn-quiz"))
    link = message.get_deep_link()
    token = link.get_response_jwt([resource])
    ttl = int(current_app.config.get("LTI_LAUNCH_TTL", 3 * 3600))
    if not tool.store.add(f"deep-link-used:{launch_id}", True, exp=ttl):
        raise LtiError(
            409, "This deep-linking launch was already answered: add the tool again from your course", "launch_id"
        )
    return _page("return.html", url=link._deep_link_settings["deep_link_return_url"], jwt=token)


# ----- the graded attempt -----------------------------------------------------------------------


def _answer(q: dict, raw: str):
    """A form's text as the grader takes it: a number, a choice, or true/false."""
    raw = raw.strip()
    if q["type"] == "numeric":
        try:
            return float(raw.replace(",", ".")) if raw else None
        except ValueError:
            return None
    return raw or None


@blp.route("/attempt", operation_id="lti_attempt", methods=["POST"])
@blp.arguments(LtiAttemptSchema(), location="form")
@blp.doc(responses={"200": {"description": "the marked attempt; the score was sent to the platform", "content": HTML}})
@_refusals(401, 403, 409, 502, 503)
def attempt(args):
    """A student's attempt, graded and sent to the gradebook.

    The launched quiz is graded by the quiz grader and the score sent to the platform through
    AGS (scoreGiven of scoreMaximum, FullyGraded, Completed); 502 when the platform refuses it.
    A graded quiz takes one attempt per student and link (409 after), and its page says which
    answers were right without showing the expected ones; an ungraded (practice) quiz may be
    retried and shows them.
    """
    tool = _tool()
    launch_id = args.pop("launch_id")
    message = tool.restore(launch_id)
    if not message.is_resource_launch():
        raise LtiError(403, "This launch is not a resource link", "launch_id")
    data = message.get_launch_data()
    activity = _activity(data.get(CUSTOM) or {})
    if activity["kind"] != "quiz":
        raise LtiError(403, "This launch is not a quiz", "launch_id")
    graded = _graded(message, activity)
    key = _attempt_key(data)
    if graded and not tool.store.add(key, {"at": datetime.now(UTC).isoformat()}):
        raise LtiError(
            409, "You have already submitted this graded quiz; your score is in the course gradebook", "launch_id"
        )
    sent = False
    try:
        score, marked = _mark(activity, data, args)
        if graded:
            sent, status, problem = _send_score(message, data, score, len(marked), activity)
        else:
            sent, status, problem = (
                False,
                200,
                "This link has no gradebook column (the platform did not grant grade services).",
            )
    finally:
        if graded and not sent:
            tool.store.delete(key)  # no score recorded: the student may submit again
    return _page(
        "result.html",
        status=status,
        title=activity.get("title") or "Activation functions quiz",
        score=score,
        total=len(marked),
        marked=marked,
        sent=sent,
        problem=problem,
        reveal=not graded,
        # A graded attempt the gradebook did not take may be submitted again: no marks shown,
        # or the student could correct answer by answer.
        marks=sent or not graded,
        launch_id=launch_id,
    )


def _mark(activity: dict, data: Mapping[str, Any], form: dict) -> tuple[int, list[dict]]:
    """(score, each question with the answer given and whether it is right), by the grader."""
    quiz = current_app.extensions["actfn_quiz"]
    marked, score = [], 0
    for i, q in enumerate(_questions(activity, data)):
        shown = q.public(True)
        given = _answer(shown, form.get(f"a{i}", ""))
        try:
            correct = given is not None and quiz.grade(q.id, given)["correct"]
        except QuizError:
            correct = False
        score += bool(correct)
        marked.append({**shown, "given": form.get(f"a{i}", ""), "correct": bool(correct)})
    return score, marked


def _send_score(message: Launch, data: dict, score: int, total: int, activity: dict) -> tuple[bool, int, str | None]:
    """(sent, HTTP status of the page, why not). What the platform answered is logged, never
    shown: the page says only that, and with which HTTP status, it refused."""
    ags = message.get_ags()
    grade = (
        Grade()
        .set_score_given(score)
        .set_score_maximum(total)
        .set_timestamp(datetime.now(UTC).isoformat(timespec="milliseconds"))
        .set_activity_progress("Completed")
        .set_grading_progress("FullyGraded")
        .set_user_id(data["sub"])
    )
    lineitem = None
    endpoint = data.get(AGS_ENDPOINT) or {}
    try:
        if not endpoint.get("lineitem"):
            # A link without its own column (added by hand, not by deep linking): find or
            # create this link's column.
            resource = (data.get(RESOURCE_LINK) or {}).get("id")
            wanted = (
                LineItem()
                .set_label(activity.get("title") or "actfn quiz")
                .set_score_maximum(total)
                .set_tag("actfn-quiz")
            )
            if isinstance(resource, str) and resource:
                wanted.set_resource_link_id(resource)
            lineitem = ags.find_or_create_lineitem(wanted, find_by="resource_link_id" if resource else "tag")
        ags.put_grade(grade, lineitem)
    except (LtiException, requests.RequestException, KeyError, TypeError, ValueError, AttributeError) as e:
        response = getattr(e, "response", None)
        status = getattr(response, "status_code", None)
        log.warning("AGS score not sent: %s: %s", type(e).__name__, str(e)[:500])
        if status:
            why = f"the gradebook answered HTTP {status}"
        elif isinstance(e, PlatformTooSlowOrLarge):
            why = f"the gradebook's {e}"
        else:
            why = "the gradebook could not be reached or answered badly"
        return False, 502, f"The platform did not take the score ({why}). Submit again, or tell your teacher."
    return True, 200, None


# ----- dynamic registration ---------------------------------------------------------------------


@blp.route("/register", operation_id="lti_register", methods=["GET"])
@blp.arguments(LtiRegisterSchema(), location="query", unknown=ma.EXCLUDE)
@blp.doc(
    responses={"200": {"description": "registration done: the page tells the platform to close it", "content": HTML}}
)
@_refusals(403, 409, 502, 503)
def register(args):
    """LTI Dynamic Registration.

    Reads the platform's OpenID configuration, registers this tool with it (login, launch
    and JWKS URLs, deep linking, AGS scopes) and remembers the platform. Only for
    configuration URLs ACTFN_LTI_REGISTRATION_ALLOW names.
    """
    url, allow = args["openid_configuration"], current_app.config["LTI_REGISTRATION_ALLOW"]
    if not registration.allowed(url, allow):
        raise LtiError(
            403,
            "Dynamic registration from this platform is not allowed: add its URL to ACTFN_LTI_REGISTRATION_ALLOW",
            "openid_configuration",
        )
    platform = registration.register(_tool(), _base(), url, args.get("registration_token"), allow)
    return _page("registered.html", issuer=platform["issuer"], client_id=platform["conf"]["client_id"])

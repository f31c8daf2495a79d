"""The LTI 1.3 endpoints under ``/lti``: OIDC login, launch, JWKS, deep linking, the graded
attempt (score sent back through AGS) and dynamic registration.

Pages are HTML for the person in the LMS's iframe; refusals are problem+json naming the field.
"""

from __future__ import annotations

import hashlib
import logging
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
from .tool import Launch, LtiError, Tool

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
        403: "an unknown platform (issuer, client_id or deployment), or registration not allowed",
        502: "the platform did not answer as LTI requires",
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
@_refusals(403)
def login_get(args):
    """OIDC login initiation (GET).

    The platform names itself (iss, client_id); the tool answers with a redirect to the
    platform's authorisation endpoint carrying a single-use state and nonce (LTI 1.3 §5.1.1).
    """
    return _tool().login(args)


@blp.route("/login", operation_id="lti_login", methods=["POST"])
@blp.arguments(LtiLoginSchema(), location="form", unknown=ma.EXCLUDE)
@blp.doc(responses={"302": {"description": "to the platform's authorisation endpoint (state and nonce issued)"}})
@_refusals(403)
def login_post(args):
    """OIDC login initiation (POST).

    The same as the GET, with the parameters as a form, as Moodle and Canvas send them.
    """
    return _tool().login(args)


@blp.route("/launch", operation_id="lti_launch", methods=["POST"])
@blp.arguments(LtiLaunchSchema(), location="form", unknown=ma.EXCLUDE)
@blp.doc(
    responses={
        "200": {"description": "the quiz, or the deep-linking picker for a teacher", "content": HTML},
        "303": {"description": "to the explorer page showing the link's activations"},
    }
)
@_refusals(401, 403)
def launch(args):
    """Launch: the platform's id_token, then the linked activity.

    The id_token is validated (signature against the platform's JWKS, issuer, audience,
    expiry, deployment, single-use state and nonce). A deep-linking request shows the teacher
    the picker; a resource link opens its quiz, or redirects to the explorer.
    """
    tool = _tool()
    message = tool.launch(args)
    if message.is_deep_link_launch():
        return _page(
            "pick.html",
            launch_id=message.get_launch_id(),
            topics=TOPICS,
            difficulties=DIFFICULTIES,
            max_count=current_app.config["LIMITS"].max_quiz_questions,
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


def _activity(custom: dict) -> dict:
    """The link's custom parameters as an activity (refused with a clear error when a teacher
    or the platform edited them into something invalid)."""
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


def _seed(activity: dict, data: Mapping[str, Any]) -> int:
    if not activity["per_student"]:
        return activity["seed"]
    digest = hashlib.sha256(f"{activity['seed']}|{data.get('iss')}|{data.get('sub')}".encode()).digest()
    return int.from_bytes(digest[:4], "big") >> 1


def _questions(activity: dict, data: Mapping[str, Any], field: str = "custom"):
    quiz = current_app.extensions["actfn_quiz"]
    topics = tuple(dict.fromkeys(activity.get("topics") or ()))
    cap = current_app.config["LIMITS"].max_quiz_questions
    if activity["count"] > cap:
        raise LtiError(422, f"count={activity['count']} is over max_quiz_questions={cap}", field)
    try:
        return quiz.generate(activity["count"], _seed(activity, data), topics, activity.get("difficulty"))
    except QuizError as e:
        raise LtiError(422, f"This quiz cannot be built: {e}", field) from None


def _quiz_page(message: Launch, activity: dict):
    data = message.get_launch_data()
    questions = _questions(activity, data)
    return _page(
        "quiz.html",
        title=activity.get("title") or "Activation functions quiz",
        launch_id=message.get_launch_id(),
        questions=[q.public(False) for q in questions],
        graded=message.has_ags(),
    )


# ----- deep linking -----------------------------------------------------------------------------


@blp.route("/deep-link", operation_id="lti_deep_link", methods=["POST"])
@blp.arguments(LtiDeepLinkSchema(), location="form", unknown=ma.EXCLUDE)
@blp.doc(
    responses={
        "200": {"description": "a form that posts the signed content item back to the platform", "content": HTML}
    }
)
@_refusals(401)
def deep_link(args):
    """Deep linking: the teacher's pick, returned to the platform.

    The answer is a page that posts a signed LtiDeepLinkingResponse holding one
    ltiResourceLink (with a lineItem when the quiz is graded) to the platform.
    """
    message = _tool().restore(args.pop("launch_id"))
    if not message.is_deep_link_launch():
        raise LtiError(401, "This launch is not a deep-linking request", "launch_id")
    graded = args.pop("graded") and args["kind"] == "quiz"
    if args["kind"] == "quiz":
        _questions(args, {}, "count")  # a count the topics cannot fill is refused now, not at a student's launch
    title = args.get("title") or (
        f"Quiz: {args['count']} questions" if args["kind"] == "quiz" else "Explorer: " + ", ".join(args["activations"])
    )
    custom = {"kind": args["kind"], "title": title}
    if args["kind"] == "quiz":
        custom.update(count=str(args["count"]), seed=str(args["seed"]), per_student=str(args["per_student"]).lower())
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
@_refusals(401, 502)
def attempt(args):
    """A student's attempt, graded and sent to the gradebook.

    The launched quiz is graded by the quiz grader and the score sent to the platform through
    AGS (scoreGiven of scoreMaximum, FullyGraded, Completed); 502 when the platform refuses it.
    """
    message = _tool().restore(args.pop("launch_id"))
    data = message.get_launch_data()
    activity = _activity(data.get(CUSTOM) or {})
    if activity["kind"] != "quiz":
        raise LtiError(401, "This launch is not a quiz", "launch_id")
    quiz = current_app.extensions["actfn_quiz"]
    questions = _questions(activity, data)
    marked, score = [], 0
    for i, q in enumerate(questions):
        shown = q.public(True)
        given = _answer(shown, args.get(f"a{i}", ""))
        try:
            correct = given is not None and quiz.grade(q.id, given)["correct"]
        except QuizError:
            correct = False
        score += bool(correct)
        marked.append({**shown, "given": args.get(f"a{i}", ""), "correct": bool(correct)})
    sent, status, problem = _send_score(message, data, score, len(questions), activity)
    return _page(
        "result.html",
        status=status,
        title=activity.get("title") or "Activation functions quiz",
        score=score,
        total=len(questions),
        marked=marked,
        sent=sent,
        problem=problem,
    )


def _send_score(message: Launch, data: dict, score: int, total: int, activity: dict) -> tuple[bool, int, str | None]:
    """(sent, HTTP status of the page, why not)."""
    if not message.has_ags():
        return False, 200, "This link has no gradebook column (the platform did not grant grade services)."
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
    except (LtiException, requests.RequestException) as e:
        log.warning("AGS score not sent: %s", e)
        return False, 502, f"The platform did not take the score: {e}"
    return True, 200, None


# ----- dynamic registration ---------------------------------------------------------------------


@blp.route("/register", operation_id="lti_register", methods=["GET"])
@blp.arguments(LtiRegisterSchema(), location="query", unknown=ma.EXCLUDE)
@blp.doc(
    responses={"200": {"description": "registration done: the page tells the platform to close it", "content": HTML}}
)
@_refusals(403, 502)
def register(args):
    """LTI Dynamic Registration.

    Reads the platform's OpenID configuration, registers this tool with it (login, launch
    and JWKS URLs, deep linking, AGS scopes) and remembers the platform. Only for
    configuration URLs ACTFN_LTI_REGISTRATION_ALLOW names.
    """
    allowed = current_app.config["LTI_REGISTRATION_ALLOW"]
    url = args["openid_configuration"]
    if not ("*" in allowed or any(url.startswith(prefix) for prefix in allowed)):
        raise LtiError(
            403,
            "Dynamic registration from this platform is not allowed: add its URL to ACTFN_LTI_REGISTRATION_ALLOW",
            "openid_configuration",
        )
    platform = registration.register(_tool(), _base(), url, args.get("registration_token"))
    return _page("registered.html", issuer=platform["issuer"], client_id=platform["conf"]["client_id"])

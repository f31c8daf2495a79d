"""Schemas of the LTI endpoints: what the platform sends (login, launch), what a teacher picks
(deep linking), what a student answers (attempt), and the activity a link carries as custom
parameters (strings, as LTI custom parameters are)."""

import marshmallow as ma
from webargs.fields import DelimitedList

from ..core.catalog import CATALOG
from ..teaching.quiz import DIFFICULTIES, TOPICS

URL = ma.validate.URL(schemes={"http", "https"}, require_tld=False)
MAX_ACTIVATIONS = 6
KINDS = ("quiz", "explorer")
CATALOG_NAMES = frozenset(a.name for a in CATALOG)


class LtiLoginSchema(ma.Schema):
    """OIDC third-party login initiation (LTI 1.3 §5.1.1); other parameters are ignored."""

    iss = ma.fields.String(
        required=True, validate=ma.validate.Length(min=1, max=2048), metadata={"description": "the platform's issuer"}
    )
    login_hint = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=4096))
    target_link_uri = ma.fields.String(required=True, validate=[URL, ma.validate.Length(max=2048)])
    lti_message_hint = ma.fields.String(validate=ma.validate.Length(max=8192))
    client_id = ma.fields.String(validate=ma.validate.Length(min=1, max=1024))
    lti_deployment_id = ma.fields.String(validate=ma.validate.Length(min=1, max=1024))


class LtiLaunchSchema(ma.Schema):
    """The platform's authentication response, posted by the browser (form_post)."""

    id_token = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=65536),
        metadata={"description": "the platform's signed JWT"},
    )
    state = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=512),
        metadata={"description": "the state this tool issued at login"},
    )


class LtiActivitySchema(ma.Schema):
    """What a link opens: a quiz (graded) or the explorer on some activations."""

    kind = ma.fields.String(load_default="explorer", validate=ma.validate.OneOf(KINDS))
    title = ma.fields.String(validate=ma.validate.Length(min=1, max=200))
    topics = DelimitedList(ma.fields.String(validate=ma.validate.OneOf(TOPICS)), validate=ma.validate.Length(min=1))
    difficulty = ma.fields.String(validate=ma.validate.OneOf(DIFFICULTIES))
    count = ma.fields.Integer(
        load_default=10,
        validate=ma.validate.Range(min=1),
        metadata={"description": "quiz questions (at most max_quiz_questions)", "cap": "max_quiz_questions"},
    )
    seed = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=0, max=2**31 - 1))
    per_student = ma.fields.Boolean(
        load_default=True,
        metadata={"description": "each student their own questions (drawn from the seed and their id)"},
    )
    graded = ma.fields.Boolean(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "quiz only: scores go to the gradebook (false: practice); absent: when the platform "
            "grants grade services for the link"
        },
    )
    activations = DelimitedList(
        ma.fields.String(validate=ma.validate.Regexp(r"^[a-z0-9_]{1,40}$")),
        load_default=lambda: ["sigmoid", "relu", "gelu"],
        validate=ma.validate.Length(min=1, max=MAX_ACTIVATIONS),
    )
    depth = ma.fields.Integer(load_default=10, validate=ma.validate.Range(min=1, max=100))

    @ma.validates("activations")
    def _known(self, names, **kwargs):
        unknown = [n for n in names if n not in CATALOG_NAMES]
        if unknown:
            raise ma.ValidationError(f"Not in the catalog: {', '.join(unknown)} (GET /v1/activations lists it).")


class LtiDeepLinkSchema(LtiActivitySchema):
    """The teacher's choice on the deep-linking page."""

    launch_id = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    # One checkbox per topic: the key repeated.
    topics = ma.fields.List(  # type: ignore[assignment]
        ma.fields.String(validate=ma.validate.OneOf(TOPICS)), validate=ma.validate.Length(min=1)
    )
    # An unticked checkbox is not sent: both default to false here.
    graded = ma.fields.Boolean(
        load_default=False, metadata={"description": "quiz only: add a gradebook column (lineItem)"}
    )
    per_student = ma.fields.Boolean(load_default=False, metadata={"description": "each student their own questions"})


class LtiAttemptSchema(ma.Schema):
    """A student's answers: ``a0``, ``a1``, … in the order the quiz showed the questions."""

    class Meta:
        unknown = ma.INCLUDE

    launch_id = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))

    @ma.validates_schema
    def _answers(self, data, **kwargs):
        for key, value in data.items():
            if key == "launch_id":
                continue
            if not (key.startswith("a") and key[1:].isdigit() and len(key) <= 4):
                raise ma.ValidationError("Unknown field: answers are a0, a1, …", key)
            if not isinstance(value, str) or len(value) > 100:
                raise ma.ValidationError("An answer is a string of at most 100 characters.", key)


class LtiRegisterSchema(ma.Schema):
    """LTI Dynamic Registration: the platform opens this page with its configuration's URL."""

    openid_configuration = ma.fields.String(required=True, validate=[URL, ma.validate.Length(max=2048)])
    registration_token = ma.fields.String(validate=ma.validate.Length(max=8192))


class JwksSchema(ma.Schema):
    keys = ma.fields.List(ma.fields.Dict(), metadata={"description": "the tool's public keys (RS256, JWK)"})

"""Quiz: generated questions, stateless grading, LMS exports."""

from __future__ import annotations

import secrets

from flask import current_app

from ...core import LimitExceeded
from ...teaching import export
from ...teaching.quiz import Quiz, available
from ..blueprint import BODY_ERRORS, Blueprint
from .schemas import ExportQuerySchema, GradeRequestSchema, GradeSchema, QuestionsQuerySchema, QuizSchema

blp = Blueprint("quiz", __name__, url_prefix="/v1/quiz", description="Quiz questions, grading and LMS export")


def _quiz() -> Quiz:
    return current_app.extensions["actfn_quiz"]


def _generate(query):
    cap = current_app.config["LIMITS"].max_quiz_questions
    if query["count"] > cap:
        raise LimitExceeded(f"{query['count']} questions exceed max_quiz_questions={cap}", "count")
    seed = query["seed"] if "seed" in query else secrets.randbelow(2**31)
    topics = tuple(dict.fromkeys(query.get("topics") or ()))
    questions = _quiz().generate(query["count"], seed, topics, query.get("difficulty"))
    meta = {
        "seed": seed,
        "topics": list(topics),
        "difficulty": query.get("difficulty"),
        "available": available(topics, query.get("difficulty")),
    }
    return questions, meta


@blp.route("/questions", operation_id="quiz_questions")
@blp.arguments(QuestionsQuerySchema(), location="query")
@blp.response(200, QuizSchema())
def questions(query):
    """Generate questions whose answers the compute core computes.

    Numeric ("what is tanh′(0.5)?", chained gradients), multiple choice (dying ReLU, output
    activations) and true/false (computed properties). The same seed, count, topics and
    difficulty give the same questions, never two alike (same text, choices and answer);
    `available` says how many distinct ones the topics and difficulty hold, and a count above
    it is a 422 naming `count`. Answers are hidden unless `include_answers=true`.
    """
    qs, meta = _generate(query)
    return {**meta, "count": len(qs), "questions": [q.public(query["include_answers"]) for q in qs]}


@blp.route("/grade", methods=["POST"], operation_id="grade_answer")
@blp.arguments(GradeRequestSchema())
@blp.response(200, GradeSchema())
@blp.errors(*BODY_ERRORS)
def grade(body):
    """Grade one answer.

    Stateless: the signed id carries the question, so any worker of any replica grades it; an
    altered or expired id is refused (422). `expected` and `explanation` come back when the
    answer is right or `reveal` is true, so a wrong attempt does not give the answer away."""
    return _quiz().grade(body["id"], body["answer"], reveal=body["reveal"])


EXPORT_DESCRIPTION = "the quiz as a file (answers included); its name in Content-Disposition"


@blp.route("/export", operation_id="export_quiz")
@blp.arguments(ExportQuerySchema(), location="query")
@blp.response(200, description=EXPORT_DESCRIPTION)
@blp.doc(
    responses={
        "200": {
            "description": EXPORT_DESCRIPTION,
            "content": {
                # A file in every format: generated clients read the first type, so bytes first.
                "application/zip": {
                    "schema": {
                        "type": "string",
                        "format": "binary",
                        "description": "format=qti (QTI 2.1 package) or canvas (QTI 1.2 package)",
                    }
                },
                "text/plain": {"schema": {"type": "string", "description": "format=gift"}},
                "application/xml": {"schema": {"type": "string", "description": "format=moodle (Moodle XML)"}},
                "text/markdown": {"schema": {"type": "string", "description": "format=markdown"}},
                "application/json": {"schema": {"type": "object", "description": "format=json"}},
            },
            "headers": {
                "Content-Disposition": {
                    "description": 'attachment; filename="actfn-quiz-<seed>.<ext>"',
                    "schema": {"type": "string"},
                },
                "X-Quiz-Seed": {
                    "description": "the seed used (repeat it to get the same quiz)",
                    "schema": {"type": "integer"},
                },
            },
        }
    }
)
def export_quiz(query):
    """Export a quiz for an LMS.

    `gift` (Moodle: numeric `{#value:tolerance}`, multiple choice `{=right ~wrong}`,
    true/false), `moodle` (Moodle XML: tolerances, feedback, a hint and a penalty per try,
    formulas in TeX, plots as embedded PNGs), `qti` (QTI 2.1: an assessmentTest and its items
    in an IMS content package zip), `canvas` (QTI 1.2 as Canvas imports it), `json`, or
    `markdown` (for chatbots). Answers and explanations are included; no
    question twice."""
    qs, meta = _generate(query)
    fmt = query["format"]
    if fmt == "gift":
        data = export.gift(qs, f"actfn quiz, seed {meta['seed']}")
    elif fmt == "moodle":
        data = export.moodle_xml(qs, meta)
    elif fmt == "qti":
        data = export.qti_package(qs, meta)
    elif fmt == "canvas":
        data = export.canvas_package(qs, meta)
    elif fmt == "json":
        data = export.as_json(qs, meta)
    else:
        data = export.markdown(qs, f"actfn quiz (seed {meta['seed']})")
    response = current_app.response_class(data, mimetype=None, content_type=export.MEDIA_TYPES[fmt])
    response.headers["Content-Disposition"] = (
        f'attachment; filename="actfn-quiz-{meta["seed"]}.{export.EXTENSIONS[fmt]}"'
    )
    response.headers["X-Quiz-Seed"] = str(meta["seed"])
    return response

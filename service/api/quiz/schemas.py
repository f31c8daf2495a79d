"""Schemas of the quiz resource."""

import marshmallow as ma
from webargs.fields import DelimitedList

from ...teaching.export import FORMATS
from ...teaching.quiz import DIFFICULTIES, TOPICS
from ..fields import StrictBoolean


class QuizQuerySchema(ma.Schema):
    count = ma.fields.Integer(
        load_default=10,
        validate=ma.validate.Range(min=1),
        metadata={
            "description": "number of questions (at most max_quiz_questions, see /v1/limits)",
            "cap": "max_quiz_questions",
        },
    )
    seed = ma.fields.Integer(
        validate=ma.validate.Range(min=0, max=2**63 - 1),
        metadata={"description": "same seed (and other arguments) → same questions; omitted: a random seed, returned"},
    )
    topics = DelimitedList(
        ma.fields.String(validate=ma.validate.OneOf(TOPICS)),
        validate=ma.validate.Length(min=1, error="Name at least one topic, or leave topics out for all."),
        metadata={
            "description": f"topics to draw from (all when omitted): {', '.join(TOPICS)}; repeat the key "
            "(topics=a&topics=b) or separate with commas (topics=a,b)"
        },
    )
    difficulty = ma.fields.String(
        validate=ma.validate.OneOf(DIFFICULTIES), metadata={"description": "only questions of this difficulty"}
    )


class QuestionsQuerySchema(QuizQuerySchema):
    include_answers = StrictBoolean(
        text=True, load_default=False, metadata={"description": "add `answer` and `explanation` (an answer key)"}
    )


class ExportQuerySchema(QuizQuerySchema):
    count = ma.fields.Integer(
        load_default=50,
        validate=ma.validate.Range(min=1),
        metadata={"description": "number of questions (at most max_quiz_questions)", "cap": "max_quiz_questions"},
    )
    format = ma.fields.String(
        load_default="gift",
        validate=ma.validate.OneOf(FORMATS),
        metadata={
            "description": "gift (Moodle GIFT), moodle (Moodle XML), qti (QTI 2.1 test and items in an IMS content "
            "package zip), canvas (QTI 1.2 zip as Canvas imports it), json, markdown"
        },
    )


_ANSWER_DOC = {"oneOf": [{"type": "number"}, {"type": "string"}, {"type": "boolean"}]}


class QuestionSchema(ma.Schema):
    id = ma.fields.String(metadata={"description": "stateless, signed: send it back to /v1/quiz/grade"})
    type = ma.fields.String(metadata={"description": "'numeric', 'multiple_choice' or 'true_false'"})
    topic = ma.fields.String()
    difficulty = ma.fields.String()
    title = ma.fields.String(metadata={"description": "what is asked, for a question bank (never the answer)"})
    text = ma.fields.String()
    choices = ma.fields.List(ma.fields.String(), metadata={"description": "multiple choice only"})
    tolerance = ma.fields.Float(metadata={"description": "numeric only: |answer − expected| ≤ tolerance is correct"})
    answer = ma.fields.Raw(metadata={"description": "only with include_answers=true", **_ANSWER_DOC})
    explanation = ma.fields.String(metadata={"description": "only with include_answers=true"})


class QuizSchema(ma.Schema):
    seed = ma.fields.Integer()
    count = ma.fields.Integer()
    available = ma.fields.Integer(
        metadata={"description": "distinct questions these topics and difficulty hold (the most count can ask for)"}
    )
    topics = ma.fields.List(ma.fields.String())
    difficulty = ma.fields.String(allow_none=True)
    questions = ma.fields.List(ma.fields.Nested(QuestionSchema))


class GradeRequestSchema(ma.Schema):
    id = ma.fields.String(
        required=True, metadata={"description": "a question id from /v1/quiz/questions (ids expire; see README)"}
    )
    answer = ma.fields.Raw(
        required=True,
        allow_none=False,
        metadata={
            "description": "a number (numeric), a choice or its 0-based index (multiple choice), true/false",
            **_ANSWER_DOC,
        },
    )
    reveal = StrictBoolean(
        load_default=False,
        metadata={"description": "return the expected answer and explanation even when the answer is wrong"},
    )


class GradeSchema(ma.Schema):
    id = ma.fields.String()
    type = ma.fields.String()
    correct = ma.fields.Boolean()
    answer = ma.fields.Raw(metadata={"description": "the answer as graded", **_ANSWER_DOC})
    revealed = ma.fields.Boolean(metadata={"description": "whether expected and explanation are given"})
    expected = ma.fields.Raw(
        allow_none=True,
        metadata={
            "description": "the right answer (null unless correct or reveal)",
            "oneOf": [*_ANSWER_DOC["oneOf"], {"type": "null"}],
        },
    )
    tolerance = ma.fields.Float(allow_none=True)
    explanation = ma.fields.String(allow_none=True, metadata={"description": "null unless correct or reveal"})

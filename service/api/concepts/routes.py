"""Concepts: short explanations, each with the requests and numbers that illustrate it."""

from __future__ import annotations

import marshmallow as ma

from ...core.errors import UnknownResource
from ...teaching.concepts import CONCEPTS
from ..blueprint import Blueprint

blp = Blueprint("concepts", __name__, url_prefix="/v1/concepts", description="Teaching concepts")


class IllustrationSchema(ma.Schema):
    label = ma.fields.String()
    value = ma.fields.Raw(
        metadata={
            "description": "the number (or list, or flag) the request returns",
            "anyOf": [
                {"type": ["number", "string", "boolean", "null"]},
                {"type": "array", "items": {"type": ["number", "boolean", "null"]}},
            ],
        }
    )
    request = ma.fields.Dict(metadata={"description": "method, path and (for POST) body that reproduce it"})
    field = ma.fields.String(metadata={"description": "the response field that holds value, where it is one"})


class ConceptSchema(ma.Schema):
    id = ma.fields.String()
    title = ma.fields.String()
    summary = ma.fields.String()
    activations = ma.fields.List(ma.fields.String(), metadata={"description": "catalog entries it is about"})
    quiz_topics = ma.fields.List(ma.fields.String(), metadata={"description": "topics= of /v1/quiz/questions"})
    href = ma.fields.String()
    body = ma.fields.List(ma.fields.String(), metadata={"description": "paragraphs (full entry only)"})
    illustrations = ma.fields.List(ma.fields.Nested(IllustrationSchema), metadata={"description": "full entry only"})


class ConceptListSchema(ma.Schema):
    count = ma.fields.Integer()
    concepts = ma.fields.List(ma.fields.Nested(ConceptSchema))


@blp.route("", operation_id="list_concepts")
@blp.response(200, ConceptListSchema())
def concept_list():
    """Every concept: id, title, one-line summary and links.

    The teaching topics (saturation, vanishing gradients, dying ReLU, output activations, …);
    GET /v1/concepts/{concept_id} gives one in full."""
    return {"count": len(CONCEPTS), "concepts": [c.brief() for c in CONCEPTS.values()]}


@blp.route("/<concept_id>", operation_id="get_concept")
@blp.response(200, ConceptSchema())
@blp.errors(404)
def concept(concept_id):
    """One concept with its explanation and illustrations computed by the compute core.

    Each illustration names the request that reproduces its number (path and body) and, where
    it is one, the response field that holds it."""
    if concept_id not in CONCEPTS:
        raise UnknownResource(f"no concept '{concept_id}' (known: {', '.join(CONCEPTS)})", "concept_id")
    return CONCEPTS[concept_id].full()

"""The catalog: GET /v1/activations, one entry, and the GET form of evaluate."""

from __future__ import annotations

from flask import current_app

from ...core import CATALOG, VECTOR, LimitExceeded
from ...core.properties import properties
from ..binding import bind_query, evaluation, query_param_names
from ..blueprint import Blueprint
from ..evaluate.schemas import EvaluationSchema
from .schemas import CatalogQuerySchema, CatalogSchema, EntryQuerySchema, EntrySchema, EvaluateQuerySchema

blp = Blueprint("activations", __name__, url_prefix="/v1/activations", description="The activation catalog")


@blp.route("", operation_id="list_activations")
@blp.arguments(CatalogQuerySchema(), location="query")
@blp.response(200, CatalogSchema())
def catalog(query):
    """List every activation with its params, formula and kink conventions.

    Each entry: name, aliases, kind (elementwise or vector), LaTeX formula, params (type,
    default, bounds, choices), a one-line summary, the kinks at the default params and the
    derivative convention there. `kind` filters."""
    entries = [a.describe() for a in CATALOG if query.get("kind") in (None, a.kind)]
    return {"count": len(entries), "activations": entries}


@blp.route("/<name>", operation_id="get_activation")
@blp.arguments(EntryQuerySchema(), location="query")
@blp.response(200, EntrySchema())
@blp.errors(404)
def entry(query, name):
    """One activation by name or alias, with its properties computed at the given params.

    Params as `param.<name>=value` (defaults otherwise). `properties` (element-wise entries)
    are computed with JAX in float64: value and derivative at 0, range, extrema and where,
    sup |f′| and where, monotonicity, zero-centring, saturation, and the points where f or
    f′ jumps. The first request for new params takes up to ~0.5 s; results are cached.
    """
    bound = bind_query(CATALOG.get(name))
    out = bound.activation.describe()
    out["non_differentiable_points"] = bound.activation.non_differentiable_points(bound.params)
    if not query["properties"] or bound.activation.kind == VECTOR:
        out["properties"] = None
    else:
        with query_param_names():
            out["properties"] = {"params": bound.params, **properties(bound.activation, bound.params).as_dict()}
    return out


@blp.route("/<name>/evaluate", operation_id="evaluate_at_points")
@blp.arguments(EvaluateQuerySchema(), location="query")
@blp.response(200, EvaluationSchema())
@blp.errors(404, 503)
def evaluate_get(query, name):
    """Evaluate at a few points with a cacheable GET (for bots and links).

    `x=0.5,1,2`; the activation's params as `param.<name>=value` query keys, e.g.
    `param.negative_slope=0.1` (names and ranges: GET /v1/activations/{name}; `null` for a
    nullable param). Responses carry `Cache-Control: public`.
    """
    activation = CATALOG.get(name)
    limits = current_app.config["LIMITS"]
    if query["x"].size > limits.max_query_points:
        raise LimitExceeded(
            f"{query['x'].size} points exceed max_query_points={limits.max_query_points}; use POST /v1/evaluate", "x"
        )
    bound = bind_query(activation)
    with query_param_names():
        out = evaluation(bound, query["x"], query["order"], query["dtype"], query["device"])
    max_age = current_app.config["EVALUATE_CACHE_SECONDS"]
    return out, 200, {"Cache-Control": f"public, max-age={max_age}"}

"""Service metadata: caps, health, readiness, the spec as YAML, and the docs page's assets."""

from __future__ import annotations

from pathlib import Path

import flask
import marshmallow as ma
from flask import Response, current_app, send_from_directory

from ... import core
from ...core import devices
from ..blueprint import Blueprint
from ..problems import problem

blp = Blueprint("meta", __name__, description="Caps, health and the API description")
# Files about the API rather than operations of it: kept out of the spec.
files = flask.Blueprint("meta_files", __name__)


class LimitsSchema(ma.Schema):
    max_points = ma.fields.Integer(metadata={"description": "element-wise points per request (x length or grid.num)"})
    max_vector_length = ma.fields.Integer(metadata={"description": "entries in one vector (vector activations)"})
    max_vectors = ma.fields.Integer(metadata={"description": "vectors per request"})
    max_jacobian_entries = ma.fields.Integer(metadata={"description": "vectors × outputs × inputs when order ≥ 1"})
    max_hessian_entries = ma.fields.Integer(metadata={"description": "vectors × outputs × inputs² when order = 2"})
    max_query_points = ma.fields.Integer(metadata={"description": "points in x on GET …/evaluate"})
    max_body_bytes = ma.fields.Integer(metadata={"description": "request body size (413 above)"})
    max_body_containers = ma.fields.Integer(
        metadata={"description": "arrays and objects in one JSON body (checked before parsing)"}
    )
    max_body_values = ma.fields.Integer(
        metadata={"description": "values in one JSON body, counted by separators before parsing"}
    )
    max_order = ma.fields.Integer(metadata={"description": "highest derivative order"})
    max_response_numbers = ma.fields.Integer(
        metadata={"description": "numbers in one evaluate answer (x, values, derivatives, Jacobians, Hessians)"}
    )
    max_chain_depth = ma.fields.Integer(metadata={"description": "layers of POST /v1/chain"})
    max_chain_inputs = ma.fields.Integer(metadata={"description": "starting points z per chain"})
    max_chain_cells = ma.fields.Integer(metadata={"description": "inputs × depth per chain"})
    max_flow_depth = ma.fields.Integer(metadata={"description": "hidden layers of POST /v1/gradient-flow"})
    max_flow_width = ma.fields.Integer(metadata={"description": "units per hidden layer"})
    max_flow_batch = ma.fields.Integer(metadata={"description": "samples per batch"})
    max_flow_cells = ma.fields.Integer(metadata={"description": "depth × width × batch"})
    max_flow_weights = ma.fields.Integer(metadata={"description": "depth × width²"})
    max_flow_work = ma.fields.Integer(metadata={"description": "depth × width² × batch"})
    max_expression_length = ma.fields.Integer(metadata={"description": "characters of a custom formula"})
    max_expression_nodes = ma.fields.Integer(metadata={"description": "syntax-tree nodes of a formula"})
    max_expression_depth = ma.fields.Integer(metadata={"description": "nesting depth of a formula"})
    max_expression_params = ma.fields.Integer(metadata={"description": "named params of a formula"})
    max_expression_literal = ma.fields.Float(metadata={"description": "|numeric literal| and |param value|"})
    max_expression_exponent = ma.fields.Float(metadata={"description": "|constant exponent| of **"})
    expression_cache_size = ma.fields.Integer(metadata={"description": "parsed formulas kept per worker (LRU)"})
    max_formula_size = ma.fields.Integer(
        metadata={"description": "operations of a formula's program at the order asked for (bounds its compile time)"}
    )
    max_formula_work = ma.fields.Integer(
        metadata={"description": "formula size × element-wise evaluations a request needs (bounds its run time)"}
    )
    max_compiled_mb = ma.fields.Integer(
        metadata={"description": "estimated memory of the compiled programs kept per worker, of every kind (LRU)"}
    )
    max_quiz_questions = ma.fields.Integer(metadata={"description": "questions per quiz or export"})
    max_plot_width = ma.fields.Integer(metadata={"description": "pixels of a picture's width"})
    max_plot_height = ma.fields.Integer(metadata={"description": "pixels of a picture's height"})
    max_plot_curves = ma.fields.Integer(metadata={"description": "activations on one picture"})
    max_plot_depth = ma.fields.Integer(metadata={"description": "layers on a chain picture"})
    max_plot_abs_x = ma.fields.Float(metadata={"description": "|xmin|, |xmax| of a picture"})
    dtypes = ma.fields.List(ma.fields.String())
    devices = ma.fields.Dict(metadata={"description": "default device, devices available, whether a GPU is present"})


class StatusSchema(ma.Schema):
    status = ma.fields.String()


@blp.route("/v1/limits")
@blp.response(200, LimitsSchema())
def limits():
    """The caps in force on this server (exceeding one is a 422 that names it)."""
    return {**current_app.config["LIMITS"].as_dict(), "dtypes": list(core.DTYPES), "devices": devices.describe()}


@blp.route("/healthz")
@blp.response(200, StatusSchema())
def healthz():
    """Liveness: the process answers HTTP."""
    return {"status": "ok"}


@blp.route("/readyz")
@blp.response(200, StatusSchema())
@blp.errors(503)
def readyz():
    """Readiness: JAX is initialised and the common programs are compiled in this worker."""
    from ..warmup import warm

    try:
        warm(current_app)  # instant once gunicorn's post_worker_init has warmed this worker
    except Exception:
        current_app.logger.exception("warm-up failed")
        return problem(503, "JAX failed to initialise in this worker; see the server log")
    return {"status": "ready"}


@files.route("/openapi.yaml")
def openapi_yaml():
    """The OpenAPI document as YAML (the same as openapi.json and the committed openapi.yaml)."""
    text = current_app.extensions.get("actfn_spec_yaml")
    if text is None:  # the spec does not change while the app runs: render it once
        text = current_app.extensions["actfn_spec_yaml"] = current_app.extensions["actfn_api"].spec.to_yaml()
    return Response(text, mimetype="application/yaml")


@files.route("/docs/assets/<path:filename>")
def docs_assets(filename):
    """Swagger UI's files, served locally so /docs works offline."""
    from swagger_ui_bundle import swagger_ui_path

    return send_from_directory(str(swagger_ui_path), filename, max_age=86400)


STATIC = Path(__file__).resolve().parent.parent.parent / "static"


@files.route("/")
def index():
    """The interactive page: plain HTML, CSS and JavaScript from service/static (no CDN)."""
    return send_from_directory(str(STATIC), "index.html", max_age=300)


@files.route("/static/<path:filename>")
def static_files(filename):
    return send_from_directory(str(STATIC), filename, max_age=300)

"""Service metadata: caps, health, readiness, the spec as YAML, and the docs page's assets."""

from __future__ import annotations

import dataclasses
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


# Generated from the Limits dataclass, so a new cap is reported (and documented) the moment it exists.
LimitsSchema = ma.Schema.from_dict(
    {
        **{
            f.name: (ma.fields.Float if isinstance(f.default, float) else ma.fields.Integer)(
                metadata={"description": f.metadata["description"]}
            )
            for f in dataclasses.fields(core.Limits)
        },
        "dtypes": ma.fields.List(ma.fields.String()),
        "devices": ma.fields.Dict(
            metadata={"description": "default device, devices available, whether a GPU is present"}
        ),
    },
    name="LimitsSchema",
)


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

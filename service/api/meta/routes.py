"""Service metadata: caps, health, readiness, the spec as YAML, and the docs page's assets."""

from __future__ import annotations

import dataclasses
import functools
import gzip
import importlib.util
from pathlib import Path

import flask
import marshmallow as ma
from flask import Response, current_app, send_from_directory
from werkzeug.security import safe_join

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


@blp.route("/v1/limits", operation_id="get_limits")
@blp.response(200, LimitsSchema())
def limits():
    """The caps in force on this server (exceeding one is a 422 that names it).

    Every cap of a request (points, vector sizes, chain depth, MLP size, formula size, picture
    size, quiz questions, body size) with the dtypes and devices this server offers. The same
    numbers appear as `maximum`/`maxItems` in this spec."""
    return {**current_app.config["LIMITS"].as_dict(), "dtypes": list(core.DTYPES), "devices": devices.describe()}


@blp.route("/healthz", operation_id="health")
@blp.response(200, StatusSchema())
def healthz():
    """Liveness: the process answers HTTP.

    Cheap and never rate-limited; it says nothing about JAX (see /readyz). Under gunicorn the
    master answers liveness on its own port too (ACTFN_HEALTH_BIND), so a busy worker never
    fails it."""
    return {"status": "ok"}


@blp.route("/readyz", operation_id="readiness")
@blp.response(200, StatusSchema())
@blp.errors(503)
def readyz():
    """Readiness: JAX is initialised and the common programs are compiled in this worker.

    503 (problem+json) while a worker is still warming up or JAX failed to start; route
    traffic only to instances that answer 200."""
    from ..warmup import warm

    try:
        warm(current_app)  # instant once gunicorn's post_worker_init has warmed this worker
    except Exception:
        current_app.logger.exception("warm-up failed")
        return problem(503, "JAX failed to initialise in this worker; see the server log")
    return {"status": "ready"}


@files.route("/openapi.yaml")
def openapi_yaml():
    """The OpenAPI document as YAML (openapi.json's content; the committed openapi.yaml but for
    this server's address first in ``servers``)."""
    api = current_app.extensions["actfn_api"]
    return Response(api.yaml(api.servers()), mimetype="application/yaml")


STATIC = Path(__file__).resolve().parent.parent.parent / "static"


# Swagger UI 5 from the swagger-ui-py wheel (its static folder only; the package's framework
# glue is never imported): the files the docs page loads, and the licence.
def _package_dir(name: str) -> Path:
    """Where an installed package's files are, without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"{name} is not installed (requirements.txt)")
    return Path(next(iter(spec.submodule_search_locations)))


SWAGGER_UI = _package_dir("swagger_ui") / "static"
SWAGGER_UI_FILES = frozenset(
    {"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "favicon-16x16.png", "LICENSE"}
)


@files.route("/docs")
def docs():
    """The API reference: Swagger UI on /openapi.json, every file served by this service."""
    return send_static(STATIC, "docs.html", max_age=300)


# Text the browser downloads on every first visit: gzipped once per file version, in memory
# (the page's files and the docs' are a few hundred kB, not worth a reverse proxy to compress).
COMPRESSIBLE = frozenset({"text/html", "text/css", "text/javascript", "application/javascript", "image/svg+xml"})


@functools.lru_cache(maxsize=64)
def _gzipped(path: str, mtime: float) -> bytes:
    return gzip.compress(Path(path).read_bytes(), compresslevel=9, mtime=0)


def send_static(directory: Path, filename: str, max_age: int, **kwargs) -> Response:
    """``send_from_directory``, gzipped for clients that accept it (``Vary: Accept-Encoding``);
    the ETag says which encoding it names."""
    response = send_from_directory(str(directory), filename, max_age=max_age, **kwargs)
    if response.mimetype not in COMPRESSIBLE:
        return response
    response.vary.add("Accept-Encoding")
    if response.status_code != 200 or "gzip" not in flask.request.accept_encodings:
        return response
    path = safe_join(str(directory), filename)
    if path is None:
        return response
    etag, _ = response.get_etag()
    response.close()  # the file send_from_directory opened: the gzipped copy replaces it
    if etag and flask.request.if_none_match.contains(f"{etag}-gzip"):
        response = Response(status=304)
        response.set_etag(f"{etag}-gzip")
        response.vary.add("Accept-Encoding")
        return response
    response.direct_passthrough = False
    response.set_data(_gzipped(path, Path(path).stat().st_mtime))
    response.headers["Content-Encoding"] = "gzip"
    if etag:
        response.set_etag(f"{etag}-gzip")
    return response


@files.route("/docs/assets/<path:filename>")
def docs_assets(filename):
    """Swagger UI's files, served locally so /docs works offline."""
    if filename not in SWAGGER_UI_FILES:
        flask.abort(404)
    return send_static(SWAGGER_UI, filename, max_age=86400)


@files.route("/")
def index():
    """The interactive page: plain HTML, CSS and JavaScript from service/static (no CDN)."""
    return send_static(STATIC, "index.html", max_age=300)


@files.route("/favicon.ico")
def favicon():
    """Browsers ask for it on every page of the service: the page's icon."""
    return send_static(STATIC, "favicon.svg", max_age=86400, mimetype="image/svg+xml")


@files.route("/static/<path:filename>")
def static_files(filename):
    return send_static(STATIC, filename, max_age=300)

"""Pictures: an activation with its derivatives, several at once, and the chain's gradient.

Images are cacheable: the ETag is a hash of everything that decides the picture (computed
before drawing, so a matching If-None-Match answers 304 without rendering)."""

from __future__ import annotations

import hashlib
import logging
import math

import numpy as np
import orjson
from flask import current_app, request

from ... import plotting
from ...core import CATALOG, VECTOR, InvalidInput, LimitExceeded
from ...core.evaluate import bucket, check_formula, split_params
from ..binding import BoundActivation, bind_query, default, query_param_names
from ..blueprint import BODY_ERRORS, Blueprint
from .schemas import ChainPlotQuerySchema, EntryPlotQuerySchema, MultiPlotQuerySchema, PlotBodySchema

log = logging.getLogger("actfn.plots")
blp = Blueprint("plots", __name__, url_prefix="/v1", description="Pictures (SVG or PNG)")
RENDERER_VERSION = "1"  # bump when the drawing changes: old ETags stop matching


IMAGES = {  # generated clients read the first type: bytes, which serve both
    "image/png": {"schema": {"type": "string", "format": "binary", "description": "PNG bytes (format=png)"}},
    "image/svg+xml": {"schema": {"type": "string", "description": "SVG text (format=svg, the default)"}},
}


def _image_docs(view):
    description = "the picture: SVG (format=svg) or PNG (format=png)"
    view = blp.response(200, description=description)(view)
    return blp.doc(responses={"200": {"description": description, "content": IMAGES}})(view)


def _check(options: dict, n_curves: int) -> None:
    limits = current_app.config["LIMITS"]
    for key, cap in (("width", limits.max_plot_width), ("height", limits.max_plot_height)):
        if options[key] > cap:
            raise LimitExceeded(f"{options[key]} exceeds max_plot_{key}={cap}", key)
    if n_curves > limits.max_plot_curves:
        raise LimitExceeded(f"{n_curves} activations exceed max_plot_curves={limits.max_plot_curves}", "activation")
    for key in ("xmin", "xmax"):
        if key in options and abs(options[key]) > limits.max_plot_abs_x:
            raise LimitExceeded(f"|{key}| exceeds max_plot_abs_x={limits.max_plot_abs_x:g}", key)


def _elementwise(bound: BoundActivation, field: str) -> BoundActivation:
    if bound.activation.kind == VECTOR:
        raise InvalidInput(
            f"{bound.activation.name} is a vector activation: only element-wise ones have a curve", field
        )
    return bound


def _label(bound: BoundActivation) -> str:
    described = bound.describe()
    name = described.get("name") or described["expression"]
    shown = dict(bound.params)
    if "name" in described:  # a catalog entry: name only the params that differ from defaults
        defaults = {p.name: p.default for p in bound.activation.params}
        shown = {k: v for k, v in shown.items() if defaults.get(k) != v}
    args = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in shown.items())
    return f"{name} ({args})" if args else name


def _picture(kind: str, curves: list[BoundActivation], options: dict, render):
    """Answer 304 when the client has this picture, else draw it with ETag and Cache-Control."""
    key = orjson.dumps(
        [RENDERER_VERSION, kind, [c.describe() for c in curves], options],
        option=orjson.OPT_SORT_KEYS,
        default=lambda v: None if isinstance(v, float) and not math.isfinite(v) else str(v),
    )
    etag = hashlib.sha256(key).hexdigest()[:32]
    max_age = current_app.config["PLOT_CACHE_SECONDS"]
    if request.if_none_match.contains(etag):
        response = current_app.response_class(status=304)
    else:
        response = current_app.response_class(_drawn(render), content_type=plotting.FORMATS[options["format"]])
    response.set_etag(etag)
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    return response


def _drawn(render) -> bytes:
    """The picture's bytes; values matplotlib cannot lay out are the request's problem (422),
    said plainly, not a 500."""
    try:
        return render()
    except (ValueError, OverflowError, np.linalg.LinAlgError) as e:
        log.warning("picture not drawable: %s", e)
        raise InvalidInput(f"these values cannot be drawn ({type(e).__name__}); narrow xmin/xmax", "xmin") from None


def _curves(kind: str, bounds: list[BoundActivation], options: dict, title: str | None = None):
    _check(options, len(bounds))
    shaded = options["shade"] and len(bounds) == 1
    order = 2 if options["second_derivative"] else 1 if options["derivative"] or shaded else 0
    for i, b in enumerate(bounds):  # a formula is measured before anything is drawn
        _, static = split_params(b.activation, b.params)
        check_formula(
            b.activation,
            static,
            dtype="float64",
            order=order,
            evaluations=bucket(plotting.POINTS),
            limits=current_app.config["LIMITS"],
            field=f"activations.{i}",
        )
    drawing = {k: options[k] for k in ("xmin", "xmax", "derivative", "second_derivative", "width", "height", "theme")}
    curves = [plotting.Curve(b.activation, b.params, _label(b)) for b in bounds]

    def render():
        return plotting.curve_plot(
            curves, shade_saturation=options["shade"], fmt=options["format"], title=title, **drawing
        )

    return _picture(kind, bounds, options, render)


@blp.route("/activations/<name>/plot", operation_id="plot_activation")
@blp.arguments(EntryPlotQuerySchema(), location="query")
@_image_docs
@blp.errors(404)
def entry_plot(query, name):
    """The activation (solid) and its derivative (dashed; f″ dotted when asked).

    Params as `param.<name>=value`. Saturated regions (|f′| < 0.01) are shaded unless
    `shade=false`. Cacheable: ETag + Cache-Control; If-None-Match answers 304.
    """
    bound = _elementwise(bind_query(CATALOG.get(name)), "name")
    with query_param_names():
        return _curves("entry", [bound], query)


@blp.route("/plot", operation_id="plot_activations")
@blp.arguments(MultiPlotQuerySchema(), location="query")
@_image_docs
@blp.errors(404)
def multi_plot(query):
    """Several catalog activations on one picture, at their default params.

    `activation=relu&activation=gelu` or `activation=relu,gelu`. For params or custom
    formulas, POST the same options with an `activations` list."""
    bounds = [_elementwise(default(n), "activation") for n in dict.fromkeys(query["activation"])]
    return _curves("multi", bounds, query)


@blp.route("/plot", methods=["POST"], operation_id="plot_curves")
@blp.arguments(
    PlotBodySchema(), example={"activations": ["gelu", {"expression": "x * sigmoid(1.702 * x)"}], "format": "svg"}
)
@_image_docs
@blp.errors(*BODY_ERRORS)
def body_plot(body):
    """Several activations on one picture, each a name, {name, params} or {expression, params}.

    The same picture options as GET /v1/plot, as JSON; f solid, f′ dashed, f″ dotted (when
    asked), each activation in its own colour with a legend."""
    bounds = [_elementwise(b, f"activations.{i}") for i, b in enumerate(body["activations"])]
    return _curves("body", bounds, body)


@blp.route("/chain/plot", operation_id="plot_chain")
@blp.arguments(ChainPlotQuerySchema(), location="query")
@_image_docs
@blp.errors(404)
def chain_plot(query):
    """log10 |cumulative gradient| against layer for one or several activations.

    The vanishing-gradient picture of POST /v1/chain (h_l = f(weight·h_(l−1) + bias),
    h_0 = z), one line per activation."""
    limits = current_app.config["LIMITS"]
    if query["depth"] > limits.max_plot_depth:
        raise LimitExceeded(f"depth {query['depth']} exceeds max_plot_depth={limits.max_plot_depth}", "depth")
    bounds = [_elementwise(default(n), "activation") for n in dict.fromkeys(query["activation"])]
    _check(query, len(bounds))
    curves = [plotting.Curve(b.activation, b.params, _label(b)) for b in bounds]
    drawing = {k: query[k] for k in ("depth", "z", "weight", "bias", "width", "height", "theme")}
    return _picture("chain", bounds, query, lambda: plotting.chain_plot(curves, fmt=query["format"], **drawing))

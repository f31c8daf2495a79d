"""Query and body schemas of the picture endpoints."""

import marshmallow as ma
from webargs.fields import DelimitedList

from ...plotting import FORMATS, THEMES
from ..activations.schemas import ParamsQuerySchema
from ..fields import ActivationRef, StrictBoolean
from ..schemas import activation_ref_doc


def _size(default: int, what: str):
    return ma.fields.Integer(
        load_default=default,
        validate=ma.validate.Range(min=100),
        metadata={
            "description": f"{what} in pixels (100 … max_plot_{what}, see /v1/limits)",
            "cap": f"max_plot_{what}",
        },
    )


class PictureOptions(ma.Schema):
    format = ma.fields.String(
        load_default="svg", validate=ma.validate.OneOf(tuple(FORMATS)), metadata={"description": "svg or png"}
    )
    width = _size(600, "width")
    height = _size(400, "height")
    theme = ma.fields.String(
        load_default="light", validate=ma.validate.OneOf(tuple(THEMES)), metadata={"description": "colours"}
    )


def _switch(default: bool, what: str, text: bool) -> StrictBoolean:
    """A curve switch: true/false only (the words in a query string, JSON booleans in a body)."""
    return StrictBoolean(text=text, load_default=default, metadata={"description": what})


class _QuerySwitches(ma.Schema):
    derivative = _switch(True, "draw f′ (dashed)", text=True)
    second_derivative = _switch(False, "draw f″ (dotted)", text=True)
    shade = _switch(True, "shade where |f′| < 0.01 (one activation only)", text=True)


class _BodySwitches(ma.Schema):
    derivative = _switch(True, "draw f′ (dashed)", text=False)
    second_derivative = _switch(False, "draw f″ (dotted)", text=False)
    shade = _switch(True, "shade where |f′| < 0.01 (one activation only)", text=False)


class CurveOptions(_QuerySwitches, PictureOptions):
    xmin = ma.fields.Float(
        load_default=-5.0,
        allow_nan=False,
        metadata={
            "description": "left end of the x axis (|xmin| ≤ max_plot_abs_x)",
            "cap": "max_plot_abs_x",
            "symmetric": True,
        },
    )
    xmax = ma.fields.Float(
        load_default=5.0,
        allow_nan=False,
        metadata={
            "description": "right end of the x axis (> xmin, |xmax| ≤ max_plot_abs_x)",
            "cap": "max_plot_abs_x",
            "symmetric": True,
        },
    )

    @ma.validates_schema
    def _ordered(self, data, **kwargs):
        if data["xmin"] >= data["xmax"]:
            raise ma.ValidationError("must be less than xmax", "xmin")


class EntryPlotQuerySchema(ParamsQuerySchema, CurveOptions):
    """GET /v1/activations/{name}/plot; params as ``param.<name>=value``."""


class _Activations(ma.Schema):
    """Catalog names: ``activation=relu&activation=gelu`` and ``activation=relu,gelu`` mean
    the same."""

    activation = DelimitedList(
        ma.fields.String(validate=ma.validate.Length(min=1)),
        required=True,
        validate=ma.validate.Length(min=1),
        metadata={
            "description": "catalog names, repeated (activation=relu&activation=gelu) or comma-separated",
            "cap": "max_plot_curves",
        },
    )


class MultiPlotQuerySchema(_Activations, CurveOptions):
    """GET /v1/plot."""


class PlotBodySchema(_BodySwitches, CurveOptions):
    activations = ma.fields.List(
        ActivationRef(metadata=activation_ref_doc()),
        required=True,
        validate=ma.validate.Length(min=1),
        metadata={"description": "names, {name, params} or {expression, params}", "cap": "max_plot_curves"},
    )


class ChainPlotQuerySchema(_Activations, PictureOptions):
    depth = ma.fields.Integer(
        required=True,
        validate=ma.validate.Range(min=1),
        metadata={"description": "layers drawn (at most max_plot_depth)", "cap": "max_plot_depth"},
    )
    z = ma.fields.Float(load_default=0.0, allow_nan=False, metadata={"description": "starting point h₀"})
    weight = ma.fields.Float(load_default=1.0, allow_nan=False, metadata={"description": "w in z_l = w·h_{l−1} + b"})
    bias = ma.fields.Float(load_default=0.0, allow_nan=False, metadata={"description": "b in z_l = w·h_{l−1} + b"})

"""Pictures: well-formed SVG with the curves as paths, PNG signature and size, caching."""

from __future__ import annotations

import re
import struct
from xml.etree import ElementTree

import numpy as np
import pytest

from service.plotting import POINTS

SVG = "{http://www.w3.org/2000/svg}"


def _lines(svg: bytes) -> list[dict]:
    """matplotlib writes each Line2D as <g id="line2d_N"><path d=… style=…/></g>."""
    root = ElementTree.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    out = []
    for g in root.iter(f"{SVG}g"):
        if not g.get("id", "").startswith("line2d"):
            continue
        for path in g.findall(f"{SVG}path"):
            vertices = len(re.findall(r"[ML]\s*-?[\d.]+", path.get("d", "")))
            out.append({"style": path.get("style", ""), "vertices": vertices})
    return out


def _curves(svg: bytes) -> tuple[list[dict], list[dict]]:
    """(solid, dashed) paths that trace a whole curve (POINTS samples)."""
    long = [line for line in _lines(svg) if line["vertices"] >= POINTS // 2]
    dashed = [line for line in long if "stroke-dasharray" in line["style"]]
    solid = [line for line in long if "stroke-dasharray" not in line["style"]]
    return solid, dashed


def test_svg_has_the_curve_and_its_dashed_derivative(client):
    r = client.get("/v1/activations/sigmoid/plot")
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    solid, dashed = _curves(r.data)
    assert len(solid) == 1 and len(dashed) == 1
    text = r.get_data(as_text=True)
    assert "sigmoid" in text and "saturated" in text  # title/legend, shaded tails named


def test_second_derivative_and_several_activations(client):
    r = client.get("/v1/activations/gelu/plot?second_derivative=true&xmin=-3&xmax=3")
    solid, dashed = _curves(r.data)
    assert len(solid) == 1 and len(dashed) == 2  # f′ dashed, f″ dotted (a dash pattern too)
    multi = client.get("/v1/plot?activation=relu&activation=gelu&activation=sigmoid")
    solid, dashed = _curves(multi.data)
    assert len(solid) == 3 and len(dashed) == 3
    body = {"activations": ["relu", {"expression": "x * sigmoid(b * x)", "params": {"b": 1.702}}], "derivative": False}
    posted = client.post("/v1/plot", json=body)
    assert posted.status_code == 200
    solid, dashed = _curves(posted.data)
    assert len(solid) == 2 and not dashed


def test_png_signature_and_size(client):
    r = client.get("/v1/activations/relu/plot?format=png&width=800&height=500&theme=dark")
    assert r.status_code == 200 and r.mimetype == "image/png"
    assert r.data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", r.data[16:24])  # IHDR
    assert (width, height) == (800, 500)


def test_conditional_get_and_etags(client):
    first = client.get("/v1/activations/leaky_relu/plot?param.negative_slope=0.1")
    etag = first.headers["ETag"]
    assert "public" in first.headers["Cache-Control"] and "max-age=" in first.headers["Cache-Control"]
    again = client.get("/v1/activations/leaky_relu/plot?param.negative_slope=0.1", headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.data and again.headers["ETag"] == etag
    other = client.get("/v1/activations/leaky_relu/plot?param.negative_slope=0.2")
    assert other.status_code == 200 and other.headers["ETag"] != etag
    assert client.get("/v1/activations/leaky_relu/plot?format=png").headers["ETag"] != etag
    # Same request, same bytes: the ETag is honest.
    assert client.get("/v1/activations/leaky_relu/plot?param.negative_slope=0.1").data == first.data


def test_chain_picture(client):
    r = client.get("/v1/chain/plot?activation=sigmoid,tanh,relu&depth=30")
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    text = r.get_data(as_text=True)
    assert "exactly 0 from layer 1" in text  # relu′(0) = 0: said, not silently missing
    lines = [line for line in _lines(r.data) if line["vertices"] >= 29]
    assert len(lines) >= 2
    assert client.get("/v1/chain/plot?activation=sigmoid&depth=30", headers={"If-None-Match": "x"}).status_code == 200


@pytest.mark.parametrize(
    "url, field",
    [
        ("/v1/activations/gelu/plot?xmin=2&xmax=1", "xmin"),
        ("/v1/activations/gelu/plot?xmin=nan", "xmin"),
        ("/v1/activations/gelu/plot?width=100000", "width"),
        ("/v1/activations/gelu/plot?height=10", "height"),
        ("/v1/activations/gelu/plot?format=gif", "format"),
        ("/v1/activations/gelu/plot?theme=neon", "theme"),
        ("/v1/activations/gelu/plot?xmax=1e9", "xmax"),
        ("/v1/activations/gelu/plot?param.nope=1", "param.nope"),
        ("/v1/activations/softmax/plot", "name"),
        ("/v1/plot", "activation"),
        ("/v1/plot?activation=relu,softmax", "activation"),
        (
            "/v1/plot?activation="
            + ",".join(["relu", "gelu", "silu", "elu", "selu", "celu", "mish", "tanh", "sigmoid"]),
            "activation",
        ),
        ("/v1/chain/plot?activation=sigmoid&depth=100000", "depth"),
        ("/v1/chain/plot?activation=sigmoid", "depth"),
    ],
)
def test_bad_picture_requests_are_422(client, url, field):
    r = client.get(url)
    assert r.status_code == 422, r.data
    body = r.get_json()
    assert any(k == field or k.startswith(field + ".") for k in body["errors"]), body


def test_unknown_activation_is_404(client):
    assert client.get("/v1/activations/nope/plot").status_code == 404
    assert client.get("/v1/plot?activation=nope").status_code == 404


def test_the_picture_draws_the_core_numbers(client):
    """The solid path's vertices are f at the sampled x (in the axes' pixel space): check the
    shape against the core, so a second implementation could not slip in."""
    r = client.get("/v1/activations/relu/plot?derivative=false&shade=false&xmin=-2&xmax=2")
    solid, _ = _curves(r.data)
    root = ElementTree.fromstring(r.data)
    path = next(
        p
        for g in root.iter(f"{SVG}g")
        if g.get("id", "").startswith("line2d")
        for p in g.findall(f"{SVG}path")
        if len(re.findall(r"[ML]", p.get("d", ""))) >= POINTS // 2
    )
    ys = np.array([float(v) for v in re.findall(r"[ML]\s*-?[\d.]+\s+(-?[\d.]+)", path.get("d"))])
    # relu on [−2, 2]: flat (one pixel row) on the left half, a straight rise on the right.
    half = len(ys) // 2
    assert np.ptp(ys[: half - 1]) < 1e-6
    rise = np.diff(ys[half + 1 :])
    assert np.all(rise < 0) and np.ptp(rise) < 0.05  # SVG y grows downwards

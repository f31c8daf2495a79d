"""Pictures of activations and chains, drawn with matplotlib (Agg, no display) from numbers the
compute core returns: no formula is implemented twice. Imports no Flask.

Curves: f solid, f′ dashed, f″ dotted, axes through the origin, a legend, a title with the
name and params; regions where |f′| < 0.01 may be shaded (one activation only, said in the
legend). Chains: log10 |cumulative gradient| against layer. Colours are the Okabe–Ito
palette (safe for the common colour-vision deficiencies), and line styles differ as well.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
# Deterministic SVG ids (so equal requests give equal bytes), text kept as text, every sample
# kept (no path simplification: a picture shows the computed points), and labels drawn as
# plain text: a formula's "$" or "\\" is never parsed as mathtext.
matplotlib.rcParams.update(
    {"svg.hashsalt": "actfn", "svg.fonttype": "none", "path.simplify": False, "text.parse_math": False}
)

import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from .core import evaluate  # noqa: E402
from .core.chain import chain  # noqa: E402
from .core.registry import Activation  # noqa: E402

PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
THEMES = {
    "light": {"bg": "#ffffff", "fg": "#1a1a1a", "grid": "#d9d9d9", "shade": "#9a9a9a"},
    "dark": {"bg": "#16181d", "fg": "#e8e8e8", "grid": "#3a3d45", "shade": "#8a8a8a"},
}
FORMATS = {"svg": "image/svg+xml", "png": "image/png"}
SATURATED = 0.01  # |f′| below this counts as saturated
LABEL_CHARS = 60  # a legend entry or title names a formula in at most this many characters
# Values beyond this are drawn scaled by a power of ten (named on the axis): matplotlib's
# transforms overflow, and turn singular, near the float64 limit.
DRAWABLE = 1e100
POINTS = 801  # samples per curve (odd: x = 0 is a sample on symmetric ranges)
DPI = 100


@dataclass(frozen=True)
class Curve:
    """One activation to draw: ``label`` names it in the legend."""

    activation: Activation
    params: dict
    label: str


def _figure(width: int, height: int, theme: str) -> tuple[Figure, dict]:
    colours = THEMES[theme]
    fig = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, facecolor=colours["bg"])
    return fig, colours


def _fonts(width: int):
    """Type scaled to the picture: readable at 600×400 and at a phone's 360 px."""
    return matplotlib.rc_context({"font.size": 10 * max(0.8, min(1.3, width / 600))})


def _style_axes(ax, colours: dict) -> None:
    ax.set_facecolor(colours["bg"])
    ax.grid(True, color=colours["grid"], linewidth=0.6)
    ax.tick_params(colors=colours["fg"])
    for side in ("left", "bottom", "right", "top"):
        ax.spines[side].set_color(colours["fg"])
    ax.title.set_color(colours["fg"])
    ax.xaxis.label.set_color(colours["fg"])
    ax.yaxis.label.set_color(colours["fg"])


def _legend(ax, colours: dict) -> None:
    legend = ax.legend(loc="best", frameon=True, fontsize="small")
    legend.get_frame().set_facecolor(colours["bg"])
    legend.get_frame().set_edgecolor(colours["grid"])
    for text in legend.get_texts():
        text.set_color(colours["fg"])


def short(label: str) -> str:
    """A label clipped to LABEL_CHARS characters."""
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _drawable(curves: list[np.ndarray]) -> tuple[list[np.ndarray], int]:
    """Non-finite values as gaps (NaN), and the power of ten the values are divided by so
    that the largest finite one is drawable (0 when none is needed)."""
    clean = [np.where(np.isfinite(y), y, np.nan) for y in curves]
    finite = [np.nanmax(np.abs(y)) for y in clean if np.isfinite(y).any()]
    top = max(finite, default=0.0)
    power = int(np.floor(np.log10(top))) if top > DRAWABLE else 0
    return ([y / 10.0**power for y in clean] if power else clean), power


def _save(fig: Figure, fmt: str) -> bytes:
    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": "actfn"}
    fig.savefig(buffer, format=fmt, facecolor=fig.get_facecolor(), metadata=metadata)
    return buffer.getvalue()


def curve_plot(
    curves: list[Curve],
    *,
    xmin: float = -5.0,
    xmax: float = 5.0,
    derivative: bool = True,
    second_derivative: bool = False,
    shade_saturation: bool = True,
    width: int = 600,
    height: int = 400,
    theme: str = "light",
    fmt: str = "svg",
    title: str | None = None,
) -> bytes:
    """f (solid), f′ (dashed) and optionally f″ (dotted) of each curve on [xmin, xmax]."""
    with _fonts(width):
        fig, colours = _figure(width, height, theme)
        ax = fig.add_subplot()
        _style_axes(ax, colours)
        x = np.linspace(xmin, xmax, POINTS)
        shade_saturation = shade_saturation and len(curves) == 1  # shading names one curve's f′
        order = 2 if second_derivative else 1 if derivative or shade_saturation else 0
        results = [evaluate(c.activation, c.params, x, order=order, dtype="float64", device="cpu") for c in curves]
        drawn = [r.value for r in results]
        drawn += [r.d1 for r in results] if derivative else []
        drawn += [r.d2 for r in results] if second_derivative else []
        drawn, power = _drawable(drawn)
        n = len(curves)
        for i, (c, r) in enumerate(zip(curves, results)):
            colour = PALETTE[i % len(PALETTE)]
            label = short(c.label)
            ax.plot(x, drawn[i], color=colour, linewidth=2.0, linestyle="-", label=label)
            if derivative:
                ax.plot(x, drawn[n + i], color=colour, linewidth=1.6, linestyle="--", label=f"{label}′")
            if second_derivative:
                k = (2 if derivative else 1) * n + i
                ax.plot(x, drawn[k], color=colour, linewidth=1.4, linestyle=":", label=f"{label}″")
            if shade_saturation:
                saturated = np.abs(r.d1) < SATURATED
                if saturated.any():
                    ax.fill_between(
                        x,
                        0,
                        1,
                        where=saturated,
                        transform=ax.get_xaxis_transform(),
                        color=colours["shade"],
                        alpha=0.18,
                        linewidth=0,
                        label=f"saturated (|f′| < {SATURATED:g})",
                    )
        ax.axhline(0, color=colours["fg"], linewidth=0.9)
        if xmin < 0 < xmax:
            ax.axvline(0, color=colours["fg"], linewidth=0.9)
        ax.set_xlim(xmin, xmax)
        ax.set_xlabel("x")
        if power:
            ax.set_ylabel(f"× 1e{power}")
        ax.set_title(short(title or ", ".join(c.label for c in curves)), fontsize="medium")
        _legend(ax, colours)
        fig.tight_layout()
        return _save(fig, fmt)


def chain_plot(
    curves: list[Curve],
    *,
    depth: int,
    z: float = 0.0,
    weight: float = 1.0,
    bias: float = 0.0,
    width: int = 600,
    height: int = 400,
    theme: str = "light",
    fmt: str = "svg",
) -> bytes:
    """log10 |cumulative gradient| against layer: the vanishing/exploding-gradient picture."""
    with _fonts(width):
        fig, colours = _figure(width, height, theme)
        ax = fig.add_subplot()
        _style_axes(ax, colours)
        layers = np.arange(1, depth + 1)
        for i, c in enumerate(curves):
            r = chain(c.activation, c.params, np.array([z]), depth, weight=weight, bias=bias, dtype="float64")
            logs = r.log10_abs_cumulative[0]
            y = np.where(np.isfinite(logs), logs, np.nan)
            label = short(c.label)
            zero = np.flatnonzero(np.isneginf(logs))
            if zero.size:  # log of 0 cannot be drawn: say so
                label += f" (exactly 0 from layer {zero[0] + 1})"
            ax.plot(
                layers,
                y,
                color=PALETTE[i % len(PALETTE)],
                linewidth=2.0,
                linestyle=("-", "--", "-.", ":")[i % 4],
                marker="o" if depth <= 40 else None,
                markersize=3,
                label=label,
            )
        ax.axhline(0, color=colours["fg"], linewidth=0.9)
        for level, text in ((-3, "vanishing below 1e-3"), (3, "exploding above 1e3")):
            ax.axhline(level, color=colours["shade"], linewidth=1.0, linestyle=":", label=text)
        ax.set_xlim(1, max(depth, 2))
        ax.set_xlabel("layer")
        ax.set_ylabel("log10 |dh_l / dh_0|")
        ax.set_title(f"gradient through depth (z = {z:g}, weight = {weight:g}, bias = {bias:g})", fontsize="medium")
        _legend(ax, colours)
        fig.tight_layout()
        return _save(fig, fmt)

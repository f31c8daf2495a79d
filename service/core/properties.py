"""Properties of an element-wise activation, computed with JAX (never typed in by hand).

One float64 survey evaluates f, f′ and f″ on a grid: spacing 0.01 on [−60, 60], 2,000
log-spaced points out to ±1e6 on each side, and far points ±1e6…±1e15 that stand for the
limits at ±∞. Everything else is read off the survey and refined by bisection:

- non-differentiable points: grid intervals where f or f′ jumps by more than its smooth
  variation (10·h·max|f′| or 10·h·max|f″|) are halved, following the jump, down to a width of
  ~1e-13; a kink is reported only where the jump survives that (found on [−1e6, 1e6], ±1e6
  included);
- the kinks a param places (the entry's declared ones) are searched for out to the farthest
  of them (hardshrink λ = 1e6), and every kink's neighbouring floats and the floats 4 ulps
  away join the survey;
- extrema of f and of |f′|: discrete local extremes of the whole survey (the far points
  included: SiLU with β = 1e-7 has its minimum at −1.28e7) refined by bisection on the sign of
  the derivative (f′ for f, sign(f′)·f″ for |f′|) to adjacent floats; flat stretches
  (derivative exactly 0) that a kink starts or that are entered with a real slope, and kinks,
  count as attained. ``attained`` says whether some float x gives exactly the value (f(x), or
  |f′(x)|), and ``at`` is such an x: on a flat stretch the kink that starts it, else the whole
  number nearest 0, else the float nearest 0. A value only approached as x → ±∞ (sigmoid's 0
  and 1, softplus′ → 1) has ``at = None``; one approached beside a kink without being reached
  (threshold t = 1, v = 2: inf f = 1 as x → 1⁺, f(1) = 2) has ``at`` = the kink and is not
  attained; one that keeps falling out to ±1e15 is unbounded (an extreme past 1e15 is out of
  the survey's reach);
- saturation: |f′| ≤ 1e-5·max(1, sup|f′|) everywhere in [1e6, 1e15] (or its mirror);
- monotonic: f′ and the steps of f keep one sign on the whole survey, kinks' neighbouring
  floats included (softplus with threshold 20 drops from f(20) to f(20 + 1 ulp): not monotonic).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from .evaluate import evaluate
from .registry import VECTOR, Activation

_MAIN = np.arange(-6000, 6001) / 100.0  # exact multiples of 0.01, 0 included exactly
_EXT = np.logspace(np.log10(60.0), 6.0, 2001)[1:]
_FAR = np.logspace(6.0, 15.0, 91)[1:]
GRID = np.concatenate([-_FAR[::-1], -_EXT[::-1], _MAIN, _EXT, _FAR])
# Element-wise evaluations of one survey, for the work a formula's survey is charged: the grid
# and the refinements (about 200 chunks at most; charged as four times the grid's bucket).
SURVEY_EVALUATIONS = 4 * (1 << (GRID.size - 1).bit_length())
# The survey evaluates in chunks of this many points (refinements padded to one): one compiled
# program per activation and params, where a grid-sized one and a small one took two compiles.
SURVEY_CHUNK = 256
SEARCH_LIMIT = 1e6  # the far points, |x| ≥ 1e6, stand for ±∞ (limits, saturation, unbounded)
_KINK_REACH = _FAR[0]  # the generic kink search covers the grid intervals that touch [−1e6, 1e6]
_MAIN_REACH = _MAIN[-1]  # the slopes on [−60, 60] set the scale a real plateau is entered with
_BLOCK = 10  # far points per decade: [1e6, 1e7] against [1e14, 1e15]
SATURATION = 1e-5


@dataclass(frozen=True)
class Extremum:
    value: float | None  # None: unbounded
    at: float | None  # where attained, or the kink it is approached beside; None: only as x → ±∞
    attained: bool = True  # some float x gives exactly this value (f(at), or |f′(at)|)


@dataclass(frozen=True)
class Properties:
    value_at_zero: float
    derivative_at_zero: float
    range: tuple[float | None, float | None]
    minimum: Extremum
    maximum: Extremum
    limits: tuple[float | None, float | None]  # f(−∞), f(+∞); None if unbounded or none
    max_abs_derivative: float | None
    argmax_abs_derivative: float | None
    max_abs_derivative_attained: bool
    monotonic: bool
    monotonic_direction: str | None  # "increasing" / "decreasing" (non-strict)
    zero_centered: bool
    saturates: tuple[bool, bool]  # (left, right)
    non_differentiable_points: tuple[float, ...]

    def as_dict(self) -> dict:
        lo, hi = self.range
        return {
            "value_at_zero": self.value_at_zero,
            "derivative_at_zero": self.derivative_at_zero,
            "range": [lo, hi],
            "minimum": {"value": self.minimum.value, "at": self.minimum.at, "attained": self.minimum.attained},
            "maximum": {"value": self.maximum.value, "at": self.maximum.at, "attained": self.maximum.attained},
            "limits": {"left": self.limits[0], "right": self.limits[1]},
            "max_abs_derivative": self.max_abs_derivative,
            "argmax_abs_derivative": self.argmax_abs_derivative,
            "max_abs_derivative_attained": self.max_abs_derivative_attained,
            "monotonic": self.monotonic,
            "monotonic_direction": self.monotonic_direction,
            "zero_centered": self.zero_centered,
            "saturates": {"left": self.saturates[0], "right": self.saturates[1]},
            "non_differentiable_points": list(self.non_differentiable_points),
        }


class _Survey:
    """f, f′, f″ at sorted points (float64), extendable with more points."""

    def __init__(self, activation: Activation, params: dict, x: np.ndarray):
        self.activation, self.params = activation, params
        self.x = np.empty(0)
        self.f = self.d1 = self.d2 = np.empty(0)
        self.add(x)

    def eval(self, x: np.ndarray):
        x = np.asarray(x, np.float64)
        n = x.size
        size = -(-n // SURVEY_CHUNK) * SURVEY_CHUNK
        padded = np.concatenate([x, np.full(size - n, x[-1])])  # the last point again: finite
        parts = [
            evaluate(self.activation, self.params, chunk, order=2, dtype="float64", device="cpu")
            for chunk in padded.reshape(-1, SURVEY_CHUNK)
        ]
        return tuple(
            np.concatenate([getattr(r, k) for r in parts])[:n] for k in ("value", "derivative", "second_derivative")
        )

    def add(self, x: np.ndarray) -> None:
        x = np.setdiff1d(np.asarray(x, np.float64), self.x)
        if not x.size:
            return
        f, d1, d2 = self.eval(x)
        allx = np.concatenate([self.x, x])
        order = np.argsort(allx, kind="stable")
        self.x = allx[order]
        self.f, self.d1, self.d2 = (
            np.concatenate([a, b])[order] for a, b in ((self.f, f), (self.d1, d1), (self.d2, d2))
        )


def _clean(v: float) -> float:
    """A limit read at x = ±1e15 carries an error of ~1e-15·max(1, |v|) (squareplus′s
    1/|x| tail): keep 12 digits after the point, or 12 significant digits past 1."""
    return round(v, 12) + 0.0 if abs(v) < 1.0 else float(f"{v:.12g}")


def _snap(x: float) -> float:
    """A point found by bisection to ~1e-13: tiny → 0, else 12 significant digits."""
    return 0.0 if abs(x) < 1e-10 else float(f"{x:.12g}")


def _jump_score(fa, fb, da, db, width):
    """How far a step of f between two points exceeds its smooth variation (> 1: a jump)."""
    scale = np.maximum(np.maximum(np.abs(fa), np.abs(fb)), 1.0)
    smooth = 10.0 * width * np.maximum(np.abs(da), np.abs(db)) + 1e-12 * scale
    return np.abs(fb - fa) / smooth


def _around(points: list[float]) -> np.ndarray:
    """Each kink, its neighbouring floats and 4 ulps to each side: where a jump of ~1e-9
    (softplus past its threshold) or a drop that breaks monotonicity shows."""
    k = np.asarray([q for q in points if q != 0.0 and np.isfinite(q)], np.float64)
    if not k.size:
        return k
    ulp = np.spacing(np.abs(k))
    return np.concatenate([k, np.nextafter(k, -np.inf), np.nextafter(k, np.inf), k - 4 * ulp, k + 4 * ulp])


def _kinks(s: _Survey, limit: float) -> list[float]:
    inside = np.abs(s.x) <= limit
    x, f, d1, d2 = s.x[inside], s.f[inside], s.d1[inside], s.d2[inside]
    h = np.diff(x)
    score = np.maximum(_jump_score(f[:-1], f[1:], d1[:-1], d1[1:], h), _jump_score(d1[:-1], d1[1:], d2[:-1], d2[1:], h))
    idx = np.flatnonzero(score > 1.0)
    if not idx.size:
        return []
    a, b = x[idx].copy(), x[idx + 1].copy()
    va = [arr[idx].copy() for arr in (f, d1, d2)]
    vb = [arr[idx + 1].copy() for arr in (f, d1, d2)]
    for _ in range(64):
        m = 0.5 * (a + b)
        done = (m <= a) | (m >= b)
        vm = s.eval(m)
        left = np.maximum(
            _jump_score(va[0], vm[0], va[1], vm[1], m - a), _jump_score(va[1], vm[1], va[2], vm[2], m - a)
        )
        right = np.maximum(
            _jump_score(vm[0], vb[0], vm[1], vb[1], b - m), _jump_score(vm[1], vb[1], vm[2], vb[2], b - m)
        )
        go_left = (left >= right) & ~done
        go_right = ~go_left & ~done
        b = np.where(go_left, m, b)
        a = np.where(go_right, m, a)
        for k in range(3):
            vb[k] = np.where(go_left, vm[k], vb[k])
            va[k] = np.where(go_right, vm[k], va[k])
    # Compare the two sides a little away from the point: a derivative that differs only at
    # the point itself (hardshrink with λ = 0 is the identity) is a convention, not a kink.
    p = 0.5 * (a + b)
    delta = 1e-9 * np.maximum(1.0, np.abs(p))
    lo, hi = s.eval(p - delta), s.eval(p + delta)
    final = np.maximum(
        _jump_score(lo[0], hi[0], lo[1], hi[1], 2 * delta), _jump_score(lo[1], hi[1], lo[2], hi[2], 2 * delta)
    )
    return sorted({_snap(float(q)) for q in p[final > 1.0]})


def _bisect_sign(s: _Survey, a: np.ndarray, b: np.ndarray, slope) -> np.ndarray:
    """Roots of ``slope(f, f′, f″)`` in brackets [a, b] where it changes sign."""
    sa = np.sign(slope(*s.eval(a)))
    for _ in range(64):
        m = 0.5 * (a + b)
        sm = np.sign(slope(*s.eval(m)))
        same = sm == sa
        a, b = np.where(same, m, a), np.where(same, b, m)
        sa = np.where(same, sm, sa)
    return 0.5 * (a + b)


def _prefer(points: np.ndarray, kinks: list[float]) -> float:
    """Of several points where an extreme is attained (a flat stretch): the kink that starts
    it, else a whole number nearest 0, else the point nearest 0 (positive on ties)."""
    at_kink = points[np.isin(points, kinks)]
    whole = points[points == np.round(points)]
    pool = at_kink if at_kink.size else whole if whole.size else points
    return float(min(pool, key=lambda p: (abs(p), p < 0))) + 0.0


def _real_plateau(x: np.ndarray, dh: np.ndarray, flat: np.ndarray) -> np.ndarray:
    """For each flat point, whether the nearest non-flat survey points on its sides have a slope
    above 1e-6 of the largest on [−60, 60] (or there are none: flat throughout). The scale is
    the main part's: squared_relu′ = 2x reaches 2e6 at 1e6, yet f = 0 on x ≤ 0 is a plateau."""
    moving = np.flatnonzero(dh != 0.0)
    if not moving.size:
        return np.ones(flat.size, bool)
    main = dh[np.abs(x) <= _MAIN_REACH]
    threshold = 1e-6 * max(1.0, float(np.max(np.abs(main), initial=0.0, where=np.isfinite(main))))
    pos = np.searchsorted(moving, flat)
    ok = np.zeros(flat.size, bool)
    for side in (pos - 1, pos):
        inside = (side >= 0) & (side < moving.size)
        neighbour = moving[np.clip(side, 0, moving.size - 1)]
        ok |= inside & (np.abs(dh[neighbour]) >= threshold)
    return ok


def _beside_kink(x: np.ndarray, dh: np.ndarray, flat: np.ndarray, kinks: list[float]) -> np.ndarray:
    """For each flat point, whether its flat stretch (out to the nearest survey points where the
    slope is not 0) holds a kink: a stretch a kink starts is a real plateau even where the slope
    beside it is tiny (softplus with a threshold: |f′| = 1 exactly past t/β, σ(t) before)."""
    if not kinks or not flat.size:
        return np.zeros(flat.size, bool)
    moving = np.flatnonzero(dh != 0.0)
    pos = np.searchsorted(moving, flat)
    edges = np.concatenate([[-np.inf], x[moving], [np.inf]])
    lo, hi = edges[pos], edges[pos + 1]
    k = np.asarray(kinks)
    return np.asarray(((k[None, :] >= lo[:, None]) & (k[None, :] <= hi[:, None])).any(axis=1))


def _extreme(s: _Survey, objective, slope, kinks: list[float]) -> Extremum:
    """The infimum of ``objective(f, f′, f″)`` over the reals (``slope`` is its derivative).

    Unbounded when it keeps falling between the far blocks, lowest and not settled at ±1e15
    (softplus with β = 1e-10 falls by 7e9 out there, to 0: bounded); attained where a
    discrete local minimum of the survey is a kink, a sign change of ``slope`` (refined by
    bisection) or a flat stretch (slope exactly 0) that a kink starts or that is entered with a
    slope that is not itself negligible: a tail that underflows to an exact constant (e^{−x²}
    past |x| ≈ 27) is not a plateau.
    """
    h = objective(s.f, s.d1, s.d2)
    dh = slope(s.f, s.d1, s.d2)
    far_l, far_r = s.x <= -SEARCH_LIMIT, s.x >= SEARCH_LIMIT
    for side in (far_l, far_r):
        hs = h[side] if side is far_r else h[side][::-1]  # ordered outward
        falling = hs[-_BLOCK:].min() < hs[:_BLOCK].min() - 1.0 and hs[-1] <= hs.min() and not _settled(hs)
        if not np.all(np.isfinite(hs)) or falling:
            return Extremum(None, None, False)
    limit = float(np.min(h[far_l | far_r]))
    cand_x, cand_h = [], []
    i = np.arange(1, s.x.size - 1)
    i = i[(h[i] <= h[i - 1]) & (h[i] <= h[i + 1])]
    flat = i[dh[i] == 0.0]
    flat = flat[_real_plateau(s.x, dh, flat) | _beside_kink(s.x, dh, flat, kinks)]
    cand_x += list(s.x[flat])
    cand_h += list(h[flat])
    turning = i[(dh[i] != 0.0) & (dh[i - 1] < 0) & (dh[i + 1] > 0)]
    if turning.size:
        roots = _bisect_sign(s, s.x[turning - 1], s.x[turning + 1], slope)
        vals = objective(*s.eval(roots))
        cand_x += list(roots)
        cand_h += list(vals)
        cand_x += list(s.x[turning])  # the grid point itself, in case the root is worse
        cand_h += list(h[turning])
    k = np.flatnonzero(np.isin(s.x, kinks))
    k = k[(k > 0) & (k < s.x.size - 1)]
    k = k[(h[k] <= h[k - 1]) & (h[k] <= h[k + 1])]
    cand_x += list(s.x[k])
    cand_h += list(h[k])
    cx, ch = np.asarray(cand_x, np.float64), np.asarray(cand_h, np.float64)
    g = int(np.argmin(h))
    overall = min(float(h[g]), limit, float(ch.min()) if ch.size else np.inf)
    tol = 1e-12 * max(1.0, abs(overall))
    if ch.size and ch.min() <= overall + tol:
        best = float(ch.min())
        return Extremum(best, _prefer(cx[ch <= best + tol], kinks))
    if limit <= overall + tol:
        return Extremum(_clean(limit), None, False)
    # Lowest next to a kink without reaching it (hard_silu′ → 1.5 as x → 3⁻ with the outer
    # convention): the lower one-sided limit, read 4 ulps from the kink and placed at it.
    at: float = min(kinks, key=lambda q: abs(q - s.x[g])) if kinks else float(s.x[g])
    delta = max(4.0 * float(np.spacing(abs(at))), float(np.finfo(np.float64).tiny))
    side = np.array([at - delta, at + delta])
    return Extremum(_clean(float(np.min(objective(*s.eval(side))))), at, False)


def _far_block(values: np.ndarray, x: np.ndarray, left: bool) -> np.ndarray:
    return values[x <= -SEARCH_LIMIT] if left else values[x >= SEARCH_LIMIT]


def _settled(outward: np.ndarray) -> bool:
    """Far values (ordered outward) that vary by at most 1e-9·max(1, |v|) over the last decade."""
    tail = outward[-_BLOCK:]
    if not np.all(np.isfinite(tail)):
        return False
    return bool(tail.max() - tail.min() <= 1e-9 * max(1.0, float(np.abs(tail).max())))


def _limit(s: _Survey, left: bool) -> float | None:
    f = _far_block(s.f, s.x, left)
    outward = f[::-1] if left else f
    return _clean(float(outward[-1])) if _settled(outward) else None  # else still moving or oscillating


@functools.lru_cache(maxsize=1024)
def _compute(activation: Activation, frozen_params: tuple) -> Properties:
    params = dict(frozen_params)
    s = _Survey(activation, params, GRID)
    declared = [float(k) for k in activation.non_differentiable_points(params) if np.isfinite(k)]
    s.add(_around(declared))
    # A param can put a kink anywhere its range allows (hardshrink λ = 1e6): search out to it.
    kinks = _kinks(s, max([_KINK_REACH, *(1.01 * abs(k) for k in declared)]))
    if kinks:
        k = np.asarray(kinks)
        step = 1e-9 * np.maximum(1.0, np.abs(k))
        s.add(np.concatenate([_around(kinks), k, k - step, k + step]))
    zero = int(np.flatnonzero(s.x == 0.0)[0])

    low = _extreme(s, lambda f, d1, d2: f, lambda f, d1, d2: d1, kinks)
    high = _extreme(s, lambda f, d1, d2: -f, lambda f, d1, d2: -d1, kinks)
    high = Extremum(None if high.value is None else -high.value + 0.0, high.at, high.attained)
    steep = _extreme(s, lambda f, d1, d2: -np.abs(d1), lambda f, d1, d2: -np.sign(d1) * d2, kinks)
    sup_d = None if steep.value is None else -steep.value

    scale = max(1.0, sup_d if sup_d is not None else 1.0)
    slope_tol = 1e-12 * scale
    steps = np.diff(s.f)
    step_tol = 1e-12 * np.maximum(1.0, np.abs(s.f[1:]))
    up = np.all(s.d1 >= -slope_tol) and np.all(steps >= -step_tol)
    down = np.all(s.d1 <= slope_tol) and np.all(steps <= step_tol)
    direction = "increasing" if up and not down else "decreasing" if down and not up else None
    if up and down:
        direction = "constant"

    lo, hi = low.value, high.value
    f0 = float(s.f[zero])
    symmetric = (lo is None and hi is None) or (
        lo is not None and hi is not None and abs(lo + hi) <= 1e-9 * max(1.0, abs(hi))
    )
    left, right = (bool(np.all(np.abs(_far_block(s.d1, s.x, side)) <= SATURATION * scale)) for side in (True, False))
    return Properties(
        value_at_zero=f0,
        derivative_at_zero=float(s.d1[zero]),
        range=(lo, hi),
        minimum=low,
        maximum=high,
        limits=(_limit(s, True), _limit(s, False)),
        max_abs_derivative=sup_d,
        argmax_abs_derivative=steep.at,
        max_abs_derivative_attained=steep.attained,
        monotonic=direction is not None,
        monotonic_direction=direction,
        zero_centered=abs(f0) <= 1e-12 and symmetric,
        saturates=(left, right),
        non_differentiable_points=tuple(kinks),
    )


def properties(activation: Activation, params: dict) -> Properties:
    """The computed properties of an element-wise activation at bound ``params``."""
    if activation.kind == VECTOR:
        raise ValueError("properties are defined for element-wise activations")
    # A custom formula may be NaN or infinite somewhere (log x for x < 0): those points are
    # handled as such, so NumPy's warnings about them are noise.
    with np.errstate(all="ignore"):
        return _compute(activation, tuple(sorted(params.items(), key=lambda kv: kv[0])))


def max_abs_derivative(activation: Activation, params: dict) -> tuple[float | None, float | None]:
    """(sup |f′|, where it is attained) over the reals; (None, None) when |f′| is unbounded,
    (sup, None) when the supremum is only approached as x → ±∞."""
    p = properties(activation, params)
    return p.max_abs_derivative, p.argmax_abs_derivative

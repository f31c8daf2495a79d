// The curves: f and f′ of every selected activation on a grid (one POST /v1/evaluate per
// activation per change), two panels to read, zoom and pan, and a table of exact values.
import { $, api, el, fmt, latestOnly, roving, whileBusy } from "./util.js";
import { colour, label, reference, saveState, state, swatch } from "./state.js";
import { Chart, axes, drawable, gapsAt, guide, jumps, pieces, padded, robustRange } from "./charts.js";
import { showParamErrors } from "./controls.js";

export const GRID_POINTS = 401;
const DEFAULT_X = [-5, 5];
const SATURATED = 0.01;  // |f′| below this is shaded, as the API's own plots shade it

// What is drawn, for the reader's assistive text and for tests: each panel's y range and the
// number of pieces each curve is drawn in (a jump or a pole leaves a gap).
export const view = { range: {}, pieces: {} };

let panels = null;
const curvesTurn = latestOnly();
const readoutTurn = latestOnly();

function xRange() {
  return [Number($("xmin").value), Number($("xmax").value)];
}

/** Evaluate every selected curve on the grid (and the readout's x, in the same request). */
export async function refresh() {
  const [xmin, xmax] = xRange();
  if (!(xmin < xmax)) {
    $("errors").textContent = "x range: 'from' must be less than 'to'";
    return;
  }
  $("errors").textContent = "";
  const current = curvesTurn();
  const grid = Array.from({ length: GRID_POINTS }, (_, i) => (i === GRID_POINTS - 1 ? xmax : xmin + (i * (xmax - xmin)) / (GRID_POINTS - 1)));
  const readX = state.readX;
  const settled = await whileBusy(
    Promise.allSettled(
      state.selected.map((key) => api("POST", "/v1/evaluate", { activation: reference(key), x: [...grid, readX], order: 1, dtype: "float64" })),
    ),
  );
  if (!current()) return false;
  state.curves.clear();
  state.errors.clear();
  state.points.clear();
  state.selected.forEach((key, i) => {
    // One activation's refusal stays with it; the others are drawn.
    if (settled[i].status !== "fulfilled") {
      state.errors.set(key, settled[i].reason.message);
      return;
    }
    const r = settled[i].value;
    const n = GRID_POINTS;
    state.curves.set(key, { x: r.x.slice(0, n), value: r.value.slice(0, n), derivative: r.derivative.slice(0, n) });
    state.points.set(key, new Map([[readX, [r.value[n], r.derivative[n]]]]));
  });
  showParamErrors();
  drawCurves();
  saveState();
  await updateReadout();
  return true;
}

// ----- the two panels -------------------------------------------------------------------------------

function manual(lowId, highId) {
  const read = (id) => ($(id).value === "" ? null : Number($(id).value));
  return [read(lowId), read(highId)];
}

/** The y range of a panel: the reader's (either end or both), else one that fits the curves. */
function yRange(series, lowId, highId) {
  const [low, high] = manual(lowId, highId);
  if (low !== null && high !== null && low < high) return [low, high];
  let [lo, hi] = robustRange(series);
  if (low !== null) lo = low;
  if (high !== null) hi = high;
  return lo < hi ? [lo, hi] : padded(lo, lo);
}

/** Stretches of x where the one curve drawn is saturated (|f′| below the threshold). */
function saturated() {
  if (state.curves.size !== 1) return [];
  const c = state.curves.values().next().value;
  const out = [];
  c.x.forEach((x, i) => {
    const d = c.derivative[i];
    if (d !== null && Math.abs(d) < SATURATED && i + 1 < c.x.length) out.push([x, c.x[i + 1]]);
  });
  return out;
}

function panel(chart, which, ids) {
  const keys = [...state.curves.keys()];
  const xr = xRange();
  const yr = yRange(keys.map((k) => state.curves.get(k)[which]), ...ids);
  const xs = keys.length ? state.curves.get(keys[0]).x : xr;
  const data = [xs];
  const series = [{}];
  view.range[which] = yr;
  view.pieces[which] = {};
  for (const key of keys) {
    const raw = state.curves.get(key)[which].map((y) => (y === null || !Number.isFinite(y) ? null : y));
    const cuts = jumps(raw, yr);
    view.pieces[which][key] = pieces(raw, cuts);
    data.push(drawable(raw, yr));
    const width = which === "value" ? 2.2 : 1.8;
    series.push({
      label: label(key), stroke: colour(key), width,
      dash: which === "value" ? undefined : [7, 5], points: { show: false }, gaps: gapsAt(cuts, width),
    });
  }
  const shade = saturated();
  chart.show(
    (t) => ({
      scales: { x: { time: false, range: xr }, y: { range: yr } },
      axes: axes(t, { x: "x", y: which === "value" ? "f(x)" : "f′(x)" }),
      series,
      legend: { show: false },
      cursor: { sync: { key: "curves" }, drag: { x: true, y: true, setScale: false, dist: 10 } },
      hooks: {
        drawClear: [(u) => {
          const { ctx, bbox } = u;
          ctx.save();
          ctx.fillStyle = t.shade;
          for (const [a, b] of shade) {
            const left = u.valToPos(a, "x", true);
            ctx.fillRect(left, bbox.top, u.valToPos(b, "x", true) - left + 0.5, bbox.height);
          }
          ctx.restore();
        }],
        drawAxes: [(u) => {  // axes through the origin, under the curves
          if (yr[0] < 0 && yr[1] > 0) guide(u, t, "y", 0, { width: 1.2 });
          if (xr[0] < 0 && xr[1] > 0) guide(u, t, "x", 0, { width: 1.2 });
        }],
        draw: [(u) => {
          if (state.readX >= xr[0] && state.readX <= xr[1]) guide(u, t, "x", state.readX, { dash: [2, 3] });
        }],
        setCursor: [(u) => { if (u.cursor.idx != null && u.cursor.left >= 0) setReadX(u.data[0][u.cursor.idx]); }],
        setSelect: [(u) => zoomToSelection(u, ids)],
        ready: [(u) => {
          // A tap on a phone reads the curve where it lands; a double click resets the view.
          u.over.addEventListener("pointerdown", (event) => {
            const i = u.posToIdx(event.clientX - u.over.getBoundingClientRect().left);
            if (i != null && u.data[0][i] !== undefined) setReadX(u.data[0][i]);
          });
          u.over.addEventListener("dblclick", resetView);
        }],
      },
    }),
    data,
  );
}

export function drawCurves() {
  panels ||= { value: new Chart($("curve")), derivative: new Chart($("curve-derivative")) };
  panel(panels.value, "value", ["ymin", "ymax"]);
  // For bench/page.py: when a reader first sees a curve.
  if (state.curves.size && !performance.getEntriesByName("actfn:first-curve").length) performance.mark("actfn:first-curve");
  panel(panels.derivative, "derivative", ["dymin", "dymax"]);
  // The legend is HTML beside the plot: it never covers a curve, and screen readers read it.
  const keys = [...state.curves.keys()];
  $("legend").replaceChildren(...keys.map((key) => el("li", { dataset: { activation: key } }, swatch(key), label(key))));
  const names = keys.map(label).join(", ") || "nothing selected";
  const [xmin, xmax] = xRange();
  const shaded = state.curves.size === 1 ? ` Shaded: where |f′| < ${SATURATED} (saturated).` : "";
  const range = (r) => `y from ${fmt(r[0])} to ${fmt(r[1])}`;
  $("curve").setAttribute("aria-label", `Plot of f(x) for x from ${xmin} to ${xmax}, ${range(view.range.value)}: ${names}.${shaded} Exact values in the table below.`);
  $("curve-derivative").setAttribute("aria-label", `Plot of f′(x), dashed, ${range(view.range.derivative)}, for the same curves.`);
}

function redrawMarks() {
  panels?.value.redraw();
  panels?.derivative.redraw();
}

// ----- zoom and pan ---------------------------------------------------------------------------------

function short(v, span) {
  // Enough digits to tell the ends apart at this span, no more.
  const digits = Math.max(1, Math.ceil(Math.log10(Math.abs(v) / span + 1)) + 3);
  return String(Number(v.toPrecision(Math.min(15, digits))));
}

function setX(lo, hi) {
  if (!(lo < hi) || !Number.isFinite(lo) || !Number.isFinite(hi)) return;
  $("xmin").value = short(lo, hi - lo);
  $("xmax").value = short(hi, hi - lo);
  refresh();
}

/** A box dragged on a panel: x becomes its width (both panels), y its height (that panel),
 * unless the drag was all one way. */
function zoomToSelection(u, [lowId, highId]) {
  const s = { ...u.select };  // setSelect below clears u.select itself
  if (s.width < 10 && s.height < 10) return;
  const full = (px, size) => px >= size - 1;
  const yOnly = full(s.width, u.over.clientWidth);
  const xOnly = full(s.height, u.over.clientHeight);
  const [x0, x1] = [u.posToVal(s.left, "x"), u.posToVal(s.left + s.width, "x")];
  const [y0, y1] = [u.posToVal(s.top + s.height, "y"), u.posToVal(s.top, "y")];
  u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
  if (!xOnly && s.height >= 10) {
    $(lowId).value = short(y0, y1 - y0);
    $(highId).value = short(y1, y1 - y0);
  }
  if (!yOnly && s.width >= 10) setX(x0, x1);
  else drawCurves();
}

function zoom(factor) {
  const [lo, hi] = xRange();
  const centre = state.readX >= lo && state.readX <= hi ? state.readX : (lo + hi) / 2;
  setX(centre - (centre - lo) * factor, centre + (hi - centre) * factor);
}

function pan(fraction) {
  const [lo, hi] = xRange();
  const by = (hi - lo) * fraction;
  setX(lo + by, hi + by);
}

function resetView() {
  for (const id of ["ymin", "ymax", "dymin", "dymax"]) $(id).value = "";
  setX(...DEFAULT_X);
}

// ----- the readout: exact values at one x --------------------------------------------------------------

export async function updateReadout() {
  const x = state.readX;
  const current = readoutTurn();
  const keys = state.selected.filter((key) => !state.errors.has(key));
  // Values the page already holds (a grid point under the pointer, the point asked with the
  // curves) are shown as they are; only a new x is asked for.
  const held = (key) => {
    const known = state.points.get(key)?.get(x);
    if (known) return known;
    const c = state.curves.get(key);
    const i = c ? c.x.indexOf(x) : -1;
    return i >= 0 ? [c.value[i], c.derivative[i]] : null;
  };
  const rows = await Promise.all(
    keys.map(async (key) => {
      const known = held(key);
      if (known) return [key, ...known];
      const r = key.startsWith("expr:") || Object.keys(state.params[key] || {}).length
        ? await api("POST", "/v1/evaluate", { activation: reference(key), x: [x], order: 1, dtype: "float64" })
        : await api("GET", `/v1/activations/${key}/evaluate?x=${x}&order=1&dtype=float64`);
      state.points.get(key)?.set(x, [r.value[0], r.derivative[0]]);
      return [key, r.value[0], r.derivative[0]];
    }),
  );
  if (!current()) return;
  $("readout").querySelector("tbody").replaceChildren(
    ...rows.map(([key, value, derivative]) =>
      el(
        "tr",
        { dataset: { activation: key, x: String(x) } },
        el("td", {}, swatch(key), label(key)),
        el("td", { dataset: { value: String(value) } }, fmt(value)),
        el("td", { dataset: { derivative: String(derivative) } }, fmt(derivative)),
      ),
    ),
  );
}

/** The pointer and the arrow keys read the curve's own grid points: their values are here. */
export function nearestGridX(x) {
  const c = state.curves.values().next().value;
  if (!c) return x;
  let best = c.x[0];
  for (const g of c.x) if (Math.abs(g - x) < Math.abs(best - x)) best = g;
  return best;
}

let readTimer = null;
export function setReadX(x, fromInput = false) {
  x = Number(x);
  if (!Number.isFinite(x) || x === state.readX) return;
  state.readX = x;
  if (!fromInput) $("read-x").value = String(Number(x.toPrecision(6)));
  redrawMarks();
  clearTimeout(readTimer);
  readTimer = setTimeout(() => updateReadout().catch((err) => { $("errors").textContent = err.message; }), 60);
}

export function hookCurves() {
  const plot = $("curve");
  plot.addEventListener("keydown", (event) => {
    const [lo, hi] = xRange();
    const step = (hi - lo) / 100;
    const keys = {
      ArrowRight: () => (event.shiftKey ? pan(0.25) : setReadX(nearestGridX(state.readX + step))),
      ArrowLeft: () => (event.shiftKey ? pan(-0.25) : setReadX(nearestGridX(state.readX - step))),
      "+": () => zoom(0.5), "=": () => zoom(0.5), "-": () => zoom(2), "0": resetView,
    };
    if (keys[event.key]) { keys[event.key](); event.preventDefault(); }
  });
  roving($("view-controls"), "button");
  $("zoom-in").addEventListener("click", () => zoom(0.5));
  $("zoom-out").addEventListener("click", () => zoom(2));
  $("pan-left").addEventListener("click", () => pan(-0.25));
  $("pan-right").addEventListener("click", () => pan(0.25));
  $("zoom-reset").addEventListener("click", resetView);
  $("read-x").addEventListener("change", (event) => setReadX(event.target.value, true));
  $("xmin").addEventListener("change", refresh);
  $("xmax").addEventListener("change", refresh);
  for (const id of ["ymin", "ymax", "dymin", "dymax"]) $(id).addEventListener("change", drawCurves);
}

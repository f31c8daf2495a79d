// Charts on uPlot (vendored: axes, ticks, high-DPI canvas, cursor, drag selection). This room
// knows nothing of the API: it is given numbers and draws them.
import { tick } from "./util.js";

const uPlot = window.uPlot;
const FONT = "12px system-ui, sans-serif";

/** The page's colours in force (light or dark), read from its CSS. */
function theme() {
  const style = getComputedStyle(document.body);
  const css = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
  return { fg: style.color, line: css("--line", "#ccc"), shade: css("--shade", "rgba(128,128,128,0.15)") };
}

/** One chart filling its holder element (whose size the stylesheet sets, so the page does not
 * move when data arrives), drawn at the device's pixel density; rebuilt with new data, resized
 * with the page, redrawn in the other theme when the reader's system switches. */
export class Chart {
  constructor(holder) {
    this.holder = holder;
    this.u = null;
    this.build = null;
    new ResizeObserver(() => this.resize()).observe(holder);
    matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => this.render());
  }

  size() {
    return { width: Math.max(100, this.holder.clientWidth), height: Math.max(100, this.holder.clientHeight) };
  }

  /** `build(theme)` gives uPlot's options for `data` ([xs, ys1, ys2, …]). */
  show(build, data) {
    this.build = build;
    this.data = data;
    this.render();
  }

  render() {
    if (!this.build) return;
    this.u?.destroy();
    this.u = new uPlot({ ...this.build(theme()), ...this.size() }, this.data, this.holder);
  }

  resize() {
    const size = this.size();
    if (this.u && (size.width !== this.u.width || size.height !== this.u.height)) this.u.setSize(size);
  }

  redraw() {
    this.u?.redraw(false);
  }
}

/** Axes in the theme's colours with short tick labels; `integers` for layer numbers. */
export function axes(t, { x, y, yValues, integers = false }) {
  const common = {
    stroke: t.fg, font: FONT, labelFont: FONT, labelSize: 18,
    grid: { stroke: t.line, width: 1 }, ticks: { stroke: t.line, width: 1, size: 4 },
  };
  const xAxis = { ...common, label: x, size: 26, values: (u, splits) => splits.map(tick) };
  if (integers) xAxis.incrs = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];
  return [xAxis, { ...common, label: y, size: 52, values: yValues || ((u, splits) => splits.map(tick)) }];
}

/** A line across the plot at `value` on scale `scale` ("x" or "y"), dashed or not, labelled. */
export function guide(u, t, scale, value, { dash = [], text = "", width = 1, colour = t.fg } = {}) {
  const { ctx, bbox } = u;
  const r = uPlot.pxRatio;
  const at = u.valToPos(value, scale, true);
  ctx.save();
  ctx.strokeStyle = colour;
  ctx.lineWidth = width * r;
  ctx.setLineDash(dash.map((d) => d * r));
  ctx.beginPath();
  if (scale === "y") { ctx.moveTo(bbox.left, at); ctx.lineTo(bbox.left + bbox.width, at); }
  else { ctx.moveTo(at, bbox.top); ctx.lineTo(at, bbox.top + bbox.height); }
  ctx.stroke();
  if (text) {
    ctx.fillStyle = t.fg;
    ctx.font = `${12 * r}px system-ui, sans-serif`;
    ctx.textAlign = "right";
    ctx.fillText(text, bbox.left + bbox.width - 4 * r, at - 4 * r);
  }
  ctx.restore();
}

/** Where a curve jumps (binary_step at 0, hardshrink at ±λ, relu′ at 0) or crosses a pole (1/x):
 * the i of each step from point i to i + 1 that is far larger than the steps on either side of
 * it, or that goes from far above the y range `yr` to far below it. */
export function jumps(ys, yr) {
  const span = yr[1] - yr[0];
  const step = (k) => (k >= 0 && k + 1 < ys.length && ys[k] !== null && ys[k + 1] !== null ? Math.abs(ys[k + 1] - ys[k]) : 0);
  const out = [];
  for (let i = 0; i + 1 < ys.length; i += 1) {
    const a = ys[i];
    const b = ys[i + 1];
    if (a === null || b === null) continue;
    const jump = step(i) > 0.02 * span && step(i) > 8 * Math.max(step(i - 1), step(i + 1));
    const pole = (a - yr[1] > span && yr[0] - b > span) || (yr[0] - a > span && b - yr[1] > span);
    if (jump || pole) out.push(i);
  }
  return out;
}

/** How many pieces a curve is drawn in: runs of numbers, cut by gaps (no number) and jumps. */
export function pieces(ys, cuts) {
  const cut = new Set(cuts);
  let n = 0;
  let pen = false;
  ys.forEach((y, i) => {
    if (y === null) { pen = false; return; }
    if (!pen) n += 1;
    pen = !cut.has(i);
  });
  return n;
}

/** uPlot's gap refiner for a series: its own gaps (nulls) and the steps `cuts` left undrawn.
 * A gap is widened by the line's width, so a near-vertical step's stroke does not show at its
 * edges. */
export function gapsAt(cuts, width) {
  return (u, seriesIdx, idx0, idx1, nullGaps) => {
    const xs = u.data[0];
    const pad = width * uPlot.pxRatio;
    const more = cuts
      .filter((i) => i >= idx0 && i < idx1)
      .map((i) => [u.valToPos(xs[i], "x", true) - pad, u.valToPos(xs[i + 1], "x", true) + pad]);
    return [...nullGaps, ...more].sort((a, b) => a[0] - b[0]);
  };
}

/** Numbers only (no NaN, no ±∞), and none so far outside the range `yr` that a canvas
 * coordinate overflows: a line to 1e300 is drawn to just beyond the plot's edge. */
export function drawable(ys, yr) {
  const span = yr[1] - yr[0];
  return ys.map((y) => (y === null || !Number.isFinite(y) ? null : Math.min(yr[1] + span, Math.max(yr[0] - span, y))));
}

/** A y range that fits the values without letting a pole (1/x) flatten the rest: every value
 * within 1.5 spreads of the 5th–95th percentile band, padded by 8 %. */
export function robustRange(series) {
  const values = series.flat().filter((y) => y !== null && Number.isFinite(y)).sort((a, b) => a - b);
  if (!values.length) return [-1, 1];
  const at = (q) => values[Math.round(q * (values.length - 1))];
  const spread = Math.max(at(0.95) - at(0.05), 1e-9);
  const kept = values.filter((v) => v >= at(0.05) - 1.5 * spread && v <= at(0.95) + 1.5 * spread);
  return padded(kept[0], kept[kept.length - 1]);
}

export function padded(lo, hi) {
  if (hi - lo < 1e-9) { lo -= 1; hi += 1; }
  const pad = 0.08 * (hi - lo);
  return [lo - pad, hi + pad];
}

/** A chart over layers 1…depth: a line per series (a dot where depth is 1), markers where a
 * series has them (`marks`: a value where marked, else null), labelled guide lines. */
export function layerChart(chart, { depth, series, yRange, yLabel, yValues, guides = [] }) {
  const xs = Array.from({ length: depth }, (_, i) => i + 1);
  const data = [xs];
  const specs = [{}];
  for (const s of series) {
    data.push(s.ys);
    specs.push({ label: s.label, stroke: s.colour, width: 2, points: { show: depth === 1, size: 8, fill: s.colour } });
    if (s.marks) {
      data.push(s.marks);
      specs.push({ label: `${s.label} (marked)`, stroke: s.colour, paths: () => null, points: { show: true, size: 8, fill: s.colour } });
    }
  }
  chart.show(
    (t) => ({
      scales: { x: { time: false, range: depth === 1 ? [0.5, 1.5] : [1, depth] }, y: { range: yRange } },
      axes: axes(t, { x: "layer", y: yLabel, yValues, integers: true }),
      series: specs,
      legend: { show: false },
      cursor: { show: false, drag: { x: false, y: false } },
      hooks: { draw: [(u) => guides.forEach((g) => guide(u, t, "y", g.y, { dash: [3, 4], text: g.text }))] },
    }),
    data,
  );
}

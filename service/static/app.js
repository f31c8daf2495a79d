// actfn's reference front-end: plain JavaScript against the JSON API, no build step, no CDN.
// Every number shown comes from a request you can see in this file:
//   GET  /v1/activations?kind=elementwise   the catalog (params, formulas, code)
//   POST /v1/evaluate                       curves, the readout's point, softmax and friends
//   GET  /v1/activations/{name}/evaluate    exact values at a new x (the readout)
//   POST /v1/chain                          the gradient through depth (and the walk)
//   POST /v1/gradient-flow                  dead units per layer (dying ReLU)
//   GET  /v1/concepts[/{id}]                the theory and its computed illustrations
//   GET  /v1/quiz/questions, POST /v1/quiz/grade   practice
"use strict";

// Okabe–Ito (distinguishable with the common colour-vision deficiencies), then Tol's muted
// colours: 12 before one repeats, and none black, which vanishes on the dark theme.
const PALETTE = [
  "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
  "#882255", "#44AA99", "#999933", "#AA4499", "#DDCC77", "#6699CC",
];
const GRID_POINTS = 401;
const $ = (id) => document.getElementById(id);

const state = {
  catalog: new Map(),  // name -> catalog entry
  // Two curves that tell the story at once: sigmoid's gradient vanishes with depth, relu's
  // survives (from z = 0.5, away from relu's kink at 0).
  selected: ["sigmoid", "relu"],  // names (and "expr:<n>" keys) in the order picked
  params: {},  // name -> {param: value}
  expressions: [],  // [{key, text}]
  curves: new Map(),  // key -> {x, value, derivative}
  errors: new Map(),  // key -> the problem detail of its last request (one activation's only)
  points: new Map(),  // key -> Map(x -> [f, f′]) read off the plot or asked for
  readX: 0.5,
};

// ----- API --------------------------------------------------------------------------------

async function api(method, path, body) {
  const init = { method, headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const data = await response.json();
  if (!response.ok) {
    // problem+json: detail names the field and the rule (and a formula's 1-based position).
    const error = new Error(data.detail || data.title || `HTTP ${response.status}`);
    const at = /at position (\d+)$/.exec(error.message);
    error.position = at ? Number(at[1]) : null;
    throw error;
  }
  return data;
}

// Answers can arrive out of order (a slider dragged fast): draw only the latest of each kind.
const generation = { curves: 0, readout: 0, chain: 0, flow: 0 };

// Every text from the API or the user goes into the page as a text node, never as HTML.
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "dataset") Object.assign(node.dataset, v);
    else if (k === "style") node.style.cssText = v;
    else node.setAttribute(k, v);
  }
  for (const child of children) node.append(child);
  return node;
}

function swatch(key) {
  return el("span", { class: "swatch", style: `background:${colour(key)}` });
}

function showError(err) {
  $("errors").textContent = err ? String(err.message || err) : "";
}

// The activation reference of one curve, as every compute endpoint takes it.
function reference(key) {
  if (key.startsWith("expr:")) {
    const e = state.expressions.find((item) => item.key === key);
    return { expression: e.text };
  }
  const params = state.params[key] || {};
  return Object.keys(params).length ? { name: key, params } : key;
}

function label(key) {
  if (key.startsWith("expr:")) return state.expressions.find((e) => e.key === key).text;
  const params = state.params[key] || {};
  const shown = Object.entries(params).map(([k, v]) => `${k}=${v}`).join(", ");
  return shown ? `${key} (${shown})` : key;
}

function colour(key) {
  return PALETTE[state.selected.indexOf(key) % PALETTE.length];
}

// ----- catalog and parameter controls -----------------------------------------------------

async function loadCatalog() {
  const data = await api("GET", "/v1/activations?kind=elementwise");
  for (const entry of data.activations) state.catalog.set(entry.name, entry);
  const list = $("activation-list");
  for (const entry of data.activations) {
    const box = el("input", { type: "checkbox", id: `act-${entry.name}`, value: entry.name });
    const words = [entry.name, ...entry.aliases].join(" ");
    const item = el("label", { for: box.id, title: entry.summary, dataset: { words } }, box, " ", el("span", {}, entry.name));
    if (entry.aliases.length) item.append(el("span", { class: "alias" }, ` (${entry.aliases.join(", ")})`));
    list.append(item);
    box.checked = state.selected.includes(entry.name);
    box.addEventListener("change", () => toggle(entry.name, box.checked));
  }
  const filter = () => {
    const needle = $("filter").value.trim().toLowerCase().replace(/-/g, "_");
    let shown = 0;
    for (const item of list.children) {
      item.hidden = Boolean(needle) && !item.dataset.words.toLowerCase().includes(needle);
      if (!item.hidden) shown += 1;
    }
    $("filter-count").textContent = needle ? `${shown} of ${list.children.length} shown` : `${list.children.length} activations`;
  };
  $("filter").addEventListener("input", filter);
  filter();
}

function toggle(name, on) {
  if (on && !state.selected.includes(name)) state.selected.push(name);
  if (!on) state.selected = state.selected.filter((key) => key !== name);
  renderParamControls();
  renderMaths();
  refresh();
}

// A slider over a range worth teaching with, not the param's whole legal range: a log scale
// for positive params whose bounds span decades, else a linear one with the default on a
// step; beside it an exact number input that takes any valid value.
const SLIDER_STEPS = 200;

function sliderScale(p) {
  const d = p.default;
  const lo = p.minimum ?? -Infinity;
  const hi = p.maximum ?? Infinity;
  if (d > 0 && lo >= 0 && (hi / d > 20 || !Number.isFinite(hi))) {
    const a = Math.max(d / 20, lo > 0 ? lo : 0, Number.MIN_VALUE);
    const b = Math.min(d * 20, hi);
    return {
      log: true,
      toValue: (t) => a * Math.pow(b / a, t / SLIDER_STEPS),
      toStep: (v) => Math.round((SLIDER_STEPS * Math.log(v / a)) / Math.log(b / a)),
      range: [a, b],
    };
  }
  const scale = Math.max(1, Math.abs(d));
  let step = scale / 20;
  let a = Math.max(lo, d - (step * SLIDER_STEPS) / 2);
  const b = Math.min(hi, d + (step * SLIDER_STEPS) / 2);
  if (p.exclusive_minimum && a <= lo) a = lo + step / 10;
  const below = Math.round((d - a) / step);
  if (below > 0) step = (d - a) / below;  // the default lands exactly on a step
  const steps = Math.max(1, Math.round((b - a) / step));
  return {
    log: false,
    toValue: (t) => a + t * step,
    toStep: (v) => Math.round((v - a) / step),
    range: [a, a + steps * step],
    steps,
  };
}

function paramRow(key, p, current) {
  const id = `param-${key}-${p.name}`;
  const row = el("div", { class: "param" });
  const name = el("span", {}, `${key}: ${p.name}`);
  if (p.type === "choice") {
    const select = el("select", { id, title: p.description });
    for (const choice of p.choices) select.add(new Option(choice, choice, false, choice === current));
    select.addEventListener("change", () => setParam(key, p.name, select.value));
    row.append(el("label", { for: id }, name), select);
    return row;
  }
  const scale = sliderScale(p);
  const steps = scale.log ? SLIDER_STEPS : scale.steps;
  const slider = el("input", {
    type: "range", id, min: "0", max: String(steps), step: "1", title: p.description,
    "aria-valuetext": String(current), "data-scale": scale.log ? "log" : "linear",
  });
  slider.value = String(Math.min(steps, Math.max(0, scale.toStep(current))));
  const exact = el("input", {
    type: "number", id: `${id}-exact`, step: "any", "aria-label": `${key} ${p.name}, exact value`, title: p.description,
  });
  if (p.minimum !== undefined) exact.min = String(p.minimum);
  if (p.maximum !== undefined) exact.max = String(p.maximum);
  exact.value = String(current);
  slider.addEventListener("input", () => {
    const value = Number(scale.toValue(Number(slider.value)).toPrecision(4));
    exact.value = String(value);
    slider.setAttribute("aria-valuetext", String(value));
    setParam(key, p.name, value);
  });
  exact.addEventListener("change", () => {
    const value = Number(exact.value);
    if (exact.value === "" || !Number.isFinite(value)) return;
    slider.value = String(Math.min(steps, Math.max(0, scale.toStep(value))));
    slider.setAttribute("aria-valuetext", String(value));
    setParam(key, p.name, value);
  });
  row.append(el("label", { for: id }, name), el("div", { class: "slider-pair" }, slider, exact));
  return row;
}

function renderParamControls() {
  const box = $("param-controls");
  box.replaceChildren();
  let any = false;
  for (const key of state.selected) {
    const entry = state.catalog.get(key);
    if (!entry) continue;
    const group = el("div", { class: "param-group", dataset: { activation: key } });
    for (const p of entry.params) {
      if (p.type !== "float" && p.type !== "choice") continue;
      if (p.type === "float" && p.default === null) continue;  // nullable "off" settings keep their default
      any = true;
      group.append(paramRow(key, p, (state.params[key] || {})[p.name] ?? p.default));
    }
    // One activation's refusal (e.g. hard_tanh min_val above max_val) stays beside its controls.
    group.append(el("p", { class: "param-error", id: `param-error-${key}`, role: "alert" }));
    box.append(group);
  }
  $("no-params").hidden = any;
  showParamErrors();
}

function showParamErrors() {
  for (const key of state.selected) {
    const box = key.startsWith("expr:")
      ? document.querySelector(`#expression-list li[data-key="${key}"] .field-error`)
      : document.getElementById(`param-error-${key}`);
    if (box) box.textContent = state.errors.get(key) || "";
  }
}

let refreshTimer = null;
function setParam(key, name, value) {
  state.params[key] = { ...(state.params[key] || {}), [name]: value };
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, 120);  // debounce slider drags
}

// ----- curves -------------------------------------------------------------------------------

async function refresh() {
  showError(null);
  const xmin = Number($("xmin").value);
  const xmax = Number($("xmax").value);
  if (!(xmin < xmax)) {
    showError("x range: 'from' must be less than 'to'");
    return;
  }
  const mine = ++generation.curves;
  setBusy(true);
  // One request per activation: the grid of the plot and the readout's point together.
  const grid = Array.from({ length: GRID_POINTS }, (_, i) => (i === GRID_POINTS - 1 ? xmax : xmin + (i * (xmax - xmin)) / (GRID_POINTS - 1)));
  const readX = state.readX;
  const settled = await Promise.allSettled(
    state.selected.map((key) =>
      api("POST", "/v1/evaluate", { activation: reference(key), x: [...grid, readX], order: 1, dtype: "float64" }),
    ),
  );
  if (mine !== generation.curves) return;
  state.curves.clear();
  state.errors.clear();
  state.points.clear();
  state.selected.forEach((key, i) => {
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
  try {
    await Promise.all([updateReadout(), updateChain()]);  // the readout from what is held
  } catch (err) {
    showError(err);
  } finally {
    setBusy(false);
  }
}

function setBusy(on) {
  $("status").textContent = on ? "updating…" : "";
  document.body.toggleAttribute("aria-busy", on);
}

// A canvas drawn at the device's pixel density and at the size it is shown: crisp text at
// any width (a phone's 343 px) and on 2× screens. Coordinates are CSS pixels.
function plotFrame(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const w = Math.max(200, Math.round(canvas.clientWidth || 720));
  const h = Math.round(w * Number(canvas.dataset.aspect || 0.5));
  if (canvas.width !== Math.round(w * ratio) || canvas.height !== Math.round(h * ratio)) {
    canvas.width = Math.round(w * ratio);
    canvas.height = Math.round(h * ratio);
    canvas.style.height = `${h}px`;
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  const style = getComputedStyle(document.body);
  return { ctx, fg: style.color, line: style.getPropertyValue("--line") || "#ccc", shade: style.getPropertyValue("--shade") || "rgba(128,128,128,0.15)", w, h };
}

function bounds(series) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const ys of series) for (const y of ys) if (y !== null && Number.isFinite(y)) { lo = Math.min(lo, y); hi = Math.max(hi, y); }
  if (!Number.isFinite(lo)) { lo = -1; hi = 1; }
  if (hi - lo < 1e-9) { lo -= 1; hi += 1; }
  const pad = 0.08 * (hi - lo);
  return [lo - pad, hi + pad];
}

// The y range of a panel: the user's, or one that fits the curves without letting a pole
// (1/x) flatten the rest: every value within 1.5 spreads of the 5th–95th percentile band.
function yRange(series, lowId, highId) {
  const low = $(lowId).value === "" ? null : Number($(lowId).value);
  const high = $(highId).value === "" ? null : Number($(highId).value);
  if (low !== null && high !== null && low < high) return [low, high];
  const values = series.flat().filter((y) => y !== null && Number.isFinite(y)).sort((a, b) => a - b);
  if (!values.length) return [-1, 1];
  const at = (q) => values[Math.round(q * (values.length - 1))];
  const spread = Math.max(at(0.95) - at(0.05), 1e-9);
  const kept = values.filter((v) => v >= at(0.05) - 1.5 * spread && v <= at(0.95) + 1.5 * spread);
  let [lo, hi] = bounds([kept]);
  if (low !== null) lo = low;
  if (high !== null) hi = high;
  return lo < hi ? [lo, hi] : [lo - 1, lo + 1];
}

function drawAxes(ctx, frame, m, xr, yr, px, py) {
  const { fg, line, w, h } = frame;
  ctx.strokeStyle = line;
  ctx.lineWidth = 1;
  ctx.fillStyle = fg;
  ctx.font = "12px system-ui, sans-serif";
  let lastRight = -Infinity;
  for (const t of ticks(xr[0], xr[1])) {
    ctx.beginPath(); ctx.moveTo(px(t), m.t); ctx.lineTo(px(t), h - m.b); ctx.stroke();
    const text = tick(t);
    const width = ctx.measureText(text).width;
    const left = Math.min(Math.max(px(t) - width / 2, m.l), w - m.r - width);  // never clipped
    if (left > lastRight + 6) { ctx.fillText(text, left, h - 8); lastRight = left + width; }
  }
  for (const t of ticks(yr[0], yr[1])) {
    ctx.beginPath(); ctx.moveTo(m.l, py(t)); ctx.lineTo(w - m.r, py(t)); ctx.stroke();
    ctx.fillText(tick(t), 4, py(t) + 4);
  }
  ctx.strokeStyle = fg;  // axes through the origin
  ctx.lineWidth = 1.2;
  if (yr[0] < 0 && yr[1] > 0) { ctx.beginPath(); ctx.moveTo(m.l, py(0)); ctx.lineTo(w - m.r, py(0)); ctx.stroke(); }
  if (xr[0] < 0 && xr[1] > 0) { ctx.beginPath(); ctx.moveTo(px(0), m.t); ctx.lineTo(px(0), h - m.b); ctx.stroke(); }
}

// A curve with a gap where it jumps (binary_step at 0, hardshrink at ±λ, relu′ at 0): a step
// between two grid points far larger than the steps on either side of it is a jump, not a
// slope; so is a crossing from far above the panel to far below it (a pole, as in 1/x).
function isJump(ys, i, span) {
  const step = (k) => (k >= 0 && k + 1 < ys.length && ys[k] !== null && ys[k + 1] !== null ? Math.abs(ys[k + 1] - ys[k]) : 0);
  const d = step(i);
  return d > 0.02 * span && d > 8 * Math.max(step(i - 1), step(i + 1));
}

function drawSeries(ctx, xs, ys, px, py, yr, dash, width, colourOf) {
  ctx.strokeStyle = colourOf;
  ctx.setLineDash(dash);
  ctx.lineWidth = width;
  ctx.beginPath();
  let pen = false;
  let pieces = 0;
  const span = yr[1] - yr[0];
  xs.forEach((x, i) => {
    const y = ys[i];
    if (y === null || !Number.isFinite(y)) { pen = false; return; }
    const clipped = Math.min(yr[1] + span, Math.max(yr[0] - span, y));
    if (pen && i > 0 && (isJump(ys, i - 1, span) || (ys[i - 1] - yr[1] > span && yr[0] - y > span) || (yr[0] - ys[i - 1] > span && y - yr[1] > span))) pen = false;
    if (pen) ctx.lineTo(px(x), py(clipped)); else { ctx.moveTo(px(x), py(clipped)); pieces += 1; }
    pen = true;
  });
  ctx.stroke();
  ctx.setLineDash([]);
  return pieces;
}

function drawPanel(canvas, which) {
  const frame = plotFrame(canvas);
  const { ctx, fg, w, h } = frame;
  ctx.clearRect(0, 0, w, h);
  const xr = [Number($("xmin").value), Number($("xmax").value)];
  const series = [...state.curves.values()].map((c) => c[which]);
  const yr = which === "value" ? yRange(series, "ymin", "ymax") : yRange(series, "dymin", "dymax");
  const m = { l: 48, r: 12, t: 10, b: 26 };
  const px = (x) => m.l + ((x - xr[0]) / (xr[1] - xr[0])) * (w - m.l - m.r);
  const py = (y) => h - m.b - ((y - yr[0]) / (yr[1] - yr[0])) * (h - m.t - m.b);
  canvas._map = { xmin: xr[0], xmax: xr[1], m, w };
  canvas._range = yr;  // read by the tests, like the tables' data attributes
  canvas._pieces = {};
  ctx.save();
  ctx.beginPath(); ctx.rect(m.l, m.t, w - m.l - m.r, h - m.t - m.b); ctx.clip();
  // Saturation, as the API's pictures show it: where |f′| < 0.01 (one activation at a time).
  if (state.curves.size === 1) {
    const c = [...state.curves.values()][0];
    ctx.fillStyle = frame.shade;
    c.x.forEach((x, i) => {
      const d = c.derivative[i];
      if (d !== null && Math.abs(d) < 0.01 && i + 1 < c.x.length) ctx.fillRect(px(x), m.t, px(c.x[i + 1]) - px(x) + 0.5, h - m.t - m.b);
    });
  }
  ctx.restore();
  drawAxes(ctx, frame, m, xr, yr, px, py);
  ctx.save();
  ctx.beginPath(); ctx.rect(m.l, m.t, w - m.l - m.r, h - m.t - m.b); ctx.clip();
  for (const [key, c] of state.curves) {
    canvas._pieces[key] = drawSeries(ctx, c.x, c[which], px, py, yr, which === "value" ? [] : [7, 5], which === "value" ? 2.2 : 1.8, colour(key));
  }
  if (state.readX >= xr[0] && state.readX <= xr[1]) {
    ctx.strokeStyle = fg;
    ctx.setLineDash([2, 3]);
    ctx.lineWidth = 1;
    ctx.beginPath(); ctx.moveTo(px(state.readX), m.t); ctx.lineTo(px(state.readX), h - m.b); ctx.stroke();
    ctx.setLineDash([]);
  }
  ctx.restore();
  ctx.fillStyle = fg;
  ctx.font = "12px system-ui, sans-serif";
  ctx.fillText(which === "value" ? "f(x)" : "f′(x)", m.l + 6, m.t + 12);
}

function drawCurves() {
  drawPanel($("curve"), "value");
  drawPanel($("curve-derivative"), "derivative");
  // The legend is HTML beside the plot: it never covers a curve, and screen readers read it.
  const legend = $("legend");
  legend.replaceChildren(...[...state.curves.keys()].map((key) => el("li", { dataset: { activation: key } }, swatch(key), label(key))));
  const shaded = state.curves.size === 1 ? " Shaded: where |f′| < 0.01 (saturated)." : "";
  $("curve").setAttribute("aria-label", `f(x) from ${$("xmin").value} to ${$("xmax").value} for ${[...state.curves.keys()].map(label).join(", ") || "nothing selected"}.${shaded} Exact values in the table below.`);
  $("curve-derivative").setAttribute("aria-label", `f′(x), dashed, for the same activations.`);
}

function ticks(lo, hi) {
  const span = hi - lo;
  const step = Math.pow(10, Math.floor(Math.log10(span / 5)));
  const nice = [1, 2, 5, 10].map((k) => k * step).find((s) => span / s <= 8);
  const out = [];
  for (let t = Math.ceil(lo / nice) * nice; t <= hi; t += nice) out.push(Math.abs(t) < nice / 1e6 ? 0 : t);
  return out;
}

function tick(v) {
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(0).replace("e+", "e");
  return String(Number(v.toPrecision(4)));
}

function fmt(v) {
  if (v === null || v === undefined) return "—";
  if (typeof v === "boolean") return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(4) : Number(v.toPrecision(6)).toString();
}

// ----- readout (exact values at one x) -------------------------------------------------------

async function updateReadout() {
  const x = state.readX;
  const mine = ++generation.readout;
  const body = $("readout").querySelector("tbody");
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
  if (mine !== generation.readout) return;
  body.replaceChildren();
  for (const [key, value, derivative] of rows) {
    body.append(
      el(
        "tr",
        { dataset: { activation: key, x: String(x) } },
        el("td", {}, swatch(key), label(key)),
        el("td", { dataset: { value: String(value) } }, fmt(value)),
        el("td", { dataset: { derivative: String(derivative) } }, fmt(derivative)),
      ),
    );
  }
  drawCurves();
}

// The pointer reads the curve's own grid points: their values are already here.
function nearestGridX(x) {
  const c = state.curves.values().next().value;
  if (!c) return x;
  let best = c.x[0];
  for (const g of c.x) if (Math.abs(g - x) < Math.abs(best - x)) best = g;
  return best;
}

function setReadX(x, fromInput) {
  state.readX = Number(x);
  if (!fromInput) $("read-x").value = String(Number(state.readX.toPrecision(6)));
  clearTimeout(setReadX.timer);
  drawCurves();
  setReadX.timer = setTimeout(() => updateReadout().catch(showError), 60);
}

function hookCurveCanvas() {
  const canvas = $("curve");
  const toX = (event) => {
    const map = canvas._map;
    if (!map) return null;
    const rect = canvas.getBoundingClientRect();
    const cx = ((event.clientX - rect.left) / rect.width) * map.w;
    const x = map.xmin + ((cx - map.m.l) / (map.w - map.m.l - map.m.r)) * (map.xmax - map.xmin);
    return Math.min(map.xmax, Math.max(map.xmin, x));
  };
  for (const target of [canvas, $("curve-derivative")]) {
    for (const kind of ["pointermove", "pointerdown"]) {  // pointerdown: a tap on a phone
      target.addEventListener(kind, (event) => { const x = toX(event); if (x !== null) setReadX(nearestGridX(x)); });
    }
  }
  window.addEventListener("resize", () => { drawCurves(); });
  canvas.addEventListener("keydown", (event) => {
    const step = (Number($("xmax").value) - Number($("xmin").value)) / 100;
    if (event.key === "ArrowRight") { setReadX(nearestGridX(state.readX + step)); event.preventDefault(); }
    if (event.key === "ArrowLeft") { setReadX(nearestGridX(state.readX - step)); event.preventDefault(); }
  });
  $("read-x").addEventListener("change", (event) => setReadX(event.target.value, true));
}

// ----- chain ---------------------------------------------------------------------------------

const VERDICTS = { vanishing: "vanishing", exploding: "exploding", stable: "stable" };

async function updateChain() {
  const depth = Number($("depth").value);
  const z = Number($("chain-z").value);
  const weight = Number($("chain-weight").value);
  const bias = Number($("chain-bias").value);
  $("depth-value").textContent = depth;
  const mine = ++generation.chain;
  const keys = state.selected.filter((key) => !state.errors.has(key));
  const results = await Promise.all(
    keys.map((key) => api("POST", "/v1/chain", { activation: reference(key), depth, z, weight, bias, dtype: "float64" })),
  );
  if (mine !== generation.chain) return;
  const body = $("chain-result").querySelector("tbody");
  body.replaceChildren();
  keys.forEach((key, i) => {
    const r = results[i];
    // null verdict: the gradient is not a number (a formula undefined there, e.g. log at z ≤ 0).
    const verdict = VERDICTS[r.verdict] || "undefined (not a number)";
    body.append(
      el(
        "tr",
        { dataset: { activation: key, depth: String(depth) } },
        el("td", {}, swatch(key), label(key)),
        el("td", { dataset: { gradient: String(r.gradient) } }, r.zero_derivative ? "0 (a layer's f′ is 0)" : fmt(r.gradient)),
        el("td", { dataset: { verdict: String(r.verdict) } }, verdict),
      ),
    );
  });
  // Where z sits on a kink the convention decides the answer: say so.
  const notes = keys
    .map((key) => state.catalog.get(key))
    .filter((entry) => entry && entry.non_differentiable_points.includes(z))
    .map((entry) => `${entry.name}: z = ${z} is a kink, where ${entry.convention}`);
  $("chain-note").textContent = notes.join(" ");
  drawChain(keys, results, depth);
  updateWalk(keys, results);
}

// ----- step through the chain: forward, then the gradient back ----------------------------------

const walk = { results: new Map(), step: 0, timer: null };

function walkResult() {
  return walk.results.get($("walk-activation").value);
}

function renderWalk() {
  const r = walkResult();
  const list = $("walk-layers");
  list.replaceChildren();
  if (!r) { $("walk-caption").textContent = ""; return; }
  const L = r.layers.length;
  const s = walk.step;  // 0: nothing yet; 1..L forward; L+1..2L backward
  let gradient = 1;
  const above = new Array(L).fill(null);  // gradient arriving at each layer from the top
  for (let k = L; k >= 1 && s > L && L - k < s - L; k -= 1) {
    gradient *= r.weight * r.layers[k - 1].local_derivative;
    above[k - 1] = gradient;
  }
  r.layers.forEach((layer, i) => {
    const forward = s >= i + 1;
    const back = above[i];
    const cell = el("li", { class: "walk-layer", dataset: { layer: String(i + 1) } }, el("span", { class: "walk-l" }, `layer ${i + 1}`));
    if (forward) cell.append(el("span", {}, `h = ${fmt(layer.output)}`));
    if (back !== null) cell.append(el("span", { class: "walk-g", dataset: { gradient: String(back) } }, `∂h_L/∂h_${i} = ${fmt(back)}`));
    if ((s <= L && s === i + 1) || (s > L && i === 2 * L - s)) cell.classList.add("current");
    list.append(cell);
  });
  const caption = $("walk-caption");
  if (s === 0) caption.textContent = `Press Step or Play: ${L} layers of ${label($("walk-activation").value)} from h₀ = ${fmt(r.z)}.`;
  else if (s <= L) {
    const layer = r.layers[s - 1];
    caption.textContent = `Forward, layer ${s}: z = ${fmt(layer.pre_activation)}, h = f(z) = ${fmt(layer.output)}.`;
  } else {
    const k = 2 * L - s + 1;
    const layer = r.layers[k - 1];
    caption.textContent = `Backward through layer ${k}: × weight·f′(z) = ${fmt(r.weight)} × ${fmt(layer.local_derivative)} → gradient ${fmt(gradient)}.`
      + (s === 2 * L ? ` Done: ${VERDICTS[r.verdict] || "not a number"}.` : "");
  }
  caption.dataset.step = String(s);
}

function walkTo(step) {
  const r = walkResult();
  walk.step = r ? Math.max(0, Math.min(step, 2 * r.layers.length)) : 0;
  if (!r || walk.step >= 2 * r.layers.length) stopWalk();
  renderWalk();
}

function stopWalk() {
  clearInterval(walk.timer);
  walk.timer = null;
  $("walk-play").textContent = "Play";
}

function hookWalk() {
  $("walk-step").addEventListener("click", () => { stopWalk(); walkTo(walk.step + 1); });
  $("walk-reset").addEventListener("click", () => { stopWalk(); walkTo(0); });
  $("walk-activation").addEventListener("change", () => { stopWalk(); walkTo(0); });
  $("walk-play").addEventListener("click", () => {
    if (walk.timer) { stopWalk(); return; }
    const r = walkResult();
    if (r && walk.step >= 2 * r.layers.length) walkTo(0);
    $("walk-play").textContent = "Pause";
    walk.timer = setInterval(() => walkTo(walk.step + 1), 350);
  });
}

function updateWalk(keys, results) {
  const select = $("walk-activation");
  const before = select.value;
  walk.results = new Map(keys.map((key, i) => [key, results[i]]));
  select.replaceChildren(...keys.map((key) => new Option(label(key), key, false, key === before)));
  stopWalk();
  walkTo(0);
}

let chainTimer = null;
function scheduleChain() {
  $("depth-value").textContent = $("depth").value;
  clearTimeout(chainTimer);
  setBusy(true);
  // One request per activation after the slider rests, not one per input event.
  chainTimer = setTimeout(() => { saveState(); updateChain().catch(showError).finally(() => setBusy(false)); }, 150);
}

function drawChain(keys, results, depth) {
  const canvas = $("chain");
  const { ctx, fg, line, w, h } = plotFrame(canvas);
  ctx.clearRect(0, 0, w, h);
  // Exactly zero (a dead layer) has no logarithm: it is drawn on the floor of the chart, marked.
  const logs = results.map((r) => r.layers.map((layer) => {
    const g = Math.abs(layer.cumulative_gradient);  // null (overflowed) reads as 0 here: skip it
    if (layer.cumulative_gradient === 0) return -Infinity;
    return g > 0 && Number.isFinite(g) ? Math.log10(g) : null;
  }));
  const finite = logs.map((ys) => ys.filter((y) => y !== null && Number.isFinite(y)));
  const [ymin, ymax] = bounds([...finite, [-4, 4]]);
  const m = { l: 48, r: 12, t: 12, b: 32 };
  const px = (l) => (depth === 1 ? (m.l + w - m.r) / 2 : m.l + ((l - 1) / (depth - 1)) * (w - m.l - m.r));
  const py = (y) => h - m.b - ((Math.max(y, ymin) - ymin) / (ymax - ymin)) * (h - m.t - m.b);
  ctx.font = "12px system-ui, sans-serif";
  ctx.fillStyle = fg;
  ctx.strokeStyle = line;
  ctx.lineWidth = 1;
  for (const t of ticks(ymin, ymax)) { ctx.beginPath(); ctx.moveTo(m.l, py(t)); ctx.lineTo(w - m.r, py(t)); ctx.stroke(); ctx.fillText(fmt(t), 4, py(t) + 4); }
  for (const l of depth === 1 ? [1] : ticks(1, depth).filter((t) => Number.isInteger(t) && t >= 1)) {
    ctx.fillText(String(l), px(l) - 4, h - 16);
  }
  ctx.fillText("layer", w - m.r - 34, h - 3);
  ctx.fillText("log10 |cumulative gradient|", m.l + 4, m.t + 10);
  ctx.setLineDash([3, 4]);
  for (const [level, text] of [[-3, "vanishing below 1e-3"], [3, "exploding above 1e3"]]) {
    ctx.beginPath(); ctx.moveTo(m.l, py(level)); ctx.lineTo(w - m.r, py(level)); ctx.stroke();
    ctx.fillText(text, w - m.r - ctx.measureText(text).width - 4, py(level) - 4);
  }
  ctx.setLineDash([]);
  let legendY = m.t + 28;
  keys.forEach((key, i) => {
    ctx.strokeStyle = colour(key);
    ctx.fillStyle = colour(key);
    ctx.lineWidth = 2;
    ctx.beginPath();
    let pen = false;
    logs[i].forEach((y, l) => {
      if (y === null) { pen = false; return; }
      const X = px(l + 1);
      const Y = py(y === -Infinity ? ymin : y);
      if (pen) ctx.lineTo(X, Y); else ctx.moveTo(X, Y);
      pen = true;
    });
    ctx.stroke();
    logs[i].forEach((y, l) => {
      if (y === -Infinity || depth === 1) { ctx.beginPath(); ctx.arc(px(l + 1), py(y === -Infinity ? ymin : y), 3.5, 0, 2 * Math.PI); ctx.fill(); }
    });
    const dead = logs[i].includes(-Infinity) ? "  (0 from a dead layer on: drawn on the floor)" : "";
    ctx.fillRect(m.l + 10, legendY - 6, 24, 3);
    ctx.fillStyle = fg;
    ctx.fillText(`${label(key)}${dead}`, m.l + 40, legendY);
    legendY += 16;
  });
}

// ----- formulas and code ---------------------------------------------------------------------

const LIBRARIES = [["jax", "JAX"], ["pytorch", "PyTorch"], ["numpy", "NumPy"]];

function typeset(latex) {
  const box = el("div", { class: "formula" });
  if (window.katex) {
    // MathML beside the HTML: screen readers read the formula, not the drawing.
    window.katex.render(latex, box, { throwOnError: false, output: "htmlAndMathml", displayMode: true });
  } else {
    box.append(el("code", {}, latex));
  }
  return box;
}

function codeBlock(key, code) {
  const wrap = el("div", { class: "code" });
  const tabs = el("div", { role: "tablist", "aria-label": `${key} as code` });
  const pre = el("pre", { tabindex: "0" }, el("code", {}));
  const copy = el("button", { type: "button", class: "copy" }, "Copy");
  const done = el("span", { class: "hint", role: "status" });
  let current = "jax";
  const show = (lib) => {
    current = lib;
    pre.firstChild.textContent = code[lib];
    for (const tab of tabs.children) tab.setAttribute("aria-selected", String(tab.dataset.lib === lib));
  };
  for (const [lib, name] of LIBRARIES) {
    const tab = el("button", { type: "button", role: "tab", dataset: { lib }, id: `code-${key}-${lib}` }, name);
    tab.addEventListener("click", () => show(lib));
    tabs.append(tab);
  }
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(code[current]);
      done.textContent = "copied";
    } catch {
      // No clipboard (an insecure origin, a denied permission): select the text instead.
      window.getSelection().selectAllChildren(pre);
      done.textContent = "selected: press Ctrl+C";
    }
  });
  show(current);
  wrap.append(tabs, pre, el("div", {}, copy, " ", done));
  return wrap;
}

function renderMaths() {
  const box = $("maths");
  box.replaceChildren();
  for (const key of state.selected) {
    const entry = state.catalog.get(key);
    const article = el("article", { class: "maths", dataset: { activation: key } }, el("h3", {}, swatch(key), label(key)));
    if (!entry) {
      article.append(el("p", {}, "A formula of yours: f(x) = ", el("code", {}, label(key))));
      box.append(article);
      continue;
    }
    article.append(el("p", { class: "hint" }, entry.summary), typeset(entry.formula), typeset(entry.derivative_formula));
    article.append(el("p", { class: "hint" }, entry.convention));
    article.append(codeBlock(key, entry.code));
    box.append(article);
  }
}

// ----- output activations: a vector of scores, its probabilities and Jacobian --------------------

function heatColour(v, scale) {
  // Blue for negative, orange for positive (Okabe–Ito), strength by |v| relative to the largest.
  const t = scale > 0 ? Math.min(1, Math.abs(v) / scale) : 0;
  const [r, g, b] = v < 0 ? [0, 114, 178] : [230, 159, 0];
  return `rgba(${r}, ${g}, ${b}, ${0.1 + 0.35 * t})`;  // light enough for the text on it, either theme
}

async function updateOutput() {
  const parts = $("logits").value.split(/[\s,;]+/).filter(Boolean);
  const x = parts.map(Number);
  $("logits-error").textContent = "";
  if (!x.length || x.some((v) => !Number.isFinite(v))) {
    $("logits-error").textContent = "Scores: numbers separated by commas, e.g. 2, 1, 0.1";
    return;
  }
  const name = $("output-activation").value;
  let r;
  try {
    r = await api("POST", "/v1/evaluate", { activation: name, x, order: 1, dtype: "float64" });
  } catch (err) {
    $("logits-error").textContent = err.message;
    return;
  }
  const body = $("output-result").querySelector("tbody");
  body.replaceChildren();
  const share = name === "log_softmax" ? r.value.map(Math.exp) : r.value;
  r.value.forEach((v, i) => {
    const bar = el("span", { class: "bar", style: `width:${(100 * share[i]).toFixed(1)}%` });
    body.append(el("tr", { dataset: { i: String(i), value: String(v) } }, el("td", {}, String(i)), el("td", {}, fmt(x[i])), el("td", {}, fmt(v)), el("td", { class: "bar-cell" }, bar)));
  });
  const scale = Math.max(...r.jacobian.flat().map(Math.abs));
  const grid = $("jacobian").querySelector("tbody");
  grid.replaceChildren(el("tr", {}, el("th", { scope: "col" }, "i \\ j"), ...x.map((_, j) => el("th", { scope: "col" }, String(j)))));
  r.jacobian.forEach((row, i) => {
    grid.append(el("tr", {}, el("th", { scope: "row" }, String(i)), ...row.map((v) => el("td", { style: `background:${heatColour(v, scale)}`, dataset: { value: String(v) } }, fmt(v)))));
  });
}

// ----- dying ReLU: dead units per layer of a random MLP --------------------------------------

const FLOW_ACTIVATIONS = ["relu", "leaky_relu", "gelu"];
const FLOW_COLOURS = { relu: "#D55E00", leaky_relu: "#0072B2", gelu: "#009E73" };

async function updateFlow() {
  const bias = Number($("flow-bias").value);
  const depth = Math.min(50, Math.max(1, Math.round(Number($("flow-depth").value) || 10)));
  $("flow-bias-value").textContent = String(bias).replace("-", "−");
  const mine = ++generation.flow;
  const results = await Promise.all(
    FLOW_ACTIVATIONS.map((name) =>
      api("POST", "/v1/gradient-flow", { activation: name, depth, width: 64, batch: 64, bias, init: "he_normal", seed: 0 }),
    ),
  );
  if (mine !== generation.flow) return;
  const body = $("flow-result").querySelector("tbody");
  body.replaceChildren();
  FLOW_ACTIVATIONS.forEach((name, i) => {
    const dead = results[i].layers.map((layer) => layer.dead_fraction);
    const percent = (f) => `${Math.round(100 * f)} %`;
    body.append(
      el(
        "tr",
        { dataset: { activation: name, dead: JSON.stringify(dead) } },
        el("td", {}, el("span", { class: "swatch", style: `background:${FLOW_COLOURS[name]}` }), name),
        el("td", {}, `${percent(dead[0])} → ${percent(dead[dead.length - 1])}`),
        el("td", {}, results[i].verdict),
      ),
    );
  });
  drawFlow(results, depth);
}

function drawFlow(results, depth) {
  const canvas = $("flow");
  const { ctx, fg, line, w, h } = plotFrame(canvas);
  ctx.clearRect(0, 0, w, h);
  const m = { l: 48, r: 12, t: 12, b: 32 };
  const px = (l) => (depth === 1 ? (m.l + w - m.r) / 2 : m.l + ((l - 1) / (depth - 1)) * (w - m.l - m.r));
  const py = (f) => h - m.b - f * (h - m.t - m.b);
  ctx.font = "12px system-ui, sans-serif";
  ctx.fillStyle = fg;
  ctx.strokeStyle = line;
  ctx.lineWidth = 1;
  for (const f of [0, 0.25, 0.5, 0.75, 1]) {
    ctx.beginPath(); ctx.moveTo(m.l, py(f)); ctx.lineTo(w - m.r, py(f)); ctx.stroke();
    ctx.fillText(`${f * 100} %`, 4, py(f) + 4);
  }
  for (const l of depth === 1 ? [1] : ticks(1, depth).filter((t) => Number.isInteger(t) && t >= 1)) ctx.fillText(String(l), px(l) - 4, h - 16);
  ctx.fillText("layer", w - m.r - 34, h - 3);
  let legendY = m.t + 14;
  results.forEach((r, i) => {
    const name = FLOW_ACTIVATIONS[i];
    ctx.strokeStyle = FLOW_COLOURS[name];
    ctx.fillStyle = FLOW_COLOURS[name];
    ctx.lineWidth = 2;
    ctx.beginPath();
    r.layers.forEach((layer, l) => (l ? ctx.lineTo(px(l + 1), py(layer.dead_fraction)) : ctx.moveTo(px(l + 1), py(layer.dead_fraction))));
    ctx.stroke();
    if (depth === 1) { ctx.beginPath(); ctx.arc(px(1), py(r.layers[0].dead_fraction), 3.5, 0, 2 * Math.PI); ctx.fill(); }
    ctx.fillRect(m.l + 10, legendY - 6, 24, 3);
    ctx.fillStyle = fg;
    ctx.fillText(`${name} (dead fraction)`, m.l + 40, legendY);
    legendY += 16;
  });
}

let flowTimer = null;
function scheduleFlow() {
  $("flow-bias-value").textContent = String($("flow-bias").value).replace("-", "−");
  clearTimeout(flowTimer);
  flowTimer = setTimeout(() => updateFlow().catch(showError), 200);
}

// ----- theory: the concepts, each illustration computed and shown --------------------------------

function selectOnly(names) {
  state.selected = names.filter((n) => state.catalog.has(n));
  for (const box of document.querySelectorAll("#activation-list input")) box.checked = state.selected.includes(box.value);
  renderParamControls();
  renderMaths();
}

// What "Show" does for each kind of illustration: point the page's own views at it.
function showIllustration(request) {
  const path = request.path.split("?")[0];
  const query = new URLSearchParams(request.path.split("?")[1] || "");
  const body = request.body || {};
  if (path === "/v1/chain") {
    selectOnly([body.activation]);
    $("depth").value = String(Math.min(Number($("depth").max), body.depth));
    $("chain-z").value = String(body.z ?? 0);
    $("chain-weight").value = String(body.weight ?? 1);
    $("chain-bias").value = String(body.bias ?? 0);
    refresh();
    $("chain-title").scrollIntoView({ behavior: "smooth" });
    return;
  }
  const name = decodeURIComponent(path.split("/")[3] || "");
  selectOnly([name]);
  if (path.endsWith("/evaluate")) {
    const xs = (query.get("x") || "0").split(",").map(Number);
    state.readX = xs[xs.length - 1];
    $("read-x").value = String(state.readX);
    $("xmin").value = String(Math.min(-5, Math.floor(Math.min(...xs)) - 1));
    $("xmax").value = String(Math.max(5, Math.ceil(Math.max(...xs)) + 1));
  }
  refresh();
  $(path.endsWith("/evaluate") ? "curve-title" : "maths-title").scrollIntoView({ behavior: "smooth" });
}

function showable(request) {
  const path = request.path.split("?")[0];
  return path === "/v1/chain" || (request.method === "GET" && /^\/v1\/activations\/[^/]+(\/evaluate)?$/.test(path) && state.catalog.has(path.split("/")[3]));
}

function illustrationItem(ill) {
  const shown = Array.isArray(ill.value) ? ill.value.map(fmt).join(", ") : fmt(ill.value);
  const call = `${ill.request.method} ${ill.request.path}${ill.request.body ? " " + JSON.stringify(ill.request.body) : ""}`;
  const item = el("li", {}, `${ill.label}: `, el("strong", {}, shown), " ", el("code", { class: "request" }, call));
  if (showable(ill.request)) {
    const button = el("button", { type: "button", class: "show" }, "Show");
    button.addEventListener("click", () => showIllustration(ill.request));
    item.append(" ", button);
  }
  return item;
}

async function loadConcepts() {
  const data = await api("GET", "/v1/concepts");
  const box = $("concepts");
  for (const brief of data.concepts) {
    const details = el("details", { id: `concept-${brief.id}`, dataset: { concept: brief.id } }, el("summary", {}, el("strong", {}, brief.title), ` — ${brief.summary}`));
    const content = el("div", { class: "concept" });
    details.append(content);
    // The full text and its computed numbers are fetched when the reader opens it.
    details.addEventListener("toggle", async () => {
      if (!details.open || content.dataset.loaded) return;
      content.dataset.loaded = "true";
      try {
        const full = await api("GET", brief.href);
        for (const paragraph of full.body) content.append(el("p", {}, paragraph));
        const list = el("ul", { class: "illustrations" });
        for (const ill of full.illustrations) list.append(illustrationItem(ill));
        content.append(list);
      } catch (err) {
        content.append(el("p", { class: "field-error" }, err.message));
      }
    });
    box.append(details);
  }
}

// ----- practice: the quiz ----------------------------------------------------------------------

const TOPICS = ["derivatives", "dying-relu", "output-activations", "properties", "saturation", "values", "vanishing-gradients"];
const quiz = { question: null };

function answerControl(question) {
  const box = $("quiz-answer");
  box.replaceChildren();
  if (question.type === "numeric") {
    box.append(el("label", { for: "quiz-number" }, "Your answer "), el("input", { id: "quiz-number", type: "number", step: "any", required: "" }));
    return;
  }
  const options = question.type === "true_false" ? [["true", "True"], ["false", "False"]] : question.choices.map((c, i) => [String(i), c]);
  const group = el("fieldset", { class: "choices" }, el("legend", {}, "Your answer"));
  options.forEach(([value, text], i) => {
    const id = `quiz-choice-${i}`;
    group.append(el("div", {}, el("input", { type: "radio", name: "quiz-choice", id, value, required: "" }), " ", el("label", { for: id }, text)));
  });
  box.append(group);
}

function chosenAnswer(question) {
  if (question.type === "numeric") return Number($("quiz-number").value);
  const picked = document.querySelector('input[name="quiz-choice"]:checked');
  if (!picked) return null;
  return question.type === "true_false" ? picked.value === "true" : Number(picked.value);
}

async function newQuestion() {
  const topic = $("quiz-topic").value;
  const query = topic ? `count=1&topics=${encodeURIComponent(topic)}` : "count=1";
  $("quiz-result").textContent = "";
  try {
    const data = await api("GET", `/v1/quiz/questions?${query}`);
    quiz.question = data.questions[0];
    $("quiz-text").textContent = quiz.question.text;
    answerControl(quiz.question);
    $("quiz-form").hidden = false;
  } catch (err) {
    $("quiz-result").textContent = err.message;
  }
}

async function grade(reveal) {
  const question = quiz.question;
  const answer = chosenAnswer(question);
  if (!reveal && (answer === null || Number.isNaN(answer))) {
    $("quiz-result").textContent = "Pick or type an answer first.";
    return;
  }
  try {
    const result = await api("POST", "/v1/quiz/grade", { id: question.id, answer: answer ?? (question.type === "true_false" ? false : 0), reveal });
    const verdict = reveal && !result.correct ? "The answer: " : result.correct ? "Right. " : "Not quite: try again, or show the answer.";
    const box = $("quiz-result");
    box.replaceChildren(el("strong", {}, verdict));
    box.dataset.correct = String(result.correct);
    if (result.revealed) {
      const expected = question.type === "multiple_choice" ? question.choices[result.expected] ?? result.expected : result.expected;
      if (reveal && !result.correct) box.append(String(expected), " ");
      box.append(result.explanation || "");
    }
  } catch (err) {
    $("quiz-result").textContent = err.message;
  }
}

function hookQuiz() {
  for (const topic of TOPICS) $("quiz-topic").add(new Option(topic.replace(/-/g, " "), topic));
  $("quiz-new").addEventListener("click", newQuestion);
  $("quiz-form").addEventListener("submit", (event) => { event.preventDefault(); grade(false); });
  $("quiz-reveal").addEventListener("click", () => grade(true));
}

// ----- custom formulas ------------------------------------------------------------------------

let expressionCount = 0;
function expressionError(err) {
  const box = $("expression");
  const message = $("expression-error");
  if (!err) {
    message.textContent = "";
    box.removeAttribute("aria-invalid");
    return;
  }
  message.textContent = err.message;
  box.setAttribute("aria-invalid", "true");
  box.focus();
  if (err.position) {
    // The service counts from 1 in the text as sent; the caret sits on that character.
    const at = Math.min(err.position - 1, box.value.length);
    box.setSelectionRange(at, Math.min(at + 1, box.value.length));
  }
}

function hookExpressions() {
  $("expression").addEventListener("input", () => expressionError(null));
  $("expression-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("expression").value;
    if (!text.trim()) return;
    const key = `expr:${++expressionCount}`;
    try {
      // Validate first: a bad formula answers 422 naming the position of the mistake.
      await api("POST", "/v1/evaluate", { activation: { expression: text }, x: [0], order: 1 });
    } catch (err) {
      expressionError(err);
      return;
    }
    expressionError(null);
    state.expressions.push({ key, text });
    state.selected.push(key);
    addFormulaChip(key, text);
    renderMaths();
    refresh();
  });
}

// ----- the view in the URL: shareable and bookmarkable ---------------------------------------------

// #a=sigmoid,relu&p=elu.alpha:0.5&f=x*sigmoid(x)&x=-5,5&depth=10&z=0.5&w=1&b=0
function saveState() {
  const q = new URLSearchParams();
  q.set("a", state.selected.filter((k) => !k.startsWith("expr:")).join(","));
  const params = Object.entries(state.params).flatMap(([key, ps]) => Object.entries(ps).map(([n, v]) => `${key}.${n}:${v}`));
  if (params.length) q.set("p", params.join(","));
  for (const e of state.expressions) q.append("f", e.text);
  q.set("x", `${$("xmin").value},${$("xmax").value}`);
  q.set("depth", $("depth").value);
  q.set("z", $("chain-z").value);
  q.set("w", $("chain-weight").value);
  q.set("b", $("chain-bias").value);
  history.replaceState(null, "", `#${q.toString()}`);
}

function loadState() {
  if (!location.hash.slice(1)) return;
  const q = new URLSearchParams(location.hash.slice(1));
  if (q.has("a")) state.selected = q.get("a").split(",").filter((n) => state.catalog.has(n));
  for (const item of (q.get("p") || "").split(",").filter(Boolean)) {
    const m = /^([a-z0-9_]+)\.([a-z_]+):(.*)$/.exec(item);
    if (!m || !state.catalog.has(m[1])) continue;
    const param = state.catalog.get(m[1]).params.find((p) => p.name === m[2]);
    if (!param) continue;
    const value = param.type === "choice" ? m[3] : Number(m[3]);
    state.params[m[1]] = { ...(state.params[m[1]] || {}), [m[2]]: value };
  }
  const [xmin, xmax] = (q.get("x") || "").split(",").map(Number);
  if (Number.isFinite(xmin) && Number.isFinite(xmax) && xmin < xmax) { $("xmin").value = String(xmin); $("xmax").value = String(xmax); }
  for (const [key, id] of [["depth", "depth"], ["z", "chain-z"], ["w", "chain-weight"], ["b", "chain-bias"]]) {
    if (q.has(key) && Number.isFinite(Number(q.get(key)))) $(id).value = q.get(key);
  }
  for (const box of document.querySelectorAll("#activation-list input")) box.checked = state.selected.includes(box.value);
  return q.getAll("f");
}

function addFormulaChip(key, text) {
  const remove = el("button", { type: "button", "aria-label": `Remove ${text}` }, "×");
  const li = el("li", { dataset: { key } }, el("code", {}, text), " ", remove, el("span", { class: "field-error", role: "alert" }));
  remove.addEventListener("click", () => {
    state.selected = state.selected.filter((k) => k !== key);
    state.expressions = state.expressions.filter((e) => e.key !== key);
    li.remove();
    renderMaths();
    refresh();
  });
  $("expression-list").append(li);
}

// ----- start ---------------------------------------------------------------------------------

async function main() {
  hookCurveCanvas();
  hookExpressions();
  hookQuiz();
  hookWalk();
  $("logits-form").addEventListener("submit", (event) => { event.preventDefault(); updateOutput(); });
  $("output-activation").addEventListener("change", updateOutput);
  $("flow-bias").addEventListener("input", scheduleFlow);
  $("flow-depth").addEventListener("change", scheduleFlow);
  $("depth").addEventListener("input", scheduleChain);
  for (const id of ["chain-z", "chain-weight", "chain-bias"]) $(id).addEventListener("change", scheduleChain);
  $("xmin").addEventListener("change", refresh);
  $("xmax").addEventListener("change", refresh);
  for (const id of ["ymin", "ymax", "dymin", "dymax"]) $(id).addEventListener("change", drawCurves);
  // A view pasted or followed into the address bar of an open page: show it.
  window.addEventListener("hashchange", () => location.reload());
  try {
    await loadCatalog();
    for (const text of loadState() || []) {
      const key = `expr:${++expressionCount}`;
      state.expressions.push({ key, text });
      state.selected.push(key);
      addFormulaChip(key, text);
    }
    $("depth-value").textContent = $("depth").value;
    renderParamControls();
    renderMaths();
    await Promise.all([refresh(), updateFlow(), loadConcepts(), updateOutput()]);
    document.body.dataset.ready = "true";
  } catch (err) {
    showError(err);
  }
}

main();

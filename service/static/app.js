// actfn's reference front-end: plain JavaScript against the JSON API, no build step, no CDN.
// Every number shown comes from a request you can see in this file:
//   GET  /v1/activations?kind=elementwise   the catalog (names, params with bounds)
//   POST /v1/evaluate                       curves and derivatives on a grid
//   GET  /v1/activations/{name}/evaluate    exact values at one x (the readout)
//   POST /v1/chain                          the gradient through depth
"use strict";

// Okabe–Ito: distinguishable with the common colour-vision deficiencies.
const PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"];
const GRID_POINTS = 401;
const $ = (id) => document.getElementById(id);

const state = {
  catalog: new Map(),  // name -> catalog entry
  selected: ["relu"],  // names (and "expr:<n>" keys) in the order picked
  params: {},  // name -> {param: value}
  expressions: [],  // [{key, text}]
  curves: new Map(),  // key -> {x, value, derivative}
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
    // problem+json: detail names the field and the rule.
    throw new Error(data.detail || data.title || `HTTP ${response.status}`);
  }
  return data;
}

// Answers can arrive out of order (a slider dragged fast): draw only the latest of each kind.
const generation = { curves: 0, readout: 0, chain: 0 };

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
    const id = `act-${entry.name}`;
    const item = document.createElement("label");
    item.htmlFor = id;
    item.title = entry.summary;
    item.innerHTML = `<input type="checkbox" id="${id}" value="${entry.name}"> <span>${entry.name}</span>`;
    list.appendChild(item);
    const box = item.querySelector("input");
    box.checked = state.selected.includes(entry.name);
    box.addEventListener("change", () => toggle(entry.name, box.checked));
  }
  $("filter").addEventListener("input", (event) => {
    const needle = event.target.value.trim().toLowerCase();
    for (const item of list.children) {
      item.hidden = needle && !item.textContent.toLowerCase().includes(needle);
    }
  });
}

function toggle(name, on) {
  if (on && !state.selected.includes(name)) state.selected.push(name);
  if (!on) state.selected = state.selected.filter((key) => key !== name);
  renderParamControls();
  refresh();
}

function sliderRange(p) {
  let lo = p.minimum ?? Math.min(-5, p.default - 5);
  let hi = p.maximum ?? Math.max(5, p.default + 5);
  if (!Number.isFinite(lo)) lo = -10;
  if (!Number.isFinite(hi)) hi = 10;
  const step = (hi - lo) / 200;
  if (p.exclusive_minimum) lo += step;
  if (p.exclusive_maximum) hi -= step;
  return { lo, hi, step };
}

function renderParamControls() {
  const box = $("param-controls");
  box.replaceChildren();
  let any = false;
  for (const key of state.selected) {
    const entry = state.catalog.get(key);
    if (!entry) continue;
    for (const p of entry.params) {
      if (p.type !== "float" && p.type !== "choice") continue;
      if (p.type === "float" && p.default === null) continue;  // nullable "off" settings keep their default
      any = true;
      const id = `param-${key}-${p.name}`;
      const current = (state.params[key] || {})[p.name] ?? p.default;
      const row = document.createElement("div");
      row.className = "param";
      if (p.type === "choice") {
        row.innerHTML = `<label for="${id}"><span>${key}: ${p.name}</span></label><select id="${id}"></select>`;
        const select = row.querySelector("select");
        for (const choice of p.choices) select.add(new Option(choice, choice, false, choice === current));
        select.title = p.description;
        select.addEventListener("change", () => setParam(key, p.name, select.value));
      } else {
        const { lo, hi, step } = sliderRange(p);
        row.innerHTML = `<label for="${id}"><span>${key}: ${p.name}</span><output id="${id}-out">${current}</output></label>
          <input type="range" id="${id}" min="${lo}" max="${hi}" step="${step}" value="${current}">`;
        const slider = row.querySelector("input");
        slider.title = p.description;
        slider.addEventListener("input", () => {
          const value = Number(Number(slider.value).toPrecision(6));
          row.querySelector("output").textContent = value;
          setParam(key, p.name, value);
        });
      }
      box.appendChild(row);
    }
  }
  $("no-params").hidden = any;
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
  try {
    const results = await Promise.all(
      state.selected.map((key) =>
        api("POST", "/v1/evaluate", {
          activation: reference(key),
          grid: { start: xmin, stop: xmax, num: GRID_POINTS },
          order: 1,
          dtype: "float64",
        }),
      ),
    );
    if (mine !== generation.curves) return;
    state.curves.clear();
    state.selected.forEach((key, i) => state.curves.set(key, results[i]));
    drawCurves();
    await Promise.all([updateReadout(), updateChain()]);
  } catch (err) {
    showError(err);
  }
}

function plotFrame(canvas) {
  const ctx = canvas.getContext("2d");
  const style = getComputedStyle(document.body);
  return { ctx, fg: style.color, line: style.getPropertyValue("--line") || "#ccc", w: canvas.width, h: canvas.height };
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

function drawCurves() {
  const canvas = $("curve");
  const { ctx, fg, line, w, h } = plotFrame(canvas);
  ctx.clearRect(0, 0, w, h);
  const xmin = Number($("xmin").value);
  const xmax = Number($("xmax").value);
  const series = [];
  for (const c of state.curves.values()) series.push(c.value, c.derivative);
  const [ymin, ymax] = bounds(series);
  const m = { l: 44, r: 12, t: 12, b: 28 };
  const px = (x) => m.l + ((x - xmin) / (xmax - xmin)) * (w - m.l - m.r);
  const py = (y) => h - m.b - ((y - ymin) / (ymax - ymin)) * (h - m.t - m.b);
  canvas._map = { px, py, xmin, xmax, m, w };

  ctx.strokeStyle = line;
  ctx.lineWidth = 1;
  ctx.fillStyle = fg;
  ctx.font = "12px system-ui, sans-serif";
  for (const t of ticks(xmin, xmax)) { ctx.beginPath(); ctx.moveTo(px(t), m.t); ctx.lineTo(px(t), h - m.b); ctx.stroke(); ctx.fillText(fmt(t), px(t) - 8, h - 8); }
  for (const t of ticks(ymin, ymax)) { ctx.beginPath(); ctx.moveTo(m.l, py(t)); ctx.lineTo(w - m.r, py(t)); ctx.stroke(); ctx.fillText(fmt(t), 4, py(t) + 4); }
  ctx.strokeStyle = fg;  // axes through the origin
  ctx.lineWidth = 1.2;
  if (ymin < 0 && ymax > 0) { ctx.beginPath(); ctx.moveTo(m.l, py(0)); ctx.lineTo(w - m.r, py(0)); ctx.stroke(); }
  if (xmin < 0 && xmax > 0) { ctx.beginPath(); ctx.moveTo(px(0), m.t); ctx.lineTo(px(0), h - m.b); ctx.stroke(); }

  for (const [key, c] of state.curves) {
    ctx.strokeStyle = colour(key);
    for (const [ys, dash, width] of [[c.value, [], 2.2], [c.derivative, [7, 5], 1.8]]) {
      ctx.setLineDash(dash);
      ctx.lineWidth = width;
      ctx.beginPath();
      let pen = false;
      c.x.forEach((x, i) => {
        const y = ys[i];
        if (y === null || !Number.isFinite(y)) { pen = false; return; }
        if (pen) ctx.lineTo(px(x), py(y)); else ctx.moveTo(px(x), py(y));
        pen = true;
      });
      ctx.stroke();
    }
  }
  ctx.setLineDash([]);
  // Legend: solid f, dashed f′, one colour per activation.
  let y = m.t + 14;
  for (const key of state.curves.keys()) {
    ctx.strokeStyle = colour(key);
    ctx.lineWidth = 2.2;
    ctx.beginPath(); ctx.moveTo(m.l + 10, y - 4); ctx.lineTo(m.l + 34, y - 4); ctx.stroke();
    ctx.fillStyle = fg;
    ctx.fillText(`${label(key)}  (dashed: derivative)`, m.l + 40, y);
    y += 16;
  }
  // The readout position.
  if (state.readX >= xmin && state.readX <= xmax) {
    ctx.strokeStyle = fg;
    ctx.setLineDash([2, 3]);
    ctx.lineWidth = 1;
    ctx.beginPath(); ctx.moveTo(px(state.readX), m.t); ctx.lineTo(px(state.readX), h - m.b); ctx.stroke();
    ctx.setLineDash([]);
  }
}

function ticks(lo, hi) {
  const span = hi - lo;
  const step = Math.pow(10, Math.floor(Math.log10(span / 5)));
  const nice = [1, 2, 5, 10].map((k) => k * step).find((s) => span / s <= 8);
  const out = [];
  for (let t = Math.ceil(lo / nice) * nice; t <= hi; t += nice) out.push(Math.abs(t) < nice / 1e6 ? 0 : t);
  return out;
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
  const rows = await Promise.all(
    state.selected.map(async (key) => {
      const r = key.startsWith("expr:") || Object.keys(state.params[key] || {}).length
        ? await api("POST", "/v1/evaluate", { activation: reference(key), x: [x], order: 1, dtype: "float64" })
        : await api("GET", `/v1/activations/${key}/evaluate?x=${x}&order=1&dtype=float64`);
      return [key, r.value[0], r.derivative[0]];
    }),
  );
  if (mine !== generation.readout) return;
  body.replaceChildren();
  for (const [key, value, derivative] of rows) {
    const tr = document.createElement("tr");
    tr.dataset.activation = key;
    tr.dataset.x = String(x);
    tr.innerHTML = `<td><span class="swatch" style="background:${colour(key)}"></span>${label(key)}</td>
      <td data-value="${value}">${fmt(value)}</td><td data-derivative="${derivative}">${fmt(derivative)}</td>`;
    body.appendChild(tr);
  }
  drawCurves();
}

function setReadX(x, fromInput) {
  state.readX = Number(Number(x).toPrecision(6));
  if (!fromInput) $("read-x").value = state.readX;
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
    const cx = ((event.clientX - rect.left) / rect.width) * canvas.width;
    const x = map.xmin + ((cx - map.m.l) / (map.w - map.m.l - map.m.r)) * (map.xmax - map.xmin);
    return Math.min(map.xmax, Math.max(map.xmin, x));
  };
  canvas.addEventListener("pointermove", (event) => { const x = toX(event); if (x !== null) setReadX(x); });
  canvas.addEventListener("keydown", (event) => {
    const step = (Number($("xmax").value) - Number($("xmin").value)) / 100;
    if (event.key === "ArrowRight") { setReadX(state.readX + step); event.preventDefault(); }
    if (event.key === "ArrowLeft") { setReadX(state.readX - step); event.preventDefault(); }
  });
  $("read-x").addEventListener("change", (event) => setReadX(event.target.value, true));
}

// ----- chain ---------------------------------------------------------------------------------

async function updateChain() {
  const depth = Number($("depth").value);
  const z = Number($("chain-z").value);
  $("depth-value").textContent = depth;
  const mine = ++generation.chain;
  const results = await Promise.all(
    state.selected.map((key) => api("POST", "/v1/chain", { activation: reference(key), depth, z, dtype: "float64" })),
  );
  if (mine !== generation.chain) return;
  const body = $("chain-result").querySelector("tbody");
  body.replaceChildren();
  state.selected.forEach((key, i) => {
    const r = results[i];
    const tr = document.createElement("tr");
    tr.dataset.activation = key;
    tr.dataset.depth = String(depth);
    tr.innerHTML = `<td><span class="swatch" style="background:${colour(key)}"></span>${label(key)}</td>
      <td data-gradient="${r.gradient}">${fmt(r.gradient)}</td><td>${r.verdict}</td>`;
    body.appendChild(tr);
  });
  drawChain(results, depth);
}

function drawChain(results, depth) {
  const canvas = $("chain");
  const { ctx, fg, line, w, h } = plotFrame(canvas);
  ctx.clearRect(0, 0, w, h);
  const logs = results.map((r) => r.layers.map((layer) => {
    const g = Math.abs(layer.cumulative_gradient);
    return g > 0 && Number.isFinite(g) ? Math.log10(g) : null;
  }));
  const [ymin, ymax] = bounds([...logs, [-3, 3]]);
  const m = { l: 44, r: 12, t: 12, b: 28 };
  const px = (l) => m.l + ((l - 1) / Math.max(1, depth - 1)) * (w - m.l - m.r);
  const py = (y) => h - m.b - ((y - ymin) / (ymax - ymin)) * (h - m.t - m.b);
  ctx.font = "12px system-ui, sans-serif";
  ctx.fillStyle = fg;
  ctx.strokeStyle = line;
  for (const t of ticks(ymin, ymax)) { ctx.beginPath(); ctx.moveTo(m.l, py(t)); ctx.lineTo(w - m.r, py(t)); ctx.stroke(); ctx.fillText(fmt(t), 4, py(t) + 4); }
  ctx.fillText("layer →", w - 60, h - 8);
  ctx.fillText("log10 |gradient|", m.l + 4, m.t + 10);
  ctx.setLineDash([3, 4]);
  for (const level of [-3, 3]) { ctx.beginPath(); ctx.moveTo(m.l, py(level)); ctx.lineTo(w - m.r, py(level)); ctx.stroke(); }
  ctx.setLineDash([]);
  results.forEach((r, i) => {
    ctx.strokeStyle = colour(state.selected[i]);
    ctx.fillStyle = ctx.strokeStyle;
    ctx.lineWidth = 2;
    ctx.beginPath();
    let pen = false;
    logs[i].forEach((y, l) => {
      if (y === null) { pen = false; return; }
      if (pen) ctx.lineTo(px(l + 1), py(y)); else ctx.moveTo(px(l + 1), py(y));
      pen = true;
    });
    ctx.stroke();
  });
}

// ----- custom formulas ------------------------------------------------------------------------

let expressionCount = 0;
function hookExpressions() {
  $("expression-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("expression").value.trim();
    if (!text) return;
    const key = `expr:${++expressionCount}`;
    try {
      // Validate first: a bad formula answers 422 naming the position of the mistake.
      await api("POST", "/v1/evaluate", { activation: { expression: text }, x: [0], order: 1 });
    } catch (err) {
      showError(err);
      return;
    }
    state.expressions.push({ key, text });
    state.selected.push(key);
    const li = document.createElement("li");
    li.innerHTML = `<code></code> <button type="button" aria-label="Remove ${text}">×</button>`;
    li.querySelector("code").textContent = text;
    li.querySelector("button").addEventListener("click", () => {
      state.selected = state.selected.filter((k) => k !== key);
      state.expressions = state.expressions.filter((e) => e.key !== key);
      li.remove();
      refresh();
    });
    $("expression-list").appendChild(li);
    refresh();
  });
}

// ----- start ---------------------------------------------------------------------------------

async function main() {
  hookCurveCanvas();
  hookExpressions();
  $("depth").addEventListener("input", () => { $("depth-value").textContent = $("depth").value; updateChain().catch(showError); });
  $("chain-z").addEventListener("change", () => updateChain().catch(showError));
  $("xmin").addEventListener("change", refresh);
  $("xmax").addEventListener("change", refresh);
  try {
    await loadCatalog();
    renderParamControls();
    await refresh();
    document.body.dataset.ready = "true";
  } catch (err) {
    showError(err);
  }
}

main();

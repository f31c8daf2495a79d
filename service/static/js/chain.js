// Through depth: the chained gradient of every selected curve (POST /v1/chain), its chart, and
// a walk that steps the signal forward and the gradient back, layer by layer.
import { $, api, el, fmt, latestOnly, showError, whileBusy } from "./util.js";
import { colour, label, reference, saveState, state, swatch } from "./state.js";
import { Chart, layerChart, padded } from "./charts.js";

const VERDICTS = { vanishing: "vanishing", exploding: "exploding", stable: "stable" };
const chainTurn = latestOnly();
let chart = null;

export async function updateChain() {
  const depth = Number($("depth").value);
  const z = Number($("chain-z").value);
  const weight = Number($("chain-weight").value);
  const bias = Number($("chain-bias").value);
  $("depth-value").textContent = depth;
  const current = chainTurn();
  const keys = state.selected.filter((key) => !state.errors.has(key));
  const results = await whileBusy(
    Promise.all(keys.map((key) => api("POST", "/v1/chain", { activation: reference(key), depth, z, weight, bias, dtype: "float64" }))),
  );
  if (!current()) return;
  $("chain-result").querySelector("tbody").replaceChildren(
    ...keys.map((key, i) => {
      const r = results[i];
      // null verdict: the gradient is not a number (a formula undefined there, e.g. log at z ≤ 0).
      const verdict = VERDICTS[r.verdict] || "undefined (not a number)";
      return el(
        "tr",
        { dataset: { activation: key, depth: String(depth) } },
        el("td", {}, swatch(key), label(key)),
        el("td", { dataset: { gradient: String(r.gradient) } }, r.zero_derivative ? "0 (a layer's f′ is 0)" : fmt(r.gradient)),
        el("td", { dataset: { verdict: String(r.verdict) } }, verdict),
      );
    }),
  );
  // Where z sits on a kink the convention decides the answer: say so.
  $("chain-note").textContent = keys
    .map((key) => state.catalog.get(key))
    .filter((entry) => entry && entry.non_differentiable_points.includes(z))
    .map((entry) => `${entry.name}: z = ${z} is a kink, where ${entry.convention}`)
    .join(" ");
  drawChain(keys, results, depth);
  updateWalk(keys, results);
}

/** log10 |∂h_l/∂h_0| per layer; exactly 0 (a dead layer on) has no logarithm: it is drawn on
 * the chart's floor and marked; an overflowed (null) gradient leaves a gap. */
function drawChain(keys, results, depth) {
  chart ||= new Chart($("chain"));
  const logs = results.map((r) => r.layers.map((layer) => {
    const g = layer.cumulative_gradient;
    if (g === 0) return -Infinity;
    return g !== null && Number.isFinite(g) ? Math.log10(Math.abs(g)) : null;
  }));
  const finite = logs.flat().filter((y) => y !== null && Number.isFinite(y));
  const yRange = padded(Math.min(-4, ...finite), Math.max(4, ...finite));
  const floor = yRange[0];
  layerChart(chart, {
    depth,
    yRange,
    yLabel: "log10 |cumulative gradient|",
    guides: [{ y: -3, text: "vanishing below 1e-3" }, { y: 3, text: "exploding above 1e3" }],
    series: keys.map((key, i) => ({
      label: label(key),
      colour: colour(key),
      ys: logs[i].map((y) => (y === -Infinity ? floor : y)),
      marks: logs[i].includes(-Infinity) ? logs[i].map((y) => (y === -Infinity ? floor : null)) : null,
    })),
  });
  $("chain-legend").replaceChildren(
    ...keys.map((key, i) => {
      const dead = logs[i].includes(-Infinity) ? " — 0 from a dead layer on (dots on the floor)" : "";
      return el("li", { dataset: { activation: key } }, swatch(key), label(key) + dead);
    }),
  );
  const summary = keys.map((key, i) => `${label(key)} ${VERDICTS[results[i].verdict] || "not a number"}`).join(", ");
  $("chain").setAttribute("aria-label", `log10 of the cumulative gradient against layer, 1 to ${depth}: ${summary || "nothing selected"}. Exact values in the table below.`);
}

let chainTimer = null;
let chainDone = null;
/** The depth slider and the chain's inputs: one request per activation after they rest, not
 * one per input event; the "updating…" cue shows at once. */
export function scheduleChain() {
  $("depth-value").textContent = $("depth").value;
  clearTimeout(chainTimer);
  if (!chainDone) whileBusy(new Promise((resolve) => { chainDone = resolve; }));
  chainTimer = setTimeout(() => {
    const done = chainDone;
    chainDone = null;
    saveState();
    updateChain().catch(showError).finally(done);
  }, 150);
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
    const cell = el("li", { class: "walk-layer", dataset: { layer: String(i + 1) } }, el("span", { class: "walk-l" }, `layer ${i + 1}`));
    if (s >= i + 1) cell.append(el("span", {}, `h = ${fmt(layer.output)}`));
    if (above[i] !== null) cell.append(el("span", { class: "walk-g", dataset: { gradient: String(above[i]) } }, `∂h_L/∂h_${i} = ${fmt(above[i])}`));
    if ((s <= L && s === i + 1) || (s > L && i === 2 * L - s)) cell.classList.add("current");
    list.append(cell);
  });
  const caption = $("walk-caption");
  if (s === 0) caption.textContent = `Press Step or Play: ${L} layers of ${label($("walk-activation").value)} from h₀ = ${fmt(r.z)}.`;
  else if (s <= L) {
    const layer = r.layers[s - 1];
    caption.textContent = `Forward, layer ${s}: z = ${fmt(layer.pre_activation)}, h = f(z) = ${fmt(layer.output)}.`;
  } else {
    const layer = r.layers[2 * L - s];
    caption.textContent = `Backward through layer ${2 * L - s + 1}: × weight·f′(z) = ${fmt(r.weight)} × ${fmt(layer.local_derivative)} → gradient ${fmt(gradient)}.`
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

function updateWalk(keys, results) {
  const select = $("walk-activation");
  const before = select.value;
  walk.results = new Map(keys.map((key, i) => [key, results[i]]));
  select.replaceChildren(...keys.map((key) => new Option(label(key), key, false, key === before)));
  stopWalk();
  walkTo(0);
}

export function hookChain() {
  $("depth").addEventListener("input", scheduleChain);
  for (const id of ["chain-z", "chain-weight", "chain-bias"]) $(id).addEventListener("change", scheduleChain);
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

// What the reader has chosen, the colours of the curves, and the view in the URL.
import { $, el } from "./util.js";

// Okabe–Ito's darker colours (distinguishable with the common colour-vision deficiencies), then
// mid-tone hues: 12 before one repeats, each at least 3:1 against both themes' backgrounds
// (WCAG 1.4.11 for graphics): no black, which vanishes on dark, no yellow, which fades on white.
export const PALETTE = [
  "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#B8860B", "#7F7F7F",
  "#C2185B", "#3B9484", "#999933", "#AA4499", "#7B68EE", "#5E9A1A",
];

export const state = {
  catalog: new Map(),  // name -> catalog entry (GET /v1/activations)
  // Two curves that tell the story at once: sigmoid's gradient vanishes with depth, relu's
  // survives (from z = 0.5, away from relu's kink at 0).
  selected: ["sigmoid", "relu"],  // names (and "expr:<n>" keys) in the order picked
  params: {},  // name -> {param: value}
  expressions: [],  // [{key, text}]
  curves: new Map(),  // key -> {x, value, derivative} on the plot's grid
  errors: new Map(),  // key -> the problem detail of its last request (one activation's only)
  points: new Map(),  // key -> Map(x -> [f, f′]) asked for beside the grid
  readX: 0.5,
};

/** The activation reference of one curve, as every compute endpoint takes it. */
export function reference(key) {
  if (key.startsWith("expr:")) return { expression: state.expressions.find((e) => e.key === key).text };
  const params = state.params[key] || {};
  return Object.keys(params).length ? { name: key, params } : key;
}

export function label(key) {
  if (key.startsWith("expr:")) return state.expressions.find((e) => e.key === key).text;
  const shown = Object.entries(state.params[key] || {}).map(([k, v]) => `${k}=${v}`).join(", ");
  return shown ? `${key} (${shown})` : key;
}

export function colour(key) {
  return PALETTE[state.selected.indexOf(key) % PALETTE.length];
}

export function swatch(colourOrKey) {
  const c = colourOrKey.startsWith("#") ? colourOrKey : colour(colourOrKey);
  return el("span", { class: "swatch", style: `background:${c}` });
}

// Changes that several rooms of the page answer (main.js wires them): "selection" when the
// set of curves or their params change.
export function announce(what) {
  document.dispatchEvent(new CustomEvent(`actfn:${what}`));
}

export function on(what, handler) {
  document.addEventListener(`actfn:${what}`, handler);
}

// ----- the view in the URL: shareable and bookmarkable -------------------------------------------

// #a=sigmoid,relu&p=elu.alpha:0.5&f=x*sigmoid(x)&x=-5,5&depth=10&z=0.5&w=1&b=0
const FIELDS = [["depth", "depth"], ["z", "chain-z"], ["w", "chain-weight"], ["b", "chain-bias"]];

export function saveState() {
  const q = new URLSearchParams();
  q.set("a", state.selected.filter((k) => !k.startsWith("expr:")).join(","));
  const params = Object.entries(state.params).flatMap(([key, ps]) => Object.entries(ps).map(([n, v]) => `${key}.${n}:${v}`));
  if (params.length) q.set("p", params.join(","));
  for (const e of state.expressions) q.append("f", e.text);
  q.set("x", `${$("xmin").value},${$("xmax").value}`);
  for (const [key, id] of FIELDS) q.set(key, $(id).value);
  history.replaceState(null, "", `#${q.toString()}`);
}

/** Reads the hash into the state and the inputs; returns the formulas it names. */
export function loadState() {
  if (!location.hash.slice(1)) return [];
  const q = new URLSearchParams(location.hash.slice(1));
  if (q.has("a")) state.selected = q.get("a").split(",").filter((n) => state.catalog.has(n));
  for (const item of (q.get("p") || "").split(",").filter(Boolean)) {
    const m = /^([a-z0-9_]+)\.([a-z_]+):(.*)$/.exec(item);
    const param = m && state.catalog.get(m[1])?.params.find((p) => p.name === m[2]);
    if (!param) continue;
    const value = param.type === "choice" ? m[3] : Number(m[3]);
    state.params[m[1]] = { ...(state.params[m[1]] || {}), [m[2]]: value };
  }
  const [xmin, xmax] = (q.get("x") || "").split(",").map(Number);
  if (Number.isFinite(xmin) && Number.isFinite(xmax) && xmin < xmax) {
    $("xmin").value = String(xmin);
    $("xmax").value = String(xmax);
  }
  for (const [key, id] of FIELDS) {
    if (q.has(key) && Number.isFinite(Number(q.get(key)))) $(id).value = q.get(key);
  }
  return q.getAll("f");
}

// The controls: the catalog's checklist and its filter, each activation's params (a teaching
// slider beside an exact number), and the reader's own formulas.
import { $, api, debounce, el, roving } from "./util.js";
import { announce, state } from "./state.js";

// ----- the catalog ---------------------------------------------------------------------------------

export async function loadCatalog() {
  const data = await api("GET", "/v1/activations?kind=elementwise");
  for (const entry of data.activations) state.catalog.set(entry.name, entry);
  const list = $("activation-list");
  for (const entry of data.activations) {
    const box = el("input", { type: "checkbox", id: `act-${entry.name}`, value: entry.name });
    const words = [entry.name, ...entry.aliases].join(" ");
    const item = el("label", { for: box.id, title: entry.summary, dataset: { words } }, box, " ", el("span", {}, entry.name));
    if (entry.aliases.length) item.append(el("span", { class: "alias" }, ` (${entry.aliases.join(", ")})`));
    list.append(item);
    box.addEventListener("change", () => toggle(entry.name, box.checked));
  }
  // One Tab stop for the whole list: ↑ ↓ move in it, Space ticks.
  const resettle = roving(list, "input");
  // Names and aliases match (swish finds silu), with - or _; the count says what is hidden.
  const filter = () => {
    const needle = $("filter").value.trim().toLowerCase().replace(/-/g, "_");
    let shown = 0;
    for (const item of list.children) {
      item.hidden = Boolean(needle) && !item.dataset.words.toLowerCase().includes(needle);
      if (!item.hidden) shown += 1;
    }
    $("filter-count").textContent = needle ? `${shown} of ${list.children.length} shown` : `${list.children.length} activations`;
    resettle();
  };
  $("filter").addEventListener("input", filter);
  filter();
}

/** The checklist as the state has it (after a theory "Show" or a URL). */
export function syncChecks() {
  for (const box of document.querySelectorAll("#activation-list input")) box.checked = state.selected.includes(box.value);
}

function toggle(name, on) {
  if (on && !state.selected.includes(name)) state.selected.push(name);
  if (!on) state.selected = state.selected.filter((key) => key !== name);
  announce("selection");
}

export function selectOnly(names) {
  state.selected = names.filter((n) => state.catalog.has(n));
  syncChecks();
}

// ----- params --------------------------------------------------------------------------------------

// A slider over a range worth teaching with, not the param's whole legal range: a log scale
// for positive params whose bounds span decades, else a linear one with the default on a
// step; beside it an exact number input that takes any valid value.
const SLIDER_STEPS = 200;

/** The slider's scale for a catalog param: {log, toValue(step), toStep(value), range, steps}. */
export function sliderScale(p) {
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
      steps: SLIDER_STEPS,
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
  return { log: false, toValue: (t) => a + t * step, toStep: (v) => Math.round((v - a) / step), range: [a, a + steps * step], steps };
}

const paramsChanged = debounce(() => announce("params"), 120);  // a drag is one change

function setParam(key, name, value) {
  state.params[key] = { ...(state.params[key] || {}), [name]: value };
  paramsChanged();
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
  const slider = el("input", {
    type: "range", id, min: "0", max: String(scale.steps), step: "1", title: p.description,
    "aria-valuetext": String(current), "data-scale": scale.log ? "log" : "linear",
  });
  const place = (value) => { slider.value = String(Math.min(scale.steps, Math.max(0, scale.toStep(value)))); };
  place(current);
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
    place(value);
    slider.setAttribute("aria-valuetext", String(value));
    setParam(key, p.name, value);
  });
  row.append(el("label", { for: id }, name), el("div", { class: "slider-pair" }, slider, exact));
  return row;
}

export function renderParamControls() {
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

/** Each curve's last refusal beside its own control (its params, or its formula's chip). */
export function showParamErrors() {
  for (const key of state.selected) {
    const box = key.startsWith("expr:")
      ? document.querySelector(`#expression-list li[data-key="${key}"] .field-error`)
      : document.getElementById(`param-error-${key}`);
    if (box) box.textContent = state.errors.get(key) || "";
  }
}

// ----- the reader's formulas -----------------------------------------------------------------------

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

/** A formula joins the curves (with its chip: the text, a remove button, its errors). */
export function addFormula(text) {
  const key = `expr:${++expressionCount}`;
  state.expressions.push({ key, text });
  state.selected.push(key);
  const remove = el("button", { type: "button", "aria-label": `Remove ${text}` }, "×");
  const li = el("li", { dataset: { key } }, el("code", {}, text), " ", remove, el("span", { class: "field-error", role: "alert" }));
  remove.addEventListener("click", () => {
    state.selected = state.selected.filter((k) => k !== key);
    state.expressions = state.expressions.filter((e) => e.key !== key);
    li.remove();
    announce("selection");
  });
  $("expression-list").append(li);
}

export function hookExpressions() {
  $("expression").addEventListener("input", () => expressionError(null));
  $("expression-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("expression").value;
    if (!text.trim()) return;
    try {
      // Checked first: a bad formula answers 422 naming the position of the mistake.
      await api("POST", "/v1/evaluate", { activation: { expression: text }, x: [0], order: 1 });
    } catch (err) {
      expressionError(err);
      return;
    }
    expressionError(null);
    addFormula(text);
    announce("selection");
  });
}

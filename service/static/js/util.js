// The page's small tools: the API call, DOM building from text, number formatting, timing.

export const $ = (id) => document.getElementById(id);

/** The JSON answer of one API call; a problem+json answer becomes an Error whose message is its
 * detail (the field and the rule) and whose `position` is a formula's 1-based position. */
export async function api(method, path, body) {
  const init = { method, headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const data = await response.json();
  if (!response.ok) {
    const error = new Error(data.detail || data.title || `HTTP ${response.status}`);
    const at = /at position (\d+)$/.exec(error.message);
    error.position = at ? Number(at[1]) : null;
    throw error;
  }
  return data;
}

/** Every text from the API or the user goes into the page as a text node, never as HTML. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "dataset") Object.assign(node.dataset, v);
    else if (k === "style") node.style.cssText = v;
    else node.setAttribute(k, v);
  }
  for (const child of children) node.append(child);
  return node;
}

/** Answers can arrive out of order (a slider dragged fast): `const current = turn()` before a
 * request, `if (!current()) return` after it, and only the latest of each kind is drawn. */
export function latestOnly() {
  let n = 0;
  return () => {
    const mine = ++n;
    return () => mine === n;
  };
}

/** `fn` once the calls have rested for `ms` (a slider drag is one change, not fifty). */
export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** A value for a table: 6 significant digits, exponent form outside [1e-3, 1e5). */
export function fmt(v) {
  if (v === null || v === undefined) return "—";
  if (typeof v === "boolean") return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(4) : Number(v.toPrecision(6)).toString();
}

/** A tick label: short (1e5, 1e-4, 2.5). */
export function tick(v) {
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(0).replace("e+", "e");
  return String(Number(v.toPrecision(4)));
}

let busy = 0;
/** The "updating…" cue while any request the user waits for is out. */
export async function whileBusy(promise) {
  busy += 1;
  $("status").textContent = "updating…";
  document.body.setAttribute("aria-busy", "true");
  try {
    return await promise;
  } finally {
    busy -= 1;
    if (!busy) {
      $("status").textContent = "";
      document.body.removeAttribute("aria-busy");
    }
  }
}

export function showError(err) {
  $("errors").textContent = err ? String(err.message || err) : "";
}

/** One Tab stop for a group of controls (a long checklist, tabs, a toolbar): the arrow keys,
 * Home and End move among the group's visible items, Tab leaves it; the stop stays on the item
 * last focused. Returns a function to call when items are hidden or shown. */
export function roving(container, selector, onMove = null) {
  const all = () => [...container.querySelectorAll(selector)];
  const visible = () => all().filter((e) => !e.closest("[hidden]"));
  const settle = (keep) => {
    const list = visible();
    const stop = list.includes(keep) ? keep : list[0];
    for (const e of all()) e.tabIndex = e === stop ? 0 : -1;
  };
  container.addEventListener("keydown", (event) => {
    const list = visible();
    const i = list.indexOf(document.activeElement);
    const to = { ArrowDown: i + 1, ArrowRight: i + 1, ArrowUp: i - 1, ArrowLeft: i - 1, Home: 0, End: list.length - 1 }[event.key];
    if (i < 0 || to === undefined) return;
    event.preventDefault();
    const target = list[Math.max(0, Math.min(list.length - 1, to))];
    settle(target);
    target.focus();
    onMove?.(target);
  });
  container.addEventListener("focusin", (event) => { if (event.target.matches(selector)) settle(event.target); });
  settle(null);
  return () => settle(all().find((e) => e.tabIndex === 0));
}

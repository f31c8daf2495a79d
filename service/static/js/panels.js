// The teaching panels: formulas and code, output activations, dying ReLU, theory, practice.
import { $, api, debounce, el, fmt, latestOnly, roving, showError } from "./util.js";
import { announce, label, state, swatch } from "./state.js";
import { Chart, layerChart } from "./charts.js";
import { selectOnly } from "./controls.js";

// ----- formulas and code ---------------------------------------------------------------------------

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
  const tabs = el("div", { role: "tablist", "aria-label": `${key} as code` });
  const pre = el("pre", { tabindex: "0", role: "tabpanel", id: `code-${key}` }, el("code", {}));
  const copy = el("button", { type: "button", class: "copy" }, "Copy");
  const done = el("span", { class: "hint", role: "status" });
  let current = "jax";
  const show = (lib) => {
    current = lib;
    pre.firstChild.textContent = code[lib];
    for (const tab of tabs.children) tab.setAttribute("aria-selected", String(tab.dataset.lib === lib));
    pre.setAttribute("aria-labelledby", `code-${key}-${lib}`);
  };
  for (const [lib, name] of LIBRARIES) {
    const tab = el("button", { type: "button", role: "tab", dataset: { lib }, id: `code-${key}-${lib}`, "aria-controls": `code-${key}` }, name);
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
  roving(tabs, '[role="tab"]', (tab) => show(tab.dataset.lib));  // the ARIA tabs pattern: ← → switch
  return el("div", { class: "code" }, tabs, pre, el("div", {}, copy, " ", done));
}

export function renderMaths() {
  $("maths").replaceChildren(
    ...state.selected.map((key) => {
      const entry = state.catalog.get(key);
      const article = el("article", { class: "maths", dataset: { activation: key } }, el("h3", {}, swatch(key), label(key)));
      if (!entry) {
        article.append(el("p", {}, "A formula of yours: f(x) = ", el("code", {}, label(key))));
        return article;
      }
      article.append(
        el("p", { class: "hint" }, entry.summary),
        typeset(entry.formula),
        typeset(entry.derivative_formula),
        el("p", { class: "hint" }, entry.convention),
        codeBlock(key, entry.code),
      );
      return article;
    }),
  );
}

// ----- output activations: a vector of scores, its probabilities and Jacobian --------------------

function heatColour(v, scale) {
  // Blue for negative, orange for positive (Okabe–Ito), strength by |v| relative to the largest.
  const t = scale > 0 ? Math.min(1, Math.abs(v) / scale) : 0;
  const [r, g, b] = v < 0 ? [0, 114, 178] : [230, 159, 0];
  return `rgba(${r}, ${g}, ${b}, ${0.1 + 0.35 * t})`;  // light enough for the text on it, either theme
}

export async function updateOutput() {
  const x = $("logits").value.split(/[\s,;]+/).filter(Boolean).map(Number);
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
  const share = name === "log_softmax" ? r.value.map(Math.exp) : r.value;
  $("output-result").querySelector("tbody").replaceChildren(
    ...r.value.map((v, i) => {
      const bar = el("span", { class: "bar", style: `width:${(100 * share[i]).toFixed(1)}%` });
      return el("tr", { dataset: { i: String(i), value: String(v) } }, el("td", {}, String(i)), el("td", {}, fmt(x[i])), el("td", {}, fmt(v)), el("td", { class: "bar-cell" }, bar));
    }),
  );
  const scale = Math.max(...r.jacobian.flat().map(Math.abs));
  $("jacobian").querySelector("tbody").replaceChildren(
    el("tr", {}, el("th", { scope: "col" }, "i \\ j"), ...x.map((_, j) => el("th", { scope: "col" }, String(j)))),
    ...r.jacobian.map((row, i) =>
      el("tr", {}, el("th", { scope: "row" }, String(i)), ...row.map((v) => el("td", { style: `background:${heatColour(v, scale)}`, dataset: { value: String(v) } }, fmt(v)))),
    ),
  );
}

// ----- dying ReLU: dead units per layer of a random MLP --------------------------------------

const FLOW = [["relu", "#D55E00"], ["leaky_relu", "#0072B2"], ["gelu", "#009E73"]];
const flowTurn = latestOnly();
let flowChart = null;

export async function updateFlow() {
  const bias = Number($("flow-bias").value);
  const depth = Math.min(50, Math.max(1, Math.round(Number($("flow-depth").value) || 10)));
  $("flow-bias-value").textContent = String(bias).replace("-", "−");
  const current = flowTurn();
  const results = await Promise.all(
    FLOW.map(([name]) => api("POST", "/v1/gradient-flow", { activation: name, depth, width: 64, batch: 64, bias, init: "he_normal", seed: 0 })),
  );
  if (!current()) return;
  const dead = results.map((r) => r.layers.map((layer) => layer.dead_fraction));
  const percent = (f) => `${Math.round(100 * f)} %`;
  $("flow-result").querySelector("tbody").replaceChildren(
    ...FLOW.map(([name, c], i) =>
      el(
        "tr",
        { dataset: { activation: name, dead: JSON.stringify(dead[i]) } },
        el("td", {}, swatch(c), name),
        el("td", {}, `${percent(dead[i][0])} → ${percent(dead[i][dead[i].length - 1])}`),
        el("td", {}, results[i].verdict),
      ),
    ),
  );
  flowChart ||= new Chart($("flow"));
  layerChart(flowChart, {
    depth,
    yRange: [0, 1],
    yLabel: "dead units",
    yValues: (u, splits) => splits.map((f) => `${Math.round(f * 100)} %`),
    series: FLOW.map(([name, c], i) => ({ label: name, colour: c, ys: dead[i] })),
  });
  $("flow-legend").replaceChildren(...FLOW.map(([name, c]) => el("li", {}, swatch(c), `${name} (dead fraction)`)));
  $("flow").setAttribute("aria-label", `Fraction of dead units per layer, 1 to ${depth}, bias ${bias}: ${FLOW.map(([name], i) => `${name} ${percent(dead[i][0])} → ${percent(dead[i][depth - 1])}`).join(", ")}.`);
}

export function hookFlow() {
  const later = debounce(() => updateFlow().catch(showError), 200);
  const schedule = () => {
    $("flow-bias-value").textContent = String($("flow-bias").value).replace("-", "−");
    later();
  };
  $("flow-bias").addEventListener("input", schedule);
  $("flow-depth").addEventListener("change", schedule);
  $("logits-form").addEventListener("submit", (event) => { event.preventDefault(); updateOutput(); });
  $("output-activation").addEventListener("change", updateOutput);
}

// ----- theory: the concepts, each illustration computed and shown --------------------------------

// What "Show" does for each kind of illustration: point the page's own views at it.
function showIllustration(request) {
  const [path, search] = request.path.split("?");
  const query = new URLSearchParams(search || "");
  const body = request.body || {};
  if (path === "/v1/chain") {
    selectOnly([body.activation]);
    $("depth").value = String(Math.min(Number($("depth").max), body.depth));
    $("chain-z").value = String(body.z ?? 0);
    $("chain-weight").value = String(body.weight ?? 1);
    $("chain-bias").value = String(body.bias ?? 0);
    announce("selection");
    $("chain-title").scrollIntoView({ behavior: "smooth" });
    return;
  }
  selectOnly([decodeURIComponent(path.split("/")[3] || "")]);
  if (path.endsWith("/evaluate")) {
    const xs = (query.get("x") || "0").split(",").map(Number);
    state.readX = xs[xs.length - 1];
    $("read-x").value = String(state.readX);
    $("xmin").value = String(Math.min(-5, Math.floor(Math.min(...xs)) - 1));
    $("xmax").value = String(Math.max(5, Math.ceil(Math.max(...xs)) + 1));
  }
  announce("selection");
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

export async function loadConcepts() {
  const data = await api("GET", "/v1/concepts");
  for (const brief of data.concepts) {
    const content = el("div", { class: "concept" });
    const details = el(
      "details",
      { id: `concept-${brief.id}`, dataset: { concept: brief.id } },
      el("summary", {}, el("strong", {}, brief.title), ` — ${brief.summary}`),
      content,
    );
    // The full text and its computed numbers are fetched when the reader opens it.
    details.addEventListener("toggle", async () => {
      if (!details.open || content.dataset.loaded) return;
      content.dataset.loaded = "true";
      try {
        const full = await api("GET", brief.href);
        for (const paragraph of full.body) content.append(el("p", {}, paragraph));
        content.append(el("ul", { class: "illustrations" }, ...full.illustrations.map(illustrationItem)));
      } catch (err) {
        content.append(el("p", { class: "field-error" }, err.message));
      }
    });
    $("concepts").append(details);
  }
}

// ----- practice: the quiz ----------------------------------------------------------------------

const TOPICS = ["derivatives", "dying-relu", "output-activations", "properties", "saturation", "values", "vanishing-gradients"];
export const quiz = { question: null };

function answerControl(question) {
  const box = $("quiz-answer");
  if (question.type === "numeric") {
    box.replaceChildren(el("label", { for: "quiz-number" }, "Your answer "), el("input", { id: "quiz-number", type: "number", step: "any", required: "" }));
    return;
  }
  const options = question.type === "true_false" ? [["true", "True"], ["false", "False"]] : question.choices.map((c, i) => [String(i), c]);
  box.replaceChildren(
    el(
      "fieldset",
      { class: "choices" },
      el("legend", {}, "Your answer"),
      ...options.map(([value, text], i) =>
        el("div", {}, el("input", { type: "radio", name: "quiz-choice", id: `quiz-choice-${i}`, value, required: "" }), " ", el("label", { for: `quiz-choice-${i}` }, text)),
      ),
    ),
  );
}

function chosenAnswer(question) {
  if (question.type === "numeric") return Number($("quiz-number").value);
  const picked = document.querySelector('input[name="quiz-choice"]:checked');
  if (!picked) return null;
  return question.type === "true_false" ? picked.value === "true" : Number(picked.value);
}

async function newQuestion() {
  const topic = $("quiz-topic").value;
  $("quiz-result").textContent = "";
  try {
    const data = await api("GET", `/v1/quiz/questions?${topic ? `count=1&topics=${encodeURIComponent(topic)}` : "count=1"}`);
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

export function hookQuiz() {
  for (const topic of TOPICS) $("quiz-topic").add(new Option(topic.replace(/-/g, " "), topic));
  $("quiz-new").addEventListener("click", newQuestion);
  $("quiz-form").addEventListener("submit", (event) => { event.preventDefault(); grade(false); });
  $("quiz-reveal").addEventListener("click", () => grade(true));
}

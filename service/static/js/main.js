// actfn's reference front-end: native ES modules against the JSON API, no build step, no CDN.
// Every number shown comes from a request you can read in these files:
//   GET  /v1/activations?kind=elementwise   the catalog (params, formulas, code)   controls.js
//   POST /v1/evaluate                       curves and the readout's point         curves.js
//   GET  /v1/activations/{name}/evaluate    exact values at a new x (the readout)  curves.js
//   POST /v1/chain                          the gradient through depth, the walk  chain.js
//   POST /v1/evaluate (softmax & co.)       probabilities and their Jacobian      panels.js
//   POST /v1/gradient-flow                  dead units per layer (dying ReLU)      panels.js
//   GET  /v1/concepts[/{id}]                the theory and its computed numbers    panels.js
//   GET  /v1/quiz/questions, POST /v1/quiz/grade   practice                        panels.js
// Rooms: util.js (API call, DOM, numbers), state.js (choices, colours, URL), charts.js (uPlot),
// controls.js, curves.js, chain.js, panels.js; this file wires them.
import { $, showError, tick } from "./util.js";
import { PALETTE, loadState, on, state } from "./state.js";
import { addFormula, hookExpressions, loadCatalog, renderParamControls, sliderScale, syncChecks } from "./controls.js";
import { hookCurves, refresh, view } from "./curves.js";
import { hookChain, updateChain } from "./chain.js";
import { hookFlow, hookQuiz, loadConcepts, quiz, renderMaths, updateFlow, updateOutput } from "./panels.js";

/** Curves first (they find which activations the service refuses), then their chains. */
async function refreshAll() {
  try {
    if (await refresh()) await updateChain();
  } catch (err) {
    showError(err);
  }
}

async function main() {
  hookCurves();
  hookExpressions();
  hookChain();
  hookFlow();
  hookQuiz();
  on("selection", () => { renderParamControls(); renderMaths(); refreshAll(); });
  on("params", () => { renderMaths(); refreshAll(); });
  // A view pasted or followed into the address bar of an open page: show it.
  window.addEventListener("hashchange", () => location.reload());
  try {
    await loadCatalog();
    for (const text of loadState()) addFormula(text);
    syncChecks();
    $("depth-value").textContent = $("depth").value;
    renderParamControls();
    renderMaths();
    document.body.classList.remove("loading");
    await Promise.all([refreshAll(), updateFlow(), loadConcepts(), updateOutput()]);
    document.body.dataset.ready = "true";
  } catch (err) {
    document.body.classList.remove("loading");
    showError(err);
  }
}

// For the browser tests and the curious reader's console: what the page holds and draws.
window.actfn = { state, view, quiz, PALETTE, sliderScale, tick };

main();

// WinLoss dashboard (/app/trends; docs/pages.md): the shell — sign-in, header, filters, and one module per view in
// views/. ES modules, no build step; charts by the vendored Chart.js (loaded before this module as window.Chart).
// No inline scripts or styles (Content-Security-Policy 'self').
import { $, el } from "/app/shared/dom.js";
import { api, getKey, setKey, clearKey, setUnauthorizedHandler, problemText } from "/app/shared/api.js";
import { enhanceKeyInput } from "/app/shared/key.js";
import { FILTERS, readState, stateUrl, navigate, setRenderer, defaultFrom } from "/app/trends/state.js";
import { label } from "/app/trends/format.js";
import { setStatus } from "/app/trends/ui.js";
import { destroyCharts } from "/app/trends/charts.js";
import * as overview from "/app/trends/views/overview.js";
import * as competitors from "/app/trends/views/competitors.js";
import * as competitor from "/app/trends/views/competitor.js";
import * as messages from "/app/trends/views/messages.js";
import * as reasons from "/app/trends/views/reasons.js";
import * as leads from "/app/trends/views/leads.js";
import * as triage from "/app/trends/views/triage.js";
import * as calibration from "/app/trends/views/calibration.js";
import * as coverage from "/app/trends/views/coverage.js";

const VIEWS = { overview, competitors, competitor, messages, reasons, leads, calibration, coverage, triage };
const PHONE = window.matchMedia("(max-width: 700px)");
let me = null;
let renderToken = 0;

const isAnalyst = () => Boolean(me && (me.role === "analyst" || me.role === "admin"));

function syncFilters(state) {
  const form = $("#filters");
  for (const f of FILTERS) {
    const input = form.elements[f];
    if (input && input.value !== state[f]) input.value = state[f];
  }
  $("#filter-summary-text").textContent = filterSummary(state);
}

/** One line naming the active filters: "Dec 2025 → today · month · Enterprise · EMEA". */
function filterSummary(state) {
  const parts = [];
  const range = (state.from === defaultFrom() && !state.to) ? "Last 12 months" : `${state.from || "start"} → ${state.to || "today"}`;
  parts.push(range, `by ${state.granularity}`);
  if (state.segment) parts.push(label(state.segment));
  if (state.region) parts.push(state.region);
  if (state.product) parts.push(state.product);
  if (state.stage) parts.push("reached " + label(state.stage).toLowerCase());
  if (state.minSample) parts.push(`min. sample ${state.minSample}`);
  return parts.join(" · ");
}

function syncNav(state) {
  for (const a of document.querySelectorAll("#nav a")) {
    const v = a.dataset.view;
    a.href = stateUrl(Object.assign({}, state, { view: v }));
    const current = v === state.view || (v === "competitors" && state.view === "competitor");
    if (current) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  }
  $("#nav-triage").hidden = !isAnalyst();
  const select = $("#view-select");
  for (const o of select.options) o.hidden = o.value === "triage" && !isAnalyst();
  select.value = state.view === "competitor" ? "competitors" : state.view;
}

async function render() {
  const token = ++renderToken;
  if (!getKey()) { showSignIn(); return; }
  const state = readState();
  syncFilters(state);
  syncNav(state);
  $("#filter-box").hidden = state.view === "triage"; // the triage list is not filtered
  destroyCharts();
  document.title = "WinLoss — trends";
  const root = $("#view");
  root.dataset.view = state.view;
  root.removeAttribute("data-ready");
  setStatus("Loading…");
  const grid = el("div", { class: "grid" });
  root.replaceChildren(grid);
  try {
    await VIEWS[state.view].render(state, grid, me);
    if (token !== renderToken) return;
    setStatus("");
    root.dataset.ready = "true";
  } catch (e) {
    if (token !== renderToken) return;
    if (e.status === 401) return;
    setStatus(e.status === 400 ? "Check the filters: " + problemText(e.problem) : "Could not load: " + e.message, true);
    root.dataset.ready = "error";
  }
}

function showSignIn(message) {
  $("#signin").hidden = false;
  $("#filter-box").hidden = true;
  $("#views").hidden = true;
  $("#who").hidden = true;
  $("#view").replaceChildren();
  setStatus("");
  $("#signin-error").textContent = message || "";
  $("#api-key").focus();
}

function signOut(message) {
  clearKey();
  me = null;
  destroyCharts();
  showSignIn(message);
}

async function start() {
  $("#signin").hidden = true;
  $("#filter-box").hidden = false;
  $("#views").hidden = false;
  me = await api("/me");
  $("#who-name").textContent = `${me.displayName || me.email} · ${me.role}`;
  $("#who").hidden = false;
  await render();
}

function init() {
  setRenderer(render);
  setUnauthorizedHandler(() => signOut("Your key was not accepted. Paste a valid API key."));
  enhanceKeyInput($("#api-key"));
  const box = $("#filter-box");
  box.open = !PHONE.matches; // on a phone the filters fold into one line naming what is active
  PHONE.addEventListener("change", () => { box.open = !PHONE.matches; });
  $("#signin-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const value = $("#api-key").value.trim();
    if (!value) return;
    setKey(value);
    $("#api-key").value = "";
    try { await start(); } catch { /* 401 already shown */ }
  });
  $("#sign-out").addEventListener("click", () => signOut(""));
  $("#filters").addEventListener("change", (e) => {
    const name = e.target.name;
    if (FILTERS.includes(name)) navigate({ [name]: e.target.value.trim() });
  });
  $("#filters").addEventListener("submit", (e) => e.preventDefault());
  $("#f-reset").addEventListener("click", () => navigate(Object.fromEntries(FILTERS.map((f) => [f, f === "granularity" ? "month" : f === "from" ? defaultFrom() : ""]))));
  $("#view-select").addEventListener("change", (e) => navigate({ view: e.target.value }));
  document.addEventListener("click", (e) => {
    const a = e.target.closest('a[href^="?"], a[href^="/app/trends?"]');
    if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    history.pushState(null, "", a.getAttribute("href"));
    render();
    $("#main").focus({ preventScroll: true });
  });
  window.addEventListener("popstate", render);
  if (getKey()) start().catch(() => { /* 401 already shown */ });
  else showSignIn();
}

init();

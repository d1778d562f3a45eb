// The dashboard's state lives in the URL: view, filters, competitor, by, outcome. A view is a shareable link and
// the back button walks through filter changes.
export const FILTERS = ["from", "to", "granularity", "segment", "region", "product", "stage", "minSample"];
export const VIEWS = ["overview", "competitors", "competitor", "messages", "reasons", "leads", "calibration", "coverage", "triage"];

let onNavigate = () => {};
/** The function that draws the current URL (app.js). */
export function setRenderer(render) { onNavigate = render; }

/** Without a from in the URL: the last twelve months (from the first day of the month eleven months ago). */
export function defaultFrom() {
  const d = new Date();
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 11, 1)).toISOString().slice(0, 10);
}

export function readState() {
  const q = new URLSearchParams(location.search);
  const state = { view: q.get("view") || "overview" };
  if (!VIEWS.includes(state.view)) state.view = "overview";
  for (const f of FILTERS) state[f] = q.get(f) || "";
  if (!state.granularity) state.granularity = "month";
  if (!q.has("from")) state.from = defaultFrom();
  state.competitor = q.get("competitor") || "";
  state.by = q.get("by") || "";
  state.outcome = q.get("outcome") || "";
  return state;
}

export function stateUrl(state) {
  const q = new URLSearchParams();
  q.set("view", state.view);
  for (const f of FILTERS) if (state[f] && !(f === "from" && state.from === defaultFrom())) q.set(f, state[f]);
  if (state.view === "competitor" && state.competitor) q.set("competitor", state.competitor);
  if ((state.view === "messages" || state.view === "reasons") && state.by) q.set("by", state.by);
  if ((state.view === "reasons" || state.view === "calibration") && state.outcome) q.set("outcome", state.outcome);
  return location.pathname + "?" + q.toString();
}

export function navigate(changes) {
  const url = stateUrl(Object.assign(readState(), changes));
  if (url !== location.pathname + location.search) history.pushState(null, "", url);
  onNavigate();
}

/** The filters as an API query string, plus extra parameters. */
export function apiQuery(state, extra) {
  const q = new URLSearchParams();
  for (const f of FILTERS) if (state[f]) q.set(f, state[f]);
  for (const [k, v] of Object.entries(extra || {})) if (v !== undefined && v !== null && v !== "") q.set(k, v);
  const s = q.toString();
  return s ? "?" + s : "";
}

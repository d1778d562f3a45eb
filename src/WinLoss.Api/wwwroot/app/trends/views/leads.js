// Lead sources: win rate per lead source with its interval, deals and average lead quality.
import { api } from "/app/shared/api.js";
import { el } from "/app/shared/dom.js";
import { apiQuery } from "/app/trends/state.js";
import { num } from "/app/trends/format.js";
import { panel, table, rateCell } from "/app/trends/ui.js";
import { chartBox, intervalChart, rateLegend } from "/app/trends/charts.js";

export async function render(state, root) {
  const q = apiQuery(state);
  const trend = await api("/trends/lead-sources" + q);
  const rows = trend.rows.slice().sort((a, b) => b.deals - a.deals);
  const nameOf = (r) => r.leadSource ?? "(not given)";
  const { box, canvas } = chartBox("Win rate by lead source with 95% intervals", "tall", "lead-sources");
  root.append(panel("Lead sources", {
    wide: true, csv: { path: "/trends/lead-sources" + q, file: "lead-sources.csv" },
    note: "Win rate per lead source with its 95% interval.",
  }, rateLegend(), el("div", { class: "split" }, box, table("Lead sources", [
    { title: "Lead source", key: "leadSource", cell: nameOf },
    { title: "Deals", key: "deals", num: true, cell: (r) => num(r.deals) },
    { title: "Won", key: "won", num: true, cell: (r) => num(r.won) },
    { title: "Lost", key: "lost", num: true, cell: (r) => num(r.lost) },
    { title: "No decision", key: "noDecision", num: true, cell: (r) => num(r.noDecision) },
    { title: "Win rate (95% CI)", key: "winRate", num: true, cell: (r) => rateCell(r.winRate) },
    { title: "Avg. lead quality", key: "avgLeadQuality", num: true, cell: (r) => (r.avgLeadQuality === null ? "–" : r.avgLeadQuality.toFixed(1)) },
  ], rows))));
  intervalChart(canvas, rows.map((r) => ({ name: nameOf(r), rate: r.winRate })));
}

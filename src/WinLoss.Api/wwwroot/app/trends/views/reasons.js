// Loss reasons: reasons for lost / no-decision / won deals by stage, segment or competitor.
import { api } from "/app/shared/api.js";
import { el } from "/app/shared/dom.js";
import { apiQuery, navigate } from "/app/trends/state.js";
import { label, pct, num, order } from "/app/trends/format.js";
import { panel, table, toggle } from "/app/trends/ui.js";
import { chartBox, barChart } from "/app/trends/charts.js";
import { coverageLine } from "/app/trends/views/coverage.js";

export async function render(state, root) {
  const by = ["stage", "segment", "competitor"].includes(state.by) ? state.by : "stage";
  const outcome = ["lost", "no_decision", "won"].includes(state.outcome) ? state.outcome : "lost";
  const q = apiQuery(state, { by, outcome });
  const trend = await api("/trends/reasons" + q);
  const rows = trend.rows;
  // by=competitor: the competitor ({id, name, matched} or null for "none named"); else the group (segment or stage code).
  const groupOf = (r) => (by === "competitor" ? (r.competitor ? r.competitor.name : "(none named)") : r.group);
  const groups = [...new Set(rows.map(groupOf))].sort((a, b) => order(by, a) - order(by, b));
  const categories = [...new Set(rows.map((r) => r.category))];
  const totals = new Map(categories.map((c) => [c, rows.filter((r) => r.category === c).reduce((s, r) => s + r.deals, 0)]));
  categories.sort((a, b) => totals.get(b) - totals.get(a));

  const controls = el("div", { class: "controls" },
    toggle("Outcome", ["lost", "no_decision", "won"].map((o) => [o, label(o)]), outcome, (o) => navigate({ outcome: o })),
    toggle("Break down by", ["stage", "segment", "competitor"].map((b) => [b, "By " + b]), by, (b) => navigate({ by: b })));
  const { box, canvas } = chartBox(`Reasons for ${label(outcome).toLowerCase()} deals by ${by}`, "tall", "reasons");
  root.append(panel(`Reasons for ${label(outcome).toLowerCase()} deals by ${by}`, {
    wide: true, csv: { path: "/trends/reasons" + q, file: `reasons-${outcome}-by-${by}.csv` },
    note: "Deals citing each reason (a deal may cite several). Share = deals citing it / deals in that group with this outcome.",
  }, controls, box, table(`Reasons by ${by}`, [
    { title: label(by), key: "group", cell: (r) => (by === "competitor" ? groupOf(r) : label(groupOf(r))) },
    { title: "Reason", key: "category", cell: (r) => label(r.category) },
    { title: "Deals", key: "deals", num: true, cell: (r) => num(r.deals) },
    { title: "As primary reason", key: "primary", num: true, cell: (r) => num(r.primary) },
    { title: "Share", key: "share", num: true, cell: (r) => pct(r.share.value) },
  ], rows.slice().sort((a, b) => order(by, groupOf(a)) - order(by, groupOf(b)) || b.deals - a.deals)), coverageLine(trend)));
  const cellOf = new Map(rows.map((r) => [groupOf(r) + "|" + r.category, r]));
  barChart(canvas, groups.map((g) => (by === "competitor" ? g : label(g))), categories.map((c) => ({
    label: label(c), data: groups.map((g) => (cellOf.get(g + "|" + c) || { deals: 0 }).deals),
  })), { horizontal: true, stacked: true, x: { title: { display: true, text: "Deals" } } });
}

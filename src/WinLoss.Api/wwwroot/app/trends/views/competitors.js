// Competitors: win rate against the most-met competitors over time, and a table of every competitor.
import { el } from "/app/shared/dom.js";
import { api } from "/app/shared/api.js";
import { apiQuery, readState, stateUrl } from "/app/trends/state.js";
import { num, money, pct } from "/app/trends/format.js";
import { panel, table, rateCell } from "/app/trends/ui.js";
import { chartBox, rateSeriesChart, rateLegend, PALETTE } from "/app/trends/charts.js";
import { coverageLine } from "/app/trends/views/coverage.js";

export async function render(state, root) {
  const q = apiQuery(state);
  const trend = await api("/trends/competitors" + q);
  const keyOf = (r) => (r.competitor ? (r.competitor.id ?? "name:" + r.competitor.name) : "none");
  const totals = trend.overall.slice().sort((a, b) => b.deals - a.deals);
  const periods = [...new Set(trend.rows.map((r) => r.period))].sort();

  const tableEl = table("Win rate by competitor over the whole range", [
    { title: "Competitor", key: "competitor", cell: (r) => competitorLink(r.competitor) },
    { title: "Deals", key: "deals", num: true, cell: (r) => num(r.deals) },
    { title: "Won", key: "won", num: true, cell: (r) => num(r.won) },
    { title: "Lost", key: "lost", num: true, cell: (r) => num(r.lost) },
    { title: "No decision", key: "noDecision", num: true, cell: (r) => num(r.noDecision) },
    { title: "Win rate (95% CI)", key: "winRate", num: true, cell: (r) => rateCell(r.winRate) },
    { title: "No-decision rate", key: "noDecisionRate", num: true, cell: (r) => pct(r.noDecisionRate.value) },
    { title: "Revenue won", key: "revenueWon", num: true, cell: (r) => money(r.revenueWon) },
    { title: "Revenue lost", key: "revenueLost", num: true, cell: (r) => money(r.revenueLost) },
  ], totals, { rowAttrs: (r) => ({ "data-competitor": r.competitor ? r.competitor.name : "(none named)" }) });

  const named = totals.filter((r) => r.competitor && r.competitor.matched).slice(0, 6); // catalogue competitors, not unmatched names
  const grid = el("div", { class: "multiples" });
  const pending = [];
  for (const [i, t] of named.entries()) {
    const name = t.competitor.name;
    const points = trend.rows.filter((r) => keyOf(r) === keyOf(t)).map((r) => ({ period: r.period, rate: r.winRate }));
    const { box, canvas } = chartBox(`Win rate against ${name} per ${state.granularity}, with 95% intervals`, null, "winrate:" + name);
    grid.append(box);
    pending.push(() => rateSeriesChart(canvas, periods, [{ name, points, color: PALETTE[i % PALETTE.length] }], { title: name }));
  }
  if (!named.length) grid.append(el("p", { class: "empty" }, "No competitor was named in this date range."));
  root.append(panel("Win rate against each competitor over time", {
    wide: true, csv: { path: "/trends/competitors" + q, file: "competitor-trends.csv" },
    note: `The six catalogue competitors met most often, per ${state.granularity}. Win rate = won / (won + lost); no-decision deals are counted beside it, not as losses.`,
  }, rateLegend(), grid, coverageLine(trend)));
  root.append(panel("All competitors", { wide: true }, tableEl));
  pending.forEach((f) => f());
}

export function competitorLink(c) {
  if (!c) return el("span", { class: "muted" }, "(none named)");
  if (!c.matched || c.id === null) return el("span", {}, c.name, " ", el("span", { class: "badge" }, "unmatched"));
  return el("a", { href: stateUrl(Object.assign(readState(), { view: "competitor", competitor: String(c.id) })), "data-nav": "competitor", "data-id": String(c.id) }, c.name);
}

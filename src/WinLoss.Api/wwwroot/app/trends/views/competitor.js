// Head-to-head against one competitor: GET /competitors/{id}/profile.
import { el } from "/app/shared/dom.js";
import { api } from "/app/shared/api.js";
import { apiQuery } from "/app/trends/state.js";
import { label, pct, ci, num } from "/app/trends/format.js";
import { panel, table, rateCell } from "/app/trends/ui.js";
import { chartBox, rateSeriesChart, intervalChart, barChart, rateLegend } from "/app/trends/charts.js";
import { messageTitles } from "/app/trends/views/messages.js";

export async function render(state, root) {
  if (!state.competitor) {
    root.append(panel("Head-to-head", {}, el("p", {}, "Pick a competitor on the Competitors view.")));
    return;
  }
  const q = apiQuery(state);
  const path = `/competitors/${encodeURIComponent(state.competitor)}/profile` + q;
  let profile;
  try { profile = await api(path); } catch (e) {
    if (e.status !== 404) throw e;
    root.append(panel("Head-to-head", {}, el("p", {}, "No such competitor.")));
    return;
  }
  const name = profile.competitor.name;
  document.title = `WinLoss — ${name} head-to-head`;
  root.append(el("h1", { class: "view-title" }, `Head-to-head: ${name}`));

  const overall = profile.overall.winRate;
  const { box, canvas } = chartBox(`Win rate against ${name} per ${state.granularity}, with 95% intervals`, "tall", "h2h-winrate");
  root.append(panel("Win rate over time", {
    wide: true, csv: { path, file: `competitor-${state.competitor}-profile.csv` },
    note: overall.value !== null ? `Over the whole range: ${pct(overall.value)} (95% CI ${ci(overall)}, n=${overall.n})${overall.lowSample ? ", low sample" : ""}.` : null,
  }, rateLegend(), box));
  const after = [() => rateSeriesChart(canvas, profile.series.map((r) => r.period), [{ name, points: profile.series.map((r) => ({ period: r.period, rate: r.winRate })) }])];

  const rBox = chartBox(`Top loss reasons against ${name}`);
  const oBox = chartBox(`Top objections naming ${name}`);
  root.append(panel("Top loss reasons", {}, rBox.box, table("Top loss reasons", [
    { title: "Reason", key: "category", cell: (r) => label(r.category) },
    { title: "Deals", key: "deals", num: true, cell: (r) => num(r.deals) },
    { title: "Share", key: "share", num: true, cell: (r) => pct(r.share.value) },
  ], profile.topLossReasons)));
  root.append(panel("Top objections naming them", {}, oBox.box, table("Top objections", [
    { title: "Objection", key: "category", cell: (r) => label(r.category) },
    { title: "Deals", key: "deals", num: true, cell: (r) => num(r.deals) },
    { title: "Mentions", key: "mentions", num: true, cell: (r) => num(r.mentions) },
    { title: "Overcome", key: "overcome", num: true, cell: (r) => rateCell(r.overcomeRate) },
  ], profile.topObjections)));
  after.push(() => barChart(rBox.canvas, profile.topLossReasons.map((r) => label(r.category)), [{ label: "Deals", data: profile.topLossReasons.map((r) => r.deals) }], { horizontal: true }));
  after.push(() => barChart(oBox.canvas, profile.topObjections.map((r) => label(r.category)), [{ label: "Deals", data: profile.topObjections.map((r) => r.deals) }], { horizontal: true }));

  const sBox = chartBox(`Win rate against ${name} by segment, with 95% intervals`, null, "h2h-segments");
  root.append(panel("By segment", {}, rateLegend(), sBox.box, table("Win rate by segment", [
    { title: "Segment", key: "segment", cell: (r) => label(r.segment) },
    { title: "Deals", key: "deals", num: true, cell: (r) => num(r.deals) },
    { title: "Win rate (95% CI)", key: "winRate", num: true, cell: (r) => rateCell(r.winRate) },
  ], profile.bySegment)));
  after.push(() => intervalChart(sBox.canvas, profile.bySegment.map((r) => ({ name: label(r.segment), rate: r.winRate }))));

  const titles = profile.messages.length ? await messageTitles() : new Map();
  root.append(panel("Messages that resonated against them", {}, table("Messages that resonated", [
    { title: "Message", key: "message", cell: (r) => titles.get(r.messageId) ?? r.messageId },
    { title: "Uses", key: "uses", num: true, cell: (r) => num(r.uses) },
    { title: "Resonated", key: "resonated", num: true, cell: (r) => num(r.resonated) },
    { title: "Resonance (95% CI)", key: "resonanceRate", num: true, cell: (r) => rateCell(r.resonanceRate) },
  ], profile.messages)));
  after.forEach((f) => f());
}

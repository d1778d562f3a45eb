// Overview: the alerts, then the objections of the latest period against the one before, and their share over time.
import { el } from "/app/shared/dom.js";
import { api } from "/app/shared/api.js";
import { apiQuery, readState, stateUrl } from "/app/trends/state.js";
import { label, pct, num, money, points } from "/app/trends/format.js";
import { panel, table } from "/app/trends/ui.js";
import { chartBox, shareChart, swatches } from "/app/trends/charts.js";
import { coverageLine } from "/app/trends/views/coverage.js";

const SHOWN = 6;

export async function render(state, root) {
  const q = apiQuery(state);
  const [objections, alerts] = await Promise.all([api("/trends/objections" + q), api("/trends/alerts" + q)]);

  const alertList = el("ul", { class: "alerts", id: "alerts" });
  for (const a of alerts.alerts) alertList.append(el("li", { class: "alert" }, alertText(a)));
  if (!alerts.alerts.length) alertList.append(el("li", { class: "empty" }, `No alerts: nothing changed beyond what chance explains in ${alerts.period} compared with ${alerts.previousPeriod}.`));
  root.append(panel("Alerts", { wide: true, csv: { path: "/trends/alerts" + q, file: "alerts.csv" }, note: alerts.falseDiscoveryControl }, alertList));

  // Rows are category × period; previousPeriod, delta, z and rising compare each period with the one before.
  const rows = objections.rows;
  const periods = [...new Set(rows.map((r) => r.period))].sort();
  const latest = periods[periods.length - 1];
  const previous = periods[periods.length - 2];
  const byCategory = new Map();
  for (const r of rows) {
    if (!byCategory.has(r.category)) byCategory.set(r.category, new Map());
    byCategory.get(r.category).set(r.period, r);
  }
  const latestRows = [...byCategory.entries()]
    .map(([category, m]) => ({ category, now: m.get(latest) || null, before: m.get(previous) || null }))
    .filter((x) => x.now)
    .sort((a, b) => Number(b.now.rising) - Number(a.now.rising) || (b.now.z ?? -99) - (a.now.z ?? -99) || (b.now.share.value ?? 0) - (a.now.share.value ?? 0));
  const rising = latestRows.filter((x) => x.now.rising);
  const summary = latest
    ? `${rising.length} of ${latestRows.length} objection categories rose significantly in ${latest}` + (previous ? ` compared with ${previous}` : "") + " (one-sided z ≥ 1.645)."
    : "No objections in this date range.";
  const objTable = table("Objections in the latest period", [
    { title: "Objection", key: "category", cell: (x) => el("span", {}, label(x.category), x.now.rising ? el("span", { class: "badge up" }, "rising") : "") },
    { title: `Share ${latest || ""}`, key: "share", num: true, cell: (x) => pct(x.now.share.value) },
    { title: `Share ${previous || "before"}`, key: "previous", num: true, cell: (x) => (x.before ? pct(x.before.share.value) : "–") },
    { title: "Change", key: "delta", num: true, cell: (x) => points(x.now.delta) },
    { title: "z", key: "z", num: true, cell: (x) => (x.now.z === null ? "–" : x.now.z.toFixed(2)) },
    { title: "Deals", key: "deals", num: true, cell: (x) => num(x.now.deals) },
    { title: "Reps", key: "reps", num: true, cell: (x) => num(x.now.reps) },
    { title: "Overcome", key: "overcome", num: true, cell: (x) => pct(x.now.overcomeRate.value) },
    { title: "Revenue at risk", key: "revenue", num: true, cell: (x) => money(x.now.revenueAtRisk) },
  ], latestRows, { rowAttrs: (x) => ({ "data-category": x.category, class: x.now.rising ? "is-rising" : "" }) });

  // Share over time: the biggest objections (most deals over the range), plus any that rose in the latest period.
  const dealsOver = (c) => [...byCategory.get(c).values()].reduce((s, r) => s + r.deals, 0);
  const biggest = [...byCategory.keys()].sort((a, b) => dealsOver(b) - dealsOver(a) || a.localeCompare(b)).slice(0, SHOWN);
  const shown = biggest.concat(rising.map((x) => x.category).filter((c) => !biggest.includes(c)));
  const series = shown.map((c) => ({
    name: label(c),
    values: periods.map((p) => (byCategory.get(c).get(p) ? byCategory.get(c).get(p).share.value : 0)),
    rising: periods.map((p) => Boolean(byCategory.get(c).get(p) && byCategory.get(c).get(p).rising)),
  }));
  const { box, canvas } = chartBox("Share of deals raising each objection, per period: " + shown.map(label).join(", "), null, "objection-share");
  const legend = el("p", { class: "legend-note", id: "rising-legend" },
    el("span", { class: "legend-item" }, swatches.rising(), " rising: this period's share is significantly higher than the period before's (one-sided z ≥ 1.645)"));
  root.append(panel("Rising objections", { wide: true, csv: { path: "/trends/objections" + q, file: "objections.csv" }, note: summary },
    objTable,
    el("h3", { class: "chart-title" }, `Share of deals over time: the ${Math.min(SHOWN, biggest.length)} most raised objections` + (shown.length > biggest.length ? " and those rising now" : "")),
    box, legend, coverageLine(objections)));
  shareChart(canvas, periods, series);
}

// An alert as before → after with n, its one-sentence meaning, the evidence, and a link to its chart.
function alertText(a) {
  const kind = a.kind === "win_rate_falling" ? "Win rate falling" : a.kind === "objection" ? "Objection rising" : "Named in more losses";
  const subject = a.category ? label(a.category) : (a.competitor ? a.competitor.name : "(none named)");
  const change = a.previous && a.current
    ? `${pct(a.previous.value)} (n = ${num(a.previous.n)}) → ${pct(a.current.value)} (n = ${num(a.current.n)})` : "";
  const evidence = a.q !== null && a.q !== undefined ? `q = ${Number(a.q).toFixed(3)}`
    : a.cusum ? `CUSUM ${Number(a.cusum.statistic).toFixed(2)} ≥ ${Number(a.cusum.h).toFixed(2)}` : "";
  const shrunk = a.winRate
    ? `win rate this period ${pct(a.winRate.raw)} of ${num(a.winRate.decided)}, ${pct(a.winRate.shrunk)} allowing for the sample (${pct(a.winRate.interval[0])}–${pct(a.winRate.interval[1])})` : "";
  const id = a.competitor && a.competitor.id;
  const href = a.kind === "objection" ? "#p-rising-objections"
    : stateUrl(Object.assign(readState(), id ? { view: "competitor", competitor: String(id) } : { view: "competitors" }));
  return el("div", { class: "alert-body", "data-kind": a.kind },
    el("strong", {}, `${kind}: ${subject}`), " ", el("span", { class: "change" }, change),
    el("p", { class: "alert-summary" }, a.summary || ""),
    el("p", { class: "muted" }, [evidence, shrunk].filter(Boolean).join(" · "), " ", el("a", { href, "aria-label": "See the chart: " + subject }, "See the chart")));
}

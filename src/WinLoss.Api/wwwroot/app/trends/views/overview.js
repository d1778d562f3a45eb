// Overview: the alerts, then the objections of the latest period against the one before, and their share over time.
import { el } from "/app/shared/dom.js";
import { api } from "/app/shared/api.js";
import { apiQuery } from "/app/trends/state.js";
import { label, pct, num, money, points } from "/app/trends/format.js";
import { panel, table } from "/app/trends/ui.js";
import { chartBox, shareChart, swatches } from "/app/trends/charts.js";

const SHOWN = 6;

export async function render(state, root) {
  const q = apiQuery(state);
  const [objections, alerts] = await Promise.all([api("/trends/objections" + q), api("/trends/alerts" + q)]);

  const alertList = el("ul", { class: "alerts", id: "alerts" });
  for (const a of alerts.alerts) alertList.append(el("li", { class: "alert" }, alertText(a, alerts)));
  if (!alerts.alerts.length) alertList.append(el("li", { class: "empty" }, `No alerts: nothing rose significantly in ${alerts.period} compared with ${alerts.previousPeriod}.`));
  root.append(panel("Alerts", { wide: true, csv: { path: "/trends/alerts" + q, file: "alerts.csv" } }, alertList));

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
    box, legend));
  shareChart(canvas, periods, series);
}

function alertText(a, alerts) {
  const subject = a.kind !== "objection" ? (a.competitor ? a.competitor.name : "(none named)") : label(a.category);
  const what = a.kind !== "objection" ? "share of lost deals lost to" : "objection";
  return el("span", {},
    el("strong", {}, a.kind !== "objection" ? `Losses to ${subject}` : `${subject} objections`),
    ` ${pct(a.previous.value)} → ${pct(a.current.value)} (${points(a.delta)}) in ${alerts.period}`,
    el("span", { class: "muted" }, ` · ${what}, z = ${a.z.toFixed(2)}, n = ${a.current.n}`));
}

// Rep vs buyer (issue 19; docs/buyer-feedback.md): on deals with both a rep report and buyer feedback, how far the
// reps' reasons are from the buyers', the agreement per rep and team, and the rep-reported reason shares of all deals
// corrected for it ("calibrated"). Reads GET /api/v1/trends/calibration (marketing, analysts, admins).
import { api } from "/app/shared/api.js";
import { el } from "/app/shared/dom.js";
import { apiQuery, navigate } from "/app/trends/state.js";
import { label, pct, num } from "/app/trends/format.js";
import { panel, table, toggle } from "/app/trends/ui.js";
import { chartBox, barChart } from "/app/trends/charts.js";

const OUTCOMES = ["lost", "no_decision", "won"];
const interval = (ci) => (ci ? `${pct(ci[0])}–${pct(ci[1])}` : "");
const share = (value, ci, low) => el("span", {},
  el("span", { class: "rate" }, pct(value)), ci ? el("span", { class: "ci" }, " " + interval(ci)) : null,
  low ? [" ", el("span", { class: "badge low", title: "Fewer paired deals than the minimum sample" }, "low sample")] : null);
const pValue = (p) => (p < 0.001 ? "< 0.001" : p.toFixed(3));

export async function render(state, root, me) {
  if (me && me.role === "rep") {
    root.append(panel("Rep vs buyer", { wide: true }, el("p", {}, "This view is for marketing, analysts and admins.")));
    return;
  }
  const outcome = OUTCOMES.includes(state.outcome) ? state.outcome : "lost";
  const r = await api("/trends/calibration" + apiQuery(state, { outcome }));
  const what = label(outcome).toLowerCase();

  root.append(panel("Rep vs buyer", {
    wide: true,
    note: "What buyers said (interviews and surveys) against what reps reported, on the same deals — and the reps' reasons for all deals corrected for the difference.",
  },
    el("div", { class: "controls" },
      toggle("Outcome", OUTCOMES.map((o) => [o, label(o)]), outcome, (o) => navigate({ outcome: o })))));

  // Calibrated shares over all deals of the outcome, beside what reps reported.
  const rows = r.calibrated.rows;
  const cal = chartBox(`Primary reason of ${what} deals: as reps reported and calibrated to buyers`, "tall", "calibrated");
  root.append(panel(`Why ${what} deals: rep-reported vs calibrated`, {
    wide: true, note: r.calibrated.statement,
  }, cal.box, table("Calibrated reason shares", [
    { title: "Reason", key: "category", cell: (x) => label(x.category) },
    { title: "Deals (rep's primary)", key: "repDeals", num: true, cell: (x) => num(x.repDeals) },
    { title: "Rep-reported share", key: "repShare", num: true, cell: (x) => share(x.repShare, x.repCi95) },
    { title: "Calibrated share (95%)", key: "calibratedShare", num: true,
      cell: (x) => (x.calibratedShare === null ? "–" : share(x.calibratedShare, x.ci95)) },
    { title: "Rep's answer checked", key: "calibrated", cell: (x) => (x.calibrated ? "yes" : "no paired deal") },
  ], rows)));
  barChart(cal.canvas, rows.map((x) => label(x.category)), [
    { label: "Reps reported", data: rows.map((x) => x.repShare) },
    { label: "Calibrated to buyers", data: rows.map((x) => x.calibratedShare) },
  ], { horizontal: true, x: { min: 0, max: 1, ticks: { callback: (v) => Math.round(v * 100) + "%" } },
       tooltip: (ctx) => `${ctx.dataset.label}: ${pct(ctx.raw)}` });

  // Per reason on the paired deals, with McNemar's paired test.
  const reasons = r.reasons;
  const side = chartBox(`Share of paired ${what} deals naming each reason: rep vs buyer`, "tall", "rep-vs-buyer");
  root.append(panel("Reasons on paired deals: rep vs buyer", {
    wide: true,
    note: `${num(r.pairedDeals)} paired deals. A reason counts when named at any rank. "Differs" = McNemar's paired test, p < 0.05 (exact for small counts).`,
  }, side.box, table("Rep vs buyer per reason", [
    { title: "Reason", key: "category", cell: (x) => label(x.category) },
    { title: "Rep", key: "repShare", num: true, cell: (x) => share(x.repShare, x.repCi95, x.lowSample) },
    { title: "Buyer", key: "buyerShare", num: true, cell: (x) => share(x.buyerShare, x.buyerCi95, x.lowSample) },
    { title: "Rep only", key: "repOnly", num: true, cell: (x) => num(x.repOnly) },
    { title: "Buyer only", key: "buyerOnly", num: true, cell: (x) => num(x.buyerOnly) },
    { title: "p", key: "pValue", num: true, cell: (x) => pValue(x.pValue) },
    { title: "Differs", key: "significant", cell: (x) => (x.significant ? el("span", { class: "badge" }, x.repOnly > x.buyerOnly ? "reps over-report" : "reps under-report") : "–") },
  ], reasons)));
  barChart(side.canvas, reasons.map((x) => label(x.category)), [
    { label: "Reps", data: reasons.map((x) => x.repShare) },
    { label: "Buyers", data: reasons.map((x) => x.buyerShare) },
  ], { horizontal: true, x: { min: 0, max: 1, ticks: { callback: (v) => Math.round(v * 100) + "%" } },
       tooltip: (ctx) => `${ctx.dataset.label}: ${pct(ctx.raw)}` });

  // Agreement on the primary reason.
  const a = r.primaryAgreement;
  const kappa = a.kappa === null ? "not measurable yet"
    : a.kappaCi95 ? `${a.kappa.toFixed(2)} (95% ${a.kappaCi95[0].toFixed(2)} to ${a.kappaCi95[1].toFixed(2)})`
    : `${a.kappa.toFixed(2)} (no interval: one side named a single reason)`;
  root.append(panel("Agreement on the primary reason", {
    wide: true,
    note: `Rep and buyer named the same primary reason on ${num(a.agreed)} of ${num(a.n)} paired deals` +
      (a.agreementRate === null ? "." : ` (${pct(a.agreementRate)}, 95% ${interval(a.agreementCi95)}). Cohen's kappa: ${kappa}.`),
  }, table("Primary reason: rep (rows) vs buyer (columns)", [
    { title: "Rep said \\ buyer said", key: "rep", cell: (i) => label(a.categories[i]) },
    ...a.categories.map((c, j) => ({ title: label(c), num: true, cell: (i) => num(a.matrix[i][j]), cls: (i) => (i === j ? "diag" : "") })),
  ], a.categories.map((_, i) => i))));

  const agreement = (who) => [
    who,
    { title: "Paired deals", key: "n", num: true, cell: (x) => num(x.n) },
    { title: "Same primary reason", key: "primaryAgreementRate", num: true, cell: (x) => share(x.primaryAgreementRate, x.ci95, x.lowSample) },
    { title: "Named the buyer's reason", key: "buyerPrimaryNamedRate", num: true, cell: (x) => pct(x.buyerPrimaryNamedRate) },
  ];
  root.append(panel("Agreement per rep", { note: "For coaching: how often each rep's story matches the buyer's. Low-sample rows are flagged." },
    table("Agreement per rep", agreement({ title: "Rep", key: "repName", cell: (x) => x.repName || `rep ${x.repId}` }), r.reps)));
  root.append(panel("Agreement per team", {},
    table("Agreement per team", agreement({ title: "Team", key: "team", cell: (x) => x.team || "(no team)" }), r.teams)));
}

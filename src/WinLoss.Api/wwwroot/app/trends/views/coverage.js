// Coverage and data quality (docs/coverage.md): how much of the closed pipeline the reports cover — per rep, team,
// segment and period, with selection-bias warnings — and, for analysts and admins, the data-quality diagnostics per
// rep and team, worst first.
import { api } from "/app/shared/api.js";
import { el } from "/app/shared/dom.js";
import { apiQuery } from "/app/trends/state.js";
import { num, pct, label } from "/app/trends/format.js";
import { panel, table, rateCell } from "/app/trends/ui.js";

const rate = (c) => rateCell(c && { value: c.rate, ci95: c.ci95, lowSample: c.lowSample });
const days = (v) => (v === null || v === undefined ? "–" : `${v} d`);
const biasCell = (b) => (b.warning
  ? el("span", { class: "badge up", title: `z = ${b.z}` }, `bias: wins ${pct(b.winCoverage, 0)}, losses ${pct(b.lossCoverage, 0)}`)
  : (b.z === null ? "–" : `z = ${b.z}`));

function coverageColumns(first) {
  return [
    first,
    { title: "Closed deals", key: "known", num: true, cell: (g) => num(g.coverage.known) },
    { title: "Reported", key: "reported", num: true, cell: (g) => num(g.coverage.reported) },
    { title: "Coverage (95% CI)", key: "coverage", num: true, cell: (g) => rate(g.coverage) },
    { title: "Won covered", key: "won", num: true, cell: (g) => rate(g.outcomes.won.coverage) },
    { title: "Lost covered", key: "lost", num: true, cell: (g) => rate(g.outcomes.lost.coverage) },
    { title: "Win vs loss", key: "bias", cell: (g) => biasCell(g.bias) },
    { title: "Median days to report", key: "days", num: true, cell: (g) => days(g.medianDaysToReport) },
  ];
}

const METRICS = [
  ["noCompetitor", "No competitor named"],
  ["otherPrimaryReason", "\"Other\" as primary reason"],
  ["reasonsWithoutDetail", "Reasons without detail"],
  ["objectionsWithoutCompetitor", "Objections without competitor"],
  ["lateFiling", "Filed > 7 days late"],
  ["unmatchedCompetitors", "Unmatched competitor names"],
];

function metricCell(m) {
  if (!m || m.share === null) return "–";
  const parts = [el("span", { class: "rate" }, pct(m.share, 0)), el("span", { class: "ci" }, ` n=${num(m.n)}`)];
  if (m.flagged) {
    parts.push(" ", el("span", {
      class: "badge " + (m.worse ? "up" : "low"),
      title: `team ${pct(m.teamShare, 0)} of ${num(m.teamN)}, z = ${m.z}`,
    }, m.worse ? "worse than team" : "better than team"));
  }
  return el("span", {}, parts);
}

export async function render(state, root, me) {
  const q = apiQuery(state);
  const answer = await api("/trends/coverage" + q);
  const o = answer.overall;
  const summary = o.coverage.known
    ? `Reports cover ${pct(o.coverage.rate, 0)} of ${num(o.coverage.known)} closed deals known from the CRM — ` +
      `${pct(o.outcomes.won.coverage.rate, 0)} of won, ${pct(o.outcomes.lost.coverage.rate, 0)} of lost` +
      (o.medianDaysToReport === null ? "." : `; median ${o.medianDaysToReport} ${o.medianDaysToReport === 1 ? "day" : "days"} from close to report.`)
    : "No closed deals are known for these filters: import CRM history or push closed deals (POST /api/v1/deals/closed).";
  root.append(panel("Coverage", {
    wide: true,
    note: "Which closed deals the numbers rest on. A warning means win and loss coverage differ beyond chance " +
      "(two-proportion test, 95%): win rates from these reports are then biased.",
  },
  el("p", { class: "coverage-summary", "data-coverage": o.coverage.rate ?? "" }, summary),
  answer.warnings.length ? el("ul", { class: "coverage-warnings", role: "list" }, answer.warnings.map((w) => el("li", {}, w))) : null,
  table("Coverage per rep", coverageColumns({ title: "Rep", key: "rep", cell: (g) => g.label || g.key }), answer.reps)));

  root.append(panel("Coverage per team", {}, table("Coverage per team",
    coverageColumns({ title: "Team", key: "team", cell: (g) => g.label }), answer.teams)));
  root.append(panel("Coverage per segment", {}, table("Coverage per segment",
    coverageColumns({ title: "Segment", key: "segment", cell: (g) => (g.key === "none" ? "(not given)" : label(g.key)) }), answer.segments)));
  root.append(panel("Coverage over time", { wide: true }, table("Coverage per period",
    coverageColumns({ title: "Period", key: "period", cell: (g) => g.key }), answer.periods)));

  if (!me || (me.role !== "analyst" && me.role !== "admin")) return;
  const quality = await api("/diagnostics/data-quality" + q);
  const columns = [
    { title: "Rep", key: "rep", cell: (r) => r.label },
    { title: "Team", key: "team", cell: (r) => r.team || "–" },
    { title: "Reports", key: "reports", num: true, cell: (r) => num(r.reports) },
    { title: "Flags", key: "flags", num: true, cell: (r) => num(r.flags) },
    ...METRICS.map(([key, title]) => ({ title, key, num: true, cell: (r) => metricCell(r.metrics[key]) })),
    { title: "Median days to file", key: "daysToFile", num: true, cell: (r) => days(r.medianDaysToFile) },
  ];
  root.append(panel("Data quality per rep", {
    wide: true,
    note: "Reports filed by reps (CRM imports excluded), each rep against the rest of their team; worst first. " +
      "\"Worse than team\" differs beyond chance (two-sided z-test, 95%).",
  }, table("Data quality per rep", columns, quality.reps, { rowAttrs: (r) => ({ "data-rep": r.repId, "data-flags": r.flags }) })));
  root.append(panel("Data quality per team", { wide: true }, table("Data quality per team",
    columns.filter((c) => c.key !== "team").map((c) => (c.key === "rep" ? { ...c, title: "Team" } : c)), quality.teams)));
}

/**
 * For the other views: the line under a chart saying what a trend answer rests on ("based on 38% of closed-lost
 * deals (412 of 1,084)"), from the answer's `coverage` (null when no closed deal is known: nothing is shown).
 */
export function coverageLine(answer) {
  const c = answer && answer.coverage;
  if (!c) return null;
  const warn = c.bias && c.bias.warning ? " — wins and losses are not reported alike: read win rates with care" : "";
  return el("p", { class: "note coverage-line", title: c.ignoredFilters && c.ignoredFilters.length ? `Not narrowed by: ${c.ignoredFilters.join(", ")}` : null },
    c.text.charAt(0).toUpperCase() + c.text.slice(1) + warn + ".");
}

// Messages: win-rate lift of each message (over all deals, or by segment or stage) and a resonance heat table.
import { el } from "/app/shared/dom.js";
import { api } from "/app/shared/api.js";
import { apiQuery, navigate } from "/app/trends/state.js";
import { label, pct, ci, points, order } from "/app/trends/format.js";
import { panel, scrollBox, toggle } from "/app/trends/ui.js";
import { chartBox, barChart } from "/app/trends/charts.js";

const BREAKDOWNS = [["", "All deals"], ["segment", "By segment"], ["stage", "By stage"]];

/** Message titles from the catalogue (the trend rows carry ids). */
export async function messageTitles() {
  try { return new Map((await api("/catalog/messages")).items.map((m) => [m.id, m.title])); } catch (e) {
    if (e.status === 401) throw e;
    return new Map();
  }
}

export async function render(state, root) {
  const by = state.by === "stage" || state.by === "segment" ? state.by : "";
  const q = apiQuery(state, { by });
  const [trend, titles] = await Promise.all([api("/trends/messages" + q), messageTitles()]);
  // Without by: one row per message over all deals (group null); with by: one row per message and group.
  const groupOf = (r) => (by ? r.group : null);
  const groups = [...new Set(trend.rows.map(groupOf))].sort((a, b) => order(by, a) - order(by, b));
  const groupLabel = (g) => (by ? label(g) : "All deals");
  const messageIds = [...new Set(trend.rows.map((r) => r.messageId))];
  const titleOf = (m) => titles.get(m) ?? m;
  const cell = new Map(trend.rows.map((r) => [r.messageId + "|" + groupOf(r), r]));
  const what = by ? `by ${by}` : "over all deals";

  const { box, canvas } = chartBox(`Win-rate lift when each message is used, ${what}`, "tall", "message-lift");
  root.append(panel(`Message lift ${what}`, {
    wide: true, csv: { path: "/trends/messages" + q, file: `messages${by ? "-by-" + by : ""}.csv` },
    note: "Lift = win rate on deals where the message was used − win rate where it was not, in percentage points.",
  }, toggle("Break down by", BREAKDOWNS, by, (b) => navigate({ by: b })), box));

  const heat = el("table", { class: "data heat", id: "resonance" });
  heat.append(el("caption", { class: "sr-only" }, `Resonance rate by message ${what}`));
  heat.append(el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Message"), groups.map((g) => el("th", { scope: "col", class: "num" }, groupLabel(g))))));
  const body = el("tbody");
  for (const m of messageIds) {
    body.append(el("tr", { "data-message": m }, el("th", { scope: "row" }, titleOf(m)), groups.map((g) => {
      const r = cell.get(m + "|" + g);
      const rate = r ? r.resonanceRate : null;
      if (!rate || rate.value === null) return el("td", { class: "num heat-none" }, "–");
      const bucket = Math.max(0, Math.min(9, Math.floor(rate.value * 10)));
      return el("td", {
        class: `num heat-${bucket}${rate.lowSample ? " heat-low" : ""}`,
        title: `${pct(rate.value)} resonated (95% CI ${ci(rate)}), ${r.uses} uses${rate.lowSample ? ", low sample" : ""}`,
      }, el("span", { class: "rate" }, pct(rate.value, 0)), el("span", { class: "n" }, ` n=${rate.n}`));
    })));
  }
  if (!messageIds.length) body.append(el("tr", {}, el("td", { class: "empty", colspan: groups.length + 1 }, "No messages used in this date range.")));
  heat.append(body);
  root.append(panel(`Resonance ${what}`, { wide: true, note: "Share of uses where the message resonated with the buyer. Hatched cells: low sample." },
    scrollBox(heat, groups.length + 1)));

  barChart(canvas, messageIds.map(titleOf), groups.map((g) => ({
    label: groupLabel(g),
    data: messageIds.map((m) => { const r = cell.get(m + "|" + g); return r && r.lift !== null ? r.lift : null; }),
  })), {
    y: { ticks: { callback: (v) => (v > 0 ? "+" : "") + Math.round(v * 100) + " pts" }, title: { display: true, text: "Win-rate lift" } },
    tooltip: (ctx) => `${ctx.dataset.label}: ${points(ctx.parsed.y)}`,
  });
}

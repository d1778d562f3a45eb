// Labels and number formats of the dashboard.
import { el } from "/app/shared/dom.js";

export const STAGES = ["qualification", "discovery", "demo", "proposal", "negotiation", "closing"];
export const SEGMENTS = ["smb", "mid_market", "enterprise"];
const LABELS = {
  smb: "SMB", mid_market: "Mid-market", enterprise: "Enterprise",
  qualification: "Qualification", discovery: "Discovery", demo: "Demo", proposal: "Proposal",
  negotiation: "Negotiation", closing: "Closing",
  lost: "Lost", won: "Won", no_decision: "No decision",
};

export function label(code) {
  if (code === null || code === undefined || code === "") return "(not given)";
  return LABELS[code] || String(code).replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
}

export function pct(v, digits = 1) {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  return (v * 100).toFixed(digits) + "%";
}

/** A rate's 95% interval as "26.4%–56.5%" ("" without one). */
export function ci(rate) {
  if (!rate || !rate.ci95) return "";
  return pct(rate.ci95[0]) + "–" + pct(rate.ci95[1]);
}

export function num(v) { return v === null || v === undefined ? "–" : Number(v).toLocaleString("en-US"); }
export function plural(n, word) { return `${num(n)} ${word}${n === 1 ? "" : "s"}`; }

const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });
/** Money is summed per currency ({"USD": 120000, "EUR": 5000}): one compact line per currency, largest first. */
export function money(m) {
  if (!m) return "–";
  const parts = Object.entries(m).filter(([, v]) => v).sort((a, b) => b[1] - a[1]);
  if (!parts.length) return "–";
  return el("span", { class: "money", title: parts.map(([c, v]) => c + " " + num(v)).join(", ") },
    parts.map(([c, v]) => el("span", {}, c + " " + compact.format(v))));
}

export function points(v) {
  if (v === null || v === undefined) return "–";
  const p = v * 100;
  return (p > 0 ? "+" : p < 0 ? "−" : "±") + Math.abs(p).toFixed(1) + " pts";
}

/** Sort position of a segment or stage (enum order), unknown last. */
export function order(by, v) {
  const list = by === "stage" ? STAGES : by === "segment" ? SEGMENTS : [];
  const i = list.indexOf(v);
  return i < 0 ? 99 : i;
}

/** "Acme", "(none named)" or "Acme Corp (unmatched)" from a row's competitor ({id, name, matched} or null). */
export const competitorName = (c) => (c ? c.name : null);

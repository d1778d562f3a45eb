// "Deals waiting for your report" on the rep form (docs/coverage.md): the signed-in rep's closed deals that have no
// report yet, newest close first. One tap opens the form prefilled with what the CRM knows. A deal filed offline stays
// in the list marked "queued" until the outbox has delivered it; the list is the server's, so it leaves once the
// report is there. ES module; the form (app.js) mounts it with its API client and a function that opens a report
// body in the form.
import * as outbox from "/app/report/outbox.js";

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
}

const OUTCOME = { won: "Won", lost: "Lost", no_decision: "No decision" };
const FAST_MS = 4000;   // while a queued deal waits for the server to have it
const SLOW_MS = 60000;

/** The report body the form opens for a waiting deal: everything the CRM knows, nothing invented. */
export function reportBody(deal) {
  const body = { dealId: deal.dealId, outcome: deal.outcome, closedOn: deal.closedOn };
  if (deal.amount !== null && deal.amount !== undefined) { body.amount = deal.amount; body.currency = deal.currency; }
  if (deal.account) body.accountName = deal.account;
  if (deal.segment) body.segment = deal.segment;
  if (deal.region) body.region = deal.region;
  if (deal.product) body.product = deal.product;
  if (deal.competitor) body.competitors = [{ name: deal.competitor, primary: true }];
  return body;
}

function money(amount, currency) {
  if (amount === null || amount === undefined) return "";
  try { return new Intl.NumberFormat("en-US", { style: "currency", currency, maximumFractionDigits: 0 }).format(amount); }
  catch { return `${amount} ${currency || ""}`.trim(); }
}

/**
 * Mounts the list in `section` (an empty <section> above the form). `api(path)` is the form's client (JSON, throws on
 * errors); `open(body)` puts a report body in the form and returns false if the rep declined (e.g. to keep an
 * unfinished report). Shown to reps only.
 */
export function mountWaiting(section, { api, open }) {
  let deals = [];
  let total = 0;
  let timer = null;
  let isRep = null;

  section.classList.add("card", "waiting");
  section.setAttribute("aria-labelledby", "waiting-title");

  async function refresh() {
    clearTimeout(timer);
    try {
      if (isRep === null) isRep = (await api("/me")).role === "rep";
      if (!isRep) { section.hidden = true; return; }
      const answer = await api("/deals/waiting?limit=20");
      deals = answer.deals;
      total = answer.total;
    } catch {
      // Offline or signed out: keep the list as it was (marking what was queued meanwhile); try again later.
    }
    if (isRep) await render();
    schedule();
  }

  function schedule() {
    clearTimeout(timer);
    const queued = section.querySelector("[data-queued]");
    timer = setTimeout(refresh, queued ? FAST_MS : SLOW_MS);
  }

  async function render() {
    let queuedIds = new Set();
    try { queuedIds = new Set((await outbox.all()).map((i) => i.body && i.body.dealId)); } catch { /* no IndexedDB */ }
    section.hidden = total === 0;
    const items = deals.map((d) => {
      const queued = queuedIds.has(d.dealId);
      const facts = [OUTCOME[d.outcome] || d.outcome, `closed ${d.closedOn}`, d.account, money(d.amount, d.currency), d.competitor && `vs ${d.competitor}`].filter(Boolean).join(" · ");
      return el("li", { class: "waiting-item", "data-deal": d.dealId, "data-queued": queued ? "true" : null },
        el("button", {
          type: "button", class: "waiting-open", "data-open": d.dealId, disabled: queued,
          "aria-label": queued ? `Deal ${d.dealId}: queued, sent when online` : `Report deal ${d.dealId}: ${facts}`,
        },
        el("span", { class: "waiting-deal", text: d.dealId }),
        el("span", { class: "waiting-facts", text: facts }),
        el("span", { class: "waiting-age", text: queued ? "Queued — sent when online" : `${d.daysSinceClose} days ago` })));
    });
    section.replaceChildren(...[
      el("h2", { id: "waiting-title", text: `Deals waiting for your report (${total})` }),
      el("p", { class: "waiting-hint", text: "From your CRM. Tap one to open the form with what the CRM knows." }),
      el("ul", { class: "waiting-list" }, items),
      total > deals.length ? el("p", { class: "waiting-more", text: `and ${total - deals.length} more` }) : null,
    ].filter(Boolean));
  }

  section.addEventListener("click", (e) => {
    const button = e.target.closest("[data-open]");
    if (!button) return;
    const deal = deals.find((d) => d.dealId === button.dataset.open);
    if (deal && open(reportBody(deal)) !== false) refreshSoon();
  });

  /** Poll quickly for a while: a report just queued or sent should take its deal off the list. */
  function refreshSoon() { clearTimeout(timer); timer = setTimeout(refresh, 1500); }

  window.addEventListener("online", refreshSoon);
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") refreshSoon(); });
  document.addEventListener("submit", refreshSoon, true);
  refresh();
  return { refresh };
}

// WinLoss rep form (/app/report): one screen, offline-first. No framework; see docs/pages.md.
import * as outbox from "/app/report/outbox.js";
import { api as apiWithKey } from "/app/shared/api.js";
import { enhanceKeyInput } from "/app/shared/key.js";
import { mountWaiting } from "/app/report/waiting.js";

const LS = {
  key: "winloss.apiKey",
  draft: "winloss.report.draft",
  me: "winloss.cache.me",
  taxonomy: "winloss.cache.taxonomy",
  competitors: "winloss.cache.competitors",
  catalog: "winloss.cache.catalog",
  recent: "winloss.cache.recent",
  currency: "winloss.currency",
};
const DRAIN_EVERY_MS = 30000;

// The seeded categories (docs/api-guide.md#taxonomy-competitors-categories-catalogue): used until (or when) GET /api/v1/taxonomy/... cannot be reached.
const SEED_REASONS = [
  ["price", "Price"], ["product_gap", "Product gap"], ["integration", "Integration"],
  ["security_compliance", "Security and compliance"], ["implementation_risk", "Implementation risk"],
  ["vendor_viability", "Vendor viability"], ["relationship", "Relationship"], ["timing", "Timing"],
  ["budget", "Budget"], ["status_quo", "Status quo"], ["support", "Support"], ["other", "Other"],
].map(([code, label]) => ({ code, label }));
const SEED_OBJECTIONS = [
  ["price", "Price"], ["missing_feature", "Missing feature"], ["integration", "Integration"], ["security", "Security"],
  ["performance", "Performance"], ["ease_of_use", "Ease of use"], ["implementation_time", "Implementation time"],
  ["vendor_size", "Vendor size"], ["references", "References"], ["contract_terms", "Contract terms"], ["other", "Other"],
].map(([code, label]) => ({ code, label }));
const SEGMENTS = [["smb", "SMB"], ["mid_market", "Mid-market"], ["enterprise", "Enterprise"]];
const RESONANCE = [["resonated", "Resonated"], ["neutral", "Neutral"], ["fell_flat", "Fell flat"]];
const OUTCOME_LABEL = { won: "Won", lost: "Lost", no_decision: "No decision" };
const FIELD_LABEL = {
  outcome: "Outcome", dealId: "Deal ID", closedOn: "Closed on", competitors: "Competitors", reasons: "Reasons",
  objections: "Objections", messages: "Messages", collateralUsed: "Collateral", leadSource: "Lead source",
  leadQuality: "Lead quality", amount: "Amount", currency: "Currency", segment: "Segment", stageReached: "Stage reached",
  accountName: "Account name", notes: "Notes",
};
const FIELD_FOCUS = {
  outcome: "outcome-won", dealId: "dealId", closedOn: "closedOn", competitors: "competitor-input",
  reasons: "f-reasons", objections: "f-objections", messages: "f-messages", collateralUsed: "f-collateral",
  leadSource: "leadSource", leadQuality: "f-leadQuality", amount: "amount", currency: "currency",
  segment: "f-segment", stageReached: "stageReached", accountName: "accountName", notes: "notes",
};
const OPEN_DETAILS = {
  messages: "d-messages", collateralUsed: "d-messages", leadSource: "d-lead", leadQuality: "d-lead",
  amount: "d-size", currency: "d-size", segment: "d-size", stageReached: "d-size", accountName: "d-size",
};

const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
};
const readJson = (key, fallback) => {
  try { const v = localStorage.getItem(key); return v ? JSON.parse(v) : fallback; } catch { return fallback; }
};
const writeJson = (key, value) => {
  try { localStorage.setItem(key, JSON.stringify(value)); } catch { /* storage full or blocked: keep going */ }
};
const listOf = (json) => {
  if (Array.isArray(json)) return json;
  if (json && typeof json === "object") {
    for (const k of ["items", "categories", "competitors", "messages", "collateral", "data"]) if (Array.isArray(json[k])) return json[k];
  }
  return [];
};
const norm = (s) => (s || "").toLowerCase().normalize("NFKD").replace(/[^\p{L}\p{N}]/gu, "");
const today = () => {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
};

// ---------------------------------------------------------------- state

let apiKey = localStorage.getItem(LS.key) || "";
let taxonomy = readJson(LS.taxonomy, { reasons: SEED_REASONS, objections: SEED_OBJECTIONS });
let competitors = readJson(LS.competitors, []);
let catalog = readJson(LS.catalog, { messages: [], collateral: [] });
let draft = loadDraft();
let outboxItems = [];

function emptyDraft() {
  return {
    key: null, outcome: "", dealId: "", closedOn: today(), competitors: [], reasons: [], primaryReason: null,
    objections: [], messages: {}, collateral: [], leadSource: "", leadQuality: null, amount: "",
    currency: localStorage.getItem(LS.currency) || "USD", segment: "", stageReached: "", accountName: "", notes: "",
    serverErrors: null, serverDetail: null, duplicateOf: null,
    amend: null, // {id, etag, version} while amending a filed report (PUT with If-Match), else null
  };
}

function loadDraft() {
  const saved = readJson(LS.draft, null);
  return saved ? { ...emptyDraft(), ...saved } : emptyDraft();
}

function saveDraft() {
  writeJson(LS.draft, draft);
}

function isDirty(d = draft) {
  return Boolean(d.outcome || d.dealId.trim() || d.competitors.length || d.reasons.length || d.objections.length ||
    Object.keys(d.messages).length || d.collateral.length || d.leadSource || d.leadQuality || d.amount ||
    d.segment || d.stageReached || d.accountName || d.notes);
}

// ---------------------------------------------------------------- API

/** The shared client (app/shared/api.js) with the key this page holds (it checks a new key before keeping it). */
const api = (path, options = {}) => apiWithKey(path, { key: apiKey, ...options });

async function refreshReference() {
  const [reasons, objections, comps, messages, collateral] = await Promise.allSettled([
    api("/taxonomy/reasons"), api("/taxonomy/objections"), api("/competitors"),
    api("/catalog/messages"), api("/catalog/collateral"),
  ]);
  const pick = (r) => (r.status === "fulfilled" ? listOf(r.value) : null);
  const codes = (list) => list && list.filter((c) => c && c.code).map((c) => ({ code: c.code, label: c.label || c.code }));
  const newReasons = seedOrder(codes(pick(reasons)), SEED_REASONS);
  const newObjections = seedOrder(codes(pick(objections)), SEED_OBJECTIONS);
  if (newReasons && newReasons.length) taxonomy.reasons = newReasons;
  if (newObjections && newObjections.length) taxonomy.objections = newObjections;
  writeJson(LS.taxonomy, taxonomy);
  const compList = pick(comps);
  if (compList) {
    competitors = compList.filter((c) => c && c.name).map((c) => ({
      name: c.name,
      aliases: listOf(c.aliases).map((a) => (typeof a === "string" ? a : a && (a.alias || a.name))).filter(Boolean),
    }));
    writeJson(LS.competitors, competitors);
    // A rep who started typing before the list arrived (first visit, slow network) sees the matches now, not only "Add".
    const input = $("competitor-input");
    if (input && input.value.trim() && document.activeElement === input) renderSuggestions();
  }
  const msgList = pick(messages);
  const colList = pick(collateral);
  if (msgList) catalog.messages = msgList.filter((m) => m && m.id && m.active !== false).map((m) => ({ id: m.id, title: m.title || m.id }));
  if (colList) catalog.collateral = colList.filter((m) => m && m.id && m.active !== false).map((m) => ({ id: m.id, title: m.title || m.id }));
  writeJson(LS.catalog, catalog);
  renderTaxonomy();
}

/** The seeded categories in their documented order (docs/api-guide.md, "Taxonomy": most common first, "other" last among them), then added ones. */
function seedOrder(list, seeds) {
  if (!list) return list;
  const rank = (code) => { const i = seeds.findIndex((c) => c.code === code); return i < 0 ? seeds.length : i; };
  return list.map((c, i) => [c, i]).sort((a, b) => rank(a[0].code) - rank(b[0].code) || a[1] - b[1]).map(([c]) => c);
}

/** The signed-in user's own last 10 reports (reps only see theirs anyway; other roles ask for their own by id). */
async function refreshRecent() {
  const me = readJson(LS.me, null);
  if (!me || !me.id) { renderRecent(); return; }
  try {
    const page = await api(me.role === "rep" ? "/reports?limit=10" : `/reports?limit=10&repId=${me.id}`);
    writeJson(LS.recent, listOf(page));
  } catch (e) {
    if (e.status === 401) return signedOut("Your API key was not accepted. Paste a new one.");
  }
  renderRecent();
}

function meId() {
  const me = readJson(LS.me, null);
  return me && me.id ? me.id : null;
}

async function refreshMe() {
  try {
    const me = await api("/me");
    writeJson(LS.me, me);
  } catch (e) {
    if (e.status === 401) return signedOut("Your API key was not accepted. Paste a new one.");
  }
  renderAccount();
}

// ---------------------------------------------------------------- body <-> draft

function parseAmount(text) {
  const t = String(text || "").replace(/[\s,_']/g, "");
  if (!t) return null;
  return /^\d+(\.\d+)?$/.test(t) ? Number(t) : NaN;
}

function primaryReasonOf(d) {
  if (!d.reasons.length) return null;
  return d.reasons.includes(d.primaryReason) ? d.primaryReason : d.reasons[0];
}

function messageEntries(d) {
  return Object.entries(d.messages).filter(([, r]) => r);
}

function toBody(d) {
  const body = { dealId: d.dealId.trim(), outcome: d.outcome, closedOn: d.closedOn };
  if (d.competitors.length) body.competitors = d.competitors.map((c) => (c.primary ? { name: c.name, primary: true } : { name: c.name }));
  const primary = primaryReasonOf(d);
  const detail = (code) => (d.kept && d.kept.reasonDetails && d.kept.reasonDetails[code] ? { detail: d.kept.reasonDetails[code] } : {});
  if (d.reasons.length) body.reasons = d.reasons.map((code) => ({ category: code, ...detail(code), ...(code === primary ? { primary: true } : {}) }));
  if (d.objections.length) {
    body.objections = d.objections.map((o) => {
      const item = { category: o.category, overcome: Boolean(o.overcome) };
      if (o.competitor) item.competitor = o.competitor;
      if (o.text) item.text = o.text;
      return item;
    });
  }
  const messages = messageEntries(d);
  if (messages.length) body.messages = messages.map(([messageId, resonance]) => ({ messageId, resonance }));
  if (d.collateral.length) body.collateralUsed = [...d.collateral];
  if (d.leadSource.trim()) body.leadSource = d.leadSource.trim();
  if (d.leadQuality) body.leadQuality = Number(d.leadQuality);
  const amount = parseAmount(d.amount);
  if (amount !== null) { body.amount = amount; body.currency = d.currency; }
  if (d.segment) body.segment = d.segment;
  if (d.stageReached) body.stageReached = d.stageReached;
  if (d.accountName.trim()) body.accountName = d.accountName.trim();
  if (d.notes.trim()) body.notes = d.notes.trim();
  // Amending: fields this form does not edit are sent back as they were (PUT replaces the report).
  for (const [k, v] of Object.entries((d.kept && d.kept.fields) || {})) if (v !== null && v !== undefined && body[k] === undefined) body[k] = v;
  return body;
}

function fromBody(body, key) {
  const d = emptyDraft();
  d.key = key || null;
  d.outcome = body.outcome || "";
  d.dealId = body.dealId || "";
  d.closedOn = body.closedOn || today();
  d.competitors = (body.competitors || []).map((c) => ({ name: c.name, primary: Boolean(c.primary) }));
  d.reasons = (body.reasons || []).map((r) => r.category);
  d.primaryReason = ((body.reasons || []).find((r) => r.primary) || {}).category || null;
  d.objections = (body.objections || []).map((o) => ({ category: o.category, overcome: Boolean(o.overcome), competitor: o.competitor || "", text: o.text || "" }));
  d.kept = {
    reasonDetails: Object.fromEntries((body.reasons || []).filter((r) => r.detail).map((r) => [r.category, r.detail])),
    fields: { region: body.region, industry: body.industry, product: body.product },
  };
  for (const m of body.messages || []) d.messages[m.messageId] = m.resonance;
  d.collateral = [...(body.collateralUsed || [])];
  d.leadSource = body.leadSource || "";
  d.leadQuality = body.leadQuality || null;
  d.amount = body.amount === undefined || body.amount === null ? "" : String(body.amount);
  d.currency = body.currency || d.currency;
  d.segment = body.segment || "";
  d.stageReached = body.stageReached || "";
  d.accountName = body.accountName || "";
  d.notes = body.notes || "";
  return d;
}

/** The competitor an objection is about unless the rep says otherwise: the primary one, or the only one named. */
function defaultObjectionCompetitor(d = draft) {
  const primary = d.competitors.find((c) => c.primary) || (d.competitors.length === 1 ? d.competitors[0] : null);
  return primary ? primary.name : "";
}

// ---------------------------------------------------------------- rendering

function labelOf(list, code) {
  const found = list.find((c) => c.code === code || c.id === code);
  return found ? found.label || found.title : code;
}

function chip(type, name, id, value, label, checked) {
  return [
    el("input", { type, name, id, value, class: "chip-input", checked: checked || false }),
    el("label", { for: id, class: "chip", text: label }),
  ];
}

function renderTaxonomy() {
  const reasons = $("reason-chips");
  reasons.replaceChildren(...taxonomy.reasons.flatMap((r) => chip("checkbox", "reason", `reason-${r.code}`, r.code, r.label, draft.reasons.includes(r.code))));
  const objections = $("objection-chips");
  objections.replaceChildren(...taxonomy.objections.flatMap((o) =>
    chip("checkbox", "objection", `objection-${o.code}`, o.code, o.label, draft.objections.some((x) => x.category === o.code))));

  const messages = $("message-rows");
  if (!catalog.messages.length) {
    messages.replaceChildren(el("p", { class: "hint", text: "No messages in the catalogue yet." }));
  } else {
    messages.replaceChildren(...catalog.messages.map((m, i) => {
      const set = el("fieldset", { class: "msg", "data-message": m.id },
        el("legend", { text: m.title }),
        el("div", { class: "tri" }, ...RESONANCE.flatMap(([value, label]) =>
          chip("radio", `msg-${i}`, `msg-${i}-${value}`, value, label, draft.messages[m.id] === value))));
      return set;
    }));
  }
  const collateral = $("collateral-chips");
  if (!catalog.collateral.length) collateral.replaceChildren(el("p", { class: "hint", text: "No collateral in the catalogue yet." }));
  else collateral.replaceChildren(...catalog.collateral.flatMap((c, i) => chip("checkbox", "collateral", `collateral-${i}`, c.id, c.title, draft.collateral.includes(c.id))));

  $("segment-chips").replaceChildren(...SEGMENTS.flatMap(([v, l]) => chip("radio", "segment", `segment-${v}`, v, l, draft.segment === v)));
  $("lead-quality").replaceChildren(...[1, 2, 3, 4, 5].flatMap((n) => chip("radio", "leadQuality", `leadQuality-${n}`, String(n), String(n), Number(draft.leadQuality) === n)));
  renderDependent();
}

/** Everything that depends on the draft (not on the taxonomy). */
function renderDraft() {
  for (const input of document.querySelectorAll("input[name=outcome]")) input.checked = input.value === draft.outcome;
  $("dealId").value = draft.dealId;
  $("closedOn").value = draft.closedOn;
  $("leadSource").value = draft.leadSource;
  $("amount").value = draft.amount;
  $("currency").value = draft.currency;
  $("stageReached").value = draft.stageReached;
  $("accountName").value = draft.accountName;
  $("notes").value = draft.notes;
  renderTaxonomy();
  renderAmend();
}

function renderDependent() {
  renderOutcome();
  renderCompetitors();
  renderPrimaryReason();
  renderObjectionRows();
  renderCounts();
}

function renderOutcome() {
  const outcome = draft.outcome;
  $("after-outcome").hidden = !outcome;
  $("reasons-legend").textContent = outcome === "won" ? "Why did we win?" : outcome === "no_decision" ? "Why no decision?" : "Why did we lose?";
  $("reasons-req").hidden = outcome === "won";
}

function renderCounts() {
  const used = messageEntries(draft).length + draft.collateral.length;
  $("messages-count").textContent = used ? `· ${used} used` : "";
  $("lead-count").textContent = draft.leadSource.trim() || draft.leadQuality ? "· set" : "";
  $("size-count").textContent = draft.amount || draft.segment || draft.stageReached || draft.accountName ? "· set" : "";
  $("clear").parentElement.hidden = !isDirty();
}

function renderCompetitors() {
  const list = $("competitor-chosen");
  list.replaceChildren(...draft.competitors.map((c, i) => el("li", { class: "chosen-item" },
    el("span", { class: "chosen-name", text: c.name }),
    el("button", {
      type: "button", class: `btn-icon star${c.primary ? " on" : ""}`, "aria-pressed": c.primary ? "true" : "false",
      "aria-label": `Main competitor: ${c.name}`, "data-index": i, "data-action": "primary", text: c.primary ? "★ Main" : "☆ Main",
    }),
    el("button", { type: "button", class: "btn-icon", "aria-label": `Remove ${c.name}`, "data-index": i, "data-action": "remove", text: "✕" }))));
}

function renderPrimaryReason() {
  const box = $("reason-primary");
  if (draft.reasons.length < 2) { box.hidden = true; box.replaceChildren(); return; }
  const primary = primaryReasonOf(draft);
  box.hidden = false;
  box.replaceChildren(el("fieldset", { class: "inner" },
    el("legend", { text: "Main reason" }),
    el("div", { class: "chips" }, ...draft.reasons.flatMap((code) =>
      chip("radio", "primaryReason", `primary-${code}`, code, labelOf(taxonomy.reasons, code), code === primary)))));
}

function renderObjectionRows() {
  const rows = $("objection-rows");
  rows.replaceChildren(...draft.objections.map((o, i) => {
    const label = labelOf(taxonomy.objections, o.category);
    const overcome = el("label", { class: "switch", for: `objection-${i}-overcome` },
      el("input", { type: "checkbox", id: `objection-${i}-overcome`, "data-index": i, "data-field": "overcome", checked: o.overcome }),
      el("span", { text: "Overcome" }));
    const parts = [el("span", { class: "row-title", text: label }), overcome];
    if (draft.competitors.length) {
      const select = el("select", { id: `objection-${i}-competitor`, "data-index": i, "data-field": "competitor", "aria-label": `Competitor behind the ${label} objection` },
        el("option", { value: "", text: "No competitor" }),
        ...draft.competitors.map((c) => el("option", { value: c.name, text: c.name, selected: o.competitor === c.name })));
      parts.push(select);
    }
    return el("li", { class: "row-item", id: `objection-row-${i}` }, ...parts);
  }));
}

function renderRecent() {
  const recent = readJson(LS.recent, []);
  const list = $("recent-list");
  list.replaceChildren(...recent.map((r) => el("li", { class: "list-item" },
    el("span", { class: `tag tag-${r.outcome}`, text: OUTCOME_LABEL[r.outcome] || r.outcome }),
    el("span", { class: "list-main" }, el("strong", { text: r.dealId }),
      el("span", { class: "meta muted", text: `${r.closedOn}${r.competitors && r.competitors.length ? ` · vs ${r.competitors.join(", ")}` : ""}` })),
    el("button", { type: "button", class: "btn btn-secondary btn-small", "data-amend": r.id, "aria-label": `Amend deal ${r.dealId}`, text: "Amend" }))));
  $("recent-empty").hidden = recent.length > 0;
  $("recent").hidden = false;
}

function renderAccount() {
  const me = readJson(LS.me, null);
  $("who").textContent = me && (me.displayName || me.email) ? `Signed in as ${me.displayName || me.email}${me.role ? ` (${me.role})` : ""}` : "Signed in";
  $("account").hidden = false;
  const readOnly = Boolean(me && me.role === "marketing");
  $("role-notice").hidden = !readOnly;
  $("submit").disabled = readOnly;
}

async function refreshOutbox() {
  try { outboxItems = await outbox.all(); } catch { outboxItems = []; }
  const pending = outboxItems.filter((i) => i.status === "pending");
  const attention = outboxItems.filter((i) => i.status === "attention");
  const badge = $("queue-badge");
  badge.hidden = pending.length === 0 && attention.length === 0;
  badge.textContent = [pending.length ? `${pending.length} queued` : "", attention.length ? `${attention.length} to fix` : ""].filter(Boolean).join(" · ");
  badge.classList.toggle("pill-attention", attention.length > 0);
  $("outbox").hidden = badge.hidden;
  $("pending").hidden = pending.length === 0;
  $("attention").hidden = attention.length === 0;
  $("pending-list").replaceChildren(...pending.map((i) => el("li", { class: "list-item" },
    el("span", { class: `tag tag-${i.body.outcome}`, text: OUTCOME_LABEL[i.body.outcome] || i.body.outcome }),
    el("span", { class: "list-main" }, el("strong", { text: i.body.dealId }),
      el("span", { class: "muted", text: i.ownerId && i.ownerId !== meId() ? " · filed by another user: sent when they sign in" : i.attempts ? ` · tried ${i.attempts}×` : " · not sent yet" })))));
  $("attention-list").replaceChildren(...attention.map((i) => el("li", { class: "list-item attention-item" },
    el("span", { class: "list-main" }, el("strong", { text: i.body.dealId }), el("span", { class: "muted", text: ` · ${i.detail || "needs a fix"}` })),
    el("span", { class: "item-actions" },
      el("button", { type: "button", class: "btn btn-secondary btn-small", "data-fix": i.id, "aria-label": `Fix report for ${i.body.dealId}`, text: "Fix" }),
      el("button", { type: "button", class: "btn btn-link btn-small", "data-discard": i.id, "aria-label": `Discard report for ${i.body.dealId}`, text: "Discard" })))));
  return { pending, attention };
}

// ---------------------------------------------------------------- errors

function clearErrors() {
  for (const p of document.querySelectorAll("#report .error")) p.textContent = "";
  for (const n of document.querySelectorAll("#report [aria-invalid]")) n.removeAttribute("aria-invalid");
  for (const n of document.querySelectorAll("#report .invalid")) n.classList.remove("invalid");
  $("error-summary").hidden = true;
  $("error-list").replaceChildren();
  const duplicate = $("duplicate-amend");
  if (duplicate) duplicate.remove();
}

function itemLabel(root, index, d) {
  const i = Number(index);
  if (root === "competitors") return d.competitors[i] ? `“${d.competitors[i].name}”` : `#${i + 1}`;
  if (root === "reasons") return d.reasons[i] ? `“${labelOf(taxonomy.reasons, d.reasons[i])}”` : `#${i + 1}`;
  if (root === "objections") return d.objections[i] ? `“${labelOf(taxonomy.objections, d.objections[i].category)}”` : `#${i + 1}`;
  if (root === "messages") {
    const entry = messageEntries(d)[i];
    return entry ? `“${labelOf(catalog.messages, entry[0])}”` : `#${i + 1}`;
  }
  if (root === "collateralUsed") return d.collateral[i] ? `“${labelOf(catalog.collateral, d.collateral[i])}”` : `#${i + 1}`;
  return `#${i + 1}`;
}

/** errors: { "objections[1].category": ["..."] } as the API returns them (or made by validate()). */
function showErrors(errors, detail, d = draft) {
  clearErrors();
  const summary = [];
  for (const [path, messages] of Object.entries(errors || {})) {
    const m = /^([A-Za-z]+)(?:\[(\d+)\])?/.exec(path);
    const root = m && FIELD_LABEL[m[1]] ? m[1] : "other";
    const text = (Array.isArray(messages) ? messages : [messages]).map((t) => humanize(String(t), path)).join(" ");
    const shown = m && m[2] !== undefined ? `${itemLabel(root, m[2], d)}: ${text}` : text;
    const slot = $(`err-${root}`);
    slot.textContent = slot.textContent ? `${slot.textContent} ${shown}` : shown;
    const control = $(FIELD_FOCUS[root] || "");
    if (control) {
      if (control.tagName === "FIELDSET") control.classList.add("invalid");
      else control.setAttribute("aria-invalid", "true");
    }
    if (root === "outcome") $("f-outcome").classList.add("invalid");
    if (OPEN_DETAILS[root]) $(OPEN_DETAILS[root]).open = true;
    if (root === "objections" && m[2] !== undefined) { const row = $(`objection-row-${m[2]}`); if (row) row.classList.add("invalid"); }
    summary.push([root, `${FIELD_LABEL[root] || "Report"}: ${shown}`]);
  }
  if (!summary.length && detail) { $("err-other").textContent = detail; summary.push(["other", detail]); }
  if (!summary.length) return;
  $("error-list").replaceChildren(...summary.map(([root, text]) => el("li", {},
    el("a", { href: `#${FIELD_FOCUS[root] || "report"}`, "data-focus": FIELD_FOCUS[root] || "", text }))));
  $("error-summary").hidden = false;
  $("error-summary").focus();
}

/** "closedOn must be between …" → "Must be between …": the field is already named next to the message. */
function humanize(text, path) {
  const leaf = path.replace(/^.*[.\]]/, "").replace(/\[\d+\]$/, "") || path;
  for (const name of [path, leaf]) {
    if (name && text.startsWith(`${name} `)) {
      const rest = text.slice(name.length + 1);
      return rest.charAt(0).toUpperCase() + rest.slice(1);
    }
  }
  return text;
}

function validate(d) {
  const errors = {};
  if (!d.outcome) errors.outcome = ["Choose won, lost or no decision."];
  if (!d.dealId.trim()) errors.dealId = ["Enter the deal ID from the CRM."];
  if (!d.closedOn) errors.closedOn = ["Enter the date the deal closed."];
  if ((d.outcome === "lost" || d.outcome === "no_decision") && !d.reasons.length)
    errors.reasons = [d.outcome === "lost" ? "Pick at least one reason we lost." : "Pick at least one reason there was no decision."];
  const typed = $("competitor-input").value.trim();
  if (typed) errors.competitors = [`Tap Add (or pick a suggestion) to keep “${typed}”, or clear it.`];
  if (Number.isNaN(parseAmount(d.amount))) errors.amount = ["Enter the amount as a number, e.g. 48000."];
  return Object.keys(errors).length ? errors : null;
}

function conflictErrors(item) {
  if (item.httpStatus === 409 && item.existingReportId) {
    return { dealId: [`A report for this deal already exists (report #${item.existingReportId}). Amend that report, or check the deal ID.`] };
  }
  if (item.httpStatus === 409 && item.dealTaken) {
    return { dealId: ["A report for this deal already exists, filed by someone else. Check the deal ID, or ask an analyst."] };
  }
  return item.errors;
}

/** Under the error summary of a duplicate deal: a button that opens the existing report for amendment. */
function renderDuplicateLink() {
  const old = $("duplicate-amend");
  if (old) old.remove();
  if (!draft.duplicateOf) return;
  const button = el("button", { type: "button", id: "duplicate-amend", class: "btn btn-secondary", "data-amend": draft.duplicateOf,
    text: `Amend report #${draft.duplicateOf} instead` });
  $("error-summary").append(button);
  $("err-dealId").append(" ", el("a", { href: `#amend-${draft.duplicateOf}`, "data-amend": draft.duplicateOf, text: "Amend it" }));
}

// ---------------------------------------------------------------- amending a filed report

/** Opens a filed report in the form: GET it (with its ETag), and the next "Save amendment" PUTs it with If-Match. */
async function openForAmend(id) {
  readForm();
  if (isDirty() && !draft.amend && !draft.duplicateOf && !window.confirm("Replace the report you are writing with this one?")) return;
  let report;
  try {
    report = await api(`/reports/${encodeURIComponent(id)}`);
  } catch (e) {
    announce(e.status === 404 ? "That report is not yours to amend, or it was deleted." : "Amending needs a connection. Try again when you are online.");
    return;
  }
  draft = fromBody(report, null);
  draft.amend = { id: report.id, etag: report.etag, version: report.version };
  saveDraft();
  clearErrors();
  renderDraft();
  announce(`Amending deal ${report.dealId} (version ${report.version}).`);
  window.scrollTo({ top: 0 });
  $("dealId").focus();
}

function renderAmend() {
  const a = draft.amend;
  $("amend-banner").hidden = !a;
  $("submit").textContent = a ? "Save amendment" : "File report";
  if (a) $("amend-text").textContent = `Amending report #${a.id} (deal ${draft.dealId}, version ${a.version}).`;
}

async function saveAmendment() {
  const snapshot = draft;
  try {
    const saved = await api(`/reports/${snapshot.amend.id}`, { method: "PUT", json: toBody(snapshot), headers: { "If-Match": snapshot.amend.etag } });
    draft = emptyDraft();
    saveDraft();
    renderDraft();
    announce(`Amended: deal ${saved.dealId} is now version ${saved.version}.`);
    refreshRecent().catch(() => {});
  } catch (e) {
    if (e.status === 400) showErrors(e.errors, e.message);
    else if (e.status === 412) showErrors(null, "This report was changed elsewhere since you opened it. Open it again from your recent reports to see the latest version.");
    else if (e.status === 403) showErrors(null, "You can amend your own reports for 14 days after filing.");
    else if (e.status === 401) signedOut("Your API key was not accepted. Paste a new one.");
    else if (e.status) showErrors(null, `The amendment was not saved: ${e.message}`);
    else showErrors(null, "Amending needs a connection. Your changes are kept here; save again when you are online.");
  }
  window.scrollTo({ top: 0 });
}

// ---------------------------------------------------------------- status

let statusTimer = null;
function announce(text) {
  const status = $("status");
  status.textContent = text;
  clearTimeout(statusTimer);
  if (text) statusTimer = setTimeout(() => { status.textContent = ""; }, 10000);
}

function renderNet() {
  const online = navigator.onLine !== false;
  const net = $("net");
  net.textContent = online ? "Online" : "Offline";
  net.className = `pill ${online ? "pill-online" : "pill-offline"}`;
}

// ---------------------------------------------------------------- sending

async function drainNow(quiet = false) {
  if (!apiKey) return null;
  const summary = await outbox.drain(apiKey, { progress: refreshOutbox }, meId());
  await refreshOutbox();
  if (!summary || summary.busy) return summary;
  if (summary.unauthorized) signedOut("Your API key was not accepted. Paste a new one; your queued reports are kept.");
  if (summary.sent.length) {
    const recent = readJson(LS.recent, []);
    const ids = new Set(recent.map((r) => r.id));
    const added = summary.sent.map((s) => s.report).filter((r) => r && !ids.has(r.id))
      .map((r) => ({ id: r.id, dealId: r.dealId, outcome: r.outcome, closedOn: r.closedOn, competitors: (r.competitors || []).map((c) => c.name) }));
    writeJson(LS.recent, [...added.reverse(), ...recent].slice(0, 10));
    renderRecent();
    if (!quiet) announce(summary.sent.length === 1 ? `Filed: deal ${summary.sent[0].item.body.dealId}.` : `Filed ${summary.sent.length} queued reports.`);
    refreshRecent();
  }
  if (summary.attention.length && !quiet) {
    announce(summary.attention.length === 1 ? `Deal ${summary.attention[0].body.dealId} could not be filed: it needs a fix.` : `${summary.attention.length} reports could not be filed: they need a fix.`);
  }
  return summary;
}

async function submit(event) {
  event.preventDefault();
  readForm();
  const problems = validate(draft);
  if (problems) { showErrors(problems); return; }
  clearErrors();
  if (draft.amend) { await saveAmendment(); return; }
  const snapshot = draft;
  let item;
  try {
    item = await outbox.enqueue(toBody(snapshot), snapshot.key, meId());
  } catch {
    showErrors(null, "This browser could not store the report (private mode or storage full). Nothing was sent.");
    return;
  }
  if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
  if (snapshot.currency) localStorage.setItem(LS.currency, snapshot.currency);
  draft = emptyDraft();
  saveDraft();
  renderDraft();
  await refreshOutbox();
  if (navigator.onLine === false) {
    announce(`Saved on this phone: deal ${item.body.dealId}. It will be sent when you are back online.`);
    window.scrollTo({ top: 0 });
    return;
  }
  announce(`Sending deal ${item.body.dealId}…`);
  const summary = await drainNow(true);
  const mine = summary && summary.sent.find((s) => s.item.id === item.id);
  if (mine) {
    announce(`Filed: deal ${item.body.dealId}.`);
  } else if (summary && summary.attention.some((a) => a.id === item.id) && !isDirty()) {
    await fix(item.id);
  } else if (outboxItems.some((i) => i.id === item.id && i.status === "pending")) {
    announce(`No connection to the server. Deal ${item.body.dealId} is saved on this phone and will be sent automatically.`);
  }
  window.scrollTo({ top: 0 });
}

async function fix(id) {
  const item = (await outbox.all()).find((i) => i.id === id);
  if (!item) return;
  if (isDirty() && !window.confirm("Replace the report you are writing with this one?")) return;
  draft = fromBody(item.body, item.id);
  draft.serverErrors = conflictErrors(item);
  draft.serverDetail = item.detail || null;
  draft.duplicateOf = item.httpStatus === 409 && item.existingReportId ? item.existingReportId : null;
  await outbox.remove(item.id);
  saveDraft();
  renderDraft();
  await refreshOutbox();
  showErrors(draft.serverErrors, draft.serverDetail);
  renderDuplicateLink();
  announce(`Deal ${item.body.dealId} needs a fix before it can be filed.`);
}

// ---------------------------------------------------------------- form events

function readForm() {
  draft.dealId = $("dealId").value;
  draft.closedOn = $("closedOn").value;
  draft.leadSource = $("leadSource").value;
  draft.amount = $("amount").value;
  draft.currency = $("currency").value;
  draft.stageReached = $("stageReached").value;
  draft.accountName = $("accountName").value;
  draft.notes = $("notes").value;
}

function onChange(event) {
  const t = event.target;
  if (t.id === "competitor-input") return;
  if (t.name === "outcome") draft.outcome = t.value;
  else if (t.name === "reason") {
    draft.reasons = t.checked ? [...draft.reasons.filter((r) => r !== t.value), t.value] : draft.reasons.filter((r) => r !== t.value);
  } else if (t.name === "primaryReason") draft.primaryReason = t.value;
  else if (t.name === "objection") {
    draft.objections = t.checked
      ? [...draft.objections.filter((o) => o.category !== t.value), { category: t.value, overcome: false, competitor: defaultObjectionCompetitor() }]
      : draft.objections.filter((o) => o.category !== t.value);
  } else if (t.dataset.field === "overcome") draft.objections[Number(t.dataset.index)].overcome = t.checked;
  else if (t.dataset.field === "competitor") draft.objections[Number(t.dataset.index)].competitor = t.value;
  else if (t.name && t.name.startsWith("msg-")) draft.messages[t.closest("[data-message]").dataset.message] = t.value;
  else if (t.name === "collateral") {
    draft.collateral = t.checked ? [...draft.collateral.filter((c) => c !== t.value), t.value] : draft.collateral.filter((c) => c !== t.value);
  } else if (t.name === "segment") draft.segment = t.value;
  else if (t.name === "leadQuality") draft.leadQuality = Number(t.value);
  else readForm();
  saveDraft();
  // Re-render only what changes shape, and only once per change (checkboxes fire both input and change),
  // so the control the rep is on keeps its focus.
  if (event.type === "change") {
    if (t.name === "outcome") renderOutcome();
    else if (t.name === "reason") renderPrimaryReason();
    else if (t.name === "objection") renderObjectionRows();
  }
  renderCounts();
}

/** A second tap on a chosen segment, lead quality or message resonance clears it (radios cannot otherwise be unset). */
function onClick(event) {
  const t = event.target;
  if (t.type === "radio") {
    const current = t.name === "segment" ? draft.segment
      : t.name === "leadQuality" ? String(draft.leadQuality || "")
      : t.name.startsWith("msg-") ? draft.messages[t.closest("[data-message]").dataset.message] : null;
    if (current !== null && current === t.value) {
      t.checked = false;
      if (t.name === "segment") draft.segment = "";
      else if (t.name === "leadQuality") draft.leadQuality = null;
      else delete draft.messages[t.closest("[data-message]").dataset.message];
      saveDraft();
      renderCounts();
    }
    return;
  }
  const button = t.closest("button[data-action]");
  if (button) {
    const i = Number(button.dataset.index);
    if (button.dataset.action === "remove") {
      const [removed] = draft.competitors.splice(i, 1);
      if (removed && removed.primary && draft.competitors.length) draft.competitors[0].primary = true;
      for (const o of draft.objections) if (removed && o.competitor === removed.name) o.competitor = "";
      announce(`Removed ${removed.name}.`);
    } else if (button.dataset.action === "primary") {
      draft.competitors.forEach((c, j) => { c.primary = j === i ? !c.primary : false; });
    }
    saveDraft();
    renderDependent();
    const again = document.querySelector(`#competitor-chosen button[data-action="${button.dataset.action}"][data-index="${Math.min(i, draft.competitors.length - 1)}"]`);
    (again || $("competitor-input")).focus();
  }
  const amend = t.closest("[data-amend]");
  if (amend) { event.preventDefault(); openForAmend(amend.dataset.amend); return; }
  const link = t.closest("a[data-focus]");
  if (link && link.dataset.focus) {
    event.preventDefault();
    const target = $(link.dataset.focus);
    if (target) {
      const details = target.closest("details");
      if (details) details.open = true;
      if (target.tagName === "FIELDSET") { const first = target.querySelector("input, select, textarea, button"); (first || target).focus(); }
      else target.focus();
      target.scrollIntoView({ block: "center" });
    }
  }
}

/**
 * Enter (the phone keyboard's Next/Go key) in a single-line field moves on instead of submitting the form:
 * filing is always an explicit tap on "File report". From the deal id it jumps to the competitor field.
 */
function onEnter(event) {
  const t = event.target;
  if (event.key !== "Enter" || t.tagName !== "INPUT" || t.id === "competitor-input" || t.type === "submit") return;
  event.preventDefault();
  if (t.type === "checkbox" || t.type === "radio") { t.click(); return; }
  if (t.id === "dealId") { $("competitor-input").focus(); return; }
  const fields = [...$("report").querySelectorAll("input:not([type=hidden]), select, textarea")].filter((f) => f.offsetParent !== null || f.classList.contains("chip-input"));
  const next = fields[fields.indexOf(t) + 1];
  if (next) next.focus();
}

// ---------------------------------------------------------------- competitor combobox

let suggestions = [];
let active = -1;

function matchCompetitors(text) {
  const q = norm(text);
  if (!q) return [];
  const chosen = new Set(draft.competitors.map((c) => norm(c.name)));
  const scored = [];
  for (const c of competitors) {
    if (chosen.has(norm(c.name))) continue;
    const n = norm(c.name);
    let best = n.startsWith(q) ? 0 : n.includes(q) ? 2 : 9;
    let via = null;
    for (const a of c.aliases || []) {
      const an = norm(a);
      const s = an.startsWith(q) ? 1 : an.includes(q) ? 3 : 9;
      if (s < best) { best = s; via = a; }
    }
    if (best < 9) scored.push({ name: c.name, via: norm(via || "") === n ? null : via, score: best });
  }
  scored.sort((a, b) => a.score - b.score || a.name.localeCompare(b.name));
  const list = scored.slice(0, 6);
  if (!list.some((s) => norm(s.name) === q) && !chosen.has(q)) list.push({ name: text.trim(), free: true });
  return list;
}

function renderSuggestions() {
  const input = $("competitor-input");
  const box = $("competitor-list");
  suggestions = matchCompetitors(input.value);
  if (!suggestions.length) { closeSuggestions(); return; }
  if (active >= suggestions.length) active = suggestions.length - 1;
  box.replaceChildren(...suggestions.map((s, i) => el("li", {
    id: `competitor-option-${i}`, role: "option", class: `option${i === active ? " active" : ""}`,
    "aria-selected": i === active ? "true" : "false", "data-option": i,
  }, s.free ? el("span", { text: `Add “${s.name}”` }) : el("span", { text: s.name }),
  s.via ? el("span", { class: "muted", text: ` (${s.via})` }) : null)));
  box.hidden = false;
  input.setAttribute("aria-expanded", "true");
  if (active >= 0) input.setAttribute("aria-activedescendant", `competitor-option-${active}`);
  else input.removeAttribute("aria-activedescendant");
}

function closeSuggestions() {
  const box = $("competitor-list");
  box.hidden = true;
  box.replaceChildren();
  active = -1;
  $("competitor-input").setAttribute("aria-expanded", "false");
  $("competitor-input").removeAttribute("aria-activedescendant");
}

function addCompetitor(name) {
  const clean = (name || "").trim();
  if (!clean) return;
  if (draft.competitors.some((c) => norm(c.name) === norm(clean))) { announce(`${clean} is already listed.`); return; }
  if (draft.competitors.length >= 10) { announce("At most 10 competitors."); return; }
  draft.competitors.push({ name: clean, primary: draft.competitors.length === 0 });
  $("competitor-input").value = "";
  closeSuggestions();
  saveDraft();
  renderDependent();
  announce(`Added competitor ${clean}.`);
}

function wireCombobox() {
  const input = $("competitor-input");
  input.addEventListener("input", () => { active = -1; renderSuggestions(); });
  input.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (!suggestions.length) renderSuggestions();
      if (!suggestions.length) return;
      e.preventDefault();
      active = e.key === "ArrowDown" ? (active + 1) % suggestions.length : (active <= 0 ? suggestions.length - 1 : active - 1);
      renderSuggestions();
    } else if (e.key === "Enter") {
      e.preventDefault();
      addCompetitor(active >= 0 && suggestions[active] ? suggestions[active].name : input.value);
    } else if (e.key === "Escape") {
      closeSuggestions();
    }
  });
  input.addEventListener("blur", () => setTimeout(closeSuggestions, 150));
  const box = $("competitor-list");
  box.addEventListener("mousedown", (e) => e.preventDefault()); // keep focus in the input
  box.addEventListener("click", (e) => {
    const option = e.target.closest("[data-option]");
    if (option) addCompetitor(suggestions[Number(option.dataset.option)].name);
    input.focus();
  });
  $("competitor-add").addEventListener("click", () => addCompetitor(input.value));
}

// ---------------------------------------------------------------- sign in

function signedOut(message) {
  $("signin").hidden = false;
  $("report").hidden = true;
  $("account").hidden = true;
  if (message) $("err-apiKey").textContent = message;
}

async function signIn(event) {
  event.preventDefault();
  const key = $("api-key").value.trim();
  $("err-apiKey").textContent = "";
  $("api-key").removeAttribute("aria-invalid");
  if (!key) {
    $("err-apiKey").textContent = "Paste your API key.";
    $("api-key").setAttribute("aria-invalid", "true");
    $("api-key").focus();
    return;
  }
  const previous = apiKey;
  apiKey = key;
  try {
    await api("/reports?limit=1");
  } catch (e) {
    if (e.status === 401) {
      apiKey = previous;
      $("err-apiKey").textContent = "This key was not accepted. Check it and paste it again.";
      $("api-key").setAttribute("aria-invalid", "true");
      $("api-key").focus();
      return;
    }
    // Offline or server trouble: keep the key; it is checked when the first report is sent.
  }
  if (key !== previous) localStorage.removeItem(LS.me);
  localStorage.setItem(LS.key, key);
  $("api-key").value = "";
  showForm();
  announce("Signed in.");
  online();
}

function signOut() {
  if (!window.confirm("Sign out on this device? Queued reports stay here and are sent after you sign in again.")) return;
  apiKey = "";
  localStorage.removeItem(LS.key);
  localStorage.removeItem(LS.me);
  localStorage.removeItem(LS.recent);
  signedOut("");
  $("api-key").focus();
}

function showForm() {
  $("signin").hidden = true;
  $("report").hidden = false;
  renderAccount();
  renderRecent();
}

// ---------------------------------------------------------------- start

function online() {
  renderNet();
  if (navigator.onLine === false || !apiKey) return;
  // Who is signed in decides which queued reports may be sent with this key: ask first (the answer is cached).
  refreshMe().catch(() => {}).then(() => { refreshRecent().catch(() => {}); return drainNow(); }).catch(() => {});
  refreshReference().catch(() => {});
}

function start() {
  renderNet();
  renderDraft();
  if (draft.serverErrors || draft.serverDetail) { showErrors(draft.serverErrors, draft.serverDetail); renderDuplicateLink(); }
  enhanceKeyInput($("api-key"));
  $("recent-list").addEventListener("click", (e) => {
    const amend = e.target.closest("[data-amend]");
    if (amend) openForAmend(amend.dataset.amend);
  });
  $("amend-cancel").addEventListener("click", () => {
    draft = emptyDraft();
    saveDraft();
    clearErrors();
    renderDraft();
    announce("Amendment cancelled; nothing was changed.");
  });
  const form = $("report");
  form.addEventListener("input", onChange);
  form.addEventListener("change", onChange);
  form.addEventListener("click", onClick);
  form.addEventListener("submit", submit);
  form.addEventListener("keydown", onEnter);
  wireCombobox();
  $("clear").addEventListener("click", () => {
    if (!window.confirm("Clear this report?")) return;
    draft = emptyDraft();
    saveDraft();
    clearErrors();
    renderDraft();
    $("outcome-won").focus();
  });
  $("signin-form").addEventListener("submit", signIn);
  $("signout").addEventListener("click", signOut);
  $("retry").addEventListener("click", () => {
    if (navigator.onLine === false) { announce("Still offline. Reports are sent automatically when the connection returns."); return; }
    drainNow();
  });
  $("outbox").addEventListener("click", (e) => {
    const fixId = e.target.closest("[data-fix]");
    if (fixId) { fix(fixId.dataset.fix); return; }
    const discard = e.target.closest("[data-discard]");
    if (discard && window.confirm("Discard this report? It has not been filed.")) outbox.remove(discard.dataset.discard).then(refreshOutbox);
  });
  window.addEventListener("online", () => { announce("Back online."); online(); });
  window.addEventListener("offline", () => { renderNet(); announce("Offline. Reports you file are saved on this phone."); });
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") online(); });
  window.addEventListener("pagehide", () => { readForm(); saveDraft(); });
  setInterval(() => { if (outboxItems.some((i) => i.status === "pending")) drainNow().catch(() => {}); }, DRAIN_EVERY_MS);

  mountWaiting($("waiting"), { api, open: (body) => { // a deal waiting for a report opens in the form (docs/coverage.md)
    if (isDirty() && !window.confirm("Replace the report you are writing with this deal?")) return false;
    draft = fromBody(body, null); saveDraft(); clearErrors(); renderDraft(); $("report").scrollIntoView(); return true;
  } });
  if (apiKey) showForm(); else signedOut("");
  refreshOutbox();
  if (isDirty()) announce("Your unfinished report was restored.");
  document.documentElement.dataset.ready = "true";
  performance.mark("winloss-interactive");
  online();

  if ("serviceWorker" in navigator) {
    window.addEventListener("load", () => navigator.serviceWorker.register("/app/report/sw.js", { scope: "/app/report" }).catch(() => {}));
  }
}

start();

// The outbox: reports waiting to be sent, kept in IndexedDB so they survive reloads, crashes and no signal.
// Each item carries its own Idempotency-Key, generated once when the rep files it and reused on every retry,
// so a retry after a lost response returns the original 201 instead of filing the deal twice.
//
// item = { id (= Idempotency-Key), body, createdAt, status: "pending" | "attention", attempts, lastTriedAt,
//          lastError, httpStatus?, errors?: { field: [message] }, detail? }

const DB_NAME = "winloss-report";
const STORE = "outbox";
const TIMEOUT_MS = 20000;

let dbPromise = null;

function openDb() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => {
        const db = request.result;
        if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE, { keyPath: "id" });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => { dbPromise = null; reject(request.error); };
    });
  }
  return dbPromise;
}

async function tx(mode, work) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const t = db.transaction(STORE, mode);
    const store = t.objectStore(STORE);
    let result;
    Promise.resolve(work(store)).then((r) => { result = r; });
    t.oncomplete = () => resolve(result);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error || new Error("transaction aborted"));
  });
}

function req(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export async function all() {
  const items = await tx("readonly", (s) => req(s.getAll()));
  return (items || []).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

export function put(item) {
  return tx("readwrite", (s) => { s.put(item); });
}

export function remove(id) {
  return tx("readwrite", (s) => { s.delete(id); });
}

/**
 * Stores a report for sending. `key` is the report's Idempotency-Key (kept if the report was sent before);
 * `ownerId` the signed-in user's id when known, so a report is only ever sent with its author's key.
 */
export async function enqueue(body, key, ownerId = null) {
  const item = {
    id: key || newKey(), body, ownerId, createdAt: new Date().toISOString(), status: "pending",
    attempts: 0, lastTriedAt: null, lastError: null,
  };
  await put(item);
  return item;
}

/** What one attempt to send an item ended with. */
export function classify(status) {
  if (status === 201) return "sent";
  if (status === 401) return "unauthorized";
  // 409 is either "duplicate deal" (the rep must act) or "same key still in flight" (retry later): see send().
  if (status === 408 || status === 425 || status === 429 || status >= 500) return "retry";
  return "attention";
}

/** POSTs one item. Never throws: returns { outcome, status?, report?, problem? }. */
export async function send(item, apiKey) {
  let response;
  try {
    response = await fetch("/api/v1/reports", {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json, application/problem+json",
        "Authorization": `Bearer ${apiKey}`,
        "Idempotency-Key": item.id,
      },
      body: JSON.stringify(item.body),
      signal: AbortSignal.timeout ? AbortSignal.timeout(TIMEOUT_MS) : undefined,
      cache: "no-store",
    });
  } catch (e) {
    return { outcome: "retry", error: "network" };
  }
  let json = null;
  try { json = await response.json(); } catch { json = null; }
  let outcome = classify(response.status);
  // key in flight: try again later (a taken deal says code "deal_taken"; existingReportId only when the caller may read it)
  if (response.status === 409 && !(json && (json.existingReportId || json.code === "deal_taken"))) outcome = "retry";
  return { outcome, status: response.status, report: response.status === 201 ? json : null, problem: response.status === 201 ? null : json };
}

let draining = null;

/**
 * Sends every pending item, oldest first. 201 removes it; a network error, timeout, 5xx or 429 keeps it and stops
 * (the rest would fail the same way); 400/409 duplicate/403/422 marks it "attention" with the server's errors;
 * 401 stops and reports that the key is refused. Items filed by another user (ownerId) wait for that user.
 * One drain at a time per tab, and across tabs (Web Locks).
 */
export function drain(apiKey, hooks = {}, userId = null) {
  if (draining) return draining;
  const run = async () => {
    const summary = { sent: [], attention: [], kept: 0, unauthorized: false };
    if (!apiKey) return summary;
    for (const item of await all()) {
      if (item.status !== "pending") continue;
      if (item.ownerId && item.ownerId !== userId) { summary.kept++; continue; } // another user's report: wait for them
      if (navigator.onLine === false) { summary.kept++; continue; }
      const result = await send(item, apiKey);
      const current = { ...item, attempts: (item.attempts || 0) + 1, lastTriedAt: new Date().toISOString() };
      if (result.outcome === "sent") {
        await remove(item.id);
        summary.sent.push({ item, report: result.report });
      } else if (result.outcome === "attention") {
        const problem = result.problem || {};
        await put({
          ...current, status: "attention", httpStatus: result.status,
          errors: problem.errors || null, detail: problem.detail || problem.title || `HTTP ${result.status}`,
          existingReportId: problem.existingReportId || null, dealTaken: problem.code === "deal_taken",
        });
        summary.attention.push(item);
      } else {
        await put({ ...current, lastError: result.error || `HTTP ${result.status}` });
        summary.kept++;
        if (result.outcome === "unauthorized") summary.unauthorized = true;
        break;
      }
      if (hooks.progress) hooks.progress();
    }
    return summary;
  };
  const locked = navigator.locks && navigator.locks.request
    ? navigator.locks.request("winloss-outbox", { ifAvailable: true }, (lock) => (lock ? run() : { sent: [], attention: [], kept: 0, busy: true }))
    : run();
  draining = Promise.resolve(locked).finally(() => { draining = null; });
  return draining;
}

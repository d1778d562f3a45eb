// The API client both pages use: the key kept in this browser, requests with it, and RFC 9457 problems turned
// into errors a page can show (per field when the server names fields).
export const API = "/api/v1";
export const KEY_STORAGE = "winloss.apiKey";

export const getKey = () => localStorage.getItem(KEY_STORAGE) || "";
export const setKey = (key) => localStorage.setItem(KEY_STORAGE, key);
export const clearKey = () => localStorage.removeItem(KEY_STORAGE);

/** A non-2xx answer: status, the problem document (or null) and its errors by field ({} when none). */
export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.errors = (problem && problem.errors) || {};
  }
}

let onUnauthorized = null;
/** Called (once per failing request) when the server answers 401: the page asks for a new key. */
export function setUnauthorizedHandler(handler) { onUnauthorized = handler; }

/**
 * fetch under /api/v1 with the stored key (or options.key). JSON in (options.json) and out; options.raw returns the
 * Response. Throws ApiError for any non-2xx answer and TypeError when the network fails.
 */
export async function api(path, options = {}) {
  const { json, raw, key, headers, ...rest } = options;
  const init = { cache: "no-store", ...rest, headers: { Accept: "application/json", Authorization: `Bearer ${key ?? getKey()}`, ...(headers || {}) } };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers["Content-Type"] = "application/json";
  }
  const response = await fetch(API + path, init);
  if (!response.ok) {
    let problem = null;
    try { problem = await response.json(); } catch { /* not JSON */ }
    if (response.status === 401 && onUnauthorized && key === undefined) onUnauthorized();
    const error = new ApiError(response.status, problem);
    error.headers = response.headers;
    throw error;
  }
  if (raw) return response;
  if (response.status === 204) return null;
  const body = await response.json();
  const etag = response.headers.get("ETag");
  if (etag && body && typeof body === "object") Object.defineProperty(body, "etag", { value: etag, enumerable: false });
  return body;
}

/** One line for a problem: "field: message; field: message", or its detail or title. */
export function problemText(problem) {
  if (!problem) return "bad request";
  if (problem.errors && Object.keys(problem.errors).length) {
    return Object.entries(problem.errors).map(([k, v]) => `${k}: ${[].concat(v).join(" ")}`).join("; ");
  }
  return problem.detail || problem.title || "bad request";
}

/** Fetches path with format=csv and saves it as filename. */
export async function downloadCsv(path, filename) {
  const sep = path.includes("?") ? "&" : "?";
  const response = await api(path + sep + "format=csv", { raw: true, headers: { Accept: "text/csv" } });
  const url = URL.createObjectURL(await response.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

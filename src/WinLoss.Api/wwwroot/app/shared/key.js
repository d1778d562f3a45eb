// The key entry both pages use: a password field with "Show" (toggles visibility) and "Paste" (from the clipboard,
// where the browser allows it) buttons, so a long key can be checked before signing in.
import { el } from "/app/shared/dom.js";

/** Wraps the input (type=password) in a .key-entry row with the two buttons. Idempotent. */
export function enhanceKeyInput(input) {
  if (!input || input.closest(".key-entry")) return;
  const row = el("div", { class: "key-entry" });
  input.replaceWith(row);
  const show = el("button", { type: "button", class: "key-show", "aria-controls": input.id, "aria-pressed": "false", text: "Show" });
  show.addEventListener("click", () => {
    const visible = input.type === "password";
    input.type = visible ? "text" : "password";
    show.textContent = visible ? "Hide" : "Show";
    show.setAttribute("aria-pressed", String(visible));
    input.focus();
  });
  row.append(input, show);
  if (navigator.clipboard && navigator.clipboard.readText) {
    const paste = el("button", { type: "button", class: "key-paste", "aria-controls": input.id, text: "Paste" });
    paste.addEventListener("click", async () => {
      try {
        const text = (await navigator.clipboard.readText()).trim();
        if (text) { input.value = text; input.dispatchEvent(new Event("input", { bubbles: true })); }
      } catch { /* permission refused: the rep can still long-press and paste */ }
      input.focus();
    });
    row.append(paste);
  }
}

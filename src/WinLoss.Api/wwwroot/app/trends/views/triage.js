// Competitor triage (analysts, admins): names reps typed that match no competitor; map one to re-attribute past reports.
import { el } from "/app/shared/dom.js";
import { api } from "/app/shared/api.js";
import { plural } from "/app/trends/format.js";
import { panel } from "/app/trends/ui.js";

export async function render(state, root, me) {
  if (!me || (me.role !== "analyst" && me.role !== "admin")) {
    root.append(panel("Competitor triage", {}, el("p", {}, "Only analysts and admins curate the competitor list.")));
    return;
  }
  const [unmatched, list] = await Promise.all([api("/competitors/unmatched"), api("/competitors")]);
  const competitors = list.items.filter((c) => !c.mergedIntoId).sort((a, b) => a.name.localeCompare(b.name));
  const box = el("div", { class: "triage", id: "triage" });
  if (!unmatched.items.length) box.append(el("p", { class: "empty" }, "Every competitor name in the reports matches a known competitor."));
  unmatched.items.forEach((u, i) => box.append(row(u, i, competitors)));
  root.append(panel("Competitor triage: unmatched names", {
    wide: true, note: "Names reps typed that match no known competitor, most reported first. Mapping a name makes it an alias and re-attributes past reports.",
  }, box));
}

function row(u, i, competitors) {
  const select = el("select", { id: "map-" + i, name: "competitorId" },
    el("option", { value: "" }, "Choose a competitor…"),
    u.suggestions.length ? el("optgroup", { label: "Suggested" }, u.suggestions.map((s) => el("option", { value: String(s.competitorId) }, `${s.name} (${Math.round(s.score * 100)}% alike)`))) : null,
    el("optgroup", { label: "All competitors" }, competitors.map((c) => el("option", { value: String(c.id) }, c.name))),
    el("option", { value: "new" }, `New competitor “${u.name}”`));
  if (u.suggestions.length) select.value = String(u.suggestions[0].competitorId);
  const msg = el("span", { class: "map-result", role: "status" });
  const form = el("form", {
    class: "triage-row", "data-name": u.name,
    onsubmit: async (e) => {
      e.preventDefault();
      if (!select.value) { msg.textContent = "Choose a competitor first."; return; }
      const button = form.querySelector("button");
      button.disabled = true;
      try {
        const isNew = select.value === "new";
        const result = await api("/competitors/unmatched/map", {
          method: "POST", json: isNew ? { name: u.name, newCompetitor: true } : { name: u.name, competitorId: Number(select.value) },
        });
        msg.textContent = `${isNew ? "Created" : "Mapped to"} ${result.competitor.name}; ${plural(result.reportsReattributed, "past report")} re-attributed.`;
        form.classList.add("done");
      } catch (err) {
        msg.textContent = "Could not map: " + err.message;
        button.disabled = false;
      }
    },
  },
  el("div", { class: "triage-name" }, el("strong", {}, u.name), el("span", { class: "muted" }, ` ${plural(u.reports, "report")}`),
    el("span", { class: "muted small" }, ` · last ${u.lastSeen}`),
    u.spellings.length > 1 ? el("div", { class: "muted small" }, "Also written: " + u.spellings.slice(1).map((x) => x.name).join(", ")) : ""),
  el("div", { class: "triage-action" },
    el("label", { for: "map-" + i, class: "sr-only" }, `Map “${u.name}” to`), select,
    el("button", { type: "submit" }, "Map")), msg);
  return form;
}

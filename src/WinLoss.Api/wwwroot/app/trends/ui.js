// Building blocks of the dashboard's views: panels, tables that show when they scroll, rate cells, the status line.
import { $, el } from "/app/shared/dom.js";
import { downloadCsv } from "/app/shared/api.js";
import { pct, ci } from "/app/trends/format.js";

export function setStatus(text, isError) {
  const s = $("#status");
  s.textContent = text || "";
  s.classList.toggle("error", Boolean(isError));
}

export function panel(title, options, ...body) {
  const id = "p-" + title.toLowerCase().replace(/[^a-z0-9]+/g, "-");
  const head = el("div", { class: "panel-head" }, el("h2", { id }, title));
  if (options.csv) {
    head.append(el("button", {
      type: "button", class: "secondary csv", "data-csv": options.csv.path, "aria-label": "Download CSV: " + title,
      onclick: async (e) => {
        const btn = e.currentTarget;
        btn.disabled = true;
        try { await downloadCsv(options.csv.path, options.csv.file); } catch (err) { setStatus("CSV download failed: " + err.message, true); } finally { btn.disabled = false; }
      },
    }, "Download CSV"));
  }
  const section = el("section", { class: "panel" + (options.wide ? " wide" : ""), "aria-labelledby": id }, head);
  if (options.note) section.append(el("p", { class: "note" }, options.note));
  section.append(...body.flat().filter(Boolean));
  return section;
}

/**
 * A data table in a horizontally scrolling box. When the table is wider than its box, the box gets .scrolls and
 * a visible hint ("Scroll sideways: 9 columns") and a shadow on the edge that has more to show.
 */
export function table(caption, columns, rows, options = {}) {
  const t = el("table", { class: "data" + (options.class ? " " + options.class : "") });
  t.append(el("caption", { class: "sr-only" }, caption));
  t.append(el("thead", {}, el("tr", {}, columns.map((c) => el("th", { scope: "col", class: c.num ? "num" : "" }, c.title)))));
  const tbody = el("tbody");
  for (const r of rows) {
    tbody.append(el("tr", options.rowAttrs ? options.rowAttrs(r) : {}, columns.map((c, i) => {
      const attrs = { class: (c.num ? "num" : "") + (c.cls ? " " + c.cls(r) : "") };
      if (c.key) attrs["data-col"] = c.key;
      return i === 0 ? el("th", Object.assign(attrs, { scope: "row" }), c.cell(r)) : el("td", attrs, c.cell(r));
    })));
  }
  if (!rows.length) tbody.append(el("tr", {}, el("td", { colspan: columns.length, class: "empty" }, "No data for these filters.")));
  t.append(tbody);
  return scrollBox(t, columns.length);
}

export function scrollBox(tableEl, columnCount) {
  const hint = el("p", { class: "scroll-hint", "aria-hidden": "true" }, `Scroll sideways for all ${columnCount} columns →`);
  const wrap = el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": tableEl.querySelector("caption")?.textContent || "Table" }, tableEl);
  const box = el("div", { class: "table-box" }, hint, wrap);
  const update = () => {
    const scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
    box.classList.toggle("scrolls", scrolls);
    box.classList.toggle("at-end", wrap.scrollLeft + wrap.clientWidth >= wrap.scrollWidth - 1);
    box.classList.toggle("at-start", wrap.scrollLeft <= 0);
  };
  wrap.addEventListener("scroll", update, { passive: true });
  new ResizeObserver(update).observe(wrap);
  return box;
}

export function rateCell(rate) {
  if (!rate || rate.value === null) return "–";
  const parts = [el("span", { class: "rate" }, pct(rate.value))];
  if (rate.ci95) parts.push(el("span", { class: "ci" }, " " + ci(rate)));
  if (rate.lowSample) parts.push(" ", el("span", { class: "badge low", title: "Fewer deals than the minimum sample" }, "low sample"));
  return el("span", {}, parts);
}

export function toggle(labelText, options, current, onPick) {
  return el("div", { class: "toggle", role: "group", "aria-label": labelText },
    options.map(([value, text]) => el("button", {
      type: "button", class: value === current ? "on" : "", "aria-pressed": String(value === current), onclick: () => onPick(value),
    }, text)));
}

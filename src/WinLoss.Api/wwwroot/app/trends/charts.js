// Charts of the dashboard, on the vendored Chart.js (window.Chart, loaded before the modules).
// Marks are the same everywhere and the legends draw exactly these marks:
//   a rate: a filled circle on a solid line; its 95% interval: a translucent band and a whisker at each point
//   (so a single period still shows its interval); a low-sample rate: a hollow triangle on a dashed line.
import { el } from "/app/shared/dom.js";
import { pct, ci } from "/app/trends/format.js";

// Colour-blind-safe palette (Okabe–Ito, darkened where needed for 3:1 contrast on white).
export const PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#8a6d00", "#56B4E9", "#6b4c9a", "#444444", "#b8860b", "#117733"];
export const LOW_FILL = "#ffffff";
const charts = [];

export function destroyCharts() {
  while (charts.length) charts.pop().destroy();
}

export function alpha(hex, a) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
}

function makeChart(canvas, config) {
  if (typeof window.Chart === "undefined") return null;
  if (!config.data.labels.length) { canvas.parentElement.hidden = true; return null; } // the table says "no data"
  const chart = new window.Chart(canvas, config);
  charts.push(chart);
  return chart;
}

export function chartBox(labelText, height, name) {
  const canvas = el("canvas", { role: "img", "aria-label": labelText, "data-chart": name || null });
  return { box: el("div", { class: "chart" + (height ? " h-" + height : "") }, canvas), canvas };
}

const percentAxis = (title) => ({
  min: 0, max: 1,
  ticks: { callback: (v) => Math.round(v * 100) + "%" },
  title: { display: Boolean(title), text: title },
});

const rateTooltip = (name, r) =>
  r ? `${name ? name + ": " : ""}${pct(r.value)} (95% CI ${ci(r)}, n=${r.n})${r.lowSample ? " — low sample" : ""}` : `${name}: –`;

/**
 * Whiskers: for every dataset with `whiskers: rates[]`, a vertical (or, on horizontal charts, horizontal) line from
 * ci95[0] to ci95[1] at each point, with caps. Drawn under the points. The pixel ends are kept on chart.$whiskers
 * (what the browser tests read).
 */
const whiskerPlugin = {
  id: "whiskers",
  beforeDatasetsDraw(chart) {
    const { ctx } = chart;
    chart.$whiskers = [];
    chart.data.datasets.forEach((d, i) => {
      if (!d.whiskers) return;
      const meta = chart.getDatasetMeta(i);
      if (meta.hidden) return;
      const horizontal = chart.options.indexAxis === "y";
      const valueScale = horizontal ? chart.scales.x : chart.scales.y;
      meta.data.forEach((point, j) => {
        const r = d.whiskers[j];
        if (!r || !r.ci95) return;
        const a = valueScale.getPixelForValue(r.ci95[0]);
        const b = valueScale.getPixelForValue(r.ci95[1]);
        const color = Array.isArray(d.borderColor) ? d.borderColor[j] : d.borderColor;
        ctx.save();
        ctx.strokeStyle = color;
        ctx.lineWidth = 1.5;
        ctx.beginPath();
        if (horizontal) {
          ctx.moveTo(a, point.y); ctx.lineTo(b, point.y);
          ctx.moveTo(a, point.y - 5); ctx.lineTo(a, point.y + 5);
          ctx.moveTo(b, point.y - 5); ctx.lineTo(b, point.y + 5);
        } else {
          ctx.moveTo(point.x, a); ctx.lineTo(point.x, b);
          ctx.moveTo(point.x - 5, a); ctx.lineTo(point.x + 5, a);
          ctx.moveTo(point.x - 5, b); ctx.lineTo(point.x + 5, b);
        }
        ctx.stroke();
        ctx.restore();
        chart.$whiskers.push({ dataset: d.label, index: j, from: Math.min(a, b), to: Math.max(a, b) });
      });
    });
  },
};

/** Rate over time per series: band + whiskers for the interval, low-sample points hollow triangles on a dashed line. */
export function rateSeriesChart(canvas, periods, series, options = {}) {
  const datasets = [];
  series.forEach((s, i) => {
    const color = s.color || PALETTE[i % PALETTE.length];
    const byPeriod = new Map(s.points.map((p) => [p.period, p.rate]));
    const rates = periods.map((p) => byPeriod.get(p) || null);
    const isLow = rates.map((r) => Boolean(r && r.lowSample));
    datasets.push({
      label: s.name + " 95% interval (high)", data: rates.map((r) => (r && r.ci95 ? r.ci95[1] : null)),
      borderWidth: 0, pointRadius: 0, pointHitRadius: 0, fill: "+1", backgroundColor: alpha(color, 0.16), spanGaps: true, band: true,
    });
    datasets.push({
      label: s.name + " 95% interval (low)", data: rates.map((r) => (r && r.ci95 ? r.ci95[0] : null)),
      borderWidth: 0, pointRadius: 0, pointHitRadius: 0, fill: false, spanGaps: true, band: true,
    });
    datasets.push({
      label: s.name, data: rates.map((r) => (r ? r.value : null)), rates, whiskers: rates,
      borderColor: color, backgroundColor: color, borderWidth: 2, spanGaps: true,
      pointStyle: isLow.map((l) => (l ? "triangle" : "circle")),
      pointRadius: isLow.map((l) => (l ? 6 : 3.5)),
      pointBorderWidth: isLow.map((l) => (l ? 2 : 1)),
      pointBackgroundColor: isLow.map((l) => (l ? LOW_FILL : color)),
      pointBorderColor: color,
      segment: { borderDash: (ctx) => (isLow[ctx.p0DataIndex] || isLow[ctx.p1DataIndex] ? [5, 4] : undefined) },
    });
  });
  return makeChart(canvas, {
    type: "line",
    data: { labels: periods, datasets },
    plugins: [whiskerPlugin],
    options: {
      responsive: true, maintainAspectRatio: false, animation: false, layout: { padding: { top: 8, right: 12, left: 4 } },
      interaction: { mode: "index", intersect: false },
      scales: { y: percentAxis(options.yTitle || ""), x: { offset: periods.length < 3, ticks: { maxRotation: 0, autoSkip: true, autoSkipPadding: 12 } } },
      plugins: {
        legend: { display: series.length > 1, labels: { usePointStyle: true, filter: (item) => !item.text.includes("95% interval") } },
        title: { display: Boolean(options.title), text: options.title, align: "start", font: { size: 14, weight: "600" }, color: "#1f2937" },
        tooltip: {
          filter: (item) => !item.dataset.band,
          callbacks: { label: (ctx) => rateTooltip(ctx.dataset.label, ctx.dataset.rates && ctx.dataset.rates[ctx.dataIndex]) },
        },
      },
    },
  });
}

/** A rate with its interval per category, horizontal: whisker from low to high, the rate as a circle (hollow triangle when low sample). */
export function intervalChart(canvas, items, options = {}) {
  const colorOf = (i) => (i.rate && i.rate.lowSample ? "#6b7280" : "#0072B2");
  const rates = items.map((i) => i.rate);
  return makeChart(canvas, {
    type: "line",
    data: {
      labels: items.map((i) => i.name),
      datasets: [{
        label: options.rateLabel || "Win rate", data: rates.map((r) => (r ? r.value : null)), rates, whiskers: rates,
        showLine: false, pointRadius: 6, pointBorderWidth: 2,
        pointStyle: rates.map((r) => (r && r.lowSample ? "triangle" : "circle")),
        pointBackgroundColor: items.map((i) => (i.rate && i.rate.lowSample ? LOW_FILL : colorOf(i))),
        borderColor: items.map(colorOf), pointBorderColor: items.map(colorOf), backgroundColor: "#0072B2",
      }],
    },
    plugins: [whiskerPlugin],
    options: {
      indexAxis: "y", responsive: true, maintainAspectRatio: false, animation: false,
      scales: { x: percentAxis(options.axisTitle || "Win rate"), y: { offset: true, ticks: { autoSkip: false } } },
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: (ctx) => rateTooltip("", items[ctx.dataIndex].rate) } },
      },
    },
  });
}

export function barChart(canvas, labels, datasets, options = {}) {
  return makeChart(canvas, {
    type: "bar",
    data: { labels, datasets: datasets.map((d, i) => Object.assign({ backgroundColor: PALETTE[i % PALETTE.length] }, d)) },
    options: {
      indexAxis: options.horizontal ? "y" : "x", responsive: true, maintainAspectRatio: false, animation: false,
      scales: {
        x: Object.assign({ stacked: Boolean(options.stacked), ticks: { autoSkip: false } }, options.x || {}),
        y: Object.assign({ stacked: Boolean(options.stacked), ticks: { autoSkip: false } }, options.y || {}),
      },
      plugins: {
        legend: { display: datasets.length > 1, position: "bottom" },
        tooltip: options.tooltip ? { callbacks: { label: options.tooltip } } : {},
      },
    },
  });
}

/** Share of deals per period for some categories; periods where a category rose significantly are stars. */
export function shareChart(canvas, periods, series) {
  return makeChart(canvas, {
    type: "line",
    data: {
      labels: periods,
      datasets: series.map((s, i) => {
        const color = PALETTE[i % PALETTE.length];
        return {
          label: s.name, data: s.values, rising: s.rising, borderColor: color, backgroundColor: color, borderWidth: 2,
          pointStyle: s.rising.map((r) => (r ? "star" : "circle")),
          pointRadius: s.rising.map((r) => (r ? 9 : 2.5)),
          pointBorderWidth: s.rising.map((r) => (r ? 2 : 1)),
        };
      }),
    },
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      interaction: { mode: "index", intersect: false },
      scales: { y: { min: 0, ticks: { callback: (v) => Math.round(v * 100) + "%" }, title: { display: true, text: "Share of deals" } } },
      plugins: {
        legend: { position: "bottom", labels: { usePointStyle: true, pointStyle: "line" } },
        tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label}: ${pct(ctx.parsed.y)}${ctx.dataset.rising[ctx.dataIndex] ? " ★ rising" : ""}` } },
      },
    },
  });
}

// Legend swatches: small SVGs drawing the same marks as the charts (same shapes, fills and dashes).
const SVG = "http://www.w3.org/2000/svg";
function svg(width, ...shapes) {
  const s = document.createElementNS(SVG, "svg");
  s.setAttribute("width", String(width)); s.setAttribute("height", "14"); s.setAttribute("viewBox", `0 0 ${width} 14`);
  s.setAttribute("aria-hidden", "true"); s.setAttribute("class", "swatch");
  for (const [tag, attrs] of shapes) {
    const n = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
    s.append(n);
  }
  return s;
}
const COLOR = PALETTE[0];
export const swatches = {
  rate: () => svg(28, ["line", { x1: 0, y1: 7, x2: 28, y2: 7, stroke: COLOR, "stroke-width": 2 }], ["circle", { cx: 14, cy: 7, r: 3.5, fill: COLOR, stroke: COLOR, "data-mark": "rate" }]),
  interval: () => svg(28, ["rect", { x: 0, y: 1, width: 28, height: 12, fill: alpha(COLOR, 0.16) }], ["line", { x1: 14, y1: 1, x2: 14, y2: 13, stroke: COLOR, "stroke-width": 1.5 }],
    ["line", { x1: 9, y1: 1, x2: 19, y2: 1, stroke: COLOR, "stroke-width": 1.5 }], ["line", { x1: 9, y1: 13, x2: 19, y2: 13, stroke: COLOR, "stroke-width": 1.5 }]),
  low: () => svg(28, ["line", { x1: 0, y1: 8, x2: 28, y2: 8, stroke: COLOR, "stroke-width": 2, "stroke-dasharray": "5 4" }],
    ["polygon", { points: "14,2 20,12 8,12", fill: LOW_FILL, stroke: COLOR, "stroke-width": 2, "data-mark": "low" }]),
  rising: () => svg(16, ["polygon", { points: "8,0 10,5.5 16,5.5 11,9 13,14 8,11 3,14 5,9 0,5.5 6,5.5", fill: PALETTE[0], stroke: PALETTE[0], "data-mark": "rising" }]),
};

/** The legend of every rate chart: rate, 95% interval, low sample — with the marks the charts draw. */
export const rateLegend = () => el("p", { class: "legend-note" },
  el("span", { class: "legend-item" }, swatches.rate(), " rate"),
  el("span", { class: "legend-item" }, swatches.interval(), " 95% interval (Wilson)"),
  el("span", { class: "legend-item" }, swatches.low(), " low sample: fewer deals than the minimum sample"));

// WinLoss trends dashboard (contract section 7). Plain JavaScript, no build step; charts by the vendored Chart.js.
// All view state (view, filters, competitor, by, outcome) lives in the query string: a view is a shareable link,
// and the back button walks through filter changes. No inline scripts or styles (Content-Security-Policy 'self').
'use strict';

(function () {
  const API = '/api/v1';
  const KEY_STORAGE = 'winloss.apiKey';
  const FILTERS = ['from', 'to', 'granularity', 'segment', 'region', 'product', 'stage', 'minSample'];
  const VIEWS = ['overview', 'competitors', 'competitor', 'messages', 'reasons', 'leads', 'triage'];
  const STAGES = ['qualification', 'discovery', 'demo', 'proposal', 'negotiation', 'closing'];
  const SEGMENTS = ['smb', 'mid_market', 'enterprise'];
  const LABELS = {
    smb: 'SMB', mid_market: 'Mid-market', enterprise: 'Enterprise',
    qualification: 'Qualification', discovery: 'Discovery', demo: 'Demo', proposal: 'Proposal',
    negotiation: 'Negotiation', closing: 'Closing',
    lost: 'Lost', won: 'Won', no_decision: 'No decision',
  };
  // Colour-blind-safe palette (Okabe–Ito, darkened where needed for 3:1 contrast on white).
  const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#8a6d00', '#56B4E9', '#6b4c9a', '#444444', '#b8860b', '#117733'];

  const $ = (sel, root = document) => root.querySelector(sel);
  const charts = [];
  let me = null;
  let renderToken = 0;

  // ---------------------------------------------------------------- state in the URL

  function readState() {
    const q = new URLSearchParams(location.search);
    const state = { view: q.get('view') || 'overview' };
    if (!VIEWS.includes(state.view)) state.view = 'overview';
    for (const f of FILTERS) state[f] = q.get(f) || '';
    if (!state.granularity) state.granularity = 'month';
    if (!q.has('from')) state.from = defaultFrom();
    state.competitor = q.get('competitor') || '';
    state.by = q.get('by') || '';
    state.outcome = q.get('outcome') || '';
    return state;
  }

  // Without a from in the URL: the last twelve months (from the first day of the month eleven months ago).
  function defaultFrom() {
    const d = new Date();
    const first = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 11, 1));
    return first.toISOString().slice(0, 10);
  }

  function stateUrl(state) {
    const q = new URLSearchParams();
    q.set('view', state.view);
    for (const f of FILTERS) if (state[f] && !(f === 'from' && state.from === defaultFrom())) q.set(f, state[f]);
    if (state.view === 'competitor' && state.competitor) q.set('competitor', state.competitor);
    if (state.view === 'messages' && state.by) q.set('by', state.by);
    if (state.view === 'reasons' && state.by) q.set('by', state.by);
    if (state.view === 'reasons' && state.outcome) q.set('outcome', state.outcome);
    return location.pathname + '?' + q.toString();
  }

  function navigate(changes) {
    const next = Object.assign(readState(), changes);
    const url = stateUrl(next);
    if (url !== location.pathname + location.search) history.pushState(null, '', url);
    render();
  }

  function apiQuery(state, extra) {
    const q = new URLSearchParams();
    for (const f of FILTERS) if (state[f]) q.set(f, state[f]);
    for (const [k, v] of Object.entries(extra || {})) if (v !== undefined && v !== null && v !== '') q.set(k, v);
    const s = q.toString();
    return s ? '?' + s : '';
  }

  // ---------------------------------------------------------------- API access

  class ApiError extends Error {
    constructor(status, problem) {
      super((problem && (problem.detail || problem.title)) || ('HTTP ' + status));
      this.status = status;
      this.problem = problem;
    }
  }

  function key() { return localStorage.getItem(KEY_STORAGE) || ''; }

  async function api(path, options = {}) {
    const headers = Object.assign({ Authorization: 'Bearer ' + key() }, options.headers || {});
    const response = await fetch(API + path, Object.assign({}, options, { headers }));
    if (response.status === 401) {
      signOut('Your key was not accepted. Paste a valid API key.');
      throw new ApiError(401, null);
    }
    if (!response.ok) {
      let problem = null;
      try { problem = await response.json(); } catch (_) { /* not JSON */ }
      throw new ApiError(response.status, problem);
    }
    if (options.raw) return response;
    if (response.status === 204) return null;
    return response.json();
  }

  async function downloadCsv(path, filename) {
    const sep = path.includes('?') ? '&' : '?';
    const response = await api(path + sep + 'format=csv', { raw: true, headers: { Accept: 'text/csv' } });
    const blob = await response.blob();
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = filename;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  // ---------------------------------------------------------------- response shapes (contract section 5)

  function rowsOf(json, ...keys) {
    if (Array.isArray(json)) return json;
    if (!json || typeof json !== 'object') return [];
    for (const k of keys.concat(['rows', 'items', 'data', 'results'])) if (Array.isArray(json[k])) return json[k];
    return [];
  }

  // A rate: {value, n, ci95: [low, high], lowSample}, from either a nested object or flat fields on the row.
  function rateOf(row, name) {
    const v = row ? row[name] : null;
    if (v === null || v === undefined) return null;
    if (typeof v === 'number') {
      return {
        value: v,
        n: pick(row, name + 'N', 'n'),
        ci95: pick(row, name + 'Ci95', 'ci95'),
        lowSample: Boolean(pick(row, name + 'LowSample', 'lowSample')),
      };
    }
    return { value: pick(v, 'value', 'rate', 'estimate', 'p'), n: v.n, ci95: v.ci95 || null, lowSample: Boolean(v.lowSample) };
  }

  // The value of a rate or plain number field.
  function val(row, name) {
    const r = rateOf(row, name);
    return r ? r.value : null;
  }

  function pick(obj, ...names) {
    if (!obj) return undefined;
    for (const n of names) if (obj[n] !== undefined && obj[n] !== null) return obj[n];
    return undefined;
  }

  const periodOf = row => pick(row, 'period', 'label', 'bucket') ?? null;
  const isOverall = row => periodOf(row) === null || periodOf(row) === 'overall' || periodOf(row) === 'all' || row.overall === true;
  function competitorName(row) {
    const c = row.competitor;
    if (c && typeof c === 'object') return c.name;
    return c ?? row.competitorName ?? null;
  }
  function competitorId(row) {
    const c = row.competitor;
    if (c && typeof c === 'object') return c.id ?? null;
    return row.competitorId ?? null;
  }
  function groupKey(row, by) { return pick(row, by, 'group', 'key', 'value') ?? null; }
  function label(code) {
    if (code === null || code === undefined || code === '') return '(not given)';
    return LABELS[code] || String(code).replace(/_/g, ' ').replace(/^./, c => c.toUpperCase());
  }

  // ---------------------------------------------------------------- formatting

  function pct(v, digits = 1) {
    if (v === null || v === undefined || Number.isNaN(v)) return '–';
    return (v * 100).toFixed(digits) + '%';
  }
  function ci(rate) {
    if (!rate || !rate.ci95) return '';
    return pct(rate.ci95[0]) + '–' + pct(rate.ci95[1]);
  }
  function plural(n, word) { return `${num(n)} ${word}${n === 1 ? '' : 's'}`; }
  function num(v) { return v === null || v === undefined ? '–' : Number(v).toLocaleString('en-US'); }
  const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
  // Money is summed per currency ({"USD": 120000, "EUR": 5000}): one compact line per currency, largest first.
  function money(m) {
    if (m === null || m === undefined) return '–';
    if (typeof m === 'number') return compact.format(m);
    const parts = Object.entries(m).filter(([, v]) => v).sort((a, b) => b[1] - a[1]);
    if (!parts.length) return '–';
    return el('span', { class: 'money', title: parts.map(([c, v]) => c + ' ' + num(v)).join(', ') },
      parts.map(([c, v]) => el('span', {}, c + ' ' + compact.format(v))));
  }
  function points(v) {
    if (v === null || v === undefined) return '–';
    const p = v * 100;
    return (p > 0 ? '+' : p < 0 ? '−' : '±') + Math.abs(p).toFixed(1) + ' pts';
  }

  // ---------------------------------------------------------------- DOM helpers

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') node.className = v;
      else if (k === 'text') node.textContent = v;
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) node.append(c.nodeType ? c : document.createTextNode(String(c)));
    return node;
  }

  function panel(title, options, ...body) {
    const id = 'p-' + title.toLowerCase().replace(/[^a-z0-9]+/g, '-');
    const head = el('div', { class: 'panel-head' }, el('h2', { id }, title));
    if (options.csv) {
      head.append(el('button', {
        type: 'button', class: 'secondary csv', 'data-csv': options.csv.path,
        'aria-label': 'Download CSV: ' + title,
        onclick: async (e) => {
          const btn = e.currentTarget;
          btn.disabled = true;
          try { await downloadCsv(options.csv.path, options.csv.file); }
          catch (err) { setStatus('CSV download failed: ' + err.message, true); }
          finally { btn.disabled = false; }
        },
      }, 'Download CSV'));
    }
    const section = el('section', { class: 'panel' + (options.wide ? ' wide' : ''), 'aria-labelledby': id }, head);
    if (options.note) section.append(el('p', { class: 'note' }, options.note));
    section.append(...body.flat());
    return section;
  }

  function table(caption, columns, rows, options = {}) {
    const t = el('table', { class: 'data' + (options.class ? ' ' + options.class : '') });
    t.append(el('caption', { class: options.showCaption ? '' : 'sr-only' }, caption));
    t.append(el('thead', {}, el('tr', {}, columns.map(c => el('th', { scope: 'col', class: c.num ? 'num' : '' }, c.title)))));
    const tbody = el('tbody');
    for (const r of rows) {
      tbody.append(el('tr', options.rowAttrs ? options.rowAttrs(r) : {}, columns.map((c, i) => {
        const v = c.cell(r);
        const attrs = { class: (c.num ? 'num' : '') + (c.cls ? ' ' + c.cls(r) : '') };
        if (c.key) attrs['data-col'] = c.key;
        return i === 0 ? el('th', Object.assign(attrs, { scope: 'row' }), v) : el('td', attrs, v);
      })));
    }
    if (!rows.length) tbody.append(el('tr', {}, el('td', { colspan: columns.length, class: 'empty' }, 'No data for these filters.')));
    t.append(tbody);
    return el('div', { class: 'table-wrap' }, t);
  }

  function rateCell(rate) {
    if (!rate) return '–';
    const parts = [el('span', { class: 'rate' }, pct(rate.value))];
    if (rate.ci95) parts.push(el('span', { class: 'ci' }, ' ' + ci(rate)));
    if (rate.lowSample) parts.push(' ', el('span', { class: 'badge low', title: 'Fewer deals than the minimum sample' }, 'low sample'));
    return el('span', {}, parts);
  }

  function chartBox(labelText, height, name) {
    const canvas = el('canvas', { role: 'img', 'aria-label': labelText, 'data-chart': name || null });
    return { box: el('div', { class: 'chart' + (height ? ' h-' + height : '') }, canvas), canvas };
  }

  function setStatus(text, isError) {
    const s = $('#status');
    s.textContent = text || '';
    s.classList.toggle('error', Boolean(isError));
  }

  function destroyCharts() {
    while (charts.length) charts.pop().destroy();
  }

  function makeChart(canvas, config) {
    if (typeof Chart === 'undefined') return null;
    if (!config.data.labels.length) { canvas.parentElement.hidden = true; return null; } // the table says "no data"
    const chart = new Chart(canvas, config);
    charts.push(chart);
    return chart;
  }

  function alpha(hex, a) {
    const n = parseInt(hex.slice(1), 16);
    return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
  }

  // ---------------------------------------------------------------- chart builders

  const percentAxis = (title) => ({
    min: 0, max: 1,
    ticks: { callback: v => Math.round(v * 100) + '%' },
    title: { display: Boolean(title), text: title },
  });

  // Rate over time: the 95% interval as a band, the rate as a line; low-sample periods drawn as hollow
  // triangles on a dashed segment.
  function rateSeriesChart(canvas, periods, series, options = {}) {
    const datasets = [];
    series.forEach((s, i) => {
      const color = s.color || PALETTE[i % PALETTE.length];
      const byPeriod = new Map(s.points.map(p => [p.period, p.rate]));
      const rates = periods.map(p => byPeriod.get(p) || null);
      const low = rates.map(r => (r && r.ci95 ? r.ci95[0] : null));
      const high = rates.map(r => (r && r.ci95 ? r.ci95[1] : null));
      const isLow = rates.map(r => Boolean(r && r.lowSample));
      datasets.push({
        label: s.name + ' 95% interval (high)', data: high, borderWidth: 0, pointRadius: 0, pointHitRadius: 0,
        fill: '+1', backgroundColor: alpha(color, 0.16), spanGaps: true, band: true,
      });
      datasets.push({
        label: s.name + ' 95% interval (low)', data: low, borderWidth: 0, pointRadius: 0, pointHitRadius: 0,
        fill: false, spanGaps: true, band: true,
      });
      datasets.push({
        label: s.name, data: rates.map(r => (r ? r.value : null)), rates,
        borderColor: color, backgroundColor: color, borderWidth: 2, spanGaps: true,
        pointStyle: isLow.map(l => (l ? 'triangle' : 'circle')),
        pointRadius: isLow.map(l => (l ? 5 : 3)),
        pointBackgroundColor: isLow.map(l => (l ? '#ffffff' : color)),
        pointBorderColor: color,
        segment: { borderDash: ctx => (isLow[ctx.p0DataIndex] || isLow[ctx.p1DataIndex] ? [5, 4] : undefined) },
      });
    });
    return makeChart(canvas, {
      type: 'line',
      data: { labels: periods, datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false, layout: { padding: { top: 8, right: 8 } },
        interaction: { mode: 'index', intersect: false },
        scales: { y: percentAxis(options.yTitle || ''), x: { ticks: { maxRotation: 0, autoSkip: true, autoSkipPadding: 12 } } },
        plugins: {
          legend: { display: series.length > 1 || Boolean(options.legend), labels: { filter: item => !item.text.includes('95% interval') } },
          title: { display: Boolean(options.title), text: options.title, align: 'start', font: { size: 14, weight: '600' }, color: '#1f2937' },
          tooltip: {
            filter: item => !item.dataset.band,
            callbacks: {
              label: ctx => {
                const r = ctx.dataset.rates && ctx.dataset.rates[ctx.dataIndex];
                if (!r) return ctx.dataset.label + ': –';
                return `${ctx.dataset.label}: ${pct(r.value)} (95% CI ${ci(r)}, n=${r.n ?? '?'})${r.lowSample ? ' — low sample' : ''}`;
              },
            },
          },
        },
      },
    });
  }

  // A rate with its interval per category, horizontal: a floating bar from low to high and a point at the rate.
  function intervalChart(canvas, items, options = {}) {
    const labels = items.map(i => i.name);
    return makeChart(canvas, {
      type: 'bar',
      data: {
        labels,
        datasets: [
          {
            type: 'line', label: options.rateLabel || 'Win rate', data: items.map(i => (i.rate ? i.rate.value : null)),
            showLine: false, pointRadius: 6, pointStyle: items.map(i => (i.rate && i.rate.lowSample ? 'triangle' : 'circle')),
            pointBackgroundColor: items.map(i => (i.rate && i.rate.lowSample ? '#ffffff' : '#0b3c5d')), pointBorderColor: '#0b3c5d',
            rates: items.map(i => i.rate), order: 0,
          },
          {
            type: 'bar', label: '95% interval', data: items.map(i => (i.rate && i.rate.ci95 ? [i.rate.ci95[0], i.rate.ci95[1]] : null)),
            backgroundColor: items.map(i => alpha(i.rate && i.rate.lowSample ? '#9ca3af' : '#0072B2', 0.35)),
            borderColor: items.map(i => (i.rate && i.rate.lowSample ? '#6b7280' : '#0072B2')), borderWidth: 1,
            barPercentage: 0.5, order: 1,
          },
        ],
      },
      options: {
        indexAxis: 'y', responsive: true, maintainAspectRatio: false, animation: false,
        scales: { x: percentAxis(options.axisTitle || 'Win rate'), y: { ticks: { autoSkip: false } } },
        plugins: {
          legend: { display: true, position: 'bottom' },
          tooltip: {
            callbacks: {
              label: ctx => {
                const r = items[ctx.dataIndex].rate;
                if (!r) return '–';
                return `${pct(r.value)} (95% CI ${ci(r)}, n=${r.n ?? '?'})${r.lowSample ? ' — low sample' : ''}`;
              },
            },
          },
        },
      },
    });
  }

  function barChart(canvas, labels, datasets, options = {}) {
    return makeChart(canvas, {
      type: 'bar',
      data: { labels, datasets: datasets.map((d, i) => Object.assign({ backgroundColor: PALETTE[i % PALETTE.length] }, d)) },
      options: {
        indexAxis: options.horizontal ? 'y' : 'x', responsive: true, maintainAspectRatio: false, animation: false,
        scales: {
          x: Object.assign({ stacked: Boolean(options.stacked), ticks: { autoSkip: false } }, options.x || {}),
          y: Object.assign({ stacked: Boolean(options.stacked), ticks: { autoSkip: false } }, options.y || {}),
        },
        plugins: {
          legend: { display: datasets.length > 1, position: 'bottom' },
          tooltip: options.tooltip ? { callbacks: { label: options.tooltip } } : {},
        },
      },
    });
  }

  const lowSampleLegend = () => el('p', { class: 'legend-note' },
    el('span', { class: 'key line' }), ' rate  ', el('span', { class: 'key band' }), ' 95% interval (Wilson)  ',
    el('span', { class: 'key tri' }), ' low sample (fewer deals than the minimum sample; dashed line)');

  // ---------------------------------------------------------------- views

  async function viewOverview(state, root) {
    const q = apiQuery(state);
    const [objections, alerts] = await Promise.all([
      api('/trends/objections' + q),
      api('/trends/alerts' + q).catch(e => (e.status === 404 ? null : Promise.reject(e))),
    ]);

    // Alerts first.
    const alertRows = rowsOf(alerts, 'alerts');
    const alertList = el('ul', { class: 'alerts', id: 'alerts' });
    for (const a of alertRows) alertList.append(el('li', { class: 'alert' }, alertText(a)));
    if (!alertRows.length) alertList.append(el('li', { class: 'empty' }, alerts === null ? 'Alerts are not available on this server yet.' : 'No alerts: nothing changed beyond what chance explains in the latest period.'));
    root.append(panel('Alerts', { wide: true, csv: alerts === null ? null : { path: '/trends/alerts' + q, file: 'alerts.csv' }, note: alerts && alerts.falseDiscoveryControl }, alertList));

    // Rising objections: the latest period's share vs the one before.
    const rows = rowsOf(objections, 'categories').filter(r => !isOverall(r));
    const periods = [...new Set(rows.map(periodOf))].sort();
    const latest = periods[periods.length - 1];
    const previous = periods[periods.length - 2];
    const byCat = new Map();
    for (const r of rows) {
      if (!byCat.has(r.category)) byCat.set(r.category, new Map());
      byCat.get(r.category).set(periodOf(r), r);
    }
    const latestRows = [...byCat.entries()].map(([category, m]) => ({ category, now: m.get(latest) || null, before: m.get(previous) || null }))
      .filter(x => x.now)
      .sort((a, b) => Number(Boolean(b.now.rising)) - Number(Boolean(a.now.rising)) || (b.now.z ?? -99) - (a.now.z ?? -99) || (val(b.now, 'share') ?? 0) - (val(a.now, 'share') ?? 0));

    const rising = latestRows.filter(x => x.now.rising);
    const summary = latest
      ? `${rising.length} of ${latestRows.length} objection categories rose significantly in ${latest}` + (previous ? ` compared with ${previous}` : '') + ' (one-sided z ≥ 1.645).'
      : 'No objections in this date range.';
    const objTable = table('Objections in the latest period', [
      { title: 'Objection', key: 'category', cell: x => el('span', {}, label(x.category), x.now.rising ? el('span', { class: 'badge up' }, 'rising') : '') },
      { title: `Share ${latest || ''}`, key: 'share', num: true, cell: x => pct(val(x.now, 'share')) },
      { title: `Share ${previous || 'before'}`, key: 'previous', num: true, cell: x => (x.before ? pct(val(x.before, 'share')) : '–') },
      { title: 'Change', key: 'delta', num: true, cell: x => points(x.now.delta) },
      { title: 'z', key: 'z', num: true, cell: x => (x.now.z === null || x.now.z === undefined ? '–' : x.now.z.toFixed(2)) },
      { title: 'Deals', key: 'deals', num: true, cell: x => num(x.now.deals) },
      { title: 'Reps', key: 'reps', num: true, cell: x => num(x.now.reps) },
      { title: 'Overcome', key: 'overcome', num: true, cell: x => pct(val(x.now, 'overcomeRate')) },
      { title: 'Revenue at risk', key: 'revenue', num: true, cell: x => money(x.now.revenueAtRisk) },
    ], latestRows, { rowAttrs: x => ({ 'data-category': x.category, class: x.now.rising ? 'is-rising' : '' }) });

    const top = latestRows.slice(0, 6).map(x => x.category);
    const { box, canvas } = chartBox('Share of deals raising each objection, per period: ' + top.map(label).join(', '), null, 'objection-share');
    root.append(panel('Rising objections', { wide: true, csv: { path: '/trends/objections' + q, file: 'objections.csv' }, note: summary },
      objTable, box));
    barLineShare(canvas, periods, top, byCat);
  }

  function barLineShare(canvas, periods, categories, byCat) {
    makeChart(canvas, {
      type: 'line',
      data: {
        labels: periods,
        datasets: categories.map((c, i) => ({
          label: label(c), data: periods.map(p => (byCat.get(c).get(p) ? val(byCat.get(c).get(p), 'share') : 0)),
          borderColor: PALETTE[i % PALETTE.length], backgroundColor: PALETTE[i % PALETTE.length], borderWidth: 2,
          pointStyle: periods.map(p => (byCat.get(c).get(p) && byCat.get(c).get(p).rising ? 'star' : 'circle')),
          pointRadius: periods.map(p => (byCat.get(c).get(p) && byCat.get(c).get(p).rising ? 8 : 2)),
        })),
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        interaction: { mode: 'index', intersect: false },
        scales: { y: { min: 0, ticks: { callback: v => Math.round(v * 100) + '%' }, title: { display: true, text: 'Share of deals' } } },
        plugins: { legend: { position: 'bottom' }, tooltip: { callbacks: { label: ctx => `${ctx.dataset.label}: ${pct(ctx.parsed.y)}` } } },
      },
    });
  }

  // An alert as before → after with n, its one-sentence meaning, the evidence, and a link to its chart (issue 18).
  function alertText(a) {
    if (typeof a === 'string') return a;
    if (a.summary) {
      const kind = a.kind === 'win_rate_falling' ? 'Win rate falling' : a.kind === 'objection' ? 'Objection rising' : 'Named in more losses';
      const subject = a.category ? label(a.category) : (a.competitor ? a.competitor.name : '');
      const change = a.previous && a.current
        ? `${pct(a.previous.value)} (n = ${num(a.previous.n)}) → ${pct(a.current.value)} (n = ${num(a.current.n)})` : '';
      const evidence = a.q !== null && a.q !== undefined ? `q = ${Number(a.q).toFixed(3)}`
        : a.cusum ? `CUSUM ${Number(a.cusum.statistic).toFixed(2)} ≥ ${Number(a.cusum.h).toFixed(2)}` : '';
      const shrunk = a.winRate ? `win rate this period ${pct(a.winRate.raw)} of ${num(a.winRate.decided)}, ${pct(a.winRate.shrunk)} allowing for the sample (${pct(a.winRate.interval[0])}–${pct(a.winRate.interval[1])})` : '';
      const id = a.competitor && a.competitor.id;
      const href = a.kind === 'objection' ? '#p-rising-objections'
        : stateUrl(Object.assign(readState(), id ? { view: 'competitor', competitor: String(id) } : { view: 'competitors' }));
      return el('div', { class: 'alert-body', 'data-kind': a.kind },
        el('strong', {}, `${kind}: ${subject}`), ' ', el('span', { class: 'change' }, change),
        el('p', { class: 'alert-summary' }, a.summary),
        el('p', { class: 'muted' }, [evidence, shrunk].filter(Boolean).join(' · '), ' ', el('a', { href, 'aria-label': 'See the chart: ' + subject }, 'See the chart')));
    }
    const parts = [];
    const kind = pick(a, 'kind', 'type');
    const subject = pick(a, 'subject', 'category', 'competitorName', 'name') ?? (a.competitor && typeof a.competitor === 'object' ? a.competitor.name : a.competitor);
    parts.push(el('strong', {}, (kind ? label(kind) + ': ' : '') + (subject ? label(subject) : '')));
    if (a.delta !== undefined) parts.push(' ' + points(a.delta));
    if (a.z !== undefined && a.z !== null) parts.push(el('span', { class: 'muted' }, ` (z = ${Number(a.z).toFixed(2)})`));
    return el('span', {}, parts);
  }


  async function viewCompetitors(state, root) {
    const q = apiQuery(state);
    const json = await api('/trends/competitors' + q);
    const rows = rowsOf(json, 'competitors');
    const overall = rowsOf(json && json.overall ? json.overall : []).concat(rows.filter(isOverall));
    const series = rows.filter(r => !isOverall(r));
    const periods = [...new Set(series.map(periodOf))].sort();
    const keyOf = r => (competitorId(r) ?? 'none:' + (competitorName(r) ?? ''));

    const totals = overall.slice().sort((a, b) => (b.deals ?? 0) - (a.deals ?? 0));
    const tableEl = table('Win rate by competitor over the whole range', [
      { title: 'Competitor', key: 'competitor', cell: r => competitorLink(r) },
      { title: 'Deals', key: 'deals', num: true, cell: r => num(r.deals) },
      { title: 'Won', key: 'won', num: true, cell: r => num(r.won) },
      { title: 'Lost', key: 'lost', num: true, cell: r => num(r.lost) },
      { title: 'No decision', key: 'noDecision', num: true, cell: r => num(r.noDecision) },
      { title: 'Win rate (95% CI)', key: 'winRate', num: true, cell: r => rateCell(rateOf(r, 'winRate')) },
      { title: 'No-decision rate', key: 'noDecisionRate', num: true, cell: r => pct((rateOf(r, 'noDecisionRate') || {}).value) },
      { title: 'Revenue won', key: 'revenueWon', num: true, cell: r => money(r.revenueWon) },
      { title: 'Revenue lost', key: 'revenueLost', num: true, cell: r => money(r.revenueLost) },
    ], totals, { rowAttrs: r => ({ 'data-competitor': competitorName(r) ?? '(none named)' }) });

    const named = totals.filter(r => competitorId(r) !== null).slice(0, 6); // catalogue competitors, not unmatched names
    const grid = el('div', { class: 'multiples' });
    const pending = [];
    for (const [i, t] of named.entries()) {
      const k = keyOf(t);
      const points = series.filter(r => keyOf(r) === k).map(r => ({ period: periodOf(r), rate: rateOf(r, 'winRate') }));
      const { box, canvas } = chartBox(`Win rate against ${competitorName(t)} per ${state.granularity}, with 95% intervals`, null, 'winrate:' + competitorName(t));
      grid.append(box);
      pending.push(() => rateSeriesChart(canvas, periods, [{ name: competitorName(t), points, color: PALETTE[i % PALETTE.length] }], { title: competitorName(t), legend: false }));
    }
    if (!named.length) grid.append(el('p', { class: 'empty' }, 'No competitor was named in this date range.'));
    root.append(panel('Win rate against each competitor over time', {
      wide: true, csv: { path: '/trends/competitors' + q, file: 'competitor-trends.csv' },
      note: `The six catalogue competitors met most often, per ${state.granularity}. Win rate = won / (won + lost); no-decision deals are counted beside it, not as losses.`,
    }, lowSampleLegend(), grid));
    root.append(panel('All competitors', { wide: true }, tableEl));
    pending.forEach(f => f());
  }

  function competitorLink(r) {
    const name = competitorName(r);
    const id = competitorId(r);
    if (name === null) return el('span', { class: 'muted' }, '(none named)');
    if (id === null) return el('span', {}, name, ' ', el('span', { class: 'badge' }, 'unmatched'));
    return el('a', { href: stateUrl(Object.assign(readState(), { view: 'competitor', competitor: String(id) })), 'data-nav': 'competitor', 'data-id': String(id) }, name);
  }

  async function viewCompetitor(state, root) {
    if (!state.competitor) {
      root.append(panel('Head-to-head', {}, el('p', {}, 'Pick a competitor on the Competitors view.')));
      return;
    }
    const q = apiQuery(state);
    const path = `/competitors/${encodeURIComponent(state.competitor)}/profile` + q;
    let profile;
    try { profile = await api(path); }
    catch (e) {
      if (e.status !== 404) throw e;
      profile = await profileFromTrends(state, q);
      if (!profile) { root.append(panel('Head-to-head', {}, el('p', {}, 'No such competitor.'))); return; }
    }
    const name = pick(profile, 'name', 'competitorName') ?? (profile.competitor && profile.competitor.name) ?? 'Competitor';
    document.title = `WinLoss — ${name} head-to-head`;
    root.append(el('h1', { class: 'view-title' }, `Head-to-head: ${name}`));

    const series = rowsOf(pick(profile, 'winRateSeries', 'series', 'winRates', 'periods') || []).filter(r => !isOverall(r));
    const overallRate = rateOf(profile, 'winRate') || rateOf(profile.overall || {}, 'winRate');
    const periods = series.map(periodOf);
    const { box, canvas } = chartBox(`Win rate against ${name} per ${state.granularity}, with 95% intervals`, 'tall', 'h2h-winrate');
    root.append(panel('Win rate over time', {
      wide: true, csv: profile.partial ? { path: '/trends/competitors' + q, file: 'competitor-trends.csv' } : { path, file: `competitor-${state.competitor}-profile.csv` },
      note: overallRate ? `Over the whole range: ${pct(overallRate.value)} (95% CI ${ci(overallRate)}, n=${overallRate.n ?? '?'})${overallRate.lowSample ? ', low sample' : ''}.` : null,
    }, lowSampleLegend(), box));
    const after = [() => rateSeriesChart(canvas, periods, [{ name, points: series.map(r => ({ period: periodOf(r), rate: rateOf(r, 'winRate') })) }])];

    const reasons = rowsOf(pick(profile, 'topLossReasons', 'lossReasons', 'reasons') || []);
    const objections = rowsOf(pick(profile, 'topObjections', 'objections') || []);
    const rBox = chartBox(`Top loss reasons against ${name}`);
    const oBox = chartBox(`Top objections naming ${name}`);
    if (!profile.partial) root.append(panel('Top loss reasons', {}, rBox.box, table('Top loss reasons', [
      { title: 'Reason', key: 'category', cell: r => label(r.category) },
      { title: 'Deals', key: 'deals', num: true, cell: r => num(r.deals) },
      { title: 'Share', key: 'share', num: true, cell: r => pct(val(r, 'share')) },
    ], reasons)));
    root.append(panel('Top objections naming them', {}, oBox.box, table('Top objections', [
      { title: 'Objection', key: 'category', cell: r => label(r.category) },
      { title: 'Deals', key: 'deals', num: true, cell: r => num(r.deals) },
      { title: 'Mentions', key: 'mentions', num: true, cell: r => num(r.mentions) },
    ].concat(objections.some(r => val(r, 'share') !== null) ? [{ title: 'Share', key: 'share', num: true, cell: r => pct(val(r, 'share')) }] : []), objections)));
    if (!profile.partial) after.push(() => barChart(rBox.canvas, reasons.map(r => label(r.category)), [{ label: 'Deals', data: reasons.map(r => r.deals) }], { horizontal: true }));
    after.push(() => barChart(oBox.canvas, objections.map(r => label(r.category)), [{ label: 'Deals', data: objections.map(r => r.deals) }], { horizontal: true }));

    const segments = rowsOf(pick(profile, 'bySegment', 'segments') || []);
    const sBox = chartBox(`Win rate against ${name} by segment, with 95% intervals`);
    root.append(panel('By segment', {}, sBox.box, table('Win rate by segment', [
      { title: 'Segment', key: 'segment', cell: r => label(groupKey(r, 'segment')) },
      { title: 'Deals', key: 'deals', num: true, cell: r => num(r.deals) },
      { title: 'Win rate (95% CI)', key: 'winRate', num: true, cell: r => rateCell(rateOf(r, 'winRate')) },
    ], segments)));
    after.push(() => intervalChart(sBox.canvas, segments.map(r => ({ name: label(groupKey(r, 'segment')), rate: rateOf(r, 'winRate') }))));

    const messages = rowsOf(pick(profile, 'messages', 'resonatingMessages', 'messagesThatResonated') || []);
    const titles = messages.length ? await messageTitles() : new Map();
    if (!profile.partial) root.append(panel('Messages that resonated against them', {}, table('Messages that resonated', [
      { title: 'Message', key: 'message', cell: r => pick(r, 'title', 'messageTitle') ?? titles.get(pick(r, 'messageId', 'id')) ?? pick(r, 'messageId', 'id') },
      { title: 'Uses', key: 'uses', num: true, cell: r => num(r.uses) },
      { title: 'Resonated', key: 'resonated', num: true, cell: r => num(r.resonated) },
      { title: 'Resonance (95% CI)', key: 'resonanceRate', num: true, cell: r => rateCell(rateOf(r, 'resonanceRate')) },
    ], messages)));
    after.forEach(f => f());
  }

  // Where the server has no profile endpoint: the same head-to-head, composed from the competitor and objection
  // trends (objections filtered to this competitor, win rate per segment from three filtered queries).
  async function profileFromTrends(state, q) {
    const id = state.competitor;
    let competitor;
    try { competitor = await api(`/competitors/${encodeURIComponent(id)}`); }
    catch (e) { if (e.status === 404) return null; throw e; }
    const mine = r => String(competitorId(r)) === String(id);
    const segmentQuery = seg => apiQuery(Object.assign({}, state, { segment: seg }));
    const [trend, objections, ...segments] = await Promise.all([
      api('/trends/competitors' + q),
      api('/trends/objections' + apiQuery(state, { competitor: id })),
      ...(state.segment ? [state.segment] : SEGMENTS).map(seg => api('/trends/competitors' + segmentQuery(seg)).then(j => ({ seg, j }))),
    ]);
    const byCategory = new Map();
    for (const r of rowsOf(objections).filter(r => !isOverall(r))) {
      const x = byCategory.get(r.category) || { category: r.category, deals: 0, mentions: 0 };
      x.deals += r.deals || 0;
      x.mentions += r.mentions || 0;
      byCategory.set(r.category, x);
    }
    return {
      name: competitor.name,
      winRateSeries: rowsOf(trend).filter(r => !isOverall(r) && mine(r)),
      overall: rowsOf(trend.overall || []).find(mine) || null,
      topObjections: [...byCategory.values()].sort((a, b) => b.deals - a.deals).slice(0, 8),
      bySegment: segments.map(({ seg, j }) => Object.assign({ segment: seg }, rowsOf(j.overall || []).find(mine) || { deals: 0 })),
      partial: true,
    };
  }

  async function viewMessages(state, root) {
    const by = state.by === 'stage' ? 'stage' : 'segment';
    const q = apiQuery(state, { by });
    const [json, titles] = await Promise.all([api('/trends/messages' + q), messageTitles()]);
    const rows = rowsOf(json, 'messages');
    const groups = [...new Set(rows.map(r => groupKey(r, by)))].sort((a, b) => order(by, a) - order(by, b));
    const messageIds = [...new Set(rows.map(r => r.messageId ?? r.message ?? r.id))];
    const titleOf = new Map(rows.map(r => [r.messageId ?? r.message ?? r.id, pick(r, 'title', 'messageTitle') ?? titles.get(r.messageId ?? r.message ?? r.id) ?? (r.messageId ?? r.message ?? r.id)]));
    const cell = new Map(rows.map(r => [(r.messageId ?? r.message ?? r.id) + '|' + groupKey(r, by), r]));

    const toggle = el('div', { class: 'toggle', role: 'group', 'aria-label': 'Break down by' },
      ['segment', 'stage'].map(b => el('button', { type: 'button', class: b === by ? 'on' : '', 'aria-pressed': String(b === by), onclick: () => navigate({ by: b }) }, 'By ' + b)));

    const { box, canvas } = chartBox(`Win-rate lift when each message is used, by ${by}`, 'tall', 'message-lift');
    root.append(panel(`Message lift by ${by}`, {
      wide: true, csv: { path: '/trends/messages' + q, file: `messages-by-${by}.csv` },
      note: 'Lift = win rate on deals where the message was used − win rate where it was not, in percentage points.',
    }, toggle, box));

    const heat = el('table', { class: 'data heat', id: 'resonance' });
    heat.append(el('caption', { class: 'sr-only' }, `Resonance rate by message and ${by}`));
    heat.append(el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Message'), groups.map(g => el('th', { scope: 'col', class: 'num' }, label(g))))));
    const body = el('tbody');
    for (const m of messageIds) {
      body.append(el('tr', { 'data-message': m }, el('th', { scope: 'row' }, titleOf.get(m)), groups.map(g => {
        const r = cell.get(m + '|' + g);
        const rate = r ? rateOf(r, 'resonanceRate') : null;
        if (!rate || rate.value === null || rate.value === undefined) return el('td', { class: 'num heat-none' }, '–');
        const bucket = Math.max(0, Math.min(9, Math.floor(rate.value * 10)));
        return el('td', {
          class: `num heat-${bucket}${rate.lowSample ? ' heat-low' : ''}`,
          title: `${pct(rate.value)} resonated (95% CI ${ci(rate)}), ${r.uses ?? '?'} uses${rate.lowSample ? ', low sample' : ''}`,
        }, el('span', { class: 'rate' }, pct(rate.value, 0)), el('span', { class: 'n' }, ` n=${rate.n ?? r.uses ?? '?'}`));
      })));
    }
    if (!messageIds.length) body.append(el('tr', {}, el('td', { class: 'empty', colspan: groups.length + 1 }, 'No messages used in this date range.')));
    heat.append(body);
    root.append(panel(`Resonance by ${by}`, { wide: true, note: 'Share of uses where the message resonated with the buyer. Hatched cells: low sample.' },
      el('div', { class: 'table-wrap' }, heat)));

    barChart(canvas, messageIds.map(m => titleOf.get(m)), groups.map(g => ({
      label: label(g),
      data: messageIds.map(m => { const r = cell.get(m + '|' + g); return r && r.lift !== undefined && r.lift !== null ? r.lift : null; }),
    })), {
      y: { ticks: { callback: v => (v > 0 ? '+' : '') + Math.round(v * 100) + ' pts' }, title: { display: true, text: 'Win-rate lift' } },
      tooltip: ctx => `${ctx.dataset.label}: ${points(ctx.parsed.y)}`,
    });
  }

  // Message titles from the catalogue (the trend rows carry ids).
  async function messageTitles() {
    try { return new Map(rowsOf(await api('/catalog/messages')).map(m => [m.id, m.title])); }
    catch (e) { if (e.status === 401) throw e; return new Map(); }
  }

  function order(by, v) {
    const list = by === 'stage' ? STAGES : by === 'segment' ? SEGMENTS : [];
    const i = list.indexOf(v);
    return i < 0 ? 99 : i;
  }

  async function viewReasons(state, root) {
    const by = ['stage', 'segment', 'competitor'].includes(state.by) ? state.by : 'stage';
    const outcome = ['lost', 'no_decision', 'won'].includes(state.outcome) ? state.outcome : 'lost';
    const q = apiQuery(state, { by, outcome });
    const json = await api('/trends/reasons' + q);
    const rows = rowsOf(json, 'reasons');
    const groupOf = r => (by === 'competitor' ? (competitorName(r) ?? groupKey(r, by)) : groupKey(r, by));
    const groups = [...new Set(rows.map(groupOf))].sort((a, b) => order(by, a) - order(by, b));
    const categories = [...new Set(rows.map(r => r.category))];
    const totals = new Map(categories.map(c => [c, rows.filter(r => r.category === c).reduce((s, r) => s + (r.deals || 0), 0)]));
    categories.sort((a, b) => totals.get(b) - totals.get(a));

    const controls = el('div', { class: 'controls' },
      el('div', { class: 'toggle', role: 'group', 'aria-label': 'Outcome' },
        ['lost', 'no_decision', 'won'].map(o => el('button', { type: 'button', class: o === outcome ? 'on' : '', 'aria-pressed': String(o === outcome), onclick: () => navigate({ outcome: o }) }, label(o)))),
      el('div', { class: 'toggle', role: 'group', 'aria-label': 'Break down by' },
        ['stage', 'segment', 'competitor'].map(b => el('button', { type: 'button', class: b === by ? 'on' : '', 'aria-pressed': String(b === by), onclick: () => navigate({ by: b }) }, 'By ' + b))));
    const { box, canvas } = chartBox(`Reasons for ${label(outcome).toLowerCase()} deals by ${by}`, 'tall', 'reasons');
    root.append(panel(`Reasons for ${label(outcome).toLowerCase()} deals by ${by}`, {
      wide: true, csv: { path: '/trends/reasons' + q, file: `reasons-${outcome}-by-${by}.csv` },
      note: 'Deals citing each reason (a deal may cite several). Share = deals citing it / deals in that group with this outcome.',
    }, controls, box, table(`Reasons by ${by}`, [
      { title: label(by), key: 'group', cell: r => label(groupOf(r)) },
      { title: 'Reason', key: 'category', cell: r => label(r.category) },
      { title: 'Deals', key: 'deals', num: true, cell: r => num(r.deals) },
      { title: 'As primary reason', key: 'primary', num: true, cell: r => num(r.primary) },
      { title: 'Share', key: 'share', num: true, cell: r => pct(val(r, 'share')) },
    ], rows.slice().sort((a, b) => order(by, groupOf(a)) - order(by, groupOf(b)) || (b.deals || 0) - (a.deals || 0)))));
    const cellOf = new Map(rows.map(r => [groupOf(r) + '|' + r.category, r]));
    barChart(canvas, groups.map(label), categories.map(c => ({
      label: label(c), data: groups.map(g => (cellOf.get(g + '|' + c) || {}).deals || 0),
    })), { horizontal: true, stacked: true, x: { title: { display: true, text: 'Deals' } } });
  }

  async function viewLeads(state, root) {
    const q = apiQuery(state);
    const json = await api('/trends/lead-sources' + q);
    const rows = rowsOf(json, 'leadSources', 'sources').slice().sort((a, b) => (b.deals ?? 0) - (a.deals ?? 0));
    const nameOf = r => pick(r, 'leadSource', 'source', 'name') ?? '(not given)';
    const { box, canvas } = chartBox('Win rate by lead source with 95% intervals', 'tall', 'lead-sources');
    root.append(panel('Lead sources', {
      wide: true, csv: { path: '/trends/lead-sources' + q, file: 'lead-sources.csv' },
      note: 'Win rate per lead source with its 95% interval; grey bars and hollow triangles mark low samples.',
    }, el('div', { class: 'split' }, box, table('Lead sources', [
      { title: 'Lead source', key: 'leadSource', cell: nameOf },
      { title: 'Deals', key: 'deals', num: true, cell: r => num(r.deals) },
      { title: 'Won', key: 'won', num: true, cell: r => num(r.won) },
      { title: 'Lost', key: 'lost', num: true, cell: r => num(r.lost) },
      { title: 'No decision', key: 'noDecision', num: true, cell: r => num(r.noDecision) },
      { title: 'Win rate (95% CI)', key: 'winRate', num: true, cell: r => rateCell(rateOf(r, 'winRate')) },
      { title: 'Avg. lead quality', key: 'avgLeadQuality', num: true, cell: r => (r.avgLeadQuality === null || r.avgLeadQuality === undefined ? '–' : Number(r.avgLeadQuality).toFixed(1)) },
    ], rows))));
    intervalChart(canvas, rows.map(r => ({ name: nameOf(r), rate: rateOf(r, 'winRate') })));
  }

  async function viewTriage(state, root) {
    if (!isAnalyst()) {
      root.append(panel('Competitor triage', {}, el('p', {}, 'Only analysts and admins curate the competitor list.')));
      return;
    }
    const [unmatchedJson, competitorsJson] = await Promise.all([api('/competitors/unmatched'), api('/competitors')]);
    const unmatched = rowsOf(unmatchedJson, 'names', 'unmatched');
    const competitors = rowsOf(competitorsJson, 'competitors').filter(c => !c.mergedIntoId).sort((a, b) => String(a.name).localeCompare(String(b.name)));
    const list = el('div', { class: 'triage', id: 'triage' });
    if (!unmatched.length) list.append(el('p', { class: 'empty' }, 'Every competitor name in the reports matches a known competitor.'));
    unmatched.forEach((u, i) => {
      const name = pick(u, 'name', 'alias') ?? '';
      const suggestions = rowsOf(pick(u, 'suggestions', 'suggestedMatches', 'candidates') || []);
      const select = el('select', { id: 'map-' + i, name: 'competitorId' },
        el('option', { value: '' }, 'Choose a competitor…'),
        suggestions.length ? el('optgroup', { label: 'Suggested' }, suggestions.map(s => el('option', { value: String(pick(s, 'competitorId', 'id')) }, pick(s, 'name', 'competitorName') + (s.score !== undefined ? ` (${Math.round(s.score * 100)}% alike)` : '')))) : null,
        el('optgroup', { label: 'All competitors' }, competitors.map(c => el('option', { value: String(c.id) }, c.name))),
        el('option', { value: 'new' }, `New competitor “${name}”`));
      if (suggestions.length) select.value = String(pick(suggestions[0], 'competitorId', 'id'));
      const msg = el('span', { class: 'map-result', role: 'status' });
      const form = el('form', {
        class: 'triage-row', 'data-name': name,
        onsubmit: async (e) => {
          e.preventDefault();
          if (!select.value) { msg.textContent = 'Choose a competitor first.'; return; }
          const btn = form.querySelector('button');
          btn.disabled = true;
          try {
            const isNew = select.value === 'new';
            const result = await api('/competitors/unmatched/map', {
              method: 'POST', headers: { 'Content-Type': 'application/json' },
              body: JSON.stringify(isNew ? { name, newCompetitor: true } : { name, competitorId: Number(select.value) }),
            });
            const target = result && result.competitor ? result.competitor.name : select.selectedOptions[0].textContent.replace(/ \(\d+% alike\)$/, '');
            const moved = result && result.reportsReattributed !== undefined ? `${result.reportsReattributed} past reports re-attributed` : 'past reports re-attributed';
            msg.textContent = `${isNew ? 'Created' : 'Mapped to'} ${target}; ${moved}.`;
            form.classList.add('done');
          } catch (err) {
            msg.textContent = 'Could not map: ' + err.message;
            btn.disabled = false;
          }
        },
      },
      el('div', { class: 'triage-name' }, el('strong', {}, name), el('span', { class: 'muted' }, ` ${plural(pick(u, 'reports', 'reportCount', 'count'), 'report')}`),
        u.lastSeen ? el('span', { class: 'muted small' }, ` · last ${u.lastSeen}`) : '',
        (u.spellings || []).length > 1 ? el('div', { class: 'muted small' }, 'Also written: ' + u.spellings.slice(1).map(x => x.name).join(', ')) : ''),
      el('label', { for: 'map-' + i, class: 'sr-only' }, `Map “${name}” to`), select,
      el('button', { type: 'submit' }, 'Map'), msg);
      list.append(form);
    });
    root.append(panel('Competitor triage: unmatched names', {
      wide: true, note: 'Names reps typed that match no known competitor, most reported first. Mapping a name makes it an alias and re-attributes past reports.',
    }, list));
  }

  // ---------------------------------------------------------------- shell

  function isAnalyst() { return Boolean(me && (me.role === 'analyst' || me.role === 'admin')); }

  function syncFilters(state) {
    const form = $('#filters');
    for (const f of FILTERS) {
      const input = form.elements[f];
      if (input && input.value !== state[f]) input.value = state[f];
    }
  }

  function syncNav(state) {
    for (const a of document.querySelectorAll('#nav a')) {
      const v = a.dataset.view;
      const s = Object.assign({}, state, { view: v });
      a.href = stateUrl(s);
      const current = v === state.view || (v === 'competitors' && state.view === 'competitor');
      if (current) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    }
    $('#nav-triage').hidden = !isAnalyst();
  }

  async function render() {
    const token = ++renderToken;
    if (!key()) { showSignIn(); return; }
    const state = readState();
    syncFilters(state);
    syncNav(state);
    $('#filters').hidden = state.view === 'triage'; // the triage list is not filtered
    destroyCharts();
    document.title = 'WinLoss — trends';
    const root = $('#view');
    root.replaceChildren();
    root.dataset.view = state.view;
    root.removeAttribute('data-ready');
    setStatus('Loading…');
    const views = { overview: viewOverview, competitors: viewCompetitors, competitor: viewCompetitor, messages: viewMessages, reasons: viewReasons, leads: viewLeads, triage: viewTriage };
    const fragment = el('div', { class: 'grid' });
    root.replaceChildren(fragment);
    try {
      await views[state.view](state, fragment);
      if (token !== renderToken) return;
      setStatus('');
      root.dataset.ready = 'true';
    } catch (e) {
      if (token !== renderToken) return;
      if (e.status === 401) return;
      setStatus(e.status === 404 ? 'This view is not available on this server yet.' : e.status === 400 ? 'Check the filters: ' + problemText(e.problem) : 'Could not load: ' + e.message, true);
      root.dataset.ready = 'error';
    }
  }

  function problemText(p) {
    if (!p) return 'bad request';
    if (p.errors) return Object.entries(p.errors).map(([k, v]) => `${k}: ${[].concat(v).join(' ')}`).join('; ');
    return p.detail || p.title || 'bad request';
  }

  function showSignIn(message) {
    $('#signin').hidden = false;
    $('#filters').hidden = true;
    $('#nav').hidden = true;
    $('#who').hidden = true;
    $('#view').replaceChildren();
    setStatus('');
    $('#signin-error').textContent = message || '';
    $('#api-key').focus();
  }

  function signOut(message) {
    localStorage.removeItem(KEY_STORAGE);
    me = null;
    destroyCharts();
    showSignIn(message);
  }

  async function loadMe() {
    try {
      me = await api('/me');
    } catch (e) {
      if (e.status === 401) throw e;
      me = null; // /me not available on this server: check the key on an endpoint every role may read
      await api('/reports?limit=1');
    }
    $('#who-name').textContent = me ? `${me.displayName || me.email || 'Signed in'} · ${me.role}` : 'Signed in';
  }

  async function start() {
    $('#signin').hidden = true;
    $('#filters').hidden = false;
    $('#nav').hidden = false;
    $('#who').hidden = false;
    await loadMe();
    await render();
  }

  function init() {
    $('#signin-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      const value = $('#api-key').value.trim();
      if (!value) return;
      localStorage.setItem(KEY_STORAGE, value);
      $('#api-key').value = '';
      try { await start(); } catch (_) { /* 401 already shown */ }
    });
    $('#sign-out').addEventListener('click', () => signOut(''));
    $('#filters').addEventListener('change', (e) => {
      const name = e.target.name;
      if (!FILTERS.includes(name)) return;
      navigate({ [name]: e.target.value.trim() });
    });
    $('#filters').addEventListener('submit', e => e.preventDefault());
    $('#f-reset').addEventListener('click', () => navigate(Object.fromEntries(FILTERS.map(f => [f, f === 'granularity' ? 'month' : f === 'from' ? defaultFrom() : '']))));
    document.addEventListener('click', (e) => {
      const a = e.target.closest('a[href^="?"], a[href^="/app/trends?"]');
      if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
      e.preventDefault();
      history.pushState(null, '', a.getAttribute('href'));
      render();
      $('#main').focus({ preventScroll: true });
    });
    window.addEventListener('popstate', render);
    if (key()) start().catch(() => { /* 401 already shown */ });
    else showSignIn();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();

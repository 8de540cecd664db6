// Charts drawn as SVG by hand: a line chart with several series, a hover
// and keyboard read-out; an area chart for drawdowns; a donut for
// allocations; a heatmap table of monthly returns. Colours come from the
// stylesheet (classes and CSS variables), so both themes apply.

import { h, money, pct } from './dom.js';

const W = 640;
const H = 240;
const PAD = { left: 64, right: 16, top: 14, bottom: 30 };

function compact(v) {
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(0)}k`;
  if (a >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  return v.toFixed(0);
}

/** A short date for axis labels ("Apr 2018" or "11 Apr"). */
function shortDate(iso, long) {
  const d = new Date(`${iso}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return iso;
  const opts = long ? { month: 'short', year: 'numeric', timeZone: 'UTC' } : { day: 'numeric', month: 'short', timeZone: 'UTC' };
  return new Intl.DateTimeFormat(undefined, opts).format(d);
}

/**
 * A line chart.
 * `series`: `[{ name, values: number|null per date, cls }]` drawn over
 * `dates` (ISO strings); `format(v)` formats a value for the read-out and
 * the axis (`axis(v)` overrides the axis). Options: `label` (the chart's
 * accessible name), `area` (fill below the first series to 0).
 * Hovering, touching or focusing the chart and pressing ←/→ shows each
 * day's values; the numbers are also in the page as text.
 */
export function lineChart({ dates, series, format, axis, label, area = false }) {
  const fmt = format || ((v) => String(v));
  const axisFmt = axis || fmt;
  const wrap = h('figure', { class: 'chart-wrap' });
  const usable = series.filter((s) => s.values.some((v) => Number.isFinite(v)));
  const all = usable.flatMap((s) => s.values.filter((v) => Number.isFinite(v)));
  const first = (s) => s.values.find((v) => Number.isFinite(v));
  const last = (s) => [...s.values].reverse().find((v) => Number.isFinite(v));
  const desc = dates.length && usable.length
    ? `${label}, ${dates[0]} to ${dates[dates.length - 1]}: ${usable.map((s) => `${s.name} from ${fmt(first(s))} to ${fmt(last(s))}`).join('; ')}`
    : `${label}: no data`;
  const svg = h('svg', {
    class: 'chart',
    viewBox: `0 0 ${W} ${H}`,
    role: 'img',
    'aria-label': desc,
    tabindex: '0',
  }, h('title', { text: desc }));
  wrap.appendChild(svg);
  if (dates.length < 2 || !all.length) {
    svg.appendChild(h('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'chart-label', text: 'Not enough data to draw yet' }));
    svg.removeAttribute('tabindex');
    return wrap;
  }
  let lo = Math.min(...all, area ? 0 : Infinity);
  let hi = Math.max(...all, area ? 0 : -Infinity);
  if (hi === lo) {
    hi += Math.abs(hi) * 0.01 || 1;
    lo -= Math.abs(lo) * 0.01 || 1;
  }
  const margin = (hi - lo) * 0.06;
  if (!(area && hi === 0)) hi += margin;
  lo -= margin;
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (i) => PAD.left + (plotW * i) / (dates.length - 1);
  const y = (v) => PAD.top + plotH * (1 - (v - lo) / (hi - lo));
  const grid = h('g', { class: 'chart-grid', 'aria-hidden': 'true' });
  for (let k = 0; k <= 4; k += 1) {
    const v = lo + ((hi - lo) * k) / 4;
    const yy = y(v).toFixed(1);
    grid.appendChild(h('line', { x1: PAD.left, x2: W - PAD.right, y1: yy, y2: yy }));
    grid.appendChild(h('text', { x: PAD.left - 8, y: Number(yy) + 4, 'text-anchor': 'end', class: 'chart-label', text: axisFmt(v) }));
  }
  if (lo < 0 && hi > 0) {
    grid.appendChild(h('line', { x1: PAD.left, x2: W - PAD.right, y1: y(0).toFixed(1), y2: y(0).toFixed(1), class: 'chart-zero' }));
  }
  // Up to five date labels, evenly spaced.
  const spanDays = (Date.parse(dates[dates.length - 1]) - Date.parse(dates[0])) / 86400000;
  const ticks = Math.min(5, dates.length);
  for (let k = 0; k < ticks; k += 1) {
    const i = Math.round(((dates.length - 1) * k) / (ticks - 1));
    const anchor = k === 0 ? 'start' : k === ticks - 1 ? 'end' : 'middle';
    grid.appendChild(h('text', { x: x(i).toFixed(1), y: H - 8, 'text-anchor': anchor, class: 'chart-label', text: shortDate(dates[i], spanDays > 200) }));
  }
  svg.appendChild(grid);
  usable.forEach((s, n) => {
    const segs = [];
    let cur = [];
    s.values.forEach((v, i) => {
      if (Number.isFinite(v)) cur.push(`${x(i).toFixed(1)},${y(v).toFixed(1)}`);
      else if (cur.length) { segs.push(cur); cur = []; }
    });
    if (cur.length) segs.push(cur);
    for (const seg of segs) {
      if (area && n === 0) {
        const base = y(Math.min(Math.max(0, lo), hi)).toFixed(1);
        const firstX = seg[0].split(',')[0];
        const lastX = seg[seg.length - 1].split(',')[0];
        svg.appendChild(h('path', { d: `M${firstX},${base} L${seg.join(' L')} L${lastX},${base} Z`, class: `chart-area ${s.cls || ''}` }));
      }
      svg.appendChild(h('polyline', { points: seg.join(' '), class: `chart-line ${s.cls || `s${n + 1}`}`, fill: 'none' }));
    }
  });
  // The read-out: a cursor line, a dot per series and a text box.
  const cursor = h('g', { class: 'chart-cursor', 'aria-hidden': 'true', visibility: 'hidden' });
  const vline = h('line', { y1: PAD.top, y2: H - PAD.bottom });
  cursor.appendChild(vline);
  const dots = usable.map((s, n) => {
    const c = h('circle', { r: 4, class: `chart-dot ${s.cls || `s${n + 1}`}` });
    cursor.appendChild(c);
    return c;
  });
  svg.appendChild(cursor);
  const readout = h('figcaption', { class: 'chart-readout', 'aria-live': 'polite' });
  wrap.appendChild(readout);
  function legendText() {
    return h('span', { class: 'chart-legend' }, usable.map((s, n) => h('span', { class: 'legend-item' },
      h('span', { class: `legend-swatch ${s.cls || `s${n + 1}`}`, 'aria-hidden': 'true' }),
      `${s.name} ${fmt(last(s))}`)));
  }
  readout.appendChild(legendText());
  let at = -1;
  function show(i) {
    at = Math.max(0, Math.min(dates.length - 1, i));
    const xx = x(at).toFixed(1);
    vline.setAttribute('x1', xx);
    vline.setAttribute('x2', xx);
    usable.forEach((s, n) => {
      const v = s.values[at];
      if (Number.isFinite(v)) {
        dots[n].setAttribute('cx', xx);
        dots[n].setAttribute('cy', y(v).toFixed(1));
        dots[n].setAttribute('visibility', 'visible');
      } else {
        dots[n].setAttribute('visibility', 'hidden');
      }
    });
    cursor.setAttribute('visibility', 'visible');
    readout.replaceChildren(h('strong', { text: dates[at] }), ' ',
      ...usable.map((s, n) => h('span', { class: 'legend-item' },
        h('span', { class: `legend-swatch ${s.cls || `s${n + 1}`}`, 'aria-hidden': 'true' }),
        `${s.name} ${Number.isFinite(s.values[at]) ? fmt(s.values[at]) : '—'}`)));
  }
  function hide() {
    cursor.setAttribute('visibility', 'hidden');
    readout.replaceChildren(legendText());
    at = -1;
  }
  function fromPointer(ev) {
    const r = svg.getBoundingClientRect();
    if (!r.width) return;
    const px = ((ev.clientX - r.left) / r.width) * W;
    show(Math.round(((px - PAD.left) / plotW) * (dates.length - 1)));
  }
  svg.addEventListener('pointermove', fromPointer);
  svg.addEventListener('pointerdown', fromPointer);
  svg.addEventListener('pointerleave', hide);
  svg.addEventListener('blur', hide);
  svg.addEventListener('keydown', (ev) => {
    const step = ev.shiftKey ? 10 : 1;
    if (ev.key === 'ArrowLeft') show(at < 0 ? dates.length - 1 : at - step);
    else if (ev.key === 'ArrowRight') show(at < 0 ? 0 : at + step);
    else if (ev.key === 'Home') show(0);
    else if (ev.key === 'End') show(dates.length - 1);
    else if (ev.key === 'Escape') hide();
    else return;
    ev.preventDefault();
  });
  return wrap;
}

/** A value series in money (`[{date, value}]`) as a one-line chart. */
export function valueChart(points, currency, label) {
  const pts = points.filter((p) => Number.isFinite(Number(p.value)));
  return lineChart({
    dates: pts.map((p) => p.date),
    series: [{ name: label, values: pts.map((p) => Number(p.value)), cls: 's1' }],
    format: (v) => money(v, currency),
    axis: compact,
    label,
  });
}

const SLICES = 8;

/**
 * A donut of weights (`[[name, fraction], ...]`, largest first) with a
 * legend; slices past the seventh are shown together as "Other".
 */
export function donutChart(entries, label) {
  const sorted = entries.filter(([, w]) => w > 0).sort((a, b) => b[1] - a[1]);
  const shown = sorted.length > SLICES ? [...sorted.slice(0, SLICES - 1), ['Other', sorted.slice(SLICES - 1).reduce((s, [, w]) => s + w, 0)]] : sorted;
  const total = shown.reduce((s, [, w]) => s + w, 0) || 1;
  const desc = `${label}: ${shown.map(([n, w]) => `${n} ${pct(w, 1)}`).join(', ') || 'nothing held'}`;
  const svg = h('svg', { class: 'donut', viewBox: '0 0 42 42', role: 'img', 'aria-label': desc }, h('title', { text: desc }));
  svg.appendChild(h('circle', { cx: 21, cy: 21, r: 15.915, class: 'donut-track', fill: 'none' }));
  let offset = 25;
  shown.forEach(([, w], i) => {
    const len = (w / total) * 100;
    svg.appendChild(h('circle', {
      cx: 21, cy: 21, r: 15.915, fill: 'none',
      class: `donut-slice c${(i % SLICES) + 1}`,
      'stroke-dasharray': `${len.toFixed(3)} ${(100 - len).toFixed(3)}`,
      'stroke-dashoffset': offset.toFixed(3),
    }));
    offset -= len;
  });
  const legend = h('ul', { class: 'legend' }, shown.map(([name, w], i) => h('li', {},
    h('span', { class: `swatch c${(i % SLICES) + 1}`, 'aria-hidden': 'true' }),
    h('span', { class: 'legend-name', text: name }),
    h('span', { class: 'legend-value', text: pct(w, 1) }))));
  return h('div', { class: 'donut-wrap' }, svg, legend);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Monthly returns (`{"YYYY-MM": fraction}`) as a table, a row per year and
 * a column per month, each cell shaded by its sign and size.
 */
export function monthlyHeatmap(monthly, caption) {
  const years = [...new Set(Object.keys(monthly).map((k) => k.slice(0, 4)))].sort();
  if (!years.length) return h('p', { class: 'muted', text: 'No full month in this range yet.' });
  const max = Math.max(0.0001, ...Object.values(monthly).map((v) => Math.abs(v)));
  return h('div', { class: 'table-wrap heatmap-wrap', tabindex: '0', role: 'region', 'aria-label': caption },
    h('table', { class: 'heatmap' },
      h('caption', { text: caption }),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Year' }), MONTHS.map((m) => h('th', { scope: 'col', text: m })))),
      h('tbody', {}, years.map((yr) => h('tr', {},
        h('th', { scope: 'row', text: yr }),
        MONTHS.map((m, i) => {
          const key = `${yr}-${String(i + 1).padStart(2, '0')}`;
          const v = monthly[key];
          if (v === undefined) return h('td', { class: 'heat-none', text: '' });
          const level = Math.min(4, Math.ceil((Math.abs(v) / max) * 4));
          return h('td', { class: `heat ${v >= 0 ? 'heat-up' : 'heat-down'} heat-${level}`, title: `${m} ${yr}: ${pct(v, 2)}`, text: pct(v, 1) });
        }))))));
}

// A line chart of a value series, drawn as an SVG by hand.

import { h, money } from './dom.js';

const W = 640;
const H = 220;
const PAD = { left: 70, right: 12, top: 12, bottom: 28 };

/**
 * An SVG line chart of `points` (`[{date, value}]`, value a number or a
 * decimal string) in `currency`. The chart is an image with a text
 * description; the numbers are also in the page as text.
 */
export function lineChart(points, currency, label) {
  const pts = points
    .map((p) => ({ date: p.date, value: Number(p.value) }))
    .filter((p) => Number.isFinite(p.value));
  const desc = pts.length
    ? `${label}: from ${money(pts[0].value, currency)} on ${pts[0].date} to ${money(pts[pts.length - 1].value, currency)} on ${pts[pts.length - 1].date}`
    : `${label}: no data`;
  const svg = h('svg', {
    class: 'chart',
    viewBox: `0 0 ${W} ${H}`,
    role: 'img',
    'aria-label': desc,
    preserveAspectRatio: 'none',
  }, h('title', { text: desc }));
  if (pts.length < 2) {
    svg.appendChild(h('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'chart-label', text: 'Not enough data to draw' }));
    return svg;
  }
  let lo = Math.min(...pts.map((p) => p.value));
  let hi = Math.max(...pts.map((p) => p.value));
  if (hi === lo) {
    hi += 1;
    lo -= 1;
  }
  const margin = (hi - lo) * 0.05;
  lo -= margin;
  hi += margin;
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (i) => PAD.left + (plotW * i) / (pts.length - 1);
  const y = (v) => PAD.top + plotH * (1 - (v - lo) / (hi - lo));
  const grid = h('g', { class: 'chart-grid' });
  for (let k = 0; k <= 4; k += 1) {
    const v = lo + ((hi - lo) * k) / 4;
    const yy = y(v).toFixed(1);
    grid.appendChild(h('line', { x1: PAD.left, x2: W - PAD.right, y1: yy, y2: yy }));
    grid.appendChild(h('text', { x: PAD.left - 6, y: Number(yy) + 4, 'text-anchor': 'end', class: 'chart-label', text: compact(v) }));
  }
  svg.appendChild(grid);
  const first = pts[0];
  const last = pts[pts.length - 1];
  svg.appendChild(h('text', { x: PAD.left, y: H - 8, class: 'chart-label', text: first.date }));
  svg.appendChild(h('text', { x: W - PAD.right, y: H - 8, 'text-anchor': 'end', class: 'chart-label', text: last.date }));
  const line = pts.map((p, i) => `${x(i).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
  const up = last.value >= first.value;
  svg.appendChild(h('polyline', { points: line, class: up ? 'chart-line up' : 'chart-line down', fill: 'none' }));
  svg.appendChild(h('circle', { cx: x(pts.length - 1).toFixed(1), cy: y(last.value).toFixed(1), r: 3.5, class: up ? 'chart-dot up' : 'chart-dot down' }));
  return svg;
}

function compact(v) {
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(0)}k`;
  if (a >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  return v.toFixed(0);
}

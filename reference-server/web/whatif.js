// The portfolio page's "what if" panel: the holdings re-optimised in the
// browser by the SDK's optimiser (the WebAssembly package) as the user moves
// a risk slider or a per-holding cap. A sketch to explore, nothing more:
// nothing is saved or traded, and the recommendation in Insights stays the
// server's.

import { h, replace, pct } from './dom.js';
import { get } from './api.js';
import { fullSdk } from './wasm.js';

/** Three years of daily closes of `symbols` up to `to` as the package's PriceTable. */
async function priceTable(sdk, symbols, to) {
  const start = new Date(`${to}T00:00:00Z`);
  start.setUTCFullYear(start.getUTCFullYear() - 3);
  const from = start.toISOString().slice(0, 10);
  const histories = await Promise.all(symbols.map((s) =>
    get(`/symbols/${encodeURIComponent(s)}/history?from=${from}&to=${encodeURIComponent(to)}`)));
  const dates = [...new Set(histories.flatMap((x) => x.bars.map((b) => b.date)))].sort();
  const columns = histories.map((x) => {
    const close = new Map(x.bars.map((b) => [b.date, Number(b.adj_close ?? b.close)]));
    return { symbol: x.symbol, closes: dates.map((d) => close.get(d) ?? null) };
  });
  return new sdk.PriceTable(dates, columns);
}

function slider(label, name, min, max, step, value, show) {
  const out = h('output', { for: name, text: show(value) });
  const input = h('input', { type: 'range', id: name, name, min, max, step, value: String(value) });
  input.addEventListener('input', () => { out.textContent = show(Number(input.value)); });
  return { input, row: h('div', { class: 'slider' }, h('label', { for: name, text: label }), input, out) };
}

/** Fills `el` with the panel for the holdings of valuation `v`. */
export async function showWhatIf(el, v) {
  const sdk = await fullSdk();
  if (!sdk) {
    replace(el, h('p', { class: 'muted', text: 'Not available: the server does not serve the WebAssembly package.' }));
    return;
  }
  const symbols = v.positions.filter((p) => !(v.prices || {})[p.symbol]?.stale).map((p) => p.symbol);
  if (symbols.length < 2) {
    replace(el, h('p', { class: 'muted', text: 'Hold at least two priced positions to explore their mix.' }));
    return;
  }
  let prices;
  try {
    prices = await priceTable(sdk, symbols, v.as_of);
  } catch (e) {
    replace(el, h('p', { class: 'form-error', text: `No price history to explore with: ${e.message}` }));
    return;
  }
  const risk = slider('Target volatility', 'whatif-risk', '0.05', '0.40', '0.01', 0.2, (x) => pct(x, 0));
  const cap = slider('Most in one holding', 'whatif-cap', '0.10', '1', '0.05', 1, (x) => pct(x, 0));
  const result = h('div', { 'aria-live': 'polite', dataset: { whatifResult: '' } });
  function update() {
    try {
      const out = sdk.optimize(prices, {
        objective: { kind: 'efficientRisk', targetVolatility: Number(risk.input.value) },
        bounds: { low: 0, high: Number(cap.input.value) },
      });
      const rows = out.weights.filter((w) => w.weight > 0.0005).sort((a, b) => b.weight - a.weight);
      replace(result,
        h('p', { dataset: { whatifPerformance: '' }, text: `Over the last three years this mix would have returned ${pct(out.performance.expectedReturn, 1)} a year at ${pct(out.performance.volatility, 1)} volatility; past returns are no forecast.` }),
        h('table', { class: 'whatif' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Symbol' }), h('th', { scope: 'col', class: 'num', text: 'Weight' }))),
          h('tbody', {}, rows.map((w) => h('tr', { dataset: { symbol: w.symbol, weight: String(w.weight) } },
            h('th', { scope: 'row', text: w.symbol }), h('td', { class: 'num', text: pct(w.weight, 1) }))))));
    } catch (e) {
      replace(result, h('p', { class: 'form-error', dataset: { whatifError: e.kind || '' }, text: e.message }));
    }
  }
  risk.input.addEventListener('input', update);
  cap.input.addEventListener('input', update);
  replace(el,
    h('p', { class: 'muted', text: 'Move the sliders to see how your holdings could be mixed for a level of risk. Computed in your browser; nothing is saved or traded.' }),
    risk.row, cap.row, result);
  update();
}

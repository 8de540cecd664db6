// The portfolio page's "what if" panel: the holdings re-optimised in the
// browser by the SDK's optimiser (the WebAssembly package) as the user moves
// a risk slider or a per-holding cap. A sketch to explore, nothing more:
// nothing is saved or traded, and the recommendation in Insights stays the
// server's.

import { h, replace, pct, errorState } from './dom.js';
import { get } from './api.js';
import { fullSdk } from './wasm.js';

function slider(label, name, min, max, step, value, show) {
  const out = h('output', { for: name, text: show(value) });
  const input = h('input', { type: 'range', id: name, name, min, max, step, value: String(value) });
  input.addEventListener('input', () => { out.textContent = show(Number(input.value)); });
  return { input, row: h('div', { class: 'slider' }, h('label', { for: name, text: label }), input, out) };
}

/** Fills `el` with the panel for the open positions of portfolio `id`. */
export async function showWhatIf(el, id) {
  const sdk = await fullSdk();
  if (!sdk) {
    replace(el, h('p', { class: 'muted', text: 'Not available: the server does not serve the WebAssembly package.' }));
    return;
  }
  // The server's aligned closes of the open positions, over the history its
  // own recommendation uses: one request, read by the SDK.
  let prices;
  try {
    prices = sdk.PriceTable.fromCsv(await get(`/portfolios/${encodeURIComponent(id)}/prices.csv`));
  } catch (e) {
    replace(el, errorState('Could not fetch the price history to explore with', e, () => showWhatIf(el, id)));
    return;
  }
  if (prices.symbols().length < 2) {
    replace(el, h('p', { class: 'muted', text: 'Hold at least two priced positions to explore their mix.' }));
    return;
  }
  // The cap starts at the single-holding limit the nudges use, or at the
  // least share every holding must take when there are too few of them.
  const limits = sdk.concentrationLimits();
  const step = 0.05;
  const fewest = Math.ceil(1 / prices.symbols().length / step - 1e-9) * step;
  const startCap = Math.min(1, Math.max(limits.singleHolding, fewest));
  const risk = slider('Target volatility', 'whatif-risk', '0.05', '0.40', '0.01', 0.2, (x) => pct(x, 0));
  const cap = slider('Most in one holding', 'whatif-cap', String(step), '1', String(step), startCap, (x) => pct(x, 0));
  const result = h('div', { 'aria-live': 'polite', dataset: { whatifResult: '' } });
  function update() {
    try {
      const out = sdk.optimize(prices, {
        objective: { kind: 'efficientRisk', targetVolatility: Number(risk.input.value) },
        bounds: { low: 0, high: Number(cap.input.value) },
        clean: true,
      });
      // The SDK's cleaning has set negligible weights to zero.
      const rows = out.weights.filter((w) => w.weight > 0).sort((a, b) => b.weight - a.weight);
      // What the investor's own nudges would say about this mix: the same
      // SDK check, limits and wording as the Insights.
      const flags = sdk.mixConcentration(rows.map(({ symbol, weight }) => ({ symbol, weight })))
        .filter((n) => n.severity !== 'info');
      replace(result,
        h('p', { dataset: { whatifPerformance: '' }, text: `Over the period priced this mix would have returned ${pct(out.performance.expectedReturn, 1)} a year at ${pct(out.performance.volatility, 1)} volatility; past returns are no forecast.` }),
        h('table', { class: 'whatif' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Symbol' }), h('th', { scope: 'col', class: 'num', text: 'Weight' }))),
          h('tbody', {}, rows.map((w) => h('tr', { dataset: { symbol: w.symbol, weight: String(w.weight) } },
            h('th', { scope: 'row', text: w.symbol }), h('td', { class: 'num', text: pct(w.weight, 1) })))),
        flags.length === 0
          ? h('p', { class: 'muted', dataset: { whatifFlags: '0' }, text: `Within the limits your nudges use (at most ${pct(limits.singleHolding, 0)} in one company).` })
          : h('div', { class: 'whatif-flags', dataset: { whatifFlags: String(flags.length) } },
            h('p', { text: 'If you held this mix, your nudges would say:' }),
            h('ul', { class: 'nudges' }, flags.map((n) => h('li', { class: `nudge ${n.severity}`, dataset: { subject: n.subject || '' } },
              h('p', {}, h('span', { class: 'pill', text: n.severity }), ' ', h('strong', { text: n.title }))))))));
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

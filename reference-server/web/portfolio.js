// Portfolio views: the list with the create form, and one portfolio with
// its valuation, performance, insights, transactions and CSV import.

import {
  h, replace, field, formError, clearErrors, showErrors, status, section,
  disclaimer, busy, money, signedMoney, pct, signClass, age, loadingState, emptyState, errorState,
} from './dom.js';
import { get, post, del, api, ApiError } from './api.js';
import { lineChart } from './chart.js';
import { showWhatIf } from './whatif.js';

const TYPES = ['buy', 'sell', 'dividend', 'split', 'deposit', 'withdrawal', 'fee'];
const RANGES = [['1m', '1 month'], ['3m', '3 months'], ['ytd', 'Year to date'], ['1y', '1 year'], ['max', 'Max']];
const CLASS_COLOURS = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'];

function input(name, type, attrs = {}) {
  return h('input', { name, type, ...attrs });
}

function loadingNote(text = 'Loading…') {
  return loadingState(text, { skeleton: true });
}

/** What failed, why, and a Retry that runs `retry`. */
function errorNote(e, what, retry) {
  return errorState(what, e, retry);
}

// --- the list ------------------------------------------------------------

/** The dashboard: the user's portfolios and a form to create one. */
export async function portfoliosView(ctx) {
  const list = await get('/portfolios');
  const items = list.length
    ? h('ul', { class: 'portfolio-list', dataset: { portfolios: '' } },
      list.map((p) => h('li', {},
        h('a', { href: `#/portfolios/${p.id}`, class: 'portfolio-link' },
          h('span', { class: 'name', text: p.name }),
          h('span', { class: 'muted', text: ` ${p.currency} · since ${new Date(p.created_at).toLocaleDateString()}` })))))
    : h('div', { dataset: { portfolios: '', empty: '' } },
      emptyState('No portfolios yet — create one', {
        detail: 'A portfolio holds your transactions; its value and performance follow from them.',
        action: h('button', {
          type: 'button',
          text: 'Create a portfolio',
          onclick: () => form.querySelector('input[name=name]').focus(),
        }),
      }));
  const form = h('form', { class: 'stack inline-form', novalidate: true, 'aria-label': 'New portfolio' },
    formError(),
    field('Portfolio name', input('name', 'text', { required: true, maxlength: 100 })),
    field('Base currency', input('currency', 'text', { value: 'USD', maxlength: 3, autocapitalize: 'characters', required: true }), 'ISO code, e.g. USD or EUR.'),
    h('button', { type: 'submit', class: 'primary', text: 'Create portfolio' }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const fd = new FormData(form);
    await busy(form.querySelector('button[type=submit]'), async () => {
      try {
        clearErrors(form);
        const p = await post('/portfolios', { name: fd.get('name'), currency: String(fd.get('currency')).trim().toUpperCase() || 'USD' });
        status(`Created the portfolio ${p.name}.`);
        ctx.navigate(`#/portfolios/${p.id}`);
      } catch (e) {
        showErrors(form, e);
      }
    });
  });
  return h('div', {},
    h('h1', { text: 'Your portfolios' }),
    ctx.me ? h('p', { class: 'muted', text: `Signed in as ${ctx.me.alias}.` }) : null,
    section('Portfolios', {}, items),
    section('Create a portfolio', {}, form));
}

// --- one portfolio -------------------------------------------------------

/** One portfolio. */
export async function portfolioView(ctx, id) {
  let p;
  try {
    p = await get(`/portfolios/${id}`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      return h('div', { class: 'card' }, h('h1', { text: 'Portfolio not found' }),
        h('p', {}, 'It does not exist or is not yours. ', h('a', { href: '#/', text: 'Back to your portfolios' })));
    }
    throw e;
  }
  const valuationEl = h('div', { dataset: { valuation: '' } }, loadingNote());
  const perfEl = h('div', { dataset: { performance: '' } }, loadingNote());
  const insightsEl = h('div', { dataset: { insights: '' } }, loadingNote());
  const txEl = h('div', { dataset: { transactions: '' } }, loadingNote());
  const whatIfEl = h('div', { dataset: { whatIf: '' } }, loadingNote());
  let range = '1y';

  async function loadValuation() {
    try {
      const v = await get(`/portfolios/${id}/valuation`);
      replace(valuationEl, valuationView(v));
      showWhatIf(whatIfEl, id);
    } catch (e) {
      replace(valuationEl, errorNote(e, 'Could not fetch prices', loadValuation));
    }
  }
  async function loadPerformance() {
    replace(perfEl, rangePicker(range, (r) => { range = r; loadPerformance(); }), loadingNote());
    try {
      const perf = await get(`/portfolios/${id}/performance?range=${encodeURIComponent(range)}`);
      replace(perfEl, rangePicker(range, (r) => { range = r; loadPerformance(); }), performanceView(perf, p.currency));
    } catch (e) {
      replace(perfEl, rangePicker(range, (r) => { range = r; loadPerformance(); }), errorNote(e, 'Could not load the performance', loadPerformance));
    }
    const pressed = perfEl.querySelector('button[aria-pressed="true"]');
    if (pressed && perfEl.contains(document.activeElement) === false && perfEl.dataset.focus === '1') {
      perfEl.dataset.focus = '';
      pressed.focus();
    }
  }
  async function loadInsights() {
    try {
      const ins = await get(`/portfolios/${id}/insights`);
      replace(insightsEl, insightsView(ins));
    } catch (e) {
      replace(insightsEl, errorNote(e, 'Could not load the insights', loadInsights));
    }
  }
  async function loadTransactions() {
    try {
      const txs = await get(`/portfolios/${id}/transactions`);
      // Performance needs at least one transaction (the API answers 422).
      if (txs.length) loadPerformance();
      else replace(perfEl, h('p', { class: 'muted', text: 'Add a transaction to see performance.' }));
      replace(txEl, transactionsTable(txs, async (tx) => {
        try {
          await del(`/portfolios/${id}/transactions/${tx.id}`);
          status('Transaction deleted.');
          reloadAll();
        } catch (e) {
          status(e.message);
        }
      }));
    } catch (e) {
      replace(txEl, errorNote(e, 'Could not load the transactions', loadTransactions));
    }
  }
  function reloadAll() {
    loadValuation();
    loadInsights();
    loadTransactions();
  }
  reloadAll();

  return h('div', { class: 'portfolio' },
    h('p', { class: 'crumbs' }, h('a', { href: '#/', text: '← All portfolios' })),
    h('h1', { text: p.name }),
    h('p', { class: 'muted', text: `Base currency ${p.currency}` }),
    section('Valuation', { class: 'card wide' }, valuationEl),
    section('Performance', {}, perfEl),
    section('Insights', {}, insightsEl),
    section('What if', {}, whatIfEl),
    section('Add a transaction', {}, transactionForm(p, reloadAll)),
    section('Import a CSV', {}, importForm(p, reloadAll)),
    section('Transactions', { class: 'card wide' }, txEl));
}

function stat(label, value, cls = '') {
  return h('div', { class: 'stat' }, h('span', { class: 'stat-label', text: label }), h('span', { class: `stat-value ${cls}`, text: value }));
}

function valuationView(v) {
  const cur = v.currency;
  const stats = h('div', { class: 'stats' },
    stat('Value', money(v.value, cur)),
    stat('Day change', signedMoney(v.day_change, cur), signClass(v.day_change)),
    stat('Total return', `${signedMoney(v.total_return, cur)}${v.total_return_pct !== null && v.total_return_pct !== undefined ? ` (${pct(v.total_return_pct)})` : ''}`, signClass(v.total_return)),
    stat('Cash', money(v.cash, cur)));
  const rows = v.positions.map((pos) => h('tr', { dataset: { symbol: pos.symbol } },
    h('th', { scope: 'row', text: pos.symbol }),
    h('td', { text: pos.asset_class || '—' }),
    h('td', { class: 'num', text: pos.quantity }),
    h('td', { class: 'num', text: money(pos.avg_cost, cur) }),
    h('td', { class: 'num' }, money(pos.price, cur), h('br'),
      (v.prices || {})[pos.symbol]?.stale
        ? h('span', { class: 'tag-stale', title: 'No market source knows this symbol: valued at your own last trade price', text: `your trade, ${pos.price_date}` })
        : h('span', { class: 'muted small', text: pos.price_date })),
    h('td', { class: 'num', text: money(pos.value, cur) }),
    h('td', { class: 'num', text: pct(pos.weight, 1) }),
    h('td', { class: `num ${signClass(pos.day_change)}`, text: pos.day_change === null ? '—' : signedMoney(pos.day_change, cur) }),
    h('td', { class: `num ${signClass(pos.unrealized_pnl)}`, text: signedMoney(pos.unrealized_pnl, cur) })));
  const table = v.positions.length
    ? h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Positions' },
      h('table', { class: 'positions' },
        h('caption', { text: `Positions as of ${v.as_of}` }),
        h('thead', {}, h('tr', {}, ['Symbol', 'Class', 'Shares', 'Avg cost', 'Price', 'Value', 'Weight', 'Day', 'Unrealised'].map((t, i) => h('th', { scope: 'col', class: i > 1 ? 'num' : '', text: t })))),
        h('tbody', {}, rows)))
    : h('p', { class: 'muted', text: 'No positions yet: add a transaction or import a CSV.' });
  const classes = Object.entries(v.allocation_by_asset_class || {}).sort((a, b) => b[1] - a[1]);
  const sources = Object.entries(v.prices || {});
  return h('div', {},
    stats,
    table,
    h('div', { class: 'two-col' },
      h('div', {}, h('h3', { text: 'Allocation by asset class' }), allocationBar(classes)),
      h('div', {}, h('h3', { text: 'Prices' }),
        sources.length
          ? h('ul', { class: 'sources' }, sources.map(([sym, s]) => h('li', { class: s.stale ? 'stale' : '' },
            h('strong', { text: sym }), s.stale
              ? ` valued at your last trade price (${s.as_of}): no market source knows this symbol, so this is not a market price`
              : ` ${s.source}, as of ${s.as_of} (fetched ${age(s.age_seconds)} ago)`)))
          : h('p', { class: 'muted', text: 'No prices needed yet.' }),
        h('p', { class: 'muted small', text: 'Prices may be delayed.' }))));
}

function allocationBar(classes) {
  if (!classes.length) return h('p', { class: 'muted', text: 'Nothing held yet.' });
  const svg = h('svg', { class: 'alloc-bar', viewBox: '0 0 100 8', preserveAspectRatio: 'none', 'aria-hidden': 'true' });
  let x = 0;
  classes.forEach(([, w], i) => {
    const width = Math.max(0, w * 100);
    svg.appendChild(h('rect', { x: x.toFixed(2), y: 0, width: width.toFixed(2), height: 8, class: CLASS_COLOURS[i % CLASS_COLOURS.length] }));
    x += width;
  });
  return h('div', { class: 'allocation', dataset: { allocation: '' } }, svg,
    h('ul', { class: 'legend' }, classes.map(([name, w], i) => h('li', {},
      h('span', { class: `swatch ${CLASS_COLOURS[i % CLASS_COLOURS.length]}`, 'aria-hidden': 'true' }),
      `${name}: ${pct(w, 1)}`))));
}

function rangePicker(current, choose) {
  const group = h('div', { class: 'segmented', role: 'group', 'aria-label': 'Performance range' });
  for (const [r, label] of RANGES) {
    group.appendChild(h('button', {
      type: 'button',
      'aria-pressed': String(r === current),
      dataset: { range: r },
      'aria-label': label,
      text: r.toUpperCase(),
      onclick: () => { group.parentElement.dataset.focus = '1'; choose(r); },
    }));
  }
  return group;
}

function performanceView(perf, currency) {
  const b = perf.benchmark;
  return h('div', { dataset: { range: perf.range } },
    h('p', { class: 'muted', text: `${perf.from} to ${perf.to}` }),
    h('div', { class: 'stats' },
      stat('Time-weighted return', pct(perf.twr), signClass(perf.twr)),
      stat('Money-weighted return', perf.mwr === null || perf.mwr === undefined ? '—' : pct(perf.mwr), signClass(perf.mwr)),
      stat(b ? `Benchmark (${b.symbol})` : 'Benchmark', b ? pct(b.total_return) : '—', b ? signClass(b.total_return) : '')),
    lineChart(perf.values || [], currency, 'Portfolio value'));
}

function insightsView(ins) {
  const parts = [];
  parts.push(h('h3', { text: 'Nudges' }));
  if (ins.nudges.length) {
    parts.push(h('ul', { class: 'nudges' }, ins.nudges.map((n) => h('li', { class: `nudge ${n.severity || ''}` },
      h('p', {}, h('span', { class: 'pill', text: n.severity || 'info' }), ' ', h('strong', { text: n.title })),
      h('p', { text: n.explanation }),
      h('p', {}, h('em', { text: 'What you could do: ' }), n.action)))));
  } else {
    parts.push(h('p', { class: 'muted', text: 'Nothing to flag right now.' }));
  }
  parts.push(h('h3', { text: 'Recommended allocation' }));
  const rec = ins.recommendation;
  if (rec) {
    const split = rec.split || {};
    const weights = Object.entries(rec.weights || {}).filter(([, w]) => w >= 0.0005).sort((a, c) => c[1] - a[1]);
    parts.push(h('div', { class: 'recommendation', dataset: { recommendation: '' } },
      h('p', {}, 'For your risk category ', h('strong', { text: rec.category }), ':'),
      h('p', { class: 'split', text: `${pct(split.stocks, 0)} stocks · ${pct(split.bonds, 0)} bonds · ${pct(split.cash, 0)} cash` }),
      weights.length ? h('table', { class: 'weights' },
        h('caption', { text: 'Suggested weights' }),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Holding' }), h('th', { scope: 'col', class: 'num', text: 'Weight' }))),
        h('tbody', {}, weights.map(([s, w]) => h('tr', {}, h('th', { scope: 'row', text: s }), h('td', { class: 'num', text: pct(w, 1) }))))) : null,
      h('p', { class: 'expected', dataset: { expected: '' } },
        'Expected return between ', h('strong', { text: pct(rec.expected_return_low, 1) }), ' and ', h('strong', { text: pct(rec.expected_return_high, 1) }),
        ` a year (estimate ${pct(rec.expected_return, 1)}), volatility ${pct(rec.volatility, 1)}.`),
      rec.basis ? h('p', { class: 'muted small', text: rec.basis }) : null,
      rec.gaps && rec.gaps.length ? h('ul', { class: 'gaps', dataset: { gaps: '' } }, rec.gaps.map((g) => h('li', { text: g.text }))) : null,
      rec.reasoning && rec.reasoning.length ? h('ul', { class: 'reasoning' }, rec.reasoning.map((r) => h('li', { text: r }))) : null));
  } else {
    parts.push(h('p', { class: 'muted' }, ins.recommendation_note && ins.recommendation_note.includes('questionnaire')
      ? ['Take the ', h('a', { href: '#/risk', text: 'risk questionnaire' }), ' to get a recommended allocation.']
      : ins.recommendation_note || 'No recommendation.'));
  }
  const reb = ins.rebalancing;
  if (reb) {
    const trades = Object.entries(reb.trades || {});
    parts.push(h('h3', { text: 'Rebalancing' }));
    parts.push(trades.length
      ? h('table', { class: 'trades', dataset: { trades: '' } },
        h('caption', { text: 'Trades that would move you to the suggested weights' }),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Holding' }), h('th', { scope: 'col', text: 'Action' }), h('th', { scope: 'col', class: 'num', text: 'Shares' }))),
        h('tbody', {}, trades.map(([s, n]) => h('tr', {},
          h('th', { scope: 'row', text: s }),
          h('td', { class: n > 0 ? 'gain' : 'loss', text: n > 0 ? 'Buy' : 'Sell' }),
          h('td', { class: 'num', text: String(Math.abs(n)) })))))
      : h('p', { class: 'muted', text: 'You are already close to the suggested weights.' }));
    if (reb.target_cash !== undefined) parts.push(h('p', { class: 'muted', text: `Cash left after the trades: about ${money(reb.target_cash)}.` }));
  }
  parts.push(disclaimer(ins.disclaimer));
  return h('div', {}, parts);
}

function transactionsTable(txs, onDelete) {
  if (!txs.length) return h('p', { class: 'muted', text: 'No transactions yet.' });
  return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Transactions' },
    h('table', { class: 'transactions' },
      h('thead', {}, h('tr', {}, ['Date', 'Type', 'Symbol', 'Quantity', 'Price', 'Fee', 'Currency', ''].map((t, i) => h('th', { scope: 'col', class: i >= 3 && i <= 5 ? 'num' : '', text: t })))),
      h('tbody', {}, txs.slice().reverse().map((t) => h('tr', {},
        h('td', { text: t.date }),
        h('td', { text: t.type }),
        h('td', { text: t.symbol || '' }),
        h('td', { class: 'num', text: t.quantity || '' }),
        h('td', { class: 'num', text: t.price || '' }),
        h('td', { class: 'num', text: t.fee || '' }),
        h('td', { text: t.currency }),
        h('td', {}, h('button', { type: 'button', class: 'small danger', 'aria-label': `Delete the ${t.type} of ${t.date}${t.symbol ? ` ${t.symbol}` : ''}`, text: 'Delete', onclick: () => onDelete(t) })))))));
}

function transactionForm(p, done) {
  const today = new Date().toISOString().slice(0, 10);
  const form = h('form', { class: 'stack grid-form', novalidate: true, 'aria-label': 'Add a transaction' },
    formError(),
    field('Date', input('date', 'date', { value: today, required: true })),
    field('Type', h('select', { name: 'type' }, TYPES.map((t) => h('option', { value: t, text: t })))),
    field('Symbol', input('symbol', 'text', { autocapitalize: 'characters', placeholder: 'AAPL' })),
    field('Quantity', input('quantity', 'text', { inputmode: 'decimal' }), 'Shares, or the ratio for a split.'),
    field('Price or amount', input('price', 'text', { inputmode: 'decimal' })),
    field('Fee', input('fee', 'text', { inputmode: 'decimal' })),
    field('Currency', input('currency', 'text', { value: p.currency, maxlength: 3, required: true })),
    h('button', { type: 'submit', class: 'primary', text: 'Add transaction' }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const fd = new FormData(form);
    const body = {};
    for (const k of ['date', 'type', 'symbol', 'quantity', 'price', 'fee', 'currency']) {
      const v = String(fd.get(k) || '').trim();
      if (v) body[k] = k === 'symbol' || k === 'currency' ? v.toUpperCase() : v;
    }
    await busy(form.querySelector('button[type=submit]'), async () => {
      try {
        clearErrors(form);
        await post(`/portfolios/${p.id}/transactions`, body);
        for (const k of ['symbol', 'quantity', 'price', 'fee']) form.querySelector(`[name=${k}]`).value = '';
        status('Transaction added.');
        done();
      } catch (e) {
        showErrors(form, e);
      }
    });
  });
  return form;
}

function importForm(p, done) {
  const result = h('div', { class: 'import-result', 'aria-live': 'polite', dataset: { importResult: '' } });
  const file = h('input', { type: 'file', name: 'file', accept: '.csv,text/csv' });
  const text = h('textarea', { name: 'csv', rows: '6', spellcheck: 'false', placeholder: 'date,type,symbol,quantity,price,fee,currency\n2024-01-02,buy,AAPL,10,185.50,1,USD' });
  file.addEventListener('change', async () => {
    const f = file.files && file.files[0];
    if (f) text.value = await f.text();
  });
  const form = h('form', { class: 'stack', novalidate: true, 'aria-label': 'Import a CSV' },
    formError(),
    field('CSV file', file),
    field('Or paste the CSV', text, 'Columns: date,type,symbol,quantity,price,fee,currency (header on line 1).'),
    field('Import the good rows and list the bad ones (otherwise one bad row refuses the file)', input('skip_invalid', 'checkbox')),
    h('button', { type: 'submit', class: 'primary', text: 'Import' }),
    result);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const skip = form.querySelector('[name=skip_invalid]').checked;
    await busy(form.querySelector('button[type=submit]'), async () => {
      clearErrors(form);
      replace(result);
      try {
        const r = await api('POST', `/portfolios/${p.id}/transactions/import?skip_invalid=${skip}`, text.value, { contentType: 'text/csv' });
        replace(result,
          h('p', { class: 'gain', text: `Imported ${r.imported} row${r.imported === 1 ? '' : 's'}.` }),
          r.errors.length ? lineErrors(r.errors.map((e) => ({ line: e.line, field: e.field, reason: e.reason })), 'Skipped rows') : null);
        if (r.imported) done();
      } catch (e) {
        const rows = [];
        const other = {};
        for (const [k, v] of Object.entries((e && e.fields) || {})) {
          const m = /^line (\d+)\.(.*)$/.exec(k);
          if (m) rows.push({ line: Number(m[1]), field: m[2], reason: v });
          else other[k] = v;
        }
        if (rows.length) {
          rows.sort((a, b) => a.line - b.line);
          replace(result, h('p', { class: 'loss', text: 'Nothing was imported: fix these rows, or tick the box to import the good ones.' }), lineErrors(rows, 'Rows with errors'));
        }
        if (!rows.length || Object.keys(other).length) showErrors(form, rows.length ? Object.assign(e, { fields: other }) : e, { csv: 'csv', 'content-type': 'csv' });
      }
    });
  });
  return form;
}

function lineErrors(rows, title) {
  return h('div', { class: 'line-errors' },
    h('h3', { text: title }),
    h('ul', { dataset: { lineErrors: '' } }, rows.map((r) => h('li', {},
      h('strong', { text: `Line ${r.line}` }), `, ${r.field}: ${r.reason}`))));
}

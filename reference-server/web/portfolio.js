// Portfolio views: the list with the create form; one portfolio with its
// valuation, returns explained, insights, transactions (add, edit, delete
// after a confirmation) and CSV import; one holding with its price chart,
// lots, gains and the nudges about it.

import {
  h, replace, field, formError, clearErrors, showErrors, status, section,
  disclaimer, busy, money, signedMoney, pct, signClass, age, newId, loadingState, emptyState, errorState,
  onSubmit, stat, sampleBanner,
} from './dom.js';
import { get, post, put, del, api, ApiError } from './api.js';
import { lineChart, valueChart, donutChart, monthlyHeatmap } from './chart.js';
import { showWhatIf } from './whatif.js';

const TYPES = ['buy', 'sell', 'dividend', 'split', 'deposit', 'withdrawal', 'fee'];
const RANGES = [['1m', '1 month'], ['3m', '3 months'], ['6m', '6 months'], ['ytd', 'Year to date'], ['1y', '1 year'], ['max', 'Max']];

/** What each return figure is, in one line, shown on hover and tap. */
const EXPLAIN = {
  twr: 'Time-weighted: how the holdings themselves grew, with your deposits and withdrawals taken out. Use it to compare with the benchmark.',
  mwr: 'Money-weighted (annualised): the yearly rate your own money earned, so the timing of your deposits counts. Over short periods it is magnified by annualising.',
  benchmark: 'The benchmark\'s price change over the same days.',
  drawdown: 'How far the time-weighted value fell below its previous high on each day.',
};

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

/** The market's status (sample data or live), fetched once per page load. */
let marketStatus = null;
function market() {
  if (!marketStatus) marketStatus = get('/market/status').catch(() => ({ sample_data: null }));
  return marketStatus;
}

/** The day date fields default to: today, or the sample's last day. */
async function defaultDay() {
  const m = await market();
  return m.sample_data ? m.sample_data.last : new Date().toISOString().slice(0, 10);
}

/** A figure with its label and a one-line explanation on hover and tap. */
function explained(label, value, cls, why) {
  const id = newId('why');
  const tip = h('span', { class: 'tip', role: 'tooltip', id, text: why, hidden: true });
  const btn = h('button', {
    type: 'button', class: 'tip-button', 'aria-label': `What is "${label}"?`, 'aria-describedby': id, 'aria-expanded': 'false', text: '?',
    onclick: () => {
      tip.hidden = !tip.hidden;
      btn.setAttribute('aria-expanded', String(!tip.hidden));
    },
  });
  return h('div', { class: 'stat', title: why },
    h('span', { class: 'stat-label' }, label, ' ', btn),
    h('span', { class: `stat-value ${cls || ''}`, text: value }),
    tip);
}

// --- the list ------------------------------------------------------------

/** The user's portfolios and a form to create one. */
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
  onSubmit(form, async (fd) => {
    const p = await post('/portfolios', { name: fd.get('name'), currency: String(fd.get('currency')).trim().toUpperCase() || 'USD' });
    status(`Created the portfolio ${p.name}.`);
    ctx.navigate(`#/portfolios/${p.id}`);
  });
  return h('div', {},
    h('h1', { text: 'Your portfolios' }),
    section('Portfolios', {}, items),
    section('Create a portfolio', {}, form));
}

// --- one portfolio -------------------------------------------------------

async function loadPortfolio(id) {
  try {
    return await get(`/portfolios/${id}`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

function notFound() {
  return h('div', { class: 'card' }, h('h1', { text: 'Portfolio not found' }),
    h('p', {}, 'It does not exist or is not yours. ', h('a', { href: '#/portfolios', text: 'Back to your portfolios' })));
}

/** One portfolio. */
export async function portfolioView(ctx, id) {
  const p = await loadPortfolio(id);
  if (!p) return notFound();
  const bannerEl = h('div');
  const valuationEl = h('div', { dataset: { valuation: '' } }, loadingNote());
  const perfEl = h('div', { dataset: { performance: '' } }, loadingNote());
  const insightsEl = h('div', { dataset: { insights: '' } }, loadingNote());
  const txEl = h('div', { dataset: { transactions: '' } }, loadingNote());
  const whatIfEl = h('div', { dataset: { whatIf: '' } }, loadingNote());
  let range = '1y';
  let chartKind = 'growth';

  async function loadValuation() {
    replace(valuationEl, loadingNote());
    try {
      const v = await get(`/portfolios/${id}/valuation`);
      replace(bannerEl, sampleBanner(v.sample_data));
      replace(valuationEl, valuationView(v, id, reloadAll));
      showWhatIf(whatIfEl, id);
    } catch (e) {
      replace(valuationEl, errorNote(e, 'Could not fetch prices', loadValuation));
    }
  }
  const picker = () => rangePicker(range, (r) => { range = r; loadPerformance(); });
  async function loadPerformance() {
    replace(perfEl, picker(), loadingNote());
    try {
      const perf = await get(`/portfolios/${id}/performance?range=${encodeURIComponent(range)}`);
      replace(perfEl, picker(), performanceView(perf, p.currency, chartKind, (k) => { chartKind = k; }));
    } catch (e) {
      replace(perfEl, picker(), errorNote(e, 'Could not load the performance', loadPerformance));
    }
    const pressed = perfEl.querySelector('button[aria-pressed="true"][data-range]');
    if (pressed && perfEl.dataset.focus === '1') {
      perfEl.dataset.focus = '';
      pressed.focus();
    }
  }
  async function loadInsights() {
    replace(insightsEl, loadingNote());
    try {
      const ins = await get(`/portfolios/${id}/insights`);
      replace(insightsEl, insightsView(ins));
    } catch (e) {
      replace(insightsEl, errorNote(e, 'Could not load the insights', loadInsights));
    }
  }
  async function loadTransactions() {
    replace(txEl, loadingNote());
    try {
      const txs = await get(`/portfolios/${id}/transactions`);
      // Performance needs at least one transaction (the API answers 422).
      if (txs.length) loadPerformance();
      else replace(perfEl, emptyState('Add a transaction to see performance.'));
      replace(txEl, transactionsTable(txs, p, reloadAll));
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
  market().then((m) => { if (!bannerEl.firstChild) replace(bannerEl, sampleBanner(m.sample_data)); });

  return h('div', { class: 'portfolio' },
    h('p', { class: 'crumbs' }, h('a', { href: '#/portfolios', text: '← All portfolios' })),
    h('h1', { text: p.name }),
    h('p', { class: 'muted', text: `Base currency ${p.currency}` }),
    bannerEl,
    section('Valuation', { class: 'card wide' }, valuationEl),
    section('Returns', {}, perfEl),
    section('Insights', {}, insightsEl),
    section('What if', {}, whatIfEl),
    section('Add a transaction', {}, await transactionForm(p, reloadAll)),
    section('Import a CSV', {}, importForm(p, reloadAll)),
    section('Transactions', { class: 'card wide' }, txEl));
}

const COLUMNS = [
  ['symbol', 'Symbol', false],
  ['asset_class', 'Class', false],
  ['quantity', 'Shares', true],
  ['avg_cost', 'Avg cost', true],
  ['price', 'Price', true],
  ['value', 'Value', true],
  ['weight', 'Weight', true],
  ['day_change', 'Day', true],
  ['unrealized_pnl', 'Unrealised', true],
];

function holdingHref(id, symbol) {
  return `#/portfolios/${id}/holdings/${encodeURIComponent(symbol)}`;
}

/** Positions as a sortable table (desktop) and as cards (phone). */
function positionsView(v, id) {
  const cur = v.currency;
  let sortKey = 'value';
  let asc = false;
  const tableSlot = h('div');
  const cardSlot = h('ul', { class: 'position-cards', 'aria-label': 'Positions' });
  const stale = (pos) => (v.prices || {})[pos.symbol]?.stale;
  function sorted() {
    const num = (x) => (x === null || x === undefined ? -Infinity : Number(x));
    return v.positions.slice().sort((a, b) => {
      const [x, y] = COLUMNS.find(([k]) => k === sortKey)[2] ? [num(a[sortKey]), num(b[sortKey])] : [String(a[sortKey] || ''), String(b[sortKey] || '')];
      const c = x < y ? -1 : x > y ? 1 : 0;
      return asc ? c : -c;
    });
  }
  function draw(focusKey) {
    const rows = sorted();
    const head = h('tr', {}, COLUMNS.map(([key, label, numeric]) => h('th', {
      scope: 'col',
      class: numeric ? 'num' : '',
      'aria-sort': key === sortKey ? (asc ? 'ascending' : 'descending') : null,
    }, h('button', {
      type: 'button', class: 'sort', dataset: { sort: key }, text: label,
      onclick: () => {
        if (sortKey === key) asc = !asc;
        else { sortKey = key; asc = !numeric; }
        draw(key);
      },
    }))));
    replace(tableSlot, h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Positions table' },
      h('table', { class: 'positions' },
        h('caption', { text: `Positions as of ${v.as_of}` }),
        h('thead', {}, head),
        h('tbody', {}, rows.map((pos) => h('tr', { dataset: { symbol: pos.symbol } },
          h('th', { scope: 'row' }, h('a', { href: holdingHref(id, pos.symbol), text: pos.symbol })),
          h('td', { text: pos.asset_class || 'unclassified' }),
          h('td', { class: 'num', text: pos.quantity }),
          h('td', { class: 'num', text: money(pos.avg_cost, cur) }),
          h('td', { class: 'num' }, money(pos.price, cur), h('br'),
            stale(pos)
              ? h('span', { class: 'tag-stale', title: 'No market source knows this symbol: valued at your own figure, not a market price', text: `${/your own price/.test(v.prices[pos.symbol].source) ? 'your price' : 'your trade'}, ${pos.price_date}` })
              : h('span', { class: 'muted small', text: pos.price_date })),
          h('td', { class: 'num', text: money(pos.value, cur) }),
          h('td', { class: 'num', text: pct(pos.weight, 1) }),
          h('td', { class: `num ${signClass(pos.day_change)}`, text: pos.day_change === null ? '—' : signedMoney(pos.day_change, cur) }),
          h('td', { class: `num ${signClass(pos.unrealized_pnl)}`, text: signedMoney(pos.unrealized_pnl, cur) })))))));
    replace(cardSlot, rows.map((pos) => h('li', { class: 'position-card', dataset: { symbol: pos.symbol } },
      h('a', { class: 'card-link', href: holdingHref(id, pos.symbol) },
        h('span', { class: 'pc-symbol', text: pos.symbol }),
        h('span', { class: 'pc-value', text: money(pos.value, cur) })),
      h('div', { class: 'pc-row' },
        h('span', { class: 'muted small', text: `${pos.quantity} sh · ${pct(pos.weight, 1)}` }),
        h('span', { class: `small ${signClass(pos.unrealized_pnl)}`, text: `${signedMoney(pos.unrealized_pnl, cur)} unrealised` })),
      h('div', { class: 'pc-row' },
        h('span', { class: 'muted small', text: stale(pos) ? `your trade price, ${pos.price_date}` : `${money(pos.price, cur)} on ${pos.price_date}` }),
        h('span', { class: `small ${signClass(pos.day_change)}`, text: pos.day_change === null ? '' : `${signedMoney(pos.day_change, cur)} today` })))));
    if (focusKey) tableSlot.querySelector(`button[data-sort="${focusKey}"]`)?.focus();
  }
  draw();
  return h('div', { class: 'positions-block' }, tableSlot, cardSlot);
}

/**
 * For a symbol no market source knows: a form to state its price (which
 * values it from that day on), or to remove the one stated.
 */
function ownPriceForm(id, symbol, source, done) {
  const mine = /your own price/.test(source.source);
  const form = h('form', { class: 'own-price', novalidate: true, 'aria-label': `Your price for ${symbol}` },
    formError(),
    h('div', { class: 'own-price-fields' },
      field('Price per share', input('price', 'text', { inputmode: 'decimal', required: true })),
      field('On', input('date', 'date', { required: true }))),
    h('div', { class: 'form-actions' },
      h('button', { type: 'submit', class: 'small primary', text: mine ? 'Update your price' : 'Set your price' }),
      mine ? h('button', {
        type: 'button', class: 'small', text: 'Remove your price',
        onclick: async (ev) => {
          await busy(ev.currentTarget, async () => {
            try {
              await del(`/portfolios/${id}/prices/${encodeURIComponent(symbol)}`);
              status(`Removed your price for ${symbol}: your last trade price values it again.`);
              done();
            } catch (e) {
              showErrors(form, e);
            }
          });
        },
      }) : null));
  defaultDay().then((d) => { form.querySelector('[name=date]').value = d; });
  onSubmit(form, async (fd) => {
    await put(`/portfolios/${id}/prices/${encodeURIComponent(symbol)}`, { date: String(fd.get('date') || ''), price: String(fd.get('price') || '').trim() });
    status(`Saved your price for ${symbol}.`);
    done();
  });
  return h('details', { class: 'own-price-box' }, h('summary', { text: mine ? `Change your price for ${symbol}` : `Know what ${symbol} is worth? Set its price` }), form);
}

function valuationView(v, id, reload) {
  const cur = v.currency;
  const stats = h('div', { class: 'stats' },
    stat('Value', money(v.value, cur)),
    stat('Day change', signedMoney(v.day_change, cur), signClass(v.day_change)),
    stat('Total return', `${signedMoney(v.total_return, cur)}${v.total_return_pct !== null && v.total_return_pct !== undefined ? ` (${pct(v.total_return_pct)})` : ''}`, signClass(v.total_return)),
    stat('Cash', money(v.cash, cur)));
  const table = v.positions.length
    ? positionsView(v, id)
    : emptyState('No positions yet: add a transaction or import a CSV.');
  const classes = Object.entries(v.allocation_by_asset_class || {});
  const sectors = Object.entries(v.allocation_by_sector || {});
  const sources = Object.entries(v.prices || {});
  return h('div', {},
    stats,
    table,
    h('div', { class: 'two-col' },
      h('div', { dataset: { allocation: '' } }, h('h3', { text: 'By asset class' }),
        classes.length ? donutChart(classes, 'Allocation by asset class') : h('p', { class: 'muted', text: 'Nothing held yet.' })),
      h('div', {}, h('h3', { text: 'By sector' }),
        sectors.length ? donutChart(sectors, 'Allocation by sector') : h('p', { class: 'muted', text: 'Nothing held yet.' }))),
    h('h3', { text: 'Prices' }),
    sources.length
      ? h('ul', { class: 'sources' }, sources.map(([sym, s]) => h('li', { class: s.stale ? 'stale' : '', dataset: { source: sym } },
        h('strong', { text: sym }), s.stale
          ? [/your own price/.test(s.source)
            ? ` valued at the price you set for ${s.as_of}: no market source knows this symbol, so this is your figure, not a market price`
            : ` valued at your last trade price (${s.as_of}): no market source knows this symbol, so this is not a market price`,
          ownPriceForm(id, sym, s, reload)]
          : ` ${s.source}, as of ${s.as_of} (fetched ${age(s.age_seconds)} ago)`)))
      : h('p', { class: 'muted', text: 'No prices needed yet.' }),
    h('p', { class: 'muted small', text: 'Prices may be delayed.' }));
}

function rangePicker(current, choose) {
  const group = h('div', { class: 'segmented', role: 'group', 'aria-label': 'Performance range' });
  for (const [r, label] of RANGES) {
    // Shown short ("3M"), named in full ("3 months").
    group.appendChild(h('button', {
      type: 'button',
      'aria-pressed': String(r === current),
      dataset: { range: r },
      onclick: () => { group.parentElement.dataset.focus = '1'; choose(r); },
    }, h('span', { 'aria-hidden': 'true', text: r.toUpperCase() }), h('span', { class: 'visually-hidden', text: label })));
  }
  return group;
}

function performanceView(perf, currency, kind, setKind) {
  const b = perf.benchmark;
  const period = RANGES.find(([r]) => r === perf.range)?.[1].toLowerCase() || perf.period;
  const chartSlot = h('div');
  const dates = perf.values.map((v) => v.date);
  function draw(k) {
    setKind(k);
    for (const btn of toggle.querySelectorAll('button')) btn.setAttribute('aria-pressed', String(btn.dataset.chart === k));
    if (k === 'value') {
      replace(chartSlot, valueChart(perf.values, currency, 'Portfolio value'));
    } else {
      const series = [{ name: 'Portfolio (time-weighted)', values: perf.values.map((v) => v.growth), cls: 's1' }];
      if (b) series.push({ name: `Benchmark (${b.symbol})`, values: perf.values.map((v) => (v.benchmark === null ? NaN : v.benchmark)), cls: 'bench' });
      replace(chartSlot, lineChart({ dates, series, format: (x) => pct(x), axis: (x) => pct(x, 0), label: 'Growth against the benchmark' }));
    }
  }
  const toggle = h('div', { class: 'segmented', role: 'group', 'aria-label': 'Chart' },
    h('button', { type: 'button', dataset: { chart: 'growth' }, text: 'Growth vs benchmark', onclick: () => draw('growth') }),
    h('button', { type: 'button', dataset: { chart: 'value' }, text: 'Value', onclick: () => draw('value') }));
  draw(kind);
  return h('div', { dataset: { range: perf.range } },
    h('p', { class: 'muted', text: `${perf.from} to ${perf.to}` }),
    h('div', { class: 'stats' },
      explained(`Time-weighted, ${period}`, pct(perf.twr), signClass(perf.twr), EXPLAIN.twr),
      explained('Money-weighted, annualised', perf.mwr === null || perf.mwr === undefined ? '—' : pct(perf.mwr), signClass(perf.mwr), EXPLAIN.mwr),
      explained(b ? `Benchmark (${b.symbol}), ${period}` : 'Benchmark', b ? pct(b.total_return) : '—', b ? signClass(b.total_return) : '', EXPLAIN.benchmark),
      explained('Deepest drawdown', pct(perf.max_drawdown), perf.max_drawdown < 0 ? 'loss' : '', EXPLAIN.drawdown)),
    toggle,
    chartSlot,
    h('h3', { text: 'Drawdown' }),
    lineChart({
      dates: perf.drawdowns.map((d) => d.date),
      series: [{ name: 'Below the previous high', values: perf.drawdowns.map((d) => d.drawdown), cls: 'dd' }],
      format: (x) => pct(x),
      axis: (x) => pct(x, 0),
      label: 'Drawdown',
      area: true,
    }),
    h('h3', { text: 'Monthly returns' }),
    monthlyHeatmap(perf.monthly_returns, `Time-weighted return per month, ${perf.from} to ${perf.to}`),
    h('p', { class: 'muted small basis', text: perf.basis }));
}

// --- one holding -----------------------------------------------------------

/** One holding of a portfolio: price chart, lots, gains and its nudges. */
export async function holdingView(ctx, id, rawSymbol) {
  let symbol;
  try {
    symbol = decodeURIComponent(rawSymbol);
  } catch {
    symbol = rawSymbol;
  }
  const p = await loadPortfolio(id);
  if (!p) return notFound();
  const body = h('div', {}, loadingNote());
  const chartEl = h('div', {}, loadingNote('Loading prices…'));
  const back = h('p', { class: 'crumbs' }, h('a', { href: `#/portfolios/${id}`, text: `← ${p.name}` }));
  async function load() {
    replace(body, loadingNote());
    try {
      const [v, ins] = await Promise.all([get(`/portfolios/${id}/valuation`), get(`/portfolios/${id}/insights`)]);
      const pos = v.positions.find((x) => x.symbol === symbol);
      if (!pos) {
        replace(body, emptyState(`${p.name} holds no ${symbol} now.`));
        return;
      }
      const cur = v.currency;
      const nudges = ins.nudges.filter((n) => n.subject === symbol);
      replace(body,
        sampleBanner(v.sample_data),
        h('div', { class: 'stats' },
          stat('Value', money(pos.value, cur)),
          stat('Shares', pos.quantity),
          stat('Price', `${money(pos.price, cur)} (${pos.price_date})`),
          stat('Weight', pct(pos.weight, 1)),
          stat('Unrealised', signedMoney(pos.unrealized_pnl, cur), signClass(pos.unrealized_pnl)),
          stat('Realised', signedMoney(pos.realized_pnl, cur), signClass(pos.realized_pnl))),
        section('Price', {}, chartEl),
        section('Lots', {}, pos.lots.length
          ? h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Lots' },
            h('table', { class: 'lots', dataset: { lots: '' } },
              h('caption', { text: 'Open lots, oldest first: sales take from the oldest (FIFO)' }),
              h('thead', {}, h('tr', {}, ['Bought', 'Shares', 'Cost', 'Cost per share'].map((t, i) => h('th', { scope: 'col', class: i ? 'num' : '', text: t })))),
              h('tbody', {}, pos.lots.map((l) => h('tr', {},
                h('td', { text: l.date }),
                h('td', { class: 'num', text: l.quantity }),
                h('td', { class: 'num', text: money(l.cost, cur) }),
                h('td', { class: 'num', text: Number(l.quantity) ? money(Number(l.cost) / Number(l.quantity), cur) : '—' }))))))
          : h('p', { class: 'muted', text: 'No open lots.' })),
        section('Nudges about this holding', {}, nudges.length
          ? h('ul', { class: 'nudges' }, nudges.map((n) => h('li', { class: `nudge ${n.severity || ''}` },
            h('p', {}, h('span', { class: 'pill', text: n.severity }), ' ', h('strong', { text: n.title })),
            h('p', { text: n.explanation }),
            h('p', {}, h('em', { text: 'What you could do: ' }), n.action))))
          : h('p', { class: 'muted', text: 'Nothing to flag about this holding.' }),
        section('News', {}, newsEl),
        disclaimer(ins.disclaimer)));
      loadChart(v.as_of);
      loadNews();
    } catch (e) {
      replace(body, errorNote(e, `Could not load ${symbol}`, load));
    }
  }
  const newsEl = h('div', { dataset: { news: '' } }, loadingNote('Loading headlines…'));
  async function loadNews() {
    try {
      const n = await get(`/symbols/${encodeURIComponent(symbol)}/news?days=7`);
      if (!n.items.length) {
        replace(newsEl, emptyState(n.feeds ? `No headlines about ${symbol} in the last 7 days.` : 'This server reads no news feeds.'));
        return;
      }
      const lean = { positive: 'gain', negative: 'loss', neutral: '' };
      replace(newsEl,
        h('ul', { class: 'headlines' }, n.items.map((x) => h('li', { class: 'headline', dataset: { headline: x.id } },
          x.link
            ? h('a', { href: x.link, target: '_blank', rel: 'noopener noreferrer', text: x.title })
            : h('span', { text: x.title }),
          h('span', { class: 'muted small', text: ` ${x.source}${x.published ? `, ${new Date(x.published).toLocaleString()}` : ''} ` }),
          h('span', { class: `pill ${lean[x.sentiment.lean] || ''}`, title: 'By a finance word list, not a reading of the article', text: x.sentiment.lean })))),
        h('p', { class: 'muted small', text: `Headlines from the feeds this server reads; the lean is ${n.method}.` }));
    } catch (e) {
      replace(newsEl, errorNote(e, `Could not fetch headlines for ${symbol}`, loadNews));
    }
  }
  async function loadChart(asOf) {
    try {
      const to = asOf;
      const from = new Date(Date.parse(`${to}T00:00:00Z`) - 365 * 86400000).toISOString().slice(0, 10);
      const hist = await get(`/symbols/${encodeURIComponent(symbol)}/history?from=${from}&to=${to}`);
      const bars = hist.bars || [];
      replace(chartEl, valueChart(bars.map((x) => ({ date: x.date, value: x.close })), p.currency, `${symbol} close`),
        h('p', { class: 'muted small', text: `Daily closes, ${from} to ${to}; ${hist.source ? `from ${hist.source}` : ''}. Past prices.` }));
    } catch (e) {
      replace(chartEl, errorNote(e, `Could not fetch prices for ${symbol}`, () => loadChart(asOf)));
    }
  }
  load();
  return h('div', { class: 'holding' }, back, h('h1', { text: symbol }), body);
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

// --- transactions ----------------------------------------------------------

function describe(t) {
  return `the ${t.type} of ${t.date}${t.symbol ? ` ${t.symbol}` : ''}`;
}

/**
 * The transactions, newest first. Edit opens the form in the row; Delete
 * asks for a confirmation in the row before anything is removed.
 */
function transactionsTable(txs, p, done) {
  if (!txs.length) return emptyState('No transactions yet.');
  const body = h('tbody');
  function row(t) {
    const tr = h('tr', { dataset: { tx: t.id } });
    function plain() {
      replace(tr,
        h('td', { text: t.date }),
        h('td', { text: t.type }),
        h('td', { text: t.symbol || '' }),
        h('td', { class: 'num', text: t.quantity || '' }),
        h('td', { class: 'num', text: t.price || '' }),
        h('td', { class: 'num', text: t.fee || '' }),
        h('td', { text: t.currency }),
        h('td', { class: 'row-actions' },
          h('button', { type: 'button', class: 'small', 'aria-label': `Edit ${describe(t)}`, text: 'Edit', dataset: { edit: '' }, onclick: edit }),
          h('button', { type: 'button', class: 'small danger', 'aria-label': `Delete ${describe(t)}`, text: 'Delete', dataset: { delete: '' }, onclick: confirmDelete })));
    }
    function confirmDelete() {
      const yes = h('button', {
        type: 'button', class: 'small danger', text: 'Yes, delete', dataset: { confirmDelete: '' },
        onclick: async () => {
          await busy(yes, async () => {
            try {
              await del(`/portfolios/${p.id}/transactions/${t.id}`);
              status('Transaction deleted.');
              done();
            } catch (e) {
              replace(tr, h('td', { colspan: '8' }, errorNote(e, 'Could not delete it', plain)));
            }
          });
        },
      });
      replace(tr, h('td', { colspan: '8', class: 'confirm-row' },
        h('span', { role: 'alert', text: `Delete ${describe(t)}? This cannot be undone.` }), ' ',
        yes, ' ',
        h('button', { type: 'button', class: 'small', text: 'Cancel', onclick: () => { plain(); tr.querySelector('[data-delete]').focus(); } })));
      yes.focus();
    }
    async function edit() {
      const form = await transactionForm(p, done, t, () => { plain(); tr.querySelector('[data-edit]').focus(); });
      replace(tr, h('td', { colspan: '8', class: 'edit-row' }, form));
      form.querySelector('input[name=date]').focus();
    }
    plain();
    return tr;
  }
  body.append(...txs.slice().reverse().map(row));
  return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Transactions' },
    h('table', { class: 'transactions' },
      h('thead', {}, h('tr', {}, ['Date', 'Type', 'Symbol', 'Quantity', 'Price', 'Fee', 'Currency', 'Actions'].map((t, i) => h('th', { scope: 'col', class: i >= 3 && i <= 5 ? 'num' : '', text: t })))),
      body));
}

/** A symbol box that suggests symbols the server describes as one types. */
export function symbolInput(value) {
  const listId = newId('symbols');
  const box = input('symbol', 'text', { autocapitalize: 'characters', autocomplete: 'off', placeholder: 'AAPL', list: listId, value: value || '', maxlength: 32 });
  const list = h('datalist', { id: listId });
  let timer = null;
  let asked = '';
  box.addEventListener('input', () => {
    clearTimeout(timer);
    const q = box.value.trim();
    if (!q || q === asked) return;
    timer = setTimeout(async () => {
      asked = q;
      try {
        const hits = await get(`/symbols?q=${encodeURIComponent(q)}&limit=8`);
        replace(list, hits.map((s) => h('option', { value: s.symbol, label: s.name ? `${s.symbol} — ${s.name}` : s.symbol })));
      } catch {
        replace(list);
      }
    }, 200);
  });
  return [box, list];
}

/**
 * The add (or, with `tx`, edit) transaction form. Dates default inside the
 * prices' range (the sample's last day when prices are the sample).
 */
async function transactionForm(p, done, tx = null, cancel = null) {
  const day = tx ? tx.date : await defaultDay();
  const [symbol, suggestions] = symbolInput(tx && tx.symbol);
  const type = h('select', { name: 'type' }, TYPES.map((t) => h('option', { value: t, text: t, selected: tx ? tx.type === t : t === 'buy' })));
  const form = h('form', { class: 'stack grid-form', novalidate: true, 'aria-label': tx ? `Edit ${describe(tx)}` : 'Add a transaction' },
    formError(),
    field('Date', input('date', 'date', { value: day, required: true })),
    field('Type', type),
    field('Symbol', symbol, 'Type a ticker or a name for suggestions.'),
    suggestions,
    field('Quantity', input('quantity', 'text', { inputmode: 'decimal', value: tx ? tx.quantity || '' : '' }), 'Shares, or the ratio for a split.'),
    field('Price or amount', input('price', 'text', { inputmode: 'decimal', value: tx ? tx.price || '' : '' })),
    field('Fee', input('fee', 'text', { inputmode: 'decimal', value: tx ? tx.fee || '' : '' })),
    field('Currency', input('currency', 'text', { value: tx ? tx.currency : p.currency, maxlength: 3, required: true })),
    h('div', { class: 'form-actions' },
      h('button', { type: 'submit', class: 'primary', text: tx ? 'Save changes' : 'Add transaction' }),
      cancel ? h('button', { type: 'button', text: 'Cancel', onclick: cancel }) : null));
  return onSubmit(form, async (fd) => {
    const body = {};
    for (const k of ['date', 'type', 'symbol', 'quantity', 'price', 'fee', 'currency']) {
      const v = String(fd.get(k) || '').trim();
      if (v) body[k] = k === 'symbol' || k === 'currency' ? v.toUpperCase() : v;
    }
    if (tx) {
      await put(`/portfolios/${p.id}/transactions/${tx.id}`, body);
      status('Transaction saved.');
    } else {
      await post(`/portfolios/${p.id}/transactions`, body);
      for (const k of ['symbol', 'quantity', 'price', 'fee']) form.querySelector(`[name=${k}]`).value = '';
      status('Transaction added.');
    }
    done();
  });
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

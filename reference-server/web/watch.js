// The watchlist and price alerts: symbols followed without holding them,
// with their last delayed price, and rules that notify once when a price
// crosses a level or moves by a percentage in a day. The server refreshes
// watched symbols and checks the rules after each refresh.

import {
  h, replace, field, formError, status, section, busy, emptyState, errorState, onSubmit,
} from './dom.js';
import { get, post, put, del } from './api.js';
import { symbolInput } from './portfolio.js';

function when(instant) {
  const d = new Date(instant);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleString();
}

/** A price as people read it: two to four decimals. */
function priceText(p) {
  const n = Number(p);
  return Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 4 }) : String(p);
}

/** The watchlist page. */
export async function watchlistView() {
  const [market, plans] = await Promise.all([
    get('/market/status').catch(() => ({ sample_data: null })),
    get('/plans').catch(() => null),
  ]);
  const plan = plans ? plans.plans.find((p) => p.tier === plans.current) : null;
  const moves = !plan || plan.daily_move_alerts;
  const where = (w) => (market.sample_data && (w.source === 'file' || w.source === 'sample')
    ? `shipped sample data of ${w.as_of}`
    : `${w.source}, ${w.as_of} (delayed)`);
  const watched = h('div', { dataset: { watchlist: '' }, 'aria-live': 'polite' });
  const rules = h('div', { dataset: { alerts: '' }, 'aria-live': 'polite' });

  function drawWatched(list) {
    replace(watched, list.items.length
      ? h('ul', { class: 'watchlist' }, list.items.map((w) => h('li', { class: 'watch', dataset: { watch: w.symbol } },
        h('strong', { text: `$${w.symbol}` }),
        h('span', { class: 'watch-price', text: w.price ? priceText(w.price) : 'no price yet' }),
        h('span', { class: 'muted small', text: w.price ? where(w) : 'no source knows this symbol yet; tried again on the next refresh' }),
        h('button', {
          type: 'button',
          class: 'small',
          text: 'Remove',
          'aria-label': `Remove ${w.symbol} from the watchlist`,
          onclick: async (ev) => {
            await busy(ev.currentTarget, async () => {
              try {
                await del(`/watchlist/${encodeURIComponent(w.symbol)}`);
                status(`${w.symbol} is off your watchlist.`);
                await loadWatched();
              } catch (e) {
                status(e.message);
              }
            });
          },
        }))))
      : emptyState('Nothing on your watchlist yet.', { detail: 'Add symbols you want to follow without holding them; their prices are refreshed with your holdings.' }));
  }
  async function loadWatched() {
    try {
      drawWatched(await get('/watchlist'));
    } catch (e) {
      replace(watched, errorState('Could not load your watchlist', e, loadWatched));
    }
  }

  function drawRules(list) {
    replace(rules, list.length
      ? h('ul', { class: 'alert-rules' }, list.map((r) => h('li', { class: 'alert-rule', dataset: { alert: r.id, armed: String(r.armed) } },
        h('span', { text: r.description }),
        h('span', {
          class: `pill ${r.armed ? '' : 'gain'}`,
          text: r.armed ? 'waiting' : 'fired',
          title: r.armed ? 'Notifies you once when this happens' : 'Fired; it waits for the price to go back before it can fire again',
        }),
        r.fired_at ? h('span', { class: 'muted small', text: `last fired ${when(r.fired_at)}` }) : null,
        h('button', {
          type: 'button',
          class: 'small',
          text: 'Delete',
          'aria-label': `Delete the alert: ${r.description}`,
          onclick: async (ev) => {
            await busy(ev.currentTarget, async () => {
              try {
                await del(`/alerts/${encodeURIComponent(r.id)}`);
                status('Alert deleted.');
                await loadRules();
              } catch (e) {
                status(e.message);
              }
            });
          },
        }))))
      : emptyState('No price alerts yet.', { detail: 'An alert notifies you once when a price crosses your level or moves by your percentage in a day, then waits for it to go back.' }));
  }
  async function loadRules() {
    try {
      drawRules(await get('/alerts'));
    } catch (e) {
      replace(rules, errorState('Could not load your alerts', e, loadRules));
    }
  }

  const [watchBox, watchList] = symbolInput('');
  const watchForm = onSubmit(h('form', { class: 'inline-form stack', novalidate: true, 'aria-label': 'Add to the watchlist' },
    formError(),
    field('Symbol', watchBox, 'Type a ticker or a name for suggestions.'),
    watchList,
    h('button', { type: 'submit', class: 'primary', text: 'Watch' })), async (fd) => {
    const symbol = String(fd.get('symbol') || '').trim().replace(/^\$/, '');
    drawWatched(await put(`/watchlist/${encodeURIComponent(symbol)}`));
    watchForm.reset();
    status(`${symbol.toUpperCase()} is on your watchlist.`);
  });

  const [ruleBox, ruleList] = symbolInput('');
  const kind = h('select', { name: 'kind' },
    h('option', { value: 'above', text: 'rises above (price)' }),
    h('option', { value: 'below', text: 'falls below (price)' }),
    h('option', { value: 'moved', text: moves ? 'moves in a day by (percent; negative for a fall)' : 'moves in a day by (AuraVest Plus)' }));
  const ruleForm = onSubmit(h('form', { class: 'stack grid-form', novalidate: true, 'aria-label': 'New price alert' },
    formError(),
    field('Symbol', ruleBox),
    ruleList,
    field('When it', kind),
    field('Value', h('input', { name: 'value', type: 'text', inputmode: 'decimal', required: true, placeholder: '200' }),
      moves ? 'A price in the symbol\'s currency, or a percentage such as 5 or -5.' : 'A price in the symbol\'s currency. Alerts on a day\'s move come with AuraVest Plus.'),
    plan ? h('p', { class: 'muted small', dataset: { planLimits: '' }, text: `Your plan (${plan.name}): ${plan.watchlist_symbols} symbols on the watchlist, ${plan.alert_rules} alert rules. ` }, h('a', { href: '#/plus', text: 'See the plans' })) : null,
    h('button', { type: 'submit', class: 'primary', text: 'Set alert' })), async (fd) => {
    const rule = await post('/alerts', {
      symbol: String(fd.get('symbol') || '').trim().replace(/^\$/, ''),
      kind: String(fd.get('kind') || ''),
      value: String(fd.get('value') || '').trim(),
    });
    ruleForm.reset();
    status(`Alert set: ${rule.description}.`);
    await loadRules();
  });

  await Promise.all([loadWatched(), loadRules()]);
  return h('div', {},
    h('h1', { text: 'Watchlist and alerts' }),
    h('p', { class: 'hint', text: 'Prices are delayed quotes, refreshed every 15 minutes in US market hours. An alert arrives as a notification (the bell) naming the quote\'s source and age.' }),
    section('Watchlist', {}, watchForm, watched),
    section('Price alerts', {}, ruleForm, rules));
}

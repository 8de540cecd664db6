// The dashboard: the landing page after login. Each widget loads on its
// own, with its own loading, empty and error state; which widgets show,
// and in what order, is the profile's `dashboard` setting, edited here.

import {
  h, replace, status, money, signedMoney, pct, signClass, disclaimer, plural,
  loadingState, emptyState, errorState, stat, sampleBanner,
} from './dom.js';
import { get, patch } from './api.js';
import { lineChart, donutChart } from './chart.js';

/** Every widget the server accepts, with its title, in the default order. */
export const WIDGETS = [
  ['valuation', 'Net worth'],
  ['allocation', 'Allocation'],
  ['performance', 'Growth against the benchmark'],
  ['nudges', 'Nudges'],
  ['assistant', 'AI insight'],
  ['goals', 'Goals'],
  ['badges', 'Badges'],
  ['community', 'Community'],
  ['news', 'News on your holdings'],
];
const TITLES = Object.fromEntries(WIDGETS);

const RANGES = [['1m', '1 month'], ['3m', '3 months'], ['6m', '6 months'], ['ytd', 'Year to date'], ['1y', '1 year'], ['max', 'All']];
const ALLOCATIONS = [
  ['allocation_by_holding', 'Holding'],
  ['allocation_by_asset_class', 'Asset class'],
  ['allocation_by_sector', 'Sector'],
  ['allocation_by_currency', 'Currency'],
];
const SEVERITY = { critical: 0, warning: 1, info: 2 };
const SEEN_BADGES = 'auravest.seenBadges';

function loading(text = 'Loading…') {
  return loadingState(text, { skeleton: true });
}

/** What failed, why, and a Retry that runs `retry`. */
function failed(what, e, retry) {
  return errorState(`Could not ${what}`, e, retry);
}

function empty(text, ...extra) {
  return emptyState(text, { action: extra.length ? h('div', { class: 'state-actions' }, ...extra) : null });
}

/**
 * One widget: a card whose body `load(body)` fills; a failure shows the
 * error with a Retry button.
 */
function widget(id, what, load) {
  const body = h('div', { class: 'widget-body' }, loading());
  const headId = `w-${id}-title`;
  const card = h('section', { class: `card widget widget-${id}`, 'aria-labelledby': headId, dataset: { widget: id } },
    h('h2', { id: headId, text: TITLES[id] }), body);
  async function run() {
    replace(body, loading());
    try {
      await load(body);
    } catch (e) {
      replace(body, failed(what, e, run));
    }
  }
  run();
  return card;
}

// --- the widgets --------------------------------------------------------

function netWorthWidget(data) {
  return widget('valuation', 'value your portfolios', async (body) => {
    const d = await data();
    const n = d.net_worth;
    if (!n) {
      replace(body, d.portfolios.length
        ? empty('Your portfolios could not be valued yet.', notes(d))
        : empty('No portfolios yet. Create one and add what you hold to see your net worth here.',
          h('a', { class: 'button primary', href: '#/portfolios', text: 'Create a portfolio' })));
      return;
    }
    const cur = d.currency;
    replace(body,
      h('p', { class: 'net-worth', dataset: { netWorth: '' } }, money(n.value, cur)),
      h('div', { class: 'stats' },
        stat('Day change', signedMoney(n.day_change, cur), signClass(n.day_change), `since the close before ${n.as_of}`),
        stat('Total return', `${signedMoney(n.total_return, cur)}${n.total_return_pct === null ? '' : ` (${pct(n.total_return_pct)})`}`,
          signClass(n.total_return), 'value less the money you paid in, since the start'),
        stat('Cash', money(n.cash, cur))),
      h('ul', { class: 'portfolio-lines' }, d.portfolios.map((p) => h('li', {},
        h('a', { href: `#/portfolios/${p.id}`, text: p.name }),
        p.value === null
          ? h('span', { class: 'muted small', text: p.note || 'not valued' })
          : h('span', { class: 'num' }, money(p.value, p.currency),
            p.day_change !== null ? h('span', { class: `small ${signClass(p.day_change)}`, text: ` ${signedMoney(p.day_change, p.currency)}` }) : null),
        p.included || p.value === null ? null : h('span', { class: 'muted small block', text: p.note })))),
      h('p', { class: 'muted small', text: `Prices as of ${n.as_of}; they may be delayed.` }));
  });
}

function notes(d) {
  return h('ul', { class: 'muted small' }, d.portfolios.filter((p) => p.note).map((p) => h('li', { text: `${p.name}: ${p.note}` })));
}

function allocationWidget(data) {
  return widget('allocation', 'load the allocation', async (body) => {
    const d = await data();
    const n = d.net_worth;
    if (!n || !Object.keys(n.allocation_by_holding).length) {
      replace(body, empty('Nothing held yet.'));
      return;
    }
    const panel = h('div', { class: 'alloc-panel', role: 'tabpanel' });
    const tabs = h('div', { class: 'segmented', role: 'tablist', 'aria-label': 'Allocation by' });
    const buttons = ALLOCATIONS.map(([key, label], i) => h('button', {
      type: 'button',
      role: 'tab',
      id: `alloc-tab-${i}`,
      'aria-selected': String(i === 0),
      'aria-controls': 'alloc-panel',
      tabindex: i === 0 ? '0' : '-1',
      text: label,
      onclick: () => choose(i),
      onkeydown: (ev) => {
        const k = { ArrowRight: 1, ArrowLeft: -1 }[ev.key];
        if (k) {
          ev.preventDefault();
          choose((i + k + ALLOCATIONS.length) % ALLOCATIONS.length, true);
        }
      },
    }));
    panel.id = 'alloc-panel';
    tabs.append(...buttons);
    function choose(i, focus) {
      buttons.forEach((b, j) => {
        b.setAttribute('aria-selected', String(i === j));
        b.tabIndex = i === j ? 0 : -1;
      });
      if (focus) buttons[i].focus();
      panel.setAttribute('aria-labelledby', buttons[i].id);
      const [key, label] = ALLOCATIONS[i];
      const entries = Object.entries(n[key] || {}).map(([k, w]) => [k === 'CASH' ? 'Cash' : k, w]);
      replace(panel, donutChart(entries, `Allocation by ${label.toLowerCase()}`),
        key !== 'allocation_by_holding' && entries.some(([k]) => k === 'unclassified')
          ? h('p', { class: 'muted small', text: '"unclassified": holdings our instrument list does not describe; nothing is guessed.' })
          : null);
    }
    choose(0);
    replace(body, tabs, panel);
  });
}

function growthWidget(load) {
  let range = '1y';
  const holder = h('div');
  const picker = h('div', { class: 'segmented', role: 'group', 'aria-label': 'Range' });
  for (const [r, label] of RANGES) {
    // Shown short ("3M"), named in full ("3 months").
    picker.appendChild(h('button', {
      type: 'button', 'aria-pressed': String(r === range), dataset: { range: r },
      onclick: () => {
        range = r;
        for (const b of picker.querySelectorAll('button')) b.setAttribute('aria-pressed', String(b.dataset.range === r));
        draw();
      },
    }, h('span', { 'aria-hidden': 'true', text: r.toUpperCase() }), h('span', { class: 'visually-hidden', text: label })));
  }
  async function draw() {
    replace(holder, loading('Loading the chart…'));
    try {
      const d = await load(range);
      const g = d.growth;
      if (!g) {
        replace(holder, empty('Add transactions to a portfolio to see how it grew.'));
        return;
      }
      const dates = g.points.map((p) => p.date);
      const series = [{ name: 'Your portfolios', values: g.points.map((p) => p.growth), cls: 's1' }];
      if (g.benchmark) series.push({ name: `Benchmark (${g.benchmark.symbol})`, values: g.points.map((p) => (p.benchmark === null ? NaN : p.benchmark)), cls: 'bench' });
      replace(holder,
        h('div', { class: 'stats' },
          stat('Time-weighted return', pct(g.twr), signClass(g.twr), `${g.from} to ${g.to}`),
          g.benchmark ? stat(`Benchmark (${g.benchmark.symbol})`, pct(g.benchmark.total_return), signClass(g.benchmark.total_return), 'price change, same days') : null),
        lineChart({ dates, series, format: (v) => pct(v), axis: (v) => pct(v, 0), label: 'Growth of your portfolios against the benchmark' }),
        h('p', { class: 'muted small basis', text: g.basis }));
    } catch (e) {
      replace(holder, failed('load the growth chart', e, draw));
    }
  }
  return widget('performance', 'load the chart', async (body) => {
    replace(body, picker, holder);
    draw();
  });
}

function nudgesWidget(data) {
  return widget('nudges', 'load the nudges', async (body) => {
    const d = await data();
    const ids = d.portfolios.filter((p) => p.value !== null).map((p) => p);
    if (!ids.length) {
      replace(body, empty('Nudges appear once a portfolio holds something.'));
      return;
    }
    const all = [];
    let disclaimerText = '';
    for (const p of ids.slice(0, 5)) {
      const ins = await get(`/portfolios/${p.id}/insights`);
      disclaimerText = ins.disclaimer || disclaimerText;
      for (const n of ins.nudges) all.push({ ...n, portfolio: p });
    }
    all.sort((a, b) => (SEVERITY[a.severity] ?? 5) - (SEVERITY[b.severity] ?? 5));
    if (!all.length) {
      replace(body, empty('Nothing to flag right now.'));
      return;
    }
    replace(body,
      h('ul', { class: 'nudges compact' }, all.slice(0, 3).map((n) => h('li', { class: `nudge ${n.severity || ''}` },
        h('p', {}, h('span', { class: 'pill', text: n.severity || 'info' }), ' ', h('strong', { text: n.title })),
        h('p', { class: 'small', text: n.action }),
        h('a', { class: 'small', href: `#/portfolios/${n.portfolio.id}`, text: `In ${n.portfolio.name}` })))),
      all.length > 3 ? h('p', { class: 'muted small', text: `${plural(all.length - 3, 'more nudge')} on the portfolio pages.` }) : null,
      disclaimerText ? disclaimer(disclaimerText) : null);
  });
}

function insightWidget(data) {
  return widget('assistant', 'load the AI insight', async (body) => {
    const d = await data();
    const first = d.portfolios.find((p) => p.value !== null);
    if (!first) {
      replace(body, empty('An AI-written summary of your portfolio appears here once it holds something.'));
      return;
    }
    const s = await get(`/portfolios/${first.id}/summary`);
    replace(body,
      h('p', { class: 'ai-label' }, h('span', { class: 'pill ai', text: 'AI-generated' }), ` about ${first.name}`),
      h('p', { class: 'pre', dataset: { insightText: '' }, text: withoutDisclaimer(s.text || '', s.disclaimer) }),
      h('p', { class: 'muted small', text: s.model && s.model !== 'none'
        ? `Drafted by ${s.model} from the figures on your portfolio page, and checked against them.`
        : 'Put together from the figures on your portfolio page (no language model drafted it).' }),
      s.disclaimer ? disclaimer(s.disclaimer) : null,
      h('a', { href: '#/assistant', text: 'Ask the assistant a question' }));
  });
}

/** `text` without the disclaimer it ends with (the card shows it once, below). */
function withoutDisclaimer(text, disclaimerText) {
  const t = text.trimEnd();
  return disclaimerText && t.endsWith(disclaimerText) ? t.slice(0, -disclaimerText.length).trimEnd() : t;
}

function goalsWidget() {
  return widget('goals', 'load your goals', async (body) => {
    const goals = await get('/goals');
    if (!goals.length) {
      replace(body, empty('No goals yet.', h('a', { href: '#/goals', text: 'Set a goal' })));
      return;
    }
    replace(body, h('ul', { class: 'goal-bars' }, goals.map((g) => {
      const p = g.progress;
      const done = p ? Math.min(1, Math.max(0, Number(p.progress))) : 0;
      return h('li', {},
        h('div', { class: 'goal-bar-head' }, h('span', { text: g.name }), h('span', { class: 'muted small', text: p ? `${pct(done, 0)} of ${money(g.target)}` : 'no progress yet' })),
        h('progress', { max: '1', value: String(done), 'aria-label': `Progress toward ${g.name}` }),
        p ? h('span', { class: `small ${p.on_track ? 'gain' : 'loss'}`, text: p.on_track ? 'On track' : 'Not on track' }) : null);
    })), h('a', { class: 'small', href: '#/goals', text: 'All goals' }));
  });
}

/** Badges, with a small celebration for each one earned since last seen. */
function badgesWidget() {
  return widget('badges', 'load your badges', async (body) => {
    const badges = await get('/badges');
    const earned = badges.filter((b) => b.earned);
    let seen = [];
    try {
      seen = JSON.parse(localStorage.getItem(SEEN_BADGES) || '[]');
    } catch {
      seen = [];
    }
    const fresh = earned.filter((b) => !seen.includes(b.id));
    try {
      localStorage.setItem(SEEN_BADGES, JSON.stringify(earned.map((b) => b.id)));
    } catch {
      // Private mode: the celebration shows again next time.
    }
    replace(body,
      fresh.length ? h('div', { class: 'celebrate', role: 'status', dataset: { celebrate: '' } },
        h('span', { class: 'confetti', 'aria-hidden': 'true' }, ...Array.from({ length: 12 }, (_, i) => h('i', { class: `bit b${i % 6}` }))),
        h('strong', { text: fresh.length === 1 ? `New badge: ${fresh[0].title}!` : `${fresh.length} new badges!` }),
        ' Well done.') : null,
      earned.length
        ? h('ul', { class: 'badge-row' }, earned.map((b) => h('li', { class: 'badge earned', title: b.rule },
          h('span', { class: 'badge-mark', 'aria-hidden': 'true', text: '★' }), h('span', { text: b.title }))))
        : empty('No badges yet: they come with your first steps.'),
      h('p', { class: 'muted small', text: `${earned.length} of ${badges.length} earned.` }));
  });
}

function communityWidget() {
  return widget('community', 'load the community', async (body) => {
    let page = await get('/community/feed?limit=3');
    let from = 'From members you follow';
    if (!page.items.length) {
      page = await get('/community/posts?sort=trending&limit=3');
      from = 'Trending';
    }
    if (!page.items.length) {
      replace(body, empty('No posts yet.', h('a', { href: '#/community', text: 'Start the conversation' })));
      return;
    }
    replace(body,
      h('p', { class: 'muted small', text: from }),
      h('ul', { class: 'post-previews' }, page.items.slice(0, 3).map((p) => h('li', {},
        h('strong', { text: p.author && p.author.kind === 'member' ? p.author.alias : 'Anonymous' }),
        h('p', { class: 'clamp', text: p.text }),
        h('span', { class: 'muted small', text: `${plural(p.likes, 'like')} · ${plural(p.comments, 'comment')}` })))),
      h('a', { href: '#/community', text: 'Open the community' }));
  });
}

function newsWidget(data) {
  return widget('news', 'load the news', async (body) => {
    const d = await data();
    const held = Object.entries((d.net_worth && d.net_worth.allocation_by_holding) || {})
      .filter(([sym]) => sym !== 'cash' && sym !== 'CASH')
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([sym]) => sym);
    if (!held.length) {
      replace(body, empty('Headlines about what you hold show here.'));
      return;
    }
    const pages = await Promise.all(held.map((s) => get(`/symbols/${encodeURIComponent(s)}/news?days=7`).catch(() => null)));
    if (pages.every((p) => p && !p.feeds)) {
      replace(body, empty('This server reads no news feeds.'));
      return;
    }
    const items = pages.flatMap((p, i) => (p ? p.items.map((x) => ({ ...x, symbol: held[i] })) : []))
      .sort((a, b) => String(b.published || '').localeCompare(String(a.published || '')))
      .slice(0, 5);
    if (!items.length) {
      replace(body, empty(`No headlines about ${held.map((s) => `$${s}`).join(', ')} in the last 7 days.`));
      return;
    }
    replace(body,
      h('ul', { class: 'headlines' }, items.map((x) => h('li', { class: 'headline' },
        h('span', { class: 'pill', text: `$${x.symbol}` }), ' ',
        x.link ? h('a', { href: x.link, target: '_blank', rel: 'noopener noreferrer', text: x.title }) : h('span', { text: x.title }),
        h('span', { class: 'muted small', text: ` ${x.source}` })))),
      h('p', { class: 'muted small', text: 'Headlines about your three largest holdings, from the feeds this server reads.' }));
  });
}

// --- customising ----------------------------------------------------------

function customiser(current, onSaved) {
  const order = [...current, ...WIDGETS.map(([id]) => id).filter((id) => !current.includes(id))];
  const shown = new Set(current);
  const list = h('ol', { class: 'widget-order' });
  const msg = h('p', { class: 'form-error', role: 'alert' });
  function draw(focusId, focusWhich) {
    replace(list, order.map((id, i) => {
      const box = h('input', { type: 'checkbox', id: `show-${id}`, checked: shown.has(id), onchange: (ev) => { if (ev.target.checked) shown.add(id); else shown.delete(id); } });
      return h('li', { dataset: { widgetChoice: id } },
        box, h('label', { for: `show-${id}`, text: TITLES[id] }),
        h('span', { class: 'order-buttons' },
          h('button', { type: 'button', class: 'small', 'aria-label': `Move ${TITLES[id]} up`, disabled: i === 0, dataset: { move: 'up' }, text: '↑', onclick: () => { [order[i - 1], order[i]] = [order[i], order[i - 1]]; draw(id, 'up'); } }),
          h('button', { type: 'button', class: 'small', 'aria-label': `Move ${TITLES[id]} down`, disabled: i === order.length - 1, dataset: { move: 'down' }, text: '↓', onclick: () => { [order[i + 1], order[i]] = [order[i], order[i + 1]]; draw(id, 'down'); } })));
    }));
    if (focusId) {
      const b = list.querySelector(`[data-widget-choice="${focusId}"] [data-move="${focusWhich}"]`);
      (b && !b.disabled ? b : list.querySelector(`[data-widget-choice="${focusId}"] input`)).focus();
    }
  }
  draw();
  const save = h('button', { type: 'button', class: 'primary', text: 'Save layout' });
  save.addEventListener('click', async () => {
    const dashboard = order.filter((id) => shown.has(id));
    try {
      const me = await patch('/me', { dashboard });
      status('Dashboard layout saved.');
      onSaved(me);
    } catch (e) {
      msg.textContent = e.message;
    }
  });
  return h('div', { class: 'card customiser', dataset: { customiser: '' } },
    h('h2', { text: 'Customise your dashboard' }),
    h('p', { class: 'muted small', text: 'Tick the widgets to show; the arrows change their order.' }),
    list, msg, save);
}

// --- the page -------------------------------------------------------------

/** The dashboard. */
export async function dashboardView(ctx) {
  const me = ctx.me || await get('/me');
  const widgets = (me.dashboard || []).filter((id) => TITLES[id]);
  // One request serves every widget on first load; the chart asks again
  // for other ranges.
  let first = null;
  const data = () => {
    // A failure is not kept: Retry asks again.
    if (!first) first = get('/dashboard?range=1y').catch((e) => { first = null; throw e; });
    return first;
  };
  const byRange = (range) => (range === '1y' ? data() : get(`/dashboard?range=${encodeURIComponent(range)}`));
  const makers = {
    valuation: () => netWorthWidget(data),
    allocation: () => allocationWidget(data),
    performance: () => growthWidget(byRange),
    nudges: () => nudgesWidget(data),
    assistant: () => insightWidget(data),
    goals: () => goalsWidget(),
    badges: () => badgesWidget(),
    community: () => communityWidget(),
    news: () => newsWidget(data),
  };
  const grid = h('div', { class: 'dashboard-grid', dataset: { dashboard: '' } });
  const banner = h('div');
  data().then((d) => {
    replace(banner, sampleBanner(d.sample_data));
  }).catch(() => {});
  if (widgets.length) grid.append(...widgets.map((id) => makers[id]()));
  else grid.append(empty('Every widget is hidden. Choose some with "Customise".'));
  const slot = h('div');
  const toggle = h('button', { type: 'button', class: 'small', 'aria-expanded': 'false', text: 'Customise' });
  toggle.addEventListener('click', () => {
    const open = toggle.getAttribute('aria-expanded') === 'true';
    toggle.setAttribute('aria-expanded', String(!open));
    replace(slot, open ? null : customiser(widgets, (updated) => {
      ctx.setMe(updated);
      ctx.navigate('#/');
    }));
  });
  return h('div', { class: 'dashboard' },
    h('div', { class: 'page-head' },
      h('h1', { text: `Hello, ${me.alias}` }),
      toggle),
    banner,
    slot,
    grid);
}

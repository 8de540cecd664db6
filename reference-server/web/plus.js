// AuraVest Plus: what each plan gives, the user's plan, and "notify me"
// (there is no payment yet: Plus is set by the operator).

import { h, replace, status, busy, errorState } from './dom.js';
import { get, post } from './api.js';

const ROWS = [
  ['AI questions a day', (p) => String(p.ai_questions_per_day)],
  ['Symbols on the watchlist', (p) => String(p.watchlist_symbols)],
  ['Price alert rules', (p) => String(p.alert_rules)],
  ['Alerts on a day\'s move', (p) => (p.daily_move_alerts ? 'Yes' : 'No')],
  ['Portfolios, the dashboard, the community, messages', () => 'Yes'],
];

/** The plans page. */
export async function plusView() {
  const body = h('div', {});
  async function load() {
    let view;
    try {
      view = await get('/plans');
    } catch (e) {
      replace(body, errorState('Could not load the plans', e, load));
      return;
    }
    const current = view.plans.find((p) => p.tier === view.current);
    const notify = h('button', {
      type: 'button',
      class: 'primary',
      dataset: { notifyMe: '' },
      disabled: view.notify_me || view.current === 'plus',
      text: view.current === 'plus' ? 'You have AuraVest Plus' : (view.notify_me ? 'We will let you know' : 'Notify me when Plus opens'),
      onclick: async (ev) => {
        await busy(ev.currentTarget, async () => {
          try {
            await post('/plans/plus/notify');
            status('Thank you: we will let you know when AuraVest Plus opens.');
            await load();
          } catch (e) {
            status(e.message);
          }
        });
      },
    });
    replace(body,
      h('p', { dataset: { currentPlan: '' }, text: `You are on ${current ? current.name : 'AuraVest'}.` }),
      h('div', { class: 'table-wrap' },
        h('table', { class: 'plans' },
          h('caption', { class: 'visually-hidden', text: 'What each plan gives' }),
          h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Included' }),
            view.plans.map((p) => h('th', { scope: 'col', text: p.name, dataset: { plan: p.tier }, class: p.tier === view.current ? 'current-plan' : '' })))),
          h('tbody', {}, ROWS.map(([label, value]) => h('tr', {},
            h('th', { scope: 'row', text: label }),
            view.plans.map((p) => h('td', { text: value(p) }))))))),
      h('p', { class: 'hint', text: 'There is nothing to pay today: AuraVest Plus is not open yet. Leave your name and we will tell you when it is; you can keep using everything in the free plan.' }),
      notify);
  }
  await load();
  return h('div', {},
    h('h1', { text: 'Upgrade to AuraVest Plus' }),
    h('section', { class: 'card' }, body));
}

// Account views: log in, register, the risk questionnaire, goals and
// badges, the assistant and the profile (export, deletion).

import {
  h, replace, field, formError, clearErrors, showErrors, status, section,
  disclaimer, busy, money, pct, values, loadingState, emptyState,
} from './dom.js';
import { get, post, put, patch, del, ApiError, streamed } from './api.js';
import { slimSdk } from './wasm.js';
import { THEMES, applyTheme, currentTheme, onThemeChange } from './appearance.js';

import { WIDGETS } from './dashboard.js';

function input(name, type, attrs = {}) {
  return h('input', { name, type, ...attrs });
}

// --- log in / register ---------------------------------------------------

/** The login form. */
export function loginView(ctx) {
  const form = h('form', { class: 'stack', novalidate: true, 'aria-label': 'Log in' },
    formError(),
    field('Email', input('email', 'email', { autocomplete: 'username', required: true })),
    field('Password', input('password', 'password', { autocomplete: 'current-password', required: true })),
    h('button', { type: 'submit', class: 'primary', text: 'Log in' }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const v = values(form);
    await busy(form.querySelector('button[type=submit]'), async () => {
      try {
        clearErrors(form);
        await post('/auth/login', { email: v.email, password: v.password }, { noRefresh: true });
        await ctx.signedIn();
      } catch (e) {
        showErrors(form, e);
      }
    });
  });
  return h('div', { class: 'narrow' },
    h('h1', { text: 'Log in' }),
    h('div', { class: 'card' }, form),
    h('p', {}, 'New to AuraVest? ', h('a', { href: '#/register', text: 'Create an account' })));
}

/** Registration, showing the terms to accept. */
export async function registerView(ctx) {
  const legal = await get('/legal', { noRefresh: true });
  const terms = h('div', { class: 'terms', tabindex: '0', role: 'region', 'aria-label': `Terms of use, version ${legal.terms_version}` },
    h('p', { class: 'pre', text: legal.terms }));
  const privacy = h('details', {}, h('summary', { text: 'Privacy policy' }), h('p', { class: 'pre', text: legal.privacy }));
  const about = h('details', {}, h('summary', { text: 'About our AI' }), h('p', { class: 'pre', text: legal.about_ai }));
  const form = h('form', { class: 'stack', novalidate: true, 'aria-label': 'Create an account' },
    formError(),
    field('Email', input('email', 'email', { autocomplete: 'username', required: true })),
    field('Password', input('password', 'password', { autocomplete: 'new-password', required: true, minlength: 12 }),
      'At least 12 characters, and not a common password.'),
    h('h2', { text: 'Terms of use' }),
    terms, privacy, about,
    field(`I have read and accept the terms of use (version ${legal.terms_version})`,
      input('accepted_terms_version', 'checkbox', { value: legal.terms_version })),
    h('button', { type: 'submit', class: 'primary', text: 'Create account' }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const v = values(form);
    await busy(form.querySelector('button[type=submit]'), async () => {
      try {
        clearErrors(form);
        const body = { email: v.email, password: v.password, accepted_terms_version: v.accepted_terms_version || '' };
        await post('/auth/register', body, { noRefresh: true });
        await post('/auth/login', { email: v.email, password: v.password }, { noRefresh: true });
        status('Welcome to AuraVest.');
        await ctx.signedIn();
      } catch (e) {
        showErrors(form, e);
      }
    });
  });
  return h('div', { class: 'narrow' },
    h('h1', { text: 'Create an account' }),
    h('div', { class: 'card' }, form),
    h('p', {}, 'Already have an account? ', h('a', { href: '#/login', text: 'Log in' })),
    disclaimer(legal.disclaimer));
}

// --- risk ----------------------------------------------------------------

function profileSummary(stored) {
  const p = stored.profile || {};
  const a = p.allocation || {};
  return h('div', { class: 'risk-result', dataset: { riskResult: '' } },
    h('p', { class: 'big' }, 'Your risk category: ', h('strong', { dataset: { riskCategory: '' }, text: String(p.category || '—') })),
    h('p', { text: `Score ${p.score ?? '—'}, capacity ${p.capacity_score ?? '—'}${(p.capped_by || []).length ? ` (capped by ${p.capped_by.join(', ')})` : ''}.` }),
    h('p', { text: `Model allocation: ${pct(a.stocks, 0)} stocks, ${pct(a.bonds, 0)} bonds, ${pct(a.cash, 0)} cash.` }),
    p.rationale ? h('p', { text: p.rationale }) : null,
    h('p', { class: 'muted', text: `Taken ${new Date(stored.created_at).toLocaleString()}` }),
    disclaimer(stored.disclaimer));
}

/** The risk questionnaire and the current profile. */
export async function riskView() {
  const [q, history] = await Promise.all([get('/risk/questionnaire'), get('/risk/profile')]);
  const current = h('div', { dataset: { riskCurrent: '' } },
    history.current ? profileSummary(history.current) : h('p', { text: 'You have not taken the questionnaire yet.' }));
  const prev = (history.current && history.current.answers && history.current.answers.answers) || {};
  const form = h('form', { class: 'stack', 'aria-label': 'Risk questionnaire' }, formError());
  q.questions.forEach((question, qi) => {
    const legendId = `q-${question.id}`;
    const fs = h('fieldset', { class: 'question', 'aria-describedby': `${legendId}-error` },
      h('legend', { id: legendId, text: `${qi + 1}. ${question.text}` }));
    question.options.forEach((opt, i) => {
      const id = `${legendId}-${i}`;
      fs.appendChild(h('div', { class: 'option' },
        h('input', { type: 'radio', id, name: question.id, value: String(i), required: true, checked: prev[question.id] === i }),
        h('label', { for: id, text: opt.text })));
    });
    fs.appendChild(h('p', { class: 'field-error', id: `${legendId}-error`, dataset: { errorFor: `answers.${question.id}` } }));
    form.appendChild(fs);
  });
  // The category as the answers change, scored in the browser by the SDK's
  // own rules (the WebAssembly package); saving still goes to the server.
  const live = h('p', { class: 'live-category', 'aria-live': 'polite', dataset: { riskLive: '' } });
  async function showLive() {
    const sdk = await slimSdk();
    if (!sdk) return;
    const answers = {};
    for (const question of q.questions) {
      const checked = form.querySelector(`input[name="${CSS.escape(question.id)}"]:checked`);
      if (checked) answers[question.id] = Number(checked.value);
    }
    const answered = Object.keys(answers).length;
    if (answered < q.questions.length) {
      live.dataset.category = '';
      live.textContent = `${answered} of ${q.questions.length} answered: answer every question to see your category.`;
      return;
    }
    try {
      const profile = sdk.riskScore(answers, q.version);
      const label = sdk.riskCategories().find((c) => c.category === profile.category)?.label || profile.category;
      live.dataset.category = profile.category;
      live.textContent = `With these answers: ${label} (${Math.round(profile.allocation.stocks * 100)}% stocks). Save to keep it.`;
    } catch (e) {
      live.dataset.category = '';
      live.textContent = e.message;
    }
  }
  form.addEventListener('change', showLive);
  showLive();
  form.appendChild(live);
  form.appendChild(h('button', { type: 'submit', class: 'primary', text: 'Save my answers' }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const answers = {};
    for (const question of q.questions) {
      const checked = form.querySelector(`input[name="${CSS.escape(question.id)}"]:checked`);
      if (checked) answers[question.id] = Number(checked.value);
    }
    await busy(form.querySelector('button[type=submit]'), async () => {
      try {
        clearErrors(form);
        const stored = await post('/risk/answers', { version: q.version, answers });
        replace(current, profileSummary(stored));
        status(`Saved: your risk category is ${stored.profile.category}.`);
        current.scrollIntoView({ block: 'start' });
      } catch (e) {
        showErrors(form, e);
      }
    });
  });
  return h('div', {},
    h('h1', { text: 'Risk profile' }),
    section('Your profile', {}, current),
    section(`Questionnaire (version ${q.version})`, {},
      h('p', { class: 'muted', text: 'Answer every question; your answers decide the risk category used for recommendations.' }),
      form));
}

// --- goals and badges ----------------------------------------------------

function goalItem(goal, onDelete) {
  const p = goal.progress;
  const done = p ? Number(p.progress) : null;
  return h('li', { class: 'goal', dataset: { goal: goal.name } },
    h('div', { class: 'goal-head' },
      h('h3', { text: goal.name }),
      h('button', { type: 'button', class: 'danger small', 'aria-label': `Delete goal ${goal.name}`, text: 'Delete', onclick: onDelete })),
    h('p', { text: `Target ${money(goal.target)}${goal.by ? ` by ${goal.by}` : ''}${goal.monthly_contribution ? `, ${money(goal.monthly_contribution)} a month` : ''}` }),
    p ? [
      h('div', { class: 'progress-row' },
        h('progress', { max: '1', value: String(Math.min(1, Math.max(0, done))), 'aria-label': `Progress toward ${goal.name}` }),
        h('span', { text: pct(done, 0) })),
      h('p', { class: p.on_track ? 'gain' : 'loss', text: p.on_track ? 'On track' : 'Not on track' }),
      p.projected_value ? h('p', { class: 'muted', text: `Projected at the deadline: ${money(p.projected_value)}` }) : null,
      p.required_monthly_contribution ? h('p', { class: 'muted', text: `Monthly contribution needed: ${money(p.required_monthly_contribution)}` }) : null,
      p.projected_date ? h('p', { class: 'muted', text: `Projected to be reached by ${p.projected_date}` }) : null,
    ] : h('p', { class: 'muted', text: 'Progress shows once a portfolio has transactions.' }));
}

/** Goals (list with progress, create, delete) and badges. */
/** The learning checklist: one checkbox per item, saved as it is ticked. */
function checklistView(items, onChange) {
  return h('ul', { class: 'checklist' }, items.map((item) => {
    const id = `check-${item.id}`;
    const box = h('input', { type: 'checkbox', id, name: item.id, checked: item.done, 'aria-describedby': `${id}-lesson` });
    box.addEventListener('change', async () => {
      box.disabled = true;
      try {
        const path = `/checklist/${encodeURIComponent(item.id)}`;
        const list = box.checked ? await put(path) : await del(path);
        status(box.checked ? `Marked "${item.title}" done.` : `Marked "${item.title}" not done.`);
        await onChange(list);
      } catch (e) {
        box.checked = !box.checked;
        status(e.message);
      } finally {
        box.disabled = false;
      }
    });
    return h('li', { dataset: { item: item.id } },
      box,
      h('label', { for: id }, h('strong', { text: item.title })),
      h('p', { class: 'hint', id: `${id}-lesson`, text: item.lesson }));
  }));
}

export async function goalsView(ctx) {
  const list = h('ul', { class: 'goals', 'aria-live': 'polite' });
  const badgesEl = h('ul', { class: 'badges' });
  const checklistEl = h('div', { dataset: { checklist: '' } });
  async function showChecklist(items) {
    replace(checklistEl, checklistView(items, async () => {
      replace(badgesEl, ...badgeItems(await get('/badges')));
    }));
  }
  function badgeItems(badges) {
    return badges.map((b) => h('li', { class: b.earned ? 'badge earned' : 'badge', dataset: { badge: b.id } },
      h('span', { class: 'badge-mark', 'aria-hidden': 'true', text: b.earned ? '★' : '☆' }),
      h('span', {}, h('strong', { text: b.title }), h('br'), h('span', { class: 'muted', text: b.rule })),
      h('span', { class: 'visually-hidden', text: b.earned ? ' (earned)' : ' (not earned yet)' })));
  }
  async function reload() {
    const [goals, badges, checklist] = await Promise.all([get('/goals'), get('/badges'), get('/checklist')]);
    await showChecklist(checklist);
    replace(list, goals.length
      ? goals.map((g) => goalItem(g, async () => {
        try {
          await del(`/goals/${g.id}`);
          status(`Deleted the goal ${g.name}.`);
          await reload();
        } catch (e) {
          status(e.message);
        }
      }))
      : h('li', {}, emptyState('No goals yet.', { detail: 'Set one below: a target amount and date, and the portfolio that counts towards it.' })));
    replace(badgesEl, ...badgeItems(badges));
  }
  await reload();
  const form = h('form', { class: 'stack grid-form', novalidate: true, 'aria-label': 'New goal' },
    formError(),
    field('Name', input('name', 'text', { required: true, maxlength: 80 })),
    field('Target amount', input('target', 'text', { inputmode: 'decimal', required: true })),
    field('By (optional)', input('by', 'date')),
    field('Monthly contribution (optional)', input('monthly_contribution', 'text', { inputmode: 'decimal' })),
    field('Expected annual return, % (optional)', input('expected_return', 'text', { inputmode: 'decimal' }), 'For example 5 for 5% a year.'),
    h('button', { type: 'submit', class: 'primary', text: 'Add goal' }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const v = values(form);
    const body = { name: v.name, target: v.target };
    if (v.by) body.by = v.by;
    if (v.monthly_contribution) body.monthly_contribution = v.monthly_contribution;
    if (v.expected_return) {
      const r = Number(v.expected_return);
      if (Number.isNaN(r)) {
        showErrors(form, new ApiError(422, 'validation_failed', 'not a number', { expected_return: 'must be a number' }));
        return;
      }
      body.expected_return = r / 100;
    }
    await busy(form.querySelector('button[type=submit]'), async () => {
      try {
        clearErrors(form);
        await post('/goals', body);
        form.reset();
        status(`Added the goal ${body.name}.`);
        await reload();
      } catch (e) {
        showErrors(form, e);
      }
    });
  });
  void ctx;
  return h('div', {},
    h('h1', { text: 'Goals and badges' }),
    section('Your goals', {}, list),
    section('Add a goal', {}, form),
    section('Learning checklist', {}, h('p', { class: 'muted', text: 'Five ideas worth knowing. Tick each one when you have it.' }), checklistEl),
    section('Badges', {}, badgesEl));
}

// --- assistant -----------------------------------------------------------

/** "in 5 hours 12 minutes" until an instant. */
function untilText(iso) {
  const ms = Date.parse(iso) - Date.now();
  if (!Number.isFinite(ms) || ms <= 0) return 'soon';
  const minutes = Math.ceil(ms / 60000);
  const hrs = Math.floor(minutes / 60);
  const mins = minutes % 60;
  const part = (n, w) => `${n} ${w}${n === 1 ? '' : 's'}`;
  if (!hrs) return `in ${part(mins, 'minute')}`;
  return mins ? `in ${part(hrs, 'hour')} ${part(mins, 'minute')}` : `in ${part(hrs, 'hour')}`;
}

/** "3 of 5 questions left today, resets at 00:00 UTC (in 5 hours 12 minutes)". */
function usageText(used, limit, resetsAt) {
  const left = Math.max(0, limit - used);
  const when = resetsAt ? `, resets at 00:00 UTC (${untilText(resetsAt)})` : '';
  return `${left} of ${limit} question${limit === 1 ? '' : 's'} left today${when}`;
}

/** The session's conversation, kept while the tab is open. */
const HISTORY = 'auravest.assistant.history';
function loadHistory() {
  try {
    return JSON.parse(sessionStorage.getItem(HISTORY) || '[]');
  } catch {
    return [];
  }
}
function saveHistory(items) {
  try {
    sessionStorage.setItem(HISTORY, JSON.stringify(items.slice(-20)));
  } catch {
    // Storage full or unavailable: the conversation lives on this page only.
  }
}

/** Who wrote an answer, in words: the model's checked draft, or the
 * sentences chosen from the sources. */
function answerOrigin(a) {
  const model = a.model && a.model !== 'none' ? a.model : null;
  switch (a.draft) {
    case 'accepted': return `AI-generated by ${model}, checked against the cited sources.`;
    case 'repaired': return `AI-generated by ${model}; sentences the sources did not support were removed.`;
    case 'replaced': return `Chosen from the sources: the draft by ${model} did not pass the checks against them.`;
    default: return 'Chosen from the cited sources (no language model on this server).';
  }
}

function answerView(a) {
  const feedback = h('div', { class: 'feedback', role: 'group', 'aria-label': 'Rate this answer' });
  for (const [kind, label] of [['helpful', 'Helpful'], ['wrong', 'Wrong'], ['biased', 'Biased']]) {
    feedback.appendChild(h('button', {
      type: 'button',
      class: 'small',
      text: label,
      onclick: async (ev) => {
        const chosen = ev.currentTarget;
        try {
          await post(`/answers/${a.id}/feedback`, { kind });
          for (const b of feedback.querySelectorAll('button')) b.setAttribute('aria-pressed', String(b === chosen));
          status('Thanks for your feedback.');
        } catch (e) {
          status(e.message);
        }
      },
    }));
  }
  let text = a.answer || '';
  if (a.disclaimer && text.trimEnd().endsWith(a.disclaimer)) text = text.trimEnd().slice(0, -a.disclaimer.length).trimEnd();
  return h('article', { class: 'answer', dataset: { answer: a.id } },
    h('h3', { text: a.refused ? 'The assistant declined this question' : 'Answer' }),
    h('p', { class: 'pre', text }),
    h('p', { class: 'muted small', dataset: { answerOrigin: '' }, text: answerOrigin(a) }),
    a.citations && a.citations.length ? [
      h('h4', { text: 'Sources' }),
      h('ol', { class: 'citations', dataset: { citations: '' } },
        a.citations.map((c) => h('li', {},
          h('strong', { text: c.title }), c.heading && c.heading !== c.title ? ` — ${c.heading}` : '',
          c.snippet ? h('blockquote', { text: c.snippet }) : null))),
    ] : h('p', { class: 'muted', text: 'No sources were cited.' }),
    disclaimer(a.disclaimer),
    h('p', { class: 'muted', text: 'Was this answer useful?' }),
    feedback);
}

/** Ask the assistant: the session's conversation, the day's allowance in
 * words, and a visible "starting" state while it loads. */
export async function assistantView() {
  const [usage, portfolios] = await Promise.all([get('/me/usage'), get('/portfolios')]);
  const ai = usage.usage.ai_questions || { used: 0, limit: 5 };
  let resetsAt = usage.resets_at;
  const usageEl = h('p', { class: 'usage', dataset: { usage: '' }, 'aria-live': 'polite', text: usageText(ai.used, ai.limit, resetsAt) });
  const stateEl = h('div', { dataset: { assistantState: '' } });
  const history = loadHistory();
  const convo = h('ol', { class: 'conversation', 'aria-label': 'This session\'s questions and answers', dataset: { conversation: '' } });
  function drawHistory() {
    replace(convo, history.map((turn) => h('li', { class: 'turn' },
      h('p', { class: 'question' }, h('span', { class: 'visually-hidden', text: 'You asked: ' }), turn.question),
      answerView(turn.answer))));
  }
  drawHistory();
  const pending = h('div', { 'aria-live': 'polite' });
  const select = h('select', { name: 'portfolio_id' },
    h('option', { value: '', text: 'No portfolio (general question)' }),
    portfolios.map((p) => h('option', { value: p.id, text: p.name })));
  const ask = h('button', { type: 'submit', class: 'primary', text: 'Ask' });
  const form = h('form', { class: 'stack', novalidate: true, 'aria-label': 'Ask the assistant' },
    formError(),
    field('Your question', h('textarea', { name: 'question', rows: '3', required: true, maxlength: 1000 }),
      'For example: What is diversification? The assistant explains; it does not tell you what to buy or sell.'),
    field('About a portfolio (optional)', select),
    ask);
  let poll = null;
  function showState(kind) {
    clearTimeout(poll);
    if (kind === 'ready') {
      replace(stateEl);
      ask.disabled = false;
      return;
    }
    ask.disabled = true;
    if (kind === 'off') {
      replace(stateEl, h('p', { class: 'banner', role: 'status', text: 'The assistant is turned off on this server.' }));
      return;
    }
    replace(stateEl, h('div', { class: 'banner' },
      loadingState('The assistant is starting: it is loading its knowledge base. You can ask as soon as it is ready.')));
    poll = setTimeout(async () => {
      if (!stateEl.isConnected) return;
      try {
        const u = await get('/me/usage');
        resetsAt = u.resets_at;
        showState(u.assistant);
        if (u.assistant === 'ready') status('The assistant is ready.');
      } catch {
        showState('starting');
      }
    }, 3000);
  }
  showState(usage.assistant || 'ready');
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const v = values(form);
    const body = { question: v.question };
    if (v.portfolio_id) body.portfolio_id = v.portfolio_id;
    await busy(ask, async () => {
      try {
        clearErrors(form);
        replace(pending, loadingState('Finding sources…'));
        // The model's draft, shown as it is written; the checked answer
        // (which may keep, trim or replace it) takes its place.
        let draftText = null;
        const r = await streamed('/ask/stream', body, (name, data) => {
          if (name !== 'draft') return;
          if (!draftText) {
            draftText = h('p', { class: 'pre draft-text' });
            replace(pending, h('article', { class: 'answer draft', 'aria-busy': 'true', dataset: { draft: '' } },
              h('h3', { text: 'Draft' }),
              h('p', { class: 'muted', text: 'Being written by the language model; it is checked against the sources before it is shown as the answer.' }),
              draftText));
          }
          draftText.textContent += data.text;
        });
        usageEl.textContent = usageText(r.used, r.limit, resetsAt);
        history.push({ question: v.question, answer: r.answer });
        saveHistory(history);
        replace(pending);
        drawHistory();
        form.querySelector('textarea').value = '';
        convo.lastElementChild?.querySelector('h3')?.setAttribute('tabindex', '-1');
        convo.lastElementChild?.querySelector('h3')?.focus();
      } catch (e) {
        replace(pending);
        if (e instanceof ApiError && e.status === 429) {
          e.message = `You have used today's questions; they reset at 00:00 UTC (${untilText(resetsAt)}).`;
        }
        if (e instanceof ApiError && e.status === 503 && /loading/.test(e.message)) {
          showState('starting');
          return;
        }
        showErrors(form, e);
      }
    });
  });
  return h('div', {},
    h('h1', { text: 'Ask the assistant' }),
    stateEl,
    convo,
    pending,
    section('Question', {}, usageEl, form),
    history.length ? h('button', { type: 'button', class: 'small', text: 'Clear this conversation', onclick: () => { history.length = 0; saveHistory(history); drawHistory(); } }) : null);
}

// --- profile -------------------------------------------------------------

function download(name, data) {
  const blob = new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/**
 * The theme choice: light, dark or the device's; shown at once and saved
 * to the profile as soon as it is picked.
 */
function themeChoice(ctx) {
  const labels = { light: 'Light', dark: 'Dark', system: 'Same as my device' };
  const group = h('fieldset', { class: 'theme-choice', dataset: { themeChoice: '' }, 'aria-describedby': 'theme-error' },
    h('legend', { text: 'Theme' }),
    THEMES.map((t) => h('div', { class: 'option' },
      h('input', { type: 'radio', id: `theme-${t}`, name: 'theme', value: t, checked: currentTheme() === t }),
      h('label', { for: `theme-${t}`, text: labels[t] }))),
    h('p', { class: 'field-error', id: 'theme-error', dataset: { errorFor: 'theme' } }));
  const stop = onThemeChange((t) => {
    if (!group.isConnected) {
      stop();
      return;
    }
    for (const r of group.querySelectorAll('input[name=theme]')) r.checked = r.value === t;
  });
  group.addEventListener('change', async (ev) => {
    const theme = ev.target.value;
    applyTheme(theme);
    const error = group.querySelector('#theme-error');
    error.textContent = '';
    try {
      ctx.setMe(await patch('/me', { theme }));
      status(`Theme set to ${labels[theme].toLowerCase()}.`);
    } catch (e) {
      error.textContent = (e.fields && e.fields.theme) || e.message;
    }
  });
  return group;
}

/** The profile: settings, export, deletion. */
export async function profileView(ctx) {
  const me = await get('/me');
  ctx.setMe(me);
  const facts = h('dl', { class: 'facts' },
    h('dt', { text: 'Email' }), h('dd', { dataset: { email: '' }, text: me.email }),
    h('dt', { text: 'Role' }), h('dd', { text: me.role }),
    h('dt', { text: 'Terms accepted' }), h('dd', { text: `version ${me.terms_version}` }),
    h('dt', { text: 'Member since' }), h('dd', { text: new Date(me.created_at).toLocaleDateString() }));
  const dash = h('fieldset', { class: 'widgets', 'aria-describedby': 'dashboard-error' }, h('legend', { text: 'Dashboard widgets' }),
    WIDGETS.map(([w, title]) => h('div', { class: 'option' },
      h('input', { type: 'checkbox', id: `w-${w}`, name: 'dashboard', value: w, checked: me.dashboard.includes(w) }),
      h('label', { for: `w-${w}`, text: title }))),
    h('p', { class: 'field-error', id: 'dashboard-error', dataset: { errorFor: 'dashboard' } }));
  const form = h('form', { class: 'stack', novalidate: true, 'aria-label': 'Profile settings' },
    formError(),
    field('Alias (shown in the community)', input('alias', 'text', { value: me.alias, required: true, maxlength: 30 }),
      '3 to 30 characters: a-z, 0-9, _ and -, starting with a letter.'),
    field('Show my performance as', h('select', { name: 'display_mode' },
      ['percent', 'hidden'].map((m) => h('option', { value: m, text: m === 'percent' ? 'Percentages' : 'Hidden', selected: me.display_mode === m })))),
    field('Share my performance with the community', input('share_performance', 'checkbox', { checked: me.share_performance })),
    field('Count my holdings in the community\'s "most held" list', input('count_holdings', 'checkbox', { checked: me.count_holdings }),
      'Tickers only, counted with at least two other members; never shown as yours.'),
    dash,
    h('button', { type: 'submit', class: 'primary', text: 'Save profile' }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const fd = new FormData(form);
    const body = {
      alias: fd.get('alias'),
      display_mode: fd.get('display_mode'),
      share_performance: form.querySelector('[name=share_performance]').checked,
      count_holdings: form.querySelector('[name=count_holdings]').checked,
      // The order set on the dashboard is kept; a widget ticked here joins at the end.
      dashboard: ((ticked) => [...me.dashboard.filter((w) => ticked.has(w)),
        ...WIDGETS.map(([w]) => w).filter((w) => ticked.has(w) && !me.dashboard.includes(w))])(new Set(fd.getAll('dashboard'))),
    };
    await busy(form.querySelector('button[type=submit]'), async () => {
      try {
        clearErrors(form);
        const updated = await patch('/me', body);
        ctx.setMe(updated);
        status('Profile saved.');
      } catch (e) {
        const fields = {};
        for (const [k, v] of Object.entries(e.fields || {})) fields[k.startsWith('dashboard') ? 'dashboard' : k] = v;
        showErrors(form, e.fields ? Object.assign(e, { fields }) : e);
      }
    });
  });

  const exportBtn = h('button', { type: 'button', text: 'Download my data (JSON)' });
  exportBtn.addEventListener('click', () => busy(exportBtn, async () => {
    try {
      const data = await get('/me/export');
      download(`auravest-export-${new Date().toISOString().slice(0, 10)}.json`, data);
      status('Your export is downloading.');
    } catch (e) {
      status(e.message);
    }
  }));

  const confirmBox = h('div', { class: 'stack danger-zone', hidden: true });
  const delForm = h('form', { class: 'stack', novalidate: true, 'aria-label': 'Delete account' },
    formError(),
    h('fieldset', {}, h('legend', { text: 'Your community posts' }),
      h('div', { class: 'option' }, h('input', { type: 'radio', id: 'posts-delete', name: 'posts', value: 'delete', checked: true }), h('label', { for: 'posts-delete', text: 'Delete them' })),
      h('div', { class: 'option' }, h('input', { type: 'radio', id: 'posts-anon', name: 'posts', value: 'anonymize' }), h('label', { for: 'posts-anon', text: 'Keep them, anonymised' })),
      h('p', { class: 'field-error', dataset: { errorFor: 'posts' } })),
    field('I understand that deleting my account removes all my data for good', input('confirm', 'checkbox', { required: true })),
    h('button', { type: 'submit', class: 'danger', text: 'Delete my account permanently' }));
  confirmBox.appendChild(delForm);
  const startDelete = h('button', { type: 'button', class: 'danger', 'aria-expanded': 'false', text: 'Delete my account…' });
  startDelete.addEventListener('click', () => {
    confirmBox.hidden = !confirmBox.hidden;
    startDelete.setAttribute('aria-expanded', String(!confirmBox.hidden));
  });
  delForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const fd = new FormData(delForm);
    if (!fd.get('confirm')) {
      showErrors(delForm, new ApiError(422, 'validation_failed', 'please confirm', { confirm: 'tick this box to confirm' }));
      return;
    }
    await busy(delForm.querySelector('button[type=submit]'), async () => {
      try {
        await del(`/me?posts=${encodeURIComponent(fd.get('posts'))}`);
        ctx.signedOut('Your account has been deleted.');
      } catch (e) {
        showErrors(delForm, e);
      }
    });
  });
  const logout = h('button', { type: 'button', text: 'Log out' });
  logout.addEventListener('click', () => document.getElementById('logout').click());

  return h('div', {},
    h('h1', { text: 'Profile' }),
    section('Account', {}, facts, logout),
    section('Plan', {}, h('p', {}, 'Your plan, its limits and AuraVest Plus: ', h('a', { href: '#/plus', text: 'see the plans' }), '.')),
    section('Appearance', {}, themeChoice(ctx)),
    section('Settings', {}, form),
    section('Your data', {},
      h('p', { text: 'Download everything AuraVest holds about you as JSON.' }), exportBtn),
    section('Delete account', { class: 'card danger-card' },
      h('p', { text: 'Deleting your account removes your portfolios, goals, risk answers and usage for good.' }),
      startDelete, confirmBox));
}

// Direct messages: conversations with members who follow you back, the
// choice to take messages at all, blocks, and reports to the moderators.
// Texts are always set as text. New messages arrive live.

import {
  h, replace, field, formError, status, busy, emptyState, errorState, onSubmit, plural,
} from './dom.js';
import { get, post, put, del } from './api.js';
import { onPageLive } from './live.js';

function when(instant) {
  const d = new Date(instant);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleString();
}

/** Reloads `load` on the live events `kinds` accepts while the page is shown. */
function liveReload(kinds, load) {
  onPageLive((kind, data) => {
    if (kinds(kind, data)) load();
  });
}

/** The conversations page. */
export async function messagesView(ctx) {
  const list = h('div', { dataset: { conversations: '' }, 'aria-live': 'polite' });
  const accepts = h('input', { type: 'checkbox', name: 'accepts', id: 'dm-accepts' });
  async function load() {
    let page;
    try {
      page = await get('/community/messages');
    } catch (e) {
      replace(list, errorState('Could not load your messages', e, load));
      return;
    }
    accepts.checked = page.accepts;
    replace(list, page.conversations.length
      ? h('ul', { class: 'conversations' }, page.conversations.map((c) => h('li', { class: `conversation-item${c.unread ? ' unread' : ''}`, dataset: { conversation: c.with } },
        h('a', { href: `#/messages/${encodeURIComponent(c.with)}` },
          h('strong', { text: c.with }),
          c.unread ? h('span', { class: 'pill', text: `${plural(c.unread, 'new message')}` }) : null),
        h('p', { class: 'muted small preview', text: `${c.last.mine ? 'You: ' : ''}${c.last.text}` }),
        h('time', { class: 'muted small', datetime: c.last.sent_at, text: when(c.last.sent_at) }))))
      : emptyState('No messages yet.', { detail: 'You can write to members who follow you and whom you follow. Open a member\'s name below to start.' }));
  }
  accepts.addEventListener('change', async () => {
    try {
      await put('/community/messages/settings', { accepts: accepts.checked });
      status(accepts.checked ? 'Members you follow who follow you back can write to you.' : 'No one can write to you now.');
    } catch (e) {
      accepts.checked = !accepts.checked;
      status(e.message);
    }
  });
  const open = onSubmit(h('form', { class: 'inline-form stack', novalidate: true, 'aria-label': 'Write to a member' },
    formError(),
    field('Member (their community name)', h('input', { name: 'alias', type: 'text', required: true, autocomplete: 'off', maxlength: 40 })),
    h('button', { type: 'submit', class: 'primary', text: 'Open conversation' })), async (fd) => {
    const alias = String(fd.get('alias') || '').trim().replace(/^@/, '');
    ctx.navigate(`#/messages/${encodeURIComponent(alias)}`);
  });
  liveReload((kind) => kind === 'message', load);
  await load();
  return h('div', {},
    h('h1', { text: 'Messages' }),
    h('p', { class: 'hint', text: 'Private messages between members who follow each other. Never share account details or amounts of money; report anything that worries you.' }),
    h('section', { class: 'card' },
      h('div', { class: 'option' }, accepts, h('label', { for: 'dm-accepts', text: 'Take messages from members I follow who follow me back' })),
      open,
      list));
}

/** One conversation. */
export async function conversationView(ctx, aliasParam) {
  let alias;
  try {
    alias = decodeURIComponent(aliasParam);
  } catch {
    alias = aliasParam;
  }
  const list = h('ol', { class: 'thread', dataset: { thread: '' }, 'aria-live': 'polite', 'aria-label': `Messages with ${alias}` });
  const note = h('div', {});
  const blockButton = h('button', { type: 'button', class: 'small', dataset: { block: '' } });
  let thread;
  const text = h('textarea', { name: 'text', rows: '2', required: true, maxlength: 1000 });
  const form = onSubmit(h('form', { class: 'stack', novalidate: true, 'aria-label': `Message to ${alias}` },
    formError(),
    field('Your message', text),
    h('button', { type: 'submit', class: 'primary', text: 'Send' })), async (fd) => {
    await post(`/community/messages/with/${encodeURIComponent(alias)}`, { text: String(fd.get('text') || '') });
    form.reset();
    await load();
    text.focus();
  });
  let draw = () => {
    blockButton.textContent = thread.blocked ? `Unblock ${thread.with}` : `Block ${thread.with}`;
    blockButton.setAttribute('aria-pressed', String(thread.blocked));
    replace(note, thread.can_send ? null : h('p', { class: 'banner', role: 'status', dataset: { refusal: '' }, text: `You cannot write to ${thread.with}: ${thread.refusal}.` }));
    form.hidden = !thread.can_send;
    replace(list, thread.messages.length
      ? thread.messages.map((m) => h('li', { class: `message${m.mine ? ' mine' : ''}`, dataset: { message: m.id } },
        h('p', { class: 'pre', text: m.text }),
        h('p', { class: 'muted small' },
          h('time', { datetime: m.sent_at, text: when(m.sent_at) }),
          m.mine ? (m.read ? ' · read' : '') : '',
          !m.mine && !m.reported ? h('button', {
            type: 'button',
            class: 'link-button small',
            text: 'Report',
            'aria-label': `Report this message from ${thread.with}`,
            onclick: async (ev) => {
              const reason = window.prompt('What is wrong with this message? The moderators will see it and the message.');
              if (!reason) return;
              await busy(ev.currentTarget, async () => {
                try {
                  await post(`/community/messages/${encodeURIComponent(m.id)}/report`, { reason });
                  status('Reported: the moderators will look at it.');
                  await load();
                } catch (e) {
                  status(e.message);
                }
              });
            },
          }) : null,
          !m.mine && m.reported ? ' · reported' : '')))
      : h('li', {}, emptyState(`No messages with ${thread.with} yet.`)));
  };
  async function load() {
    try {
      thread = await get(`/community/messages/with/${encodeURIComponent(alias)}`);
      draw();
    } catch (e) {
      replace(list, h('li', {}, errorState('Could not load this conversation', e, load)));
    }
  }
  blockButton.addEventListener('click', async () => {
    await busy(blockButton, async () => {
      try {
        const path = `/community/messages/blocks/${encodeURIComponent(thread.with)}`;
        if (thread.blocked) await del(path);
        else await put(path);
        status(thread.blocked ? `${thread.with} is unblocked.` : `${thread.with} is blocked: no messages either way.`);
        await load();
      } catch (e) {
        status(e.message);
      }
    });
    draw();
  });
  const who = () => (thread ? thread.with : alias).toLowerCase();
  liveReload((kind, data) => kind === 'message' && String(data.from).toLowerCase() === who(), load);
  const heading = h('h1', { text: `Messages with ${alias}` });
  const actions = h('div', { class: 'form-actions' }, blockButton);
  form.hidden = true;
  actions.hidden = true;
  const origDraw = draw;
  draw = () => {
    origDraw();
    heading.textContent = `Messages with ${thread.with}`;
    actions.hidden = false;
  };
  await load();
  return h('div', {},
    h('p', {}, h('a', { href: '#/messages', text: '← All messages' })),
    heading,
    h('section', { class: 'card' }, note, list, form, actions));
}

// The moderators' page: posts hidden or flagged by members, messages
// reported by their recipients, feedback sent to the moderators, and bans.
// Every action asks for a reason, which the community's moderation log
// keeps; texts are always set as text.

import {
  h, replace, field, formError, status, busy, emptyState, errorState, onSubmit, section, plural,
} from './dom.js';
import { get, post } from './api.js';

function when(instant) {
  const d = new Date(instant);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleString();
}

/** A flag's reason in words (`other` carries the reporter's note). */
function reasonName(reason) {
  const kind = typeof reason === 'string' ? reason : String((reason && reason.reason) || 'other');
  const note = reason && typeof reason === 'object' ? reason.note : null;
  return note ? `${kind.replaceAll('_', ' ')}: ${note}` : kind.replaceAll('_', ' ');
}

/** A reason box and buttons that run `act(reason)` with it. */
function reasoned(label, actions) {
  const input = h('input', { type: 'text', name: 'reason', maxlength: 500, placeholder: 'Reason (kept in the moderation log)', 'aria-label': `Reason: ${label}` });
  const error = h('p', { class: 'field-error', role: 'alert' });
  const buttons = actions.map(([text, act, cls]) => h('button', {
    type: 'button',
    class: `small ${cls || ''}`,
    text,
    'aria-label': `${text}: ${label}`,
    onclick: async (ev) => {
      const reason = input.value.trim();
      error.textContent = '';
      if (!reason) {
        error.textContent = 'Give a reason first.';
        input.focus();
        return;
      }
      await busy(ev.currentTarget, async () => {
        try {
          await act(reason);
        } catch (e) {
          error.textContent = e.message;
        }
      });
    },
  }));
  return h('div', { class: 'moderation-actions' }, input, ...buttons, error);
}

/** The moderation page (moderators and admins). */
export async function moderationView() {
  const flagged = h('div', { dataset: { flagged: '' } });
  const reported = h('div', { dataset: { reported: '' } });
  const feedback = h('div', { dataset: { feedbackQueue: '' } });
  async function load() {
    let queue;
    let messages;
    let notes;
    try {
      [queue, messages, notes] = await Promise.all([
        get('/community/moderation/flags'),
        get('/community/moderation/messages'),
        get('/community/moderation/feedback'),
      ]);
    } catch (e) {
      replace(flagged, errorState(e.status === 403 ? 'This page is for moderators' : 'Could not load the moderation queue', e, load));
      replace(reported);
      replace(feedback);
      return;
    }
    replace(flagged, queue.length
      ? h('ul', { class: 'moderation-list' }, queue.map((q) => h('li', { class: 'card moderation-item', dataset: { queuePost: q.post.id } },
        h('p', { class: 'small muted', text: `${plural(q.flags, 'flag')} · ${q.reasons.map((r) => `${reasonName(r.reason)} (${r.count})`).join(', ')} · first ${when(q.first_flagged_at)} · ${q.post.status}` }),
        h('p', { class: 'pre post-text', text: q.post.text }),
        reasoned(`the post ${q.post.id}`, [
          ['Take down', async (reason) => {
            await post(`/community/moderation/posts/${encodeURIComponent(q.post.id)}/remove`, { reason });
            status('Taken down.');
            await load();
          }, 'danger'],
          ['Keep', async (reason) => {
            await post(`/community/moderation/posts/${encodeURIComponent(q.post.id)}/restore`, { reason });
            status('Kept: its flags are closed.');
            await load();
          }],
        ]))))
      : emptyState('No flagged posts.', { detail: 'Posts members report show here, most reported first.' }));
    replace(reported, messages.length
      ? h('ul', { class: 'moderation-list' }, messages.map((m) => h('li', { class: 'card moderation-item', dataset: { reportedMessage: m.id } },
        h('p', { class: 'small muted', text: `From ${m.from} to ${m.to}, ${when(m.sent_at)} · reported: ${m.reason}` }),
        h('p', { class: 'pre', text: m.text }),
        m.sender_present ? reasoned(`${m.from}, sender of a reported message`, [
          [`Ban ${m.from}`, async (reason) => {
            await post(`/community/moderation/members/${encodeURIComponent(m.from)}/ban`, { reason });
            status(`${m.from} is banned.`);
            await load();
          }, 'danger'],
        ]) : h('p', { class: 'small muted', text: 'The sender has left.' }),
        h('button', {
          type: 'button',
          class: 'small',
          text: 'Close the report',
          'aria-label': `Close the report of the message from ${m.from}`,
          onclick: async (ev) => {
            await busy(ev.currentTarget, async () => {
              try {
                await post(`/community/moderation/messages/${encodeURIComponent(m.id)}/resolve`);
                status('Report closed.');
                await load();
              } catch (e) {
                status(e.message);
              }
            });
          },
        }))))
      : emptyState('No reported messages.'));
    replace(feedback, notes.length
      ? h('ul', { class: 'moderation-list' }, notes.map((f) => h('li', { class: 'card moderation-item', dataset: { feedback: f.id } },
        h('p', { class: 'small muted', text: `${f.category} · from ${f.from}, ${when(f.sent_at)}` }),
        h('p', { class: 'pre', text: f.text }),
        h('button', {
          type: 'button',
          class: 'small',
          text: 'Mark resolved',
          'aria-label': `Mark resolved: feedback from ${f.from}`,
          onclick: async (ev) => {
            await busy(ev.currentTarget, async () => {
              try {
                await post(`/community/moderation/feedback/${encodeURIComponent(f.id)}/resolve`);
                status('Resolved.');
                await load();
              } catch (e) {
                status(e.message);
              }
            });
          },
        }))))
      : emptyState('No open feedback.'));
  }
  const banForm = onSubmit(h('form', { class: 'stack grid-form', novalidate: true, 'aria-label': 'Ban a member' },
    formError(),
    field('Member (community name)', h('input', { name: 'alias', type: 'text', required: true, maxlength: 40 })),
    field('Reason', h('input', { name: 'reason', type: 'text', required: true, maxlength: 500 })),
    h('button', { type: 'submit', class: 'danger', text: 'Ban' })), async (fd) => {
    const alias = String(fd.get('alias') || '').trim().replace(/^@/, '');
    const r = await post(`/community/moderation/members/${encodeURIComponent(alias)}/ban`, { reason: String(fd.get('reason') || '') });
    banForm.reset();
    status(`${r.member} is banned.`);
  }, { alias: 'alias' });
  await load();
  return h('div', {},
    h('h1', { text: 'Moderation' }),
    h('p', { class: 'hint', text: 'Every action here is recorded with its reason in the community\'s moderation log and in the audit log.' }),
    section('Flagged posts', {}, flagged),
    section('Reported messages', {}, reported),
    section('Feedback from members', {}, feedback),
    section('Ban a member', {}, banForm));
}

// The community view: write a post, share a portfolio's return in percent,
// read the followed members' feed or a ticker's stream, trending tickers
// and the two leaderboards. Texts from the API are always set as text.

import {
  h, replace, field, formError, clearErrors, showErrors, status, section, busy, values, plural, errorState,
  onSubmit, emptyState,
} from './dom.js';
import { get, post, put, del, ApiError } from './api.js';
import { slimSdk } from './wasm.js';
import { onPageLive, watchStreams } from './live.js';

/** The last complete month as `YYYY-MM`. */
function lastMonth() {
  const d = new Date();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() - 1);
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

function authorName(author) {
  return author && author.kind === 'member' ? author.alias : 'Anonymous';
}

function when(instant) {
  const d = new Date(instant);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleString();
}

const FLAG_REASONS = [
  ['spam', 'Spam or self-promotion'],
  ['harassment', 'Insults, threats or harassment'],
  ['personal_information', 'Someone\'s personal information'],
  ['manipulation', 'Pump-and-dump or other manipulation'],
  ['misinformation', 'False or misleading claims'],
  ['off_topic', 'Off topic'],
  ['other', 'Something else (say what)'],
];

/** Whether the viewer follows each alias, asked once per page. */
const following = new Map();
function followsOf(alias) {
  if (!following.has(alias)) {
    following.set(alias, get(`/community/members/${encodeURIComponent(alias)}`)
      .then((p) => Boolean(p.followed_by_viewer))
      .catch(() => false));
  }
  return following.get(alias);
}

/** Follow / Following for a member's posts (never on one's own or anonymous ones). */
function followButton(p) {
  if (p.mine || !p.author || p.author.kind !== 'member') return null;
  const alias = p.author.alias;
  const button = h('button', { type: 'button', class: 'small', 'aria-pressed': 'false', text: 'Follow', dataset: { follow: alias }, 'aria-label': `Follow ${alias}` });
  followsOf(alias).then((on) => {
    button.setAttribute('aria-pressed', String(on));
    button.textContent = on ? 'Following' : 'Follow';
  });
  button.addEventListener('click', async () => {
    const on = button.getAttribute('aria-pressed') === 'true';
    await busy(button, async () => {
      try {
        const path = `/community/members/${encodeURIComponent(alias)}/follow`;
        if (on) await del(path);
        else await put(path);
        following.set(alias, Promise.resolve(!on));
        for (const b of document.querySelectorAll(`button[data-follow="${CSS.escape(alias)}"]`)) {
          b.setAttribute('aria-pressed', String(!on));
          b.textContent = on ? 'Follow' : 'Following';
        }
        status(on ? `You no longer follow ${alias}.` : `You follow ${alias}: their posts show under "Following".`);
      } catch (e) {
        status(e.message);
      }
    });
    button.textContent = button.getAttribute('aria-pressed') === 'true' ? 'Following' : 'Follow';
  });
  return button;
}

/** The report form, opened under a post. */
function flagForm(p, close) {
  const note = h('textarea', { name: 'note', rows: '2', maxlength: 500 });
  const form = h('form', { class: 'stack flag-form', novalidate: true, 'aria-label': 'Report this post' },
    formError(),
    field('Why are you reporting it?', h('select', { name: 'reason' }, FLAG_REASONS.map(([v, t]) => h('option', { value: v, text: t })))),
    field('Note for the moderators (needed for "Something else")', note),
    h('div', { class: 'form-actions' },
      h('button', { type: 'submit', class: 'danger', text: 'Send report' }),
      h('button', { type: 'button', text: 'Cancel', onclick: close })));
  return onSubmit(form, async (fd) => {
    const body = { reason: String(fd.get('reason') || '') };
    const text = String(fd.get('note') || '').trim();
    if (text) body.note = text;
    await post(`/community/posts/${encodeURIComponent(p.id)}/flags`, body);
    replace(form, h('p', { role: 'status', class: 'muted', text: 'Thanks: the moderators will look at it.' }));
  });
}

/** Per post, the comment ids already counted (listed, or announced live). */
const countedComments = new Map();
function counted(postId) {
  if (!countedComments.has(postId)) countedComments.set(postId, new Set());
  return countedComments.get(postId);
}

/** The comments of a post and a form to add one. */
function commentsPanel(p, onCount) {
  const list = h('div', { class: 'comments' }, h('p', { class: 'muted small', text: 'Loading comments…' }));
  async function load() {
    try {
      const page = await get(`/community/posts/${encodeURIComponent(p.id)}/comments`);
      const items = page.items || page;
      replace(list, items.length
        ? h('ul', { class: 'comment-list' }, items.map((c) => h('li', { class: 'comment', dataset: { comment: c.id } },
          h('strong', { text: authorName(c.author) }), c.mine ? h('span', { class: 'pill', text: 'you' }) : null,
          h('time', { class: 'muted small', datetime: c.created_at, text: ` ${when(c.created_at)}` }),
          h('p', { class: 'pre post-text', text: c.text }))))
        : h('p', { class: 'muted small', text: 'No comments yet.' }));
      for (const c of items) counted(p.id).add(c.id);
      onCount(items.length);
    } catch (e) {
      replace(list, errorState('Could not load the comments', e, load));
    }
  }
  const form = h('form', { class: 'stack comment-form', novalidate: true, 'aria-label': 'Add a comment' },
    formError(),
    field('Your comment', h('textarea', { name: 'text', rows: '2', required: true, maxlength: 1000 })),
    h('button', { type: 'submit', class: 'small primary', text: 'Comment' }));
  onSubmit(form, async (fd) => {
    await post(`/community/posts/${encodeURIComponent(p.id)}/comments`, { text: String(fd.get('text') || '') });
    form.reset();
    status('Comment added.');
    await load();
  });
  load();
  return h('div', { class: 'comments-panel' }, list, form);
}

/** One post: follow its author, like, comment and report. */
function postView(p) {
  const likes = h('span', { class: 'muted small', dataset: { likes: '' }, text: plural(p.likes, 'like') });
  let liked = Boolean(p.liked);
  const like = p.mine ? null : h('button', {
    type: 'button',
    class: 'small',
    'aria-pressed': String(liked),
    text: 'Like',
    onclick: async (ev) => {
      const button = ev.currentTarget;
      await busy(button, async () => {
        try {
          const path = `/community/posts/${encodeURIComponent(p.id)}/like`;
          const view = liked ? await del(path) : await put(path);
          liked = Boolean(view.liked);
          button.setAttribute('aria-pressed', String(liked));
          likes.textContent = plural(view.likes, 'like');
        } catch (e) {
          status(e.message);
        }
      });
    },
  });
  const extra = h('div', { class: 'post-extra' });
  const commentsButton = h('button', { type: 'button', class: 'small', 'aria-expanded': 'false', dataset: { comments: String(p.comments) }, text: `Comments (${p.comments})` });
  commentsButton.addEventListener('click', () => {
    const open = commentsButton.getAttribute('aria-expanded') === 'true';
    commentsButton.setAttribute('aria-expanded', String(!open));
    flagButton?.setAttribute('aria-expanded', 'false');
    replace(extra, open ? null : commentsPanel(p, (n) => {
      commentsButton.dataset.comments = String(n);
      commentsButton.textContent = `Comments (${n})`;
    }));
  });
  const flagButton = p.mine ? null : h('button', { type: 'button', class: 'small', 'aria-expanded': 'false', text: 'Report' });
  flagButton?.addEventListener('click', () => {
    const open = flagButton.getAttribute('aria-expanded') === 'true';
    flagButton.setAttribute('aria-expanded', String(!open));
    commentsButton.setAttribute('aria-expanded', 'false');
    replace(extra, open ? null : flagForm(p, () => { flagButton.setAttribute('aria-expanded', 'false'); replace(extra); flagButton.focus(); }));
    extra.querySelector('select')?.focus();
  });
  return h('article', { class: 'post card', dataset: { post: p.id } },
    h('header', { class: 'post-head' },
      h('strong', { dataset: { author: '' }, text: authorName(p.author) }),
      p.mine ? h('span', { class: 'pill', text: 'you' }) : null,
      followButton(p),
      p.sentiment ? h('span', { class: `pill ${p.sentiment === 'bullish' ? 'gain' : 'loss'}`, text: p.sentiment }) : null,
      h('time', { class: 'muted small', datetime: p.created_at, text: when(p.created_at) })),
    h('p', { class: 'pre post-text', text: p.text }),
    p.cashtags && p.cashtags.length
      ? h('p', { class: 'small muted', text: p.cashtags.map((t) => `$${t}`).join(' ') })
      : null,
    h('footer', { class: 'post-foot' }, like, likes, commentsButton, flagButton),
    extra);
}

/** The community's pinned welcome message with its guidelines. */
function pinnedView(pinned) {
  return h('details', { class: 'pinned', dataset: { pinned: '' } },
    h('summary', { text: pinned.text }),
    h('ul', {}, (pinned.guidelines || []).map((g) => h('li', {}, h('strong', { text: g.title }), ` ${g.text}`))));
}

function postList(items, empty) {
  if (!items.length) return emptyState(empty);
  return h('div', { class: 'posts' }, items.map(postView));
}

/** The community page. */
export async function communityView(ctx) {
  const [portfolios, trending, held] = await Promise.all([
    get('/portfolios'),
    get('/community/trending/tickers'),
    get('/community/most-held'),
  ]);
  const me = ctx.me;

  // The stream: everyone's latest or trending posts, the followed members'
  // posts, or one ticker's posts.
  const streamTitle = h('h2', { id: 'stream-title', text: 'Latest posts' });
  const stream = h('div', { dataset: { stream: '' }, 'aria-live': 'polite' });
  const STREAMS = {
    latest: { title: 'Latest posts', path: '/community/posts', empty: 'No posts yet: be the first.' },
    trending: { title: 'Trending posts', path: '/community/posts?sort=trending', empty: 'Nothing is trending yet.' },
    following: { title: 'From members you follow', path: '/community/feed', empty: 'Nothing yet: follow members to see their posts here.' },
  };
  const streamButtons = {};
  function press(which) {
    for (const [k, b] of Object.entries(streamButtons)) b.setAttribute('aria-pressed', String(k === which));
  }
  // Live: posts for the stream shown wait behind a "N new posts" button,
  // so the page never jumps under the reader; comments, likes and
  // removals show at once.
  let shown = 'latest';
  const waiting = [];
  const newPosts = h('button', { type: 'button', class: 'new-posts', hidden: true, dataset: { newPosts: '' } });
  const sentiment = h('div', { 'aria-live': 'polite' });
  const newPostsNote = h('div', { 'aria-live': 'polite', class: 'visually-hidden' });
  function showWaiting() {
    newPosts.hidden = waiting.length === 0;
    newPosts.textContent = `Show ${plural(waiting.length, 'new post')}`;
    newPostsNote.textContent = waiting.length ? `${plural(waiting.length, 'new post')} in this stream.` : '';
  }
  function isShown(id) {
    return Boolean(stream.querySelector(`[data-post="${CSS.escape(id)}"]`));
  }
  newPosts.addEventListener('click', () => {
    // Newest first, as the stream is.
    const fresh = waiting.splice(0).filter((p) => !isShown(p.id));
    const list = stream.querySelector('.posts');
    if (list) list.prepend(...fresh.map(postView));
    else replace(stream, h('div', { class: 'posts' }, fresh.map(postView)));
    showWaiting();
    stream.querySelector('article[data-post]')?.setAttribute('tabindex', '-1');
    stream.querySelector('article[data-post]')?.focus();
  });
  function resetWaiting(which) {
    shown = which;
    waiting.length = 0;
    showWaiting();
    watchStreams(which.startsWith('ticker:') ? ['latest', 'following', which] : ['latest', 'following']);
  }
  onPageLive((kind, data) => {
    if (kind === 'post') {
      const p = data.post;
      if (!(data.streams || []).includes(shown) || isShown(p.id) || waiting.some((w) => w.id === p.id)) return;
      waiting.unshift(p);
      showWaiting();
    } else if (kind === 'comment') {
      // The thread's count after the comment, as the server says it; a
      // replayed event sets the same number again.
      const seen = counted(data.post_id);
      const fresh = !seen.has(data.comment.id);
      seen.add(data.comment.id);
      for (const b of document.querySelectorAll(`[data-post="${CSS.escape(data.post_id)}"] > .post-foot [data-comments]`)) {
        const n = typeof data.comments === 'number' ? data.comments : Number(b.dataset.comments || 0) + (fresh ? 1 : 0);
        b.dataset.comments = String(n);
        b.textContent = `Comments (${n})`;
      }
    } else if (kind === 'reactions') {
      for (const el of document.querySelectorAll(`[data-post="${CSS.escape(data.post_id)}"] > .post-foot [data-likes]`)) {
        el.textContent = plural(data.likes, 'like');
      }
    } else if (kind === 'removed') {
      for (const el of document.querySelectorAll(`[data-post="${CSS.escape(data.post_id)}"]`)) el.remove();
      const at = waiting.findIndex((w) => w.id === data.post_id);
      if (at >= 0) waiting.splice(at, 1);
      showWaiting();
    }
  });
  async function showStream(which) {
    const s = STREAMS[which];
    replace(sentiment);
    // Watched from before the fetch, so a post made meanwhile waits behind
    // the button (or is already in the page; it is never shown twice).
    resetWaiting(which);
    const page = await get(s.path);
    press(which);
    streamTitle.textContent = s.title;
    replace(stream, page.pinned ? pinnedView(page.pinned) : null, postList(page.items, s.empty));
  }
  async function showTicker(symbol) {
    resetWaiting(`ticker:${symbol.toUpperCase()}`);
    const [page, mood] = await Promise.all([
      get(`/community/symbols/${encodeURIComponent(symbol)}/posts`),
      get(`/community/symbols/${encodeURIComponent(symbol)}/sentiment?days=7`).catch(() => null),
    ]);
    press(null);
    streamTitle.textContent = `Posts about $${symbol.toUpperCase()}`;
    replace(sentiment, mood && mood.bullish_share != null
      ? h('p', { class: 'hint', dataset: { sentiment: '' }, text: `Members' sentiment, last ${mood.days} days: ${plural(mood.bullish, 'bullish member')}, ${plural(mood.bearish, 'bearish member')} (${Math.round(mood.bullish_share * 100)}% bullish; each member counted once, by their latest tagged post). Opinions, not advice.` })
      : h('p', { class: 'hint', dataset: { sentiment: '' }, text: 'No member tagged this ticker bullish or bearish in the last 7 days.' }));
    replace(stream, postList(page.items, `No posts about $${symbol.toUpperCase()} yet.`));
  }
  for (const [which, label] of [['latest', 'Latest'], ['trending', 'Trending'], ['following', 'Following']]) {
    streamButtons[which] = h('button', {
      type: 'button',
      'aria-pressed': 'false',
      text: label,
      onclick: () => showStream(which).catch((e) => status(e.message)),
    });
  }
  const tickerForm = h('form', { class: 'inline-form stack', novalidate: true, 'aria-label': 'Posts about a ticker' },
    formError(),
    field('Ticker', h('input', { name: 'symbol', type: 'text', required: true, autocapitalize: 'characters', placeholder: 'AAPL', maxlength: 12 })),
    h('button', { type: 'submit', text: 'Show posts' }));
  tickerForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const symbol = String(values(tickerForm).symbol || '').trim().replace(/^\$/, '');
    await busy(tickerForm.querySelector('button[type=submit]'), async () => {
      try {
        clearErrors(tickerForm);
        if (!symbol) throw new ApiError(422, 'validation_failed', 'Enter a ticker.', { symbol: 'Enter a ticker, like AAPL.' });
        await showTicker(symbol);
      } catch (e) {
        showErrors(tickerForm, e);
      }
    });
  });

  // Writing a post.
  const latest = h('div', { dataset: { latest: '' }, 'aria-live': 'polite' });
  const amountNote = h('div', { class: 'amount-warnings', 'aria-live': 'polite', dataset: { amountWarnings: '' } });
  const postForm = h('form', { class: 'stack', novalidate: true, 'aria-label': 'New post' },
    formError(),
    field('Your post', h('textarea', { name: 'text', rows: '3', required: true, maxlength: 1000 }),
      'Tag tickers with $, like $AAPL. Share ideas and percentages, not amounts of money.'),
    field('Sentiment', h('select', { name: 'sentiment' },
      h('option', { value: '', text: 'None' }),
      h('option', { value: 'bullish', text: 'Bullish' }),
      h('option', { value: 'bearish', text: 'Bearish' }))),
    field('Post anonymously', h('input', { name: 'anonymous', type: 'checkbox' })),
    field('Post even though it mentions amounts of money', h('input', { name: 'confirm_amounts', type: 'checkbox' })),
    amountNote,
    h('button', { type: 'submit', class: 'primary', text: 'Post' }));
  // Money amounts flagged while typing, by the rule the server applies when
  // the post is made (the WebAssembly package); the server still refuses
  // an unconfirmed post with amounts.
  postForm.querySelector('[name=text]').addEventListener('input', async (ev) => {
    const sdk = await slimSdk();
    if (!sdk) return;
    const found = sdk.wealthWarnings(ev.target.value);
    replace(amountNote, found.length
      ? h('ul', {}, found.map((w) => h('li', { dataset: { amount: w.text }, text: w.message })))
      : null);
  });
  postForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const v = values(postForm);
    const body = {
      text: v.text || '',
      anonymous: postForm.querySelector('[name=anonymous]').checked,
      confirm_amounts: postForm.querySelector('[name=confirm_amounts]').checked,
    };
    if (v.sentiment) body.sentiment = v.sentiment;
    await busy(postForm.querySelector('button[type=submit]'), async () => {
      try {
        clearErrors(postForm);
        const view = await post('/community/posts', body);
        postForm.reset();
        replace(latest, h('h3', { text: 'Just posted' }), postView(view));
        status('Posted.');
        if (streamButtons.latest.getAttribute('aria-pressed') === 'true') await showStream('latest');
      } catch (e) {
        showErrors(postForm, e);
      }
    });
  });

  // Sharing a return.
  const hasPortfolios = portfolios.length > 0;
  const shareForm = h('form', { class: 'stack', novalidate: true, 'aria-label': 'Share performance' },
    formError(),
    field('Portfolio', h('select', { name: 'portfolio_id', disabled: !hasPortfolios },
      portfolios.map((p) => h('option', { value: p.id, text: p.name })))),
    field('Month', h('input', { name: 'period', type: 'month', required: true, value: lastMonth() }),
      'A month that is over. Only the percentage return is shared, never an amount.'),
    field('Share anonymously', h('input', { name: 'anonymous', type: 'checkbox' })),
    field('Name my risk profile', h('input', { name: 'include_risk', type: 'checkbox', checked: true })),
    h('button', { type: 'submit', class: 'primary', text: 'Share', disabled: !hasPortfolios }));
  shareForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const v = values(shareForm);
    const body = {
      portfolio_id: v.portfolio_id,
      period: v.period || '',
      anonymous: shareForm.querySelector('[name=anonymous]').checked,
      include_risk: shareForm.querySelector('[name=include_risk]').checked,
    };
    await busy(shareForm.querySelector('button[type=submit]'), async () => {
      try {
        clearErrors(shareForm);
        const view = await post('/community/performance', body);
        replace(latest, h('h3', { text: 'Just posted' }), postView(view));
        status('Shared.');
        if (streamButtons.latest.getAttribute('aria-pressed') === 'true') await showStream('latest');
      } catch (e) {
        if (e instanceof ApiError && e.status === 403) {
          e.message = `${e.message}. Turn on "Share my performance" in your profile, or share anonymously.`;
        }
        showErrors(shareForm, e);
      }
    });
  });
  const sharingNote = me && !me.share_performance
    ? h('p', { class: 'hint', dataset: { sharingOff: '' }, text: 'Your performance is private: shares under your alias need "Share my performance" on in your profile. Anonymous shares are always possible and never show on your profile.' })
    : null;

  // Trending tickers.
  const trendingList = trending.length
    ? h('ul', { class: 'tickers' }, trending.map((t) => h('li', {},
      h('button', {
        type: 'button',
        class: 'small',
        text: `$${t.symbol}`,
        onclick: () => showTicker(t.symbol).catch((e) => status(e.message)),
      }),
      ` ${plural(t.mentions, 'mention')}`)))
    : emptyState('No ticker is unusually busy today.', { detail: 'Tickers show here when members mention them more than usual.' });

  // Most held, by members who let their holdings be counted.
  const heldList = held.length
    ? h('ol', { dataset: { mostHeld: '' } }, held.map((x) => h('li', {},
      h('strong', { text: `$${x.symbol}` }), ` held by ${Math.round(x.share * 100)}% of counting members`)))
    : h('div', { dataset: { mostHeld: '' } }, emptyState('Too few members count their holdings yet.',
      { detail: 'Shown once enough members let their holdings be counted (in your profile), so no one can be singled out.' }));

  // Leaderboards.
  const performers = h('div', { dataset: { performers: '' }, 'aria-live': 'polite' });
  const boardForm = h('form', { class: 'inline-form stack', novalidate: true, 'aria-label': 'Top performers' },
    formError(),
    field('Month', h('input', { name: 'period', type: 'month', required: true, value: lastMonth() })),
    h('button', { type: 'submit', text: 'Show' }));
  async function showPerformers(period) {
    const rows = await get(`/community/leaderboards/performers?period=${encodeURIComponent(period)}`);
    replace(performers, rows.length
      ? h('ol', {}, rows.map((r) => h('li', {}, h('strong', { text: r.member.alias }), ` ${Number(r.return_pct) > 0 ? '+' : ''}${Number(r.return_pct).toFixed(1)}%`)))
      : emptyState('No one has shared a return for this period yet.', { detail: 'Returns are shared in percent only, from the form above.' }));
  }
  boardForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    await busy(boardForm.querySelector('button[type=submit]'), async () => {
      try {
        clearErrors(boardForm);
        await showPerformers(values(boardForm).period || '');
      } catch (e) {
        showErrors(boardForm, e);
      }
    });
  });
  const contributors = h('div', { dataset: { contributors: '' } });
  const [top] = await Promise.all([
    get('/community/leaderboards/contributors?days=30'),
    showStream('latest'),
    showPerformers(lastMonth()),
  ]);
  replace(contributors, top.length
    ? h('ol', {}, top.map((r) => h('li', {}, h('strong', { text: r.member.alias }), ` ${r.likes_received} likes, ${r.answers} helpful answers`)))
    : emptyState('No likes or helpful answers in the last 30 days.'));

  // Feedback to the moderators: safety worries, bugs, ideas.
  const feedbackForm = onSubmit(h('form', { class: 'stack', novalidate: true, 'aria-label': 'Feedback to the moderators' },
    formError(),
    field('About', h('select', { name: 'category' },
      h('option', { value: 'safety', text: 'Someone\'s safety or the guidelines' }),
      h('option', { value: 'bug', text: 'Something does not work' }),
      h('option', { value: 'idea', text: 'An idea' }),
      h('option', { value: 'other', text: 'Something else' }))),
    field('What happened, or what you suggest', h('textarea', { name: 'text', rows: '3', required: true, maxlength: 1000 }),
      'Only the moderators read it. To report one post or message, use its Report button.'),
    h('button', { type: 'submit', text: 'Send to the moderators' })), async (fd) => {
    await post('/community/feedback', { category: String(fd.get('category') || ''), text: String(fd.get('text') || '') });
    feedbackForm.reset();
    status('Thank you: the moderators will read it.');
  });

  return h('div', {},
    h('h1', { text: 'Community' }),
    h('p', { class: 'muted', text: 'Members appear under their alias. Returns are shown in percent only; amounts of money never leave your account.' }),
    h('div', { class: 'two-col' },
      section('Write a post', {}, me ? h('p', { class: 'muted small', dataset: { postingAs: '' } }, 'You post as ', h('strong', { text: me.alias }), ' (or anonymously). ', h('a', { href: '#/profile', text: 'Change your alias' }), ' — one alias everywhere in AuraVest.') : null, postForm),
      section('Share your performance', {}, sharingNote, shareForm)),
    latest,
    h('section', { class: 'card', 'aria-labelledby': 'stream-title' },
      streamTitle,
      h('div', { class: 'segmented', role: 'group', 'aria-label': 'Posts to show' }, Object.values(streamButtons)),
      tickerForm,
      sentiment,
      newPostsNote,
      newPosts,
      stream),
    h('div', { class: 'two-col' },
      section('Trending tickers', {}, trendingList),
      section('Most held', {}, heldList)),
    section('Tell the moderators', {}, feedbackForm),
    section('Top contributors, last 30 days', {}, contributors),
    section('Top performers', {}, boardForm, performers));
}

/** The user's notifications, newest first: mark one or all read; new ones
 * arrive live. */
export async function notificationsView(ctx) {
  const list = h('div', { dataset: { notifications: '' } });
  const markAll = h('button', { type: 'button', class: 'small', text: 'Mark all as read', dataset: { markAll: '' } });
  async function load() {
    let page;
    try {
      page = await get('/community/notifications');
    } catch (e) {
      replace(list, errorState('Could not load your notifications', e, load));
      return;
    }
    markAll.disabled = page.unread === 0;
    ctx.setUnread?.(page.unread);
    replace(list, page.items.length
      ? h('ul', { class: 'notifications' }, page.items.map((n) => h('li', {
        class: `notification${n.read ? '' : ' unread'}`,
        dataset: { notification: n.id, read: String(n.read) },
      },
      h('p', { class: 'text' },
        n.read ? null : h('span', { class: 'visually-hidden', text: 'Unread: ' }),
        n.text),
      h('span', { class: 'muted small' },
        h('time', { datetime: n.created_at, text: when(n.created_at) }),
        n.read ? null : ' ',
        n.read ? null : h('button', {
          type: 'button',
          class: 'small',
          text: 'Mark read',
          'aria-label': `Mark read: ${n.text}`,
          onclick: async (ev) => {
            await busy(ev.currentTarget, async () => {
              try {
                await post('/community/notifications/read', { ids: [n.id] });
                await load();
              } catch (e) {
                status(e.message);
              }
            });
          },
        })))))
      : emptyState('No notifications yet.', { detail: 'Replies, comments, mentions, new followers and likes on your posts show here as they happen.' }));
  }
  markAll.addEventListener('click', async () => {
    await busy(markAll, async () => {
      try {
        const r = await post('/community/notifications/read', { all: true });
        status(`${plural(r.marked, 'notification')} marked read.`);
        await load();
      } catch (e) {
        status(e.message);
      }
    });
  });
  onPageLive((kind) => {
    if (kind === 'notification') load();
  });
  await load();
  return h('div', {},
    h('h1', { text: 'Notifications' }),
    h('section', { class: 'card' },
      h('div', { class: 'notification-actions' }, markAll, h('a', { href: '#/community', text: 'Go to the community' })),
      list));
}

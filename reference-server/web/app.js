// The AuraVest web UI: a single page with hash routes. Every view is a
// function from a context to an element; data comes from the JSON API.

import { h, replace, status, errorState, loadingState } from './dom.js';
import { get, post, patch, mayHaveSession, whenSignedOut } from './api.js';
import { applyTheme, themeToggle } from './appearance.js';
import {
  loginView, registerView, riskView, goalsView, assistantView, profileView,
} from './account.js';
import { portfoliosView, portfolioView, holdingView } from './portfolio.js';
import { dashboardView } from './dashboard.js';
import { watchlistView } from './watch.js';
import { messagesView, conversationView } from './messages.js';
import { moderationView } from './moderation.js';
import { plusView } from './plus.js';
import { communityView, notificationsView } from './community.js';
import { startLive, stopLive, onLive, endPage } from './live.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');

/** The signed-in user (`GET /me`), or null. */
let me = null;
let renderSeq = 0;

const ROUTES = [
  { re: /^#\/login$/, view: loginView, auth: false, title: 'Log in' },
  { re: /^#\/register$/, view: registerView, auth: false, title: 'Create an account' },
  { re: /^#\/portfolios\/([0-9a-fA-F-]{36})$/, view: portfolioView, auth: true, title: 'Portfolio', nav: 'portfolios' },
  { re: /^#\/portfolios\/([0-9a-fA-F-]{36})\/holdings\/([^/]{1,100})$/, view: holdingView, auth: true, title: 'Holding', nav: 'portfolios' },
  { re: /^#\/risk$/, view: riskView, auth: true, title: 'Risk profile', nav: 'risk' },
  { re: /^#\/goals$/, view: goalsView, auth: true, title: 'Goals and badges', nav: 'goals' },
  { re: /^#\/assistant$/, view: assistantView, auth: true, title: 'Assistant', nav: 'assistant' },
  { re: /^#\/profile$/, view: profileView, auth: true, title: 'Profile', nav: 'profile' },
  { re: /^#\/community$/, view: communityView, auth: true, title: 'Community', nav: 'community' },
  { re: /^#\/messages$/, view: messagesView, auth: true, title: 'Messages', nav: 'messages' },
  { re: /^#\/messages\/([^/]{1,100})$/, view: conversationView, auth: true, title: 'Conversation', nav: 'messages' },
  { re: /^#\/plus$/, view: plusView, auth: true, title: 'AuraVest Plus', nav: 'plus' },
  { re: /^#\/moderation$/, view: moderationView, auth: true, title: 'Moderation', nav: 'moderation' },
  { re: /^#\/watchlist$/, view: watchlistView, auth: true, title: 'Watchlist and alerts', nav: 'watchlist' },
  { re: /^#\/notifications$/, view: notificationsView, auth: true, title: 'Notifications', nav: 'notifications' },
  { re: /^#\/portfolios$/, view: portfoliosView, auth: true, title: 'Portfolios', nav: 'portfolios' },
  { re: /^#\/?$/, view: dashboardView, auth: true, title: 'Dashboard', nav: 'dashboard' },
];

/** Any other address: an in-app "page not found". */
const NOT_FOUND = { re: /^/, view: notFoundView, auth: false, title: 'Page not found' };

function notFoundView() {
  return h('div', { class: 'card not-found', dataset: { notFound: '' } },
    h('p', { class: 'code', 'aria-hidden': 'true', text: '404' }),
    h('h1', { text: 'Page not found' }),
    h('p', { text: 'There is no page at this address. It may have moved, or the link may be mistyped.' }),
    h('p', {}, h('a', { href: '#/', class: 'button-link', text: 'Back to the dashboard' })));
}

function navigate(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

async function loadMe() {
  if (!mayHaveSession()) return null;
  try {
    return await get('/me');
  } catch {
    return null;
  }
}

const bell = document.getElementById('bell');
const bellCount = bell.querySelector('[data-unread]');

/** Shows the unread count on the bell (and in its name, for screen readers). */
function setUnread(n) {
  const count = Math.max(0, Number(n) || 0);
  bellCount.hidden = count === 0;
  bellCount.textContent = count > 99 ? '99+' : String(count);
  bell.setAttribute('aria-label', count ? `Notifications, ${count} unread` : 'Notifications');
}

async function refreshBell() {
  try {
    setUnread((await get('/community/notifications?unread=true')).unread);
  } catch {
    // The count stays as it was; the next notification tries again.
  }
}

onLive((kind) => {
  if (kind === 'notification' || kind === 'reset') refreshBell();
});

function showNav(signedIn) {
  nav.hidden = !signedIn;
  // The moderators' page, for moderators and admins only.
  const moderates = Boolean(me && (me.role === 'moderator' || me.role === 'admin'));
  for (const el of document.querySelectorAll('[data-moderator-only]')) el.hidden = !moderates;
  bell.hidden = !signedIn;
  if (signedIn && !bell.dataset.started) {
    bell.dataset.started = 'true';
    startLive();
    refreshBell();
  } else if (!signedIn && bell.dataset.started) {
    delete bell.dataset.started;
    stopLive();
    setUnread(0);
  }
}

/** Takes the theme of the signed-in user's profile, which wins over the device's. */
function takeTheme(m) {
  if (m && m.theme) applyTheme(m.theme);
}

const ctx = {
  navigate,
  setUnread,
  get me() { return me; },
  setMe(m) { me = m; showNav(Boolean(m)); takeTheme(m); },
  /** After a login: load the account and go to the dashboard. */
  async signedIn() {
    me = await get('/me');
    takeTheme(me);
    showNav(true);
    navigate('#/');
  },
  signedOut(message) {
    me = null;
    showNav(false);
    if (message) status(message);
    navigate('#/login');
  },
};

async function render() {
  const seq = ++renderSeq;
  // The page's live listeners go with the page.
  endPage();
  const hash = location.hash && location.hash.startsWith('#/') ? location.hash : '#/';
  const route = ROUTES.find((r) => r.re.test(hash)) || NOT_FOUND;
  const params = hash.match(route.re).slice(1);
  const more = document.getElementById('nav-more');
  if (more && more.matches(':popover-open')) more.hidePopover();
  if (route.auth && !me) {
    const loaded = await loadMe();
    if (seq !== renderSeq) return;
    if (!loaded) {
      showNav(false);
      if (location.hash !== '#/login') location.hash = '#/login';
      else render();
      return;
    }
    me = loaded;
    takeTheme(me);
  }
  if (route === NOT_FOUND && !me) {
    // Keep the navigation for a signed-in user who followed a bad link.
    const loaded = await loadMe();
    if (seq !== renderSeq) return;
    if (loaded) {
      me = loaded;
      takeTheme(me);
    }
  }
  if (!route.auth && me && (hash === '#/login' || hash === '#/register')) {
    location.hash = '#/';
    return;
  }
  showNav(Boolean(me));
  for (const a of nav.querySelectorAll('a[data-nav], a[data-more]')) {
    if ((a.dataset.nav || a.dataset.more) === route.nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (route.nav === 'notifications') bell.setAttribute('aria-current', 'page');
  else bell.removeAttribute('aria-current');
  const moreButton = nav.querySelector('[data-more-button]');
  if (moreButton) moreButton.toggleAttribute('data-current', Boolean(nav.querySelector('a[data-more][aria-current]')));
  document.title = `${route.title} · AuraVest`;
  main.setAttribute('aria-busy', 'true');
  // A slow page shows that it is coming instead of the last one.
  const slow = setTimeout(() => {
    if (seq === renderSeq) replace(main, loadingState(`Loading ${route.title.toLowerCase()}…`, { skeleton: true }));
  }, 300);
  let view;
  try {
    view = await route.view(ctx, ...params);
  } catch (e) {
    view = h('div', { class: 'card' },
      h('h1', { text: 'Something went wrong' }),
      errorState(`Could not load ${route.title.toLowerCase()}`, e, render));
  }
  clearTimeout(slow);
  if (seq !== renderSeq) return;
  replace(main, view);
  main.removeAttribute('aria-busy');
  const heading = main.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: true });
  }
}

whenSignedOut(() => {
  if (me) ctx.signedOut('Your session has ended. Please log in again.');
});

async function logOut() {
  try {
    await post('/auth/logout');
  } catch {
    // Signed out on the server already, or the network failed: the
    // cookies are cleared below either way as far as the page goes.
  }
  ctx.signedOut('You are logged out.');
}
for (const b of document.querySelectorAll('[data-logout]')) b.addEventListener('click', logOut);

// The header's theme switch; a signed-in user's choice is kept on the server.
themeToggle(document.getElementById('theme-toggle'), async (theme) => {
  if (!me) return;
  try {
    me = await patch('/me', { theme });
  } catch (e) {
    status(`Your theme could not be saved: ${e.message}`);
  }
});

// The service worker keeps the app shell for offline use (see /sw.js).
if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('/sw.js').catch(() => {
    // No offline page, nothing else lost.
  });
}

window.addEventListener('hashchange', render);
render();

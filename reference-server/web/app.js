// The AuraVest web UI: a single page with hash routes. Every view is a
// function from a context to an element; data comes from the JSON API.

import { h, replace, status } from './dom.js';
import { get, post, mayHaveSession, whenSignedOut } from './api.js';
import {
  loginView, registerView, riskView, goalsView, assistantView, profileView,
} from './account.js';
import { portfoliosView, portfolioView, holdingView } from './portfolio.js';
import { dashboardView } from './dashboard.js';
import { communityView } from './community.js';

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
  { re: /^#\/portfolios$/, view: portfoliosView, auth: true, title: 'Portfolios', nav: 'portfolios' },
  { re: /^#\/?$/, view: dashboardView, auth: true, title: 'Dashboard', nav: 'dashboard' },
];

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

function showNav(signedIn) {
  nav.hidden = !signedIn;
}

const ctx = {
  navigate,
  get me() { return me; },
  setMe(m) { me = m; showNav(Boolean(m)); },
  /** After a login: load the account and go to the dashboard. */
  async signedIn() {
    me = await get('/me');
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
  const hash = location.hash && location.hash.startsWith('#/') ? location.hash : '#/';
  const route = ROUTES.find((r) => r.re.test(hash)) || ROUTES[ROUTES.length - 1];
  const params = hash.match(route.re).slice(1);
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
  }
  if (!route.auth && me && (hash === '#/login' || hash === '#/register')) {
    location.hash = '#/';
    return;
  }
  showNav(Boolean(me));
  for (const a of nav.querySelectorAll('a[data-nav]')) {
    if (a.dataset.nav === route.nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `${route.title} · AuraVest`;
  main.setAttribute('aria-busy', 'true');
  let view;
  try {
    view = await route.view(ctx, ...params);
  } catch (e) {
    view = h('div', { class: 'card' },
      h('h1', { text: 'Something went wrong' }),
      h('p', { class: 'form-error', role: 'alert', text: e && e.message ? e.message : String(e) }));
  }
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

document.getElementById('logout').addEventListener('click', async () => {
  try {
    await post('/auth/logout');
  } catch {
    // Signed out on the server already, or the network failed: the
    // cookies are cleared below either way as far as the page goes.
  }
  ctx.signedOut('You are logged out.');
});

window.addEventListener('hashchange', render);
render();

// The colour theme: "light", "dark" or "system" (follow the device). The
// current choice lives on <html data-theme> (set first by theme.js) and in
// localStorage; the signed-in user's choice is kept on the server
// (`theme` in GET/PATCH /me) and wins after login.

export const THEMES = ['light', 'dark', 'system'];
const KEY = 'auravest.theme';
const dark = window.matchMedia('(prefers-color-scheme: dark)');
const listeners = new Set();

/** The chosen theme. */
export function currentTheme() {
  const t = document.documentElement.dataset.theme;
  return THEMES.includes(t) ? t : 'system';
}

/** The theme actually shown: "light" or "dark". */
export function shownTheme() {
  const t = currentTheme();
  if (t === 'system') return dark.matches ? 'dark' : 'light';
  return t;
}

/** Shows `theme` and remembers it on this device. */
export function applyTheme(theme) {
  const t = THEMES.includes(theme) ? theme : 'system';
  document.documentElement.dataset.theme = t;
  // The toolbar colour of the chosen theme (theme.js marked each tag's scheme).
  for (const m of document.querySelectorAll('meta[name="theme-color"][data-scheme]')) {
    const scheme = m.dataset.scheme;
    m.setAttribute('media', t === 'system' ? `(prefers-color-scheme: ${scheme})` : (scheme === t ? 'all' : 'not all'));
  }
  try {
    localStorage.setItem(KEY, t);
  } catch {
    // Storage blocked: the choice lasts for this page only.
  }
  for (const fn of listeners) fn(t);
}

/** Calls `fn(theme)` whenever the theme changes; returns the way to stop. */
export function onThemeChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

dark.addEventListener('change', () => {
  for (const fn of listeners) fn(currentTheme());
});

/**
 * Wires the header's switch: it shows whether the dark theme is on and
 * flips between light and dark; `save(theme)` stores the choice for a
 * signed-in user.
 */
export function themeToggle(button, save) {
  const label = button.querySelector('.visually-hidden');
  const sync = () => {
    const on = shownTheme() === 'dark';
    button.setAttribute('aria-pressed', String(on));
    button.title = on ? 'Dark theme is on' : 'Dark theme is off';
    if (label) label.textContent = 'Dark theme';
  };
  button.addEventListener('click', () => {
    const next = shownTheme() === 'dark' ? 'light' : 'dark';
    applyTheme(next);
    save(next);
  });
  onThemeChange(sync);
  sync();
}

// Small DOM helpers shared by the views: element building, formatting,
// form field errors and the status line. No innerHTML anywhere: text from
// the API is always set as text.

/**
 * Builds an element. `attrs` keys: `class`, `text`, `on<Event>` (a listener),
 * `dataset` (an object), booleans (set when true) and plain attributes.
 * Children may be nodes, strings, numbers, arrays, or null (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const svg = ['svg', 'polyline', 'line', 'text', 'g', 'title', 'rect', 'circle', 'path'].includes(tag);
  const el = svg
    ? document.createElementNS('http://www.w3.org/2000/svg', tag)
    : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.setAttribute('class', v);
    else if (k === 'text') el.textContent = String(v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
    else if (k === 'value' && !svg) el.value = v;
    else if (k === 'checked' && !svg) el.checked = Boolean(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/** Replaces the children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let uid = 0;
/** A unique element id with a readable prefix. */
export function newId(prefix) {
  uid += 1;
  return `${prefix}-${uid}`;
}

/**
 * A labelled form field: the label, the control, a hint and a slot for the
 * field's error (`data-error-for`), wired with aria-describedby.
 */
export function field(label, control, hint) {
  const id = control.id || newId(control.name || 'field');
  control.id = id;
  const errId = `${id}-error`;
  const described = [errId];
  let hintEl = null;
  if (hint) {
    hintEl = h('p', { class: 'hint', id: `${id}-hint`, text: hint });
    described.push(hintEl.id);
  }
  control.setAttribute('aria-describedby', described.join(' '));
  const isCheck = control.type === 'checkbox';
  return h('div', { class: isCheck ? 'field check' : 'field' },
    isCheck ? null : h('label', { for: id, text: label }),
    control,
    isCheck ? h('label', { for: id, text: label }) : null,
    hintEl,
    h('p', { class: 'field-error', id: errId, dataset: { errorFor: control.name || '' } }));
}

/** A form's fields by name (the last value of a repeated name). */
export function values(form) {
  return Object.fromEntries(new FormData(form).entries());
}

/** `1 like`, `2 likes`. */
export function plural(n, word) {
  return `${n} ${n === 1 ? word : `${word}s`}`;
}

/** The box at the top of a form that shows errors not tied to one field. */
export function formError() {
  return h('div', { class: 'form-error', role: 'alert', dataset: { formError: '' } });
}

/** Clears the errors a form shows. */
export function clearErrors(form) {
  for (const p of form.querySelectorAll('.field-error')) p.textContent = '';
  for (const c of form.querySelectorAll('[aria-invalid]')) c.removeAttribute('aria-invalid');
  const box = form.querySelector('[data-form-error]');
  if (box) box.replaceChildren();
}

/**
 * Shows an API error in `form`: each named field next to its control (by
 * `name`, or through `aliases` mapping API field names to control names),
 * the rest in the form's error box. Focuses the first invalid control.
 */
export function showErrors(form, err, aliases = {}) {
  clearErrors(form);
  const box = form.querySelector('[data-form-error]');
  const rest = [];
  let first = null;
  const fields = (err && err.fields) || {};
  for (const [name, reason] of Object.entries(fields)) {
    const target = aliases[name] || name;
    const slot = form.querySelector(`.field-error[data-error-for="${CSS.escape(target)}"]`);
    const control = form.querySelector(`[name="${CSS.escape(target)}"]`);
    if (slot) {
      slot.textContent = reason;
      if (control) {
        control.setAttribute('aria-invalid', 'true');
        first = first || control;
      }
    } else {
      rest.push(`${name}: ${reason}`);
    }
  }
  if (!Object.keys(fields).length) rest.push(err && err.message ? err.message : String(err));
  if (box && rest.length) {
    box.replaceChildren(...rest.map((t) => h('p', { text: t })));
  }
  if (first) first.focus();
  else if (box && rest.length) box.focus?.();
}

/** Sets the polite status line (and clears it after a while). */
let statusTimer = null;
export function status(text) {
  const el = document.getElementById('status');
  if (!el) return;
  el.textContent = text;
  clearTimeout(statusTimer);
  if (text) statusTimer = setTimeout(() => { el.textContent = ''; }, 6000);
}

/** A number as money in `currency`, or the raw text when it is not a number. */
export function money(value, currency = 'USD') {
  const n = Number(value);
  if (value === null || value === undefined || value === '' || Number.isNaN(n)) return '—';
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(n);
  } catch {
    return `${n.toFixed(2)} ${currency}`;
  }
}

/** A signed amount of money (a `+` for gains). */
export function signedMoney(value, currency) {
  const n = Number(value);
  const text = money(value, currency);
  return n > 0 ? `+${text}` : text;
}

/** A fraction as a percentage (0.1234 → 12.34%). */
export function pct(fraction, digits = 2) {
  if (fraction === null || fraction === undefined || Number.isNaN(Number(fraction))) return '—';
  return `${(Number(fraction) * 100).toFixed(digits)}%`;
}

/** The class for a signed number (gain, loss or none). */
export function signClass(value) {
  const n = Number(value);
  if (n > 0) return 'gain';
  if (n < 0) return 'loss';
  return '';
}

/** A duration in seconds, in words ("3 h", "2 d"). */
export function age(seconds) {
  const s = Number(seconds);
  if (Number.isNaN(s)) return '—';
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}

/** A figure in a `.stats` grid: its label, its value (with a sign class)
 * and an optional line saying what it is. */
export function stat(label, value, cls = '', hint = null) {
  return h('div', { class: 'stat' },
    h('span', { class: 'stat-label', text: label }),
    h('span', { class: `stat-value ${cls}`, text: value }),
    hint ? h('span', { class: 'stat-hint', text: hint }) : null);
}

/** The banner saying prices are the shipped sample data (`sample_data` of
 * the API), or null when they are not. */
export function sampleBanner(sample) {
  return sample ? h('p', { class: 'banner', role: 'note', dataset: { sampleBanner: '' }, text: sample.note }) : null;
}

/** A section with a heading (h2 by default) and content. */
export function section(title, attrs, ...children) {
  const id = newId('sec');
  return h('section', { class: 'card', 'aria-labelledby': id, ...attrs },
    h('h2', { id, text: title }), ...children);
}

/** The disclaimer paragraph. */
export function disclaimer(text) {
  return h('p', { class: 'disclaimer', dataset: { disclaimer: '' } }, h('strong', { text: 'Disclaimer: ' }), text);
}

/**
 * Sends `form` through `work(formData)` on submit: the default is
 * prevented, the submit button shows it is busy, old errors are cleared,
 * and what `work` throws is shown in the form (see `showErrors`).
 */
export function onSubmit(form, work, aliases = {}) {
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    await busy(form.querySelector('button[type=submit]'), async () => {
      try {
        clearErrors(form);
        await work(new FormData(form));
      } catch (e) {
        showErrors(form, e, aliases);
      }
    });
  });
  return form;
}

/** A submit button that shows it is busy while `work` runs. */
export async function busy(button, work) {
  const old = button.textContent;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    button.textContent = old;
  }
}

/**
 * A loading state: a spinner with `text`, or (`skeleton: true`) grey bars
 * where the content will be. Marked busy for assistive technology.
 */
export function loadingState(text = 'Loading…', { skeleton = false } = {}) {
  return h('div', { class: 'state state-loading', role: 'status', 'aria-busy': 'true', dataset: { state: 'loading' } },
    skeleton
      ? h('div', { class: 'skeleton', 'aria-hidden': 'true' }, h('span'), h('span'), h('span'))
      : h('span', { class: 'spinner', 'aria-hidden': 'true' }),
    h('p', { class: skeleton ? 'visually-hidden' : null, text }));
}

/**
 * An empty state: what is missing in words (`title`), an optional line
 * more, and an optional action (a link or button node).
 */
export function emptyState(title, { detail, action } = {}) {
  return h('div', { class: 'state state-empty', dataset: { state: 'empty' } },
    h('p', { class: 'state-title', text: title }),
    detail ? h('p', { text: detail }) : null,
    action || null);
}

/**
 * An error state: `what` failed ("Could not fetch prices"), the reason
 * when the error has one worth showing, and a Retry button that runs
 * `retry` (which usually loads and replaces this state).
 */
export function errorState(what, error, retry) {
  const reason = error && error.message ? error.message : (error ? String(error) : '');
  const text = reason ? `${what}: ${reason}` : `${what}.`;
  const button = retry
    ? h('button', { type: 'button', class: 'small', text: 'Retry' })
    : null;
  if (button) {
    button.addEventListener('click', () => {
      button.disabled = true;
      button.textContent = 'Retrying…';
      Promise.resolve()
        .then(retry)
        .catch((e) => status(e && e.message ? e.message : String(e)))
        .finally(() => {
          // Still here when the retry failed without replacing the state.
          button.disabled = false;
          button.textContent = 'Retry';
        });
    });
  }
  return h('div', { class: 'state state-error', role: 'alert', dataset: { state: 'error' } },
    h('p', { text }), button);
}

// The API client: same-origin cookies, the CSRF header on unsafe methods,
// one refresh attempt on a 401, and errors as `ApiError`.

const BASE = '/api/v1';
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** An error answer from the API (`{"error": {code, message, fields}}`). */
export class ApiError extends Error {
  constructor(status, code, message, fields) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.fields = fields || null;
  }
}

/** The value of a cookie the page can read, or ''. */
export function readCookie(name) {
  for (const part of document.cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return '';
}

/** True when the CSRF cookie is there, i.e. a session may exist. */
export function mayHaveSession() {
  return readCookie('auravest_csrf') !== '';
}

let onSignedOut = () => {};
/** Sets what happens when the session is gone (after a failed refresh). */
export function whenSignedOut(fn) {
  onSignedOut = fn;
}

let refreshing = null;
/** Rotates the session once; concurrent callers share the attempt. */
async function refreshSession() {
  if (!refreshing) {
    refreshing = (async () => {
      if (!mayHaveSession()) return false;
      const r = await fetch(`${BASE}/auth/refresh`, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'X-CSRF-Token': readCookie('auravest_csrf') },
      });
      return r.ok;
    })().finally(() => { setTimeout(() => { refreshing = null; }, 0); });
  }
  return refreshing;
}

async function send(method, path, body, options) {
  const headers = { Accept: 'application/json' };
  let payload;
  if (body !== undefined) {
    if (options.contentType) {
      headers['Content-Type'] = options.contentType;
      payload = body;
    } else {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
  }
  if (UNSAFE.has(method)) {
    const csrf = readCookie('auravest_csrf');
    if (csrf) headers['X-CSRF-Token'] = csrf;
  }
  return fetch(BASE + path, { method, headers, body: payload, credentials: 'same-origin' });
}

async function errorOf(r) {
  let data = null;
  try {
    data = await r.json();
  } catch {
    data = null;
  }
  const e = data && data.error;
  if (e) return new ApiError(r.status, e.code, e.message, e.fields);
  return new ApiError(r.status, 'http_error', `the server answered ${r.status}`, null);
}

/**
 * Calls the API. Returns the parsed JSON (or null for 204). Throws
 * `ApiError`. A 401 triggers one refresh and one retry; when that fails
 * the signed-out handler runs and the error is thrown.
 * `options.noRefresh` skips that (login, register).
 */
export async function api(method, path, body, options = {}) {
  let r = await send(method, path, body, options);
  if (r.status === 401 && !options.noRefresh) {
    if (await refreshSession()) {
      r = await send(method, path, body, options);
    }
    if (r.status === 401) {
      const err = await errorOf(r);
      onSignedOut(err);
      throw err;
    }
  }
  if (!r.ok) throw await errorOf(r);
  if (r.status === 204) return null;
  const type = r.headers.get('content-type') || '';
  return type.includes('json') ? r.json() : r.text();
}

export const get = (path, options) => api('GET', path, undefined, options);
export const post = (path, body, options) => api('POST', path, body, options);
export const patch = (path, body) => api('PATCH', path, body);
export const put = (path, body) => api('PUT', path, body);
export const del = (path) => api('DELETE', path);

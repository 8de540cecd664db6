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
  const headers = { Accept: options.accept || 'application/json' };
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
  try {
    return await fetch(BASE + path, { method, headers, body: payload, credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'offline', 'AuraVest could not be reached; check your connection', null);
  }
}

/** A wait in words: "45 seconds", "3 minutes", "12 hours 35 minutes", "2 days". */
export function waitInWords(seconds) {
  const s = Math.max(1, Math.ceil(Number(seconds) || 0));
  const unit = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (s < 60) return unit(s, 'second');
  const minutes = Math.ceil(s / 60);
  if (minutes < 60) return unit(minutes, 'minute');
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours >= 48) return unit(Math.round(hours / 24), 'day');
  return rest ? `${unit(hours, 'hour')} ${unit(rest, 'minute')}` : unit(hours, 'hour');
}

/**
 * When a rate limit ends, in words: "try again in 12 hours 35 minutes (at
 * 00:00 UTC)"; the clock time is given for waits of an hour or more.
 */
export function retryText(seconds, now = new Date()) {
  const s = Math.max(1, Math.ceil(Number(seconds) || 0));
  let text = `try again in ${waitInWords(s)}`;
  if (s >= 3600) {
    const at = new Date(now.getTime() + s * 1000);
    // Limits that reset at midnight UTC end a second or so after it.
    if (at.getUTCHours() === 0 && at.getUTCMinutes() === 0) at.setUTCSeconds(0);
    const hh = String(at.getUTCHours()).padStart(2, '0');
    const mm = String(at.getUTCMinutes()).padStart(2, '0');
    const day = s >= 86400 ? ` on ${at.toISOString().slice(0, 10)}` : '';
    text += ` (at ${hh}:${mm} UTC${day})`;
  }
  return text;
}

async function errorOf(r) {
  let data = null;
  try {
    data = await r.json();
  } catch {
    data = null;
  }
  const e = data && data.error;
  if (r.status === 429) {
    // The wait from Retry-After (or the body's "retry in N s"), in words.
    const header = Number(r.headers.get('retry-after'));
    const inBody = e && /retry in (\d+) s/.exec(e.message || '');
    const seconds = header > 0 ? header : (inBody ? Number(inBody[1]) : 0);
    const err = new ApiError(429, (e && e.code) || 'rate_limited',
      seconds ? `Too many requests: ${retryText(seconds)}.` : 'Too many requests: try again later.',
      e && e.fields);
    err.retryAfter = seconds || null;
    return err;
  }
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
    if (await refreshSession().catch(() => false)) {
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

/**
 * Calls an API route that answers with server-sent events (a POST, so not
 * `EventSource`): calls `onEvent(name, data)` for each event as it
 * arrives (data parsed as JSON) and resolves with the data of the
 * `final` event. An answer that is not a stream (a refusal) and an
 * `error` event throw `ApiError`; a 401 is refreshed once, as in `api`.
 */
export async function streamed(path, body, onEvent, final = 'answer') {
  const options = { accept: 'text/event-stream' };
  let r = await send('POST', path, body, options);
  if (r.status === 401) {
    if (await refreshSession().catch(() => false)) r = await send('POST', path, body, options);
    if (r.status === 401) {
      const err = await errorOf(r);
      onSignedOut(err);
      throw err;
    }
  }
  if (!r.ok) throw await errorOf(r);
  const reader = r.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let result;
  const handle = (block) => {
    let name = 'message';
    const data = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) name = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (!data.length) return;
    const value = JSON.parse(data.join('\n'));
    if (name === 'error') {
      const e = value.error || {};
      throw new ApiError(500, e.code || 'internal', e.message || 'the answer failed', e.fields);
    }
    if (name === final) result = value;
    onEvent(name, value);
  };
  for (;;) {
    let chunk;
    try {
      chunk = await reader.read();
    } catch {
      throw new ApiError(0, 'offline', 'The connection was lost before the answer was complete; try again', null);
    }
    if (chunk.done) break;
    buffer += decoder.decode(chunk.value, { stream: true }).replace(/\r\n?/g, '\n');
    let at;
    while ((at = buffer.indexOf('\n\n')) >= 0) {
      handle(buffer.slice(0, at));
      buffer = buffer.slice(at + 2);
    }
  }
  if (buffer.trim()) handle(buffer);
  if (result === undefined) {
    throw new ApiError(0, 'incomplete', 'The answer stopped before it was complete; try again', null);
  }
  return result;
}

export const get = (path, options) => api('GET', path, undefined, options);
export const post = (path, body, options) => api('POST', path, body, options);
export const patch = (path, body) => api('PATCH', path, body);
export const put = (path, body) => api('PUT', path, body);
export const del = (path) => api('DELETE', path);

// Live events under load, on loopback: CLIENTS members connected to
// GET /api/v1/live (split across the replicas), RATE posts a second for
// DURATION seconds (each member posts in turn, through the replicas in
// turn, within the community's three-a-minute limit). Every client checks
// that it receives every post exactly once; the delivery latency is the
// time from the post being sent to the event arriving, per client.
//
//   bash benches/live_fanout.sh      # CLIENTS=1000 RATE=50 DURATION=60
//
// Budget (issue 22): p99 delivery under 1 s, no event lost. The script
// prints the load average before and after: quote figures from an idle
// machine.

import http from 'node:http';
import { loadavg } from 'node:os';

const BASES = (process.env.BASES || '').split(',').filter(Boolean);
const CLIENTS = Number(process.env.CLIENTS || 1000);
const RATE = Number(process.env.RATE || 50);
const DURATION = Number(process.env.DURATION || 60);
const PASSWORD = 'violet-harbour-kettle-93';
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function load() {
  return loadavg().map((x) => x.toFixed(2)).join(' ');
}

function call(base, method, path, body, token) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? null : Buffer.from(JSON.stringify(body));
    const req = http.request(`${base}/api/v1${path}`, {
      method,
      agent,
      headers: {
        ...(data ? { 'content-type': 'application/json', 'content-length': data.length } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        if (res.statusCode >= 400) reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`));
        else resolve(text ? JSON.parse(text) : null);
      });
    });
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

/** Runs `fn` over `items`, `n` at a time. */
async function pool(items, n, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) {
      const i = next;
      next += 1;
      out[i] = await fn(items[i], i);
    }
  }));
  return out;
}

/** One connected member: counts the load posts it receives. */
function connect(base, token, stats) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}/api/v1/live?streams=latest`, {
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
      agent: false,
    }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`live: ${res.statusCode}`));
        return;
      }
      const client = { seen: new Set(), dupes: 0, req };
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        const now = Date.now();
        buffer += chunk;
        let at;
        while ((at = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          if (!/(^|\n)event: post(\n|$)/.test(block)) continue;
          // No JSON parse: the post's text carries its number and send time.
          const m = /live-load (\d+) (\d+)/.exec(block);
          if (!m) continue;
          const seq = Number(m[1]);
          if (client.seen.has(seq)) {
            client.dupes += 1;
          } else {
            client.seen.add(seq);
            stats.latencies.push(now - Number(m[2]));
          }
        }
      });
      res.on('error', () => {});
      resolve(client);
    });
    req.on('error', reject);
    req.end();
  });
}

function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main() {
  if (!BASES.length) throw new Error('set BASES to the servers\' base URLs, comma-separated');
  // Each member posts every CLIENTS / RATE seconds; the community allows
  // three posts a minute per member.
  if (CLIENTS / RATE < 20) throw new Error(`CLIENTS / RATE must be at least 20 s between a member's posts (three a minute); got ${CLIENTS / RATE} s`);
  console.log(`load average before: ${load()} (2 cores; quote figures from an idle machine)`);
  const legal = await call(BASES[0], 'GET', '/legal');
  const run = Date.now().toString(36);
  const t0 = Date.now();
  const tokens = await pool(Array.from({ length: CLIENTS }, (_, i) => i), 8, async (i) => {
    const base = BASES[i % BASES.length];
    const email = `live-${run}-${i}@example.org`;
    await call(base, 'POST', '/auth/register', { email, password: PASSWORD, accepted_terms_version: legal.terms_version });
    const login = await call(base, 'POST', '/auth/login', { email, password: PASSWORD });
    return login.access_token;
  });
  console.log(`registered ${CLIENTS} members in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  const stats = { latencies: [] };
  const clients = await pool(tokens, 50, (token, i) => connect(BASES[i % BASES.length], token, stats));
  console.log(`${clients.length} clients connected across ${BASES.length} replica(s)`);
  // Let the connections settle before the clock starts.
  await new Promise((r) => setTimeout(r, 2000));
  const total = RATE * DURATION;
  let sent = 0;
  let failed = 0;
  const posting = [];
  const start = Date.now();
  for (let seq = 0; seq < total; seq += 1) {
    const due = start + (seq * 1000) / RATE;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const who = seq % CLIENTS;
    const base = BASES[seq % BASES.length];
    posting.push(call(base, 'POST', '/community/posts', { text: `live-load ${seq} ${Date.now()}` }, tokens[who])
      .then(() => { sent += 1; })
      .catch((e) => { failed += 1; if (failed <= 3) console.error(e.message); }));
  }
  await Promise.all(posting);
  const postedIn = (Date.now() - start) / 1000;
  // Stragglers.
  await new Promise((r) => setTimeout(r, 5000));
  const expected = sent * clients.length;
  const received = clients.reduce((n, c) => n + c.seen.size, 0);
  const dupes = clients.reduce((n, c) => n + c.dupes, 0);
  const lat = stats.latencies.sort((a, b) => a - b);
  for (const c of clients) c.req.destroy();
  console.log(`posted ${sent} of ${total} in ${postedIn.toFixed(1)} s (${(sent / postedIn).toFixed(1)}/s), ${failed} refused`);
  console.log(`events: expected ${expected}, received ${received}, lost ${expected - received}, duplicates ${dupes}`);
  console.log(`delivery latency: p50 ${percentile(lat, 50)} ms, p90 ${percentile(lat, 90)} ms, p99 ${percentile(lat, 99)} ms, max ${lat[lat.length - 1]} ms (budget p99 < 1000 ms)`);
  console.log(`load average after: ${load()}`);
  const ok = failed === 0 && expected === received && dupes === 0 && percentile(lat, 99) < 1000;
  console.log(ok ? 'live fan-out: within budget' : 'live fan-out: OVER BUDGET');
  process.exit(ok ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

// The API client's wording of rate limits, without a browser: the wait in
// words and when it ends, from the server's Retry-After.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

// api.js reads cookies from `document` only when a request is made.
globalThis.document = { cookie: '' };
const { retryText, waitInWords } = await import('../api.js');

describe('rate limit wording', () => {
  it('says a wait in words', () => {
    assert.equal(waitInWords(1), '1 second');
    assert.equal(waitInWords(45), '45 seconds');
    assert.equal(waitInWords(61), '2 minutes');
    assert.equal(waitInWords(3600), '1 hour');
    assert.equal(waitInWords(45347), '12 hours 36 minutes');
    assert.equal(waitInWords(3 * 86400), '3 days');
  });

  it('gives the clock time of long waits, midnight UTC for the daily limits', () => {
    const now = new Date('2026-12-07T11:24:13Z');
    assert.equal(retryText(45, now), 'try again in 45 seconds');
    // The assistant's daily limit ends at midnight UTC (a second after it).
    const untilMidnight = (Date.parse('2026-12-08T00:00:00Z') - now.getTime()) / 1000 + 1;
    assert.equal(retryText(untilMidnight, now), 'try again in 12 hours 36 minutes (at 00:00 UTC)');
    assert.equal(retryText(2 * 86400, now), 'try again in 2 days (at 11:24 UTC on 2026-12-09)');
    assert.doesNotMatch(retryText(45347, now), /45347/);
  });
});

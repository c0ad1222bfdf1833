import { describe, expect, it } from 'vitest';
import { systemClock } from './clock.js';
import { checkSendAt, DEFAULT_SCHEDULE_WINDOW, sendAtOf } from './schedule.js';

const NOW = Date.parse('2030-01-01T00:00:00Z');

describe('checkSendAt', () => {
  it('accepts an ISO-8601 time with a zone inside the window, and nothing for "now"', () => {
    expect(checkSendAt('2030-01-01T00:10:00Z', NOW, DEFAULT_SCHEDULE_WINDOW)).toEqual({ errors: [], at: NOW + 600_000 });
    expect(checkSendAt('2030-01-01T01:10:00+01:00', NOW, DEFAULT_SCHEDULE_WINDOW).at).toBe(NOW + 600_000);
    for (const none of [undefined, null, '']) expect(checkSendAt(none, NOW, DEFAULT_SCHEDULE_WINDOW)).toEqual({ errors: [] });
  });

  it.each([
    ['less than 300 s ahead', '2030-01-01T00:04:59Z'],
    ['more than 35 days ahead', '2030-02-05T00:00:01Z'],
    ['without a zone', '2030-01-01T00:10:00'],
    ['not a date', 'tomorrow'],
    ['not a string', 1_893_456_600_000],
  ])('refuses a time %s (SEND_AT_INVALID)', (_what, raw) => {
    expect(checkSendAt(raw, NOW, DEFAULT_SCHEDULE_WINDOW).errors.map((e) => e.key)).toEqual(['SEND_AT_INVALID']);
  });
});

describe('sendAtOf', () => {
  it('recovers the send time of a scheduled message from its validity, and null for one sent at once', () => {
    expect(sendAtOf({ direction: 'outbound', createdAt: NOW, validityPeriod: 60, expiresAt: NOW + 600_000 + 60_000 })).toBe(NOW + 600_000);
    expect(sendAtOf({ direction: 'outbound', createdAt: NOW, validityPeriod: 60, expiresAt: NOW + 60_000 })).toBeNull();
  });
});

describe('the wall clock and far-off send times', () => {
  it('does not fire a timer 35 days out at once (setTimeout caps delays at 24.8 days)', async () => {
    let fired = false;
    const cancel = systemClock.setTimer!(Date.now() + 35 * 86_400_000, () => (fired = true));
    await new Promise((r) => setTimeout(r, 50));
    cancel();
    expect(fired).toBe(false);
  });
});

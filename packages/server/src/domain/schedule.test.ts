import { describe, expect, it } from 'vitest';
import { systemClock } from './clock.js';
import { checkSendAt, DEFAULT_SCHEDULE_WINDOW, sendAtField, sendAtOf } from './schedule.js';

const NOW = Date.parse('2030-01-01T00:00:00Z');

describe('checkSendAt', () => {
  it('accepts an ISO-8601 time with a zone inside the window, and nothing for "now"', () => {
    expect(checkSendAt('2030-01-01T00:10:00Z', NOW, DEFAULT_SCHEDULE_WINDOW)).toEqual({ errors: [], at: NOW + 600_000 });
    expect(checkSendAt('2030-01-01T01:10:00+01:00', NOW, DEFAULT_SCHEDULE_WINDOW).at).toBe(NOW + 600_000);
    for (const none of [undefined, null, '']) expect(checkSendAt(none, NOW, DEFAULT_SCHEDULE_WINDOW)).toEqual({ errors: [] });
    // The forms Twilio's clients and people write: an offset without a colon, lower case, minutes only, a fraction.
    expect(checkSendAt('2030-01-01T01:10:00+0100', NOW, DEFAULT_SCHEDULE_WINDOW).at).toBe(NOW + 600_000);
    expect(checkSendAt('2030-01-01t00:10:00z', NOW, DEFAULT_SCHEDULE_WINDOW).at).toBe(NOW + 600_000);
    expect(checkSendAt('2030-01-01T00:10Z', NOW, DEFAULT_SCHEDULE_WINDOW).at).toBe(NOW + 600_000);
    expect(checkSendAt('2030-01-01T00:10:00.250000000Z', NOW, DEFAULT_SCHEDULE_WINDOW).at).toBe(NOW + 600_250);
  });

  it.each([
    ['February 30th', '2030-02-30T10:00:00Z'],
    ['April 31st', '2030-04-31T10:00:00Z'],
    ['February 29th of a common year', '2031-02-29T10:00:00Z'],
    ['hour 24', '2030-01-05T24:00:00Z'],
  ])('refuses an impossible time (%s) instead of rolling it over into another day', (_what, raw) => {
    // A window wide enough that only the date itself can be wrong.
    const { errors, at } = checkSendAt(raw, NOW, { minLeadMs: 0, maxLeadMs: 800 * 86_400_000 });
    expect(at).toBeUndefined();
    expect(errors.map((e) => [e.key, e.message])).toEqual([['SEND_AT_INVALID', expect.stringContaining('not a real date')]]);
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

  // On a manual simulator clock advanced past the caller's time, "it is -168367 seconds ahead" did not say of what.
  it('names the parameter as the surface does', () => {
    expect(checkSendAt('soon', NOW, DEFAULT_SCHEDULE_WINDOW, 'send_at').errors[0]!.message).toMatch(/^send_at "soon" must be an ISO-8601/);
    expect(checkSendAt('soon', NOW, DEFAULT_SCHEDULE_WINDOW).errors[0]!.message).toMatch(/^SendAt "soon"/);
    expect([sendAtField('compat'), sendAtField('rest'), sendAtField('console')]).toEqual(['SendAt', 'send_at', 'send_at']);
  });

  it('takes a send time equal to now, where the window starts at 0, as a send now', () => {
    expect(checkSendAt(new Date(NOW).toISOString(), NOW, { minLeadMs: 0, maxLeadMs: 86_400_000 })).toEqual({ errors: [] });
    expect(checkSendAt(new Date(NOW + 1).toISOString(), NOW, { minLeadMs: 0, maxLeadMs: 86_400_000 })).toEqual({ errors: [], at: NOW + 1 });
  });

  it("names the server's time when a send time is out of the window", () => {
    expect(checkSendAt('2029-12-31T23:00:00Z', NOW, DEFAULT_SCHEDULE_WINDOW).errors[0]!.message).toBe(
      "SendAt 2029-12-31T23:00:00Z must be from 300 seconds to 35 days ahead of the request (it is -3600 seconds ahead of the server's time, 2030-01-01T00:00:00.000Z).",
    );
    // A millisecond short of the window was "300 seconds ahead" of a window from 300 seconds.
    expect(checkSendAt('2030-01-01T00:04:59.999Z', NOW, DEFAULT_SCHEDULE_WINDOW).errors[0]!.message).toContain('(it is 299.999 seconds ahead');
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

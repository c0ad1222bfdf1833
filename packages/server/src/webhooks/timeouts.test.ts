import { describe, expect, it } from 'vitest';
import { DEFAULT_TIMEOUTS, timeoutsFromUrl } from './timeouts.js';

describe('timeoutsFromUrl', () => {
  it('uses 2 s connect, 5 s read and 15 s total by default', () => {
    expect(DEFAULT_TIMEOUTS).toEqual({ connectMs: 2000, readMs: 5000, totalMs: 15000 });
    expect(timeoutsFromUrl('https://example.com/cb?x=1')).toEqual({ url: 'https://example.com/cb?x=1', timeouts: DEFAULT_TIMEOUTS });
  });

  it('reads ot, rt and tt from the fragment and strips the fragment from the URL', () => {
    expect(timeoutsFromUrl('https://example.com/cb?x=1#ot=500&rt=1200&tt=3000')).toEqual({
      url: 'https://example.com/cb?x=1',
      timeouts: { connectMs: 500, readMs: 1200, totalMs: 3000 },
    });
  });

  it('keeps the defaults for the values the fragment leaves out', () => {
    expect(timeoutsFromUrl('https://example.com/#tt=9000').timeouts).toEqual({ connectMs: 2000, readMs: 5000, totalMs: 9000 });
    expect(timeoutsFromUrl('https://example.com/#').timeouts).toEqual(DEFAULT_TIMEOUTS);
    expect(timeoutsFromUrl('https://example.com/#section-2').timeouts).toEqual(DEFAULT_TIMEOUTS);
  });

  it('clamps values to 100 ms at least, 10 s to connect and 15 s to read or in total', () => {
    expect(timeoutsFromUrl('https://example.com/#ot=1&rt=0&tt=50').timeouts).toEqual({ connectMs: 100, readMs: 100, totalMs: 100 });
    expect(timeoutsFromUrl('https://example.com/#ot=60000&rt=60000&tt=60000').timeouts).toEqual({ connectMs: 10_000, readMs: 15_000, totalMs: 15_000 });
  });

  it('ignores values that are not whole numbers of milliseconds', () => {
    expect(timeoutsFromUrl('https://example.com/#ot=-5&rt=1.5&tt=fast').timeouts).toEqual(DEFAULT_TIMEOUTS);
    expect(timeoutsFromUrl('https://example.com/#ot=&rt=%20').timeouts).toEqual(DEFAULT_TIMEOUTS);
  });

  it('falls back to the defaults it is given', () => {
    const defaults = { connectMs: 1, readMs: 2, totalMs: 3 };
    expect(timeoutsFromUrl('https://example.com/', defaults).timeouts).toBe(defaults);
    expect(timeoutsFromUrl('https://example.com/#rt=700', defaults).timeouts).toEqual({ connectMs: 1, readMs: 700, totalMs: 3 });
  });
});

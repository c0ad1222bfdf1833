import { describe, expect, it } from 'vitest';
import { DEFAULT_SENDER_RATES, parseSenderRates } from './sender-rates.js';

describe('parseSenderRates', () => {
  it('reads a config-file object or the environment form; types left out keep their default', () => {
    expect(parseSenderRates({ longcode: 10 })).toEqual({ ...DEFAULT_SENDER_RATES, longcode: 10 });
    expect(parseSenderRates('longcode=0, toll-free=25')).toEqual({ longcode: 0, 'toll-free': 25, shortcode: 100 });
  });

  it.each([
    [{ mobile: 1 }, /unknown number type 'mobile'/],
    ['longcode=-1', /rate -1/],
    [{ shortcode: 'fast' }, /rate "fast"/],
    ['longcode=', /the rate "": a rate is a number/],
    ['longcode=fast', /the rate "fast": a rate is a number/],
    ['longcode', /the rate "": a rate is a number/],
    [[1, 2], /must be an object/],
  ])('refuses %j', (raw, message) => {
    expect(() => parseSenderRates(raw)).toThrow(message);
  });
});

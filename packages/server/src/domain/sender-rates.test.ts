import { describe, expect, it } from 'vitest';
import { DEFAULT_SENDER_RATES, parseSenderRates } from './sender-rates.js';

describe('parseSenderRates', () => {
  it('reads a config-file object or the environment form; types left out keep their default', () => {
    expect(parseSenderRates({ longcode: 10 })).toEqual({ ...DEFAULT_SENDER_RATES, longcode: 10 });
    expect(parseSenderRates('longcode=0, toll-free=25')).toEqual({ longcode: 0, 'toll-free': 25, shortcode: 100 });
    expect(parseSenderRates('longcode=0.0001,shortcode=10000')).toEqual({ longcode: 0.0001, 'toll-free': 3, shortcode: 10_000 });
    expect(parseSenderRates('longcode=.5, toll-free = 1e1 ,')).toEqual({ longcode: 0.5, 'toll-free': 10, shortcode: 100 });
  });

  it.each([
    [{ mobile: 1 }, /unknown number type 'mobile'/],
    ['longcode=-1', /rate -1/],
    // Slower than one segment every 10,000 s: the next slot would be out of reach (Infinity for 5e-324).
    ['longcode=0.00001', /rate 0.00001: a rate is a number of segments per second: 0 \(no limit\), or from 0.0001 to 10000/],
    [{ 'toll-free': 5e-324 }, /rate 5e-324/],
    ['shortcode=10001', /rate 10001/],
    [{ shortcode: 'fast' }, /rate "fast"/],
    ['longcode=', /the rate "": a rate is a number/],
    ['longcode=fast', /the rate "fast": a rate is a number/],
    ['longcode', /the rate "": a rate is a number/],
    // Half-read values used to pass: `0x10` as 16, `1=2` as 1.
    ['longcode=0x10', /the rate "0x10"/],
    ['longcode=1=2', /the rate "1=2"/],
    [[1, 2], /must be an object/],
    // A type named twice: the last one silently won.
    ['longcode=1,toll-free=3,longcode=20', /gives longcode a rate twice; give it once/],
  ])('refuses %j', (raw, message) => {
    expect(() => parseSenderRates(raw)).toThrow(message);
  });
});

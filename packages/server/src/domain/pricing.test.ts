import { describe, expect, it } from 'vitest';
import { parsePriceTable, TablePricing, unpriced } from './pricing.js';

const table = parsePriceTable({
  unit: 'USD',
  rules: [
    { prefix: '', perSegment: 0.05 },
    { prefix: '+1', kind: 'sms', perSegment: 0.0079 },
    { prefix: '+1', perSegment: 0.01 },
    { prefix: '+1', kind: 'mms', perSegment: 0.02 },
    { prefix: '+4477', kind: 'sms', perSegment: 0.04 },
    { prefix: '+1', kind: 'sms', direction: 'inbound', perSegment: 0.001 },
  ],
});
const pricing = new TablePricing(table);

describe('the price table', () => {
  it('prices per segment by kind, direction and the longest destination prefix', () => {
    expect(pricing.quote({ to: '+15551234567', kind: 'sms', segments: 3, direction: 'outbound' })).toEqual({ price: 0.0237, unit: 'USD' });
    expect(pricing.quote({ to: '+15551234567', kind: 'mms', segments: 1, direction: 'outbound' })).toEqual({ price: 0.02, unit: 'USD' });
    expect(pricing.quote({ to: '+447700900123', kind: 'sms', segments: 1, direction: 'outbound' }).price).toBe(0.04);
    expect(pricing.quote({ to: '+447700900123', kind: 'mms', segments: 1, direction: 'outbound' }).price).toBe(0.05);
    expect(pricing.quote({ to: '+15551234567', kind: 'sms', segments: 2, direction: 'inbound' }).price).toBe(0.002);
    expect(pricing.quote({ to: '+33612345678', kind: 'sms', segments: 1, direction: 'inbound' }).price).toBeNull();
  });

  it('leaves messages unpriced without a table', () => {
    expect(unpriced.quote({ to: '+15551234567', kind: 'sms', segments: 1, direction: 'outbound' })).toEqual({ price: null, unit: 'USD' });
  });

  it('accepts JSON text and refuses bad tables with a reason', () => {
    expect(parsePriceTable('{"rules":[{"prefix":"+1","perSegment":0.01}]}').rules).toEqual([{ prefix: '+1', kind: null, direction: 'outbound', perSegment: 0.01 }]);
    expect(() => parsePriceTable('{')).toThrow(/JSON/);
    expect(() => parsePriceTable({ rules: 'x' })).toThrow(/rules/);
    expect(() => parsePriceTable({ unit: 'EUR', rules: [] })).toThrow(/USD/);
    expect(() => parsePriceTable({ rules: [{ prefix: 'abc', perSegment: 1 }] })).toThrow(/prefix/);
    // A price too large for a double is quoted as such, not as the null JSON.stringify makes of it.
    expect(() => parsePriceTable('{"rules":[{"prefix":"+1","perSegment":1e999}]}')).toThrow('rule 0: "perSegment" must be a number of 0 or more (got Infinity)');
    expect(() => parsePriceTable({ rules: [{ kind: 'fax', perSegment: 1 }] })).toThrow(/kind/);
    expect(() => parsePriceTable({ rules: [{ perSegment: -1 }] })).toThrow(/perSegment/);
  });

  // A misspelt optional field was dropped: "drection": "inbound" made an outbound rule, pricing
  // messages it was not meant for; a misspelt perSegment was reported as a bad perSegment.
  it('refuses a prefix without + longer than a short code, which matches no destination', () => {
    expect(() => parsePriceTable({ unit: 'USD', rules: [{ prefix: '4477009', perSegment: 0.04 }] })).toThrow('rule 0: "prefix" 4477009 matches no destination: one without + matches only short codes (up to 6 digits); write +4477009');
  });

  it('refuses an unknown field of the table or a rule, naming the one probably meant', () => {
    expect(() => parsePriceTable({ rules: [{ prefix: '+1', drection: 'inbound', perSegment: 0.01 }] })).toThrow('rule 0: unknown field "drection" (did you mean "direction"?); a rule has prefix, kind, direction, perSegment');
    expect(() => parsePriceTable({ rules: [{ prefix: '+1', perSegmnt: 0.01 }] })).toThrow('rule 0: unknown field "perSegmnt" (did you mean "perSegment"?)');
    expect(() => parsePriceTable({ unit: 'USD', rule: [] })).toThrow('the table: unknown field "rule" (did you mean "rules"?); a price table has unit, rules');
    expect(() => parsePriceTable({ rules: [{ prefix: '+1', perSegment: 'x' }] })).toThrow('rule 0: "perSegment" must be a number of 0 or more (got "x")');
  });
});

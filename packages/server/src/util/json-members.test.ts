import { describe, expect, it } from 'vitest';
import { jsonWidthExceeds, MAX_JSON_MEMBERS, MAX_JSON_NAMES } from './json-members.js';

/** An object of `count` members named apart (`k0`, `k1`, …). */
const distinct = (count: number) => `{${Array.from({ length: count }, (_, i) => `"k${i}":${i}`).join(',')}}`;
/** A list of `count` objects of one member each, all named `a`. */
const repeated = (count: number) => `[${Array.from({ length: count }, (_, i) => `{"a":${i}}`).join(',')}]`;

describe('jsonWidthExceeds', () => {
  it('allows distinct names up to their limit and refuses one more', () => {
    expect(jsonWidthExceeds(distinct(MAX_JSON_NAMES))).toBeUndefined();
    expect(jsonWidthExceeds(distinct(MAX_JSON_NAMES + 1))).toEqual({ what: 'names', limit: MAX_JSON_NAMES });
  });

  it('allows members under few names up to their limit and refuses one more', () => {
    expect(jsonWidthExceeds(repeated(MAX_JSON_MEMBERS))).toBeUndefined();
    expect(jsonWidthExceeds(repeated(MAX_JSON_MEMBERS + 1))).toEqual({ what: 'members', limit: MAX_JSON_MEMBERS });
    expect(jsonWidthExceeds('{"a":{"b":[{"c":1},{"d":2}]}}', 3, 10)).toEqual({ what: 'members', limit: 3 });
    expect(jsonWidthExceeds('{"a":{"b":[{"c":1}]}}', 3, 10)).toBeUndefined();
  });

  it('ignores colons inside strings, names and escaped quotes included', () => {
    expect(jsonWidthExceeds(JSON.stringify({ 'a:b:c': 'x:y:z:' }), 1, 1)).toBeUndefined();
    expect(jsonWidthExceeds(JSON.stringify({ text: 'say \\":::\\" and ":::"' }), 1, 1)).toBeUndefined();
    expect(jsonWidthExceeds(`{"a":"\\\\","b":1}`, 5, 1)).toEqual({ what: 'names', limit: 1 });
  });

  it('terminates on text that is not JSON', () => {
    expect(jsonWidthExceeds('"unterminated ::::', 1, 1)).toBeUndefined();
    expect(jsonWidthExceeds(':::', 2, 5)).toEqual({ what: 'members', limit: 2 });
  });
});

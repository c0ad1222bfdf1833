import { describe, expect, it } from 'vitest';
import { jsonMembersExceed, MAX_JSON_MEMBERS } from './json-members.js';

const object = (count: number) => `{${Array.from({ length: count }, (_, i) => `"k${i}":${i}`).join(',')}}`;

describe('jsonMembersExceed', () => {
  it('allows members up to the limit, nested ones included, and refuses one more', () => {
    expect(jsonMembersExceed(object(MAX_JSON_MEMBERS))).toBe(false);
    expect(jsonMembersExceed(object(MAX_JSON_MEMBERS + 1))).toBe(true);
    expect(jsonMembersExceed('{"a":{"b":[{"c":1},{"d":2}]}}', 3)).toBe(true);
    expect(jsonMembersExceed('{"a":{"b":[{"c":1}]}}', 3)).toBe(false);
  });

  it('ignores colons inside strings, names and escaped quotes included', () => {
    expect(jsonMembersExceed(JSON.stringify({ 'a:b:c': 'x:y:z:' }), 1)).toBe(false);
    expect(jsonMembersExceed(JSON.stringify({ text: 'say \\":::\\" and ":::"' }), 1)).toBe(false);
    expect(jsonMembersExceed(`{"a":"\\\\","b":1}`, 1)).toBe(true);
  });

  it('terminates on text that is not JSON', () => {
    expect(jsonMembersExceed('"unterminated ::::', 1)).toBe(false);
    expect(jsonMembersExceed(':::', 2)).toBe(true);
  });
});

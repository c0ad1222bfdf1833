import { describe, expect, it } from 'vitest';
import { jsonNestingExceeds, MAX_JSON_DEPTH } from './json-depth.js';

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('jsonNestingExceeds', () => {
  it('allows nesting up to the limit and refuses one level more', () => {
    expect(jsonNestingExceeds(nested(MAX_JSON_DEPTH))).toBe(false);
    expect(jsonNestingExceeds(nested(MAX_JSON_DEPTH + 1))).toBe(true);
    expect(jsonNestingExceeds('{"a":'.repeat(5) + '1' + '}'.repeat(5), 4)).toBe(true);
    expect(jsonNestingExceeds('{"a":{"b":[1,2,{"c":null}]}}', 4)).toBe(false);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(jsonNestingExceeds(JSON.stringify({ text: '[[[[[[[[[[{{{{{{{{' }), 2)).toBe(false);
    expect(jsonNestingExceeds(JSON.stringify({ text: 'say \\"[[[[[[\\" and "{{{{{{"' }), 2)).toBe(false);
    expect(jsonNestingExceeds(`{"a":"\\\\",${'['.repeat(3)}${']'.repeat(3)}}`, 3)).toBe(true);
  });

  it('stops early on very deep text and terminates on garbage', () => {
    expect(jsonNestingExceeds('['.repeat(1_000_000))).toBe(true);
    expect(jsonNestingExceeds('"unterminated [[[[')).toBe(false);
    expect(jsonNestingExceeds(']]]]][[[', 2)).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { clip, preview } from './preview.js';

describe('preview', () => {
  it('writes small values exactly as JSON.stringify does', () => {
    for (const v of ['abc', 12, true, null, [1, 'x'], { a: 1, b: [null] }, 'quote " and \\']) expect(preview(v)).toBe(JSON.stringify(v));
    expect(preview(undefined)).toBe('null');
  });

  it('names a number too large for a double (JSON reads 1e999 so) as Infinity, not null', () => {
    expect(preview(JSON.parse('1e999'))).toBe('Infinity');
    expect(preview(JSON.parse('{"a":[-1e999]}'))).toBe('{"a":[-Infinity]}');
    expect(preview(Number.NaN)).toBe('NaN');
  });

  it('cuts long strings and large objects at the limit', () => {
    expect(preview('x'.repeat(100_000))).toBe(`"${'x'.repeat(63)}…`);
    const wide = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i]));
    expect(preview(wide).length).toBe(65);
    expect(clip('abcdef', 3)).toBe('abc…');
    expect(clip('abc', 3)).toBe('abc');
  });

  it('never descends far into deep values', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(preview(deep)).toBe('[[[[[…]]]]]');
    expect(preview({ a: { b: { c: { d: { e: 1 } } } } })).toBe('{"a":{"b":{"c":{"d":{…}}}}}');
  });
});

import { describe, expect, it } from 'vitest';
import { readContexts } from './contexts.js';
import { RELAY_CONSTANTS } from './limits.js';

/** An array of `n` different names that counts how many of its entries are read. */
function counted(n: number): { contexts: string[]; reads: () => number } {
  const names = Array.from({ length: n }, (_, i) => i.toString(36));
  let reads = 0;
  const contexts = new Proxy(names, {
    get(target, key, receiver) {
      if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
  return { contexts, reads: () => reads };
}

describe('readContexts', () => {
  it('reads a flood of contexts (some 40,000 names fit in one frame) only until one past the cap, then refuses it (-32602)', () => {
    const flood = counted(40_000);
    expect(() => readContexts({ contexts: flood.contexts }, false)).toThrow(expect.objectContaining({ code: -32602, message: expect.stringContaining(`at most ${RELAY_CONSTANTS.maxContexts} contexts`) }));
    expect(flood.reads()).toBe(RELAY_CONSTANTS.maxContexts + 1);
  });

  it('keeps each name once, in order, and takes as many repeats of the cap as are sent', () => {
    const repeats = Array.from({ length: 5_000 }, (_, i) => `c${i % RELAY_CONSTANTS.maxContexts}`);
    const out = readContexts({ contexts: repeats, context: 'c0' }, true);
    expect(out).toHaveLength(RELAY_CONSTANTS.maxContexts);
    expect(out.slice(0, 3)).toEqual(['c0', 'c1', 'c2']);
    expect(() => readContexts({ contexts: [...repeats], context: 'one-more' }, true)).toThrow(expect.objectContaining({ code: -32602 }));
    expect(readContexts({ contexts: [...repeats], context: 'one-more' }, false)).toHaveLength(RELAY_CONSTANTS.maxContexts);
  });

  it('refuses a name that is not a non-empty string of at most 128 characters', () => {
    for (const bad of [[''], [1], ['x'.repeat(129)], 'a']) expect(() => readContexts({ contexts: bad }, false)).toThrow(expect.objectContaining({ code: -32602, message: expect.stringContaining('non-empty strings') }));
  });
});

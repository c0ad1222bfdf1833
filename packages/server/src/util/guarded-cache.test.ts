import { describe, expect, it } from 'vitest';
import { GuardedCache, type GuardedCacheOptions } from './guarded-cache.js';

/** A store whose reads wait until the test answers them, counting reads per key. */
function slowStore(initial: Record<string, string> = {}) {
  const rows = new Map(Object.entries(initial));
  const waiting: Array<() => void> = [];
  const reads: string[] = [];
  const load = async (key: string): Promise<string | null> => {
    reads.push(key);
    const seen = rows.get(key) ?? null;
    await new Promise<void>((resolve) => waiting.push(resolve));
    return seen;
  };
  return { rows, reads, load, answerAll: () => waiting.splice(0).forEach((r) => r()) };
}

/** A store that answers at once. */
function store(initial: Record<string, string> = {}) {
  const rows = new Map(Object.entries(initial));
  const reads: string[] = [];
  const load = async (key: string): Promise<string | null> => (reads.push(key), rows.get(key) ?? null);
  return { rows, reads, load };
}

function clock(start = 1_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

const cache = <V>(opts: Partial<GuardedCacheOptions<V>> & Pick<GuardedCacheOptions<V>, 'load'>) => new GuardedCache<V>({ now: () => 0, ...opts });

describe('GuardedCache', () => {
  it('serves a loaded value from the cache until invalidated', async () => {
    const s = store({ a: 'A1' });
    const c = cache({ load: s.load });
    expect(await c.get('a')).toBe('A1');
    s.rows.set('a', 'A2');
    expect(await c.get('a')).toBe('A1');
    expect(s.reads).toEqual(['a']);
    c.invalidate('a');
    expect(await c.get('a')).toBe('A2');
    expect(s.reads).toEqual(['a', 'a']);
  });

  it('caches a missing row (null) like any value', async () => {
    const s = store();
    const c = cache({ load: s.load });
    expect(await c.get('x')).toBeNull();
    expect(c.peek('x')).toBeNull();
    expect(await c.get('x')).toBeNull();
    expect(s.reads).toEqual(['x']);
  });

  it('hands a load overtaken by an invalidation to its callers but does not keep it', async () => {
    const s = slowStore({ a: 'old' });
    const c = cache({ load: s.load });
    const during = c.read('a');
    s.rows.set('a', 'new');
    c.invalidate('a');
    s.answerAll();
    expect(await during).toEqual({ value: 'old', current: false });
    expect(c.peek('a')).toBeUndefined();
    // The next caller reads the store again rather than getting what the overtaken load saw.
    const next = c.read('a');
    s.answerAll();
    expect(await next).toEqual({ value: 'new', current: true });
    expect(c.peek('a')).toBe('new');
  });

  it('lets callers after an invalidation start their own load instead of joining the overtaken one', async () => {
    const s = slowStore({ a: 'old' });
    const c = cache({ load: s.load });
    const before = c.get('a');
    s.rows.set('a', 'new');
    c.invalidate('a');
    const after = c.get('a');
    expect(s.reads).toEqual(['a', 'a']);
    s.answerAll();
    expect(await before).toBe('old');
    expect(await after).toBe('new');
    // The overtaken load, answering last or first, never replaces the newer value.
    expect(c.peek('a')).toBe('new');
  });

  it('keeps a load whose key was not invalidated, whatever happened to other keys', async () => {
    const s = slowStore({ a: 'A', b: 'B' });
    const c = cache({ load: s.load });
    const a = c.get('a');
    const b = c.get('b');
    c.invalidate('b');
    s.answerAll();
    expect([await a, await b]).toEqual(['A', 'B']);
    expect(c.peek('a')).toBe('A');
    expect(c.peek('b')).toBeUndefined();
  });

  it('does not keep any load under way at invalidateAll', async () => {
    const s = slowStore({ a: 'A', b: 'B' });
    const c = cache({ load: s.load });
    const loads = [c.get('a'), c.get('b')];
    c.invalidateAll();
    s.answerAll();
    expect(await Promise.all(loads)).toEqual(['A', 'B']);
    expect(c.size).toBe(0);
  });

  it('invalidateWhere drops the matching entries and keeps no load under way (its value is not known yet)', async () => {
    const s = slowStore({ a: 'p1', b: 'p2', c: 'p1' });
    const c = cache({ load: s.load });
    const first = [c.get('a'), c.get('b')];
    s.answerAll();
    await Promise.all(first);
    const pending = c.get('c');
    c.invalidateWhere((v) => v === 'p1');
    s.answerAll();
    expect(await pending).toBe('p1');
    expect([c.peek('a'), c.peek('b'), c.peek('c')]).toEqual([undefined, 'p2', undefined]);
  });

  it('shares one load among the callers of a key while it runs', async () => {
    const s = slowStore({ a: 'A' });
    const c = cache({ load: s.load });
    const calls = [c.get('a'), c.get('a'), c.read('a')];
    expect(s.reads).toEqual(['a']);
    s.answerAll();
    expect(await Promise.all(calls)).toEqual(['A', 'A', { value: 'A', current: true }]);
  });

  it('passes a failed load to every waiting caller, keeps nothing, and loads again next time', async () => {
    let fail = true;
    const c = cache({
      load: async (key: string) => {
        if (fail) throw new Error('store down');
        return key.toUpperCase();
      },
    });
    const both = [c.get('a'), c.get('a')];
    await expect(both[0]).rejects.toThrow('store down');
    await expect(both[1]).rejects.toThrow('store down');
    expect(c.size).toBe(0);
    fail = false;
    expect(await c.get('a')).toBe('A');
  });

  it('loads again after a loader that threw before returning a promise', async () => {
    let fail = true;
    const c = cache({
      load: (key: string) => {
        if (fail) throw new Error('bad key');
        return Promise.resolve(key);
      },
    });
    await expect(c.get('a')).rejects.toThrow('bad key');
    fail = false;
    expect(await c.get('a')).toBe('a');
  });

  it('serves an entry for ttlMs after its load began, then loads again', async () => {
    const t = clock();
    const s = store({ a: 'A1' });
    const c = cache({ load: s.load, now: t.now, ttlMs: 5_000 });
    expect(await c.get('a')).toBe('A1');
    s.rows.set('a', 'A2');
    t.advance(4_999);
    expect(await c.get('a')).toBe('A1');
    t.advance(1);
    expect(c.peek('a')).toBeUndefined();
    expect(c.last('a')).toBe('A1');
    expect(await c.get('a')).toBe('A2');
  });

  it('times an entry from when its load began, not when it answered', async () => {
    const t = clock();
    const s = slowStore({ a: 'A' });
    const c = cache({ load: s.load, now: t.now, ttlMs: 5_000 });
    const pending = c.get('a');
    t.advance(3_000);
    s.answerAll();
    await pending;
    t.advance(1_999);
    expect(c.peek('a')).toBe('A');
    t.advance(1);
    expect(c.peek('a')).toBeUndefined();
  });

  it('lets expiresAt give each value its own end', async () => {
    const t = clock(0);
    const c = cache<boolean>({ load: async (key) => key === 'yes', now: t.now, ttlMs: 1_000, expiresAt: (v, at) => (v ? Infinity : at + 1_000) });
    await c.get('yes');
    await c.get('no');
    t.advance(1_000_000);
    expect(c.peek('yes')).toBe(true);
    expect(c.peek('no')).toBeUndefined();
  });

  it('set stores a value written now; a load under way then is not kept', async () => {
    const t = clock();
    const s = slowStore({ a: 'old' });
    const c = cache({ load: s.load, now: t.now, ttlMs: 1_000 });
    const during = c.read('a');
    c.set('a', 'written');
    s.answerAll();
    expect(await during).toEqual({ value: 'old', current: false });
    expect(c.peek('a')).toBe('written');
    t.advance(1_000);
    expect(c.peek('a')).toBeUndefined();
  });

  it('holds at most maxEntries, dropping the oldest stored', async () => {
    const s = store({ a: 'A', b: 'B', c: 'C' });
    const c = cache({ load: s.load, maxEntries: 2 });
    await c.get('a');
    await c.get('b');
    c.set('a', 'A2'); // stored again: now the newest
    await c.get('c');
    expect(c.size).toBe(2);
    expect([c.peek('a'), c.peek('b'), c.peek('c')]).toEqual(['A2', undefined, 'C']);
  });

  it('refuses a bound below one entry', () => {
    expect(() => cache({ load: async () => 1, maxEntries: 0 })).toThrow(RangeError);
  });
});

import { describe, expect, it } from 'vitest';
import { Batcher } from './batcher.js';

/** A promise with its resolve/reject exposed, to hold a flush open. */
function deferred<T = void>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const nextTick = () => new Promise<void>((r) => setImmediate(r));

describe('Batcher', () => {
  it('flushes items added in one tick together and gives each its own result', async () => {
    const batches: number[][] = [];
    const b = new Batcher<number, string>(async (items) => {
      batches.push(items);
      return items.map((i) => `r${i}`);
    });
    const results = await Promise.all([b.add(1), b.add(2), b.add(3)]);
    expect(results).toEqual(['r1', 'r2', 'r3']);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('flushes items added in a later tick in a later batch', async () => {
    const batches: number[][] = [];
    const b = new Batcher<number, number>(async (items) => {
      batches.push(items);
      return items;
    });
    const first = b.add(1);
    await first;
    await b.add(2);
    expect(batches).toEqual([[1], [2]]);
  });

  it('collects items added while a flush runs into the next batch', async () => {
    const gate = deferred();
    const batches: number[][] = [];
    const b = new Batcher<number, number>(async (items) => {
      batches.push(items);
      if (batches.length === 1) await gate.promise;
      return items.map((i) => i * 10);
    });
    const first = b.add(1);
    await nextTick();
    const later = [b.add(2), b.add(3)];
    await nextTick();
    expect(batches).toEqual([[1]]);
    gate.resolve();
    expect(await first).toBe(10);
    expect(await Promise.all(later)).toEqual([20, 30]);
    expect(batches).toEqual([[1], [2, 3]]);
  });

  it('never runs two flushes at once', async () => {
    let active = 0;
    let most = 0;
    const b = new Batcher<number, number>(async (items) => {
      active++;
      most = Math.max(most, active);
      await nextTick();
      active--;
      return items;
    }, 3);
    const all: Promise<number>[] = [];
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 4; i++) all.push(b.add(round * 10 + i));
      await nextTick();
    }
    await Promise.all(all);
    expect(most).toBe(1);
  });

  it('with a concurrency of 3, runs up to three flushes at once, each on its own batch, and drains after all', async () => {
    let active = 0;
    let most = 0;
    const seen: number[] = [];
    const b = new Batcher<number, number>(
      async (items) => {
        active++;
        most = Math.max(most, active);
        await new Promise((r) => setTimeout(r, 5));
        seen.push(...items);
        active--;
        return items.map((i) => i * 2);
      },
      2,
      undefined,
      3,
    );
    const all: Promise<number>[] = [];
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 4; i++) all.push(b.add(round * 10 + i));
      await nextTick();
    }
    const drained = b.drain();
    expect(await Promise.all(all)).toEqual(all.map((_, k) => (Math.floor(k / 4) * 10 + (k % 4)) * 2));
    await drained;
    expect(most).toBe(3);
    expect(seen.sort((x, y) => x - y)).toEqual(Array.from({ length: 24 }, (_, k) => Math.floor(k / 4) * 10 + (k % 4)).sort((x, y) => x - y));
    expect(b.pending).toBe(0);
  });

  it('splits a large tick into batches of at most maxBatch, in order', async () => {
    const batches: number[][] = [];
    const b = new Batcher<number, number>(async (items) => {
      batches.push(items);
      return items;
    }, 2);
    expect(await b.addMany([1, 2, 3, 4, 5])).toEqual([1, 2, 3, 4, 5]);
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('rejects only the items of a failing batch', async () => {
    const failure = new Error('disk full');
    const gate = deferred();
    let calls = 0;
    const b = new Batcher<string, string>(async (items) => {
      calls++;
      if (calls === 1) {
        await gate.promise;
        throw failure;
      }
      return items.map((i) => i.toUpperCase());
    });
    const doomed = [b.add('a'), b.add('b')];
    await nextTick();
    const fine = b.add('c');
    gate.resolve();
    await expect(doomed[0]).rejects.toBe(failure);
    await expect(doomed[1]).rejects.toBe(failure);
    expect(await fine).toBe('C');
    // And the batcher keeps working.
    expect(await b.add('d')).toBe('D');
  });

  it('drains: resolves at once when idle, otherwise when everything queued is flushed', async () => {
    const gate = deferred();
    const done: number[] = [];
    const b = new Batcher<number, number>(async (items) => {
      await gate.promise;
      done.push(...items);
      return items;
    });
    await b.drain();
    void b.add(1);
    void b.add(2);
    let drained = false;
    const draining = b.drain().then(() => {
      drained = true;
    });
    await nextTick();
    expect(drained).toBe(false);
    expect(b.pending).toBeGreaterThan(0);
    gate.resolve();
    await draining;
    expect(done).toEqual([1, 2]);
    expect(b.pending).toBe(0);
  });

  // BUG (util/batcher.ts `pending`): documented as "items waiting or being flushed" but counts a batch
  // in flight as one item whatever its size.
  it('counts every item of the batch in flight as pending', async () => {
    const gate = deferred();
    const b = new Batcher<number, number>(async (items) => {
      await gate.promise;
      return items;
    });
    const all = b.addMany([1, 2, 3]);
    await nextTick();
    try {
      expect(b.pending).toBe(3);
    } finally {
      gate.resolve();
      await all;
    }
  });

  it('drains after a failed batch too', async () => {
    const b = new Batcher<number, number>(async () => {
      throw new Error('nope');
    });
    const failed = b.add(1).catch((e: Error) => e.message);
    await b.drain();
    expect(await failed).toBe('nope');
  });
});

import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TimerQueue } from './timer-queue.js';

describe('TimerQueue', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function queue() {
    const fired: string[][] = [];
    const q = new TimerQueue<string>((values) => fired.push(values), () => Date.now());
    return { q, fired };
  }

  it('fires each value at its time, in due order', () => {
    const { q, fired } = queue();
    const t = Date.now();
    q.schedule(t + 300, 'c');
    q.schedule(t + 100, 'a');
    q.schedule(t + 200, 'b');
    vi.advanceTimersByTime(99);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([['a']]);
    vi.advanceTimersByTime(200);
    expect(fired).toEqual([['a'], ['b'], ['c']]);
    expect(q.size).toBe(0);
  });

  it('fires everything due at one wake-up in one batch, ties in scheduling order', () => {
    const { q, fired } = queue();
    const t = Date.now();
    q.schedule(t + 50, 'x1');
    q.schedule(t + 10, 'early');
    q.schedule(t + 50, 'x2');
    q.schedule(t + 50, 'x3');
    vi.advanceTimersByTime(10);
    expect(fired).toEqual([['early']]);
    vi.advanceTimersByTime(40);
    expect(fired).toEqual([['early'], ['x1', 'x2', 'x3']]);
  });

  it('uses a single timer however many values wait', () => {
    const { q } = queue();
    const t = Date.now();
    for (let i = 0; i < 1000; i++) q.schedule(t + 1000 + (i % 37), `v${i}`);
    expect(vi.getTimerCount()).toBe(1);
    q.schedule(t + 5, 'sooner');
    expect(vi.getTimerCount()).toBe(1);
    expect(q.size).toBe(1001);
  });

  it('wakes earlier when an earlier value is scheduled', () => {
    const { q, fired } = queue();
    const t = Date.now();
    q.schedule(t + 1000, 'late');
    q.schedule(t + 10, 'soon');
    vi.advanceTimersByTime(10);
    expect(fired).toEqual([['soon']]);
    expect(vi.getTimerCount()).toBe(1);
  });

  it('fires overdue values on the next turn', () => {
    const { q, fired } = queue();
    q.schedule(Date.now() - 500, 'overdue');
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(0);
    expect(fired).toEqual([['overdue']]);
  });

  it('stops: returns what was pending, clears its timer, and ignores later schedules', () => {
    const { q, fired } = queue();
    const t = Date.now();
    q.schedule(t + 10, 'a');
    q.schedule(t + 20, 'b');
    vi.advanceTimersByTime(10);
    expect(q.stop().sort()).toEqual(['b']);
    expect(vi.getTimerCount()).toBe(0);
    q.schedule(t + 30, 'c');
    vi.advanceTimersByTime(1000);
    expect(fired).toEqual([['a']]);
    expect(q.size).toBe(0);
  });

  it('keeps the timer armed for what remains after a wake-up', () => {
    const { q, fired } = queue();
    const t = Date.now();
    q.schedule(t + 10, 'a');
    q.schedule(t + 500, 'b');
    vi.advanceTimersByTime(10);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(490);
    expect(fired).toEqual([['a'], ['b']]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('fires every value exactly once, in (time, scheduling) order (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 60 }), (delays) => {
        const fired: number[] = [];
        const t = Date.now();
        const q = new TimerQueue<number>((values) => fired.push(...values), () => Date.now());
        delays.forEach((d, i) => q.schedule(t + d, i));
        vi.advanceTimersByTime(201);
        const expected = delays.map((d, i) => ({ d, i })).sort((a, b) => a.d - b.d || a.i - b.i).map((x) => x.i);
        expect(fired).toEqual(expected);
        q.stop();
      }),
      { numRuns: 100 },
    );
  });
});

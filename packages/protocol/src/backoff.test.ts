import { describe, expect, it } from 'vitest';
import { backoffDelay, type BackoffPolicy } from './backoff.js';

describe('backoffDelay', () => {
  const policy: BackoffPolicy = { initialMs: 250, maxMs: 60_000 };

  it('doubles from the initial delay and stops at the cap', () => {
    expect([0, 1, 2, 3].map((n) => backoffDelay(policy, n))).toEqual([250, 500, 1000, 2000]);
    expect(backoffDelay(policy, 8)).toBe(60_000);
    expect(backoffDelay(policy, 10_000)).toBe(60_000);
  });

  it('counts a fractional retry as the whole retry below it, and a negative one as retry 0', () => {
    expect(backoffDelay(policy, -3)).toBe(250);
    expect(backoffDelay(policy, 1.7)).toBe(500);
  });

  it('spreads by the jitter fraction around the delay', () => {
    const jittered = { ...policy, jitter: 0.2 };
    expect(backoffDelay(jittered, 2, () => 0)).toBe(800);
    expect(backoffDelay(jittered, 2, () => 0.5)).toBe(1000);
    expect(backoffDelay(jittered, 2, () => 0.999999)).toBe(1200);
  });

  it('honours another growth factor', () => {
    expect(backoffDelay({ initialMs: 100, maxMs: 10_000, factor: 3 }, 2)).toBe(900);
  });
});

import { describe, expect, it } from 'vitest';
import { hashToken } from '../domain/credentials.js';
import { AuthThrottle, type ThrottledKey } from './auth-throttle.js';

function setup(maxKeys?: number) {
  let now = 1_000_000;
  const limited: Array<[ThrottledKey, string]> = [];
  const throttle = new AuthThrottle({
    perAddress: { burst: 3, perMinute: 60 },
    perProject: { burst: 5, perMinute: 60 },
    ...(maxKeys ? { maxKeys } : {}),
    now: () => now,
    onLimited: (kind, key) => limited.push([kind, key]),
  });
  return { throttle, limited, advance: (ms: number) => (now += ms) };
}

describe('AuthThrottle', () => {
  it('lets an address fail its burst, then refuses it (with when to retry) until a failure is forgiven', () => {
    const { throttle, limited, advance } = setup();
    for (let i = 0; i < 3; i++) {
      expect(throttle.check('192.0.2.1', `p${i}`, 'bad')).toEqual({ limited: false });
      expect(throttle.failed('192.0.2.1', `p${i}`)).toEqual({ limited: false });
    }
    expect(throttle.check('192.0.2.1', 'p9', 'bad')).toEqual({ limited: true, retryAfterMs: 1000 });
    expect(throttle.check('192.0.2.2', 'p9', 'bad')).toEqual({ limited: false });
    advance(1000);
    expect(throttle.check('192.0.2.1', 'p9', 'bad')).toEqual({ limited: false });
    expect(limited).toEqual([['address', '192.0.2.1']]);
  });

  it('limits a project id attacked from many addresses to one guess per attacking address, but never credentials that worked', () => {
    const { throttle, limited } = setup();
    throttle.succeeded('victim', 'good-token');
    for (let i = 0; i < 5; i++) expect(throttle.failed(`198.51.100.${i}`, 'victim')).toEqual({ limited: false });
    expect(throttle.failed('198.51.100.9', 'victim')).toMatchObject({ limited: true });
    // Every address that failed for the project waits, its own bucket notwithstanding.
    for (const i of [0, 4, 9]) expect(throttle.check(`198.51.100.${i}`, 'victim', 'another-token')).toMatchObject({ limited: true });
    expect(throttle.check('198.51.100.0', 'victim', 'good-token')).toEqual({ limited: false });
    // A new address gets one guess; after it fails, it waits too.
    expect(throttle.check('203.0.113.7', 'victim', 'guess')).toEqual({ limited: false });
    throttle.failed('203.0.113.7', 'victim');
    expect(throttle.check('203.0.113.7', 'victim', 'guess-2')).toMatchObject({ limited: true });
    expect(throttle.check('198.51.100.0', 'other-project', 'x')).toEqual({ limited: false });
    expect(limited).toEqual([['project', 'victim']]);
  });

  it("does not let another tenant's flood of wrong tokens lock a project's new clients out", () => {
    const { throttle } = setup();
    // Tenant B, from its own address, presents project A's id with wrong tokens until A's bucket is empty.
    for (let i = 0; i < 10; i++) throttle.failed('192.0.2.66', 'project-a');
    expect(throttle.check('192.0.2.66', 'project-a', 'guess')).toMatchObject({ limited: true });
    // A's own new client (a token never used on this node) from its own address is checked as usual.
    expect(throttle.check('198.51.100.20', 'project-a', 'fresh-token')).toEqual({ limited: false });
  });

  it('reports a key once per episode: again only after its bucket has refilled', () => {
    const { throttle, limited, advance } = setup();
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 4; i++) throttle.failed('192.0.2.1', `p${round}-${i}`);
      advance(1000);
    }
    expect(limited.filter(([k]) => k === 'address')).toHaveLength(1);
    advance(10_000);
    for (let i = 0; i < 4; i++) throttle.failed('192.0.2.1', `q${i}`);
    expect(limited.filter(([k]) => k === 'address')).toHaveLength(2);
  });

  it('keeps at most maxKeys entries per map', () => {
    const { throttle } = setup(100);
    for (let i = 0; i < 10_000; i++) {
      throttle.failed(`10.0.${i >> 8}.${i & 255}`, `project-${i}`);
      throttle.succeeded(`project-${i}`, 'token');
    }
    expect(throttle.size).toBeLessThanOrEqual(400);
  });

  it('forgets the least recently used known-good credentials first, also when one is used many times in a row', () => {
    const { throttle } = setup(2);
    const digest = hashToken('a');
    const other = hashToken('b');
    throttle.succeeded('p1', 'a', digest);
    throttle.succeeded('p2', 'b', other);
    // p1's credentials are used again (twice in a row), so p2's are now the oldest.
    throttle.succeeded('p1', 'a', digest);
    throttle.succeeded('p1', 'a', digest);
    throttle.succeeded('p3', 'c', hashToken('c'));
    // Lock both projects and the address out, then see whose credentials still pass.
    for (let i = 0; i < 5; i++) for (const p of ['p1', 'p2']) throttle.failed('10.0.0.1', p);
    expect(throttle.check('10.0.0.1', 'p2', 'b').limited).toBe(true);
    expect(throttle.check('10.0.0.1', 'p1', 'a').limited).toBe(false);
  });
});

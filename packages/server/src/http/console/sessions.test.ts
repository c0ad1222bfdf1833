/** Console sessions' lifetimes: idle expiry that slides with use, and a maximum age it never slides past. */
import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { InProcessBus } from '../../bus/in-process-bus.js';
import { ManualClock } from '../../domain/clock.js';
import type { ConsoleSessionRecord, ConsoleSessionRepository } from '../../domain/ports/store.js';
import { ConsoleSessions, MAX_SESSION_AGE_MS } from './sessions.js';

/** The repository's contract in memory: `find` answers live sessions only. */
function memoryRepo(): ConsoleSessionRepository {
  const rows = new Map<string, ConsoleSessionRecord>();
  return {
    async create(s) {
      rows.set(s.idHash.toString('hex'), s);
      return [];
    },
    async find(idHash, now) {
      const s = rows.get(idHash.toString('hex'));
      return s && s.expiresAt > now ? s : undefined;
    },
    async extend(idHash, expiresAt) {
      const s = rows.get(idHash.toString('hex'));
      if (s) rows.set(idHash.toString('hex'), { ...s, expiresAt });
    },
    async delete(idHash) {
      return rows.delete(idHash.toString('hex'));
    },
    async deleteExpired() {
      return 0;
    },
  };
}

const HOUR = 3_600_000;
/** A request with a session cookie; `__Host-switchboard_console` for a server behind TLS. */
const requestWith = (id: string, name = 'switchboard_console') => ({ headers: { cookie: `${name}=${id}` }, method: 'GET' }) as unknown as FastifyRequest;

describe('console sessions', () => {
  it('slide while used, but end MAX_SESSION_AGE_MS after login however much they are used', async () => {
    const clock = new ManualClock();
    const sessions = new ConsoleSessions(memoryRepo(), clock, { ttlMs: 12 * HOUR, cacheMs: 0 });
    const live = await sessions.open('p1', { tokenId: null, scopes: ['messaging'], dev: true });
    // Used every 10 hours: each use pushes the idle expiry 12 hours on, well past the first 12.
    let used = 0;
    while (used + 10 * HOUR < MAX_SESSION_AGE_MS) {
      clock.advance(10 * HOUR);
      used += 10 * HOUR;
      expect(await sessions.resolve(requestWith(live.id))).not.toBeNull();
    }
    expect(used).toBeGreaterThan(24 * HOUR);
    clock.advance(MAX_SESSION_AGE_MS - used);
    expect(await sessions.resolve(requestWith(live.id))).toBeNull();
    await expect(sessions.authenticate(requestWith(live.id))).rejects.toMatchObject({ key: 'UNAUTHORIZED' });
  });

  it('still end after their idle lifetime when not used', async () => {
    const clock = new ManualClock();
    const sessions = new ConsoleSessions(memoryRepo(), clock, { ttlMs: 12 * HOUR, cacheMs: 0 });
    const live = await sessions.open('p1', { tokenId: null, scopes: ['messaging'], dev: true });
    clock.advance(12 * HOUR - 1);
    expect(await sessions.resolve(requestWith(live.id))).not.toBeNull();
    clock.advance(12 * HOUR);
    expect(await sessions.resolve(requestWith(live.id))).toBeNull();
  });

  it('are not extended by a live feed\'s checks: a session only a feed looks at ends at its idle lifetime', async () => {
    const clock = new ManualClock();
    for (const cacheMs of [0, 5_000]) {
      const sessions = new ConsoleSessions(memoryRepo(), clock, { ttlMs: 12 * HOUR, cacheMs });
      const live = await sessions.open('p1', { tokenId: null, scopes: ['messaging'], dev: true });
      // Used 7 hours in (which slides its expiry to 12 hours on), then only the feed checks it (each minute here).
      clock.advance(7 * HOUR);
      expect(await sessions.resolve(requestWith(live.id))).not.toBeNull();
      let open = 0;
      for (let t = 0; t < 14 * HOUR; t += 60_000) {
        clock.advance(60_000);
        if (await sessions.stillOpen(requestWith(live.id))) open = t + 60_000;
      }
      expect(open).toBe(12 * HOUR - 60_000);
      expect(await sessions.resolve(requestWith(live.id))).toBeNull();
      expect(await sessions.stillOpen(requestWith('unknown'))).toBe(false);
    }
  });

  it('renew the cookie with the request that slides them, with their time left, never past their maximum age', async () => {
    const clock = new ManualClock();
    const sessions = new ConsoleSessions(memoryRepo(), clock, { ttlMs: 12 * HOUR, cacheMs: 5_000, publicUrl: 'https://sms.example.com' });
    const live = await sessions.open('p1', { tokenId: null, scopes: ['messaging'], dev: false });
    const login = clock.now();
    const maxAges: number[] = [];
    // Used every 7 hours (each use after the first slides the session), twice within the cache's 5 s.
    for (let used = 7 * HOUR; used < MAX_SESSION_AGE_MS; used += 7 * HOUR) {
      clock.advance(login + used - clock.now());
      const first = requestWith(live.id, '__Host-switchboard_console');
      expect(await sessions.authenticate(first)).not.toBeNull();
      const cookie = sessions.renewedCookie(first);
      expect(cookie).toMatch(new RegExp(`^__Host-switchboard_console=${live.id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=\\d+; Secure$`));
      const maxAge = Number(/Max-Age=(\d+)/.exec(cookie!)![1]);
      expect(maxAge).toBe(Math.min(12 * 3600, (MAX_SESSION_AGE_MS - used) / 1000));
      maxAges.push(maxAge);
      clock.advance(1_000);
      const next = requestWith(live.id, '__Host-switchboard_console');
      expect(await sessions.resolve(next)).not.toBeNull();
      expect(sessions.renewedCookie(next)).toBeNull();
    }
    // The last renewals end at the maximum age, not 12 hours on.
    expect(maxAges.at(-1)).toBeLessThan(12 * 3600);
    clock.advance(login + MAX_SESSION_AGE_MS - clock.now());
    const late = requestWith(live.id, '__Host-switchboard_console');
    expect(await sessions.resolve(late)).toBeNull();
    expect(sessions.renewedCookie(late)).toBeNull();
  });

  it('do not keep a session a lookup read just before its logout', async () => {
    const clock = new ManualClock(0);
    const repo = memoryRepo();
    let answer: (() => void) | undefined;
    const find = repo.find.bind(repo);
    // The store's answer is held until the test lets it through, as a slow database would.
    repo.find = async (idHash, now) => {
      const found = await find(idHash, now);
      await new Promise<void>((resolve) => (answer = resolve));
      return found;
    };
    const sessions = new ConsoleSessions(repo, clock, { ttlMs: 12 * HOUR, cacheMs: 5_000 });
    const live = await sessions.open('p1', { tokenId: null, scopes: ['messaging'], dev: false });
    const during = sessions.resolve(requestWith(live.id));
    await new Promise((resolve) => setImmediate(resolve));
    await sessions.close(live.id);
    answer!();
    expect(await during).not.toBeNull();
    const after = sessions.resolve(requestWith(live.id));
    await new Promise((resolve) => setImmediate(resolve));
    answer!();
    expect(await after).toBeNull();
  });

  it('drop the cached sessions of a project whose credentials changed, and do not keep one read while they changed', async () => {
    const clock = new ManualClock(0);
    const repo = memoryRepo();
    const bus = new InProcessBus();
    const sessions = new ConsoleSessions(repo, clock, { ttlMs: 12 * HOUR, cacheMs: 5_000 }, bus);
    const cached = await sessions.open('p1', { tokenId: 't1', scopes: ['messaging'], dev: false });
    const loading = await sessions.open('p1', { tokenId: 't1', scopes: ['messaging'], dev: false });
    const other = await sessions.open('p2', { tokenId: 't2', scopes: ['messaging'], dev: false });
    expect(await sessions.resolve(requestWith(cached.id))).not.toBeNull();
    expect(await sessions.resolve(requestWith(other.id))).not.toBeNull();
    let answer: (() => void) | undefined;
    const find = repo.find.bind(repo);
    const finds: string[] = [];
    repo.find = async (idHash, now) => {
      finds.push(idHash.toString('hex'));
      const found = await find(idHash, now);
      await new Promise<void>((resolve) => (answer = resolve));
      return found;
    };
    const during = sessions.resolve(requestWith(loading.id));
    await new Promise((resolve) => setImmediate(resolve));
    // The token is revoked: the store ends its sessions, the announcement drops this node's copies.
    await repo.delete(cached.record.idHash);
    await repo.delete(loading.record.idHash);
    bus.publish('credentials.changed', { projectId: 'p1' });
    answer!();
    expect(await during).not.toBeNull();
    for (const ended of [cached, loading]) {
      const again = sessions.resolve(requestWith(ended.id));
      await new Promise((resolve) => setImmediate(resolve));
      answer!();
      expect(await again).toBeNull();
    }
    // Another project's session is still served from the cache.
    const before = finds.length;
    expect(await sessions.resolve(requestWith(other.id))).not.toBeNull();
    expect(finds).toHaveLength(before);
  });
});

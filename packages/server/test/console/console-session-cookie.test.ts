/**
 * The session cookie follows the session. Its expiry slides with use on the server, but the cookie
 * was set only at login with the idle lifetime, so a console used all day was logged out 12 hours
 * after login although its session was still valid. A request that slides the session now gets the
 * cookie again with the session's new time left; other requests get none, and an expired or
 * revoked session's cookie is refused without one. Time passes here by moving a session's expiry
 * in the store, as the hours since its last slide would.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, projectService } from '../helpers/projects.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { loginAs, type ConsoleClient } from './console-client.js';

const HOUR = 3_600_000;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

const idOf = (c: ConsoleClient): string => c.cookie!.slice('switchboard_console='.length);
const idHashOf = (c: ConsoleClient): Buffer => createHash('sha256').update(idOf(c), 'utf8').digest();

/** A session as if last slid long enough ago that `leftMs` of it remain. */
async function leave(c: ConsoleClient, leftMs: number): Promise<void> {
  await server.store.consoleSessions.extend(idHashOf(c), Date.now() + leftMs);
}

/** The stored session's seconds left, as the cookie's Max-Age should say. */
async function secondsLeft(c: ConsoleClient): Promise<number> {
  const record = await server.store.consoleSessions.find(idHashOf(c), Date.now());
  return Math.floor((record!.expiresAt - Date.now()) / 1000);
}

function maxAgeOf(setCookie: string | null): number {
  return Number(/; Max-Age=(\d+)/.exec(setCookie ?? '')?.[1]);
}

async function loggedIn(): Promise<ConsoleClient> {
  const project = await createProject(server, { name: 'Cookie tenant' });
  return loginAs(server, project.projectId, project.token);
}

describe('the console session cookie', () => {
  it('is re-issued, attributes unchanged, with the time left when a request slides the session, and not on the requests after', async () => {
    const c = await loggedIn();
    const ttlSeconds = server.settings.consoleSessionTtlMs / 1000;
    expect(maxAgeOf(c.setCookie)).toBeGreaterThanOrEqual(ttlSeconds - 1);
    // 5 hours left of 12: the next use slides the session (on a public API the console calls), and the cookie with it.
    await leave(c, 5 * HOUR);
    const slid = await c.call('/api/messaging/logs');
    expect(slid.status).toBe(200);
    const renewed = slid.headers.get('set-cookie');
    expect(renewed).toMatch(new RegExp(`^switchboard_console=${idOf(c)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=\\d+$`));
    const left = await secondsLeft(c);
    expect(left).toBeGreaterThan(7 * 3600);
    expect(Math.abs(maxAgeOf(renewed) - left)).toBeLessThanOrEqual(1);
    // Soon after: nothing to renew.
    for (const path of ['/api/console/session', '/api/console/messages', '/api/messaging/logs']) {
      const res = await c.call(path);
      expect(res.status).toBe(200);
      expect(res.headers.get('set-cookie')).toBeNull();
    }
  });

  it('is not re-issued while more than half the idle lifetime is left (the session does not slide)', async () => {
    const c = await loggedIn();
    await leave(c, 7 * HOUR);
    const res = await c.call('/api/console/messages');
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(await secondsLeft(c)).toBeLessThanOrEqual(7 * 3600);
  });

  it('is re-issued with the live feed\'s headers when opening the feed slides the session', async () => {
    const c = await loggedIn();
    await leave(c, 5 * HOUR);
    const ac = new AbortController();
    const res = await fetch(`${server.url}/api/console/events`, { headers: { cookie: c.cookie!, accept: 'text/event-stream' }, signal: ac.signal });
    try {
      expect(res.status).toBe(200);
      const renewed = res.headers.get('set-cookie');
      expect(renewed).toMatch(new RegExp(`^switchboard_console=${idOf(c)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=\\d+$`));
      expect(Math.abs(maxAgeOf(renewed) - (await secondsLeft(c)))).toBeLessThanOrEqual(1);
    } finally {
      ac.abort();
    }
  });

  it('is cleared, not renewed, by a logout that slides the session', async () => {
    const c = await loggedIn();
    await leave(c, 5 * HOUR);
    const res = await c.call('/api/console/logout', { method: 'POST' });
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toMatch(/^switchboard_console=; .*Max-Age=0/);
  });

  it('of an expired session is refused, and not renewed', async () => {
    const c = await loggedIn();
    await leave(c, -1000);
    const kept = c.cookie;
    const res = await c.call('/api/messaging/logs');
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toBeNull();
    const session = await c.call('/api/console/session');
    expect(session.body).toMatchObject({ authenticated: false });
    expect(session.headers.get('set-cookie')).toBeNull();
    expect(c.cookie).toBe(kept);
  });

  it('of a session whose token was revoked is refused, and not renewed, though the session had time to slide', async () => {
    const project = await createProject(server, { name: 'Revoked cookie tenant' });
    const issued = await projectService(server).issueToken(project.projectId, { name: 'to revoke', scopes: ['messaging'] });
    const c = await loginAs(server, project.projectId, issued.token);
    await leave(c, 5 * HOUR);
    expect(await projectService(server).revokeToken(project.projectId, issued.record.id)).toBe(true);
    const res = await c.call('/api/messaging/logs');
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toBeNull();
  });
});

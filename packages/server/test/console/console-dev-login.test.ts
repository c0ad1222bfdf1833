/**
 * The dev login through a real zero-config server (loopback bind, no configured API token): on for
 * the console's requests to a loopback host name, refused for any other Host (DNS rebinding),
 * another origin or none (a program on the machine: another project's status callback pointed at
 * it), and giving a session that works like any other, with every scope, for the startup project.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, serversOnPostgres } from '../helpers/postgres.js';
import { createProject } from '../helpers/projects.js';
import { eventually, startTestServer, type TestServer } from '../helpers/server.js';
import { consoleClient } from './console-client.js';

let server: TestServer;

/** A request with a Host header of our choosing (fetch does not let a caller set Host), from a page of that host. */
function withHost(method: string, path: string, host: string): Promise<{ status: number; body: any; setCookie: string | undefined }> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers: { host, origin: `http://${host}`, 'content-length': 0 } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text), setCookie: res.headers['set-cookie']?.[0] }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  server = await startTestServer({ apiToken: null });
});
afterAll(async () => {
  await server.stop();
});

describe('dev login on a zero-config server', () => {
  it('is offered, and opens a session with every scope for the startup project', async () => {
    const c = consoleClient(server);
    expect((await c.call('/api/console/session')).body).toEqual({ authenticated: false, dev_login: true });
    const res = await c.call('/api/console/dev-login', { method: 'POST', headers: { origin: server.url } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ authenticated: true, dev: true, project_id: server.bootstrap.project.id, scopes: ['messaging', 'numbers', 'management'] });
    expect(c.setCookie).toMatch(/HttpOnly; SameSite=Strict/);
    expect((await c.call('/api/simulator/settings', { method: 'PUT', body: { delay_ms: 0 } })).status).toBe(200);
  });

  it('is refused for a request naming another host, as a DNS-rebinding page would send', async () => {
    const port = new URL(server.url).port;
    const res = await withHost('POST', '/api/console/dev-login', `rebind.attacker.example:${port}`);
    expect(res.status).toBe(403);
    expect(res.body.message).toContain('zero-config');
    expect(res.setCookie).toBeUndefined();
    expect((await withHost('GET', '/api/console/session', `rebind.attacker.example:${port}`)).body).toEqual({ authenticated: false, dev_login: false });
    expect((await withHost('POST', '/api/console/dev-login', `localhost:${port}`)).status).toBe(200);
  });

  it('ends the session the browser held when it is used again', async () => {
    const c = consoleClient(server);
    expect((await c.call('/api/console/dev-login', { method: 'POST', headers: { origin: server.url } })).status).toBe(200);
    const first = c.cookie!;
    expect((await c.call('/api/console/dev-login', { method: 'POST', headers: { origin: server.url } })).status).toBe(200);
    expect(c.cookie).not.toBe(first);
    expect((await fetch(`${server.url}/api/console/messages`, { headers: { cookie: first } })).status).toBe(401);
  });

  it('is refused to a request a proxy forwarded (a tunnel such as ngrok rewriting Host to localhost), as from anyone on the Internet', async () => {
    for (const header of ['x-forwarded-for', 'forwarded', 'x-real-ip', 'x-forwarded-host', 'x-original-host']) {
      const c = consoleClient(server);
      const value = header === 'forwarded' ? 'for=203.0.113.9' : '203.0.113.9';
      expect((await c.call('/api/console/session', { headers: { [header]: value } })).body).toEqual({ authenticated: false, dev_login: false });
      const res = await c.call('/api/console/dev-login', { method: 'POST', headers: { origin: server.url, [header]: value } });
      expect([header, res.status, c.setCookie]).toEqual([header, 403, null]);
    }
  });

  it('is refused from another origin', async () => {
    const res = await consoleClient(server).call('/api/console/dev-login', { method: 'POST', headers: { origin: 'http://evil.example' } });
    expect(res.status).toBe(403);
  });

  it('is refused to a request naming no origin: a program on this machine, not the console in a browser', async () => {
    const c = consoleClient(server);
    const res = await c.call('/api/console/dev-login', { method: 'POST' });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ error: 'Forbidden', message: 'The dev login is the console’s: open the console in a browser (this request named no Origin).' });
    expect(c.setCookie).toBeNull();
  });

  it("gives another project's status callback pointed at it no session of the startup project's, nor anything of it in its attempt log", async () => {
    const other = await createProject(server, { name: 'Another tenant', number: '+15551239961' });
    const sent = await server.api('/api/messaging/messages', { auth: other.auth, body: { from: '+15551239961', to: '+15557009961', body: 'x', status_callback: `${server.url}/api/console/dev-login` } });
    expect(sent.status, sent.text).toBe(201);
    // The first callback's first attempt, as the other project's console shows it.
    const [attempt] = await eventually(async () => {
      const detail = await server.api(`/api/console/messages/${sent.body.id}`, { auth: other.auth });
      return detail.body.webhooks?.[0]?.attempt_log?.length ? detail.body.webhooks[0].attempt_log : undefined;
    });
    expect(attempt.status_code).toBe(403);
    expect(attempt.response_excerpt).not.toContain(server.bootstrap.project.id);
    expect(attempt.response_excerpt).not.toContain('csrf_token');
  });

  it('does not stop the normal login with the generated token', async () => {
    const c = consoleClient(server);
    const res = await c.call('/api/console/login', { body: { project_id: server.bootstrap.project.id, api_token: server.bootstrap.apiToken } });
    expect(res.status).toBe(200);
    expect(res.body.dev).toBe(false);
  });
});

describe('dev login turned off', () => {
  it('ends the dev-login sessions opened before a restart that turned it off, and keeps the others', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-devlogin-'));
    const database = serversOnPostgres ? await createTestDatabase() : null;
    const shared = database ? { databaseUrl: database.url } : {};
    try {
      const before = await startTestServer({ apiToken: null, ...shared }, { dataDir });
      const token = before.bootstrap.apiToken!;
      const dev = consoleClient(before);
      expect((await dev.call('/api/console/dev-login', { method: 'POST', headers: { origin: before.url } })).status).toBe(200);
      const normal = consoleClient(before);
      expect((await normal.call('/api/console/login', { body: { project_id: before.bootstrap.project.id, api_token: token } })).status).toBe(200);
      await before.stop();

      const after = await startTestServer({ apiToken: null, consoleDevLogin: false, ...shared }, { dataDir });
      try {
        const session = (cookie: string) => fetch(`${after.url}/api/console/session`, { headers: { cookie } }).then(async (r) => ((await r.json()) as { authenticated: boolean }).authenticated);
        expect(await session(normal.cookie!)).toBe(true);
        // Everything a dev login opens (every scope, no token to revoke) ends with the dev login.
        expect(await session(dev.cookie!)).toBe(false);
        expect((await fetch(`${after.url}/api/console/messages`, { headers: { cookie: dev.cookie! } })).status).toBe(401);
      } finally {
        await after.stop();
      }
    } finally {
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('dev login on a configured server', () => {
  it('is not offered and refused when the server was given an API token', async () => {
    const configured = await startTestServer();
    try {
      const c = consoleClient(configured);
      expect((await c.call('/api/console/session')).body).toEqual({ authenticated: false, dev_login: false });
      const res = await c.call('/api/console/dev-login', { method: 'POST' });
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ error: 'Forbidden', message: expect.stringContaining('zero-config') });
    } finally {
      await configured.stop();
    }
  });
});

/**
 * The session cookie behind TLS is named `__Host-switchboard_console`: a browser takes a cookie of
 * that name only from this host over HTTPS, for the whole server (Path=/, no Domain). Without the
 * prefix a page of a sibling host (`Domain=` the parent domain) or of plain HTTP on the same host
 * could plant its own session cookie in a console user's browser, and, with a longer Path, put it
 * ahead of the user's: the console then worked in the planter's project, which saw what was sent.
 * Over HTTPS only the prefixed name is read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_TOKEN, PROJECT_ID, startTestServer, type TestServer } from '../helpers/server.js';
import { consoleClient, loginAs } from './console-client.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ publicUrl: 'https://sms.example.com' });
});
afterAll(async () => {
  await server.stop();
});

describe('the session cookie behind TLS', () => {
  it('is named with the __Host- prefix, for the whole server, and Secure', async () => {
    const c = consoleClient(server);
    const res = await c.call('/api/console/login', { body: { project_id: PROJECT_ID, api_token: API_TOKEN } });
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toMatch(/^__Host-switchboard_console=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+; Secure$/);
    expect((await c.call('/api/console/session')).body.authenticated).toBe(true);
  });

  it('is cleared under the same name on logout', async () => {
    const c = await loginAs(server, PROJECT_ID, API_TOKEN);
    const res = await c.call('/api/console/logout', { method: 'POST' });
    expect(res.headers.get('set-cookie')).toMatch(/^__Host-switchboard_console=; Path=\/; HttpOnly; SameSite=Strict; Max-Age=0; Secure$/);
  });

  it('is not read without its prefix, as a cookie planted by another host or over HTTP would come', async () => {
    const c = await loginAs(server, PROJECT_ID, API_TOKEN);
    const id = c.cookie!.split('=')[1]!;
    const planted = async (cookie: string) => (await fetch(`${server.url}/api/console/session`, { headers: { cookie } })).json();
    expect((await planted(`__Host-switchboard_console=${id}`)).authenticated).toBe(true);
    expect((await planted(`switchboard_console=${id}`)).authenticated).toBe(false);
    const logs = await fetch(`${server.url}/api/messaging/logs`, { headers: { cookie: `switchboard_console=${id}`, 'x-switchboard-csrf': c.csrf! } });
    expect(logs.status).toBe(401);
  });
});

/**
 * Bulk re-drive of failed webhook deliveries (issue 12): `POST /api/console/outbox/redrive` queues
 * the caller's project's failed deliveries again by URL (exact or prefix) and creation time, each
 * with a fresh retry window, and never touches another project's. Callbacks here give up after one
 * attempt (`webhooks.maxAttempts` 1) so deliveries fail at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, type TestProject } from '../helpers/projects.js';
import { API_TOKEN, eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from '../helpers/server.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { loginAs } from './console-client.js';

let server: TestServer;
let other: TestProject;
let hook: WebhookReceiver;
const OTHER_NUMBER = '+15551239941';

beforeAll(async () => {
  server = await startTestServer({ webhookMaxAttempts: 1 });
  other = await createProject(server, { name: 'Other tenant', number: OTHER_NUMBER });
  hook = await startWebhookReceiver();
});
afterAll(async () => {
  await server.stop();
  await hook.close();
});

async function send(auth: string | undefined, from: string, to: string, callback: string): Promise<string> {
  const res = await server.api('/api/messaging/messages', { ...(auth ? { auth } : {}), body: { from, to, body: 'redrive me', status_callback: callback } });
  expect(res.status).toBe(201);
  return res.body.id;
}

/** The statuses of a message's deliveries once all four have settled. */
async function settled(projectId: string, id: string): Promise<string[]> {
  return eventually(async () => {
    const d = await server.store.webhooks.listForMessage(projectId, id);
    return d.length === 4 && d.every((x) => x.status !== 'pending') ? d.map((x) => x.status) : undefined;
  });
}

describe('console API: bulk re-drive of failed deliveries', () => {
  it('re-queues the project’s failed deliveries by URL prefix, exact URL and time, and no other project’s', async () => {
    hook.respond(() => ({ status: 503 }));
    const a1 = await send(undefined, NUMBERS[0]!, '+15557661001', `${hook.url}/a/one`);
    const a2 = await send(undefined, NUMBERS[0]!, '+15557661002', `${hook.url}/a/two`);
    const b = await send(undefined, NUMBERS[0]!, '+15557661003', `${hook.url}/b`);
    const theirs = await send(other.auth, OTHER_NUMBER, '+15557661004', `${hook.url}/a/one`);
    for (const [project, id] of [[PROJECT_ID, a1], [PROJECT_ID, a2], [PROJECT_ID, b], [other.projectId, theirs]] as const) {
      expect(await settled(project, id)).toEqual(['failed', 'failed', 'failed', 'failed']);
    }

    hook.respond(() => ({ status: 204 }));
    const c = await loginAs(server, PROJECT_ID, API_TOKEN);
    const before = hook.requests.length;
    const res = await c.call('/api/console/outbox/redrive', { body: { url_prefix: `${hook.url}/a/` } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ redriven: 8 });
    await hook.waitFor(before + 8);
    expect(await settled(PROJECT_ID, a1)).toEqual(['delivered', 'delivered', 'delivered', 'delivered']);
    expect(await settled(PROJECT_ID, a2)).toEqual(['delivered', 'delivered', 'delivered', 'delivered']);
    // In order: a message's re-driven callbacks still go one at a time, oldest first.
    const a1Statuses = hook.requests.slice(before).filter((r) => r.json?.id === a1).map((r) => r.json.status);
    expect(a1Statuses).toEqual(['queued', 'initiated', 'sent', 'delivered']);
    expect(await settled(other.projectId, theirs)).toEqual(['failed', 'failed', 'failed', 'failed']);
    expect(await settled(PROJECT_ID, b)).toEqual(['failed', 'failed', 'failed', 'failed']);

    // Exact URL and a time range; the same API takes the project's API token.
    const today = new Date((await server.store.webhooks.listForMessage(PROJECT_ID, b))[0]!.createdAt).toISOString().slice(0, 10);
    expect((await server.api('/api/console/outbox/redrive', { body: { url: `${hook.url}/b`, until: '2000-01-01' } })).body).toEqual({ redriven: 0 });
    expect((await server.api('/api/console/outbox/redrive', { body: { url: `${hook.url}/b/`, since: today } })).body).toEqual({ redriven: 0 });
    expect((await server.api('/api/console/outbox/redrive', { body: { url: `${hook.url}/b`, since: today, until: today } })).body).toEqual({ redriven: 4 });
    expect(await settled(PROJECT_ID, b)).toEqual(['delivered', 'delivered', 'delivered', 'delivered']);
    // The other project re-drives its own (every field is optional: no body at all is every failed delivery).
    expect((await server.api('/api/console/outbox/redrive', { auth: other.auth, method: 'POST' })).body).toEqual({ redriven: 4 });
    expect(await settled(other.projectId, theirs)).toEqual(['delivered', 'delivered', 'delivered', 'delivered']);
  });

  it('refuses a bad request naming the parameter, and a session write without its CSRF token', async () => {
    const c = await loginAs(server, PROJECT_ID, API_TOKEN);
    const both = await c.call('/api/console/outbox/redrive', { body: { url: 'https://a.example/x', url_prefix: 'https://a.example/' } });
    expect(both.status).toBe(422);
    expect(both.body.errors.map((e: any) => e.attribute)).toEqual(['url_prefix']);
    const dates = await c.call('/api/console/outbox/redrive', { body: { since: '2026-02-30', until: '2026-01-01T10:00' } });
    expect(dates.status).toBe(422);
    expect(dates.body.errors.map((e: any) => [e.attribute, e.code])).toEqual([
      ['since', 'datetime_required'],
      ['until', 'datetime_required'],
    ]);
    expect((await c.call('/api/console/outbox/redrive', { body: { url: 42 } })).status).toBe(422);
    // A misspelt field is refused, not dropped (which redrove every failed delivery).
    const typo = await c.call('/api/console/outbox/redrive', { body: { urll: 'https://a.example/x' } });
    expect(typo.status).toBe(422);
    expect(typo.body.errors).toEqual([expect.objectContaining({ code: 'invalid_filter', attribute: 'urll', message: "Unknown field 'urll' (did you mean 'url'?): a redrive takes url, url_prefix, since, until." })]);
    expect((await c.call('/api/console/outbox/redrive', { body: [1, 2] })).status).toBe(400);
    expect((await c.call('/api/console/outbox/redrive', { body: {}, csrf: false })).status).toBe(403);
    expect((await server.api('/api/console/outbox/redrive', { auth: null, body: {} })).status).toBe(401);
  });
});

/**
 * Replay of a delivered status callback (issue 15): `POST /api/console/outbox/{id}/replay` queues
 * the same request again as a new delivery through the webhook outbox, for the session's project
 * only; anything but a delivered status callback is refused with 409.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, type TestProject } from '../helpers/projects.js';
import { API_TOKEN, eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from '../helpers/server.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { ATTEMPTS_SHOWN, MAX_REPLAYABLE_DELIVERIES } from '../../src/http/console/plugin.js';
import { loginAs } from './console-client.js';

let server: TestServer;
let other: TestProject;
let hook: WebhookReceiver;
const OTHER_NUMBER = '+15551239951';

beforeAll(async () => {
  // One attempt per callback, so a refused one fails at once.
  server = await startTestServer({ webhookMaxAttempts: 1 });
  other = await createProject(server, { name: 'Other tenant', number: OTHER_NUMBER });
  hook = await startWebhookReceiver();
});
afterAll(async () => {
  await server.stop();
  await hook.close();
});

async function send(auth: string | undefined, from: string, to: string, path: string): Promise<string> {
  const res = await server.api('/api/messaging/messages', { ...(auth ? { auth } : {}), body: { from, to, body: 'replay me', status_callback: `${hook.url}${path}` } });
  expect(res.status).toBe(201);
  return res.body.id;
}

/** A message's deliveries once none is pending any more. */
async function settled(projectId: string, id: string, count: number) {
  return eventually(async () => {
    const d = await server.store.webhooks.listForMessage(projectId, id);
    return d.length === count && d.every((x) => x.status !== 'pending') ? d : undefined;
  });
}

/** The id the console API shows for a stored delivery of a message (sealed, in its message's detail). */
async function shownId(projectId: string, messageId: string, deliveryId: number, auth?: string): Promise<string> {
  const stored = await server.store.webhooks.listForMessage(projectId, messageId);
  const detail = await server.api(`/api/console/messages/${messageId}`, auth ? { auth } : {});
  // Both oldest first.
  return detail.body.webhooks[stored.findIndex((d) => d.id === deliveryId)].id;
}

describe('console API: replay of a delivered callback', () => {
  it('sends a delivered status callback again, with the same body, as a new delivery shown in the message detail', async () => {
    hook.respond(() => ({ status: 204 }));
    const id = await send(undefined, NUMBERS[0]!, '+15557662001', '/replay');
    const deliveries = await settled(PROJECT_ID, id, 4);
    const final = deliveries.find((d) => d.body.includes('"delivered"'))!;
    expect(final.status).toBe('delivered');

    const c = await loginAs(server, PROJECT_ID, API_TOKEN);
    const shown = await shownId(PROJECT_ID, id, final.id);
    const before = hook.requests.length;
    const res = await c.call(`/api/console/outbox/${shown}/replay`, { method: 'POST' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ kind: 'status_callback', url: `${hook.url}/replay`, message_id: id, body: final.body });
    expect(res.body.id).not.toBe(shown);
    await hook.waitFor(before + 1);
    const replayed = hook.requests.slice(before);
    expect(replayed).toHaveLength(1);
    expect(replayed[0]!.json).toMatchObject({ id, status: 'delivered' });

    const after = await settled(PROJECT_ID, id, 5);
    expect(after.map((d) => d.status)).toEqual(['delivered', 'delivered', 'delivered', 'delivered', 'delivered']);
    const detail = await c.call(`/api/console/messages/${id}`);
    expect(detail.body.webhooks).toHaveLength(5);
    expect(detail.body.webhooks.find((w: any) => w.id === res.body.id).attempts).toBe(1);
    // The original delivery is left as it was.
    expect((await server.store.webhooks.get(PROJECT_ID, final.id))!.attempts).toBe(final.attempts);
  });

  it('refuses a failed delivery (retry it instead), another project’s, an unknown id, and a session call without its CSRF token', async () => {
    hook.respond(() => ({ status: 503 }));
    const failedId = await send(undefined, NUMBERS[0]!, '+15557662002', '/down');
    const failed = (await settled(PROJECT_ID, failedId, 4))[0]!;
    expect(failed.status).toBe('failed');
    hook.respond(() => ({ status: 204 }));
    const theirsId = await send(other.auth, OTHER_NUMBER, '+15557662003', '/theirs');
    const theirs = (await settled(other.projectId, theirsId, 4))[0]!;
    expect(theirs.status).toBe('delivered');

    const c = await loginAs(server, PROJECT_ID, API_TOKEN);
    const failedShown = await shownId(PROJECT_ID, failedId, failed.id);
    const theirsShown = await shownId(other.projectId, theirsId, theirs.id, other.auth);
    const refused = await c.call(`/api/console/outbox/${failedShown}/replay`, { method: 'POST' });
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({ error: 'Conflict', message: expect.stringContaining('Only a delivered status callback can be replayed') });
    expect((await c.call(`/api/console/outbox/${theirsShown}/replay`, { method: 'POST' })).status).toBe(404);
    expect((await c.call('/api/console/outbox/not-a-number/replay', { method: 'POST' })).status).toBe(404);
    // The stored id is no id on the console API (it counts every project's deliveries).
    expect((await c.call(`/api/console/outbox/${failed.id}/replay`, { method: 'POST' })).status).toBe(404);
    expect((await c.call(`/api/console/outbox/${theirsShown}/replay`, { method: 'POST', csrf: false })).status).toBe(403);
    // The owner of the delivery can replay it, with its API token as well as a session.
    const own = await server.api(`/api/console/outbox/${theirsShown}/replay`, { auth: other.auth, method: 'POST' });
    expect(own.status).toBe(201);
    expect((await settled(other.projectId, theirsId, 5)).length).toBe(5);
  });
});

describe('console API: replaying one callback over and over', () => {
  it(`stops at ${MAX_REPLAYABLE_DELIVERIES} deliveries of the message (409), so its detail stays bounded; another message and project replay on`, async () => {
    hook.respond(() => ({ status: 204 }));
    const id = await send(other.auth, OTHER_NUMBER, '+15557662011', '/loop');
    const first = (await settled(other.projectId, id, 4)).find((d) => d.body.includes('"delivered"'))!;
    const shown = await shownId(other.projectId, id, first.id, other.auth);
    const replay = (path: string, auth: string) => server.api(`/api/console/outbox/${path}/replay`, { auth, method: 'POST' });
    for (let n = 4; n < MAX_REPLAYABLE_DELIVERIES; n++) {
      const res = await replay(shown, other.auth);
      expect(res.status, res.text).toBe(201);
    }
    const refused = await replay(shown, other.auth);
    expect([refused.status, refused.body]).toEqual([409, { error: 'Conflict', message: `This message already has ${MAX_REPLAYABLE_DELIVERIES} webhook deliveries, the most a replay may add to.` }]);
    expect((await server.store.webhooks.listForMessage(other.projectId, id)).length).toBe(MAX_REPLAYABLE_DELIVERIES);
    expect((await server.api(`/api/console/messages/${id}`, { auth: other.auth })).body.webhooks).toHaveLength(MAX_REPLAYABLE_DELIVERIES);
    // Another message of the same project, and another project, are not held to that message's count.
    const next = await send(other.auth, OTHER_NUMBER, '+15557662012', '/loop');
    const nextFirst = (await settled(other.projectId, next, 4)).find((d) => d.body.includes('"delivered"'))!;
    expect((await replay(await shownId(other.projectId, next, nextFirst.id, other.auth), other.auth)).status).toBe(201);
    const mine = await send(undefined, NUMBERS[0]!, '+15557662013', '/loop');
    const mineFirst = (await settled(PROJECT_ID, mine, 4)).find((d) => d.body.includes('"delivered"'))!;
    expect((await replay(await shownId(PROJECT_ID, mine, mineFirst.id), server.auth)).status).toBe(201);
  }, 60_000);
});

describe('console API: retrying one failing callback over and over', () => {
  it(`shows the newest ${ATTEMPTS_SHOWN} attempts of a delivery in its message's detail, and counts them all`, async () => {
    hook.respond((req) => (req.path === '/down' ? { status: 500, body: 'still down' } : { status: 204 }));
    try {
      const id = await send(other.auth, OTHER_NUMBER, '+15557662021', '/down');
      const failed = (await settled(other.projectId, id, 4))[0]!;
      expect(failed.status).toBe('failed');
      const shown = await shownId(other.projectId, id, failed.id, other.auth);
      const total = ATTEMPTS_SHOWN + 5;
      for (let n = 1; n < total; n++) {
        const retried = await server.api(`/api/console/outbox/${shown}/retry`, { auth: other.auth, method: 'POST' });
        expect(retried.status, retried.text).toBe(200);
        await eventually(async () => ((await server.store.webhooks.listAttempts(other.projectId, failed.id)).length === n + 1 && (await server.store.webhooks.get(other.projectId, failed.id))?.status === 'failed' ? true : undefined));
      }
      const all = await server.store.webhooks.listAttempts(other.projectId, failed.id);
      expect(all).toHaveLength(total);
      const detail = (await server.api(`/api/console/messages/${id}`, { auth: other.auth })).body.webhooks.find((w: { id: string }) => w.id === shown);
      expect(detail.attempts).toBe(total);
      expect(detail.attempt_log).toHaveLength(ATTEMPTS_SHOWN);
      expect(detail.attempt_log.map((a: { attempt: number }) => a.attempt)).toEqual(all.slice(-ATTEMPTS_SHOWN).map((a) => a.attempt));
    } finally {
      hook.respond(() => ({ status: 204 }));
    }
  }, 120_000);
});

/**
 * What one tenant sees of the others' traffic through the console API and the simulator's inbox:
 * nothing. Message `seq`, webhook delivery ids, message event ids and handset inbox ids count the
 * rows of every project; shown as numbers (a list's `next`, a row's `seq` or `id`, the inbox's
 * `since`) they told project B how many messages and callbacks project A made between two of its
 * own. They are sealed per project and list (http/sealed-positions.ts): B sees opaque values that
 * open only in its own lists, and a number given as a cursor is refused, so B cannot probe either.
 */
import type { ConsoleFeedBatch } from '@switchboard/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, type TestProject } from '../helpers/projects.js';
import { API_TOKEN, eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from '../helpers/server.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { loginAs, readFeed, type ConsoleClient } from './console-client.js';

const SEALED = /^[A-Za-z0-9_-]{22}$/;
const B_NUMBER = '+15551239951';
const B_PHONE = '+15557659951';

let server: TestServer;
let hook: WebhookReceiver;
let b: TestProject;
let a: ConsoleClient;
let bc: ConsoleClient;

beforeAll(async () => {
  server = await startTestServer();
  hook = await startWebhookReceiver();
  b = await createProject(server, { name: 'Tenant B', number: B_NUMBER });
  a = await loginAs(server, PROJECT_ID, API_TOKEN);
  bc = await loginAs(server, b.projectId, b.token);
});
afterAll(async () => {
  await server.stop();
  await hook.close();
});

/** Project A sends a message with a status callback and waits for it to be delivered, callbacks included. */
async function aSends(n: number): Promise<void> {
  const sent = await a.call('/api/messaging/messages', { body: { from: NUMBERS[0], to: `+1555765${String(8000 + n)}`, body: `A ${n}`, status_callback: `${hook.url}/a` } });
  expect(sent.status).toBe(201);
  await eventually(async () => {
    const d = (await a.call(`/api/console/messages/${sent.body.id}`)).body;
    return d.message.status === 'delivered' && d.webhooks.length > 0 && d.webhooks.every((w: any) => w.status === 'delivered') ? true : undefined;
  });
}

async function bSends(body: string): Promise<string> {
  const sent = await bc.call('/api/messaging/messages', { body: { from: B_NUMBER, to: B_PHONE, body, status_callback: `${hook.url}/b` } });
  expect(sent.status).toBe(201);
  await eventually(async () => {
    const d = (await bc.call(`/api/console/messages/${sent.body.id}`)).body;
    return d.message.status === 'delivered' && d.webhooks.length > 0 && d.webhooks.every((w: any) => w.status === 'delivered') ? true : undefined;
  });
  return sent.body.id as string;
}

describe('positions shown to a tenant', () => {
  let batches: ConsoleFeedBatch[] = [];
  let second = '';

  beforeAll(async () => {
    // A before B, B, A in between, B again (the repro: B's list showed "seq":3 after A's one message).
    await aSends(1);
    await bSends('B one');
    for (let n = 2; n <= 4; n++) await aSends(n);
    const feed = readFeed(server, bc.cookie!, (got) => got.some((x) => x.handset.some((h) => h.body === 'B two')) && got.some((x) => x.messages.some((m) => m.body === 'B two' && m.status === 'delivered')));
    await new Promise((r) => setTimeout(r, 100));
    second = await bSends('B two');
    batches = await feed;
  }, 60_000);

  it('shows no counter in B’s message and conversation lists: cursors are sealed and page on', async () => {
    const first = await bc.call('/api/console/messages?limit=1');
    expect(first.status).toBe(200);
    expect(JSON.stringify(first.body)).not.toMatch(/"seq"/);
    expect(first.body.data[0]).toMatchObject({ id: second, cursor: expect.stringMatching(SEALED) });
    expect(first.body.next).toBe(first.body.data[0].cursor);
    const older = await bc.call(`/api/console/messages?limit=1&before=${first.body.next}`);
    expect(older.body.data.map((m: any) => m.body)).toEqual(['B one']);
    expect(older.body.next).toBeNull();

    const threads = await bc.call('/api/console/conversations?limit=1');
    expect(threads.body.data[0].last).toMatchObject({ id: second, cursor: expect.stringMatching(SEALED) });
    expect(threads.body.next === null || SEALED.test(threads.body.next)).toBe(true);
  });

  it('refuses a number as a cursor (B could probe where its rows stand) and cursors of another project', async () => {
    for (const path of ['/api/console/messages?before=3', '/api/console/conversations?before=3', '/api/console/outbox?before=3']) {
      const res = await bc.call(path);
      expect(res.status, path).toBe(422);
      expect(res.body.errors[0]).toMatchObject({ code: 'invalid_filter', attribute: 'before' });
    }
    const bNext = (await bc.call('/api/console/messages?limit=1')).body.next;
    expect((await a.call(`/api/console/messages?limit=1&before=${bNext}`)).status).toBe(422);
    expect((await bc.call('/api/simulator/messages?since=1')).status).toBe(422);
  });

  it('shows B’s webhook deliveries and message events by sealed ids that only B’s paths open', async () => {
    const outbox = (await bc.call('/api/console/outbox?limit=1')).body;
    expect(outbox.data[0].id).toMatch(SEALED);
    expect(outbox.next).toMatch(SEALED);
    expect((await bc.call(`/api/console/outbox?limit=1&before=${outbox.next}`)).status).toBe(200);
    const detail = (await bc.call(`/api/console/messages/${second}`)).body;
    for (const e of detail.events) expect(e.id).toMatch(SEALED);
    for (const w of detail.webhooks) expect(w.id).toMatch(SEALED);
    // The delivery opens in B's retry and replay paths, not A's.
    const delivered = detail.webhooks.find((w: any) => w.kind === 'status_callback')!;
    expect((await bc.call(`/api/console/outbox/${delivered.id}/retry`, { method: 'POST' })).status).toBe(409);
    expect((await a.call(`/api/console/outbox/${delivered.id}/retry`, { method: 'POST' })).status).toBe(404);
    const numeric = (await server.store.webhooks.listForMessage(b.projectId, second))[0]!.id;
    expect((await bc.call(`/api/console/outbox/${numeric}/retry`, { method: 'POST' })).status).toBe(404);
  });

  it('shows B’s handset inbox by sealed ids, the same in the simulator API and the live feed, and since pages on', async () => {
    const inbox = (await server.api('/api/simulator/messages', { auth: b.auth })).body.data;
    expect(inbox.map((h: any) => h.body)).toEqual(['B two', 'B one']);
    for (const h of inbox) expect(h.id).toMatch(SEALED);
    const since = (await server.api(`/api/simulator/messages?since=${inbox[1].id}`, { auth: b.auth })).body.data;
    expect(since.map((h: any) => h.body)).toEqual(['B two']);
    const fed = batches.flatMap((x) => x.handset).find((h) => h.message_id === second)!;
    expect(fed.id).toBe(inbox[0].id);
    for (const m of batches.flatMap((x) => x.messages)) expect(m.cursor).toMatch(SEALED);
    expect(JSON.stringify(batches)).not.toMatch(/"seq"/);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signJsonRequest } from '../src/webhooks/signing.js';
import { eventually, NUMBERS, PROJECT_ID, SIGNING_KEY, startTestServer, type TestServer } from './helpers/server.js';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js';

let server: TestServer;
let receiver: WebhookReceiver;

beforeAll(async () => {
  server = await startTestServer();
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await server.stop();
  await receiver.close();
});

describe('a message sent through the native REST API', () => {
  it('is accepted as queued with the documented Message shape', async () => {
    const res = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: '+15557654321', body: 'Hello' } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      from: NUMBERS[0],
      to: '+15557654321',
      body: 'Hello',
      status: 'queued',
      direction: 'outbound',
      kind: 'sms',
      media: [],
      number_of_segments: 1,
      error_code: null,
      error_message: null,
      project_id: PROJECT_ID,
      status_callback_url: null,
    });
    expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.message_uri).toBe(`/api/messaging/logs/${res.body.id}`);
    expect(res.body.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });

  it('reaches delivered and its log shows it', async () => {
    const sent = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: '+15557654322', body: 'Track me' } });
    const log = await eventually(async () => {
      const r = await server.api(`/api/messaging/logs/${sent.body.id}`);
      return r.body.status === 'delivered' ? r.body : undefined;
    });
    expect(log).toMatchObject({ id: sent.body.id, status: 'delivered', direction: 'outbound', kind: 'sms', source: 'realtime_api', type: 'relay_message', url: null, number_of_segments: 1 });
    const events = await server.store.events.listForMessage(PROJECT_ID, sent.body.id);
    expect(events.map((e) => e.status)).toEqual(['queued', 'initiated', 'sent', 'delivered']);
  });

  it('reports every state change to its status callback, in order, signed with the signing key', async () => {
    const callback = `${receiver.url}/status?case=lifecycle`;
    const sent = await server.api('/api/messaging/messages', {
      body: { from: NUMBERS[0], to: '+15557654323', body: 'Callback me', status_callback: callback, custom_variables: { order: '42' } },
    });
    expect(sent.status).toBe(201);
    expect(sent.body.status_callback_url).toBe(callback);
    const got = await receiver.waitFor(4, 10_000, (r) => r.json?.id === sent.body.id);
    expect(got.map((r) => r.json.status)).toEqual(['queued', 'initiated', 'sent', 'delivered']);
    for (const r of got) {
      expect(r.method).toBe('POST');
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['x-signalwire-signature']).toBe(signJsonRequest(SIGNING_KEY, callback, r.rawBody));
      expect(r.json).toMatchObject({ id: sent.body.id, project_id: PROJECT_ID, to: '+15557654323', from: NUMBERS[0], body: 'Callback me', number_of_segments: 1, custom_variables: { order: '42' } });
      expect(r.json.timestamp).toMatch(/Z$/);
    }
    expect(got[3]!.json).toMatchObject({ error_code: null, error_message: null });
  });

  it('reports a failure with its error code and reason in the callback and the log', async () => {
    const callback = `${receiver.url}/status?case=failure`;
    const sent = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: '+12015550101', body: 'Unreachable', status_callback: callback } });
    const got = await receiver.waitFor(4, 10_000, (r) => r.json?.id === sent.body.id);
    expect(got.map((r) => r.json.status)).toEqual(['queued', 'initiated', 'sent', 'undelivered']);
    expect(got[3]!.json).toMatchObject({ error_code: '30003' });
    expect(got[3]!.json.error_message).toMatch(/unreachable/i);
    const log = await server.api(`/api/messaging/logs/${sent.body.id}`);
    expect(log.body).toMatchObject({ status: 'undelivered', error_code: '30003' });
  });

  it('retries a callback that fails and delivers it later', async () => {
    let failures = 2;
    receiver.respond((r) => (r.path === '/flaky' && failures-- > 0 ? { status: 503 } : { status: 200 }));
    const sent = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: '+15557654324', body: 'Flaky', status_callback: `${receiver.url}/flaky` } });
    const got = await receiver.waitFor(6, 15_000, (r) => r.json?.id === sent.body.id);
    const statuses = got.map((r) => r.json.status);
    expect(statuses.slice(0, 3)).toEqual(['queued', 'queued', 'queued']);
    expect([...new Set(statuses)]).toEqual(['queued', 'initiated', 'sent', 'delivered']);
    receiver.respond(() => ({ status: 200 }));
    const deliveries = await server.store.webhooks.listForMessage(PROJECT_ID, sent.body.id);
    expect(deliveries[0]).toMatchObject({ status: 'delivered', attempts: 3 });
    const attempts = await server.store.webhooks.listAttempts(PROJECT_ID, deliveries[0]!.id);
    expect(attempts.map((a) => a.statusCode)).toEqual([503, 503, 200]);
  });
});

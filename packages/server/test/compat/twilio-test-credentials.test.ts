/**
 * Twilio's test credentials (https://www.twilio.com/docs/iam/test-credentials), run as a suite
 * written for Twilio would run them: the `twilio` client with the project id and a test token
 * (`SWITCHBOARD_TEST_API_TOKEN`), the magic From and To numbers, and nothing sent or stored.
 */
import { rmSync } from 'node:fs';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleClient } from '../console/console-client.js';
import { waitForEnd } from '../helpers/messages.js';
import { RawRelay } from '../helpers/raw-relay.js';
import { basicAuth, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from '../helpers/server.js';
import { rowCounts } from '../helpers/store-counts.js';
import { dataDirTrustedByTests } from '../helpers/tls.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { rejection, twilioClient } from './clients.js';

const TEST_TOKEN = 'PTtestCredentialsTokenForSwitchboardTests0123456789';
const TEST_AUTH = basicAuth(PROJECT_ID, TEST_TOKEN);
const VALID_FROM = '+15005550006';
const SOME_HANDSET = '+15557651234';

/**
 * The magic numbers' codes are Twilio's, so `more_info` is Twilio's page of the code, as Twilio's API
 * answers it; 21211 and 21212 (a number that is not valid) are SignalWire's too, and link its list.
 */
function moreInfoOf(code: number): string {
  return code === 21211 || code === 21212 ? `https://developer.signalwire.com/compatibility-api/reference/error-codes#${code}` : `https://www.twilio.com/docs/errors/${code}`;
}

let server: TestServer;
let receiver: WebhookReceiver;
let client: twilio.Twilio;
let dataDir: string;

beforeAll(async () => {
  dataDir = dataDirTrustedByTests();
  server = await startTestServer({ httpsEnabled: true, testApiToken: TEST_TOKEN }, { dataDir });
  receiver = await startWebhookReceiver();
  client = twilioClient(server.httpsUrl!, {}, TEST_TOKEN);
});
afterAll(async () => {
  await server.stop();
  await receiver.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('Twilio test credentials through the twilio client', () => {
  // The magic-number table of Twilio's test-credentials page, From side (To: any number).
  it.each([
    ['+15005550001', 21212],
    ['+15005550007', 21606],
    ['+15005550008', 21611],
    ['+15005559999', 21606], // any other sender: not owned by the test account
    [NUMBERS[0]!, 21606], // even the project's own live number
  ])('From %s answers %i at once', async (from, code) => {
    const err = await rejection(client.messages.create({ from, to: SOME_HANDSET, body: 'magic' }));
    expect(err).toBeInstanceOf(twilio.RestException);
    expect(err.code).toBe(code);
    expect(err.status).toBe(400);
    expect(err.moreInfo).toBe(moreInfoOf(code));
  });

  // To side, from the valid sender.
  it.each([
    ['+15005550001', 21211],
    ['+15005550002', 21612],
    ['+15005550003', 21408],
    ['+15005550004', 21610],
    ['+15005550009', 21614],
  ])('To %s answers %i at once', async (to, code) => {
    const err = await rejection(client.messages.create({ from: VALID_FROM, to, body: 'magic' }));
    expect(err.code).toBe(code);
    expect(err.status).toBe(400);
    expect(err.message).toBeTruthy();
    expect(err.moreInfo).toBe(moreInfoOf(code));
  });

  it('validates everything else as a live request would', async () => {
    expect((await rejection(client.messages.create({ from: VALID_FROM, to: 'not a number', body: 'x' }))).code).toBe(21211);
    expect((await rejection(client.messages.create({ from: VALID_FROM, to: SOME_HANDSET }))).code).toBe(21602);
    // A ContentSid instead of a Body is told that templates are not offered, as with a live token.
    expect(await rejection(client.messages.create({ from: VALID_FROM, to: SOME_HANDSET, contentSid: `HX${'0'.repeat(32)}` }))).toMatchObject({ code: 21602, message: expect.stringContaining('ContentSid') });
    expect((await rejection(client.messages.create({ from: VALID_FROM, to: SOME_HANDSET, body: 'x', statusCallback: 'not a url' }))).code).toBe(21609);
    // SendAt as well: in the past, too soon, not a date (it was answered `queued` unchecked).
    for (const sendAt of [new Date(Date.now() - 60_000), new Date(Date.now() + 10_000)]) {
      expect((await rejection(client.messages.create({ from: VALID_FROM, to: SOME_HANDSET, body: 'x', sendAt, scheduleType: 'fixed' }))).code).toBe(35114);
    }
    const form = new URLSearchParams({ From: VALID_FROM, To: SOME_HANDSET, Body: 'x', SendAt: 'tomorrow', ScheduleType: 'fixed' });
    const garbage = await server.api(`/2010-04-01/Accounts/${PROJECT_ID}/Messages.json`, { auth: TEST_AUTH, body: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(garbage.body.code, garbage.text).toBe(35114);
  });

  it('refuses a MessagingServiceSid with 21606 even beside the valid From, and the valid sender texting itself with 21266', async () => {
    // A live send would use the group and ignore From; a test token has no group to use, so the
    // request must not pass as if the group were not there (it was answered 201).
    const before = await rowCounts(server);
    const viaGroup = await rejection(client.messages.create({ from: VALID_FROM, messagingServiceSid: 'MG0123456789abcdef0123456789abcdef', to: SOME_HANDSET, body: 'x' }));
    expect(viaGroup.code).toBe(21606);
    // As a live Compatibility API send from a number to itself.
    expect((await rejection(client.messages.create({ from: VALID_FROM, to: VALID_FROM, body: 'x' }))).code).toBe(21266);
    expect(await rowCounts(server)).toEqual(before);
  });

  it('answers a valid scheduled send as scheduled, like a live one, and stores nothing', async () => {
    const before = await rowCounts(server);
    const sendAt = new Date(Date.now() + 3_600_000);
    const m = await client.messages.create({ from: VALID_FROM, to: SOME_HANDSET, body: 'later', sendAt, scheduleType: 'fixed' });
    expect(m.status).toBe('scheduled');
    expect(await rowCounts(server)).toEqual(before);
  });

  it('answers a send from +15005550006 as created, and sends, stores and calls back nothing', async () => {
    const before = await rowCounts(server);
    const m = await client.messages.create({ from: VALID_FROM, to: SOME_HANDSET, body: 'Hello from a test', statusCallback: `${receiver.url}/status` });
    expect(m).toMatchObject({ accountSid: PROJECT_ID, from: VALID_FROM, to: SOME_HANDSET, body: 'Hello from a test', status: 'queued', numSegments: 1, price: null, errorCode: null, direction: 'outbound-api' });
    expect(m.sid).toMatch(/^[0-9a-f-]{36}$/);
    // Nothing was written: no message, event, job, callback or handset entry.
    expect(await rowCounts(server)).toEqual(before);
    expect(receiver.requests).toHaveLength(0);
    // Not even the live token finds it.
    const live = await server.api(`/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Messages/${m.sid}.json`);
    expect(live.status).toBe(404);
  });

  it('refuses every other resource with 403 and code 20008', async () => {
    for (const call of [client.messages.list({ limit: 5 }), client.incomingPhoneNumbers.list({ limit: 5 }), client.messages(`${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`).fetch()]) {
      const err = await rejection(call);
      expect(err.status).toBe(403);
      expect(err.code).toBe(20008);
      expect(err.moreInfo).toBe(moreInfoOf(20008));
    }
  });

  it('takes the numbers out of the simulator: a live token sending to +15005550001 is delivered as any number', async () => {
    const live = twilioClient(server.httpsUrl!);
    const m = await live.messages.create({ from: NUMBERS[0]!, to: '+15005550001', body: 'ordinary destination now' });
    const ended = await waitForEnd(server, m.sid);
    expect(ended.status).toBe('delivered');
  });
});

describe('test tokens on the native API', () => {
  it('answers the magic numbers with native errors and a valid send as created, storing nothing', async () => {
    const before = await rowCounts(server);
    const bad = await server.api('/api/messaging/messages', { auth: TEST_AUTH, body: { from: VALID_FROM, to: '+15005550002', body: 'x' } });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0]).toMatchObject({ code: 'not_routable', attribute: 'to' });
    const blocked = await server.api('/api/messaging/messages', { auth: TEST_AUTH, body: { from: '+15005550008', to: SOME_HANDSET, body: 'x' } });
    expect(blocked.body.errors[0]).toMatchObject({ code: 'max_queued_messages_exceeded', attribute: 'from' });
    const ok = await server.api('/api/messaging/messages', { auth: TEST_AUTH, body: { from: VALID_FROM, to: SOME_HANDSET, body: 'native test send' } });
    expect(ok.status, ok.text).toBe(201);
    expect(ok.body).toMatchObject({ status: 'queued', from: VALID_FROM, to: SOME_HANDSET });
    expect(await rowCounts(server)).toEqual(before);
  });

  it('answers a retry under the same Idempotency-Key with the same sid, and checks the key as a live send does', async () => {
    const send = (key: string, body: string, path = '/api/messaging/messages') =>
      server.api(path, { auth: TEST_AUTH, headers: { 'idempotency-key': key }, body: { from: VALID_FROM, to: SOME_HANDSET, body } });
    const first = await send('retry-1', 'same request');
    const again = await send('retry-1', 'same request');
    expect(first.status, first.text).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    // Another key, or another request under the key: another sid (nothing is stored to refuse it with).
    expect((await send('retry-2', 'same request')).body.id).not.toBe(first.body.id);
    expect((await send('retry-1', 'another request')).body.id).not.toBe(first.body.id);
    // Without a key, every send is new.
    const plain = () => server.api('/api/messaging/messages', { auth: TEST_AUTH, body: { from: VALID_FROM, to: SOME_HANDSET, body: 'same request' } });
    expect((await plain()).body.id).not.toBe((await plain()).body.id);
    // A malformed key: the live token's answer.
    const bad = await send('x'.repeat(256), 'same request');
    const live = await server.api('/api/messaging/messages', { headers: { 'idempotency-key': 'x'.repeat(256) }, body: { from: VALID_FROM, to: SOME_HANDSET, body: 'x' } });
    expect(bad.body.errors[0]).toMatchObject({ code: 'invalid_idempotency_key', attribute: 'idempotency_key' });
    expect([bad.status, bad.body]).toEqual([live.status, live.body]);
    // The Compatibility API: the same sid for the same key and request.
    const form = (key: string) =>
      fetch(`${server.url}/2010-04-01/Accounts/${PROJECT_ID}/Messages.json`, {
        method: 'POST',
        headers: { authorization: TEST_AUTH, 'idempotency-key': key, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ From: VALID_FROM, To: SOME_HANDSET, Body: 'compat retry' }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { sid: string; code?: number } }));
    const c1 = await form('compat-1');
    expect(c1.status).toBe(201);
    expect((await form('compat-1')).body.sid).toBe(c1.body.sid);
    const badCompat = await form('k'.repeat(256));
    expect(badCompat.status).toBe(400);
    expect(badCompat.body.code).toBe(10000);
  });

  it('refuses the logs, numbers and simulator with 403', async () => {
    for (const path of ['/api/messaging/logs', '/api/relay/rest/phone_numbers', '/api/simulator/messages']) {
      const res = await server.api(path, { auth: TEST_AUTH });
      expect(res.status, path).toBe(403);
    }
  });
});

describe('test tokens elsewhere', () => {
  it('are no credentials on RELAY: signalwire.connect refuses them as wrong credentials', async () => {
    const relay = await RawRelay.open(server.url);
    const res = await relay.call('signalwire.connect', { version: { major: 3, minor: 0, revision: 0 }, authentication: { project: PROJECT_ID, token: TEST_TOKEN } });
    expect(res.error).toMatchObject({ code: -32002 });
    await relay.close();
  });

  it('do not open a console session', async () => {
    const res = await consoleClient(server).call('/api/console/login', { body: { project_id: PROJECT_ID, api_token: TEST_TOKEN } });
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toBeNull();
  });
});

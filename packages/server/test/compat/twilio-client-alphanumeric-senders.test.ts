/**
 * Messages from alphanumeric sender IDs, as an SMPP carrier delivers them (a bank, a courier): the
 * address is kept as it came ("DHL Express", "Shop-24"), and every list that filters by address
 * finds them by it. Twilio's sender IDs may hold a space, `-`, `+`, `_` and `&` besides letters
 * and digits (twilio-node's AlphaSender: "Valid characters are A-Z, a-z, 0-9, space, hyphen `-`,
 * plus `+`, underscore `_` and ampersand `&`. This value cannot contain only numbers."); the
 * filters took letters and digits only, so `messages.list({ from: 'DHL Express' })`, with the From
 * of the inbound webhook, was a RestException (400, 10000) and the console could not open the
 * conversation. Junk without a letter (`+1 555 765`) is still refused, with its hint.
 */
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SmppConnector } from '../../src/carriers/smpp/connector.js';
import { freePort } from '../helpers/built-server.js';
import { phoneNumberId } from '../helpers/projects.js';
import { API_TOKEN, eventually, NUMBERS, PROJECT_ID, SIGNING_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';
import { loginAs } from '../console/console-client.js';
import { rejection, twilioClient } from './clients.js';

let server: TestServer;
const SENDERS = ['DHL Express', 'Shop-24', 'AT&T', 'Go+Fly', 'my_bank', 'ACME'];

beforeAll(async () => {
  const port = await freePort();
  server = await startTestServer(
    { simulatorSmscEnabled: true, simulatorSmscPort: port },
    { file: { smpp: { connectors: [{ id: 'smsc', host: '127.0.0.1', port, systemId: 'switchboard', password: 'secret', reconnectMinMs: 50, reconnectMaxMs: 200 }], routes: [] } } },
  );
  const connector = server.carriers.find((c) => c.descriptor.id === 'smsc') as SmppConnector;
  await eventually(() => (connector.status().state === 'up' ? true : undefined), 5000, 'the bind');
  for (const from of SENDERS) {
    const r = await server.api('/api/simulator/smsc/mo', { body: { from, to: NUMBERS[0], body: `from ${from}` } });
    expect(r.status, r.text).toBe(202);
  }
  await eventually(async () => ((await server.store.messages.list(PROJECT_ID, { direction: 'inbound' }, { limit: 20 })).length === SENDERS.length ? true : undefined), 5000, 'the inbound messages');
});
afterAll(async () => {
  await server?.stop();
});

describe('messages from alphanumeric sender IDs', () => {
  it('twilio: messages.list({ from }) finds each by the sender ID it came from', async () => {
    const client = twilioClient(server.url);
    for (const from of SENDERS) {
      const found = await client.messages.list({ from });
      expect([from, found.map((m) => [m.from, m.body, m.direction])]).toEqual([from, [[from, `from ${from}`, 'inbound']]]);
    }
    // Without a letter it is no sender ID: still refused, with the hint for a + written as is.
    const junk = await rejection(client.messages.list({ from: '+1 555 765' }));
    expect(junk).toMatchObject({ status: 400, code: 10000 });
  });

  it('native logs and the console find them too', async () => {
    for (const from of SENDERS) {
      const logs = await server.api(`/api/messaging/logs?from=${encodeURIComponent(from)}`);
      expect([from, logs.status, logs.body.data?.map((m: { from: string }) => m.from)]).toEqual([from, 200, [from]]);
    }
    const c = await loginAs(server, PROJECT_ID, API_TOKEN);
    for (const from of SENDERS) {
      const thread = await c.call(`/api/console/messages?ours=${encodeURIComponent(NUMBERS[0]!)}&other=${encodeURIComponent(from)}`);
      expect([from, thread.status, thread.body.data?.map((m: { from: string }) => m.from)]).toEqual([from, 200, [from]]);
    }
  });

  it("posts them to the number's SmsUrl with From as it came, signed over it", async () => {
    const receiver = await startWebhookReceiver();
    try {
      const res = await server.api(`/api/relay/rest/phone_numbers/${await phoneNumberId(server, NUMBERS[1]!)}`, { method: 'PUT', body: { message_handler: 'laml_webhooks', message_request_url: `${receiver.url}/sms` } });
      expect(res.status, res.text).toBe(200);
      for (const from of ['AT&T Alerts', 'DHL Parcel']) {
        expect((await server.api('/api/simulator/smsc/mo', { body: { from, to: NUMBERS[1], body: `hook ${from}` } })).status).toBe(202);
        const [hook] = await receiver.waitFor(1, 10_000, (r) => r.form?.get('From') === from);
        expect(hook!.form!.get('Body')).toBe(`hook ${from}`);
        expect(twilio.validateRequest(SIGNING_KEY, hook!.headers['x-twilio-signature'] as string, `${receiver.url}/sms`, Object.fromEntries(hook!.form!))).toBe(true);
      }
    } finally {
      await receiver.close();
    }
  });
});

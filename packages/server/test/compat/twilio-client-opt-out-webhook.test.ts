/**
 * The inbound cXML webhook of a keyword message says which keyword it was, in Twilio's
 * `OptOutType` (STOP, START or HELP: "How to Track Opt-Out, Opt-In and Help Messages Using the
 * OptOutType Parameter", Twilio support): Switchboard always applies the keywords as Twilio's
 * Advanced Opt-Out does (docs/guides/sending-real-traffic.md), so an application written for it
 * can follow its own list from the webhook. A message that is not a whole keyword has none, and
 * the request stays signed for the clients' validators.
 */
import { RestClient } from '@signalwire/compatibility-api';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { phoneNumberId } from '../helpers/projects.js';
import { NUMBERS, SIGNING_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

let server: TestServer;
let receiver: WebhookReceiver;

beforeAll(async () => {
  server = await startTestServer();
  receiver = await startWebhookReceiver();
  receiver.respond(() => ({ status: 200, body: '<Response/>', headers: { 'Content-Type': 'text/xml' } }));
  const res = await server.api(`/api/relay/rest/phone_numbers/${await phoneNumberId(server, NUMBERS[1]!)}`, { method: 'PUT', body: { message_handler: 'laml_webhooks', message_request_url: `${receiver.url}/keywords` } });
  expect(res.status).toBe(200);
});
afterAll(async () => {
  await server.stop();
  await receiver.close();
});

async function webhookFor(from: string, body: string): Promise<URLSearchParams> {
  const sent = await server.api('/api/simulator/inbound', { body: { from, to: NUMBERS[1], body } });
  expect(sent.status).toBe(201);
  const [req] = await receiver.waitFor(1, 10_000, (r) => r.path === '/keywords' && r.form?.get('MessageSid') === sent.body.id);
  const url = `${receiver.url}${req!.url}`;
  const params = Object.fromEntries(req!.form!);
  expect(twilio.validateRequest(SIGNING_KEY, req!.headers['x-twilio-signature'] as string, url, params)).toBe(true);
  expect(RestClient.validateRequest(SIGNING_KEY, req!.headers['x-signalwire-signature'] as string, url, params)).toBe(true);
  return req!.form!;
}

describe("the inbound webhook's OptOutType", () => {
  it('is STOP, START or HELP for a message that is one keyword (any case, trimmed), as Twilio sends it', async () => {
    const cases: Array<[string, string]> = [
      ['stop', 'STOP'],
      [' Unsubscribe ', 'STOP'],
      ['START', 'START'],
      ['unstop', 'START'],
      ['help', 'HELP'],
      ['Info', 'HELP'],
    ];
    for (const [i, [body, type]] of cases.entries()) {
      const form = await webhookFor(`+1555769500${i}`, body);
      expect(form.get('OptOutType'), body).toBe(type);
      expect(form.get('Body')).toBe(body);
    }
  });

  it('is absent for any other message, a keyword inside a sentence included', async () => {
    for (const [i, body] of ['STOP please', 'STOP!', 'hello', 'stops'].entries()) {
      const form = await webhookFor(`+1555769510${i}`, body);
      expect(form.has('OptOutType'), body).toBe(false);
    }
  });
});

/**
 * Webhooks as an application built on the official clients receives them, with text beyond ASCII
 * everywhere it can be: an inbound message's body and media URL, a configured URL's query, a
 * reply built with twilio's `twiml.MessagingResponse` (a `<Message action>` with `<Body>` and
 * `<Media>`, then a `<Redirect method="GET">`), and a status callback. Each request must pass
 * the clients' Express middleware (`twilio.webhook()` and `RestClient.webhook()`, which rebuild the
 * URL from the request they got),
 * `twilio.validateRequest` and `RestClient.validateRequest` (X-SignalWire-Signature), on URLs with
 * and without a query, by POST and GET.
 */
import { RestClient } from '@signalwire/compatibility-api';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { phoneNumberId } from '../helpers/projects.js';
import { eventually, NUMBERS, SIGNING_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { startWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { twilioClient } from './clients.js';

let server: TestServer;
let receiver: WebhookReceiver;
const routes = new Map<string, (r: ReceivedRequest) => { status: number; body?: string; headers?: Record<string, string> }>();
const XML = { 'Content-Type': 'text/xml' };
const UNICODE_BODY = 'Grüße 😀 a+b=c&d %20 ñ — “quoted”';

beforeAll(async () => {
  server = await startTestServer();
  receiver = await startWebhookReceiver();
  receiver.respond((r) => routes.get(r.path)?.(r) ?? { status: 200 });
});
afterAll(async () => {
  await server.stop();
  await receiver.close();
});

type Middleware = (request: never, response: never, next: () => void) => void;

/** What an SDK's Express middleware answers for a request as an Express app would see it: 'next' when it lets it through. */
function throughMiddleware(middleware: Middleware, r: ReceivedRequest): string {
  const host = new URL(receiver.url).host;
  const headers = r.headers as Record<string, string>;
  const request = {
    protocol: 'http',
    originalUrl: r.url,
    headers,
    body: r.method === 'POST' ? Object.fromEntries(r.form!) : {},
    header: (name: string) => headers[name.toLowerCase()],
  };
  let outcome = 'no answer';
  const response = {
    type: () => response,
    status: (code: number) => {
      outcome = String(code);
      return response;
    },
    send: () => response,
  };
  expect(host).toBe(headers.host);
  middleware(request as never, response as never, () => {
    outcome = 'next';
  });
  return outcome;
}

/** Every validator an application may use accepts the request; a wrong key is refused. */
function expectAccepted(r: ReceivedRequest): void {
  const url = `${receiver.url}${r.url}`;
  const params = r.method === 'POST' ? Object.fromEntries(r.form!) : {};
  expect(r.headers['x-twilio-signature']).toBe(r.headers['x-signalwire-signature']);
  expect(throughMiddleware(twilio.webhook(SIGNING_KEY), r)).toBe('next');
  expect(throughMiddleware(twilio.webhook('PSK_wrong'), r)).toBe('403');
  // @signalwire/compatibility-api's middleware reads X-SignalWire-Signature first.
  expect(throughMiddleware((RestClient as unknown as { webhook: (token: string) => Middleware }).webhook(SIGNING_KEY), r)).toBe('next');
  expect(throughMiddleware((RestClient as unknown as { webhook: (token: string) => Middleware }).webhook('PSK_wrong'), r)).toBe('403');
  expect(twilio.validateRequest(SIGNING_KEY, r.headers['x-twilio-signature'] as string, url, params)).toBe(true);
  expect(RestClient.validateRequest(SIGNING_KEY, r.headers['x-signalwire-signature'] as string, url, params)).toBe(true);
}

async function configure(url: string, method: 'GET' | 'POST'): Promise<void> {
  const res = await server.api(`/api/relay/rest/phone_numbers/${await phoneNumberId(server, NUMBERS[1]!)}`, { method: 'PUT', body: { message_handler: 'laml_webhooks', message_request_url: url, message_request_method: method } });
  expect(res.status).toBe(200);
}

describe('webhooks with non-ASCII text through the clients’ validators', () => {
  it('inbound POST (URL without a query) and its reply chain: <Message action> with <Body> and <Media>, then <Redirect method="GET"> to a query URL', async () => {
    routes.set('/uni/in', (r) => {
      const reply = new twilio.twiml.MessagingResponse();
      const message = reply.message({ action: '/uni/act?étape=1', method: 'POST' });
      message.body(`Réponse: ${r.form!.get('Body')}`);
      message.media('https://cdn.example.com/réponse.png');
      return { status: 200, body: reply.toString(), headers: XML };
    });
    routes.set('/uni/act', () => {
      const reply = new twilio.twiml.MessagingResponse();
      reply.redirect({ method: 'GET' }, '/uni/next?x=ü');
      return { status: 200, body: reply.toString(), headers: XML };
    });
    routes.set('/uni/next', () => {
      const reply = new twilio.twiml.MessagingResponse();
      reply.message({ to: '+15557694009' }, 'après la redirection');
      return { status: 200, body: reply.toString(), headers: XML };
    });
    await configure(`${receiver.url}/uni/in`, 'POST');
    const inbound = await server.api('/api/simulator/inbound', { body: { from: '+15557694001', to: NUMBERS[1], body: UNICODE_BODY, media: ['https://cdn.example.com/photo.jpg?name=José&size=1'] } });
    expect(inbound.status).toBe(201);

    const [first] = await receiver.waitFor(1, 10_000, (r) => r.path === '/uni/in' && r.form?.get('MessageSid') === inbound.body.id);
    expect(first!.url).toBe('/uni/in');
    expect(first!.form!.get('Body')).toBe(UNICODE_BODY);
    expect(first!.form!.get('MediaUrl0')).toBe('https://cdn.example.com/photo.jpg?name=José&size=1');
    expectAccepted(first!);

    const [action] = await receiver.waitFor(1, 10_000, (r) => r.path === '/uni/act');
    expect(action!.url).toBe('/uni/act?%C3%A9tape=1');
    expect(action!.form!.get('Body')).toBe(`Réponse: ${UNICODE_BODY}`);
    // A <Media> URL is resolved against the document's URL, which writes it percent-encoded.
    expect(action!.form!.get('MediaUrl0')).toBe('https://cdn.example.com/r%C3%A9ponse.png');
    expectAccepted(action!);

    const [redirected] = await receiver.waitFor(1, 10_000, (r) => r.path === '/uni/next');
    expect(redirected!.method).toBe('GET');
    expect(redirected!.url.startsWith('/uni/next?x=%C3%BC&')).toBe(true);
    expect(new URLSearchParams(redirected!.url.split('?')[1]).get('Body')).toBe(`Réponse: ${UNICODE_BODY}`);
    expectAccepted(redirected!);

    // What the handsets got: the reply with its text and media, then the redirected document's message.
    const replies = await eventually(async () => {
      const got = (await server.api(`/api/simulator/messages?to=${encodeURIComponent('+15557694001')}`)).body.data;
      return got.length ? got : undefined;
    });
    expect(replies[0]).toMatchObject({ body: `Réponse: ${UNICODE_BODY}`, media: ['https://cdn.example.com/r%C3%A9ponse.png'], from: NUMBERS[1] });
    const forwarded = await eventually(async () => (await server.api(`/api/simulator/messages?to=${encodeURIComponent('+15557694009')}`)).body.data[0]);
    expect(forwarded.body).toBe('après la redirection');
  });

  it('inbound GET to a URL with a query, its parameters after it', async () => {
    await configure(`${receiver.url}/uni/get?shop=Café`, 'GET');
    const inbound = await server.api('/api/simulator/inbound', { body: { from: '+15557694002', to: NUMBERS[1], body: UNICODE_BODY } });
    const [req] = await receiver.waitFor(1, 10_000, (r) => r.path === '/uni/get' && r.url.includes(inbound.body.id));
    expect(req!.method).toBe('GET');
    expect(req!.url.startsWith('/uni/get?shop=Caf%C3%A9&')).toBe(true);
    expect(new URLSearchParams(req!.url.split('?')[1]).get('Body')).toBe(UNICODE_BODY);
    expectAccepted(req!);
  });

  it('status callbacks of a message with a non-ASCII body, to URLs with and without a query', async () => {
    const client = twilioClient(server.url);
    for (const path of ['/uni/status', '/uni/status?campaign=été&n=1']) {
      const m = await client.messages.create({ to: '+15557694003', from: NUMBERS[0]!, body: UNICODE_BODY, statusCallback: `${receiver.url}${path}` });
      const got = await receiver.waitFor(4, 10_000, (r) => r.form?.get('MessageSid') === m.sid);
      expect(got.map((r) => r.form!.get('MessageStatus'))).toEqual(['queued', 'sending', 'sent', 'delivered']);
      for (const r of got) {
        expect(r.form!.get('Body')).toBe(UNICODE_BODY);
        expectAccepted(r);
      }
    }
  });
});

import { RestClient } from '@signalwire/compatibility-api';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newSealKey, sealKeys } from '../../src/domain/position-seal.js';
import { toConsoleDelivery } from '../../src/http/console/presenters.js';
import { projectSeals } from '../../src/http/sealed-positions.js';
import { phoneNumberId } from '../helpers/projects.js';
import { eventually, NUMBERS, PROJECT_ID, SIGNING_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { startWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { twilioClient } from './clients.js';

let server: TestServer;
let receiver: WebhookReceiver;
let client: twilio.Twilio;
const routes = new Map<string, (r: ReceivedRequest) => { status: number; body?: string | Buffer; headers?: Record<string, string>; delayMs?: number }>();

beforeAll(async () => {
  server = await startTestServer({
    pricing: { unit: 'USD', rules: [{ prefix: '+1555', kind: null, direction: 'outbound', perSegment: 0.01 }] },
  });
  receiver = await startWebhookReceiver();
  receiver.respond((r) => routes.get(r.path)?.(r) ?? { status: 200 });
  client = twilioClient(server.url);
});
afterAll(async () => {
  await server.stop();
  await receiver.close();
});

const XML = { 'Content-Type': 'text/xml' };

/** Both official validators must accept a form webhook as received. */
function expectValidSignatures(r: ReceivedRequest, url: string): void {
  const params = r.method === 'POST' ? Object.fromEntries(r.form!) : {};
  expect(r.headers['x-twilio-signature']).toBe(r.headers['x-signalwire-signature']);
  expect(twilio.validateRequest(SIGNING_KEY, r.headers['x-twilio-signature'] as string, url, params)).toBe(true);
  expect(RestClient.validateRequest(SIGNING_KEY, r.headers['x-signalwire-signature'] as string, url, params)).toBe(true);
  expect(twilio.validateRequest('PSK_wrong', r.headers['x-twilio-signature'] as string, url, params)).toBe(false);
}

async function configureNumber(number: string, fields: Record<string, unknown>): Promise<void> {
  const res = await server.api(`/api/relay/rest/phone_numbers/${await phoneNumberId(server, number)}`, { method: 'PUT', body: fields });
  expect(res.status).toBe(200);
}

async function injectInbound(from: string, to: string, body: string, media?: string[]): Promise<string> {
  const res = await server.api('/api/simulator/inbound', { body: { from, to, body, ...(media ? { media } : {}) } });
  expect(res.status).toBe(201);
  return res.body.id;
}

async function handsetGot(to: string, contains: string): Promise<any> {
  return eventually(async () => {
    const r = await server.api(`/api/simulator/messages?to=${encodeURIComponent(to)}&contains=${encodeURIComponent(contains)}`);
    return r.body.data[0];
  });
}

describe('compat status callbacks', () => {
  it('sees queued, sending, sent, delivered in order, signed for both validators', async () => {
    const url = `${receiver.url}/status?case=delivered`;
    const m = await client.messages.create({ to: '+15557670001', from: NUMBERS[0]!, body: 'Track me', statusCallback: url });
    const got = await receiver.waitFor(4, 10_000, (r) => r.form?.get('MessageSid') === m.sid);
    expect(got.map((r) => r.form!.get('MessageStatus'))).toEqual(['queued', 'sending', 'sent', 'delivered']);
    for (const r of got) {
      expect(r.method).toBe('POST');
      expect(r.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expectValidSignatures(r, url);
      expect(Object.fromEntries(r.form!)).toMatchObject({
        MessageSid: m.sid,
        SmsSid: m.sid,
        SmsStatus: r.form!.get('MessageStatus'),
        AccountSid: PROJECT_ID,
        From: NUMBERS[0],
        To: '+15557670001',
        Body: 'Track me',
        NumMedia: '0',
        NumSegments: '1',
        ApiVersion: '2010-04-01',
      });
      expect(r.form!.has('ErrorCode')).toBe(false);
    }
    // Twilio's RawDlrDoneDate (YYMMDDhhmm) comes with the receipt's outcome only: here the minute it was recorded, in UTC.
    expect(got.map((r) => r.form!.has('RawDlrDoneDate'))).toEqual([false, false, false, true]);
    const done = got[3]!.form!.get('RawDlrDoneDate')!;
    expect(done).toMatch(/^\d{10}$/);
    const doneAt = Date.UTC(2000 + Number(done.slice(0, 2)), Number(done.slice(2, 4)) - 1, Number(done.slice(4, 6)), Number(done.slice(6, 8)), Number(done.slice(8, 10)));
    const fetched = await client.messages(m.sid).fetch();
    expect(Math.abs(doneAt - fetched.dateUpdated.getTime())).toBeLessThan(60_000);
  });

  it('sends credentials in the StatusCallback URL as Basic authentication, signing and recording the URL without them', async () => {
    const bare = `${receiver.url}/status?case=basic-auth`;
    const withCredentials = bare.replace('http://', 'http://alice:p%40ss%3Aword@');
    const m = await client.messages.create({ to: '+15557670005', from: NUMBERS[0]!, body: 'Behind a password', statusCallback: withCredentials });
    const got = await receiver.waitFor(4, 10_000, (r) => r.form?.get('MessageSid') === m.sid);
    for (const r of got) {
      expect(r.headers.authorization).toBe(`Basic ${Buffer.from('alice:p@ss:word').toString('base64')}`);
      // What twilio.webhook() rebuilds from the request: the URL without the credentials.
      expectValidSignatures(r, bare);
    }
    const [delivery] = await server.store.webhooks.listForMessage(PROJECT_ID, m.sid);
    const attempts = await server.store.webhooks.listAttempts(PROJECT_ID, delivery!.id);
    expect(attempts.map((a) => a.url)).toEqual([bare]);
    // The console shows the delivery's URL with the password masked.
    expect(toConsoleDelivery(delivery!, projectSeals(sealKeys(newSealKey()), PROJECT_ID)).url).toBe(bare.replace('http://', 'http://alice:***@'));
  });

  it('signs a StatusCallback whose query has spaces and non-ASCII over the URL as requested (percent-encoded), which the validators rebuild', async () => {
    const given = `${receiver.url}/status?case=raw&name=José Ñ&q=a b`;
    const m = await client.messages.create({ to: '+15557670006', from: NUMBERS[0]!, body: 'Raw query', statusCallback: given });
    const got = await receiver.waitFor(4, 10_000, (r) => r.form?.get('MessageSid') === m.sid);
    for (const r of got) {
      expect(r.url).toBe('/status?case=raw&name=Jos%C3%A9%20%C3%91&q=a%20b');
      // What twilio.webhook() and a receiver's own validateRequest call see: the URL the request came to.
      expectValidSignatures(r, `${receiver.url}${r.url}`);
    }
  });

  it("sends the status of a message created with ApplicationSid to the application's MessageStatusCallback (Twilio's name; SmsStatusCallback is its deprecated alias)", async () => {
    const app = await client.applications.create({ friendlyName: 'message status app', messageStatusCallback: `${receiver.url}/app-message-status` });
    expect(app.messageStatusCallback).toBe(`${receiver.url}/app-message-status`);
    expect(app.smsStatusCallback).toBe(`${receiver.url}/app-message-status`);
    const m = await client.messages.create({ to: '+15557670007', from: NUMBERS[0]!, body: 'Via the application', applicationSid: app.sid });
    const got = await receiver.waitFor(4, 10_000, (r) => r.form?.get('MessageSid') === m.sid);
    expect(got.map((r) => r.path)).toEqual(['/app-message-status', '/app-message-status', '/app-message-status', '/app-message-status']);
    // A request's own StatusCallback takes priority over the application's (twilio-node: "if both are included application_sid is ignored").
    const own = await client.messages.create({ to: '+15557670007', from: NUMBERS[0]!, body: 'Own callback', applicationSid: app.sid, statusCallback: `${receiver.url}/own-status` });
    const ownGot = await receiver.waitFor(4, 10_000, (r) => r.form?.get('MessageSid') === own.sid);
    expect(ownGot.map((r) => r.path)).toEqual(['/own-status', '/own-status', '/own-status', '/own-status']);
    // Either name updates the one callback; an invalid URL is 21609 under both.
    const updated = await client.applications(app.sid).update({ smsStatusCallback: `${receiver.url}/via-sms-name` });
    expect(updated.messageStatusCallback).toBe(`${receiver.url}/via-sms-name`);
    const err = await client.applications(app.sid).update({ messageStatusCallback: 'not a url' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400, code: 21609 });
    // With spaces or controls a URL parser would drop: refused, not trimmed, as MediaUrl is.
    for (const params of [{ messageStatusCallback: ' https://example.com/status' }, { smsStatusCallback: 'https://example.com/status\t' }]) {
      expect(await client.applications(app.sid).update(params).catch((e: unknown) => e)).toMatchObject({ status: 400, code: 21609, message: expect.stringContaining('send the URL alone') });
    }
    // The application's cXML URLs: Twilio's 21402 ("Invalid Url") for a URL handler that is not one.
    for (const params of [{ smsUrl: 'https://example.com/sms ' }, { smsFallbackUrl: '\nhttps://example.com/fallback' }, { smsUrl: 'not a url' }]) {
      expect(await client.applications(app.sid).update(params).catch((e: unknown) => e), JSON.stringify(params)).toMatchObject({ status: 400, code: 21402 });
      expect(await client.applications.create({ friendlyName: 'refused', ...params }).catch((e: unknown) => e)).toMatchObject({ status: 400, code: 21402 });
    }
    expect((await client.applications(app.sid).fetch()).smsUrl).toBeNull();
    // An application saved before such URLs were refused keeps working: its callback is used trimmed.
    const lid = app.sid.toLowerCase();
    await server.store.applications.update(PROJECT_ID, lid, { smsStatusCallback: ` ${receiver.url}/stored-app-status\n` }, Date.now());
    const stored = await client.messages.create({ to: '+15557670007', from: NUMBERS[0]!, body: 'Stored application', applicationSid: app.sid });
    const storedGot = await receiver.waitFor(4, 10_000, (r) => r.form?.get('MessageSid') === stored.sid);
    expect(storedGot.map((r) => r.path)).toEqual(['/stored-app-status', '/stored-app-status', '/stored-app-status', '/stored-app-status']);
    expect((await client.applications(app.sid).update({ messageStatusCallback: '' })).smsStatusCallback).toBeNull();
  });

  it('reports an undelivered message with its ErrorCode, and a carrier rejection as failed', async () => {
    const url = `${receiver.url}/status?case=failures`;
    const unreachable = await client.messages.create({ to: '+12015550101', from: NUMBERS[0]!, body: 'x', statusCallback: url });
    const a = await receiver.waitFor(4, 10_000, (r) => r.form?.get('MessageSid') === unreachable.sid);
    expect(a.map((r) => r.form!.get('MessageStatus'))).toEqual(['queued', 'sending', 'sent', 'undelivered']);
    expect(a[3]!.form!.get('ErrorCode')).toBe('30003');
    expect(a[3]!.form!.get('RawDlrDoneDate')).toMatch(/^\d{10}$/);
    const rejected = await client.messages.create({ to: '+12015550104', from: NUMBERS[0]!, body: 'x', statusCallback: url });
    const b = await receiver.waitFor(3, 10_000, (r) => r.form?.get('MessageSid') === rejected.sid);
    expect(b.map((r) => r.form!.get('MessageStatus'))).toEqual(['queued', 'sending', 'failed']);
    expect(b[2]!.form!.get('ErrorCode')).toBe('30006');
    // Refused at submission: no receipt, so no done date (Twilio sends it on delivered and undelivered only).
    expect(b[2]!.form!.has('RawDlrDoneDate')).toBe(false);
    const f = await client.messages(rejected.sid).fetch();
    expect(f).toMatchObject({ status: 'failed', errorCode: 30006 });
  });

  it('fails a message whose price exceeds MaxPrice with 30010', async () => {
    const url = `${receiver.url}/status?case=maxprice`;
    const m = await client.messages.create({ to: '+15557670002', from: NUMBERS[0]!, body: 'y'.repeat(161), maxPrice: 0.015, statusCallback: url });
    const got = await receiver.waitFor(2, 10_000, (r) => r.form?.get('MessageSid') === m.sid);
    expect(got.map((r) => r.form!.get('MessageStatus'))).toEqual(['queued', 'failed']);
    expect(got[1]!.form!.get('ErrorCode')).toBe('30010');
    const cheap = await client.messages.create({ to: '+15557670003', from: NUMBERS[0]!, body: 'short', maxPrice: 0.015 });
    const sent = await eventually(async () => {
      const r = await client.messages(cheap.sid).fetch();
      return r.status === 'delivered' ? r : undefined;
    });
    expect(sent.price).toBe(0.01);
  });

  it('retries a failing callback until it is answered', async () => {
    let failures = 2;
    routes.set('/flaky', () => (failures-- > 0 ? { status: 500 } : { status: 204 }));
    const m = await client.messages.create({ to: '+15557670004', from: NUMBERS[0]!, body: 'flaky', statusCallback: `${receiver.url}/flaky` });
    await receiver.waitFor(6, 15_000, (r) => r.form?.get('MessageSid') === m.sid);
    const deliveries = await eventually(async () => {
      const d = await server.store.webhooks.listForMessage(PROJECT_ID, m.sid);
      return d.length === 4 && d.every((x) => x.status === 'delivered') ? d : undefined;
    });
    expect(deliveries[0]).toMatchObject({ attempts: 3 });
    const attempts = await server.store.webhooks.listAttempts(PROJECT_ID, deliveries[0]!.id);
    expect(attempts.map((x) => x.statusCode)).toEqual([500, 500, 204]);
    expect(attempts[0]!.error).toBe('11200: HTTP 500');
  });
});

describe('inbound cXML webhooks', () => {
  it('POSTs every inbound message, signed, and sends the reply a twilio MessagingResponse builds', async () => {
    const url = `${receiver.url}/sms/twilio?number=2`;
    routes.set('/sms/twilio', (r) => {
      const reply = new twilio.twiml.MessagingResponse();
      reply.message(`Got "${r.form!.get('Body')}" from ${r.form!.get('From')}`);
      return { status: 200, body: reply.toString(), headers: XML };
    });
    await configureNumber(NUMBERS[1]!, { message_handler: 'laml_webhooks', message_request_url: url, message_request_method: 'POST' });
    const inboundId = await injectInbound('+15557680001', NUMBERS[1]!, 'hello there', ['https://cdn.example.com/in.jpg']);
    const [req] = await receiver.waitFor(1, 10_000, (r) => r.path === '/sms/twilio' && r.form?.get('MessageSid') === inboundId);
    expectValidSignatures(req!, url);
    expect(Object.fromEntries(req!.form!)).toEqual({
      MessageSid: inboundId,
      SmsSid: inboundId,
      SmsMessageSid: inboundId,
      AccountSid: PROJECT_ID,
      From: '+15557680001',
      To: NUMBERS[1],
      Body: 'hello there',
      NumMedia: '1',
      NumSegments: '1',
      SmsStatus: 'received',
      ApiVersion: '2010-04-01',
      MediaUrl0: 'https://cdn.example.com/in.jpg',
      MediaContentType0: 'image/jpeg',
    });
    const got = await handsetGot('+15557680001', 'Got "hello there"');
    expect(got.from).toBe(NUMBERS[1]);
    const reply = await client.messages(got.message_id).fetch();
    expect(reply).toMatchObject({ direction: 'outbound-reply', to: '+15557680001', from: NUMBERS[1] });
    expect((await client.messages(inboundId).fetch()).direction).toBe('inbound');
  });

  it('uses GET when configured, and the SignalWire SDK MessagingResponse with <Body>, <Media> and attributes', async () => {
    const url = `${receiver.url}/sms/signalwire`;
    routes.set('/sms/signalwire', () => {
      const reply = new RestClient.LaML.MessagingResponse();
      const message = reply.message({ to: '+15557680009' });
      message.body('Forwarded with media');
      message.media('https://cdn.example.com/out.png');
      return { status: 200, body: reply.toString(), headers: XML };
    });
    await configureNumber(NUMBERS[1]!, { message_handler: 'laml_webhooks', message_request_url: url, message_request_method: 'GET' });
    const inboundId = await injectInbound('+15557680002', NUMBERS[1]!, 'via GET');
    const [req] = await receiver.waitFor(1, 10_000, (r) => r.path === '/sms/signalwire' && r.url.includes(inboundId));
    expect(req!.method).toBe('GET');
    expect(new URLSearchParams(req!.url.split('?')[1]).get('Body')).toBe('via GET');
    expectValidSignatures(req!, `${receiver.url}${req!.url}`);
    const got = await handsetGot('+15557680009', 'Forwarded with media');
    expect(got.media).toEqual(['https://cdn.example.com/out.png']);
    expect(got.from).toBe(NUMBERS[1]);
  });

  it('signs an inbound GET to a URL with a raw non-ASCII query over the URL as requested', async () => {
    await configureNumber(NUMBERS[1]!, { message_handler: 'laml_webhooks', message_request_url: `${receiver.url}/sms/raw?shop=Café Ü`, message_request_method: 'GET' });
    const inboundId = await injectInbound('+15557680003', NUMBERS[1]!, 'raw query');
    const [req] = await receiver.waitFor(1, 10_000, (r) => r.path === '/sms/raw' && r.url.includes(inboundId));
    expect(req!.url.startsWith('/sms/raw?shop=Caf%C3%A9%20%C3%9C&')).toBe(true);
    expectValidSignatures(req!, `${receiver.url}${req!.url}`);
  });

  it("decodes character references (what Python's ElementTree writes for non-ASCII) and resolves relative <Media> URLs", async () => {
    const url = `${receiver.url}/sms/python/reply`;
    // twilio-python 6 (under the signalwire package's MessagingResponse) writes ET.tostring(...) in ASCII.
    routes.set('/sms/python/reply', () => ({ status: 200, body: '<?xml version="1.0" encoding="UTF-8"?><Response><Message><Body>caf&#233; &#128512; &amp; more</Body><Media>../img/menu.png</Media></Message></Response>', headers: XML }));
    await configureNumber(NUMBERS[1]!, { message_handler: 'laml_webhooks', message_request_url: url, message_request_method: 'POST' });
    await injectInbound('+15557680012', NUMBERS[1]!, 'menu?');
    const got = await handsetGot('+15557680012', 'caf');
    expect(got.body).toBe('café 😀 & more');
    expect(got.media).toEqual([`${receiver.url}/sms/img/menu.png`]);
    const reply = await client.messages(got.message_id).fetch();
    expect(reply).toMatchObject({ body: 'café 😀 & more', numMedia: 1, direction: 'outbound-reply' });
  });

  it('reads a document in the charset its Content-Type or XML declaration names (ISO-8859-1), else UTF-8', async () => {
    const latin1 = (text: string) => Buffer.from(text, 'latin1');
    routes.set('/sms/charset/header', () => ({ status: 200, body: latin1('<Response><Message>Gr\xfc\xdfe per header</Message></Response>'), headers: { 'Content-Type': 'text/xml; charset=ISO-8859-1' } }));
    routes.set('/sms/charset/declaration', () => ({ status: 200, body: latin1('<?xml version="1.0" encoding="ISO-8859-1"?><Response><Message>Gr\xfc\xdfe per declaration</Message></Response>'), headers: XML }));
    for (const [path, from] of [['/sms/charset/header', '+15557680013'], ['/sms/charset/declaration', '+15557680014']] as const) {
      await configureNumber(NUMBERS[1]!, { message_handler: 'laml_webhooks', message_request_url: `${receiver.url}${path}`, message_request_method: 'POST' });
      await injectInbound(from, NUMBERS[1]!, 'charset?');
      expect((await handsetGot(from, 'Grüße')).body).toMatch(/^Grüße per /);
    }
  });

  it('falls back to the fallback URL when the primary fails, is malformed, too large or too slow, logging the codes', async () => {
    const replyWith = (text: string) => () => ({ status: 200, body: `<Response><Message>${text}</Message></Response>`, headers: XML });
    routes.set('/fallback', (r) => replyWith(`fallback for ${r.form!.get('Body')}`)());
    routes.set('/broken', () => ({ status: 200, body: '<Response><Mesage>typo</Mesage></Response>', headers: XML }));
    routes.set('/huge', () => ({ status: 200, body: `<Response><Message>${'x'.repeat(70_000)}</Message></Response>`, headers: XML }));
    routes.set('/slow', () => ({ status: 200, body: '<Response/>', headers: XML, delayMs: 1500 }));
    routes.set('/down', () => ({ status: 503 }));
    const cases: Array<[string, string, RegExp]> = [
      ['/down', 'case-down', /^11200: HTTP 503/],
      ['/broken', 'case-broken', /^12100: /],
      ['/huge', 'case-huge', /^11750: /],
      ['/slow#rt=200', 'case-slow', /^11200: timeout/],
    ];
    for (const [path, body, error] of cases) {
      await configureNumber(NUMBERS[1]!, { message_handler: 'laml_webhooks', message_request_url: `${receiver.url}${path}`, message_fallback_url: `${receiver.url}/fallback`, message_request_method: 'POST', message_fallback_method: 'POST' });
      const inboundId = await injectInbound('+15557680003', NUMBERS[1]!, body);
      await handsetGot('+15557680003', `fallback for ${body}`);
      const [delivery] = await server.store.webhooks.listForMessage(PROJECT_ID, inboundId);
      expect(delivery).toMatchObject({ kind: 'inbound_message', status: 'delivered', attempts: 2 });
      const attempts = await server.store.webhooks.listAttempts(PROJECT_ID, delivery!.id);
      expect(attempts[0]!.error).toMatch(error);
      expect(attempts[1]).toMatchObject({ url: `${receiver.url}/fallback`, error: null });
    }
  });

  it('follows <Redirect> and <Message action>, replying through each document', async () => {
    routes.set('/start', () => ({ status: 200, body: '<?xml version="1.0" encoding="UTF-8"?><Response><Redirect method="POST">/next</Redirect><Message>never</Message></Response>', headers: XML }));
    routes.set('/next', (r) => ({ status: 200, body: `<Response><Message action="/after?from=next">First reply to ${r.form!.get('Body')}</Message><Message>unreachable</Message></Response>`, headers: XML }));
    routes.set('/after', (r) => ({ status: 200, body: r.form!.get('MessageStatus') === 'sent' ? '<Response><Message>Second reply</Message></Response>' : '<Response/>', headers: XML }));
    await configureNumber(NUMBERS[1]!, { message_handler: 'laml_webhooks', message_request_url: `${receiver.url}/start`, message_fallback_url: null });
    const inboundId = await injectInbound('+15557680004', NUMBERS[1]!, 'chain');
    await handsetGot('+15557680004', 'First reply to chain');
    await handsetGot('+15557680004', 'Second reply');
    const [action] = await receiver.waitFor(1, 10_000, (r) => r.path === '/after');
    expectValidSignatures(action!, `${receiver.url}/after?from=next`);
    expect(action!.form!.get('MessageStatus')).toBe('sent');
    expect(action!.form!.get('To')).toBe('+15557680004');
    const inbox = await server.api(`/api/simulator/messages?to=${encodeURIComponent('+15557680004')}`);
    expect(inbox.body.data.map((m: any) => m.body).filter((b: string) => /never|unreachable/.test(b))).toEqual([]);
    const kinds = (await server.store.webhooks.listForMessage(PROJECT_ID, inboundId)).map((d) => d.url);
    expect(kinds).toEqual([`${receiver.url}/start`, `${receiver.url}/next`]);
  });

  it("honours Twilio's legacy statusCallback attribute of <Message> with form status callbacks", async () => {
    routes.set('/legacy', () => ({ status: 200, body: '<Response><Message statusCallback="/legacy-status?x=1">legacy reply</Message></Response>', headers: XML }));
    await configureNumber(NUMBERS[1]!, { message_handler: 'laml_webhooks', message_request_url: `${receiver.url}/legacy`, message_fallback_url: null });
    await injectInbound('+15557680006', NUMBERS[1]!, 'legacy');
    const got = await receiver.waitFor(4, 10_000, (r) => r.path === '/legacy-status');
    expect(got.map((r) => r.form!.get('MessageStatus'))).toEqual(['queued', 'sending', 'sent', 'delivered']);
    expect(got[0]!.form!.get('Body')).toBe('legacy reply');
    expectValidSignatures(got[0]!, `${receiver.url}/legacy-status?x=1`);
  });

  it('sends at most 10 replies for one inbound message, across documents: an action URL answering with another action stops (14109)', async () => {
    let served = 0;
    routes.set('/loop', () => ({ status: 200, body: `<Response><Message action="/loop">loop ${++served}</Message></Response>`, headers: XML }));
    await configureNumber(NUMBERS[1]!, { message_handler: 'laml_webhooks', message_request_url: `${receiver.url}/loop`, message_fallback_url: null });
    const inboundId = await injectInbound('+15557680007', NUMBERS[1]!, 'start a loop');
    const stopped = await eventually(async () => {
      const all = await server.store.webhooks.listForProject(PROJECT_ID, {}, { limit: 500 });
      return all.find((d) => d.kind === 'message_action' && d.status === 'failed' && d.lastError?.startsWith('14109:'));
    }, 20_000);
    expect(stopped.lastError).toContain(inboundId);
    const replies = await server.api(`/api/simulator/messages?to=${encodeURIComponent('+15557680007')}`);
    expect(replies.body.data.map((m: any) => m.body).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `loop ${i + 1}`).sort());
    // The 11th document was fetched and refused; none after it.
    expect(served).toBe(11);
  });

  it('requests at most 50 documents for one inbound message: a <Redirect> loop stops there (14106)', async () => {
    let served = 0;
    routes.set('/redirect-loop', () => ({ status: 200, body: `<Response><Redirect>/redirect-loop?n=${++served}</Redirect></Response>`, headers: XML }));
    await configureNumber(NUMBERS[1]!, { message_handler: 'laml_webhooks', message_request_url: `${receiver.url}/redirect-loop`, message_fallback_url: null });
    const inboundId = await injectInbound('+15557680010', NUMBERS[1]!, 'loop');
    const stopped = await eventually(async () => {
      const ds = await server.store.webhooks.listForMessage(PROJECT_ID, inboundId);
      return ds.find((d) => d.status === 'failed');
    }, 30_000);
    expect(stopped).toMatchObject({ url: `${receiver.url}/redirect-loop?n=49`, attempts: 1 });
    expect(stopped.lastError).toBe(`14106: 50 documents were already requested for inbound message ${inboundId}; this <Redirect> was not followed`);
    const [attempt] = await server.store.webhooks.listAttempts(PROJECT_ID, stopped.id);
    expect(attempt!.error).toBe(stopped.lastError);
    const all = await server.store.webhooks.listForMessage(PROJECT_ID, inboundId);
    expect(all).toHaveLength(50);
    expect(all.filter((d) => d.status !== 'delivered')).toEqual([stopped]);
    expect(served).toBe(50);
  });

  it('sends at most 10 of the <Message> verbs of one document and reports the rest (14109)', async () => {
    routes.set('/many', () => ({ status: 200, body: `<Response>${Array.from({ length: 12 }, (_, i) => `<Message>many ${i}</Message>`).join('')}</Response>`, headers: XML }));
    await configureNumber(NUMBERS[1]!, { message_handler: 'laml_webhooks', message_request_url: `${receiver.url}/many`, message_fallback_url: null });
    const inboundId = await injectInbound('+15557680008', NUMBERS[1]!, 'many');
    const [delivery] = await eventually(async () => {
      const ds = await server.store.webhooks.listForMessage(PROJECT_ID, inboundId);
      return ds.every((d) => d.status !== 'pending') && ds.length ? ds : undefined;
    });
    expect(delivery).toMatchObject({ status: 'failed', attempts: 1 });
    expect(delivery!.lastError).toMatch(/^14109: 10 replies were already sent/);
    const replies = await server.api(`/api/simulator/messages?to=${encodeURIComponent('+15557680008')}`);
    expect(replies.body.data.map((m: any) => m.body).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `many ${i}`).sort());
  });

  it('with both action and statusCallback on <Message>, requests only the action URL, as Twilio deprecates statusCallback for action', async () => {
    routes.set('/both', () => ({ status: 200, body: '<Response><Message action="/both-action" statusCallback="/both-status">both</Message></Response>', headers: XML }));
    await configureNumber(NUMBERS[1]!, { message_handler: 'laml_webhooks', message_request_url: `${receiver.url}/both`, message_fallback_url: null });
    await injectInbound('+15557680009', NUMBERS[1]!, 'both');
    const [action] = await receiver.waitFor(1, 10_000, (r) => r.path === '/both-action');
    expect(action!.form!.get('MessageStatus')).toBe('sent');
    // One message's webhooks go out in order: status callbacks to the other URL would have come first.
    expect(receiver.requests.filter((r) => r.path === '/both-status')).toEqual([]);
    const reply = await server.store.messages.get(PROJECT_ID, action!.form!.get('MessageSid')!);
    expect(reply).toMatchObject({ statusCallback: `${receiver.url}/both-action`, callbackFormat: 'action-post' });
  });

  it('routes a number with a cXML application to its SmsUrl, and loopback messages reach it', async () => {
    routes.set('/app-sms', (r) => ({ status: 200, body: r.form!.get('From') === NUMBERS[0] ? '<Response/>' : '<Response><Message>app reply</Message></Response>', headers: XML }));
    const app = await client.applications.create({ friendlyName: 'inbound app', smsUrl: `${receiver.url}/app-sms`, smsMethod: 'POST' });
    await configureNumber(NUMBERS[1]!, { message_handler: 'laml_application', message_laml_application_id: app.sid });
    await injectInbound('+15557680005', NUMBERS[1]!, 'to the app');
    await handsetGot('+15557680005', 'app reply');
    // A message from one of our numbers to another loops back through the simulator as inbound.
    const sent = await client.messages.create({ to: NUMBERS[1]!, from: NUMBERS[0]!, body: 'loopback to app' });
    const [req] = await receiver.waitFor(1, 10_000, (r) => r.path === '/app-sms' && r.form?.get('Body') === 'loopback to app');
    expect(req!.form!.get('From')).toBe(NUMBERS[0]);
    expect(sent.sid).not.toBe(req!.form!.get('MessageSid'));
  });
});

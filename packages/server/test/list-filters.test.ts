/**
 * A list filter or setting the server does not know is an error in the surface's own shape, naming
 * the closest valid name — never silently ignored (`/api/messaging/logs?status=bogus` used to
 * answer every message, `PUT /api/simulator/settings {"delay":200}` answered 200 and changed
 * nothing). And the native logs' status, from, to and direction filters select what they say.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertMessages } from './helpers/messages.js';
import { messageRow } from './helpers/records.js';
import { PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

const LOGS = '/api/messaging/logs';
const COMPAT = `/2010-04-01/Accounts/${PROJECT_ID}`;

let server: TestServer;
const bodyOf = new Map<string, string>();

beforeAll(async () => {
  server = await startTestServer();
  const rows = [
    messageRow(PROJECT_ID, { status: 'delivered', body: 'delivered-out', to: '+15557650001' }),
    messageRow(PROJECT_ID, { status: 'undelivered', body: 'undelivered-out', to: '+15557650002' }),
    messageRow(PROJECT_ID, { status: 'failed', body: 'failed-out', to: '+15557650002' }),
    messageRow(PROJECT_ID, { status: 'received', direction: 'inbound', body: 'received-in', from: '+15557650003', to: '+15551230001' }),
  ];
  for (const m of await insertMessages(server, rows)) bodyOf.set(m.id, m.body);
});
afterAll(async () => {
  await server.stop();
});

async function bodies(path: string): Promise<string[]> {
  const res = await server.api(path);
  expect(res.status, res.text).toBe(200);
  return (res.body.data ?? res.body.messages).map((m: any) => bodyOf.get(m.id ?? m.sid)).sort();
}

describe('native message logs', () => {
  it('status=bogus is a 422 naming the valid statuses', async () => {
    const res = await server.api(`${LOGS}?status=bogus`);
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([
      expect.objectContaining({
        code: 'invalid_filter',
        attribute: 'status',
        message: 'status "bogus" is not a message status; use one or more of scheduled, queued, initiated, sent, delivered, undelivered, failed, received, canceled, separated by commas.',
      }),
    ]);
  });

  it('a misspelt parameter is a 422 suggesting the closest one', async () => {
    const res = await server.api(`${LOGS}?stauts=delivered`);
    expect(res.status).toBe(422);
    expect(res.body.errors[0]).toMatchObject({ code: 'invalid_filter', attribute: 'stauts' });
    expect(res.body.errors[0].message).toMatch(/^Unknown query parameter 'stauts' \(did you mean 'status'\?\)\. This list takes: created_before, .*page_token\.$/);
  });

  it('a bad direction or include_deleted is a 422 naming the valid values', async () => {
    expect((await server.api(`${LOGS}?direction=out`)).body.errors[0].message).toBe('direction must be inbound, outbound, outbound-api or outbound-reply (got "out").');
    expect((await server.api(`${LOGS}?include_deleted=yes`)).body.errors[0].message).toBe('include_deleted must be true or false (got "yes").');
  });

  it('status (one or several), to, from and direction select what they say', async () => {
    expect(await bodies(`${LOGS}?status=delivered`)).toEqual(['delivered-out']);
    expect(await bodies(`${LOGS}?status=undelivered,failed`)).toEqual(['failed-out', 'undelivered-out']);
    expect(await bodies(`${LOGS}?to=%2B15557650002`)).toEqual(['failed-out', 'undelivered-out']);
    expect(await bodies(`${LOGS}?from=%2B15557650003`)).toEqual(['received-in']);
    expect(await bodies(`${LOGS}?direction=inbound`)).toEqual(['received-in']);
    expect(await bodies(`${LOGS}?direction=outbound&status=delivered,received`)).toEqual(['delivered-out']);
  });

  it('paging links keep the filters', async () => {
    const res = await server.api(`${LOGS}?status=undelivered,failed&page_size=1`);
    expect(res.status).toBe(200);
    const next = new URL(res.body.links.next);
    expect(next.searchParams.get('status')).toBe('undelivered,failed');
    expect(await bodies(`${next.pathname}${next.search}`)).toHaveLength(1);
  });
});

describe('the other native lists and the handset inbox', () => {
  it('refuse a filter given twice instead of answering the whole list (or any handset message)', async () => {
    for (const path of [
      '/api/relay/rest/phone_numbers?filter_name=a&filter_name=b',
      '/api/relay/rest/phone_numbers?filter_number=1&filter_number=2',
      '/api/relay/rest/number_groups?filter_name=a&filter_name=b',
      '/api/simulator/messages?to=%2B15550000001&to=%2B15550000002',
      '/api/simulator/messages/wait?to=%2B15550000001&to=%2B15550000002&timeout=0',
    ]) {
      const res = await server.api(path);
      expect(res.status, path).toBe(422);
      expect(res.body.errors[0].code, path).toBe('invalid_filter');
      expect(res.body.errors[0].message ?? res.body.errors[0].detail, path).toMatch(/^(filter_name|filter_number|to) must be given once\.$/);
    }
  });

  it('refuse a number filter that is no address, telling to write a "+" as %2B (a raw one reads as a space)', async () => {
    // `?to=+1555…` arrives as " 1555…", which matches nothing: the logs answered empty and a wait timed out.
    for (const [path, name] of [
      [`${LOGS}?to=+15557650002`, 'to'],
      [`${LOGS}?from=+15557650003`, 'from'],
      ['/api/simulator/messages?to=+15557650002', 'to'],
      ['/api/simulator/messages?from=+15551230001', 'from'],
      ['/api/simulator/messages/wait?to=+15557650002&timeout=5', 'to'],
    ] as const) {
      const res = await server.api(path);
      expect(res.status, path).toBe(422);
      expect(res.body.errors[0]).toMatchObject({ code: 'invalid_filter', attribute: name });
      expect(res.body.errors[0].message, path).toBe(
        `${name} must be a phone number such as +15557654321 (got " ${path.split(`${name}=+`)[1]!.split('&')[0]}"): a "+" in a URL's query string reads as a space, so write it %2B (${name}=%2B${path.split(`${name}=+`)[1]!.split('&')[0]}).`,
      );
    }
    const junk = await server.api(`${LOGS}?to=${encodeURIComponent('+1 555 765')}`);
    expect(junk.body.errors[0].message).toBe('to must be a phone number such as +15557654321 (got "+1 555 765").');
    // Short codes and alphanumeric senders are addresses too.
    expect((await server.api(`${LOGS}?from=12345`)).status).toBe(200);
    expect((await server.api('/api/simulator/messages?from=ACME')).status).toBe(200);
  });

  it('refuse a parameter they do not know, naming the closest one', async () => {
    const numbers = await server.api('/api/relay/rest/phone_numbers?filter_nmae=x');
    expect(numbers.status).toBe(422);
    expect(numbers.body.errors[0]).toMatchObject({ code: 'invalid_filter', title: 'Invalid Attribute' });
    expect(numbers.body.errors[0].detail).toMatch(/^Unknown query parameter 'filter_nmae' \(did you mean 'filter_name'\?\)\. This list takes: filter_name, filter_number, page_size, page_number, page_token\.$/);
    expect((await server.api('/api/relay/rest/number_groups?name=x')).status).toBe(422);
    expect((await server.api('/api/messaging/opt_outs?handsett=x')).body.errors[0]).toMatchObject({ code: 'invalid_filter', attribute: 'handsett' });
    const inbox = await server.api('/api/simulator/messages?contain=code');
    expect(inbox.status).toBe(422);
    expect(inbox.body.errors[0]).toMatchObject({ code: 'invalid_filter', attribute: 'contain' });
    expect(inbox.body.errors[0].message).toMatch(/did you mean 'contains'/);
    expect((await server.api('/api/simulator/messages/wait?timout=1')).body.errors[0]).toMatchObject({ attribute: 'timout' });
  });

  it('still take their filters and paging', async () => {
    expect((await server.api('/api/relay/rest/phone_numbers?filter_name=a&filter_number=1&page_size=5')).status).toBe(200);
    expect((await server.api('/api/relay/rest/number_groups?filter_name=a&page_size=5')).status).toBe(200);
    expect((await server.api('/api/messaging/opt_outs?handset=%2B15557650001&page_size=5')).status).toBe(200);
    expect((await server.api('/api/simulator/messages?to=%2B15557650001&from=%2B15551230001&contains=x&limit=5&code_pattern=%5Cd%7B4%7D')).status).toBe(200);
    expect((await server.api('/api/simulator/messages/wait?to=%2B15557650001&timeout=0')).status).toBe(408);
  });
});

describe('Compatibility API lists', () => {
  it("a filter of another case (status= for Status=) is Twilio's 400 with the closest name", async () => {
    const res = await server.api(`${COMPAT}/Messages.json?status=delivered`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 10000, status: 400 });
    expect(res.body.message).toMatch(/^Unknown query parameter 'status' \(did you mean 'Status'\?\)\. This list takes: To, From, Status, DateSent, DateSent<, DateSent>, Page, PageSize, PageToken\.$/);
  });

  it('known filters still work, and other lists refuse unknown names too', async () => {
    expect(await bodies(`${COMPAT}/Messages.json?Status=delivered&PageSize=5`)).toEqual(['delivered-out']);
    const numbers = await server.api(`${COMPAT}/IncomingPhoneNumbers.json?PhoneNumbr=%2B1555`);
    expect(numbers.status).toBe(400);
    expect(numbers.body.message).toMatch(/did you mean 'PhoneNumber'/);
    expect((await server.api(`${COMPAT}/IncomingPhoneNumbers.json?PhoneNumber=%2B1555`)).status).toBe(200);
    expect((await server.api(`${COMPAT}/Applications.json?Friendlyname=x`)).body.message).toMatch(/did you mean 'FriendlyName'/);
  });
});

describe('simulator settings', () => {
  it('an unknown setting is a 422 suggesting the closest one, and changes nothing', async () => {
    const before = await server.api('/api/simulator/settings');
    const res = await server.api('/api/simulator/settings', { method: 'PUT', body: { delay: 200 } });
    expect(res.status).toBe(422);
    expect(res.body.errors[0]).toMatchObject({
      attribute: 'delay',
      message: "Unknown simulator setting 'delay' (did you mean 'delay_ms'?). The settings are delay_ms, delayed_receipt_ms, mms_receipts, rules.",
    });
    expect((await server.api('/api/simulator/settings')).body).toEqual(before.body);
  });

  it('what GET answers can be PUT back (magic_numbers is read-only and ignored)', async () => {
    const current = (await server.api('/api/simulator/settings')).body;
    const res = await server.api('/api/simulator/settings', { method: 'PUT', body: { ...current, delay_ms: 0 } });
    expect(res.status, res.text).toBe(200);
  });
});

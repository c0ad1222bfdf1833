/**
 * Found by a black-box fuzz campaign: the Compatibility API's message list answered an empty page
 * to `From=+1555…` (a `+` written as is, which a query string reads as a space), where the native
 * logs refuse the same filter with a hint. Its `To` and `From` are now read as the native `to`
 * and `from` are: a value that is no address a message can have is a 400 in Twilio's shape saying
 * to write `%2B`; the escaped number still lists the messages. The number searches
 * (`filter_number` of the native number lists, `PhoneNumber` of IncomingPhoneNumbers) answered
 * empty the same way to `+1555`: a space before the first digit matches no number, and is refused
 * with the same hint in each surface's shape. A second pass found `ShortCode` of SMS/ShortCodes
 * answering empty the same way to `+12345`: no short code holds a + or a space, and it is refused
 * saying so. The native short codes' `filter_number` refused the same `+12345` saying to write it
 * `%2B`, which finds no short code either: it now says a short code is digits only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
const list = `/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Messages.json`;
beforeAll(async () => {
  server = await startTestServer();
  const sent = await server.api('/api/messaging/messages', { body: { to: '+15551239999', from: NUMBERS[0], body: 'filter me' } });
  expect(sent.status, sent.text).toBe(201);
});
afterAll(() => server?.stop());

describe("the Compatibility API's To and From list filters", () => {
  for (const [name, value] of [['From', NUMBERS[0]!], ['To', '+15551239999']] as const) {
    it(`${name} with its + unescaped is a 400 saying to write %2B, not an empty page`, async () => {
      const raw = await server.api(`${list}?${name}=${value}`);
      expect(raw.status, raw.text).toBe(400);
      expect(raw.body).toMatchObject({ code: 10000, status: 400, message: expect.stringContaining(`write it %2B (${name}=%2B${value.slice(1)})`) });
      const escaped = await server.api(`${list}?${name}=${encodeURIComponent(value)}`);
      expect(escaped.status, escaped.text).toBe(200);
      expect(escaped.body.messages.map((m: { body: string }) => m.body)).toContain('filter me');
    });
  }

  it('still takes an address that is no phone number (an alphanumeric sender), matching nothing here', async () => {
    const res = await server.api(`${list}?From=ACME`);
    expect(res.status, res.text).toBe(200);
    expect(res.body.messages).toEqual([]);
  });
});

describe('the number searches, given a + written as is', () => {
  it('filter_number of the native phone numbers: 422 in the relay-rest shape with the %2B hint, the escaped one finds the number', async () => {
    const raw = await server.api('/api/relay/rest/phone_numbers?filter_number=+1555123');
    expect(raw.status, raw.text).toBe(422);
    expect(raw.body.errors[0]).toMatchObject({ status: '422', code: 'invalid_filter', detail: expect.stringContaining('write it %2B (filter_number=%2B1555123)') });
    const escaped = await server.api('/api/relay/rest/phone_numbers?filter_number=%2B1555123');
    expect(escaped.status, escaped.text).toBe(200);
    expect(escaped.body.data.map((n: { number: string }) => n.number)).toContain(NUMBERS[0]);
  });

  it("PhoneNumber of IncomingPhoneNumbers: 400 in Twilio's shape with the %2B hint, the escaped one (and digits alone) find the number", async () => {
    const path = `/api/laml/2010-04-01/Accounts/${PROJECT_ID}/IncomingPhoneNumbers.json`;
    const raw = await server.api(`${path}?PhoneNumber=+1555123`);
    expect(raw.status, raw.text).toBe(400);
    expect(raw.body).toMatchObject({ code: 10000, status: 400, message: expect.stringContaining('write it %2B (PhoneNumber=%2B1555123)') });
    for (const q of ['PhoneNumber=%2B1555123', 'PhoneNumber=1555123']) {
      const found = await server.api(`${path}?${q}`);
      expect(found.status, found.text).toBe(200);
      expect(found.body.incoming_phone_numbers.map((n: { phone_number: string }) => n.phone_number)).toContain(NUMBERS[0]);
    }
  });
});

describe('the ShortCode filter of SMS/ShortCodes, given a + written as is', () => {
  it("is a 400 in Twilio's shape saying a short code has no +; the digits alone find the short code", async () => {
    const registered = await server.api('/api/relay/rest/phone_numbers', { body: { number: '12345' } });
    expect(registered.status, registered.text).toBe(200);
    const path = `/api/laml/2010-04-01/Accounts/${PROJECT_ID}/SMS/ShortCodes.json`;
    const raw = await server.api(`${path}?ShortCode=+12345`);
    expect(raw.status, raw.text).toBe(400);
    expect(raw.body).toMatchObject({ code: 10000, status: 400, message: expect.stringContaining('a short code has neither (ShortCode=12345)') });
    const digits = await server.api(`${path}?ShortCode=12345`);
    expect(digits.status, digits.text).toBe(200);
    expect(digits.body.short_codes.map((c: { short_code: string }) => c.short_code)).toEqual(['12345']);
  });
});

describe('filter_number of the native short codes, given a + written as is', () => {
  it('is a 422 saying a short code is digits only, not to write %2B; the digits alone find the short code', async () => {
    const registered = await server.api('/api/relay/rest/phone_numbers', { body: { number: '13579' } });
    expect(registered.status, registered.text).toBe(200);
    const raw = await server.api('/api/relay/rest/short_codes?filter_number=+13579');
    expect(raw.status, raw.text).toBe(422);
    expect(raw.body.errors[0]).toMatchObject({ status: '422', code: 'invalid_filter', detail: expect.stringContaining('a short code has neither: it is digits only (filter_number=13579)') });
    expect(raw.body.errors[0].detail).not.toContain('%2B');
    const digits = await server.api('/api/relay/rest/short_codes?filter_number=13579');
    expect(digits.status, digits.text).toBe(200);
    expect(digits.body.data.map((c: { number: string }) => c.number)).toEqual(['13579']);
  });
});

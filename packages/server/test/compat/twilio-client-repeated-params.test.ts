/**
 * A parameter given more than once to a create or update other than a message's — twilio-node
 * writes a list passed for a one-value parameter as repeated keys (`FriendlyName=a&FriendlyName=b`)
 * — is refused with the code of an invalid value of that parameter and a message saying it was
 * repeated, as on Messages, rather than one saying the values are not text or not a URL, and
 * nothing is created or changed.
 */
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ID, startTestServer, type TestServer } from '../helpers/server.js';
import { rejection, twilioClient } from './clients.js';

let server: TestServer;
let client: twilio.Twilio;

beforeAll(async () => {
  server = await startTestServer();
  client = twilioClient(server.url);
});
afterAll(async () => {
  await server.stop();
});

/** What the client raised, in the fields the checks compare. */
async function refusal(p: Promise<unknown>): Promise<{ status: number; code: number; message: string }> {
  const err = await rejection(p);
  expect(err).toBeInstanceOf(twilio.RestException);
  return { status: err.status, code: err.code, message: err.message };
}

const twice = (name: string, code: number) => ({ status: 400, code, message: `The '${name}' parameter was given more than once; give it once.` });
// The client's types take one value: a list is the misuse these tests make on purpose.
const list = <T>(...values: T[]): T => values as unknown as T;

describe('a parameter given more than once, through the twilio client', () => {
  it('IncomingPhoneNumbers create and update, with each parameter’s own code; nothing registered or changed', async () => {
    const number = await client.incomingPhoneNumbers.create({ phoneNumber: '+15551233001', friendlyName: 'kept' });
    const app = await client.applications.create({ friendlyName: 'app' });
    for (const [params, name, code] of [
      [{ friendlyName: list('a', 'b') }, 'FriendlyName', 10000],
      [{ smsUrl: list('https://a.example.com/sms', 'https://b.example.com/sms') }, 'SmsUrl', 21402],
      [{ smsFallbackUrl: list('https://a.example.com/fb', 'https://b.example.com/fb') }, 'SmsFallbackUrl', 21402],
      [{ smsMethod: list('GET', 'POST') }, 'SmsMethod', 10000],
      [{ smsApplicationSid: list(app.sid, app.sid) }, 'SmsApplicationSid', 22108],
      [{ apiVersion: list('2010-04-01', '2010-04-01') }, 'ApiVersion', 10000],
      [{ accountSid: list(PROJECT_ID, PROJECT_ID) }, 'AccountSid', 21473],
    ] as const) {
      expect(await refusal(client.incomingPhoneNumbers(number.sid).update(params))).toEqual(twice(name, code));
    }
    expect(await client.incomingPhoneNumbers(number.sid).fetch()).toMatchObject({ friendlyName: 'kept', smsUrl: null, smsApplicationSid: null });
    expect(await refusal(client.incomingPhoneNumbers.create({ phoneNumber: list('+15551233002', '+15551233003') }))).toEqual(twice('PhoneNumber', 21421));
    expect(await refusal(client.incomingPhoneNumbers.create({ phoneNumber: '+15551233002', smsUrl: list('https://a.example.com/x', 'https://b.example.com/x') }))).toEqual(twice('SmsUrl', 21402));
    expect(await client.incomingPhoneNumbers.list({ phoneNumber: '+1555123300*' })).toHaveLength(1);
    // An unknown parameter repeated is ignored, as unknown parameters are.
    expect((await client.incomingPhoneNumbers(number.sid).update({ voiceUrl: list('https://a.example.com/v', 'https://b.example.com/v') })).friendlyName).toBe('kept');
  });

  it('SMS/ShortCodes update; a repeated parameter it does not take is ignored there', async () => {
    const code = await client.incomingPhoneNumbers.create({ phoneNumber: '54321', friendlyName: 'kept' });
    expect(await refusal(client.shortCodes(code.sid).update({ smsUrl: list('https://a.example.com/sc', 'https://b.example.com/sc') }))).toEqual(twice('SmsUrl', 21402));
    expect(await refusal(client.shortCodes(code.sid).update({ friendlyName: list('a', 'b') }))).toEqual(twice('FriendlyName', 10000));
    // SmsApplicationSid is IncomingPhoneNumbers' parameter, not ShortCode's (the client does not
    // even send it there): repeated in a form, it is ignored, as unknown ones are.
    const app = await client.applications.create({ friendlyName: 'sc app' });
    const raw = await server.api(`/2010-04-01/Accounts/${PROJECT_ID}/SMS/ShortCodes/${code.sid}.json`, {
      body: `SmsApplicationSid=${app.sid}&SmsApplicationSid=${app.sid}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(raw.status).toBe(200);
    expect(raw.body).toMatchObject({ friendly_name: 'kept', sms_url: null });
  });

  it('Applications create and update', async () => {
    const app = await client.applications.create({ friendlyName: 'kept' });
    for (const [params, name, code] of [
      [{ friendlyName: list('a', 'b') }, 'FriendlyName', 10000],
      [{ smsUrl: list('https://a.example.com/sms', 'https://b.example.com/sms') }, 'SmsUrl', 21402],
      [{ smsMethod: list('GET', 'POST') }, 'SmsMethod', 10000],
      [{ messageStatusCallback: list('https://a.example.com/s', 'https://b.example.com/s') }, 'MessageStatusCallback', 21609],
    ] as const) {
      expect(await refusal(client.applications(app.sid).update(params))).toEqual(twice(name, code));
    }
    expect((await client.applications(app.sid).fetch()).friendlyName).toBe('kept');
    const before = (await client.applications.list()).length;
    expect(await refusal(client.applications.create({ friendlyName: list('a', 'b') }))).toEqual(twice('FriendlyName', 10000));
    expect(await client.applications.list()).toHaveLength(before);
  });

  it('the account update and Feedback', async () => {
    expect(await refusal(client.api.v2010.accounts(PROJECT_ID).update({ friendlyName: list('a', 'b') }))).toEqual(twice('FriendlyName', 10000));
    expect((await client.api.v2010.account.fetch()).friendlyName).not.toBe('a');
    const m = await client.messages.create({ to: '+15557793001', from: '+15551230001', body: 'feedback' });
    expect(await refusal(client.messages(m.sid).feedback.create({ outcome: list('confirmed', 'unconfirmed') }))).toEqual(twice('Outcome', 10000));
  });
});

/**
 * Found by a black-box fuzz campaign: on the Compatibility API a form parameter given twice is
 * refused by the Messages create and update saying so ("The 'Body' parameter was given more than
 * once"), but the other writes read the two values as one list and refused it for something it is
 * not: `FriendlyName=a&FriendlyName=b` on an application, a number or the account was "must be a
 * string of at most 255 characters" (or "text of 1 to 64"), `SmsUrl` twice "must be an absolute
 * http or https URL", `PhoneNumber` twice quoted a JSON list as the number, `Outcome` twice on a
 * Feedback a list. Each now says the parameter was given more than once (400, with the code of an
 * invalid value of that parameter, as the Messages routes answer it) and changes
 * nothing; a parameter the route does not take is still ignored, repeated or not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

const ACC = `/2010-04-01/Accounts/${PROJECT_ID}`;
let server: TestServer;
let message: string;
let application: string;
let number: string;
beforeAll(async () => {
  server = await startTestServer();
  message = (await post(`${ACC}/Messages.json`, `From=${encodeURIComponent(NUMBERS[0]!)}&To=%2B15557650001&Body=x`)).body.sid;
  application = (await post(`${ACC}/Applications.json`, 'FriendlyName=app')).body.sid;
  const numbers = await server.api(`${ACC}/IncomingPhoneNumbers.json`);
  number = numbers.body.incoming_phone_numbers.find((n: { phone_number: string }) => n.phone_number === NUMBERS[1]).sid;
});
afterAll(() => server?.stop());

function post(path: string, form: string) {
  return server.api(path, { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
}

describe('a form parameter given twice on a Compatibility API write', () => {
  it('is refused naming it, 400 with its parameter\'s code, and nothing changes', async () => {
    for (const [path, form, name, code] of [
      [`${ACC}/Applications/${application}.json`, 'FriendlyName=a&FriendlyName=b', 'FriendlyName', 10000],
      [`${ACC}/Applications/${application}.json`, 'SmsUrl=https://a.example&SmsUrl=https://b.example', 'SmsUrl', 21402],
      [`${ACC}/Applications.json`, 'FriendlyName=a&SmsMethod=GET&SmsMethod=GET', 'SmsMethod', 10000],
      [`${ACC}/IncomingPhoneNumbers/${number}.json`, 'FriendlyName=a&FriendlyName=b', 'FriendlyName', 10000],
      [`${ACC}/IncomingPhoneNumbers.json`, 'PhoneNumber=%2B15551239991&PhoneNumber=%2B15551239992', 'PhoneNumber', 21421],
      [`${ACC}.json`, 'FriendlyName=a&FriendlyName=b', 'FriendlyName', 10000],
      [`${ACC}/Messages/${message}/Feedback.json`, 'Outcome=unconfirmed&Outcome=confirmed', 'Outcome', 10000],
    ] as const) {
      const res = await post(path, form);
      expect(res.status, `${path} ${form}: ${res.text}`).toBe(400);
      // Each with its parameter's own code (an invalid SmsUrl is 21402, a PhoneNumber 21421), as on Messages.
      expect(res.body, `${path} ${form}`).toMatchObject({ code, status: 400, message: `The '${name}' parameter was given more than once; give it once.` });
    }
    expect((await server.api(`${ACC}/Applications/${application}.json`)).body).toMatchObject({ friendly_name: 'app', sms_url: null });
    expect((await server.api(`${ACC}/Applications.json`)).body.applications).toHaveLength(1);
    expect((await server.api(`${ACC}/IncomingPhoneNumbers.json?PhoneNumber=%2B1555123999`)).body.incoming_phone_numbers).toEqual([]);
  });

  it('given once it is taken; a parameter the route does not take is ignored, repeated or not', async () => {
    const renamed = await post(`${ACC}/Applications/${application}.json`, 'FriendlyName=renamed&VoiceUrl=https://a.example&VoiceUrl=https://b.example');
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.body.friendly_name).toBe('renamed');
    // The Messages routes keep their own codes for a repeated parameter.
    const twice = await post(`${ACC}/Messages.json`, `From=${encodeURIComponent(NUMBERS[0]!)}&From=${encodeURIComponent(NUMBERS[0]!)}&To=%2B15557650001&Body=x`);
    expect(twice.body).toMatchObject({ code: 21212, message: "The 'From' parameter was given more than once; give it once." });
    // MediaUrl is a list: given twice, two media.
    const mms = await post(`${ACC}/Messages.json`, `From=${encodeURIComponent(NUMBERS[0]!)}&To=%2B15557650001&MediaUrl=https://a.example/1.png&MediaUrl=https://a.example/2.png`);
    expect(mms.status, mms.text).toBe(201);
    expect(Number(mms.body.num_media)).toBe(2);
  });
});

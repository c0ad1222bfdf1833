/**
 * Found by a black-box fuzz campaign: `ApiVersion=x` was taken without a word by the Compatibility
 * API's Applications create (201) and IncomingPhoneNumbers create, and by their updates, while
 * `SMS/ShortCodes/{Sid}` refuses it as documented. Each now refuses any ApiVersion but 2010-04-01
 * (the only one answered here; Twilio's other, 2008-08-01, is retired) with 400, 10000 naming it,
 * creating or changing nothing; 2010-04-01, or none, is taken as before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
const account = `/api/laml/2010-04-01/Accounts/${PROJECT_ID}`;
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const post = (path: string, body: string) => server.api(`${account}${path}`, { body, headers: FORM });
const REFUSED = { code: 10000, status: 400, message: 'ApiVersion must be 2010-04-01 (got "x").' };

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

describe('ApiVersion other than 2010-04-01', () => {
  it('is refused by the Applications create and update, creating and changing nothing', async () => {
    const bad = await post('/Applications.json', 'FriendlyName=apiv-bad&ApiVersion=x');
    expect(bad.status, bad.text).toBe(400);
    expect(bad.body).toMatchObject(REFUSED);
    expect((await server.api(`${account}/Applications.json?FriendlyName=apiv-bad`)).body.applications).toEqual([]);
    const ok = await post('/Applications.json', 'FriendlyName=apiv-ok&ApiVersion=2010-04-01');
    expect(ok.status, ok.text).toBe(201);
    const update = await post(`/Applications/${ok.body.sid}.json`, 'FriendlyName=apiv-renamed&ApiVersion=x');
    expect(update.status, update.text).toBe(400);
    expect(update.body).toMatchObject(REFUSED);
    expect((await server.api(`${account}/Applications/${ok.body.sid}.json`)).body.friendly_name).toBe('apiv-ok');
  });

  it('is refused by the IncomingPhoneNumbers create (and its Local one) and update, registering and changing nothing', async () => {
    for (const path of ['/IncomingPhoneNumbers.json', '/IncomingPhoneNumbers/Local.json']) {
      const bad = await post(path, 'PhoneNumber=%2B15551239907&ApiVersion=x');
      expect(bad.status, bad.text).toBe(400);
      expect(bad.body).toMatchObject(REFUSED);
    }
    expect((await server.api(`${account}/IncomingPhoneNumbers.json?PhoneNumber=%2B15551239907`)).body.incoming_phone_numbers).toEqual([]);
    const ok = await post('/IncomingPhoneNumbers.json', 'PhoneNumber=%2B15551239907&FriendlyName=apiv&ApiVersion=2010-04-01');
    expect(ok.status, ok.text).toBe(201);
    const update = await post(`/IncomingPhoneNumbers/${ok.body.sid}.json`, 'FriendlyName=renamed&ApiVersion=x');
    expect(update.status, update.text).toBe(400);
    expect(update.body).toMatchObject(REFUSED);
    expect((await server.api(`${account}/IncomingPhoneNumbers/${ok.body.sid}.json`)).body.friendly_name).toBe('apiv');
  });

  it('is refused by the SMS/ShortCodes update in the same words', async () => {
    const code = await post('/IncomingPhoneNumbers.json', 'PhoneNumber=24680&FriendlyName=apiv-code');
    expect(code.status, code.text).toBe(201);
    const bad = await post(`/SMS/ShortCodes/${code.body.sid}.json`, 'FriendlyName=renamed&ApiVersion=x');
    expect(bad.status, bad.text).toBe(400);
    expect(bad.body).toMatchObject(REFUSED);
    const ok = await post(`/SMS/ShortCodes/${code.body.sid}.json`, 'FriendlyName=renamed&ApiVersion=2010-04-01');
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.friendly_name).toBe('renamed');
  });
});

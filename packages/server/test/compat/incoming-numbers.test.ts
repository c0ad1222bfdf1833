import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InProcessBus } from '../../src/bus/in-process-bus.js';
import { randomIds } from '../../src/domain/ids.js';
import { ProjectService } from '../../src/engine/admin/project-service.js';
import { NUMBERS, PROJECT_ID, startTestServer, type TestServer } from '../helpers/server.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { rejection, twilioClient } from './clients.js';

let server: TestServer;
let receiver: WebhookReceiver;

beforeAll(async () => {
  server = await startTestServer();
  receiver = await startWebhookReceiver();
  receiver.respond(() => ({ status: 200, body: '<Response/>', headers: { 'Content-Type': 'text/xml' } }));
});
afterAll(async () => {
  await server.stop();
  await receiver.close();
});

describe('IncomingPhoneNumbers through the twilio client', () => {
  it('lists, registers, configures SmsUrl or an application, and releases numbers', async () => {
    const client = twilioClient(server.url);
    const listed = await client.incomingPhoneNumbers.list({ phoneNumber: '+1555123000' });
    expect(listed.map((n) => n.phoneNumber).sort()).toEqual([...NUMBERS].sort());
    expect(listed[0]!.capabilities).toEqual({ voice: true, sms: true, mms: true, fax: false });

    const created = await client.incomingPhoneNumbers.create({ phoneNumber: '+15551232001', friendlyName: 'Inbound', smsUrl: `${receiver.url}/in`, smsMethod: 'GET' });
    expect(created).toMatchObject({ phoneNumber: '+15551232001', friendlyName: 'Inbound', smsUrl: `${receiver.url}/in`, smsMethod: 'GET', accountSid: PROJECT_ID });
    const native = await server.api(`/api/relay/rest/phone_numbers/${created.sid}`);
    expect(native.body).toMatchObject({ message_handler: 'laml_webhooks', message_request_url: `${receiver.url}/in`, message_request_method: 'GET' });

    await server.api('/api/simulator/inbound', { body: { from: '+15557720001', to: '+15551232001', body: 'configured by twilio' } });
    const [req] = await receiver.waitFor(1, 10_000, (r) => r.path === '/in');
    expect(req!.method).toBe('GET');

    const app = await client.applications.create({ friendlyName: 'numbers app', smsUrl: `${receiver.url}/app` });
    const withApp = await client.incomingPhoneNumbers(created.sid).update({ smsApplicationSid: app.sid });
    expect(withApp.smsApplicationSid).toBe(app.sid);
    expect((await server.api(`/api/relay/rest/phone_numbers/${created.sid}`)).body.message_handler).toBe('laml_application');
    await server.api('/api/simulator/inbound', { body: { from: '+15557720001', to: '+15551232001', body: 'to the app' } });
    await receiver.waitFor(1, 10_000, (r) => r.path === '/app');

    expect(await rejection(client.incomingPhoneNumbers(created.sid).update({ smsApplicationSid: '3f1c2b7a-0000-4000-8000-00000000000a' }))).toMatchObject({ code: 22108 });
    expect(await rejection(client.incomingPhoneNumbers.create({ phoneNumber: 'not-a-number' }))).toMatchObject({ code: 21421 });
    expect(await rejection(client.incomingPhoneNumbers.create({ phoneNumber: NUMBERS[0]! }))).toMatchObject({ code: 21422 });

    expect(await client.incomingPhoneNumbers(created.sid).remove()).toBe(true);
    expect(await rejection(client.incomingPhoneNumbers(created.sid).fetch())).toMatchObject({ status: 404, code: 20404 });
  });

  it("filters by PhoneNumber with '*' standing for any one digit, as twilio documents the filter", async () => {
    const client = twilioClient(server.url);
    const list = async (phoneNumber: string) => (await client.incomingPhoneNumbers.list({ phoneNumber })).map((n) => n.phoneNumber).sort();
    expect(await list('555*230001')).toEqual([NUMBERS[0]]);
    expect(await list('+1555123000*')).toEqual([...NUMBERS].sort());
    expect(await list('1230001')).toEqual([NUMBERS[0]]);
    // '*' is a digit, never the '+', and SQL wildcards are taken literally.
    expect(await list('*15551230001')).toEqual([]);
    expect(await list('*5551230001')).toEqual([NUMBERS[0]]);
    expect(await list('555_230001')).toEqual([]);
    expect(await list('%')).toEqual([]);
  });

  it("gives every field of twilio's IncomingPhoneNumberInstance, with what is true of a number registered here", async () => {
    const client = twilioClient(server.url);
    const local = await client.incomingPhoneNumbers.local.create({ phoneNumber: '+15551232004' });
    const tollFree = await client.incomingPhoneNumbers.tollFree.create({ phoneNumber: '+18005551234' });
    // Twilio's fields beyond the messaging ones: the operator's own number, registered rather than
    // bought (origin hosted), in use until released, with no voice, emergency, address or trunk setup.
    const fixed = {
      origin: 'hosted', status: 'in-use', beta: false, addressRequirements: 'none',
      addressSid: null, identitySid: null, bundleSid: null, trunkSid: null,
      emergencyStatus: 'Inactive', emergencyAddressSid: null, emergencyAddressStatus: 'unregistered',
      voiceUrl: null, voiceMethod: null, voiceFallbackUrl: null, voiceFallbackMethod: null, voiceApplicationSid: null,
      voiceCallerIdLookup: false, voiceReceiveMode: null, statusCallback: null, statusCallbackMethod: null,
    };
    // (The Local subresource's instance, twilio's LocalInstance, has no `type`.)
    expect(local).toMatchObject(fixed);
    expect(await client.incomingPhoneNumbers(local.sid).fetch()).toMatchObject({ ...fixed, type: 'local' });
    expect((await client.incomingPhoneNumbers.list({ phoneNumber: '+15551232004' }))[0]).toMatchObject({ ...fixed, type: 'local' });
    expect(await client.incomingPhoneNumbers(tollFree.sid).fetch()).toMatchObject({ ...fixed, type: 'toll-free' });
    // Every property the client's instance has is one the answer gave (none left undefined).
    const instance = (await client.incomingPhoneNumbers(local.sid).fetch()) as unknown as Record<string, unknown>;
    const fields = Object.keys(instance).filter((k) => !k.startsWith('_') && typeof instance[k] !== 'function');
    expect(fields.filter((k) => instance[k] === undefined)).toEqual([]);
    expect(fields).toEqual(expect.arrayContaining(['origin', 'status', 'beta', 'type', 'voiceUrl', 'emergencyStatus', 'bundleSid']));
    await client.incomingPhoneNumbers(local.sid).remove();
    await client.incomingPhoneNumbers(tollFree.sid).remove();
  });

  it('names its own parameters in errors, and takes sids in any case as the other resources do', async () => {
    const client = twilioClient(server.url);
    const created = await client.incomingPhoneNumbers.create({ phoneNumber: '+15551232002' });
    const number = client.incomingPhoneNumbers(created.sid.toUpperCase());
    expect((await number.fetch()).sid).toBe(created.sid);
    // A URL that is not one is Twilio's 21402 ("Invalid Url", for a phone number's URL handler).
    for (const [params, name, code] of [
      [{ smsUrl: 'not a url' }, 'SmsUrl', 21402],
      [{ smsFallbackUrl: 'ftp://example.com/x' }, 'SmsFallbackUrl', 21402],
      [{ smsMethod: 'PUT' }, 'SmsMethod', 10000],
      [{ smsFallbackMethod: 'DELETE' }, 'SmsFallbackMethod', 10000],
      [{ friendlyName: 'n'.repeat(256) }, 'FriendlyName', 10000],
    ] as const) {
      const err = await rejection(number.update(params));
      expect(err).toMatchObject({ status: 400, code });
      expect(err.message.startsWith(`${name} must be`), err.message).toBe(true);
    }
    // So is one with spaces or controls around it (or a tab or line break in it), which a URL
    // parser would drop: refused, not trimmed, as MediaUrl and StatusCallback are.
    for (const [params, name] of [
      [{ smsUrl: ' https://example.com/sms' }, 'SmsUrl'],
      [{ smsFallbackUrl: 'https://example.com/fallback\n' }, 'SmsFallbackUrl'],
    ] as const) {
      const err = await rejection(number.update(params));
      expect(err).toMatchObject({ status: 400, code: 21402, message: expect.stringMatching(new RegExp(`^${name} ".*send the URL alone`)) });
      expect(await rejection(client.incomingPhoneNumbers.create({ phoneNumber: '+15551232003', ...params }))).toMatchObject({ status: 400, code: 21402 });
    }
    expect((await number.fetch()).smsUrl).toBeNull();
    const missing = await rejection(client.incomingPhoneNumbers.create({ friendlyName: 'no number' } as never));
    expect(missing).toMatchObject({ status: 400, code: 21421, message: expect.stringContaining('PhoneNumber is required') });

    // An application sid in upper case is the same application, stored as its sid.
    const app = await client.applications.create({ friendlyName: 'any case', smsUrl: `${receiver.url}/case` });
    expect((await number.update({ smsApplicationSid: app.sid.toUpperCase() })).smsApplicationSid).toBe(app.sid);
    expect(await number.remove()).toBe(true);
    expect(await rejection(client.incomingPhoneNumbers(created.sid).fetch())).toMatchObject({ status: 404, code: 20404 });
  });

  it("refuses to move a number to another account (Twilio's AccountSid transfer) rather than answering 200 and keeping it", async () => {
    const client = twilioClient(server.url);
    const created = await client.incomingPhoneNumbers.create({ phoneNumber: '+15551232004', friendlyName: 'stays' });
    const number = client.incomingPhoneNumbers(created.sid);
    // Twilio moves a number to the account named by AccountSid (a subaccount or the parent); there
    // are no other accounts here, so any other one is unrelated: Twilio's 21473, nothing changed.
    for (const accountSid of [`AC${'1'.repeat(32)}`, '00000000-0000-4000-8000-000000000000']) {
      const err = await rejection(number.update({ accountSid, friendlyName: 'moved' }));
      expect(err).toMatchObject({ status: 400, code: 21473, message: expect.stringContaining(accountSid), moreInfo: 'https://www.twilio.com/docs/errors/21473' });
    }
    expect(await number.fetch()).toMatchObject({ accountSid: PROJECT_ID, friendlyName: 'stays' });
    // Its own account, in any case, is no transfer: the update goes ahead.
    expect((await number.update({ accountSid: PROJECT_ID.toUpperCase(), friendlyName: 'renamed' })).friendlyName).toBe('renamed');
    // An unknown application is named as it was given, not as it is looked up.
    const unknownApp = `AP${'A'.repeat(32)}`;
    expect(await rejection(number.update({ smsApplicationSid: unknownApp }))).toMatchObject({ status: 400, code: 22108, message: expect.stringContaining(`"${unknownApp}"`) });
  });

  it("answers a search for numbers to buy with an empty list (there is no inventory), as the first step of Twilio's buy-a-number flow does it", async () => {
    const client = twilioClient(server.url);
    // twilio's quickstart: search, then create the number found. Without the search answering, a
    // ported program ends on a 404 before it registers anything.
    expect(await client.availablePhoneNumbers('US').local.list({ areaCode: 510, smsEnabled: true, limit: 20 })).toEqual([]);
    expect(await client.availablePhoneNumbers('US').tollFree.list({ contains: '800' })).toEqual([]);
    expect(await client.availablePhoneNumbers('GB').mobile.list()).toEqual([]);
    expect(await client.availablePhoneNumbers.list()).toEqual([]);
    const page = await client.availablePhoneNumbers('US').local.page({ inRegion: 'CA', pageSize: 5 });
    expect(page.instances).toEqual([]);
    expect(page.nextPageUrl).toBeUndefined();
    // A misspelt parameter is refused as on the other lists; an unknown type or country is no resource.
    const raw = await server.api(`/2010-04-01/Accounts/${PROJECT_ID}/AvailablePhoneNumbers/US/Local.json?Areacode=510`);
    expect(raw).toMatchObject({ status: 400, body: { code: 10000, message: expect.stringContaining('AreaCode') } });
    expect(await server.api(`/2010-04-01/Accounts/${PROJECT_ID}/AvailablePhoneNumbers/US/Premium.json`)).toMatchObject({ status: 404, body: { code: 20404 } });
    expect((await server.api(`/api/laml/2010-04-01/Accounts/${PROJECT_ID}/AvailablePhoneNumbers/USA/Local.json`)).status).toBe(404);
  });

  it("refuses an AreaCode that is not three digits with Twilio's 21451 (invalid area code), not an empty list that reads as 'none left'", async () => {
    const client = twilioClient(server.url);
    await expect(client.availablePhoneNumbers('US').local.list({ areaCode: 'abc' as unknown as number })).rejects.toMatchObject({ status: 400, code: 21451, moreInfo: 'https://www.twilio.com/docs/errors/21451' });
    for (const bad of ['abc', '51', '5100', '51a', '%20510']) {
      const raw = await server.api(`/2010-04-01/Accounts/${PROJECT_ID}/AvailablePhoneNumbers/US/Local.json?AreaCode=${bad}`);
      expect(raw, bad).toMatchObject({ status: 400, body: { code: 21451, message: expect.stringContaining('AreaCode') } });
    }
    // Three digits is a search like any other: an empty list (there is no inventory).
    expect(await client.availablePhoneNumbers('US').tollFree.list({ areaCode: 800 })).toEqual([]);
  });

  it("lists and registers numbers of one type through Twilio's Local and TollFree subresources", async () => {
    const client = twilioClient(server.url);
    const local = await client.incomingPhoneNumbers.local.create({ phoneNumber: '+15551233001', friendlyName: 'local one', smsUrl: `${receiver.url}/local` });
    expect(local).toMatchObject({ phoneNumber: '+15551233001', friendlyName: 'local one', smsUrl: `${receiver.url}/local`, accountSid: PROJECT_ID });
    const tollFree = await client.incomingPhoneNumbers.tollFree.create({ phoneNumber: '+18885550123' });
    expect(tollFree.phoneNumber).toBe('+18885550123');
    // Each subresource lists its own type; the resource itself lists them all, with the same sids.
    const locals = await client.incomingPhoneNumbers.local.list({ pageSize: 1 });
    expect(locals.map((n) => n.phoneNumber)).toContain('+15551233001');
    expect(locals.map((n) => n.phoneNumber)).not.toContain('+18885550123');
    expect((await client.incomingPhoneNumbers.tollFree.list()).map((n) => n.sid)).toEqual([tollFree.sid]);
    expect((await client.incomingPhoneNumbers.local.list({ phoneNumber: '+15551233001' })).map((n) => n.sid)).toEqual([local.sid]);
    expect((await client.incomingPhoneNumbers.list({ phoneNumber: '+18885550123' })).map((n) => n.sid)).toEqual([tollFree.sid]);
    const page = await client.incomingPhoneNumbers.local.page({ pageSize: 1 });
    expect(page.nextPageUrl).toMatch(new RegExp(`/api/laml/2010-04-01/Accounts/${PROJECT_ID}/IncomingPhoneNumbers/Local\\.json\\?Page=1&PageSize=1&PageToken=PAS`));
    // A number of the other type is refused there, naming where it belongs; nothing is registered.
    const wrong = await rejection(client.incomingPhoneNumbers.local.create({ phoneNumber: '+18885550124' }));
    expect(wrong).toMatchObject({ status: 400, code: 21421, message: expect.stringContaining('IncomingPhoneNumbers/TollFree') });
    expect(await rejection(client.incomingPhoneNumbers.tollFree.create({ phoneNumber: '+15551233002' }))).toMatchObject({ status: 400, code: 21421 });
    expect(await client.incomingPhoneNumbers.list({ phoneNumber: '+18885550124' })).toEqual([]);
    // Mobile numbers are not modelled (Switchboard knows long codes, toll-free numbers and short codes).
    expect(await rejection(client.incomingPhoneNumbers.mobile.list())).toMatchObject({ status: 404, code: 20404 });
    expect(await client.incomingPhoneNumbers(local.sid).remove()).toBe(true);
    expect(await client.incomingPhoneNumbers(tollFree.sid).remove()).toBe(true);
  });

  it("lists, fetches and configures short codes through Twilio's SMS/ShortCodes resource, and an inbound message reaches the SmsUrl set there", async () => {
    const client = twilioClient(server.url);
    // Short codes are registered as numbers are (natively, or with IncomingPhoneNumbers).
    const registered = (await server.api('/api/relay/rest/phone_numbers', { body: { number: '24680', name: 'promo' } })).body;
    await server.api('/api/relay/rest/phone_numbers', { body: { number: '135791' } });
    const codes = await client.shortCodes.list();
    expect(codes.map((c) => c.shortCode)).toEqual(['135791', '24680']);
    expect(codes[1]).toMatchObject({ sid: registered.id, accountSid: PROJECT_ID, apiVersion: '2010-04-01', friendlyName: 'promo', shortCode: '24680', smsUrl: null, smsMethod: 'POST', uri: `/api/laml/2010-04-01/Accounts/${PROJECT_ID}/SMS/ShortCodes/${registered.id}.json` });
    expect(codes[1]!.dateCreated).toBeInstanceOf(Date);
    expect((await client.shortCodes.list({ shortCode: '2468*' })).map((c) => c.sid)).toEqual([registered.id]);
    expect((await client.shortCodes.list({ friendlyName: 'promo' })).map((c) => c.sid)).toEqual([registered.id]);
    const page = await client.shortCodes.page({ pageSize: 1 });
    expect(page.nextPageUrl).toMatch(new RegExp(`/api/laml/2010-04-01/Accounts/${PROJECT_ID}/SMS/ShortCodes\\.json\\?Page=1&PageSize=1&PageToken=PAS`));
    expect((await client.shortCodes.list({ pageSize: 1 })).map((c) => c.shortCode)).toEqual(['135791', '24680']);
    expect((await client.shortCodes(registered.id).fetch()).shortCode).toBe('24680');
    const updated = await client.shortCodes(registered.id).update({ friendlyName: 'renamed', smsUrl: `${receiver.url}/short`, smsMethod: 'GET', apiVersion: '2010-04-01' });
    expect(updated).toMatchObject({ friendlyName: 'renamed', smsUrl: `${receiver.url}/short`, smsMethod: 'GET' });
    expect(await rejection(client.shortCodes(registered.id).update({ smsUrl: 'not a url' }))).toMatchObject({ status: 400, code: 21402, message: expect.stringContaining('SmsUrl') });
    // The SmsUrl set there answers inbound messages to the short code.
    await server.api('/api/simulator/inbound', { body: { from: '+15557652001', to: '24680', body: 'JOIN' } });
    const [request] = await receiver.waitFor(1, 10_000, (r) => r.path === '/short');
    expect(request!.method).toBe('GET');
    expect(new URLSearchParams(request!.url.split('?')[1]).get('Body')).toBe('JOIN');
    // A number that is not a short code is not found here; IncomingPhoneNumbers lists long codes and toll-free numbers.
    const longCode = (await client.incomingPhoneNumbers.list({ phoneNumber: NUMBERS[0]! }))[0]!;
    expect(await rejection(client.shortCodes(longCode.sid).fetch())).toMatchObject({ status: 404, code: 20404 });
    expect(await rejection(client.shortCodes(longCode.sid).update({ friendlyName: 'x' }))).toMatchObject({ status: 404, code: 20404 });
    // A filter of IncomingPhoneNumbers is not one here (ShortCode is).
    expect(await server.api(`/2010-04-01/Accounts/${PROJECT_ID}/SMS/ShortCodes.json?PhoneNumber=1`)).toMatchObject({ status: 400, body: { code: 10000 } });
  });

  it('keeps short codes to SMS/ShortCodes: IncomingPhoneNumbers neither lists, fetches nor updates them, and releases them', async () => {
    const client = twilioClient(server.url);
    const code = (await server.api('/api/relay/rest/phone_numbers', { body: { number: '86420', name: 'apart' } })).body;
    expect((await client.shortCodes.list({ shortCode: '86420' })).map((c) => c.sid)).toEqual([code.id]);
    // Twilio's IncomingPhoneNumbers are phone numbers (sids PN…), its short codes another resource (SC…).
    const listed = await client.incomingPhoneNumbers.list();
    expect(listed.length).toBeGreaterThanOrEqual(NUMBERS.length);
    expect(listed.map((n) => n.sid)).not.toContain(code.id);
    expect(listed.map((n) => n.phoneNumber)).not.toContain('86420');
    expect(await client.incomingPhoneNumbers.list({ phoneNumber: '86420' })).toEqual([]);
    expect(await client.incomingPhoneNumbers.list({ friendlyName: 'apart' })).toEqual([]);
    expect(await rejection(client.incomingPhoneNumbers(code.id).fetch())).toMatchObject({ status: 404, code: 20404 });
    expect(await rejection(client.incomingPhoneNumbers(code.id).update({ friendlyName: 'x' }))).toMatchObject({ status: 404, code: 20404 });
    expect((await client.shortCodes(code.id).fetch()).friendlyName).toBe('apart');
    // Registered as numbers are, and released the same way (Twilio releases neither here).
    expect(await client.incomingPhoneNumbers(code.id).remove()).toBe(true);
    expect(await rejection(client.shortCodes(code.id).fetch())).toMatchObject({ status: 404, code: 20404 });
  });

  it('needs the numbers scope', async () => {
    // A server of its own, so the new token is read fresh (credentials are cached briefly).
    const own = await startTestServer();
    try {
      const projects = new ProjectService({ store: own.store, clock: { now: () => Date.now() }, ids: randomIds, bus: new InProcessBus() });
      const issued = await projects.issueToken(PROJECT_ID, { name: 'messaging only', scopes: ['messaging'] });
      const auth = `Basic ${Buffer.from(`${PROJECT_ID}:${issued.token}`).toString('base64')}`;
      const numbers = await own.api(`/2010-04-01/Accounts/${PROJECT_ID}/IncomingPhoneNumbers.json`, { auth });
      expect(numbers.status).toBe(401);
      expect(numbers.body.code).toBe(20003);
      expect(numbers.body.message).toMatch(/numbers/);
      expect((await own.api(`/2010-04-01/Accounts/${PROJECT_ID}/AvailablePhoneNumbers/US/Local.json`, { auth })).body.code).toBe(20003);
      const messages = await own.api(`/2010-04-01/Accounts/${PROJECT_ID}/Messages.json`, { auth });
      expect(messages.status).toBe(200);
    } finally {
      await own.stop();
    }
  });
});

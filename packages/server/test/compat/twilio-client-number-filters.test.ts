/**
 * The IncomingPhoneNumbers list filters the official clients send besides PhoneNumber and
 * FriendlyName: `Origin` and `Beta` (twilio-node's IncomingPhoneNumberListInstanceOptions, the
 * same on `/Local` and `/TollFree`). Every number here is `origin` `hosted` and `beta` false, and
 * the filters must say so: Origin "twilio or hosted" (Twilio; SignalWire's own numbers are
 * `signalwire`) keeps the numbers of that origin only; Beta ("whether to include phone numbers new
 * to the platform", default true) hides none, as none is new. FriendlyName matches the whole
 * `friendly_name`, on numbers and short codes alike.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NUMBERS, PROJECT_ID, startTestServer, type TestServer } from '../helpers/server.js';
import { dataDirTrustedByTests } from '../helpers/tls.js';
import { rejection, signalwireClient, twilioClient } from './clients.js';

let server: TestServer;
let dataDir: string;

beforeAll(async () => {
  dataDir = dataDirTrustedByTests();
  server = await startTestServer({ httpsEnabled: true }, { dataDir });
});
afterAll(async () => {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const numbersOf = (list: Array<{ phoneNumber: string }>) => list.map((n) => n.phoneNumber).sort();

describe('IncomingPhoneNumbers and ShortCodes list filters', () => {
  it('twilio: Origin=hosted lists every number (all are hosted), Origin=twilio none, on the list and its Local and TollFree subresources', async () => {
    const client = twilioClient(server.url);
    const tollFree = await client.incomingPhoneNumbers.tollFree.create({ phoneNumber: '+18005550177' });
    try {
      const all = [...NUMBERS, '+18005550177'].sort();
      expect(numbersOf(await client.incomingPhoneNumbers.list())).toEqual(all);
      expect(numbersOf(await client.incomingPhoneNumbers.list({ origin: 'hosted' }))).toEqual(all);
      expect(await client.incomingPhoneNumbers.list({ origin: 'twilio' })).toEqual([]);
      expect(numbersOf(await client.incomingPhoneNumbers.local.list({ origin: 'hosted' }))).toEqual([...NUMBERS].sort());
      expect(await client.incomingPhoneNumbers.local.list({ origin: 'twilio' })).toEqual([]);
      expect(await client.incomingPhoneNumbers.tollFree.list({ origin: 'twilio' })).toEqual([]);
      // With the other filters, the same.
      expect(await client.incomingPhoneNumbers.list({ origin: 'twilio', phoneNumber: NUMBERS[0]! })).toEqual([]);
      expect(numbersOf(await client.incomingPhoneNumbers.list({ origin: 'hosted', phoneNumber: NUMBERS[0]! }))).toEqual([NUMBERS[0]]);
    } finally {
      await client.incomingPhoneNumbers(tollFree.sid).remove();
    }
  });

  it('twilio: Beta, true or false, hides no number (none is new to the platform)', async () => {
    const client = twilioClient(server.url);
    expect(numbersOf(await client.incomingPhoneNumbers.list({ beta: true }))).toEqual([...NUMBERS].sort());
    expect(numbersOf(await client.incomingPhoneNumbers.list({ beta: false }))).toEqual([...NUMBERS].sort());
  });

  it("@signalwire/compatibility-api: Origin=signalwire (SignalWire's own numbers) lists none, Origin=hosted every number", async () => {
    const client = signalwireClient(server.httpsUrl!);
    expect(await client.incomingPhoneNumbers.list({ origin: 'signalwire' })).toEqual([]);
    expect(numbersOf(await client.incomingPhoneNumbers.list({ origin: 'hosted' }))).toEqual([...NUMBERS].sort());
  });

  it('refuses an Origin that is no origin, or a Beta that is not true or false, with 10000 naming the parameter', async () => {
    const client = twilioClient(server.url);
    const origin = await rejection(client.incomingPhoneNumbers.list({ origin: 'elsewhere' }));
    expect(origin).toMatchObject({ status: 400, code: 10000, message: expect.stringContaining('Origin') });
    const beta = await server.api(`/2010-04-01/Accounts/${PROJECT_ID}/IncomingPhoneNumbers.json?Beta=maybe`);
    expect(beta.status).toBe(400);
    expect(beta.body).toMatchObject({ code: 10000, status: 400, message: expect.stringContaining('Beta') });
  });

  it('FriendlyName matches the whole friendly_name, as SignalWire documents ("exactly match") and Twilio answers, on numbers and short codes', async () => {
    const client = twilioClient(server.url);
    const sales = await client.incomingPhoneNumbers.create({ phoneNumber: '+15551239101', friendlyName: 'Sales' });
    const east = await client.incomingPhoneNumbers.create({ phoneNumber: '+15551239102', friendlyName: 'Sales East' });
    // A number registered without a name shows its number as friendly_name, and is found by it.
    const unnamed = await server.api('/api/relay/rest/phone_numbers', { body: { number: '+15551239103' } });
    const code = await server.api('/api/relay/rest/phone_numbers', { body: { number: '97531', name: 'Sales' } });
    const code2 = await server.api('/api/relay/rest/phone_numbers', { body: { number: '97532', name: 'Sales East' } });
    try {
      expect((await client.incomingPhoneNumbers.list({ friendlyName: 'Sales' })).map((n) => n.sid)).toEqual([sales.sid]);
      expect((await client.incomingPhoneNumbers.list({ friendlyName: 'Sales East' })).map((n) => n.sid)).toEqual([east.sid]);
      expect(await client.incomingPhoneNumbers.list({ friendlyName: 'Sal' })).toEqual([]);
      expect(await client.incomingPhoneNumbers.list({ friendlyName: 'sales' })).toEqual([]);
      expect((await client.incomingPhoneNumbers.local.list({ friendlyName: 'Sales' })).map((n) => n.sid)).toEqual([sales.sid]);
      const byNumber = await client.incomingPhoneNumbers.list({ friendlyName: '+15551239103' });
      expect(byNumber.map((n) => [n.sid, n.friendlyName])).toEqual([[unnamed.body.id, '+15551239103']]);
      expect((await client.shortCodes.list({ friendlyName: 'Sales' })).map((c) => c.sid)).toEqual([code.body.id]);
      expect(await client.shortCodes.list({ friendlyName: 'East' })).toEqual([]);
    } finally {
      for (const sid of [sales.sid, east.sid, unnamed.body.id, code.body.id, code2.body.id]) await client.incomingPhoneNumbers(sid).remove();
    }
  });
});

/**
 * Applications through the official clients, as a campaign that keeps its webhook configuration
 * in one cXML application: every field of twilio's ApplicationInstance is in the answer (the
 * voice ones as what is true here: no voice), create / list with FriendlyName / update / remove,
 * and the same through @signalwire/compatibility-api.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ID, startTestServer, type TestServer } from '../helpers/server.js';
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

/** The properties a client's instance has that the answer left out (undefined rather than null). */
function missingFields(instance: object): string[] {
  const record = instance as Record<string, unknown>;
  return Object.keys(record).filter((k) => !k.startsWith('_') && typeof record[k] !== 'function' && record[k] === undefined);
}

/**
 * What SignalWire's Application resource shows for voice (developer.signalwire.com, Applications:
 * voice_url, voice_method, voice_fallback_*, voice_caller_id_lookup, status_callback*) and twilio's
 * ApplicationInstance reads (also public_application_connect_enabled): Switchboard has no voice.
 */
const NO_VOICE = {
  voiceUrl: null,
  voiceMethod: null,
  voiceFallbackUrl: null,
  voiceFallbackMethod: null,
  voiceCallerIdLookup: false,
  statusCallback: null,
  statusCallbackMethod: null,
  publicApplicationConnectEnabled: false,
};

describe('Applications through the twilio client', () => {
  it("gives every field of twilio's ApplicationInstance on create, fetch, list and update, none left undefined", async () => {
    const client = twilioClient(server.url);
    const created = await client.applications.create({
      friendlyName: 'campaign app',
      smsUrl: 'https://hooks.example.com/sms',
      smsMethod: 'GET',
      smsFallbackUrl: 'https://hooks.example.com/fallback',
      smsFallbackMethod: 'POST',
      messageStatusCallback: 'https://hooks.example.com/status',
      // Voice parameters are ignored: the answer says there is no voice.
      voiceUrl: 'https://hooks.example.com/voice',
      voiceCallerIdLookup: true,
    });
    const expected = {
      sid: created.sid,
      accountSid: PROJECT_ID,
      apiVersion: '2010-04-01',
      friendlyName: 'campaign app',
      smsUrl: 'https://hooks.example.com/sms',
      smsMethod: 'GET',
      smsFallbackUrl: 'https://hooks.example.com/fallback',
      smsFallbackMethod: 'POST',
      smsStatusCallback: 'https://hooks.example.com/status',
      messageStatusCallback: 'https://hooks.example.com/status',
      uri: `/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Applications/${created.sid}.json`,
      ...NO_VOICE,
    };
    expect(created).toMatchObject(expected);
    expect(missingFields(created)).toEqual([]);
    const fetched = await client.applications(created.sid).fetch();
    expect(fetched).toMatchObject(expected);
    expect(missingFields(fetched)).toEqual([]);
    const [listed] = await client.applications.list({ friendlyName: 'campaign app' });
    expect(listed).toMatchObject(expected);
    expect(missingFields(listed!)).toEqual([]);
    const updated = await client.applications(created.sid).update({ smsUrl: 'https://hooks.example.com/sms2', smsMethod: 'POST' });
    expect(updated).toMatchObject({ ...expected, smsUrl: 'https://hooks.example.com/sms2', smsMethod: 'POST' });
    expect(missingFields(updated)).toEqual([]);
    expect(updated.dateUpdated).toBeInstanceOf(Date);
    expect(await client.applications(created.sid).remove()).toBe(true);
    expect(await rejection(client.applications(created.sid).fetch())).toMatchObject({ status: 404, code: 20404 });
  });

  it('filters the list by FriendlyName and pages it with each() and list({limit, pageSize})', async () => {
    const client = twilioClient(server.url);
    const sids: string[] = [];
    for (let i = 0; i < 7; i++) sids.push((await client.applications.create({ friendlyName: 'paged app' })).sid);
    await client.applications.create({ friendlyName: 'other app' });
    const newestFirst = [...sids].reverse();
    expect((await client.applications.list({ friendlyName: 'paged app', pageSize: 2 })).map((a) => a.sid)).toEqual(newestFirst);
    expect((await client.applications.list({ friendlyName: 'paged app', pageSize: 3, limit: 5 })).map((a) => a.sid)).toEqual(newestFirst.slice(0, 5));
    const seen: string[] = [];
    await client.applications.each({ friendlyName: 'paged app', pageSize: 3 }, (a) => {
      seen.push(a.sid);
    });
    expect(seen).toEqual(newestFirst);
  });
});

describe('Applications through @signalwire/compatibility-api', () => {
  it('answers every field its ApplicationInstance reads', async () => {
    const client = signalwireClient(server.httpsUrl!);
    const created = await client.applications.create({ friendlyName: 'sdk campaign app', smsUrl: 'https://hooks.example.com/sw' });
    expect(created).toMatchObject({ friendlyName: 'sdk campaign app', smsUrl: 'https://hooks.example.com/sw', smsMethod: 'POST', voiceUrl: null, voiceCallerIdLookup: false, statusCallback: null });
    const fetched = await client.applications(created.sid).fetch();
    expect(missingFields(fetched)).toEqual([]);
    expect(await client.applications(created.sid).remove()).toBe(true);
  });
});

import { rmSync } from 'node:fs';
import { RestClient } from '@signalwire/compatibility-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from '../helpers/server.js';
import { dataDirTrustedByTests } from '../helpers/tls.js';
import { rejection, signalwireClient } from './clients.js';

let server: TestServer;
let client: any;
let dataDir: string;

beforeAll(async () => {
  dataDir = dataDirTrustedByTests();
  server = await startTestServer({ httpsEnabled: true }, { dataDir });
  client = signalwireClient(server.httpsUrl!);
});
afterAll(async () => {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('@signalwire/compatibility-api over HTTPS with the generated CA', () => {
  it('creates a message with every parameter, then fetches it', async () => {
    const group = await server.api('/api/relay/rest/number_groups', { body: { name: 'sdk', sticky_sender: true } });
    const app = await client.applications.create({ friendlyName: 'sdk app' });
    const m = await client.messages.create({
      to: '+15557660001',
      from: NUMBERS[0],
      messagingServiceSid: group.body.id,
      body: 'From the SignalWire SDK',
      mediaUrl: ['https://cdn.example.com/photo.jpg'],
      sendAsMms: true,
      statusCallback: 'https://hooks.example.com/status',
      applicationSid: app.sid,
      maxPrice: '0.25',
      validityPeriod: 3600,
    });
    expect(m).toMatchObject({ accountSid: PROJECT_ID, to: '+15557660001', from: NUMBERS[0], status: 'queued', numMedia: 1, messagingServiceSid: group.body.id, direction: 'outbound-api' });
    const f = await client.messages(m.sid).fetch();
    expect(f).toMatchObject({ sid: m.sid, body: 'From the SignalWire SDK' });
    expect(f.dateCreated).toBeInstanceOf(Date);
    const stored = await server.store.messages.get(PROJECT_ID, m.sid);
    // The application has no status callback, so the message's own is kept.
    expect(stored).toMatchObject({ statusCallback: 'https://hooks.example.com/status', validityPeriod: 3600, maxPrice: '0.25', applicationId: app.sid });
  });

  it('lists across several pages with each() and list({limit})', async () => {
    const to = '+15557669999';
    const sids: string[] = [];
    for (let i = 0; i < 5; i++) sids.push((await client.messages.create({ to, from: NUMBERS[1], body: `sdk page ${i}` })).sid);
    const newestFirst = [...sids].reverse();
    expect((await client.messages.list({ to, limit: 5, pageSize: 2 })).map((m: any) => m.sid)).toEqual(newestFirst);
    // Given only a limit, the client sends it as the PageSize: above 1000, pages of 1000 answer it.
    expect((await client.messages.list({ to, limit: 2000 })).map((m: any) => m.sid)).toEqual(newestFirst);
    const seen: string[] = [];
    await new Promise<void>((resolve, reject) => client.messages.each({ to, pageSize: 2, done: (err?: Error) => (err ? reject(err) : resolve()) }, (m: any) => seen.push(m.sid)));
    expect(seen).toEqual(newestFirst);
    const page1 = await client.messages.page({ to, pageSize: 2 });
    expect(page1.nextPageUrl).toMatch(new RegExp(`^https://${server.httpsUrl!.replace(/^https:\/\//, '').replace(/\./g, '\\.')}/api/laml/2010-04-01/`));
  });

  it('redacts, deletes, and manages media', async () => {
    const m = await client.messages.create({ to: '+15557660002', from: NUMBERS[0], body: 'to be redacted', mediaUrl: ['https://cdn.example.com/x.png', 'https://cdn.example.com/y.mp4'] });
    await eventually(async () => ((await client.messages(m.sid).fetch()).status === 'delivered' ? true : undefined));
    expect((await client.messages(m.sid).update({ body: '' })).body).toBe('');
    const media = await client.messages(m.sid).media.list();
    expect(media.map((x: any) => x.contentType)).toEqual(['image/png', 'video/mp4']);
    expect((await client.messages(m.sid).media(media[0].sid).fetch()).parentSid).toBe(m.sid);
    expect(await client.messages(m.sid).media(media[0].sid).remove()).toBe(true);
    expect((await client.messages(m.sid).media.list()).length).toBe(1);
    expect(await client.messages(m.sid).remove()).toBe(true);
    expect(await rejection(client.messages(m.sid).fetch())).toMatchObject({ status: 404, code: 20404 });
  });

  it('searches for numbers to buy: an empty list, as there is no inventory', async () => {
    expect(await client.availablePhoneNumbers('US').local.list({ areaCode: 512 })).toEqual([]);
    expect(await client.availablePhoneNumbers('US').tollFree.list()).toEqual([]);
  });

  it('lists, fetches and updates short codes (SMS/ShortCodes), which are registered as numbers are', async () => {
    const registered = (await server.api('/api/relay/rest/phone_numbers', { body: { number: '97531' } })).body;
    expect((await client.shortCodes.list()).map((c: any) => [c.sid, c.shortCode])).toEqual([[registered.id, '97531']]);
    expect(await client.shortCodes(registered.id).update({ smsUrl: 'https://example.com/sc', friendlyName: 'sw' })).toMatchObject({ shortCode: '97531', smsUrl: 'https://example.com/sc', friendlyName: 'sw' });
    expect((await client.shortCodes(registered.id).fetch()).smsUrl).toBe('https://example.com/sc');
  });

  it('surfaces errors as its RestException with our codes', async () => {
    const err = await rejection(client.messages.create({ to: '+15557660003', from: NUMBERS[0] }));
    expect(err.constructor.name).toBe('RestException');
    expect(err).toMatchObject({ status: 400, code: 21602 });
    expect(await rejection(client.messages.create({ to: '+15557660003', body: 'x' }))).toMatchObject({ status: 400, code: 21603 });
    expect(await rejection(client.messages.create({ to: '+15557660003', from: NUMBERS[0], body: 'x', validityPeriod: 172801 }))).toMatchObject({ code: 21624 });
    const wrong = RestClient(PROJECT_ID, 'PTwrongToken', { signalwireSpaceUrl: server.httpsUrl!.replace(/^https:\/\//, '') });
    expect(await rejection(wrong.messages.list())).toMatchObject({ status: 401, code: 20003 });
  });
});

import { rmSync } from 'node:fs';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, phoneNumberId } from '../helpers/projects.js';
import { eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from '../helpers/server.js';
import { dataDirTrustedByTests } from '../helpers/tls.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { rejection, signalwireClient, twilioClient } from './clients.js';

let server: TestServer;
let receiver: WebhookReceiver;
let client: twilio.Twilio;
let dataDir: string;

beforeAll(async () => {
  dataDir = dataDirTrustedByTests();
  server = await startTestServer(
    { httpsEnabled: true, pricing: { unit: 'USD', rules: [{ prefix: '+1', kind: 'sms', direction: 'outbound', perSegment: 0.0079 }, { prefix: '+1', kind: 'mms', direction: 'outbound', perSegment: 0.02 }, { prefix: '+15551230001', kind: 'sms', direction: 'inbound', perSegment: 0.0075 }] } },
    { dataDir },
  );
  receiver = await startWebhookReceiver();
  client = twilioClient(server.httpsUrl!);
});
afterAll(async () => {
  await server.stop();
  await receiver.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function numberGroup(name: string, numbers: string[], sticky = true): Promise<string> {
  const group = await server.api('/api/relay/rest/number_groups', { body: { name, sticky_sender: sticky } });
  expect(group.status).toBe(200);
  for (const n of numbers) {
    const m = await server.api(`/api/relay/rest/number_groups/${group.body.id}/number_group_memberships`, { body: { phone_number_id: await phoneNumberId(server, n) } });
    expect(m.status).toBe(200);
  }
  return group.body.id;
}

describe('the twilio npm client against the Compatibility API', () => {
  it('creates a message with every parameter and reads it back', async () => {
    const groupId = await numberGroup('every-parameter', [NUMBERS[1]!]);
    const app = await client.applications.create({ friendlyName: 'status app', smsStatusCallback: `${receiver.url}/app-status` });
    const m = await client.messages.create({
      to: '+15557650001',
      from: NUMBERS[0]!,
      messagingServiceSid: groupId,
      body: 'Every parameter',
      mediaUrl: ['https://cdn.example.com/a.jpg', 'https://cdn.example.com/b.png'],
      sendAsMms: true,
      // Given with ApplicationSid, the request's own StatusCallback takes priority (as twilio-node documents).
      statusCallback: `${receiver.url}/request-status`,
      applicationSid: app.sid,
      maxPrice: 0.5,
      validityPeriod: 600,
      // Twilio-only parameters are ignored, not refused.
      provideFeedback: true,
      attempt: 1,
    });
    expect(m.sid).toMatch(/^[0-9a-f-]{36}$/);
    expect(m).toMatchObject({
      accountSid: PROJECT_ID,
      apiVersion: '2010-04-01',
      body: 'Every parameter',
      numSegments: 1,
      numMedia: 2,
      direction: 'outbound-api',
      from: NUMBERS[0],
      to: '+15557650001',
      status: 'queued',
      messagingServiceSid: groupId,
      price: null,
      priceUnit: 'USD',
      errorCode: null,
      dateSent: null,
    });
    expect(m.dateCreated).toBeInstanceOf(Date);
    expect(Number.isNaN(m.dateCreated.getTime())).toBe(false);
    expect(m.uri).toBe(`/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Messages/${m.sid}.json`);
    // Both subresources, as Twilio's Message resource lists them; the feedback URI is where feedback.create() posts.
    expect(m.subresourceUris).toEqual({
      media: `/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Messages/${m.sid}/Media.json`,
      feedback: `/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Messages/${m.sid}/Feedback.json`,
    });

    // The request's status callback receives the updates, not the application's; an MMS ends `delivered` (simulator.mmsReceipts defaults to true).
    const got = await receiver.waitFor(4, 10_000, (r) => r.form?.get('MessageSid') === m.sid);
    expect(got.map((r) => r.path)).toEqual(['/request-status', '/request-status', '/request-status', '/request-status']);
    expect(got.map((r) => r.form!.get('MessageStatus'))).toEqual(['queued', 'sending', 'sent', 'delivered']);
    expect(got[0]!.form!.get('MessagingServiceSid')).toBe(groupId);

    const fetched = await eventually(async () => {
      const f = await client.messages(m.sid).fetch();
      return f.status === 'delivered' ? f : undefined;
    });
    expect(fetched.price).toBe(0.02);
    expect(fetched.dateSent).toBeInstanceOf(Date);
    const stored = await server.store.messages.get(PROJECT_ID, m.sid);
    expect(stored).toMatchObject({ kind: 'mms', validityPeriod: 600, maxPrice: '0.5', applicationId: app.sid, numberGroupId: groupId, statusCallback: `${receiver.url}/request-status`, callbackFormat: 'form' });
  });

  it('fetches a delivered SMS with its price, date sent and segments', async () => {
    const m = await client.messages.create({ to: '+15557650002', from: NUMBERS[0]!, body: 'x'.repeat(200) });
    const f = await eventually(async () => {
      const r = await client.messages(m.sid).fetch();
      return r.status === 'delivered' ? r : undefined;
    });
    expect(f).toMatchObject({ numSegments: 2, price: 0.0158, errorCode: null, direction: 'outbound-api' });
    expect(f.dateSent!.getTime()).toBeGreaterThanOrEqual(f.dateCreated.getTime() - 1000);
  });

  it('reads a received message as Twilio shows one: date_sent set (when it came in) and priced by the inbound rules', async () => {
    const from = '+15557650020';
    expect((await server.api('/api/simulator/inbound', { body: { from, to: NUMBERS[0], body: 'x'.repeat(200) } })).status).toBe(201);
    const [m] = await client.messages.list({ from, to: NUMBERS[0]! });
    // Twilio's date_sent: "For an incoming message, this is when Twilio sent the HTTP request to your incoming message webhook URL."
    expect(m).toMatchObject({ direction: 'inbound', status: 'received', numSegments: 2, price: 0.015, priceUnit: 'USD' });
    expect(m!.dateSent).toBeInstanceOf(Date);
    expect(m!.dateSent!.getTime()).toBe(m!.dateCreated.getTime());
    expect((await client.messages(m!.sid).fetch()).dateSent).toEqual(m!.dateSent);
    expect((await client.messages.list({ from, dateSentAfter: m!.dateSent!, dateSentBefore: m!.dateSent! })).map((x) => x.sid)).toEqual([m!.sid]);
    // No inbound rule for the number it came to: unpriced.
    expect((await server.api('/api/simulator/inbound', { body: { from, to: NUMBERS[1], body: 'unpriced' } })).status).toBe(201);
    expect((await client.messages.list({ from, to: NUMBERS[1]! }))[0]).toMatchObject({ direction: 'inbound', price: null });
  });

  it('lists across pages with list({limit}) and each(), following next_page_uri to the /api/laml prefix', async () => {
    const to = '+15557659999';
    const sids: string[] = [];
    for (let i = 0; i < 5; i++) sids.push((await client.messages.create({ to, from: NUMBERS[0]!, body: `page ${i}` })).sid);
    const newestFirst = [...sids].reverse();

    const limited = await client.messages.list({ to, limit: 4, pageSize: 2 });
    expect(limited.map((m) => m.sid)).toEqual(newestFirst.slice(0, 4));
    // Given only a limit, the client sends it as the PageSize: above 1000, pages of 1000 answer it.
    expect((await client.messages.list({ to, limit: 5000 })).map((m) => m.sid)).toEqual(newestFirst);

    const seen: string[] = [];
    await new Promise<void>((resolve, reject) => {
      client.messages.each({ to, pageSize: 2, done: (err?: Error) => (err ? reject(err) : resolve()) }, (m) => {
        seen.push(m.sid);
      });
    });
    expect(seen).toEqual(newestFirst);

    const page1 = await client.messages.page({ to, pageSize: 2 });
    expect(page1.instances.map((m) => m.sid)).toEqual(newestFirst.slice(0, 2));
    // The token carries the sealed position of the page's last message (engine/page-tokens.ts).
    expect(page1.nextPageUrl).toMatch(new RegExp(`^${server.httpsUrl}/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Messages\\.json\\?To=%2B15557659999&Page=1&PageSize=2&PageToken=PAS[A-Za-z0-9_-]{22}$`));
    const page2 = await page1.nextPage();
    expect(page2!.instances.map((m) => m.sid)).toEqual(newestFirst.slice(2, 4));
    const page3 = await page2!.nextPage();
    expect(page3!.instances.map((m) => m.sid)).toEqual(newestFirst.slice(4));
    expect(page3!.nextPageUrl).toBeUndefined();
    const back = await page3!.previousPage();
    expect(back!.instances.map((m) => m.sid)).toEqual(newestFirst.slice(2, 4));
  });

  it("goes back to page 0 with a PB token, as Twilio writes previous_page_uri: a message that arrived meanwhile does not shift the page", async () => {
    const to = '+15557659998';
    const sids: string[] = [];
    for (let i = 0; i < 6; i++) sids.push((await client.messages.create({ to, from: NUMBERS[0]!, body: `back ${i}` })).sid);
    const newestFirst = [...sids].reverse();
    const page0 = await client.messages.page({ to, pageSize: 2 });
    const page1 = await page0.nextPage();
    expect(page1!.instances.map((m) => m.sid)).toEqual(newestFirst.slice(2, 4));
    expect(page1!.previousPageUrl).toMatch(/[?&]Page=0&PageSize=2&PageToken=PBS[A-Za-z0-9_-]{22}$/);
    // A new message arrives at the head of the list; going back answers the page seen before.
    const newer = await client.messages.create({ to, from: NUMBERS[0]!, body: 'newer' });
    const back = await page1!.previousPage();
    expect(back!.instances.map((m) => m.sid)).toEqual(newestFirst.slice(0, 2));
    expect(back!.previousPageUrl).toBeUndefined();
    expect((await back!.nextPage())!.instances.map((m) => m.sid)).toEqual(newestFirst.slice(2, 4));
    // The first page itself is the head of the list as it is now.
    expect((await client.messages.page({ to, pageSize: 2 })).instances.map((m) => m.sid)).toEqual([newer.sid, newestFirst[0]]);
  });

  it('filters the list by To, From, DateSent and Status', async () => {
    const to = '+15557658888';
    const m = await client.messages.create({ to, from: NUMBERS[1]!, body: 'filter me' });
    await eventually(async () => ((await client.messages(m.sid).fetch()).status === 'delivered' ? true : undefined));
    const today = new Date();
    expect((await client.messages.list({ to, from: NUMBERS[1]! })).map((x) => x.sid)).toEqual([m.sid]);
    expect((await client.messages.list({ to, from: NUMBERS[0]! })).length).toBe(0);
    expect((await client.messages.list({ to, dateSent: today })).map((x) => x.sid)).toEqual([m.sid]);
    expect((await client.messages.list({ to, dateSentAfter: new Date(Date.now() - 60_000), dateSentBefore: new Date(Date.now() + 60_000) })).map((x) => x.sid)).toEqual([m.sid]);
    expect((await client.messages.list({ to, dateSentBefore: new Date(Date.now() - 86_400_000) })).length).toBe(0);
    // The message's own date_sent (shown to the second, stored to the millisecond) matches both bounds.
    const sentAt = (await client.messages(m.sid).fetch()).dateSent!;
    expect((await client.messages.list({ to, dateSentAfter: sentAt, dateSentBefore: sentAt })).map((x) => x.sid)).toEqual([m.sid]);
    expect((await client.messages.list({ to, dateSentBefore: new Date(sentAt.getTime() - 1000) })).length).toBe(0);
    const delivered = await client.api.v2010.account.messages.list({ to, limit: 10 });
    expect(delivered.map((x) => x.status)).toEqual(['delivered']);
    const byStatus = await server.api(`/2010-04-01/Accounts/${PROJECT_ID}/Messages.json?To=${encodeURIComponent(to)}&Status=sending`);
    expect(byStatus.body.messages).toEqual([]);
    // Twilio statuses no message here has (Messaging Services, group MMS, WhatsApp) list nothing rather than a 400.
    for (const status of ['accepted', 'partially_delivered', 'read']) {
      const none = await server.api(`/2010-04-01/Accounts/${PROJECT_ID}/Messages.json?To=${encodeURIComponent(to)}&Status=${status}`);
      expect(none.status, status).toBe(200);
      expect(none.body.messages).toEqual([]);
    }
    const stillChecked = await server.api(`/2010-04-01/Accounts/${PROJECT_ID}/Messages.json?Status=read&DateSent=yesterday`);
    expect(stillChecked.status).toBe(400);
  });

  it('redacts and deletes a finished message', async () => {
    const m = await client.messages.create({ to: '+15557650003', from: NUMBERS[0]!, body: 'secret' });
    await eventually(async () => ((await client.messages(m.sid).fetch()).status === 'delivered' ? true : undefined));
    const redacted = await client.messages(m.sid).update({ body: '' });
    expect(redacted.body).toBe('');
    expect((await client.messages(m.sid).fetch()).body).toBe('');
    expect(await client.messages(m.sid).remove()).toBe(true);
    const gone = await rejection(client.messages(m.sid).fetch());
    expect(gone).toMatchObject({ status: 404, code: 20404 });
    // Gone from the native log too; kept as deleted activity, shown only when asked for.
    expect((await server.api(`/api/messaging/logs/${m.sid}`)).status).toBe(404);
    expect((await server.api(`/api/messaging/logs/${m.sid}?include_deleted=true`)).status).toBe(200);
  });

  it('lists, fetches and deletes media', async () => {
    const m = await client.messages.create({ to: '+15557650004', from: NUMBERS[0]!, mediaUrl: ['https://cdn.example.com/1.jpg', 'https://cdn.example.com/2.gif', 'https://cdn.example.com/3'] });
    await eventually(async () => ((await client.messages(m.sid).fetch()).status === 'delivered' ? true : undefined));
    const media = await client.messages(m.sid).media.list();
    expect(media.map((x) => x.contentType)).toEqual(['image/jpeg', 'image/gif', 'application/octet-stream']);
    expect(media.every((x) => x.parentSid === m.sid && x.accountSid === PROJECT_ID)).toBe(true);
    const paged = await client.messages(m.sid).media.list({ pageSize: 1, limit: 3 });
    expect(paged.map((x) => x.sid)).toEqual(media.map((x) => x.sid));
    const createdAt = media[0]!.dateCreated;
    expect((await client.messages(m.sid).media.list({ dateCreatedAfter: createdAt, dateCreatedBefore: createdAt })).length).toBe(3);
    const one = await client.messages(m.sid).media(media[1]!.sid).fetch();
    expect(one).toMatchObject({ sid: media[1]!.sid, contentType: 'image/gif', uri: `/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Messages/${m.sid}/Media/${media[1]!.sid}.json` });
    expect(await client.messages(m.sid).media(media[1]!.sid).remove()).toBe(true);
    expect((await client.messages(m.sid).media.list()).map((x) => x.sid)).toEqual([media[0]!.sid, media[2]!.sid]);
    expect(await rejection(client.messages(m.sid).media(media[1]!.sid).fetch())).toMatchObject({ status: 404, code: 20404 });
  });

  it('downloads media from its uri without .json (a redirect to the media), as SignalWire and Twilio document', async () => {
    receiver.respond((r) => (r.path === '/media/cat.png' ? { status: 200, body: Buffer.from('PNG bytes'), headers: { 'content-type': 'image/png' } } : { status: 200 }));
    const m = await client.messages.create({ to: '+15557650007', from: NUMBERS[0]!, mediaUrl: [`${receiver.url}/media/cat.png?size=large`] });
    const [media] = await client.messages(m.sid).media.list();
    const direct = `${server.url}${media!.uri.replace(/\.json$/, '')}`;
    // What a twilio-node user writes to download it: client.request, following redirects.
    const got = await client.request({ method: 'get', uri: direct, allowRedirects: true });
    expect(got).toMatchObject({ statusCode: 200, body: 'PNG bytes' });
    const raw = await fetch(direct, { headers: { authorization: server.auth }, redirect: 'manual' });
    expect(raw.status).toBe(302);
    expect(raw.headers.get('location')).toBe(`${receiver.url}/media/cat.png?size=large`);
    // With .json (what the clients' fetch() asks for), the record; the message itself is JSON either way.
    expect((await client.messages(m.sid).media(media!.sid).fetch()).contentType).toBe('image/png');
    expect((await server.api(`/2010-04-01/Accounts/${PROJECT_ID}/Messages/${m.sid}`)).body.sid).toBe(m.sid);
    expect((await client.request({ method: 'get', uri: direct.replace(media!.sid, '00000000-0000-4000-8000-000000000000') })).statusCode).toBe(404);
  });

  it('surfaces errors as RestException with our codes', async () => {
    const e1 = await rejection(client.messages.create({ to: '5551234', from: NUMBERS[0]!, body: 'x' }));
    expect(e1).toBeInstanceOf(twilio.RestException);
    expect(e1).toMatchObject({ status: 400, code: 21211 });
    expect(e1.moreInfo).toMatch(/^https:\/\//);
    expect(await rejection(client.messages.create({ to: '+15557650005', from: '+15559990000', body: 'x' }))).toMatchObject({ status: 400, code: 21210 });
    expect(await rejection(client.messages.create({ to: '+15557650005', messagingServiceSid: '5b0b1c1e-0000-4000-8000-000000000000', body: 'x' }))).toMatchObject({ code: 21701 });
    // Messages name the parameter and the value as the request wrote them, not the native API's names.
    // A sid of the wrong pattern (Twilio's MG…) is Twilio's 21705, an unknown one 21701 (twilio.com/docs/api/errors/21705).
    const mg = await rejection(client.messages.create({ to: '+15557650005', messagingServiceSid: `MG${'A'.repeat(32)}`, body: 'x' }));
    expect(mg).toMatchObject({ status: 400, code: 21705, message: expect.stringContaining(`MG${'A'.repeat(32)}`) });
    expect(mg.message).toContain('MessagingServiceSid');
    const mms = await rejection(client.messages.create({ to: '+15557650005', from: NUMBERS[0]!, body: 'x', sendAsMms: 'maybe' as unknown as boolean }));
    expect(mms).toMatchObject({ status: 400, code: 10000, message: expect.stringContaining('SendAsMms') });
    expect(await rejection(client.messages('00000000-0000-4000-8000-000000000000').fetch())).toMatchObject({ status: 404, code: 20404 });
  });

  it('fetches and lists the account (the project), as code checking its credentials does', async () => {
    for (const account of [await client.api.v2010.account.fetch(), await client.api.accounts(PROJECT_ID).fetch(), await signalwireClient(server.httpsUrl!).api.accounts(PROJECT_ID).fetch()]) {
      expect(account).toMatchObject({ sid: PROJECT_ID, ownerAccountSid: PROJECT_ID, friendlyName: 'Default project', status: 'active', type: 'Full', authToken: null, uri: `/api/laml/2010-04-01/Accounts/${PROJECT_ID}.json` });
      expect(account.dateCreated).toBeInstanceOf(Date);
      expect(account.subresourceUris).toMatchObject({ messages: `/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Messages.json` });
    }
    expect((await client.api.accounts.list()).map((a) => a.sid)).toEqual([PROJECT_ID]);
    expect((await client.api.accounts.list({ status: 'active', friendlyName: 'Default project' })).length).toBe(1);
    expect((await client.api.accounts.list({ status: 'closed' })).length).toBe(0);
    expect(await rejection(client.api.accounts('00000000-0000-4000-8000-000000000000').fetch())).toMatchObject({ status: 401, code: 20003 });
  });

  it("renames the account (the project) with FriendlyName, SignalWire's Update an Account; needs the management scope", async () => {
    try {
      expect(await client.api.accounts(PROJECT_ID).update({ friendlyName: 'renamed' })).toMatchObject({ sid: PROJECT_ID, friendlyName: 'renamed', status: 'active' });
      expect((await client.api.v2010.account.fetch()).friendlyName).toBe('renamed');
      expect((await client.api.accounts.list({ friendlyName: 'renamed' })).map((a) => a.sid)).toEqual([PROJECT_ID]);
      // The path with .json, status active (what it is) and no name at all are fine too.
      const same = await server.api(`/2010-04-01/Accounts/${PROJECT_ID}.json`, { body: 'Status=active', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(same).toMatchObject({ status: 200, body: { friendly_name: 'renamed' } });
      expect(await rejection(client.api.accounts(PROJECT_ID).update({ status: 'suspended' }))).toMatchObject({ status: 400, code: 10000, message: expect.stringContaining('Status') });
      expect(await rejection(client.api.accounts(PROJECT_ID).update({ friendlyName: 'x'.repeat(65) }))).toMatchObject({ status: 400, code: 10000, message: expect.stringContaining('FriendlyName') });
      expect(await rejection(client.api.accounts(PROJECT_ID).update({ friendlyName: ' ' }))).toMatchObject({ status: 400, code: 10000 });
      // Another project's sid is refused before anything changes; a token without `management` may not rename.
      expect(await rejection(client.api.accounts('00000000-0000-4000-8000-000000000000').update({ friendlyName: 'theirs' }))).toMatchObject({ status: 401, code: 20003 });
      const limited = await createProject(server, { name: 'messaging only', scopes: ['messaging'] });
      const rename = await server.api(`/2010-04-01/Accounts/${limited.projectId}`, { auth: limited.auth, body: 'FriendlyName=limited', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(rename).toMatchObject({ status: 401, body: { code: 20003, message: expect.stringContaining('"management" scope') } });
      expect((await server.api(`/2010-04-01/Accounts/${limited.projectId}.json`, { auth: limited.auth })).body.friendly_name).toBe('messaging only');
    } finally {
      await client.api.accounts(PROJECT_ID).update({ friendlyName: 'Default project' });
    }
  });

  it('works over plain HTTP and on the /api/laml base too', async () => {
    const plain = twilioClient(server.url);
    const m = await plain.messages.create({ to: '+15557650006', from: NUMBERS[0]!, body: 'plain' });
    expect((await plain.messages(m.sid).fetch()).body).toBe('plain');
    const viaLaml = await server.api(`/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Messages/${m.sid}`);
    expect(viaLaml.body.sid).toBe(m.sid);
  });
});

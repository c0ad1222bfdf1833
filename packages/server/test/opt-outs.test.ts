/**
 * Opt-out compliance and smart encoding through a real server, the way an operator meets them:
 * the handset "plays the phone" through the simulator (POST /api/simulator/inbound), sends go
 * through the official `twilio` client, the native API and RELAY; the opt-out list and the sender
 * settings through the native API. Runs on SQLite, and on PostgreSQL with
 * SWITCHBOARD_TEST_DATABASE_URL set.
 */
import { rmSync } from 'node:fs';
import type twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejection, signalwireClient, twilioClient } from './compat/clients.js';
import { phoneNumberId } from './helpers/projects.js';
import { RawRelay } from './helpers/raw-relay.js';
import { API_TOKEN, eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';
import { rowCounts } from './helpers/store-counts.js';
import { dataDirTrustedByTests } from './helpers/tls.js';

const FROM = NUMBERS[0]!;
const OTHER = NUMBERS[1]!;
const STOP_REPLY = 'You have successfully been unsubscribed. You will not receive any more messages from this number. Reply START to resubscribe.';

let server: TestServer;
let client: twilio.Twilio;
let dataDir: string;

beforeAll(async () => {
  // HTTPS too, for SignalWire's compatibility client (it speaks HTTPS only).
  dataDir = dataDirTrustedByTests();
  server = await startTestServer({ httpsEnabled: true }, { dataDir });
  client = twilioClient(server.url);
});
afterAll(async () => {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The handset sends `body` to one of our numbers. */
async function handsetSays(handset: string, body: string, to = FROM): Promise<void> {
  const res = await server.api('/api/simulator/inbound', { body: { from: handset, to, body } });
  expect(res.status).toBe(201);
}

/** Bodies the handset received from `from`, oldest first. */
async function inbox(handset: string, from = FROM): Promise<string[]> {
  const res = await server.api(`/api/simulator/messages?to=${encodeURIComponent(handset)}&from=${encodeURIComponent(from)}`);
  expect(res.status).toBe(200);
  return (res.body.data as Array<{ body: string }>).map((m) => m.body).reverse();
}

async function delivered(sid: string): Promise<void> {
  await eventually(async () => ((await client.messages(sid).fetch()).status === 'delivered' ? true : undefined), 10_000, `${sid} delivered`);
}

describe('STOP → 21610 → START → delivered, through the twilio client', () => {
  const handset = '+15557000001';

  it('refuses a send to a handset that replied STOP with 21610, queues nothing, and delivers again after START', async () => {
    await delivered((await client.messages.create({ from: FROM, to: handset, body: 'Your order shipped' })).sid);

    await handsetSays(handset, 'stop');
    // The confirmation reply reaches the phone, from the number it wrote to.
    await eventually(async () => ((await inbox(handset)).includes(STOP_REPLY) ? true : undefined), 10_000, 'the STOP confirmation');
    const before = (await rowCounts(server)).messages;

    const err = await rejection(client.messages.create({ from: FROM, to: handset, body: 'One more thing' }));
    expect(err).toMatchObject({ status: 400, code: 21610 });
    expect(err.message).toContain('opted out');
    expect((await rowCounts(server)).messages).toBe(before);

    // The STOP itself reached the application as any inbound message.
    const inbound = await client.messages.list({ from: handset, to: FROM });
    expect(inbound.map((m) => [m.body, m.direction, m.status])).toEqual([['stop', 'inbound', 'received']]);

    await handsetSays(handset, ' START ');
    // The START confirmation and the next send are two messages dispatched independently: wait for
    // the confirmation so the order of the inbox below is decided.
    await eventually(async () => ((await inbox(handset)).some((b) => b.includes('re-subscribed')) ? true : undefined), 10_000, 'the START confirmation');
    const again = await client.messages.create({ from: FROM, to: handset, body: 'Welcome back' });
    await delivered(again.sid);
    expect(await inbox(handset)).toEqual(['Your order shipped', STOP_REPLY, expect.stringContaining('re-subscribed'), 'Welcome back']);
  });

  it('the native API answers 422 recipient_opted_out and RELAY a 422 result; another sender is not affected', async () => {
    const h = '+15557000002';
    await handsetSays(h, 'UNSUBSCRIBE');
    const res = await server.api('/api/messaging/messages', { body: { from: FROM, to: h, body: 'x' } });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([expect.objectContaining({ code: 'recipient_opted_out', attribute: 'to' })]);

    const { relay } = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN);
    try {
      const sent = await relay.call('messaging.send', { from_number: FROM, to_number: h, body: 'x', context: 'office' });
      expect(sent.result).toMatchObject({ code: '422', message: expect.stringContaining('opted out') });
    } finally {
      relay.ws.close();
    }

    const other = await client.messages.create({ from: OTHER, to: h, body: 'From another number' });
    expect(other.status).toBe('queued');
  });
});

describe('a STOP while messages wait for their sender\'s rate', () => {
  it('fails those still waiting with 21610 when their slot comes, and sends none of them', async () => {
    const h = '+15557000009';
    const numberPath = `/api/relay/rest/phone_numbers/${await phoneNumberId(server, FROM)}`;
    expect((await server.api(numberPath, { method: 'PUT', body: { messages_per_second: 0.5 } })).status).toBe(200);
    try {
      const sids: string[] = [];
      for (let i = 0; i < 3; i++) sids.push((await client.messages.create({ from: FROM, to: h, body: `queued ${i}` })).sid);
      // The first goes at once; the others wait two seconds each for their slots.
      await delivered(sids[0]!);
      await handsetSays(h, 'STOP');
      const ends = await Promise.all(
        sids.slice(1).map((sid) => eventually(async () => {
          const m = await client.messages(sid).fetch();
          return ['delivered', 'undelivered', 'failed'].includes(m.status) ? m : undefined;
        }, 15_000, `${sid} to end`)),
      );
      expect(ends.map((m) => [m.status, m.errorCode])).toEqual([['failed', 21610], ['failed', 21610]]);
      expect(await inbox(h)).toEqual(['queued 0', STOP_REPLY]);
    } finally {
      await server.api(numberPath, { method: 'PUT', body: { messages_per_second: null } });
    }
  }, 30_000);
});

describe('through @signalwire/compatibility-api', () => {
  it('answers 21610 after STOP and honours SmartEncoded', async () => {
    const sw = signalwireClient(server.httpsUrl!);
    const h = '+15557000003';
    await handsetSays(h, 'End');
    const err = await rejection(sw.messages.create({ from: FROM, to: h, body: 'x' }));
    expect(err).toMatchObject({ status: 400, code: 21610 });
    const smart = await sw.messages.create({ from: FROM, to: '+15557000004', body: `Don\u2019t miss it \u2014 ${'y'.repeat(60)}`, smartEncoded: true });
    expect(smart).toMatchObject({ numSegments: 1, body: `Don't miss it - ${'y'.repeat(60)}` });
  });
});

describe('the native opt-out list API', () => {
  const h = '+15557000101';

  it('adds, lists per sender, reads and removes entries', async () => {
    const added = await server.api('/api/messaging/opt_outs', { body: { sender: OTHER, handset: h } });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ sender: OTHER, handset: h, source: 'api', keyword: null });
    // Adding it again answers the same entry.
    expect((await server.api('/api/messaging/opt_outs', { body: { sender: OTHER, handset: h } })).body.id).toBe(added.body.id);
    expect((await rejection(client.messages.create({ from: OTHER, to: h, body: 'x' }))).code).toBe(21610);

    const list = await server.api(`/api/messaging/opt_outs?sender=${encodeURIComponent(OTHER)}`);
    expect(list.status).toBe(200);
    expect(list.body.data.map((o: { handset: string }) => o.handset)).toContain(h);
    expect(list.body.data.every((o: { sender: string }) => o.sender === OTHER)).toBe(true);
    expect((await server.api(`/api/messaging/opt_outs/${added.body.id}`)).body).toEqual(added.body);

    expect((await server.api(`/api/messaging/opt_outs/${added.body.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await server.api(`/api/messaging/opt_outs/${added.body.id}`)).status).toBe(404);
    expect((await client.messages.create({ from: OTHER, to: h, body: 'x' })).status).toBe('queued');

    await server.api('/api/messaging/opt_outs', { body: { sender: OTHER, handset: h } });
    const q = `sender=${encodeURIComponent(OTHER)}&handset=${encodeURIComponent(h)}`;
    expect((await server.api(`/api/messaging/opt_outs?${q}`, { method: 'DELETE' })).status).toBe(204);
    expect((await server.api(`/api/messaging/opt_outs?${q}`, { method: 'DELETE' })).status).toBe(404);
    // Without a handset: it is named as missing, not as the number "null".
    const missing = await server.api(`/api/messaging/opt_outs?sender=${encodeURIComponent(OTHER)}`, { method: 'DELETE' });
    expect(missing.status).toBe(422);
    expect(missing.body.errors[0]).toMatchObject({ attribute: 'handset', message: expect.stringContaining('handset is required') });
  });

  it('pages through a long list, newest first', async () => {
    const handsets = ['+15557000111', '+15557000112', '+15557000113'];
    for (const handset of handsets) expect((await server.api('/api/messaging/opt_outs', { body: { sender: FROM, handset } })).status).toBe(201);
    const first = await server.api(`/api/messaging/opt_outs?sender=${encodeURIComponent(FROM)}&page_size=2`);
    expect(first.body.data.map((o: { handset: string }) => o.handset)).toEqual([handsets[2], handsets[1]]);
    const next = new URL(first.body.links.next);
    const second = await server.api(`${next.pathname}${next.search}`);
    expect(second.body.data[0].handset).toBe(handsets[0]);
    for (const handset of handsets) await server.api(`/api/messaging/opt_outs?sender=${encodeURIComponent(FROM)}&handset=${encodeURIComponent(handset)}`, { method: 'DELETE' });
  });

  it('takes a number group as a sender: an opt-out of the group covers each member', async () => {
    const group = await server.api('/api/relay/rest/number_groups', { body: { name: 'opt-out pool' } });
    const numbers = await server.api('/api/relay/rest/phone_numbers');
    const member = numbers.body.data.find((n: { number: string }) => n.number === OTHER);
    await server.api(`/api/relay/rest/number_groups/${group.body.id}/number_group_memberships`, { body: { phone_number_id: member.id } });
    const added = await server.api('/api/messaging/opt_outs', { body: { sender: group.body.id, handset: '+15557000102' } });
    expect(added.status).toBe(201);
    expect((await rejection(client.messages.create({ messagingServiceSid: group.body.id, to: '+15557000102', body: 'x' }))).code).toBe(21610);
    expect((await rejection(client.messages.create({ from: OTHER, to: '+15557000102', body: 'x' }))).code).toBe(21610);
  });

  it('keeps refusing a handset from the number it told STOP once that number left the group; the group\'s entry, taken off, frees the rest', async () => {
    const handset = '+15557000103';
    const group = await server.api('/api/relay/rest/number_groups', { body: { name: 'leaving pool' } });
    const numbers = await server.api('/api/relay/rest/phone_numbers');
    const memberships: Record<string, string> = {};
    for (const n of [FROM, OTHER]) {
      const id = numbers.body.data.find((x: { number: string }) => x.number === n).id;
      memberships[n] = (await server.api(`/api/relay/rest/number_groups/${group.body.id}/number_group_memberships`, { body: { phone_number_id: id } })).body.id;
    }
    await handsetSays(handset, 'STOP');
    expect((await server.api(`/api/relay/rest/number_group_memberships/${memberships[FROM]}`, { method: 'DELETE' })).status).toBe(204);
    // FROM left the group: the handset told it STOP, so it still may not write.
    expect((await rejection(client.messages.create({ from: FROM, to: handset, body: 'x' }))).code).toBe(21610);
    expect((await rejection(client.messages.create({ from: OTHER, to: handset, body: 'x' }))).code).toBe(21610);
    const q = `sender=${encodeURIComponent(group.body.id)}&handset=${encodeURIComponent(handset)}`;
    expect((await server.api(`/api/messaging/opt_outs?${q}`, { method: 'DELETE' })).status).toBe(204);
    expect((await client.messages.create({ from: OTHER, to: handset, body: 'x' })).status).toBe('queued');
    expect((await rejection(client.messages.create({ from: FROM, to: handset, body: 'x' }))).code).toBe(21610);
    expect((await server.api(`/api/relay/rest/number_groups/${group.body.id}`, { method: 'DELETE' })).status).toBe(204);
  });

  it.each([
    [{ sender: FROM, handset: 'nope' }, 'handset'],
    [{ sender: '+15550009999', handset: h }, 'sender'],
    [{ handset: h }, 'sender'],
    [{ sender: FROM, handset: 12 }, 'handset'],
  ])('refuses %j with a 422 naming %s', async (body, attribute) => {
    const res = await server.api('/api/messaging/opt_outs', { body });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([expect.objectContaining({ code: 'invalid_parameter', attribute })]);
  });

  it('refuses sender or handset given more than once, saying so, on the list and on removal', async () => {
    const s = encodeURIComponent(OTHER);
    const hs = encodeURIComponent(h);
    for (const [method, query, attribute] of [
      ['DELETE', `sender=${s}&sender=${s}&handset=${hs}`, 'sender'],
      ['DELETE', `sender=${s}&handset=${hs}&handset=${hs}`, 'handset'],
      ['GET', `sender=${s}&sender=${s}`, 'sender'],
      ['GET', `handset=${hs}&handset=${hs}`, 'handset'],
    ] as const) {
      // Fastify's schema said "sender must be string." for a value given twice.
      const res = await server.api(`/api/messaging/opt_outs?${query}`, { method });
      expect(res.status, `${method} ${query}`).toBe(422);
      expect(res.body.errors, `${method} ${query}`).toEqual([expect.objectContaining({ code: 'invalid_parameter', attribute, message: `${attribute} must be given once.` })]);
    }
  });

  it('answers 404 for an unknown id and 401 without credentials', async () => {
    expect((await server.api('/api/messaging/opt_outs/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await server.api('/api/messaging/opt_outs/not-an-id', { method: 'DELETE' })).status).toBe(404);
    expect((await server.api('/api/messaging/opt_outs', { auth: null })).status).toBe(401);
  });
});

describe('reply settings', () => {
  it('a number replies with its own texts, and sends none when replies are off; the opt-out still holds', async () => {
    const h = '+15557000201';
    const set = await server.api(`/api/messaging/settings/${encodeURIComponent(OTHER)}`, { method: 'PUT', body: { stop_reply: 'Bye from OTHER.', help_reply: 'Call 555-0100.' } });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ scope: OTHER, stop_reply: 'Bye from OTHER.', help_reply: 'Call 555-0100.', start_reply: null, smart_encoding: null });
    await handsetSays(h, 'help', OTHER);
    await handsetSays(h, 'stop', OTHER);
    await eventually(async () => ((await inbox(h, OTHER)).length === 2 ? true : undefined), 10_000, 'two replies');
    expect(await inbox(h, OTHER)).toEqual(['Call 555-0100.', 'Bye from OTHER.']);

    expect((await server.api('/api/messaging/settings', { method: 'PUT', body: { opt_out_replies: false } })).body).toMatchObject({ scope: 'project', opt_out_replies: false });
    const h2 = '+15557000202';
    await handsetSays(h2, 'STOP');
    expect((await rejection(client.messages.create({ from: FROM, to: h2, body: 'x' }))).code).toBe(21610);
    expect(await inbox(h2)).toEqual([]);
    expect((await server.api('/api/messaging/settings', { method: 'PUT', body: { opt_out_replies: null } })).status).toBe(200);

    const read = await server.api('/api/messaging/settings');
    expect(read.body).toMatchObject({ scope: 'project', opt_out_replies: null, defaults: { opt_out_replies: true, stop_reply: STOP_REPLY } });
  });

  it('refuses unknown settings, wrong types and unknown senders', async () => {
    const bad = await server.api('/api/messaging/settings', { method: 'PUT', body: { smart_encodng: true } });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0]).toMatchObject({ code: 'invalid_parameter', attribute: 'smart_encodng' });
    expect((await server.api('/api/messaging/settings', { method: 'PUT', body: { smart_encoding: 'yes' } })).status).toBe(422);
    expect((await server.api('/api/messaging/settings', { method: 'PUT', body: { stop_reply: 'x'.repeat(1601) } })).status).toBe(422);
    expect((await server.api('/api/messaging/settings/%2B15550009999')).status).toBe(422);
  });
});

describe('smart encoding, through the twilio client', () => {
  const body = `It\u2019s \u201cready\u201d \u2014 your table for two\u2026 ${'x'.repeat(60)}`;

  it('SmartEncoded=true makes a body with curly quotes, a dash and an ellipsis count as GSM-7', async () => {
    const plain = await client.messages.create({ from: FROM, to: '+15557000301', body });
    expect(plain.numSegments).toBe(2);
    const smart = await client.messages.create({ from: FROM, to: '+15557000301', body, smartEncoded: true });
    expect(smart.numSegments).toBe(1);
    expect(smart.body).toBe(`It's "ready" - your table for two... ${'x'.repeat(60)}`);
    await delivered(smart.sid);
    expect(await inbox('+15557000301')).toContain(smart.body);
  });

  it('follows the sender setting, and SmartEncoded=false wins over it', async () => {
    expect((await server.api(`/api/messaging/settings/${encodeURIComponent(OTHER)}`, { method: 'PUT', body: { smart_encoding: true } })).body.smart_encoding).toBe(true);
    expect((await client.messages.create({ from: OTHER, to: '+15557000302', body })).numSegments).toBe(1);
    expect((await client.messages.create({ from: OTHER, to: '+15557000302', body, smartEncoded: false })).numSegments).toBe(2);
    expect((await client.messages.create({ from: FROM, to: '+15557000302', body })).numSegments).toBe(2);
  });

  it('native smart_encoded does the same; a non-boolean is refused on both surfaces', async () => {
    const res = await server.api('/api/messaging/messages', { body: { from: FROM, to: '+15557000303', body, smart_encoded: true } });
    expect(res.status).toBe(201);
    expect(res.body.number_of_segments).toBe(1);
    const bad = await server.api('/api/messaging/messages', { body: { from: FROM, to: '+15557000303', body, smart_encoded: 'yes' } });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0]).toMatchObject({ code: 'invalid_parameter', attribute: 'smart_encoded' });
    const compat = await rejection(client.messages.create({ from: FROM, to: '+15557000303', body, smartEncoded: 'maybe' as unknown as boolean }));
    expect(compat).toMatchObject({ status: 400, code: 10000 });
  });
});

// The 1600-character limit is on Body as given (Twilio errors 21617, 21658); `…` → `...` can triple
// it. A replaced body past the limit is not sent: the body goes as given, in UCS-2.
describe('smart encoding within the 1600-character body limit', () => {
  const ellipses = '\u2026'.repeat(600); // 600 characters; replaced, 1800
  const atLimit = `${'\u2026'.repeat(400)}${'x'.repeat(400)}`; // 12 UCS-2 segments; replaced, exactly 1600: 11 GSM-7 segments

  it('the Compatibility API sends a body whose replacement would pass the limit as given (UCS-2), and still replaces up to it', async () => {
    const long = await client.messages.create({ from: FROM, to: '+15557000311', body: ellipses, smartEncoded: true });
    expect(long).toMatchObject({ body: ellipses, numSegments: 9 });
    const fits = await client.messages.create({ from: FROM, to: '+15557000311', body: atLimit, smartEncoded: true });
    expect(fits).toMatchObject({ body: `${'...'.repeat(400)}${'x'.repeat(400)}`, numSegments: 11 });
    // 500 ellipses and 100 x are 9 UCS-2 segments; replaced, 1600 characters would be 11: sent as given.
    const longer = `${'\u2026'.repeat(500)}${'x'.repeat(100)}`;
    expect(await client.messages.create({ from: FROM, to: '+15557000311', body: longer, smartEncoded: true })).toMatchObject({ body: longer, numSegments: 9 });
    const tooLong = await rejection(client.messages.create({ from: FROM, to: '+15557000311', body: `${ellipses}${'x'.repeat(1001)}`, smartEncoded: true }));
    expect(tooLong).toMatchObject({ status: 400, code: 21617 });
  });

  it('the native API does the same, and checks the limit on the body as given', async () => {
    const res = await server.api('/api/messaging/messages', { body: { from: FROM, to: '+15557000312', body: ellipses, smart_encoded: true } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ body: ellipses, number_of_segments: 9 });
    // 1601 characters given, 1600 once the zero-width space is dropped: refused all the same.
    const given = await server.api('/api/messaging/messages', { body: { from: FROM, to: '+15557000312', body: `\u200b${'a'.repeat(1600)}`, smart_encoded: true } });
    expect(given.status).toBe(422);
    expect(given.body.errors).toEqual([expect.objectContaining({ code: 'character_limit_exceeded', attribute: 'body' })]);
  });

  it('RELAY, following the sender setting, sends it as given too, and refuses a body past the limit with a result', async () => {
    expect((await server.api(`/api/messaging/settings/${encodeURIComponent(OTHER)}`, { method: 'PUT', body: { smart_encoding: true } })).status).toBe(200);
    const { relay } = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN);
    try {
      const sent = await relay.call('messaging.send', { from_number: OTHER, to_number: '+15557000313', body: ellipses, context: 'office' });
      expect(sent.result).toMatchObject({ code: '200', message_id: expect.any(String) });
      expect(await server.store.messages.get(PROJECT_ID, sent.result.message_id)).toMatchObject({ body: ellipses, encoding: 'UCS-2', segments: 9 });
      const tooLong = await relay.call('messaging.send', { from_number: OTHER, to_number: '+15557000313', body: 'a'.repeat(1601), context: 'office' });
      expect(tooLong.result).toMatchObject({ code: '400', message: expect.stringContaining('1600') });
    } finally {
      relay.ws.close();
    }
  });
});

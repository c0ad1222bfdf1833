/**
 * Per-sender rates, expiry and scheduled messages through the `twilio` client (issue 14, items 2–4),
 * on SQLite and — with SWITCHBOARD_TEST_DATABASE_URL — PostgreSQL. Times are measured, not
 * asserted as performance: a 2/s sender's six messages cannot all be sent within 2.5 s of the first
 * being accepted, whatever the machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { waitForEnd } from '../helpers/messages.js';
import { phoneNumberId } from '../helpers/projects.js';
import { eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from '../helpers/server.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { dataDirTrustedByTests } from '../helpers/tls.js';
import { rejection, signalwireClient, twilioClient } from './clients.js';

let server: TestServer;
let client: twilio.Twilio;
let receiver: WebhookReceiver;

beforeAll(async () => {
  // Scheduling from 1 s ahead, so a scheduled send need not wait Twilio's 5 minutes.
  server = await startTestServer({ scheduleMinLeadSeconds: 1 });
  client = twilioClient(server.url);
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await server.stop();
  await receiver.close();
});

async function setRate(number: string, rate: number | null): Promise<void> {
  const res = await server.api(`/api/relay/rest/phone_numbers/${await phoneNumberId(server, number)}`, { method: 'PUT', body: { messages_per_second: rate } });
  expect(res.status, res.text).toBe(200);
  expect(res.body.messages_per_second).toBe(rate);
}

const stored = async (sid: string) => (await server.store.messages.get(PROJECT_ID, sid))!;
const db = () => (server.store as KyselyStore).db;

describe('per-sender rates', () => {
  it('spreads six messages of a 2 msgs/s sender over at least 2.5 s while another sender is not held behind them', async () => {
    await setRate(NUMBERS[0]!, 2);
    try {
      const slow = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => client.messages.create({ from: NUMBERS[0], to: `+1555700010${i}`, body: `slow ${i}` })));
      const fast = await Promise.all([1, 2].map((i) => client.messages.create({ from: NUMBERS[1], to: `+1555700020${i}`, body: `fast ${i}` })));
      for (const m of [...slow, ...fast]) await waitForEnd(server, m.sid);
      const slowRows = await Promise.all(slow.map((m) => stored(m.sid)));
      const fastRows = await Promise.all(fast.map((m) => stored(m.sid)));
      const sent = slowRows.map((m) => m.sentAt!).sort((a, b) => a - b);
      const firstAccepted = Math.min(...slowRows.map((m) => m.createdAt));
      expect(sent.at(-1)! - firstAccepted).toBeGreaterThanOrEqual(2_500);
      // One slot per 500 ms: no two of the six went out together.
      for (let i = 1; i < sent.length; i++) expect(sent[i]! - sent[i - 1]!).toBeGreaterThan(0);
      // The unrated sender's messages went before the rated sender's queue had half drained.
      for (const m of fastRows) expect(m.sentAt!).toBeLessThan(sent[3]!);
    } finally {
      await setRate(NUMBERS[0]!, null);
    }
  });

  it('sends every message of a sender whose rate does not divide a second (3/s, the toll-free default)', async () => {
    // 333.33… ms a slot: the stored slot times must be whole milliseconds (PostgreSQL's bigint
    // refused the fraction, failing every claim — other senders' messages included).
    await setRate(NUMBERS[0]!, 3);
    try {
      const rated = await Promise.all([1, 2, 3, 4].map((i) => client.messages.create({ from: NUMBERS[0], to: `+1555700080${i}`, body: `third ${i}` })));
      const other = await client.messages.create({ from: NUMBERS[1], to: '+15557000811', body: 'not rated' });
      for (const m of [...rated, other]) expect(await waitForEnd(server, m.sid)).toMatchObject({ status: 'delivered' });
    } finally {
      await setRate(NUMBERS[0]!, null);
    }
  });

  it('refuses a negative or vanishingly small rate with the native API’s own error', async () => {
    // 5e-324/s made the sender's next slot Infinity: its first message went, every later one was
    // refused (21611) or expired, even after the rate was put back.
    for (const rate of [-1, 5e-324, 0.00001]) {
      const res = await server.api(`/api/relay/rest/phone_numbers/${await phoneNumberId(server, NUMBERS[0]!)}`, { method: 'PUT', body: { messages_per_second: rate } });
      expect(res.status, String(rate)).toBe(422);
      expect(res.body.errors[0]).toMatchObject({ code: 'invalid_attribute', detail: expect.stringMatching(/messages_per_second must be a number of segments per second: 0 \(no limit\), or from 0.0001 to 10000/) });
    }
  });

  it('plans the messages already given slots again when the sender’s rate changes', async () => {
    // One segment every 100 s: the second and third are held for slots 100 and 200 s away.
    await setRate(NUMBERS[0]!, 0.01);
    try {
      // Created at once, so which of them takes the free slot depends on the order their requests
      // commit (on PostgreSQL not always the array's): whichever it is, the two others hold slots.
      const msgs = await Promise.all([1, 2, 3].map((i) => client.messages.create({ from: NUMBERS[0], to: `+1555700090${i}`, body: `crawl ${i}` })));
      await eventually(async () => ((await db().selectFrom('jobs').select('id').where('slot_at', 'is not', null).execute()).length === 2 ? true : undefined), 5000, 'two jobs holding slots');
      await setRate(NUMBERS[0]!, 10);
      for (const m of msgs) expect(await waitForEnd(server, m.sid, 5000)).toMatchObject({ status: 'delivered' });
    } finally {
      await setRate(NUMBERS[0]!, null);
    }
  });

  it('does not block a sender for good with a slot or a rate stored before rates were bounded', async () => {
    const key = `${PROJECT_ID} ${NUMBERS[0]}`;
    await setRate(NUMBERS[0]!, 5);
    try {
      // A next free time 30 years away, as a 1e-12/s rate left it (SQLite also held Infinity).
      await db().insertInto('sender_slots').values({ sender_key: key, next_at: Date.now() + 1e12 }).onConflict((oc) => oc.column('sender_key').doUpdateSet({ next_at: Date.now() + 1e12 })).execute();
      const m = await client.messages.create({ from: NUMBERS[0], to: '+15557000911', body: 'not blocked' });
      expect(await waitForEnd(server, m.sid, 5000)).toMatchObject({ status: 'delivered' });
      const row = await db().selectFrom('sender_slots').select('next_at').where('sender_key', '=', key).executeTakeFirstOrThrow();
      expect(Number(row.next_at) - Date.now()).toBeLessThan(60_000);

      // A rate the API no longer accepts, written before it was bounded, counts as the lowest rate
      // (one segment every 10,000 s), not as a next slot at Infinity (which PostgreSQL cannot store:
      // every claim with that sender failed, other senders' messages too).
      await db().updateTable('phone_numbers').set({ messages_per_second: 1e-300 }).where('number', '=', NUMBERS[0]!).execute();
      await server.api(`/api/relay/rest/phone_numbers/${await phoneNumberId(server, NUMBERS[1]!)}`, { method: 'PUT', body: { name: 'refresh the rate caches' } });
      const crawl = await client.messages.create({ from: NUMBERS[0], to: '+15557000912', body: 'first at the lowest rate' });
      const other = await client.messages.create({ from: NUMBERS[1], to: '+15557000913', body: 'another sender' });
      for (const x of [crawl, other]) expect(await waitForEnd(server, x.sid, 5000)).toMatchObject({ status: 'delivered' });
      const after = await db().selectFrom('sender_slots').select('next_at').where('sender_key', '=', key).executeTakeFirstOrThrow();
      expect(Number(after.next_at) - Date.now()).toBeLessThanOrEqual(10_000_000);
    } finally {
      await setRate(NUMBERS[0]!, null);
    }
  });
});

describe('expiry', () => {
  it('fails a message still queued when its ValidityPeriod passes with 30036, and calls its status callback', async () => {
    // One segment every 2 s: the second message's slot comes after its 1 s validity.
    await setRate(NUMBERS[0]!, 0.5);
    try {
      const first = await client.messages.create({ from: NUMBERS[0], to: '+15557000301', body: 'first' });
      const expiring = await client.messages.create({ from: NUMBERS[0], to: '+15557000302', body: 'too late', validityPeriod: 1, statusCallback: `${receiver.url}/expiry` });
      expect(expiring.status).toBe('queued');
      const end = await waitForEnd(server, expiring.sid);
      expect(end).toMatchObject({ status: 'failed', error_code: '30036' });
      const fetched = await client.messages(expiring.sid).fetch();
      expect(fetched).toMatchObject({ status: 'failed', errorCode: 30036 });
      const [callback] = await receiver.waitFor(1, 10_000, (r) => r.path === '/expiry' && r.form?.get('MessageStatus') === 'failed');
      expect(callback!.form!.get('ErrorCode')).toBe('30036');
      await waitForEnd(server, first.sid);
      expect((await stored(expiring.sid)).carrier).toBeNull();
    } finally {
      await setRate(NUMBERS[0]!, null);
    }
  });

  it('takes validity_period on the native API too (it was ignored, so a native message always had 4 hours)', async () => {
    await setRate(NUMBERS[0]!, 0.5);
    try {
      const first = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: '+15557000311', body: 'first' } });
      const expiring = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: '+15557000312', body: 'too late', validity_period: 1 } });
      expect(expiring.status, expiring.text).toBe(201);
      expect(await waitForEnd(server, expiring.body.id)).toMatchObject({ status: 'failed', error_code: '30036' });
      expect((await stored(expiring.body.id)).validityPeriod).toBe(1);
      await waitForEnd(server, first.body.id);
    } finally {
      await setRate(NUMBERS[0]!, null);
    }
    for (const validity_period of [0, 172_801, 1.5, '60']) {
      const bad = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: '+15557000313', body: 'x', validity_period } });
      expect(bad.status, JSON.stringify(validity_period)).toBe(422);
      expect(bad.body.errors[0]).toMatchObject({ code: 'invalid_validity_period', attribute: 'validity_period' });
    }
  });
});

describe('scheduled messages', () => {
  it('refuses bad schedules with Twilio’s codes', async () => {
    const base = { from: NUMBERS[0], to: '+15557000401', body: 'later' };
    expect(await rejection(client.messages.create({ ...base, scheduleType: 'fixed' }))).toMatchObject({ status: 400, code: 35111 });
    expect(await rejection(client.messages.create({ ...base, scheduleType: 'fixed', sendAt: new Date(Date.now() - 60_000) }))).toMatchObject({ status: 400, code: 35114 });
    expect(await rejection(client.messages.create({ ...base, scheduleType: 'fixed', sendAt: new Date(Date.now() + 40 * 86_400_000) }))).toMatchObject({ status: 400, code: 35114 });
    expect(await rejection(client.messages.create({ ...base, sendAt: new Date(Date.now() + 60_000) }))).toMatchObject({ status: 400, code: 35126 });
    // Hour 24 of tomorrow is no time at all, not midnight of the day after (Date.parse would take it).
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const impossible = await rejection(client.messages.create({ ...base, scheduleType: 'fixed', sendAt: `${tomorrow}T24:00:00Z` as unknown as Date }));
    expect(impossible).toMatchObject({ status: 400, code: 35114, message: expect.stringContaining('not a real date') });
  });

  it('cancels a scheduled message with Status=canceled, and refuses to cancel one already sent (30409)', async () => {
    const m = await client.messages.create({ from: NUMBERS[0], to: '+15557000402', body: 'never', scheduleType: 'fixed', sendAt: new Date(Date.now() + 60_000), statusCallback: `${receiver.url}/scheduled` });
    expect(m.status).toBe('scheduled');
    const canceled = await client.messages(m.sid).update({ status: 'canceled' });
    expect(canceled.status).toBe('canceled');
    const callbacks = await receiver.waitFor(2, 10_000, (r) => r.path === '/scheduled');
    expect(callbacks.map((r) => r.form!.get('MessageStatus'))).toEqual(['scheduled', 'canceled']);
    expect((await client.messages(m.sid).fetch()).status).toBe('canceled');
    const listed = await client.messages.list({ to: '+15557000402' });
    expect(listed.map((x) => x.status)).toEqual(['canceled']);

    const now = await client.messages.create({ from: NUMBERS[0], to: '+15557000403', body: 'now' });
    await waitForEnd(server, now.sid);
    expect(await rejection(client.messages(now.sid).update({ status: 'canceled' }))).toMatchObject({ status: 400, code: 30409 });
  });

  it('cancels and redacts a scheduled message in one update (Status=canceled with Body=""), checking both before changing anything', async () => {
    const later = () => client.messages.create({ from: NUMBERS[0], to: '+15557000404', body: 'a secret for later', scheduleType: 'fixed', sendAt: new Date(Date.now() + 60_000) });
    const m = await later();
    // Redaction alone cannot touch a message that is still to be sent, and says so.
    expect(await rejection(client.messages(m.sid).update({ body: '' }))).toMatchObject({ status: 400, code: 10000, message: expect.stringContaining('scheduled') });
    // Twilio's update takes both parameters: canceled first, then redacted.
    const both = await client.messages(m.sid).update({ status: 'canceled', body: '' });
    expect(both).toMatchObject({ sid: m.sid, status: 'canceled', body: '' });
    expect(await client.messages(m.sid).fetch()).toMatchObject({ status: 'canceled', body: '' });

    // A bad Status or a non-empty Body is refused whatever comes with it, and nothing changes.
    const other = await later();
    expect(await rejection(client.messages(other.sid).update({ body: '', status: 'delivered' as 'canceled' }))).toMatchObject({ status: 400, code: 10000, message: expect.stringContaining('Status') });
    expect(await rejection(client.messages(other.sid).update({ body: 'x', status: 'canceled' }))).toMatchObject({ status: 400, code: 50509 });
    expect(await client.messages(other.sid).fetch()).toMatchObject({ status: 'scheduled', body: 'a secret for later' });
    // A message already sent cannot be canceled: the request fails (30409) and its body is kept.
    const now = await client.messages.create({ from: NUMBERS[0], to: '+15557000405', body: 'sent now' });
    await waitForEnd(server, now.sid);
    expect(await rejection(client.messages(now.sid).update({ status: 'canceled', body: '' }))).toMatchObject({ status: 400, code: 30409 });
    expect((await client.messages(now.sid).fetch()).body).toBe('sent now');
  });

  it('sends a scheduled message at its time after a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-schedule-'));
    let first: TestServer | null = await startTestServer({ scheduleMinLeadSeconds: 1 }, { dataDir });
    let second: TestServer | null = null;
    try {
      const sendAt = new Date(Math.ceil((Date.now() + 3_000) / 1000) * 1000);
      const m = await twilioClient(first.url).messages.create({ from: NUMBERS[0], to: '+15557000404', body: 'scheduled', scheduleType: 'fixed', sendAt });
      expect(m.status).toBe('scheduled');
      await first.close();
      first = null;
      second = await startTestServer({ scheduleMinLeadSeconds: 1 }, { dataDir });
      const client2 = twilioClient(second.url);
      expect((await client2.messages(m.sid).fetch()).status).toBe('scheduled');
      await waitForEnd(second, m.sid);
      const row = (await second.store.messages.get(PROJECT_ID, m.sid))!;
      expect(row.status).toBe('delivered');
      expect(row.sentAt!).toBeGreaterThanOrEqual(sendAt.getTime());
      const events = (await second.store.events.listForMessage(PROJECT_ID, m.sid)).map((e) => e.status);
      expect(events.slice(0, 4)).toEqual(['scheduled', 'queued', 'initiated', 'sent']);
    } finally {
      await first?.close();
      await second?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('a scheduled message whose number is released', () => {
  it('fails with 21210 at its send time instead of going out from a number the project no longer has', async () => {
    const number = '+15551239901';
    const added = await server.api('/api/relay/rest/phone_numbers', { body: { number } });
    expect(added.status, added.text).toBe(200);
    const sendAt = new Date(Math.ceil((Date.now() + 2_000) / 1000) * 1000);
    const m = await client.messages.create({ from: number, to: '+15557000901', body: 'orphan', scheduleType: 'fixed', sendAt, statusCallback: `${receiver.url}/orphan` });
    expect(m.status).toBe('scheduled');
    const released = await server.api(`/api/relay/rest/phone_numbers/${added.body.id}`, { method: 'DELETE' });
    expect(released.status, released.text).toBe(204);
    expect(await waitForEnd(server, m.sid)).toMatchObject({ status: 'failed', error_code: '21210' });
    expect(await client.messages(m.sid).fetch()).toMatchObject({ status: 'failed', errorCode: 21210 });
    const [callback] = await receiver.waitFor(1, 10_000, (r) => r.path === '/orphan' && r.form?.get('MessageStatus') === 'failed');
    expect(callback!.form!.get('ErrorCode')).toBe('21210');
    expect((await stored(m.sid)).carrier).toBeNull();
  });
});

describe('native extension', () => {
  it('schedules with send_at and cancels by updating status', async () => {
    const sendAt = new Date(Date.now() + 60_000).toISOString();
    const res = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: '+15557000501', body: 'later', send_at: sendAt } });
    expect(res.status, res.text).toBe(201);
    expect(res.body.status).toBe('scheduled');
    const canceled = await server.api(`/api/messaging/messages/${res.body.id}`, { method: 'PATCH', body: { status: 'canceled' } });
    expect(canceled.status, canceled.text).toBe(200);
    expect(canceled.body.status).toBe('canceled');
    const again = await server.api(`/api/messaging/messages/${res.body.id}`, { method: 'PATCH', body: { status: 'sent' } });
    expect(again.status).toBe(422);
    const bad = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: '+15557000502', body: 'later', send_at: 'tomorrow' } });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0]).toMatchObject({ code: 'invalid_send_at', attribute: 'send_at' });
    await eventually(async () => ((await server.store.messages.get(PROJECT_ID, res.body.id))?.status === 'canceled' ? true : undefined));
  });
});

describe('queue overflow', () => {
  it('refuses a send with 21611 while the sender’s queue holds more than 4 hours at its rate (native: 422 queue_overflow)', async () => {
    // One segment every 10,000 s, messages valid 48 h: two queued messages reach 20,000 s, past the 14,400 s limit.
    await setRate(NUMBERS[1]!, 0.0001);
    try {
      const first = await client.messages.create({ from: NUMBERS[1], to: '+15557000601', body: 'q 1', validityPeriod: 172_800 });
      await client.messages.create({ from: NUMBERS[1], to: '+15557000602', body: 'q 2', validityPeriod: 172_800 });
      await waitForEnd(server, first.sid);
      const refused = await eventually(async () => {
        const err = await rejection(client.messages.create({ from: NUMBERS[1], to: '+15557000605', body: 'q 5', validityPeriod: 172_800 })).catch(() => undefined);
        return err?.code === 21611 ? err : undefined;
      });
      expect(refused).toMatchObject({ status: 400, code: 21611 });
      const native = await server.api('/api/messaging/messages', { body: { from: NUMBERS[1], to: '+15557000606', body: 'q 6' } });
      expect(native.status).toBe(422);
      expect(native.body.errors[0]).toMatchObject({ code: 'queue_overflow' });
      // Another sender is not affected.
      expect((await client.messages.create({ from: NUMBERS[0], to: '+15557000607', body: 'other' })).status).toBe('queued');
      // The reply to a handset's STOP is not refused with the full queue, nor held behind it: it is delivered now.
      const handset = '+15557000608';
      const stop = await server.api('/api/simulator/inbound', { body: { from: handset, to: NUMBERS[1], body: 'STOP' } });
      expect(stop.status).toBe(201);
      const reply = await eventually(async () => (await client.messages.list({ from: NUMBERS[1], to: handset })).find((m) => m.body.includes('unsubscribed')), 5000, 'the STOP confirmation');
      expect(await waitForEnd(server, reply.sid, 5000)).toMatchObject({ status: 'delivered' });
    } finally {
      await setRate(NUMBERS[1]!, null);
    }
  });
});

describe('@signalwire/compatibility-api', () => {
  it('schedules, lists by status and cancels a message', async () => {
    const dataDir = dataDirTrustedByTests();
    const https = await startTestServer({ httpsEnabled: true, scheduleMinLeadSeconds: 1 }, { dataDir });
    try {
      const sw = signalwireClient(https.httpsUrl!);
      const m = await sw.messages.create({ from: NUMBERS[0], to: '+15557000701', body: 'later', scheduleType: 'fixed', sendAt: new Date(Date.now() + 60_000) });
      expect(m.status).toBe('scheduled');
      expect((await sw.messages.list({ status: 'scheduled' })).map((x: { sid: string }) => x.sid)).toContain(m.sid);
      expect((await sw.messages(m.sid).update({ status: 'canceled' })).status).toBe('canceled');
      expect(await rejection(sw.messages.create({ from: NUMBERS[0], to: '+15557000702', body: 'x', scheduleType: 'fixed' }))).toMatchObject({ status: 400, code: 35111 });
    } finally {
      await https.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

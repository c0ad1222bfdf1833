/**
 * The carrier simulator through a real server: every magic number reaches its documented outcome
 * (logs and the message_events timeline), MMS receipts, loopback to our own numbers, the handset
 * inbox API (list, filters, clear, long-poll wait, MO injection) and the settings API.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessageEventRecord } from '../src/domain/message.js';
import { sendMessage, waitForStatus } from './helpers/messages.js';
import { requestText } from './helpers/raw-http.js';
import { createProject, type TestProject } from './helpers/projects.js';
import { eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';
import { rowCounts } from './helpers/store-counts.js';

const SEND = '/api/messaging/messages';
const INBOX = '/api/simulator/messages';
const SETTINGS = '/api/simulator/settings';
const FROM = NUMBERS[0]!;
const DOCS = 'https://developer.signalwire.com/rest/overview/error-codes/#';

let server: TestServer;
let other: TestProject;
const OTHER_NUMBER = '+15551239905';

beforeAll(async () => {
  server = await startTestServer();
  other = await createProject(server, { name: 'Other tenant', number: OTHER_NUMBER });
});
afterAll(async () => {
  await server.stop();
});

const send = (body: Record<string, unknown>, auth?: string) => sendMessage(server, body, auth);

async function timeline(id: string, projectId = PROJECT_ID): Promise<MessageEventRecord[]> {
  return server.store.events.listForMessage(projectId, id);
}

/** Wait until the message's timeline ends in `status`, and return it. */
async function timelineEndingIn(id: string, status: string, timeoutMs = 5000, projectId = PROJECT_ID): Promise<MessageEventRecord[]> {
  return eventually(
    async () => {
      const events = await timeline(id, projectId);
      return events[events.length - 1]?.status === status ? events : undefined;
    },
    timeoutMs,
    `${id} to reach ${status}`,
  );
}

async function handsetCopy(messageId: string, projectId = PROJECT_ID): Promise<boolean> {
  const rows = await server.store.handsets.list(projectId, {}, 10_000);
  return rows.some((h) => h.messageId === messageId);
}

/** A counter of the Prometheus exposition, 0 when absent. */
async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const res = await fetch(`${server.url}/metrics`);
  const text = await res.text();
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const labelText = line.slice(name.length + 1, line.indexOf('}'));
    if (want.every((w) => labelText.split(',').includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

describe('magic numbers', () => {
  it.each([
    ['+12015550101', '30003', /unreachable/i],
    ['+12015550102', '30005', /unknown/i],
    ['+12015550103', '30004', /block/i],
  ])('%s is handed over, then undelivered with %s', async (to, code, reason) => {
    const m = await send({ to });
    const events = await timelineEndingIn(m.id, 'undelivered');
    expect(events.map((e) => e.status)).toEqual(['queued', 'initiated', 'sent', 'undelivered']);
    expect(events[3]).toMatchObject({ errorCode: code, errorMessage: expect.stringMatching(reason) });
    expect(events.slice(0, 3).every((e) => e.errorCode === null)).toBe(true);
    const log = await server.api(`/api/messaging/logs/${m.id}`);
    expect(log.body).toMatchObject({ status: 'undelivered', error_code: code, error_message: expect.stringMatching(reason) });
    // The handset never had it.
    expect(await handsetCopy(m.id)).toBe(false);
  });

  it.each([
    ['+12015550104', '30006', /rout/i],
    ['+12015550105', '30007', /filter/i],
  ])('%s is refused at submission: failed with %s and never sent', async (to, code, reason) => {
    const m = await send({ to });
    const events = await timelineEndingIn(m.id, 'failed');
    expect(events.map((e) => e.status)).toEqual(['queued', 'initiated', 'failed']);
    expect(events[2]).toMatchObject({ errorCode: code, errorMessage: expect.stringMatching(reason) });
    const log = await server.api(`/api/messaging/logs/${m.id}`);
    expect(log.body).toMatchObject({ status: 'failed', error_code: code });
    expect(await handsetCopy(m.id)).toBe(false);
  });

  it('+12015550106 is delivered only after the delayed-receipt delay (200 ms here)', async () => {
    const m = await send({ to: '+12015550106' });
    const events = await timelineEndingIn(m.id, 'delivered');
    expect(events.map((e) => e.status)).toEqual(['queued', 'initiated', 'sent', 'delivered']);
    const sent = events[2]!.at;
    const delivered = events[3]!.at;
    expect(delivered - sent).toBeGreaterThanOrEqual(190);
    expect(events[3]!.errorCode).toBeNull();
  });

  it('+12015550107 reaches the handset but no receipt ever comes: it stays sent', async () => {
    const m = await send({ to: '+12015550107', body: 'no receipt please' });
    // Receipts are decided when the handset receives the message; once it is there, none is coming.
    await eventually(async () => ((await handsetCopy(m.id)) ? true : undefined));
    // A message sent afterwards is delivered: a receipt for the first, had one been coming, would be in by then.
    const later = await send({ to: '+15557660002', body: 'a later message' });
    await timelineEndingIn(later.id, 'delivered');
    const events = await timeline(m.id);
    expect(events.map((e) => e.status)).toEqual(['queued', 'initiated', 'sent']);
    expect((await server.api(`/api/messaging/logs/${m.id}`)).body).toMatchObject({ status: 'sent', error_code: null });
  });

  it('+12015550108 is throttled twice by the carrier, then delivered', async () => {
    const throttledBefore = await metric('switchboard_carrier_submissions_total', { carrier: 'simulator', outcome: 'throttled' });
    const m = await send({ to: '+12015550108' });
    const events = await timelineEndingIn(m.id, 'delivered');
    expect(events.map((e) => e.status)).toEqual(['queued', 'initiated', 'sent', 'delivered']);
    expect(await metric('switchboard_carrier_submissions_total', { carrier: 'simulator', outcome: 'throttled' })).toBe(throttledBefore + 2);
    // The simulator asks for a retry after at least 50 ms each time.
    expect(events[2]!.at - events[1]!.at).toBeGreaterThanOrEqual(90);
  });

  it('+12015550109 fails transiently twice, then is delivered', async () => {
    const transientBefore = await metric('switchboard_carrier_submissions_total', { carrier: 'simulator', outcome: 'transient' });
    const m = await send({ to: '+12015550109' });
    const events = await timelineEndingIn(m.id, 'delivered', 10_000);
    expect(events.map((e) => e.status)).toEqual(['queued', 'initiated', 'sent', 'delivered']);
    expect(await metric('switchboard_carrier_submissions_total', { carrier: 'simulator', outcome: 'transient' })).toBe(transientBefore + 2);
  });

  it('the timeline of a message throttled twice shows the retries it took', async () => {
    const m = await send({ to: '+12015550108' });
    const events = await timelineEndingIn(m.id, 'delivered');
    expect(JSON.stringify(events.map((e) => e.detail))).toMatch(/throttl|"attempt":3/);
  });
});

describe('MMS', () => {
  it('are delivered by default (simulator.mmsReceipts), with the handset holding the media', async () => {
    const media = ['https://example.com/a.png', 'https://example.com/b.jpg'];
    const m = await send({ to: '+15557660010', body: 'look', media });
    expect(m.kind).toBe('mms');
    const events = await timelineEndingIn(m.id, 'delivered');
    expect(events.map((e) => e.status)).toEqual(['queued', 'initiated', 'sent', 'delivered']);
    const inbox = await server.api(`${INBOX}?to=${encodeURIComponent('+15557660010')}`);
    expect(inbox.body.data[0]).toMatchObject({ message_id: m.id, media, body: 'look', segments: 1 });
  });

  it('stop at sent when MMS receipts are switched off, as on real networks', async () => {
    const off = await server.api(SETTINGS, { method: 'PUT', body: { mms_receipts: false } });
    expect(off.status).toBe(200);
    expect(off.body.mms_receipts).toBe(false);
    try {
      const m = await send({ to: '+15557660011', send_as_mms: true });
      await eventually(async () => ((await handsetCopy(m.id)) ? true : undefined));
      // The handset can have it before `sent` is recorded (with no delay both come in one turn).
      await timelineEndingIn(m.id, 'sent');
      expect((await timeline(m.id)).map((e) => e.status)).toEqual(['queued', 'initiated', 'sent']);
    } finally {
      await server.api(SETTINGS, { method: 'PUT', body: { mms_receipts: null } });
    }
  });

  it('stop at sent on a server configured with simulatorMmsReceipts: false', async () => {
    const withoutReceipts = await startTestServer({ simulatorMmsReceipts: false });
    try {
      const res = await withoutReceipts.api(SEND, { body: { from: FROM, to: '+15557660012', media: ['https://example.com/c.png'] } });
      expect(res.status).toBe(201);
      await waitForStatus(withoutReceipts, res.body.id, 'sent');
      expect((await withoutReceipts.api(SETTINGS)).body.mms_receipts).toBe(false);
    } finally {
      await withoutReceipts.stop();
    }
  });
});

describe('loopback to numbers this server owns', () => {
  it("delivers a message to one of our own numbers as an inbound message in the owner's logs, not to a handset", async () => {
    const m = await send({ to: NUMBERS[1], body: 'talking to myself' });
    await timelineEndingIn(m.id, 'delivered');
    const logs = await server.api('/api/messaging/logs?page_size=20');
    const inbound = logs.body.data.find((l: any) => l.direction === 'inbound' && l.from === FROM && l.to === NUMBERS[1]);
    expect(inbound).toMatchObject({ status: 'received', kind: 'sms', direction: 'inbound' });
    const stored = await server.store.messages.get(PROJECT_ID, inbound.id);
    expect(stored).toMatchObject({ body: 'talking to myself', direction: 'inbound', status: 'received', carrier: 'simulator' });
    expect((await timeline(inbound.id)).map((e) => e.status)).toEqual(['received']);
    expect(await handsetCopy(m.id)).toBe(false);
    const inbox = await server.api(`${INBOX}?to=${encodeURIComponent(NUMBERS[1]!)}`);
    expect(inbox.body.data).toEqual([]);
  });

  // Any project may register any free number, so another project's number does not receive the
  // sender's messages (it could be a real handset's number, registered to read them): the handset does.
  it("delivers a message to another project's number to the handset, not into that project's logs", async () => {
    const m = await send({ to: OTHER_NUMBER, body: 'hello neighbour' });
    await timelineEndingIn(m.id, 'delivered');
    expect(await handsetCopy(m.id)).toBe(true);
    const theirs = await server.api('/api/messaging/logs', { auth: other.auth });
    expect(theirs.body.data.some((l: any) => l.direction === 'inbound' && l.from === FROM)).toBe(false);
  });

  it("delivers another project's message to one of the operator project's numbers into the operator's logs only", async () => {
    const m = await send({ from: OTHER_NUMBER, to: NUMBERS[1], body: 'hello operator' }, other.auth);
    await timelineEndingIn(m.id, 'delivered', 5000, other.projectId);
    const mine = await server.api('/api/messaging/logs?page_size=1000');
    const arrived = mine.body.data.find((l: any) => l.direction === 'inbound' && l.from === OTHER_NUMBER);
    expect(arrived).toMatchObject({ to: NUMBERS[1], status: 'received' });
    const theirs = await server.api('/api/messaging/logs?page_size=1000', { auth: other.auth });
    expect(theirs.body.data.some((l: any) => l.id === arrived.id)).toBe(false);
  });

  it('keeps the loopback copy of an MMS with its media', async () => {
    const m = await send({ to: NUMBERS[1], body: '', media: ['https://example.com/loop.png'] });
    await eventually(async () => {
      const list = await server.store.messages.list(PROJECT_ID, { direction: 'inbound', from: FROM, to: NUMBERS[1] }, { limit: 10 });
      return list.find((x) => x.media.includes('https://example.com/loop.png'));
    });
    expect(await handsetCopy(m.id)).toBe(false);
  });
});

describe('the handset inbox API', () => {
  let phone: TestProject;
  const number = '+15551239906';
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    phone = await createProject(server, { name: 'Inbox', number });
    for (const [key, to, body] of [
      ['alice1', '+15557670001', 'Your code is 1234'],
      ['bob', '+15557670002', 'Lunch at noon?'],
      ['alice2', '+15557670001', 'Your CODE expires soon'],
    ] as const) {
      const m = await send({ from: number, to, body }, phone.auth);
      ids[key] = m.id;
      await eventually(async () => ((await handsetCopy(m.id, phone.projectId)) ? true : undefined));
    }
  });

  const inbox = (query = '', auth = phone.auth) => server.api(`${INBOX}${query}`, { auth });

  it('lists what the phones received, newest first, in the documented shape', async () => {
    const res = await inbox();
    expect(res.status).toBe(200);
    expect(res.body.data.map((h: any) => h.message_id)).toEqual([ids.alice2, ids.bob, ids.alice1]);
    const first = res.body.data[0];
    expect(Object.keys(first).sort()).toEqual(['body', 'code', 'from', 'id', 'media', 'message_id', 'received_at', 'segments', 'to']);
    expect(first).toMatchObject({ from: number, to: '+15557670001', body: 'Your CODE expires soon', media: [], segments: 1 });
    // Sealed: the inbox position counts every project's handset messages.
    expect(first.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(first.received_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });

  it('filters by to, from and (case-insensitive) contains, and limits', async () => {
    const byTo = await inbox(`?to=${encodeURIComponent('+15557670001')}`);
    expect(byTo.body.data.map((h: any) => h.message_id)).toEqual([ids.alice2, ids.alice1]);
    const byFrom = await inbox(`?from=${encodeURIComponent(number)}`);
    expect(byFrom.body.data).toHaveLength(3);
    expect((await inbox(`?from=${encodeURIComponent('+15550000000')}`)).body.data).toEqual([]);
    const contains = await inbox('?contains=code');
    expect(contains.body.data.map((h: any) => h.message_id)).toEqual([ids.alice2, ids.alice1]);
    const both = await inbox(`?to=${encodeURIComponent('+15557670001')}&contains=1234`);
    expect(both.body.data.map((h: any) => h.message_id)).toEqual([ids.alice1]);
    const limited = await inbox('?limit=1');
    expect(limited.body.data.map((h: any) => h.message_id)).toEqual([ids.alice2]);
  });

  it('matches contains case-insensitively beyond ASCII', async () => {
    const french = await createProject(server, { name: 'Pâtisserie', number: '+15551239907' });
    const m = await send({ from: '+15551239907', to: '+15557670009', body: 'Café CRÈME brûlée' }, french.auth);
    await eventually(async () => ((await handsetCopy(m.id, french.projectId)) ? true : undefined));
    const res = await server.api(`${INBOX}?contains=${encodeURIComponent('crème')}`, { auth: french.auth });
    expect(res.body.data.map((h: any) => h.message_id)).toEqual([m.id]);
  });

  it('filters by since (a handset message id)', async () => {
    const all = (await inbox()).body.data;
    const oldest = all[all.length - 1].id;
    const res = await inbox(`?since=${oldest}`);
    expect(res.body.data.map((h: any) => h.message_id)).toEqual([ids.alice2, ids.bob]);
    const bad = await inbox('?since=yesterday');
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0]).toMatchObject({ code: 'invalid_filter', attribute: 'since', url: `${DOCS}invalid_filter` });
    // A number is no id: it would let a project probe where its messages stand among every project's.
    for (const number of ['1', '9007199254740991', '99999999999999999999']) {
      const res = await inbox(`?since=${number}`);
      expect(res.status, number).toBe(422);
      expect(res.body.errors[0]).toMatchObject({ code: 'invalid_filter', attribute: 'since' });
    }
    // Nor is another project's id.
    const elsewhere = await server.api(`${INBOX}?since=${oldest}`, { auth: other.auth });
    expect(elsewhere.status).toBe(422);
  });

  it("shows each project only its own handset messages", async () => {
    const mine = await inbox('?limit=1000', server.auth);
    expect(mine.body.data.some((h: any) => Object.values(ids).includes(h.message_id))).toBe(false);
  });

  it('needs credentials', async () => {
    const res = await server.api(INBOX, { auth: null });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic/);
  });

  describe('waiting for a message', () => {
    it('returns an existing match at once', async () => {
      const res = await fetch(`${server.url}${INBOX}/wait?contains=lunch&timeout=30`, { headers: { authorization: phone.auth }, signal: AbortSignal.timeout(5000) });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ message_id: ids.bob, body: 'Lunch at noon?' });
    });

    it('waits for a message that arrives later', async () => {
      const newest = (await inbox('?limit=1')).body.data[0].id;
      const waiting = server.api(`${INBOX}/wait?since=${newest}&to=${encodeURIComponent('+15557670003')}&timeout=10`, { auth: phone.auth });
      await new Promise((r) => setTimeout(r, 100));
      const m = await send({ from: number, to: '+15557670003', body: 'worth the wait' }, phone.auth);
      const res = await waiting;
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ message_id: m.id, to: '+15557670003', body: 'worth the wait' });
      // Opaque, and later in the inbox: the list since `newest` has it.
      expect(res.body.id).not.toBe(newest);
      expect((await inbox(`?since=${newest}`)).body.data.map((h: any) => h.id)).toContain(res.body.id);
    });

    it("is not woken by another project's messages", async () => {
      const waiting = server.api(`${INBOX}/wait?to=${encodeURIComponent('+15557670004')}&timeout=0.4`, { auth: phone.auth });
      await new Promise((r) => setTimeout(r, 50));
      await send({ to: '+15557670004', body: 'not for the inbox project' });
      expect((await waiting).status).toBe(408);
    });

    it('answers 408 when nothing matches within timeout seconds', async () => {
      const res = await server.api(`${INBOX}/wait?contains=never-sent-${Date.now()}&timeout=0.3`, { auth: phone.auth });
      expect(res.status).toBe(408);
      expect(res.body).toEqual({ error: 'Request Timeout', message: expect.stringMatching(/0\.3 s/) });
    });

    it('refuses a bad since filter before waiting', async () => {
      const res = await server.api(`${INBOX}/wait?since=abc&timeout=30`, { auth: phone.auth });
      expect(res.status).toBe(422);
      expect(res.body.errors[0]).toMatchObject({ code: 'invalid_filter', attribute: 'since' });
    });
  });

  it("DELETE clears the caller's project only", async () => {
    // The other project has a handset message too.
    const theirs = await send({ from: OTHER_NUMBER, to: '+15557670005', body: 'keep me' }, other.auth);
    await eventually(async () => ((await handsetCopy(theirs.id, other.projectId)) ? true : undefined));
    const before = (await inbox('?limit=1000')).body.data.length;
    expect(before).toBeGreaterThan(0);
    // A filter is refused, not ignored: `?to=` emptied every phone's messages, not that one's.
    const filtered = await server.api(`${INBOX}?to=${encodeURIComponent('+15557670005')}`, { method: 'DELETE', auth: phone.auth });
    expect(filtered.status, filtered.text).toBe(422);
    expect(filtered.body.errors[0]).toMatchObject({ code: 'invalid_filter', attribute: 'to' });
    expect(filtered.body.errors[0].message).toMatch(/^DELETE \/api\/simulator\/messages empties the whole inbox and takes no filter \(got 'to'\); nothing was deleted/);
    expect((await inbox('?limit=1000')).body.data.length).toBe(before);
    const res = await server.api(INBOX, { method: 'DELETE', auth: phone.auth });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ deleted: before });
    expect((await inbox()).body.data).toEqual([]);
    const still = await server.api(INBOX, { auth: other.auth });
    expect(still.body.data.map((h: any) => h.message_id)).toContain(theirs.id);
    // The messages themselves are untouched.
    expect((await server.store.messages.get(phone.projectId, ids.bob!))?.status).toBe('delivered');
  });
});

describe('injecting a message from a phone (POST /api/simulator/inbound)', () => {
  const inject = (body: unknown, auth?: string) => server.api('/api/simulator/inbound', { body, ...(auth ? { auth } : {}) });

  // `media_url` (or `mediaUrl`) was dropped without a word: the phone's picture arrived as a text without it.
  it('refuses a field it does not take, naming the closest one, and stores nothing', async () => {
    const before = (await server.api('/api/messaging/logs?direction=inbound&page_size=1000')).body.data.length;
    for (const field of ['media_url', 'mediaUrl']) {
      const res = await inject({ from: '+15557680009', to: FROM, body: 'a picture', [field]: ['https://example.com/cat.jpg'] });
      expect(res.status, res.text).toBe(422);
      expect(res.body.errors[0]).toMatchObject({ code: 'invalid_parameter', attribute: field });
      expect(res.body.errors[0].message).toBe(`Unknown field '${field}' (did you mean 'media'?). A phone's message takes from, to, body, media.`);
    }
    expect((await server.api('/api/messaging/logs?direction=inbound&page_size=1000')).body.data.length).toBe(before);
  });

  it('stores it as received for our number and answers 201 with the native Message', async () => {
    const res = await inject({ from: '+15557680001', to: FROM, body: 'STOP' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      from: '+15557680001',
      to: FROM,
      body: 'STOP',
      status: 'received',
      direction: 'inbound',
      kind: 'sms',
      media: [],
      number_of_segments: 1,
      error_code: null,
      error_message: null,
      created_at: expect.stringMatching(/Z$/),
      project_id: PROJECT_ID,
      status_callback_url: null,
      message_uri: `/api/messaging/logs/${res.body.id}`,
    });
    const log = await server.api(`/api/messaging/logs/${res.body.id}`);
    expect(log.body).toMatchObject({ direction: 'inbound', status: 'received', from: '+15557680001', to: FROM });
    expect((await timeline(res.body.id)).map((e) => e.status)).toEqual(['received']);
  });

  it('makes an MMS of a message with media, and counts segments', async () => {
    const res = await inject({ from: '+15557680002', to: FROM, body: 'ç'.repeat(71), media: ['https://example.com/selfie.jpg'] });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ kind: 'mms', media: ['https://example.com/selfie.jpg'] });
    const sms = await inject({ from: '+15557680002', to: FROM, body: 'ç'.repeat(71) });
    expect(sms.body).toMatchObject({ kind: 'sms', number_of_segments: 2 });
  });

  it.each([
    ['a number registered nowhere', { from: '+15557680003', to: '+15559990000', body: 'hi' }, [['invalid_to_number', 'to']]],
    ["another project's number", { from: '+15557680003', to: OTHER_NUMBER, body: 'hi' }, [['invalid_to_number', 'to']]],
    ['no from', { to: FROM, body: 'hi' }, [['invalid_to_number', 'from']]],
    ['a bad from', { from: 'mom', to: FROM, body: 'hi' }, [['invalid_to_number', 'from']]],
    ['no body or media', { from: '+15557680003', to: FROM }, [['body_or_media_required', 'body']]],
    ['a body that is not a string', { from: '+15557680003', to: FROM, body: 5 }, [['invalid_message_body', 'body']]],
    ['media that is not a list', { from: '+15557680003', to: FROM, body: 'x', media: 'https://example.com/a.png' }, [['invalid_media_url', 'media']]],
    ['a body over 1600 characters', { from: '+15557680003', to: FROM, body: 'a'.repeat(1601) }, [['character_limit_exceeded', 'body']]],
    [
      'several problems',
      { from: 'x', to: '+15559990000' },
      [
        ['invalid_to_number', 'from'],
        ['invalid_to_number', 'to'],
        ['body_or_media_required', 'body'],
      ],
    ],
  ])('refuses %s with 422 and writes nothing', async (_what, body, expected) => {
    const before = await rowCounts(server);
    const res = await inject(body);
    expect(res.status, res.text).toBe(422);
    // A bad phone number (`from`) is reported with the destination-number code; only its attribute is pinned here.
    const codeOf = (code: string, attribute: string) => (attribute === 'from' ? expect.stringMatching(/^invalid_(to|from)_number$/) : code);
    expect(res.body.errors.map((e: any) => [e.code, e.attribute])).toEqual(expected.map(([code, attribute]) => [codeOf(code!, attribute!), attribute]));
    for (const e of res.body.errors) expect(e).toMatchObject({ type: 'validation_error', message: expect.any(String), url: `${DOCS}${e.code}` });
    expect(await rowCounts(server)).toEqual(before);
  });

  it('answers a body that is not an object with 400, and no credentials with 401', async () => {
    expect((await inject('[1,2]')).status).toBe(400);
    expect((await inject('{"from":')).status).toBe(400);
    expect((await server.api('/api/simulator/inbound', { body: { from: '+15557680004', to: FROM, body: 'x' }, auth: null })).status).toBe(401);
  });

  it('lets a project inject to its own numbers only', async () => {
    const res = await inject({ from: '+15557680005', to: OTHER_NUMBER, body: 'for them' }, other.auth);
    expect(res.status).toBe(201);
    expect(res.body.project_id).toBe(other.projectId);
    expect((await server.api(`/api/messaging/logs/${res.body.id}`)).status).toBe(404);
  });
});

describe('the simulator settings API', () => {
  let messagingOnly: TestProject;
  beforeAll(async () => {
    messagingOnly = await createProject(server, { name: 'messaging only', scopes: ['messaging'] });
  });

  it('shows delays, receipts, rules and the magic numbers', async () => {
    const res = await server.api(SETTINGS);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ delay_ms: 0, delayed_receipt_ms: 200, mms_receipts: true, rules: [] });
    expect(res.body.magic_numbers.map((m: any) => m.prefix)).toEqual(Array.from({ length: 9 }, (_, i) => `+1201555010${i + 1}`));
    expect(res.body.magic_numbers[0]).toMatchObject({ prefix: '+12015550101', outcome: 'undelivered', error: 30003, description: expect.stringContaining('30003') });
  });

  it('can be read with the messaging scope but changed only with management', async () => {
    expect((await server.api(SETTINGS, { auth: messagingOnly.auth })).status).toBe(200);
    const res = await server.api(SETTINGS, { method: 'PUT', body: { delay_ms: 5 }, auth: messagingOnly.auth });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ error: 'Forbidden', message: expect.stringMatching(/management/) });
    expect((await server.api(SETTINGS)).body.delay_ms).toBe(0);
    expect((await server.api(SETTINGS, { method: 'PUT', body: { delay_ms: 5 }, auth: null })).status).toBe(401);
  });

  it('needs management however the path is written: percent-escaped, or in absolute form', async () => {
    const { port } = new URL(server.url);
    const body = JSON.stringify({ delay_ms: 5 });
    const headers = { authorization: messagingOnly.auth, 'content-type': 'application/json', 'content-length': String(body.length) };
    for (const path of ['/api/simulator/%73ettings', `http://127.0.0.1:${port}${SETTINGS}`]) {
      const res = await requestText(httpRequest, { host: '127.0.0.1', port, method: 'PUT', path, headers }, body);
      expect(res.status, path).toBe(403);
      expect(JSON.parse(res.body)).toEqual({ error: 'Forbidden', message: expect.stringMatching(/management/) });
    }
    expect((await server.api(SETTINGS)).body.delay_ms).toBe(0);
  });

  it('applies new delays to the next messages', async () => {
    const put = await server.api(SETTINGS, { method: 'PUT', body: { delay_ms: 250 } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ delay_ms: 250, delayed_receipt_ms: 200, mms_receipts: true });
    try {
      const m = await send({ to: '+15557690001' });
      const events = await timelineEndingIn(m.id, 'delivered');
      const at = Object.fromEntries(events.map((e) => [e.status, e.at]));
      expect(at.sent! - at.initiated!).toBeGreaterThanOrEqual(240);
      // The receipt is due 250 ms after the answer, which came 250 ms after the submission; `sent`
      // is stamped when it is written (later than the answer on a busy machine), so the bound is
      // taken from `initiated`, written before the submission.
      expect(at.delivered! - at.initiated!).toBeGreaterThanOrEqual(490);
    } finally {
      expect((await server.api(SETTINGS, { method: 'PUT', body: { delay_ms: 0 } })).body.delay_ms).toBe(0);
    }
  });

  it('applies a new delayed-receipt delay to the delayed-receipt number', async () => {
    await server.api(SETTINGS, { method: 'PUT', body: { delayed_receipt_ms: 400 } });
    try {
      const m = await send({ to: '+12015550106' });
      const events = await timelineEndingIn(m.id, 'delivered');
      // Due 400 ms after the answer; measured from `initiated` (written before the submission), as
      // `sent` is stamped when written, up to tens of ms after the answer under load (a CI run saw 356).
      const at = Object.fromEntries(events.map((e) => [e.status, e.at]));
      expect(at.delivered! - at.initiated!).toBeGreaterThanOrEqual(390);
    } finally {
      await server.api(SETTINGS, { method: 'PUT', body: { delayed_receipt_ms: 200 } });
    }
  });

  it('applies outcome rules by prefix (longest wins, over magic numbers) and drops them again', async () => {
    const put = await server.api(SETTINGS, {
      method: 'PUT',
      body: {
        rules: [
          { prefix: '+1777', outcome: 'undelivered', error: 30005, description: 'unknown handsets' },
          { prefix: '+17775', outcome: 'failed', error: 30007 },
          { prefix: '+12015550101', outcome: 'delivered' },
        ],
      },
    });
    expect(put.status, put.text).toBe(200);
    expect(put.body.rules).toEqual([
      { prefix: '+1777', outcome: 'undelivered', error: 30005, description: 'unknown handsets' },
      { prefix: '+17775', outcome: 'failed', error: 30007 },
      { prefix: '+12015550101', outcome: 'delivered' },
    ]);
    try {
      const a = await send({ to: '+17771234567' });
      const b = await send({ to: '+17775551234' });
      const c = await send({ to: '+12015550101' });
      expect((await timelineEndingIn(a.id, 'undelivered')).at(-1)).toMatchObject({ errorCode: '30005' });
      expect((await timelineEndingIn(b.id, 'failed')).map((e) => e.status)).toEqual(['queued', 'initiated', 'failed']);
      expect((await timeline(b.id)).at(-1)).toMatchObject({ errorCode: '30007' });
      await timelineEndingIn(c.id, 'delivered');
    } finally {
      expect((await server.api(SETTINGS, { method: 'PUT', body: { rules: [] } })).body.rules).toEqual([]);
    }
    const after = await send({ to: '+17771234567' });
    await timelineEndingIn(after.id, 'delivered');
  });

  it.each([
    [{ rules: 'all delivered' }, 'rules', /list/],
    [{ rules: [{ prefix: 'abc', outcome: 'delivered' }] }, 'rules', /prefix/],
    [{ rules: [{ prefix: '+1', outcome: 'lost' }] }, 'rules', /outcome/],
    [{ rules: [{ prefix: '+1', outcome: 'undelivered', error: 21211 }] }, 'rules', /error/],
    [{ rules: [{ prefix: '+1', outcome: 'throttled', times: 0 }] }, 'rules', /times/],
    [{ rules: [{ prefix: '+1', outcome: 'delivered', error: 30003 }] }, 'rules', /"error" is for undelivered and failed/],
    [{ rules: [{ prefix: '+1', outcome: 'delivered', prefx: '+2' }] }, 'rules', /unknown field/],
    [{ rules: [{ prefix: '+1555', outcome: 'delivered' }, { prefix: '+1555', outcome: 'failed' }] }, 'rules', /already rule 0's/],
    [{ rules: [{ prefix: '+1', outcome: 'failed', description: 'x'.repeat(100_000) }] }, 'rules', /at most 200 characters/],
    [{ delay_ms: -1 }, 'delay_ms', /delay_ms/],
    [{ delay_ms: 'fast' }, 'delay_ms', /delay_ms/],
    [{ delay_ms: 1.5 }, 'delay_ms', /delay_ms/],
    [{ delayed_receipt_ms: 3_600_001 }, 'delayed_receipt_ms', /delayed_receipt_ms/],
    [{ mms_receipts: 'yes' }, 'mms_receipts', /boolean/],
    [{ delay_ms: 7, rules: [{ prefix: '+1', outcome: 'nope' }] }, 'rules', /outcome/],
  ])('refuses %j with 422 and changes nothing', async (body, attribute, mentions) => {
    const before = (await server.api(SETTINGS)).body;
    const res = await server.api(SETTINGS, { method: 'PUT', body });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ type: 'validation_error', code: 'invalid_parameter', attribute, message: expect.stringMatching(mentions), url: `${DOCS}invalid_parameter` }]);
    expect((await server.api(SETTINGS)).body).toEqual(before);
  });

  it('accepts the rules it shows (read, then write back)', async () => {
    await server.api(SETTINGS, { method: 'PUT', body: { rules: [{ prefix: '+1888', outcome: 'delayed' }, { prefix: '+1889', outcome: 'undelivered', error: 30004 }] } });
    try {
      const shown = (await server.api(SETTINGS)).body.rules;
      const res = await server.api(SETTINGS, { method: 'PUT', body: { rules: shown } });
      expect(res.status, res.text).toBe(200);
      expect(res.body.rules).toEqual(shown);
    } finally {
      await server.api(SETTINGS, { method: 'PUT', body: { rules: [] } });
    }
  });

  it('answers a body that is not an object with 400', async () => {
    expect((await server.api(SETTINGS, { method: 'PUT', body: '[]' })).status).toBe(400);
    expect((await server.api(SETTINGS, { method: 'PUT', body: 'nope', headers: { 'content-type': 'text/plain' } })).status).toBe(415);
  });
});

/**
 * Redaction (PATCH /api/messaging/messages/{id}, rest-apis §A.2) and the message logs
 * (GET /api/messaging/logs[/{id}], §A.3) against a real server: rules, paging links and tokens,
 * date filters, the MessageLog shape for each kind of message, and isolation between projects.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertMessages, sendMessage, waitForStatus } from './helpers/messages.js';
import { createProject, type TestProject } from './helpers/projects.js';
import { messageRow } from './helpers/records.js';
import { NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';
import { startWebhookReceiver } from './helpers/webhook-receiver.js';

const SEND = '/api/messaging/messages';
const LOGS = '/api/messaging/logs';
const FROM = NUMBERS[0]!;
const DOCS = 'https://developer.signalwire.com/rest/overview/error-codes/#';

let server: TestServer;
let other: TestProject;
const OTHER_NUMBER = '+15551239902';

beforeAll(async () => {
  server = await startTestServer();
  other = await createProject(server, { name: 'Other tenant', number: OTHER_NUMBER });
});
afterAll(async () => {
  await server.stop();
});

const send = (body: Record<string, unknown>, auth?: string) => sendMessage(server, body, auth);

async function sendAndWait(body: Record<string, unknown>, status: string, auth?: string, projectId = PROJECT_ID): Promise<any> {
  const m = await send(body, auth);
  await waitForStatus(server, m.id, status, { projectId, timeoutMs: 5000 });
  return m;
}

function expectOneError(res: { status: number; body: any }, code: string, attribute: string | null): void {
  expect(res.status).toBe(422);
  expect(res.body).toEqual({ errors: [{ type: 'validation_error', code, attribute, message: expect.any(String), url: `${DOCS}${code}` }] });
  expect(res.body.errors[0].message.length).toBeGreaterThan(15);
}

const patch = (id: string, body: unknown, auth?: string) => server.api(`${SEND}/${id}`, { method: 'PATCH', body, ...(auth ? { auth } : {}) });

describe('redacting a message', () => {
  it('empties the body of a delivered message and answers 200 with the Message', async () => {
    const sent = await sendAndWait({ to: '+15557650001', body: 'my secret code is 1234' }, 'delivered');
    const res = await patch(sent.id, { body: '' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...sent, body: '', status: 'delivered' });
    const stored = await server.store.messages.get(PROJECT_ID, sent.id);
    expect(stored?.body).toBe('');
    expect(stored?.redactedAt).toEqual(expect.any(Number));
    // Still listed and readable, without its text.
    const log = await server.api(`${LOGS}/${sent.id}`);
    expect(log.status).toBe(200);
    expect(log.body.status).toBe('delivered');
  });

  it('is irreversible: redacting again is fine, restoring a body is refused', async () => {
    const sent = await sendAndWait({ to: '+15557650002', body: 'once' }, 'delivered');
    expect((await patch(sent.id, { body: '' })).status).toBe(200);
    const again = await patch(sent.id, { body: '' });
    expect(again.status).toBe(200);
    expect(again.body.body).toBe('');
    expectOneError(await patch(sent.id, { body: 'once' }), 'body_must_be_empty', 'body');
    expect((await server.store.messages.get(PROJECT_ID, sent.id))?.body).toBe('');
  });

  it.each([
    ['undelivered', '+12015550101'],
    ['failed', '+12015550104'],
  ])('redacts a message that ended %s', async (status, to) => {
    const sent = await sendAndWait({ to, body: 'bye' }, status);
    const res = await patch(sent.id, { body: '' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: sent.id, status, body: '' });
  });

  it('redacts a received (inbound) message', async () => {
    const mo = await server.api('/api/simulator/inbound', { body: { from: '+15557650099', to: FROM, body: 'inbound secret' } });
    expect(mo.status).toBe(201);
    const res = await patch(mo.body.id, { body: '' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: mo.body.id, direction: 'inbound', status: 'received', body: '' });
  });

  it.each([[{ body: 'x' }], [{ body: ' ' }]])('answers %j with body_must_be_empty and changes nothing', async (body) => {
    const sent = await sendAndWait({ to: '+15557650003', body: 'keep me' }, 'delivered');
    expectOneError(await patch(sent.id, body), 'body_must_be_empty', 'body');
    expect((await server.store.messages.get(PROJECT_ID, sent.id))?.body).toBe('keep me');
  });

  // An empty patch was told its body must be empty: say what a patch can change instead.
  it.each([[{}], [{ text: '' }]])('says what a patch %j that changes nothing can change, and changes nothing', async (body) => {
    const sent = await sendAndWait({ to: '+15557650003', body: 'keep me' }, 'delivered');
    const res = await patch(sent.id, body);
    expectOneError(res, 'body_must_be_empty', 'body');
    expect(res.body.errors[0].message).toBe('This request changes nothing: give "body": "" to redact the message, or "status": "canceled" to cancel a scheduled one.');
    expect((await server.store.messages.get(PROJECT_ID, sent.id))?.body).toBe('keep me');
  });

  it.each([[{ body: null }], [{ body: 0 }], [{ body: false }], [{ body: [] }]])('answers the non-string %j with body_must_be_empty too', async (body) => {
    const sent = await sendAndWait({ to: '+15557650004', body: 'keep me' }, 'delivered');
    expectOneError(await patch(sent.id, body), 'body_must_be_empty', 'body');
  });

  it('checks status and body together before changing anything, and given both cancels a scheduled message, then redacts it', async () => {
    const delivered = await sendAndWait({ to: '+15557650021', body: 'keep me whole' }, 'delivered');
    // A status beside the body is not ignored: a bad one refuses the whole request.
    expectOneError(await patch(delivered.id, { status: 'bogus', body: '' }), 'invalid_parameter', 'status');
    expect((await server.store.messages.get(PROJECT_ID, delivered.id))?.body).toBe('keep me whole');
    const later = () => send({ to: '+15557650022', body: 'a secret for later', send_at: new Date(Date.now() + 3_600_000).toISOString() });
    const scheduled = await later();
    expectOneError(await patch(scheduled.id, { status: 'canceled', body: 'x' }), 'body_must_be_empty', 'body');
    expectOneError(await patch(scheduled.id, { status: 'canceled', body: null }), 'body_must_be_empty', 'body');
    expect(await server.store.messages.get(PROJECT_ID, scheduled.id)).toMatchObject({ status: 'scheduled', body: 'a secret for later' });
    const both = await patch(scheduled.id, { status: 'canceled', body: '' });
    expect(both.status, both.text).toBe(200);
    expect(both.body).toMatchObject({ id: scheduled.id, status: 'canceled', body: '' });
    // A message already sent cannot be canceled: refused, and its body kept.
    const refused = await patch(delivered.id, { status: 'canceled', body: '' });
    expect(refused.status).toBe(422);
    expect(refused.body.errors[0].code).toBe('message_not_cancelable');
    expect((await server.store.messages.get(PROJECT_ID, delivered.id))?.body).toBe('keep me whole');
  });

  it('still refuses a non-string body with a 422 and changes nothing', async () => {
    const sent = await sendAndWait({ to: '+15557650005', body: 'keep me' }, 'delivered');
    const res = await patch(sent.id, { body: null });
    expect(res.status).toBe(422);
    expect(res.body.errors[0].attribute).toBe('body');
    expect((await server.store.messages.get(PROJECT_ID, sent.id))?.body).toBe('keep me');
  });

  it('refuses a queued message with cannot_redact_in_progress_message on "base"', async () => {
    // Accepted but not yet claimed by the dispatcher: a row without its dispatch job stays queued.
    const [queued] = await insertMessages(server, [messageRow(PROJECT_ID, { status: 'queued', body: 'waiting' })]);
    expectOneError(await patch(queued!.id, { body: '' }), 'cannot_redact_in_progress_message', 'base');
    expect((await server.store.messages.get(PROJECT_ID, queued!.id))?.body).toBe('waiting');
  });

  it('refuses an initiated message, then redacts it once it is delivered', async () => {
    // A carrier that keeps throttling holds the message in `initiated`.
    const set = await server.api('/api/simulator/settings', { method: 'PUT', body: { rules: [{ prefix: '+1999', outcome: 'throttled', times: 100 }] } });
    expect(set.status).toBe(200);
    try {
      const sent = await sendAndWait({ to: '+19995550100', body: 'in flight' }, 'initiated');
      expectOneError(await patch(sent.id, { body: '' }), 'cannot_redact_in_progress_message', 'base');
      expect((await server.store.messages.get(PROJECT_ID, sent.id))?.body).toBe('in flight');
      await server.api('/api/simulator/settings', { method: 'PUT', body: { rules: [] } });
      await waitForStatus(server, sent.id);
      expect((await patch(sent.id, { body: '' })).status).toBe(200);
    } finally {
      await server.api('/api/simulator/settings', { method: 'PUT', body: { rules: [] } });
    }
  });

  it('redacts a message that stays sent (only queued and initiated are refused)', async () => {
    const sent = await sendAndWait({ to: '+12015550107', body: 'no receipt' }, 'sent');
    const res = await patch(sent.id, { body: '' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'sent', body: '' });
  });

  it.each([[randomUUID()], ['not-a-uuid'], ['0']])('answers the unknown id %s with 404 {"error":"Not Found"}', async (id) => {
    const res = await patch(id, { body: '' });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error: 'Not Found' });
  });

  it("answers another project's message with 404 and leaves it alone", async () => {
    const theirs = await sendAndWait({ from: OTHER_NUMBER, to: '+15557650006', body: 'theirs' }, 'delivered', other.auth, other.projectId);
    const res = await patch(theirs.id, { body: '' });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error: 'Not Found' });
    expect((await server.store.messages.get(other.projectId, theirs.id))?.body).toBe('theirs');
  });

  it('answers bad JSON with 400, another content type with 415 and no credentials with 401', async () => {
    const sent = await sendAndWait({ to: '+15557650007', body: 'keep me' }, 'delivered');
    const bad = await patch(sent.id, '{"body":');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: 'Bad Request' });
    const form = await server.api(`${SEND}/${sent.id}`, { method: 'PATCH', body: 'body=', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
    expect(form.body).toMatchObject({ error: 'Unsupported Media Type' });
    const anon = await server.api(`${SEND}/${sent.id}`, { method: 'PATCH', body: { body: '' }, auth: null });
    expect(anon.status).toBe(401);
    expect(anon.headers.get('www-authenticate')).toMatch(/^Basic/);
    expect((await server.store.messages.get(PROJECT_ID, sent.id))?.body).toBe('keep me');
  });
});

/** The path and query of an absolute link, after checking it points at this server. */
function follow(link: string): string {
  const u = new URL(link);
  expect(u.origin).toBe(server.url);
  return `${u.pathname}${u.search}`;
}

describe('redacting a message whose status callbacks are still retrying', () => {
  it('erases the text from the stored callbacks, and those sent later carry none (native JSON and Compatibility form)', async () => {
    // Retries every 100-200 ms, so the callbacks held back by a failing receiver go out soon after it answers.
    const quick = await startTestServer({ webhookRetryBaseMs: 100, webhookRetryMaxMs: 200 });
    const receiver = await startWebhookReceiver();
    receiver.respond(() => ({ status: 503 }));
    try {
      const native = await sendMessage(quick, { from: FROM, to: '+15557650031', body: 'native secret 4711', status_callback: `${receiver.url}/native` });
      const compat = await quick.api(`/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Messages.json`, {
        body: new URLSearchParams({ From: FROM, To: '+15557650032', Body: 'compat secret 4711', StatusCallback: `${receiver.url}/compat` }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(compat.status).toBe(201);
      const ids = [native.id as string, compat.body.sid as string];
      for (const id of ids) await waitForStatus(quick, id, 'delivered', { timeoutMs: 10_000 });
      // Each message's first callback keeps failing, so the later ones (delivered among them) wait behind it, unsent.
      await receiver.waitFor(2, 10_000, (r) => r.path === '/native' || r.path === '/compat');
      expect((await quick.api(`${SEND}/${ids[0]}`, { method: 'PATCH', body: { body: '' } })).status).toBe(200);
      const redacted = await quick.api(`/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Messages/${ids[1]}.json`, { body: 'Body=', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(redacted.status).toBe(200);

      for (const id of ids) {
        const stored = await quick.store.webhooks.listForMessage(PROJECT_ID, id);
        expect(stored.length).toBeGreaterThanOrEqual(4);
        for (const d of stored) expect(d.body).not.toContain('secret');
      }
      receiver.respond(() => ({ status: 200 }));
      const [nativeDelivered] = await receiver.waitFor(1, 20_000, (r) => r.json?.status === 'delivered');
      expect(nativeDelivered!.json).toMatchObject({ id: ids[0], body: '' });
      const [compatDelivered] = await receiver.waitFor(1, 20_000, (r) => r.form?.get('MessageStatus') === 'delivered');
      expect(compatDelivered!.form?.get('MessageSid')).toBe(ids[1]);
      expect(compatDelivered!.form?.get('Body')).toBe('');
    } finally {
      await receiver.close();
      await quick.stop();
    }
  });
});

describe('paging through the logs', () => {
  let pager: TestProject;
  const ids: string[] = []; // newest first
  const number = '+15551239903';

  beforeAll(async () => {
    pager = await createProject(server, { name: 'Pager', number });
    for (let i = 0; i < 7; i++) {
      const m = await send({ from: number, to: `+1555765100${i}`, body: `page test ${i}` }, pager.auth);
      ids.unshift(m.id);
    }
  });

  const list = (query: string) => server.api(`${LOGS}${query}`, { auth: pager.auth });

  it('returns 50 newest first by default, with self and first links only', async () => {
    const res = await list('');
    expect(res.status).toBe(200);
    expect(res.body.data.map((l: any) => l.id)).toEqual(ids);
    expect(res.body.links).toEqual({ self: `${server.url}${LOGS}`, first: `${server.url}${LOGS}?page_size=50` });
  });

  it('walks forward page by page with page_size, page_number and the page_token of the next link', async () => {
    const p0 = await list('?page_size=3');
    expect(p0.status).toBe(200);
    expect(p0.body.data.map((l: any) => l.id)).toEqual(ids.slice(0, 3));
    expect(p0.body.links.self).toBe(`${server.url}${LOGS}?page_size=3`);
    expect(p0.body.links.first).toBe(`${server.url}${LOGS}?page_size=3`);
    expect(p0.body.links.prev).toBeUndefined();
    const next0 = new URL(p0.body.links.next);
    // The token carries the sealed position of the page's last row (engine/page-tokens.ts), not its id.
    expect(Object.fromEntries(next0.searchParams)).toEqual({ page_number: '1', page_size: '3', page_token: expect.stringMatching(/^PAS[A-Za-z0-9_-]{22}$/) });
    expect(next0.searchParams.get('page_token')).not.toContain(ids[2]!);

    const p1 = await list(follow(p0.body.links.next).slice(LOGS.length));
    expect(p1.status).toBe(200);
    expect(p1.body.data.map((l: any) => l.id)).toEqual(ids.slice(3, 6));
    expect(p1.body.links.self).toBe(p0.body.links.next);
    expect(p1.body.links.prev).toBeDefined();
    expect(p1.body.links.next).toBeDefined();

    const p2 = await list(follow(p1.body.links.next).slice(LOGS.length));
    expect(p2.body.data.map((l: any) => l.id)).toEqual(ids.slice(6));
    expect(p2.body.links.next).toBeUndefined();
    expect(p2.body.links.prev).toBeDefined();
    expect(p2.body.links.first).toBe(`${server.url}${LOGS}?page_size=3`);

    // And back again through the prev links.
    const back1 = await list(follow(p2.body.links.prev).slice(LOGS.length));
    expect(back1.body.data.map((l: any) => l.id)).toEqual(ids.slice(3, 6));
    const forwardAgain = await list(follow(back1.body.links.next).slice(LOGS.length));
    expect(forwardAgain.body.data.map((l: any) => l.id)).toEqual(ids.slice(6));
    const back0 = await list(follow(back1.body.links.prev).slice(LOGS.length));
    expect(back0.body.data.map((l: any) => l.id)).toEqual(ids.slice(0, 3));
    expect(back0.body.links.prev).toBeUndefined();
  });

  it('has no next link when the last page is exactly full', async () => {
    const res = await list('?page_size=7');
    expect(res.body.data).toHaveLength(7);
    expect(res.body.links.next).toBeUndefined();
  });

  it('accepts page sizes 1 and 1000', async () => {
    const one = await list('?page_size=1');
    expect(one.body.data.map((l: any) => l.id)).toEqual([ids[0]]);
    expect(new URL(one.body.links.next).searchParams.get('page_token')).toMatch(/^PAS[A-Za-z0-9_-]{22}$/);
    expect((await list(follow(one.body.links.next).slice(LOGS.length))).body.data.map((l: any) => l.id)).toEqual([ids[1]]);
    const many = await list('?page_size=1000');
    expect(many.body.data).toHaveLength(7);
  });

  it('keeps other query parameters in the links', async () => {
    const res = await list('?page_size=2&created_after=2020-01-01');
    const next = new URL(res.body.links.next);
    expect(next.searchParams.get('created_after')).toBe('2020-01-01');
    const p1 = await list(follow(res.body.links.next).slice(LOGS.length));
    expect(p1.body.data.map((l: any) => l.id)).toEqual(ids.slice(2, 4));
  });

  it('answers page_number > 0 without a token with page_token_required_for_next_page', async () => {
    expectOneError(await list('?page_number=1'), 'page_token_required_for_next_page', 'page_token');
    expectOneError(await list('?page_number=3&page_size=2'), 'page_token_required_for_next_page', 'page_token');
  });

  it.each([['garbage'], ['PA'], ['PAxyz!'], [`PX${randomUUID()}`], [`PA${randomUUID()}`], [randomUUID()]])('answers the page token %s with page_token_is_invalid', async (token) => {
    expectOneError(await list(`?page_number=1&page_token=${encodeURIComponent(token)}`), 'page_token_is_invalid', 'page_token');
  });

  it("answers a token naming another project's message with page_token_is_invalid", async () => {
    const [mine] = (await server.api(`${LOGS}?page_size=1`)).body.data;
    expectOneError(await list(`?page_number=1&page_token=PA${mine.id}`), 'page_token_is_invalid', 'page_token');
  });

  it.each([['0'], ['1001'], ['abc'], ['-1'], ['1.5'], ['10e2']])('answers page_size=%s with a 422 about page_size', async (size) => {
    const res = await list(`?page_size=${size}`);
    expectOneError(res, 'invalid_page_size', 'page_size');
  });

  it.each([['-1'], ['abc'], ['1.5'], ['1000000001']])('answers page_number=%s with a 422 about page_number', async (n) => {
    expectOneError(await list(`?page_number=${n}`), 'invalid_page_number', 'page_number');
  });

  it('names the largest page number it takes, not "0 or more" (which 99999999999999 is)', async () => {
    const res = await list('?page_number=99999999999999');
    expect(res.body.errors[0].message).toBe('The page number must be a whole number from 0 to 1000000000.');
  });
});

describe('filtering the logs by creation date', () => {
  let dated: TestProject;
  const at = {
    a: Date.parse('2024-05-05T23:59:59.999Z'),
    b: Date.parse('2024-05-06T00:00:00.000Z'),
    c: Date.parse('2024-05-06T12:20:00.000Z'),
    d: Date.parse('2024-05-06T23:59:59.999Z'),
    e: Date.parse('2024-05-07T00:00:00.000Z'),
  };
  const idOf: Record<string, string> = {};

  beforeAll(async () => {
    dated = await createProject(server, { name: 'Dated' });
    // Messages from the past can only be written straight into the store.
    const rows = (Object.keys(at) as Array<keyof typeof at>).map((k) => messageRow(dated.projectId, { createdAt: at[k], body: k }));
    const stored = await insertMessages(server, rows);
    (Object.keys(at) as Array<keyof typeof at>).forEach((k, i) => (idOf[stored[i]!.id] = k));
  });

  async function names(query: string): Promise<string[]> {
    const res = await server.api(`${LOGS}?${query}`, { auth: dated.auth });
    expect(res.status, res.text).toBe(200);
    return res.body.data.map((l: any) => idOf[l.id]);
  }

  it.each([
    ['', ['e', 'd', 'c', 'b', 'a']],
    ['created_on=2024-05-06', ['d', 'c', 'b']],
    ['created_before=2024-05-06', ['a']],
    ['created_after=2024-05-06', ['e']],
    ['created_after=2024-05-05', ['e', 'd', 'c', 'b']],
    ['created_before=2024-05-07', ['d', 'c', 'b', 'a']],
    ['created_after=2024-05-06T12:00:00Z', ['e', 'd', 'c']],
    ['created_before=2024-05-06T12:20:00Z', ['b', 'a']],
    ['created_after=2024-05-06T12:20:00Z', ['e', 'd']],
    ['created_after=2024-05-06T14:20:00%2B02:00', ['e', 'd']],
    ['created_after=2024-05-06T00:00:00.000Z&created_before=2024-05-07', ['d', 'c']],
    ['created_on=2024-05-06&created_after=2024-05-06T06:00:00Z', ['d', 'c']],
    ['created_on=2024-05-06&created_before=2024-05-06T06:00:00Z', ['b']],
    ['created_on=2024-05-06T12:20:00Z', ['c']],
    ['created_on=2023-01-01', []],
    ['created_after=2024-05-07&created_before=2024-05-05', []],
  ])('?%s lists %j', async (query, expected) => {
    expect(await names(query)).toEqual(expected);
  });

  it('shows created_at as an ISO-8601 UTC date-time', async () => {
    const res = await server.api(`${LOGS}?created_on=2024-05-06T12:20:00Z`, { auth: dated.auth });
    expect(res.body.data[0].created_at).toBe('2024-05-06T12:20:00Z');
  });

  it.each([
    ['created_before', 'yesterday'],
    ['created_after', 'tomorrow'],
    ['created_on', 'May 6 2024'],
    ['created_on', '2024-13-01'],
    ['created_on', '2024-05-06T25:00:00Z'],
    ['created_before', '05/06/2024'],
    ['created_after', '1714998000000'],
    ['created_after', '2024-5-6'],
    ['created_on', '2024-05-06Tnoon'],
  ])('answers %s=%s with datetime_required naming that parameter', async (param, value) => {
    expectOneError(await server.api(`${LOGS}?${param}=${encodeURIComponent(value)}`, { auth: dated.auth }), 'datetime_required', param);
  });

  it.each([['created_on', '2024-02-30'], ['created_before', '2023-02-29'], ['created_after', '2024-04-31T10:00:00Z']])(
    'answers the impossible date %s=%s with datetime_required',
    async (param, value) => {
      expectOneError(await server.api(`${LOGS}?${param}=${value}`, { auth: dated.auth }), 'datetime_required', param);
    },
  );
});

describe('deleted messages in the logs', () => {
  it('are left out unless include_deleted=true, by id as in the list', async () => {
    const number = '+15551239904';
    const keeper = await createProject(server, { name: 'Keeper', number });
    const a = await sendAndWait({ from: number, to: '+15557652001' }, 'delivered', keeper.auth, keeper.projectId);
    const b = await sendAndWait({ from: number, to: '+15557652002' }, 'delivered', keeper.auth, keeper.projectId);
    // Deletion belongs to the Compatibility API; mark it the way that surface does.
    expect(await server.store.messages.markDeleted(keeper.projectId, a.id, Date.now())).toBe(true);
    const ids = async (q: string) => (await server.api(`${LOGS}${q}`, { auth: keeper.auth })).body.data.map((l: any) => l.id);
    expect(await ids('')).toEqual([b.id]);
    expect(await ids('?include_deleted=false')).toEqual([b.id]);
    expect(await ids('?include_deleted=true')).toEqual([b.id, a.id]);
    // As SignalWire's Python SDK sends a Python bool (requests writes True/False).
    expect(await ids('?include_deleted=True')).toEqual([b.id, a.id]);
    expect(await ids('?include_deleted=False')).toEqual([b.id]);
    expect((await server.api(`${LOGS}/${a.id}`, { auth: keeper.auth })).status).toBe(404);
    expect((await server.api(`${LOGS}/${a.id}?include_deleted=false`, { auth: keeper.auth })).status).toBe(404);
    const one = await server.api(`${LOGS}/${a.id}?include_deleted=true`, { auth: keeper.auth });
    expect(one.status).toBe(200);
    expect(one.body.id).toBe(a.id);
    expectOneError(await server.api(`${LOGS}/${a.id}?include_deleted=yes`, { auth: keeper.auth }), 'invalid_filter', 'include_deleted');
  });
});

const LOG_KEYS = ['charge', 'charge_details', 'created_at', 'direction', 'error_code', 'error_message', 'from', 'id', 'kind', 'number_of_segments', 'source', 'status', 'to', 'type', 'url'].sort();

describe('one message log (GET /api/messaging/logs/{id})', () => {
  it('shows a delivered outbound SMS with every MessageLog field', async () => {
    const sent = await sendAndWait({ to: '+15557653001', body: 'a'.repeat(161) }, 'delivered');
    const res = await server.api(`${LOGS}/${sent.id}`);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(LOG_KEYS);
    expect(res.body).toEqual({
      id: sent.id,
      from: FROM,
      to: '+15557653001',
      status: 'delivered',
      direction: 'outbound',
      kind: 'sms',
      source: 'realtime_api',
      type: 'relay_message',
      url: null,
      number_of_segments: 2,
      charge: 0,
      charge_details: [],
      created_at: sent.created_at,
      error_code: null,
      error_message: null,
    });
    expect(res.body.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });

  it('shows an MMS as kind mms', async () => {
    // MMS get delivery receipts from the simulator by default (simulator.mmsReceipts).
    const sent = await sendAndWait({ to: '+15557653002', media: ['https://example.com/a.png'] }, 'delivered');
    const res = await server.api(`${LOGS}/${sent.id}`);
    expect(res.body).toMatchObject({ kind: 'mms', status: 'delivered', number_of_segments: 1 });
  });

  it('shows an inbound message as received, inbound, from the phone to our number', async () => {
    const mo = await server.api('/api/simulator/inbound', { body: { from: '+15557653003', to: FROM, body: 'hi there' } });
    expect(mo.status).toBe(201);
    const res = await server.api(`${LOGS}/${mo.body.id}`);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(LOG_KEYS);
    expect(res.body).toMatchObject({ id: mo.body.id, from: '+15557653003', to: FROM, status: 'received', direction: 'inbound', kind: 'sms', source: 'realtime_api', type: 'relay_message', url: null, error_code: null, error_message: null });
  });

  it.each([
    ['failed', '+12015550104', '30006', /rout/i],
    ['failed', '+12015550105', '30007', /filter/i],
    ['undelivered', '+12015550102', '30005', /unknown/i],
  ])('shows a %s message with its error code and reason', async (status, to, code, reason) => {
    const sent = await sendAndWait({ to }, status);
    const res = await server.api(`${LOGS}/${sent.id}`);
    expect(res.body).toMatchObject({ status, error_code: code, direction: 'outbound' });
    expect(res.body.error_message).toMatch(reason);
  });

  it('lists the same entries the single view shows', async () => {
    const sent = await sendAndWait({ to: '+15557653004' }, 'delivered');
    const list = await server.api(`${LOGS}?page_size=1000`);
    const one = await server.api(`${LOGS}/${sent.id}`);
    expect(list.body.data.find((l: any) => l.id === sent.id)).toEqual(one.body);
  });

  it.each([[randomUUID()], ['nope']])('answers the unknown id %s with 404', async (id) => {
    const res = await server.api(`${LOGS}/${id}`);
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error: 'Not Found' });
  });
});

describe('isolation between projects', () => {
  it("never shows one project another's logs", async () => {
    const mine = await sendAndWait({ to: '+15557654001', body: 'mine' }, 'delivered');
    const theirs = await sendAndWait({ from: OTHER_NUMBER, to: '+15557654002', body: 'theirs' }, 'delivered', other.auth, other.projectId);
    const myIds = (await server.api(`${LOGS}?page_size=1000`)).body.data.map((l: any) => l.id);
    const theirIds = (await server.api(`${LOGS}?page_size=1000`, { auth: other.auth })).body.data.map((l: any) => l.id);
    expect(myIds).toContain(mine.id);
    expect(myIds).not.toContain(theirs.id);
    expect(theirIds).toContain(theirs.id);
    expect(theirIds).not.toContain(mine.id);
    for (const id of theirIds) expect((await server.store.messages.get(other.projectId, id))?.projectId).toBe(other.projectId);

    const peek = await server.api(`${LOGS}/${mine.id}`, { auth: other.auth });
    expect(peek.status).toBe(404);
    expect(peek.body).toMatchObject({ error: 'Not Found' });
    expect((await server.api(`${LOGS}/${theirs.id}`)).status).toBe(404);
  });

  it('needs credentials and the messaging scope to read logs', async () => {
    expect((await server.api(LOGS, { auth: null })).status).toBe(401);
    const numbersOnly = await createProject(server, { name: 'numbers only', scopes: ['numbers'] });
    const res = await server.api(LOGS, { auth: numbersOnly.auth });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ error: 'Forbidden' });
  });
});

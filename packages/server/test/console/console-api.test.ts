/**
 * The console API and session auth through a real server: login and its cookie, the session as an
 * alternative to Basic auth on the public APIs, CSRF on writes, logout, dev-login availability,
 * project isolation everywhere (lists, details, conversations, outbox, live feed), and the same
 * clear errors as the public APIs for bad input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, type TestProject } from '../helpers/projects.js';
import { API_TOKEN, eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from '../helpers/server.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { consoleClient, loginAs, readFeed, type ConsoleClient } from './console-client.js';

let server: TestServer;
let other: TestProject;
let hook: WebhookReceiver;
const OTHER_NUMBER = '+15551239931';

beforeAll(async () => {
  // Callbacks give up after 6 attempts (as a provider would), so the outbox view shows failed ones.
  server = await startTestServer({ webhookMaxAttempts: 6 });
  other = await createProject(server, { name: 'Other tenant', number: OTHER_NUMBER });
  hook = await startWebhookReceiver();
});
afterAll(async () => {
  await server.stop();
  await hook.close();
});

describe('logging in', () => {
  it('answers an anonymous session check without an error, and says the dev login is off on a configured server', async () => {
    const res = await consoleClient(server).call('/api/console/session');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ authenticated: false, dev_login: false });
  });

  it('sets an httpOnly, SameSite=Strict session cookie that is not the token, and answers with the session', async () => {
    const c = consoleClient(server);
    const res = await c.call('/api/console/login', { body: { project_id: PROJECT_ID, api_token: API_TOKEN } });
    expect(res.status).toBe(200);
    expect(c.setCookie).toMatch(/^switchboard_console=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    expect(c.setCookie).not.toContain(API_TOKEN);
    expect(JSON.stringify(res.body)).not.toContain(API_TOKEN);
    expect(res.body).toMatchObject({ authenticated: true, project_id: PROJECT_ID, dev: false, scopes: ['messaging', 'numbers', 'management'], numbers: NUMBERS, features: { relay: true } });
    expect(res.body.csrf_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await c.call('/api/console/session')).body).toMatchObject({ authenticated: true, project_id: PROJECT_ID, csrf_token: res.body.csrf_token });
  });

  it('refuses missing fields with 422 naming each, like the public APIs', async () => {
    const res = await consoleClient(server).call('/api/console/login', { body: { project_id: '', api_token: 7 } });
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: any) => [e.code, e.attribute])).toEqual([
      ['invalid_parameter', 'project_id'],
      ['invalid_parameter', 'api_token'],
    ]);
  });

  it('says a field given as another type than a string must be one, rather than that it is missing', async () => {
    const res = await consoleClient(server).call('/api/console/login', { body: { project_id: [PROJECT_ID], api_token: { token: API_TOKEN } } });
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: any) => [e.attribute, e.message])).toEqual([
      ['project_id', 'project_id must be a string: the ID of your project (got an array).'],
      ['api_token', 'api_token must be a string: an API token of that project (got an object).'],
    ]);
  });

  it('refuses a wrong token with 401 and no Basic challenge (no browser login box)', async () => {
    const res = await consoleClient(server).call('/api/console/login', { body: { project_id: PROJECT_ID, api_token: 'PTwrong' } });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'Unauthorized', message: 'That project ID and API token do not match.' });
    expect(res.headers.get('www-authenticate')).toBeNull();
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('refuses malformed bodies and other content types', async () => {
    const c = consoleClient(server);
    expect((await c.call('/api/console/login', { body: '{"project_id":', headers: { 'content-type': 'application/json' } })).status).toBe(400);
    const form = await c.call('/api/console/login', { body: 'project_id=x&api_token=y', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
    expect((await c.call('/api/console/login', { body: [] })).status).toBe(400);
  });

  it('marks the session cookie Secure behind a TLS proxy (an https public URL), not on plain HTTP alone', async () => {
    const login = { body: { project_id: PROJECT_ID, api_token: API_TOKEN } };
    expect((await consoleClient(server).call('/api/console/login', login)).headers.get('set-cookie')).not.toMatch(/Secure/);
    const proxied = await startTestServer({ publicUrl: 'HTTPS://sms.example.com' });
    try {
      const res = await consoleClient(proxied).call('/api/console/login', login);
      expect(res.status).toBe(200);
      expect(res.headers.get('set-cookie')).toMatch(/; Secure$/);
    } finally {
      await proxied.stop();
    }
  });

  it('refuses a login posted from another origin', async () => {
    const res = await consoleClient(server).call('/api/console/login', { body: { project_id: PROJECT_ID, api_token: API_TOKEN }, headers: { origin: 'https://evil.example' } });
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
  });
});

describe('the session on the public APIs', () => {
  let c: ConsoleClient;
  beforeAll(async () => {
    c = await loginAs(server, PROJECT_ID, API_TOKEN);
  });

  it('authenticates reads of the native and simulator APIs with the cookie alone', async () => {
    expect((await c.call('/api/messaging/logs', { csrf: false })).status).toBe(200);
    expect((await c.call('/api/simulator/messages', { csrf: false })).status).toBe(200);
    expect((await c.call('/api/relay/rest/phone_numbers', { csrf: false })).status).toBe(200);
    expect((await c.call('/api/ops/carriers', { csrf: false })).status).toBe(200);
  });

  it('refuses a write without the CSRF token, and accepts it with the token, marking the message as sent from the console', async () => {
    const send = { from: NUMBERS[0], to: '+15557650001', body: 'from the console' };
    const refused = await c.call('/api/messaging/messages', { body: send, csrf: false });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toContain('X-Switchboard-CSRF');
    const wrong = await c.call('/api/messaging/messages', { body: send, csrf: false, headers: { 'x-switchboard-csrf': 'x'.repeat(43) } });
    expect(wrong.status).toBe(403);
    const sent = await c.call('/api/messaging/messages', { body: send });
    expect(sent.status).toBe(201);
    const listed = await c.call('/api/console/messages?surface=console');
    expect(listed.body.data.map((m: any) => m.id)).toContain(sent.body.id);
    expect(listed.body.data.every((m: any) => m.origin === 'console')).toBe(true);
  });

  it('gives the public API’s own validation errors to console writes', async () => {
    const res = await c.call('/api/messaging/messages', { body: { from: NUMBERS[0], to: 'not a number', body: '' } });
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: any) => e.code)).toEqual(['invalid_to_number', 'body_or_media_required']);
    const number = await c.call('/api/relay/rest/phone_numbers', { body: { number: '12' } });
    expect(number.status).toBe(422);
    expect(number.body.errors[0].code).toBe('invalid_number');
  });

  it('lets Basic credentials win over a cookie', async () => {
    const res = await fetch(`${server.url}/api/messaging/logs`, { headers: { cookie: c.cookie!, authorization: other.auth } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: Array<{ id: string }> };
    const own = await c.call('/api/messaging/logs');
    expect(body.data.map((m) => m.id)).not.toEqual(own.body.data.map((m: any) => m.id));
  });

  it('answers an unknown cookie with 401, without a Basic challenge for the console’s requests', async () => {
    const res = await fetch(`${server.url}/api/messaging/logs`, { headers: { cookie: 'switchboard_console=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'x-switchboard-csrf': 'x' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBeNull();
    expect(((await res.json()) as any).message).toContain('log in again');
  });

  it('ends the session on logout (with the CSRF token), after which the cookie is refused', async () => {
    const s = await loginAs(server, PROJECT_ID, API_TOKEN);
    const cookie = s.cookie!;
    const noCsrf = await s.call('/api/console/logout', { method: 'POST', csrf: false });
    expect(noCsrf.status).toBe(403);
    const out = await s.call('/api/console/logout', { method: 'POST' });
    expect(out.status).toBe(200);
    expect(s.setCookie).toMatch(/^switchboard_console=; .*Max-Age=0/);
    const after = await fetch(`${server.url}/api/console/messages`, { headers: { cookie } });
    expect(after.status).toBe(401);
  });

  it('ends the session a browser held when it logs in again, so the logout that follows leaves none open', async () => {
    const s = await loginAs(server, PROJECT_ID, API_TOKEN);
    const first = s.cookie!;
    // Logging in again (here into another project) sends the first session's cookie with it.
    expect((await s.call('/api/console/login', { body: { project_id: other.projectId, api_token: other.token } })).status).toBe(200);
    expect(s.cookie).not.toBe(first);
    expect((await fetch(`${server.url}/api/console/messages`, { headers: { cookie: first } })).status).toBe(401);
    expect((await s.call('/api/console/logout', { method: 'POST' })).status).toBe(200);
    const second = await fetch(`${server.url}/api/console/session`, { headers: { cookie: first } });
    expect(((await second.json()) as { authenticated: boolean }).authenticated).toBe(false);
  });

  it('keeps a token’s scopes: a messaging-only token cannot change simulator settings through the console', async () => {
    const limited = await createProject(server, { name: 'Limited', scopes: ['messaging'] });
    const s = await loginAs(server, limited.projectId, limited.token);
    expect((await s.call('/api/simulator/settings')).status).toBe(200);
    const put = await s.call('/api/simulator/settings', { method: 'PUT', body: { delay_ms: 5 } });
    expect(put.status).toBe(403);
    expect((await s.call('/api/relay/rest/phone_numbers')).status).toBe(403);
  });
});

describe('console API: messages', () => {
  let c: ConsoleClient;
  beforeAll(async () => {
    c = await loginAs(server, PROJECT_ID, API_TOKEN);
  });

  it('shows a failed message with its timeline, error code, segments and every webhook attempt', async () => {
    hook.respond(() => ({ status: 500, body: 'not today' }));
    const sent = await c.call('/api/messaging/messages', { body: { from: NUMBERS[0], to: '+12015550101', body: 'Café ☕ time', status_callback: `${hook.url}/status` } });
    expect(sent.status).toBe(201);
    const id = sent.body.id as string;
    const detail = await eventually(async () => {
      const d = await c.call(`/api/console/messages/${id}`);
      const attempts = d.body.webhooks.flatMap((w: any) => w.attempt_log);
      return d.body.message.status === 'undelivered' && attempts.length >= 2 ? d.body : undefined;
    });
    expect(detail.message).toMatchObject({ id, status: 'undelivered', error_code: '30003', reason: 'unreachable_destination_handset', encoding: 'UCS-2', origin: 'console' });
    expect(detail.events.map((e: any) => e.status)).toEqual(['queued', 'initiated', 'sent', 'undelivered']);
    expect(detail.events[3].error_code).toBe('30003');
    expect(detail.segments).toMatchObject({ encoding: 'UCS-2', segments: 1, per_segment: 70, segments_without_non_gsm: 1 });
    expect(detail.segments.non_gsm).toEqual([{ char: '☕', index: 5, code_point: 0x2615 }]);
    const attempt = detail.webhooks[0].attempt_log[0];
    expect(attempt).toMatchObject({ attempt: 1, status_code: 500, response_excerpt: 'not today' });
    expect(attempt.signature).toMatch(/^[0-9a-f]{40}$/);
    expect(detail.webhooks[0].body).toContain('"status":"queued"');
    hook.respond(() => ({ status: 200 }));
  });

  it('filters by number, status, direction, surface, date and body text, and pages with a cursor', async () => {
    const to = '+15557651234';
    for (const body of ['alpha one', 'beta two', 'alpha three']) {
      expect((await c.call('/api/messaging/messages', { body: { from: NUMBERS[1], to, body } })).status).toBe(201);
    }
    const q = async (query: string) => (await c.call(`/api/console/messages?${query}`)).body;
    expect((await q(`number=${encodeURIComponent(to)}`)).data.map((m: any) => m.body)).toEqual(['alpha three', 'beta two', 'alpha one']);
    expect((await q(`number=${encodeURIComponent(to)}&q=ALPHA`)).data.map((m: any) => m.body)).toEqual(['alpha three', 'alpha one']);
    expect((await q(`number=${encodeURIComponent(to)}&direction=inbound`)).data).toEqual([]);
    expect((await q(`number=${encodeURIComponent(to)}&surface=rest,compat`)).data).toEqual([]);
    expect((await q(`number=${encodeURIComponent(to)}&since=2000-01-01&until=2000-01-02`)).data).toEqual([]);
    await eventually(async () => ((await q(`number=${encodeURIComponent(to)}&status=delivered`)).data.length === 3 ? true : undefined));
    const first = await q(`number=${encodeURIComponent(to)}&limit=2`);
    expect(first.data).toHaveLength(2);
    // Sealed, and the cursor of the page's last row.
    expect(first.next).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(first.next).toBe(first.data[1].cursor);
    const second = await q(`number=${encodeURIComponent(to)}&limit=2&before=${first.next}`);
    expect(second.data.map((m: any) => m.body)).toEqual(['alpha one']);
    expect(second.next).toBeNull();
  });

  it('refuses bad filters with 422 naming every bad parameter', async () => {
    const res = await c.call('/api/console/messages?status=delivered,bogus&direction=sideways&since=2026-02-30&limit=0&before=abc&number=%3Cscript%3E&surface=fax');
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: any) => e.attribute).sort()).toEqual(['before', 'direction', 'limit', 'number', 'since', 'status', 'surface']);
    expect(res.body.errors.find((e: any) => e.attribute === 'since').code).toBe('datetime_required');
    const half = await c.call('/api/console/messages?ours=%2B15551230001');
    expect(half.status).toBe(422);
    expect(half.body.errors[0].attribute).toBe('other');
    expect((await c.call('/api/console/messages/not-a-message')).status).toBe(404);
    // include_deleted is true or false, as on the native logs: anything else is refused, not read as false.
    for (const path of ['/api/console/messages?include_deleted=yes', '/api/console/messages/not-a-message?include_deleted=1', '/api/console/messages/not-a-message?include_deleted=true&include_deleted=true']) {
      const bad = await c.call(path);
      expect(bad.status, path).toBe(422);
      expect(bad.body.errors.map((e: any) => [e.code, e.attribute]), path).toEqual([['invalid_filter', 'include_deleted']]);
    }
    // A parameter a list does not take is refused, not ignored into the whole list.
    for (const path of ['/api/console/messages?statuss=failed', '/api/console/messages?status[]=failed', '/api/console/conversations?limit=5&other=%2B15557650001', '/api/console/outbox?state=failed', '/api/console/messages/not-a-message?includeDeleted=true']) {
      const unknown = await c.call(path);
      expect(unknown.status, path).toBe(422);
      expect(unknown.body.errors[0], path).toMatchObject({ code: 'invalid_filter', message: expect.stringMatching(/^Unknown query parameter '.+'.*\. This list takes: /) });
    }
    // The live feed takes none: one is refused before the stream starts, not ignored.
    for (const method of ['HEAD', 'GET']) {
      const feed = await c.call('/api/console/events?status=failed', { method });
      expect(feed.status, method).toBe(422);
      if (method === 'GET') expect(feed.body.errors).toEqual([expect.objectContaining({ code: 'invalid_filter', attribute: 'status', message: "Unknown query parameter 'status'. The live feed takes no query parameters." })]);
    }
    // So do the session check and the connections view, the same way: every parameter named.
    for (const [path, what] of [['/api/console/session?project=x&verbose=1', 'The session check'], ['/api/console/connections?context=office&verbose=1', 'The connections view']] as const) {
      const refused = await c.call(path);
      expect(refused.status, path).toBe(422);
      const names = path.split('?')[1]!.split('&').map((kv) => kv.split('=')[0]);
      expect(refused.body.errors, path).toEqual(names.map((name) => expect.objectContaining({ code: 'invalid_filter', attribute: name, message: `Unknown query parameter '${name}'. ${what} takes no query parameters.` })));
    }
    expect((await consoleClient(server).call('/api/console/session?x=1')).status).toBe(422);
    expect((await c.call('/api/console/session')).status).toBe(200);
    expect((await c.call('/api/console/connections')).status).toBe(200);
    expect((await c.call('/api/console/messages?statuss=failed&limit=0')).body.errors.map((e: any) => e.attribute).sort()).toEqual(['limit', 'statuss']);
    expect((await c.call('/api/console/messages?include_deleted=false')).status).toBe(200);
    // Read as the native logs read it: Python's True/False too.
    expect((await c.call('/api/console/messages?include_deleted=True')).status).toBe(200);
    expect((await c.call('/api/console/messages/not-a-message?include_deleted=False')).status).toBe(404);
    // Fastify refuses path parameters over 100 characters before any route runs.
    expect((await c.call(`/api/console/messages/${'x'.repeat(500)}`)).status).toBe(414);
    expect((await c.call(`/api/console/messages/${'x'.repeat(90)}`)).status).toBe(404);
  });

  it('lists conversations per (our number, other party), with the newest message, including inbound replies from the phone', async () => {
    const phone = '+15557659999';
    expect((await c.call('/api/messaging/messages', { body: { from: NUMBERS[0], to: phone, body: 'Hi phone' } })).status).toBe(201);
    const reply = await c.call('/api/simulator/inbound', { body: { from: phone, to: NUMBERS[0], body: 'Hi server', media: ['https://example.com/cat.jpg'] } });
    expect(reply.status).toBe(201);
    const threads = (await c.call(`/api/console/conversations?ours=${encodeURIComponent(NUMBERS[0]!)}`)).body;
    expect(threads.data[0]).toMatchObject({ ours: NUMBERS[0], other: phone, last: { body: 'Hi server', direction: 'inbound', media_count: 1 } });
    const messages = (await c.call(`/api/console/messages?ours=${encodeURIComponent(NUMBERS[0]!)}&other=${encodeURIComponent(phone)}`)).body;
    expect(messages.data.map((m: any) => m.body)).toEqual(['Hi server', 'Hi phone']);
    expect((await c.call('/api/console/conversations?ours=bad%20number')).status).toBe(422);
  });
});

describe('console API: webhook outbox', () => {
  it('lists deliveries with counts and retries a failed one now', async () => {
    const c = await loginAs(server, PROJECT_ID, API_TOKEN);
    hook.respond(() => ({ status: 503 }));
    const sent = await c.call('/api/messaging/messages', { body: { from: NUMBERS[0], to: '+15557650042', body: 'callback me', status_callback: `${hook.url}/outbox` } });
    const failed = await eventually(async () => {
      const page = (await c.call('/api/console/outbox?status=failed&limit=200')).body;
      return page.data.find((d: any) => d.message_id === sent.body.id) ?? undefined;
    }, 15_000);
    expect(failed).toMatchObject({ status: 'failed', last_status_code: 503, attempts: 6 });
    const counts = (await c.call('/api/console/outbox')).body.counts;
    expect(counts.failed).toBeGreaterThanOrEqual(1);
    hook.respond(() => ({ status: 200 }));
    const before = hook.requests.length;
    const retried = await c.call(`/api/console/outbox/${failed.id}/retry`, { method: 'POST' });
    expect(retried.status).toBe(200);
    expect(retried.body.status).toBe('pending');
    await hook.waitFor(before + 1);
    await eventually(async () => ((await server.store.webhooks.listForMessage(PROJECT_ID, sent.body.id))[0]?.status === 'delivered' ? true : undefined));
    const again = await c.call(`/api/console/outbox/${failed.id}/retry`, { method: 'POST' });
    expect(again.status).toBe(409);
    expect(again.body.message).toContain('can be retried');
    expect((await c.call('/api/console/outbox/abc/retry', { method: 'POST' })).status).toBe(404);
    expect((await c.call('/api/console/outbox?status=lost')).status).toBe(422);
    expect((await c.call(`/api/console/outbox/${failed.id}/retry`, { method: 'POST', csrf: false })).status).toBe(403);
  });
});

describe('project isolation', () => {
  it('never shows one project’s messages, conversations, webhooks or feed events to another project’s session', async () => {
    const mine = await loginAs(server, PROJECT_ID, API_TOKEN);
    const theirs = await loginAs(server, other.projectId, other.token);
    const sent = await mine.call('/api/messaging/messages', { body: { from: NUMBERS[0], to: '+15557654444', body: 'private to project one', status_callback: `${hook.url}/iso` } });
    expect(sent.status).toBe(201);
    const id = sent.body.id;
    await eventually(async () => ((await mine.call(`/api/console/messages/${id}`)).body.message.status === 'delivered' ? true : undefined));

    expect((await theirs.call(`/api/console/messages/${id}`)).status).toBe(404);
    const list = (await theirs.call('/api/console/messages?limit=200')).body.data;
    expect(list.every((m: any) => m.from === OTHER_NUMBER || m.to === OTHER_NUMBER)).toBe(true);
    expect(list.map((m: any) => m.id)).not.toContain(id);
    expect((await theirs.call('/api/console/messages?q=private')).body.data).toEqual([]);
    expect((await theirs.call(`/api/console/messages?number=${encodeURIComponent('+15557654444')}`)).body.data).toEqual([]);
    const threads = (await theirs.call('/api/console/conversations')).body.data;
    expect(threads.map((t: any) => t.other)).not.toContain('+15557654444');
    const outbox = (await theirs.call('/api/console/outbox?limit=200')).body;
    expect(outbox.data.map((d: any) => d.message_id)).not.toContain(id);
    const mineDelivery = (await mine.call(`/api/console/messages/${id}`)).body.webhooks[0];
    expect((await theirs.call(`/api/console/outbox/${mineDelivery.id}/retry`, { method: 'POST' })).status).toBe(404);
    // The public APIs, with the other session's cookie, stay in its project too.
    expect((await theirs.call(`/api/messaging/logs/${id}`)).status).toBe(404);
    const foreignSend = await theirs.call('/api/messaging/messages', { body: { from: NUMBERS[0], to: '+15557654444', body: 'impersonate' } });
    expect(foreignSend.status).toBe(422);
    expect(foreignSend.body.errors[0].code).toBe('invalid_from_number');
    const foreignInbound = await theirs.call('/api/simulator/inbound', { body: { from: '+15557654444', to: NUMBERS[0], body: 'x' } });
    expect(foreignInbound.status).toBe(422);

    // Live feed: the other project's stream carries only its own messages.
    const feed = readFeed(server, theirs.cookie!, (batches) => batches.some((b) => b.messages.some((m) => m.body === 'their own')));
    await new Promise((r) => setTimeout(r, 100));
    await mine.call('/api/messaging/messages', { body: { from: NUMBERS[0], to: '+15557654445', body: 'not for them' } });
    await theirs.call('/api/messaging/messages', { body: { from: OTHER_NUMBER, to: '+15557654446', body: 'their own' } });
    const batches = await feed;
    const seen = batches.flatMap((b) => b.messages);
    expect(seen.some((m) => m.body === 'their own')).toBe(true);
    expect(seen.every((m) => m.from === OTHER_NUMBER || m.to === OTHER_NUMBER)).toBe(true);
  });
});

describe('live feed', () => {
  it('streams coalesced batches with each message’s latest state until delivered, and handset arrivals', async () => {
    const c = await loginAs(server, PROJECT_ID, API_TOKEN);
    let id = '';
    const feed = readFeed(server, c.cookie!, (batches) => batches.some((b) => b.messages.some((m) => m.id === id && m.status === 'delivered')) && batches.some((b) => b.handset.some((h) => h.message_id === id)));
    await new Promise((r) => setTimeout(r, 100));
    const sent = await c.call('/api/messaging/messages', { body: { from: NUMBERS[0], to: '+15557650777', body: 'watch me' } });
    id = sent.body.id;
    const batches = await feed;
    const states = batches.flatMap((b) => b.messages.filter((m) => m.id === id).map((m) => m.status));
    expect(states[states.length - 1]).toBe('delivered');
    // Coalesced: at most one entry per message per batch.
    for (const b of batches) expect(new Set(b.messages.map((m) => m.id)).size).toBe(b.messages.length);
  });

  it('requires a session or credentials', async () => {
    const res = await fetch(`${server.url}/api/console/events`);
    expect(res.status).toBe(401);
  });

  it('answers HEAD with the stream\'s headers at once instead of holding the request open', async () => {
    const res = await fetch(`${server.url}/api/console/events`, { method: 'HEAD', headers: { authorization: server.auth }, signal: AbortSignal.timeout(3000) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(await res.text()).toBe('');
  });
});

describe('response headers', () => {
  // Every console API answer is JSON a browser must not sniff as something else (an error echoing a
  // path is the classic case), and is never cached: answers, errors, unknown paths and methods alike.
  it('sends nosniff and no-store on answers and on every kind of error', async () => {
    const c = await loginAs(server, PROJECT_ID, API_TOKEN);
    const answers = [
      await c.call('/api/console/session'),
      await c.call('/api/console/messages?status=nope'),
      await consoleClient(server).call('/api/console/messages'),
      await c.call('/api/console/messages/SMnone'),
      await c.call('/api/console/no-such-thing'),
      await c.call('/api/console/session', { method: 'DELETE' }),
      await c.call('/api/console/messages/%E0%A4%A'),
      await consoleClient(server).call('/api/console/login', { body: '{', headers: { 'content-type': 'application/json' } }),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 422, 401, 404, 404, 405, 400, 400]);
    for (const a of answers) {
      expect(a.headers.get('x-content-type-options')).toBe('nosniff');
      expect(a.headers.get('cache-control')).toBe('no-store');
      expect(a.headers.get('content-type')).toMatch(/^application\/json/);
    }
    const head = await fetch(`${server.url}/api/console/events`, { method: 'HEAD', headers: { authorization: server.auth } });
    expect(head.headers.get('x-content-type-options')).toBe('nosniff');
  });

  // The console reads the public APIs with its session too, and they answer with what a browser or
  // a proxy must not keep: message bodies, codes on the handset inbox, new tokens.
  it('sends nosniff and no-store on the public APIs the console (or a script) reads, answers and errors alike', async () => {
    const c = await loginAs(server, PROJECT_ID, API_TOKEN);
    const answers = [
      await c.call('/api/relay/rest/phone_numbers'),
      await c.call('/api/relay/rest/number_groups'),
      await c.call('/api/simulator/messages'),
      await c.call('/api/messaging/opt_outs'),
      await c.call('/api/messaging/messages/nope'),
      await c.call('/api/messaging/messages', { body: {} }),
      await consoleClient(server).call('/api/messaging/logs'),
      await consoleClient(server).call(`/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Messages.json`, { headers: { authorization: server.auth } }),
      await consoleClient(server).call('/'),
      await consoleClient(server).call('/console/no-such-file'),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 405, 422, 401, 200, 200, 404]);
    for (const a of answers) {
      expect(a.headers.get('x-content-type-options')).toBe('nosniff');
      expect(a.headers.get('cache-control')).toBe('no-store');
    }
  });
});

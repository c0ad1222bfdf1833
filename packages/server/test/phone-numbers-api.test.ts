/**
 * The phone-numbers API (`/api/relay/rest/phone_numbers`, rest-apis §A.6) against a real server:
 * registration and its PhoneNumber shape, the `/api/relay/rest` 422 error shape, listing with
 * filters and paging, partial updates of every messaging field, release, scopes and isolation.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, type TestProject } from './helpers/projects.js';
import { NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';
import { rowCounts } from './helpers/store-counts.js';

const NUMS = '/api/relay/rest/phone_numbers';

let server: TestServer;
let other: TestProject;
/** A cXML application of the default project: what a number's application fields may name. */
let appId = '';

beforeAll(async () => {
  server = await startTestServer();
  other = await createProject(server, { name: 'Other tenant' });
  appId = (await server.api(`/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Applications.json`, { body: { FriendlyName: 'numbers app' } })).body.sid;
  expect(appId).toMatch(/\S/);
});
afterAll(async () => {
  await server.stop();
});

const PHONE_NUMBER_KEYS = [
  'id',
  'number',
  'name',
  'capabilities',
  'number_type',
  'country_code',
  'created_at',
  'updated_at',
  'next_billed_at',
  'message_handler',
  'messaging_handler_resource_id',
  'message_request_url',
  'message_request_method',
  'message_fallback_url',
  'message_fallback_method',
  'message_laml_application_id',
  'message_relay_topic',
  'message_relay_context',
  'messages_per_second',
].sort();

let counter = 0;
/** A number no other test uses: the prefix and a running 4-digit suffix. */
function freshNumber(prefix: string): string {
  return `${prefix}${String(++counter).padStart(4, '0')}`;
}

async function register(body: Record<string, unknown>, auth?: string): Promise<any> {
  const res = await server.api(NUMS, { body, ...(auth ? { auth } : {}) });
  expect(res.status, res.text).toBe(200);
  return res.body;
}

/** Expect the `/api/relay/rest` 422 shape with these codes (in order) and no rows written. */
async function expectRelayErrors(run: () => ReturnType<TestServer['api']>, codes: string[], mentions?: RegExp): Promise<any[]> {
  const before = await rowCounts(server);
  const res = await run();
  expect(res.status, res.text).toBe(422);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(Object.keys(res.body)).toEqual(['errors']);
  for (const e of res.body.errors) {
    expect(Object.keys(e).sort()).toEqual(['code', 'detail', 'status', 'title']);
    expect(e).toMatchObject({ status: '422', title: 'Invalid Attribute' });
    expect(e.detail.length).toBeGreaterThan(10);
  }
  expect(res.body.errors.map((e: any) => e.code)).toEqual(codes);
  if (mentions) expect(res.body.errors.map((e: any) => e.detail).join(' ')).toMatch(mentions);
  expect(await rowCounts(server)).toEqual(before);
  return res.body.errors;
}

describe('registering a number (POST)', () => {
  it('answers 200 with the full PhoneNumber, defaults filled in', async () => {
    const n = await register({ number: '+15558675309' });
    expect(Object.keys(n).sort()).toEqual(PHONE_NUMBER_KEYS);
    expect(n).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      number: '+15558675309',
      name: null,
      capabilities: ['voice', 'sms', 'mms'],
      number_type: 'longcode',
      country_code: 'US',
      created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/),
      updated_at: expect.stringMatching(/Z$/),
      next_billed_at: null,
      message_handler: null,
      messaging_handler_resource_id: null,
      message_request_url: null,
      message_request_method: 'POST',
      message_fallback_url: null,
      message_fallback_method: 'POST',
      message_laml_application_id: null,
      message_relay_topic: null,
      message_relay_context: null,
      messages_per_second: null,
    });
    expect(n.updated_at).toBe(n.created_at);
  });

  it.each([
    ['+18005550123', 'toll-free', 'US'],
    ['+18885550123', 'toll-free', 'US'],
    ['+12125550123', 'longcode', 'US'],
    ['+447700900123', 'longcode', 'GB'],
    ['+4915112345678', 'longcode', 'DE'],
    ['+35312345678', 'longcode', 'IE'],
  ])('classifies %s as %s in %s', async (number, type, country) => {
    const n = await register({ number });
    expect(n).toMatchObject({ number, number_type: type, country_code: country, capabilities: ['voice', 'sms', 'mms'] });
  });

  it('registers a 5 or 6 digit short code as a shortcode without a country, SMS and MMS only', async () => {
    for (const number of ['22222', '333333']) {
      const n = await register({ number });
      expect(n).toMatchObject({ number, number_type: 'shortcode', country_code: null, capabilities: ['sms', 'mms'] });
    }
  });

  it('refuses a field spelt another way (422 invalid_parameter, nothing registered or changed), as the native send and number groups do, and ignores other extras', async () => {
    const number = freshNumber('+1555860');
    const refused = await server.api(NUMS, { body: { number, messageRequestUrl: 'https://example.com/in' } });
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([{ detail: expect.stringMatching(/^Unknown field 'messageRequestUrl': did you mean 'message_request_url'\? A phone number takes number, name, /), status: '422', title: 'Invalid Attribute', code: 'invalid_parameter' }]);
    expect((await server.api(NUMS, { body: { number, SmsUrl: 'https://example.com/in' } })).body.errors[0].detail).toContain("did you mean 'message_request_url'");
    expect((await server.api(`${NUMS}?filter_number=${encodeURIComponent(number)}`)).body.data).toEqual([]);
    // Extras (SignalWire's voice fields, a read-only field written back) pass.
    const n = await register({ number, call_handler: 'relay_context', region: 'us' });
    const put = await server.api(`${NUMS}/${n.id}`, { method: 'PUT', body: { ...n, name: 'whole' } });
    expect(put.status, put.text).toBe(200);
    const misnamed = await server.api(`${NUMS}/${n.id}`, { method: 'PUT', body: { Name: 'typo' } });
    expect(misnamed.status).toBe(422);
    expect(misnamed.body.errors[0]).toMatchObject({ code: 'invalid_parameter', detail: expect.stringContaining("did you mean 'name'") });
    const code = await register({ number: '97531' });
    expect((await server.api(`/api/relay/rest/short_codes/${code.id}`, { method: 'PUT', body: { messageHandler: 'laml_webhooks' } })).body.errors[0]).toMatchObject({ code: 'invalid_parameter' });
    expect((await server.api(`${NUMS}/${n.id}`)).body.name).toBe('whole');
  });

  it('lists, reads and updates short codes only under /short_codes, as SignalWire keeps them apart; they are released here', async () => {
    const code = await register({ number: '97530', name: 'apart' });
    const all = await server.api(`${NUMS}?page_size=1000`);
    expect(all.status).toBe(200);
    expect(all.body.data.length).toBeGreaterThan(0);
    expect(all.body.data.map((n: any) => n.id)).not.toContain(code.id);
    expect(all.body.data.map((n: any) => n.number_type)).not.toContain('shortcode');
    expect((await server.api(`${NUMS}?filter_number=97530`)).body.data).toEqual([]);
    expect((await server.api(`${NUMS}?filter_name=apart`)).body.data).toEqual([]);
    const read = await server.api(`${NUMS}/${code.id}`);
    expect(read.status).toBe(404);
    expect(read.body.message).toContain(`/api/relay/rest/short_codes/${code.id}`);
    expect((await server.api(`${NUMS}/${code.id}`, { method: 'PUT', body: { name: 'renamed' } })).status).toBe(404);
    expect((await server.api(`/api/relay/rest/short_codes/${code.id}`)).body).toMatchObject({ id: code.id, name: 'apart' });
    expect((await server.api(`/api/relay/rest/short_codes?filter_number=97530`)).body.data.map((n: any) => n.id)).toEqual([code.id]);
    expect((await server.api(`${NUMS}/${code.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await server.api(`/api/relay/rest/short_codes/${code.id}`)).status).toBe(404);
  });

  it('takes a name, capabilities and handler settings at registration', async () => {
    const n = await register({
      number: '+15558675310',
      name: 'Jenny',
      capabilities: ['sms', 'sms', 'voice'],
      message_handler: 'laml_webhooks',
      message_request_url: 'https://example.com/sms',
      message_request_method: 'GET',
    });
    expect(n).toMatchObject({ name: 'Jenny', capabilities: ['sms', 'voice'], message_handler: 'laml_webhooks', message_request_url: 'https://example.com/sms', message_request_method: 'GET' });
  });

  it('refuses a number registered already, in this project or another, with the relay-rest 422 shape', async () => {
    await register({ number: '+15558675311' });
    await expectRelayErrors(() => server.api(NUMS, { body: { number: '+15558675311' } }), ['number_already_registered'], /\+15558675311/);
    await expectRelayErrors(() => server.api(NUMS, { body: { number: '+15558675311' }, auth: other.auth }), ['number_already_registered']);
    await expectRelayErrors(() => server.api(NUMS, { body: { number: ` ${NUMBERS[0]} ` } }), ['number_already_registered']);
  });

  it.each([[{ number: 'abc' }], [{ number: '+0123456789' }], [{ number: '1234' }], [{ number: '+1' }], [{ number: '' }], [{}], [{ number: 15558675312 }], [{ number: '+1 555 867 5312' }], [{ number: '+1234567890123456789' }]])(
    'refuses %j with invalid_number',
    async (body) => {
      await expectRelayErrors(() => server.api(NUMS, { body }), ['invalid_number']);
    },
  );

  it.each([
    [{ capabilities: ['telepathy'] }],
    [{ capabilities: 'sms' }],
    [{ name: 42 }],
    [{ name: 'x'.repeat(256) }],
    [{ message_handler: 'carrier_pigeon' }],
    [{ message_request_url: 'ftp://example.com/sms' }],
    [{ message_request_method: 'PUT' }],
  ])('refuses a registration with the bad field %j and registers nothing', async (extra) => {
    await expectRelayErrors(() => server.api(NUMS, { body: { number: '+15558675313', ...extra } }), ['invalid_attribute']);
  });

  it.each([[' https://example.com/sms'], ['https://example.com/sms\n'], ['https://exam\tple.com/sms']])('refuses a registration whose message_request_url %j has spaces or controls a URL parser would drop (refused, not trimmed, as media URLs are)', async (url) => {
    await expectRelayErrors(() => server.api(NUMS, { body: { number: '+15558675313', message_request_url: url } }), ['invalid_attribute'], /message_request_url .*send the URL alone/);
    await expectRelayErrors(() => server.api(NUMS, { body: { number: '+15558675313', message_fallback_url: url } }), ['invalid_attribute'], /message_fallback_url .*send the URL alone/);
  });

  it('answers a body that is not a JSON object with 400 and wrong content types with 415', async () => {
    const arr = await server.api(NUMS, { body: '[]' });
    expect(arr.status).toBe(400);
    expect(arr.body).toMatchObject({ error: 'Bad Request' });
    const bad = await server.api(NUMS, { body: '{"number":' });
    expect(bad.status).toBe(400);
    const form = await server.api(NUMS, { body: 'number=%2B15558675314', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
  });
});

describe('listing numbers (GET)', () => {
  let lister: TestProject;
  const mine = ['+15551110001', '+15551110002', '+15551110003', '+15551220004', '+15551220005'];
  const names = ['Sales line', 'Support', 'sales backup', 'Alerts', null];
  const ids: string[] = []; // newest first

  beforeAll(async () => {
    lister = await createProject(server, { name: 'Lister' });
    for (let i = 0; i < mine.length; i++) {
      const n = await register({ number: mine[i], ...(names[i] ? { name: names[i] } : {}) }, lister.auth);
      ids.unshift(n.id);
    }
  });

  const list = (query = '') => server.api(`${NUMS}${query}`, { auth: lister.auth });
  const numbersOf = (res: { body: any }) => res.body.data.map((n: any) => n.number);

  it("lists only the project's numbers, newest first, with links", async () => {
    const res = await list();
    expect(res.status).toBe(200);
    expect(res.body.data.map((n: any) => n.id)).toEqual(ids);
    for (const n of res.body.data) expect(Object.keys(n).sort()).toEqual(PHONE_NUMBER_KEYS);
    expect(res.body.links).toEqual({ self: `${server.url}${NUMS}`, first: `${server.url}${NUMS}?page_size=50` });
  });

  it('filters by a substring of the name, ignoring case', async () => {
    expect(numbersOf(await list('?filter_name=sales'))).toEqual(['+15551110003', '+15551110001']);
    expect(numbersOf(await list('?filter_name=SUPP'))).toEqual(['+15551110002']);
    expect(numbersOf(await list('?filter_name=nobody'))).toEqual([]);
  });

  it('filters by a substring of the number', async () => {
    expect(numbersOf(await list('?filter_number=1220'))).toEqual(['+15551220005', '+15551220004']);
    expect(numbersOf(await list(`?filter_number=${encodeURIComponent('+1555111')}`))).toEqual(['+15551110003', '+15551110002', '+15551110001']);
  });

  it('treats LIKE wildcards in filters as plain text', async () => {
    expect(numbersOf(await list('?filter_name=%25'))).toEqual([]);
    expect(numbersOf(await list('?filter_number=_'))).toEqual([]);
  });

  it('folds case beyond ASCII in the name filter', async () => {
    const n = await register({ number: '+15551220099', name: 'Zoë at the Café' }, lister.auth);
    try {
      expect(numbersOf(await list(`?filter_name=${encodeURIComponent('ZOË')}`))).toEqual(['+15551220099']);
      expect(numbersOf(await list(`?filter_name=${encodeURIComponent('café')}`))).toEqual(['+15551220099']);
    } finally {
      expect((await server.api(`${NUMS}/${n.id}`, { method: 'DELETE', auth: lister.auth })).status).toBe(204);
    }
  });

  it('combines both filters', async () => {
    expect(numbersOf(await list('?filter_name=s&filter_number=0002'))).toEqual(['+15551110002']);
  });

  it('pages with page_size and the next link, and knows the last page', async () => {
    const p0 = await list('?page_size=2');
    expect(p0.body.data.map((n: any) => n.id)).toEqual(ids.slice(0, 2));
    expect(p0.body.links.prev).toBeUndefined();
    const next = new URL(p0.body.links.next);
    expect(next.searchParams.get('page_token')).toMatch(/^PAS[A-Za-z0-9_-]{22}$/);
    expect(next.searchParams.get('page_number')).toBe('1');
    const p1 = await list(next.search);
    expect(p1.body.data.map((n: any) => n.id)).toEqual(ids.slice(2, 4));
    const p2 = await list(new URL(p1.body.links.next).search);
    expect(p2.body.data.map((n: any) => n.id)).toEqual(ids.slice(4));
    expect(p2.body.links.next).toBeUndefined();
    expect(p2.body.links.prev).toBeDefined();
    const back = await list(new URL(p2.body.links.prev).search);
    expect(back.body.data.map((n: any) => n.id)).toEqual(ids.slice(2, 4));
  });

  it('keeps the filter across pages', async () => {
    const p0 = await list('?filter_number=1555111&page_size=2');
    expect(numbersOf(p0)).toEqual(['+15551110003', '+15551110002']);
    const p1 = await list(new URL(p0.body.links.next).search);
    expect(numbersOf(p1)).toEqual(['+15551110001']);
    expect(p1.body.links.next).toBeUndefined();
  });

  it('refuses bad paging in the relay-rest shape', async () => {
    await expectRelayErrors(() => list('?page_number=1'), ['page_token_required_for_next_page']);
    await expectRelayErrors(() => list('?page_size=0'), ['invalid_page_size']);
    await expectRelayErrors(() => list('?page_size=1001'), ['invalid_page_size']);
    await expectRelayErrors(() => list(`?page_number=1&page_token=PA${randomUUID()}`), ['page_token_is_invalid']);
  });
});

describe('reading, updating and releasing a number', () => {
  it('gets a number by id, and 404s an unknown one', async () => {
    const n = await register({ number: '+15552220001', name: 'Get me' });
    const res = await server.api(`${NUMS}/${n.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(n);
    const missing = await server.api(`${NUMS}/${randomUUID()}`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: 'Not Found' });
  });

  it.each([
    ['name', 'Front desk', 'Front desk'],
    ['capabilities', ['sms'], ['sms']],
    ['message_handler', 'relay_topic', 'relay_topic'],
    ['message_request_url', 'https://example.com/inbound', 'https://example.com/inbound'],
    ['message_request_method', 'GET', 'GET'],
    ['message_request_method', 'get', 'GET'],
    ['message_fallback_url', 'http://example.com/fallback', 'http://example.com/fallback'],
    ['message_fallback_method', 'GET', 'GET'],
    ['message_laml_application_id', 'APP', 'APP'],
    ['message_relay_topic', 'office', 'office'],
    ['message_relay_context', 'support', 'support'],
    ['messaging_handler_resource_id', 'APP', 'APP'],
    ['messages_per_second', 2.5, 2.5],
    ['messages_per_second', 0, 0],
  ])('PUT changes only %s (to %j)', async (field, given, expected) => {
    // APP stands for the project's application (the only ids the application fields take).
    const [value, shown] = [given, expected].map((v) => (v === 'APP' ? appId : v));
    const n = await register({ number: freshNumber('+1555333'), name: 'Before' });
    const res = await server.api(`${NUMS}/${n.id}`, { method: 'PUT', body: { [field]: value } });
    expect(res.status, res.text).toBe(200);
    const { updated_at: _u, ...rest } = res.body;
    const { updated_at: _b, ...before } = n;
    expect(rest).toEqual({ ...before, [field]: shown });
    expect(Date.parse(res.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(n.updated_at));
    expect((await server.api(`${NUMS}/${n.id}`)).body).toEqual(res.body);
  });

  it('maps the request-only message_relay_application onto message_relay_context', async () => {
    const n = await register({ number: '+15552220002' });
    const res = await server.api(`${NUMS}/${n.id}`, { method: 'PUT', body: { message_handler: 'relay_application', message_relay_application: 'my-app' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ message_handler: 'relay_application', message_relay_context: 'my-app' });
    expect(res.body).not.toHaveProperty('message_relay_application');
  });

  it('clears nullable fields with null or "" and ignores unknown fields', async () => {
    const n = await register({ number: '+15552220003', name: 'Named', message_handler: 'laml_webhooks', message_request_url: 'https://example.com/a', message_relay_topic: 't' });
    const res = await server.api(`${NUMS}/${n.id}`, { method: 'PUT', body: { name: null, message_handler: null, message_request_url: '', message_relay_topic: null, call_handler: 'whatever' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: null, message_handler: null, message_request_url: null, message_relay_topic: null, number: '+15552220003' });
  });

  it('does not change the number itself', async () => {
    const n = await register({ number: '+15552220004' });
    const res = await server.api(`${NUMS}/${n.id}`, { method: 'PUT', body: { number: '+15552229999' } });
    expect(res.status).toBe(200);
    expect(res.body.number).toBe('+15552220004');
  });

  it.each([
    [{ name: 42 }, ['invalid_attribute']],
    [{ capabilities: ['sms', 'carrier_pigeon'] }, ['invalid_attribute']],
    [{ capabilities: [] as string[] }, []],
    [{ message_handler: 'bogus' }, ['invalid_attribute']],
    [{ message_request_url: 'not a url' }, ['invalid_attribute']],
    [{ message_fallback_url: 'javascript:alert(1)' }, ['invalid_attribute']],
    [{ message_request_url: 'https://example.com/sms ' }, ['invalid_attribute']],
    [{ message_fallback_url: '\rhttps://example.com/fallback' }, ['invalid_attribute']],
    [{ message_request_method: 'DELETE' }, ['invalid_attribute']],
    [{ message_fallback_method: 5 }, ['invalid_attribute']],
    [{ message_relay_topic: 'x'.repeat(256) }, ['invalid_attribute']],
    [{ message_laml_application_id: 7 }, ['invalid_attribute']],
    [{ message_laml_application_id: 'a1b2c3d4-e5f6-7890-abcd-ef1234567890' }, ['invalid_application']],
    [{ messaging_handler_resource_id: 'not an application' }, ['invalid_application']],
    [{ message_request_url: 'ftp://x', message_request_method: 'PATCH', message_handler: 'x' }, ['invalid_attribute', 'invalid_attribute', 'invalid_attribute']],
  ])('PUT %j answers the listed errors and changes nothing', async (body, codes) => {
    const n = await register({ number: freshNumber('+1555444'), name: 'Unchanged' });
    if (codes.length === 0) {
      // An empty capability list is a valid (if useless) value.
      expect((await server.api(`${NUMS}/${n.id}`, { method: 'PUT', body })).status).toBe(200);
      return;
    }
    const errors = await expectRelayErrors(() => server.api(`${NUMS}/${n.id}`, { method: 'PUT', body }), codes);
    for (const key of Object.keys(body)) expect(errors.map((e) => e.detail).join(' ')).toMatch(new RegExp(key.replace(/_/g, '.'), 'i'));
    expect((await server.api(`${NUMS}/${n.id}`)).body).toEqual(n);
  });

  it('PUT on an unknown number answers 404', async () => {
    const res = await server.api(`${NUMS}/${randomUUID()}`, { method: 'PUT', body: { name: 'ghost' } });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error: 'Not Found' });
  });

  it('DELETE releases a number: 204 with no body, then 404 on every verb, and it can be registered again', async () => {
    const n = await register({ number: '+15552220005' });
    const del = await server.api(`${NUMS}/${n.id}`, { method: 'DELETE' });
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
    expect((await server.api(`${NUMS}/${n.id}`)).status).toBe(404);
    expect((await server.api(`${NUMS}/${n.id}`, { method: 'PUT', body: { name: 'x' } })).status).toBe(404);
    expect((await server.api(`${NUMS}/${n.id}`, { method: 'DELETE' })).status).toBe(404);
    expect((await server.api(NUMS + '?filter_number=2220005')).body.data).toEqual([]);
    const again = await register({ number: '+15552220005' }, other.auth);
    expect(again.id).not.toBe(n.id);
  });

  it('DELETE takes an empty body declared as JSON (what SignalWire’s Python SDK sends); POST and PUT still need their JSON', async () => {
    const n = await register({ number: '+15552220006' });
    const asPython = { 'content-type': 'application/json', 'content-length': '0' };
    expect((await server.api(`${NUMS}/${n.id}`, { method: 'PUT', body: '', headers: asPython })).status).toBe(400);
    expect((await server.api(NUMS, { body: '', headers: asPython })).status).toBe(400);
    const del = await server.api(`${NUMS}/${n.id}`, { method: 'DELETE', body: '', headers: asPython });
    expect([del.status, del.text]).toEqual([204, '']);
    const group = await server.api('/api/relay/rest/number_groups', { body: { name: 'deleted the Python way' } });
    expect((await server.api(`/api/relay/rest/number_groups/${group.body.id}`, { method: 'DELETE', body: '', headers: asPython })).status).toBe(204);
    // The Compatibility API's JSON bodies too.
    const app = await server.api(`/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Applications.json`, { body: { FriendlyName: 'deleted with an empty JSON body' } });
    expect((await server.api(`/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Applications/${app.body.sid}.json`, { method: 'DELETE', body: '', headers: asPython })).status).toBe(204);
  });
});

describe('numbers and sending', () => {
  it('a capability removed with PUT is enforced on the next send', async () => {
    const n = await register({ number: '+15552230001' });
    const mms = { from: n.number, to: '+15557650000', media: ['https://example.com/a.png'] };
    expect((await server.api('/api/messaging/messages', { body: mms })).status).toBe(201);
    expect((await server.api(`${NUMS}/${n.id}`, { method: 'PUT', body: { capabilities: ['sms'] } })).status).toBe(200);
    const refused = await server.api('/api/messaging/messages', { body: mms });
    expect(refused.status).toBe(422);
    expect(refused.body.errors[0]).toMatchObject({ code: 'missing_messaging_capability', attribute: 'from' });
  });

  it('a released number can no longer send', async () => {
    const n = await register({ number: '+15552230002' });
    const msg = { from: n.number, to: '+15557650000', body: 'hi' };
    expect((await server.api('/api/messaging/messages', { body: msg })).status).toBe(201);
    expect((await server.api(`${NUMS}/${n.id}`, { method: 'DELETE' })).status).toBe(204);
    const refused = await server.api('/api/messaging/messages', { body: msg });
    expect(refused.status).toBe(422);
    expect(refused.body.errors[0]).toMatchObject({ code: 'invalid_from_number', attribute: 'from' });
  });
});

describe('scopes and isolation', () => {
  it.each([
    ['messaging', ['messaging'] as const],
    ['management', ['management'] as const],
  ])('refuses a %s-only token with 403 on every route', async (_name, scopes) => {
    const p = await createProject(server, { name: `${scopes[0]} only`, scopes: [...scopes] });
    const id = randomUUID();
    for (const [method, path, body] of [
      ['GET', NUMS, undefined],
      ['POST', NUMS, { number: '+15552240001' }],
      ['GET', `${NUMS}/${id}`, undefined],
      ['PUT', `${NUMS}/${id}`, { name: 'x' }],
      ['DELETE', `${NUMS}/${id}`, undefined],
    ] as const) {
      const res = await server.api(path, { method, auth: p.auth, ...(body ? { body } : {}) });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body).toEqual({ error: 'Forbidden', message: expect.stringMatching(/numbers/) });
    }
    expect(await server.store.numbers.getByNumber(p.projectId, '+15552240001')).toBeUndefined();
  });

  it('accepts a numbers-only token', async () => {
    const p = await createProject(server, { name: 'numbers only', scopes: ['numbers'] });
    const n = await register({ number: '+15552240002' }, p.auth);
    expect(n.number).toBe('+15552240002');
  });

  it('answers missing or wrong credentials with 401 and a challenge', async () => {
    for (const auth of [null, `Basic ${Buffer.from(`${other.projectId}:wrong`).toString('base64')}`]) {
      const res = await server.api(NUMS, { auth });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: 'Unauthorized' });
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic/);
    }
  });

  it("never shows, changes or releases another project's number", async () => {
    const theirs = await register({ number: '+15552250001', name: 'Theirs' }, other.auth);
    expect((await server.api(`${NUMS}/${theirs.id}`)).status).toBe(404);
    expect((await server.api(`${NUMS}/${theirs.id}`, { method: 'PUT', body: { name: 'Mine now' } })).status).toBe(404);
    expect((await server.api(`${NUMS}/${theirs.id}`, { method: 'DELETE' })).status).toBe(404);
    const mine = (await server.api(`${NUMS}?page_size=1000`)).body.data.map((n: any) => n.id);
    expect(mine).not.toContain(theirs.id);
    const stillTheirs = await server.api(`${NUMS}/${theirs.id}`, { auth: other.auth });
    expect(stillTheirs.status).toBe(200);
    expect(stillTheirs.body).toEqual(theirs);
    // A page token naming their number is no cursor of ours.
    await expectRelayErrors(() => server.api(`${NUMS}?page_number=1&page_token=PA${theirs.id}`), ['page_token_is_invalid']);
  });
});

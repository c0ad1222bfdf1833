import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
const base = `/2010-04-01/Accounts/${PROJECT_ID}`;
let voiceOnly: string;

beforeAll(async () => {
  server = await startTestServer();
  // Destinations under +1999 fail transiently at the carrier for a long while: they stay in progress.
  const rules = await server.api('/api/simulator/settings', { method: 'PUT', body: { rules: [{ prefix: '+1999', outcome: 'transient', times: 100 }] } });
  expect(rules.status).toBe(200);
  const n = await server.api('/api/relay/rest/phone_numbers', { body: { number: '+15551239999', capabilities: ['voice'] } });
  expect(n.status).toBe(200);
  voiceOnly = n.body.id;
});
afterAll(async () => {
  await server.stop();
});

async function stored(): Promise<number> {
  return (await server.store.messages.list(PROJECT_ID, { includeDeleted: true }, { limit: 100_000 })).length;
}

function form(params: Record<string, string | string[]>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) q.append(k, x);
  return q.toString();
}

async function create(body: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }, path = `${base}/Messages.json`, auth?: string) {
  const res = await fetch(`${server.url}${path}`, { method: 'POST', body, headers: { authorization: auth ?? server.auth, ...headers } });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) };
}

/** The request fails with this status and compat code, in Twilio's flat shape, and stores nothing. */
async function expectRefused(body: string | Buffer, status: number, code: number, headers?: Record<string, string>, path?: string, auth?: string) {
  const before = await stored();
  const res = await create(body, headers, path, auth);
  expect(res.status).toBe(status);
  expect(Object.keys(res.body).sort()).toEqual(['code', 'message', 'more_info', 'status']);
  expect(res.body).toMatchObject({ code, status });
  expect(typeof res.body.message).toBe('string');
  expect(await stored()).toBe(before);
  return res.body;
}

const ok = { To: '+15557690001', From: NUMBERS[0]!, Body: 'hello' };

describe('bad input to POST /Messages gets its documented code and stores nothing', () => {
  it.each([
    ['missing To', { From: ok.From, Body: 'x' }, 21604],
    ['garbage To', { ...ok, To: 'not-a-number' }, 21211],
    ['To given twice', { ...ok, To: ['+15557690001', '+15557690002'] }, 21211],
    // A parameter other than MediaUrl given twice is refused with its own invalid-value code, never half-read.
    ['From given twice', { ...ok, From: [NUMBERS[0]!, NUMBERS[1]!] }, 21212],
    ['Body given twice', { ...ok, Body: ['a', 'b'] }, 10000],
    ['StatusCallback given twice', { ...ok, StatusCallback: ['https://a.example.com/s', 'https://b.example.com/s'] }, 21609],
    ['ValidityPeriod given twice', { ...ok, ValidityPeriod: ['60', '70'] }, 21624],
    ['neither From nor MessagingServiceSid', { To: ok.To, Body: 'x' }, 21603],
    ['an empty From and no MessagingServiceSid', { To: ok.To, From: '', Body: 'x' }, 21603],
    ['garbage From', { ...ok, From: 'sender' }, 21212],
    ['From not a number of the project', { ...ok, From: '+15559998888' }, 21210],
    ['neither Body nor MediaUrl', { To: ok.To, From: ok.From }, 21602],
    ['Body over 1600 characters', { ...ok, Body: 'a'.repeat(1601) }, 21617],
    ['MediaUrl that is not http(s)', { ...ok, MediaUrl: 'ftp://files.example.com/a.jpg' }, 21620],
    ['MediaUrl that is not a URL', { ...ok, MediaUrl: 'picture.jpg' }, 21620],
    ['MediaUrl with a space before it', { ...ok, MediaUrl: ' https://cdn.example.com/a.jpg' }, 21620],
    ['MediaUrl with a line break after it', { ...ok, MediaUrl: ['https://cdn.example.com/a.jpg', 'https://cdn.example.com/b.jpg\n'] }, 21620],
    ['nine media', { ...ok, MediaUrl: Array.from({ length: 9 }, (_, i) => `https://cdn.example.com/${i}.jpg`) }, 21623],
    ['ValidityPeriod 0', { ...ok, ValidityPeriod: '0' }, 21624],
    ['ValidityPeriod 172801', { ...ok, ValidityPeriod: '172801' }, 21624],
    ['ValidityPeriod not a number', { ...ok, ValidityPeriod: 'soon' }, 21624],
    ['StatusCallback not a URL', { ...ok, StatusCallback: 'callback-me' }, 21609],
    ['StatusCallback with a space after it', { ...ok, StatusCallback: 'https://hooks.example.com/status ' }, 21609],
    ['StatusCallback with a tab before it', { ...ok, StatusCallback: '\thttps://hooks.example.com/status' }, 21609],
    ['unknown ApplicationSid', { ...ok, ApplicationSid: '3f1c2b7a-0000-4000-8000-000000000000' }, 21218],
    ['garbage ApplicationSid', { ...ok, ApplicationSid: 'AP123' }, 21218],
    ['unknown MessagingServiceSid', { To: ok.To, Body: 'x', MessagingServiceSid: '3f1c2b7a-0000-4000-8000-000000000001' }, 21701],
    ['garbage MessagingServiceSid', { To: ok.To, Body: 'x', MessagingServiceSid: 'MG123' }, 21705],
    ['garbage MaxPrice', { ...ok, MaxPrice: 'cheap' }, 10000],
    ['garbage SendAsMms', { ...ok, SendAsMms: 'maybe' }, 10000],
    ['To and From both missing: To is reported first', { Body: 'x' }, 21604],
  ] as Array<[string, Record<string, string | string[]>, number]>)('%s → %i', async (_name, params, code) => {
    await expectRefused(form(params), 400, code);
  });

  // Two valid values of each: the only fault is that the parameter came twice.
  const later = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();
  const uuid = (n: number) => `3f1c2b7a-0000-4000-8000-00000000000${n}`;
  it.each([
    ['To', { ...ok, To: ['+15557690001', '+15557690002'] }, 21211],
    ['From', { ...ok, From: [NUMBERS[0]!, NUMBERS[1]!] }, 21212],
    ['Body', { ...ok, Body: ['a', 'b'] }, 10000],
    ['MessagingServiceSid', { ...ok, MessagingServiceSid: [uuid(1), uuid(2)] }, 21705],
    ['StatusCallback', { ...ok, StatusCallback: ['https://a.example.com/s', 'https://b.example.com/s'] }, 21609],
    ['ValidityPeriod', { ...ok, ValidityPeriod: ['60', '70'] }, 21624],
    ['MaxPrice', { ...ok, MaxPrice: ['0.05', '0.05'] }, 10000],
    ['SendAsMms', { ...ok, SendAsMms: ['true', 'true'] }, 10000],
    ['SmartEncoded', { ...ok, SmartEncoded: ['true', 'false'] }, 10000],
    ['ApplicationSid', { ...ok, ApplicationSid: [uuid(3), uuid(4)] }, 21218],
    ['ScheduleType', { ...ok, ScheduleType: ['fixed', 'fixed'], SendAt: later(2) }, 35126],
    ['SendAt', { ...ok, ScheduleType: 'fixed', SendAt: [later(2), later(3)] }, 35114],
  ] as Array<[string, Record<string, string | string[]>, number]>)('says that %s was given more than once, with its own code (%#)', async (name, params, code) => {
    const body = await expectRefused(form(params), 400, code);
    expect(body.message).toBe(`The '${name}' parameter was given more than once; give it once.`);
  });

  it('tells a repeated parameter only where it is the first problem, and only of a form: a JSON list keeps its message', async () => {
    // Checks keep their order: a missing To is reported before a repeated Body.
    expect((await expectRefused(form({ From: ok.From, Body: ['a', 'b'] }), 400, 21604)).message).not.toMatch(/more than once/);
    // A JSON body cannot repeat a key: a list there is a value of the wrong type, said as before.
    const json = { 'content-type': 'application/json' };
    expect((await expectRefused(JSON.stringify({ ...ok, Body: ['a', 'b'] }), 400, 10000, json)).message).toBe('The message body must be a string.');
    expect((await expectRefused(JSON.stringify({ ...ok, To: ['+15557690001', '+15557690002'] }), 400, 21211, json)).message).not.toMatch(/more than once/);
    // The native API is untouched: its own shape and texts.
    const native = await server.api('/api/messaging/messages', { body: { from: ok.From, to: ok.To, body: ['a', 'b'] } });
    expect(native.status).toBe(422);
    expect(native.text).not.toMatch(/more than once/);
    expect(native.body.errors[0]).toMatchObject({ code: 'invalid_message_body', attribute: 'body' });
  });

  it("refuses a MessagingServiceSid that is not text (a JSON number or list) as one of the wrong pattern, Twilio's 21705", async () => {
    for (const sid of [5, ['3f1c2b7a-0000-4000-8000-000000000001']]) {
      await expectRefused(JSON.stringify({ To: ok.To, Body: 'x', MessagingServiceSid: sid }), 400, 21705, { 'content-type': 'application/json' });
    }
  });

  it('refuses a From that cannot send SMS with 21601', async () => {
    await expectRefused(form({ ...ok, From: '+15551239999' }), 400, 21601);
  });

  it('refuses a number group without a capable member with 21703', async () => {
    const group = await server.api('/api/relay/rest/number_groups', { body: { name: 'voice only' } });
    await server.api(`/api/relay/rest/number_groups/${group.body.id}/number_group_memberships`, { body: { phone_number_id: voiceOnly } });
    await expectRefused(form({ To: ok.To, Body: 'x', MessagingServiceSid: group.body.id }), 400, 21703);
  });

  it('refuses the wrong AccountSid, missing and wrong credentials with 401 and 20003', async () => {
    await expectRefused(form(ok), 401, 20003, undefined, `/2010-04-01/Accounts/11111111-2222-4333-8444-555555555555/Messages.json`);
    await expectRefused(form(ok), 401, 20003, undefined, undefined, basicAuth(PROJECT_ID, 'PTwrong'));
    const res = await fetch(`${server.url}${base}/Messages.json`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 20003, status: 401 });
  });

  it('refuses bodies that are not UTF-8, not parsable, too large or of another type', async () => {
    await expectRefused(`To=%2B15557690001&From=${encodeURIComponent(NUMBERS[0]!)}&Body=%FF%FE`, 400, 10000);
    await expectRefused(Buffer.concat([Buffer.from(`To=%2B15557690001&From=${encodeURIComponent(NUMBERS[0]!)}&Body=`), Buffer.from([0xc3, 0x28])]), 400, 10000);
    await expectRefused(Buffer.from([0x7b, 0x22, 0x54, 0x6f, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]), 400, 10000, { 'content-type': 'application/json' });
    await expectRefused('{"To":', 400, 10000, { 'content-type': 'application/json' });
    await expectRefused('["To"]', 400, 10000, { 'content-type': 'application/json' });
    await expectRefused(form({ ...ok, Body: 'x'.repeat(300_000) }), 413, 10000);
    await expectRefused('To=%2B15557690001', 415, 10000, { 'content-type': 'text/plain' });
  });

  it('refuses a compressed body (Content-Encoding) with 415, 10000, without reading it as plain text', async () => {
    const formType = 'application/x-www-form-urlencoded';
    for (const [type, body, coding] of [[formType, form(ok), 'gzip'], ['application/json', JSON.stringify(ok), 'br'], [formType, form(ok), 'deflate, identity']] as const) {
      const err = await expectRefused(body, 415, 10000, { 'content-type': type, 'content-encoding': coding });
      expect(err.message).toMatch(/^Content-Encoding .* is not supported: send the body uncompressed\.$/);
    }
    const plain = await create(form(ok), { 'content-type': formType, 'content-encoding': 'identity' });
    expect(plain.status).toBe(201);
  });

  it('refuses a body declared in a charset other than UTF-8 with 415, 10000; takes UTF-8 and US-ASCII however written', async () => {
    for (const [type, body] of [
      ['application/x-www-form-urlencoded; charset=iso-8859-1', form(ok)],
      ['application/json; charset=utf-16', JSON.stringify(ok)],
      ['application/json; charset="windows-1252"', JSON.stringify(ok)],
    ] as const) {
      const err = await expectRefused(body, 415, 10000, { 'content-type': type });
      expect(err.message).toMatch(/^charset .* is not supported: send the body as UTF-8\.$/);
    }
    for (const type of ['application/x-www-form-urlencoded; charset=UTF-8', 'application/x-www-form-urlencoded;charset="us-ascii"', 'application/json; charset=Utf-8']) {
      const res = await create(type.includes('json') ? JSON.stringify(ok) : form(ok), { 'content-type': type });
      expect(res.status, type).toBe(201);
    }
  });

  it('accepts the same parameters as JSON, and ignores unknown ones', async () => {
    const res = await create(JSON.stringify({ ...ok, MediaUrl: 'https://cdn.example.com/j.jpg', SendAsMms: true, ValidityPeriod: 60, Unknown: 'x', ProvideFeedback: 'true' }), { 'content-type': 'application/json' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ num_media: 1, status: 'queued' });
  });

  it('takes MaxPrice as a JSON number, as @signalwire/sdk sends `MaxPrice: 0.5`', async () => {
    for (const maxPrice of [0.5, 1, 0.0079]) {
      const res = await create(JSON.stringify({ ...ok, MaxPrice: maxPrice }), { 'content-type': 'application/json' });
      expect(res.status, String(maxPrice)).toBe(201);
      expect((await server.store.messages.get(PROJECT_ID, res.body.sid))?.maxPrice).toBe(String(maxPrice));
    }
    // Still at most 4 decimals, and never negative.
    await expectRefused(JSON.stringify({ ...ok, MaxPrice: 0.00001 }), 400, 10000, { 'content-type': 'application/json' });
    await expectRefused(JSON.stringify({ ...ok, MaxPrice: -1 }), 400, 10000, { 'content-type': 'application/json' });
  });
});

describe('other synchronous codes of the Messages resource', () => {
  async function inProgress(): Promise<string> {
    const res = await create(form({ To: '+19990000001', From: NUMBERS[0]!, Body: 'stuck', MediaUrl: 'https://cdn.example.com/s.jpg' }));
    expect(res.status).toBe(201);
    return res.body.sid;
  }

  it('20404 for unknown messages and media, and unknown routes', async () => {
    for (const path of [`${base}/Messages/3f1c2b7a-0000-4000-8000-000000000002.json`, `${base}/Messages/not-a-sid`, `${base}/Messages/3f1c2b7a-0000-4000-8000-000000000002/Media.json`, `${base}/Calls.json`]) {
      const res = await server.api(path);
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ code: 20404, status: 404 });
    }
  });

  it('20009 when deleting a message or its media in progress, 10000 when redacting it, 50509 for a non-empty redaction', async () => {
    const sid = await inProgress();
    const del = await server.api(`${base}/Messages/${sid}.json`, { method: 'DELETE' });
    expect(del.body).toMatchObject({ code: 20009, status: 400 });
    const media = await server.api(`${base}/Messages/${sid}/Media.json`);
    const mediaDel = await server.api(`${base}/Messages/${sid}/Media/${media.body.media_list[0].sid}.json`, { method: 'DELETE' });
    expect(mediaDel.body).toMatchObject({ code: 20009 });
    const redact = await server.api(`${base}/Messages/${sid}.json`, { body: 'Body=', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(redact.body).toMatchObject({ code: 10000, status: 400 });
    const notEmpty = await server.api(`${base}/Messages/${sid}.json`, { body: 'Body=changed', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(notEmpty.body).toMatchObject({ code: 50509, status: 400 });
    expect((await server.store.messages.get(PROJECT_ID, sid))!.body).toBe('stuck');
  });

  it('54454 for a bad PageSize, 54453 for a later Page without a token, 21481 for a bad token, 10000 for bad filters', async () => {
    const cases: Array<[string, number]> = [
      ['PageSize=0', 54454],
      ['PageSize=-5', 54454],
      ['PageSize=ten', 54454],
      ['Page=2', 54453],
      ['Page=1&PageToken=XYZ', 21481],
      ['Page=1&PageToken=PA3f1c2b7a-0000-4000-8000-000000000003', 21481],
      ['Page=-1', 10000],
      ['DateSent=yesterday', 10000],
      ['DateSent%3C=2024-13-45', 10000],
      ['Status=lost', 10000],
    ];
    for (const [query, code] of cases) {
      const res = await server.api(`${base}/Messages.json?${query}`);
      expect([query, res.status, res.body.code]).toEqual([query, 400, code]);
    }
    // A Page past the largest one taken is named as such, not as "0 or more" (which it is).
    const far = await server.api(`${base}/Messages.json?Page=99999999999999`);
    expect([far.status, far.body.code, far.body.message]).toEqual([400, 10000, 'Page must be a whole number from 0 to 1000000000 (got "99999999999999").']);
    // Above 1000 (what the SDKs send for a large `limit`), pages of 1000.
    const large = await server.api(`${base}/Messages.json?PageSize=1001`);
    expect([large.status, large.body.page_size]).toEqual([200, 1000]);
    // However many digits: twilio-node sends `list({ limit: Number.MAX_SAFE_INTEGER })` as that PageSize.
    for (const size of [String(Number.MAX_SAFE_INTEGER), '99999999999999999999999']) {
      const all = await server.api(`${base}/Messages.json?PageSize=${size}`);
      expect([size, all.status, all.body.page_size]).toEqual([size, 200, 1000]);
    }
    expect((await server.api(`${base}/Messages.json?PageSize=00000000000`)).body.code).toBe(54454);
  });

  it('10000 for an unknown or repeated filter on every list, rather than the whole list', async () => {
    const m = await create(form({ ...ok, MediaUrl: 'https://cdn.example.com/f.jpg' }));
    expect(m.status).toBe(201);
    const cases: Array<[string, string]> = [
      [`${base}/Messages/${m.body.sid}/Media.json`, 'datecreated=2024-01-01'],
      [`${base}/Messages/${m.body.sid}/Media.json`, 'To=%2B15557690001'],
      [`${base}/Messages.json`, 'To=%2B15557690001&To=%2B15557690002'],
      [`${base}/Applications.json`, 'FriendlyName=a&FriendlyName=b'],
      [`${base}/IncomingPhoneNumbers.json`, 'PhoneNumber=%2B1555&PhoneNumber=%2B1999'],
      [`${base}/IncomingPhoneNumbers.json`, 'FriendlyName=a&FriendlyName=b'],
    ];
    for (const [path, query] of cases) {
      const res = await server.api(`${path}?${query}`);
      expect([path, query, res.status, res.body.code]).toEqual([path, query, 400, 10000]);
    }
    // The documented filters still work.
    const media = await server.api(`${base}/Messages/${m.body.sid}/Media.json?DateCreated%3E=2020-01-01&PageSize=5`);
    expect(media.status).toBe(200);
    expect(media.body.media_list).toHaveLength(1);
    const numbers = await server.api(`${base}/IncomingPhoneNumbers.json?PhoneNumber=${encodeURIComponent(NUMBERS[0]!)}`);
    expect(numbers.body.incoming_phone_numbers.map((n: { phone_number: string }) => n.phone_number)).toEqual([NUMBERS[0]]);
  });

  it('21402 for a callback on a private network when the server refuses those', async () => {
    const strict = await startTestServer({ webhookRefusePrivate: true, projectId: PROJECT_ID });
    try {
      const res = await fetch(`${strict.url}${base}/Messages.json`, {
        method: 'POST',
        headers: { authorization: strict.auth, 'content-type': 'application/x-www-form-urlencoded' },
        body: form({ ...ok, StatusCallback: 'http://127.0.0.1:9/status' }),
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code: 21402 });
    } finally {
      await strict.stop();
    }
  });
});

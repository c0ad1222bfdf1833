/**
 * POST /api/messaging/messages against a real server: every rule of rest-apis §A.1 with its exact
 * error, the request-level failures (parsing, content type, size, auth, scope) in their §A.5 shapes,
 * nothing written for any refused request, and the segment/kind facts of accepted ones (§C).
 */
import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForStatus } from './helpers/messages.js';
import { requestText } from './helpers/raw-http.js';
import { createProject, projectService, type TestProject } from './helpers/projects.js';
import { eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';
import { rowCounts } from './helpers/store-counts.js';

const SEND = '/api/messaging/messages';
const FROM = NUMBERS[0]!;
const TO = '+15557654321';
/** Registered with this project with only the `sms` capability. */
const SMS_ONLY = '+15551230077';
/** Registered with another project. */
const OTHERS_NUMBER = '+15551239901';

let server: TestServer;
let other: TestProject;

beforeAll(async () => {
  server = await startTestServer();
  other = await createProject(server, { name: 'Other tenant', number: OTHERS_NUMBER });
  const smsOnly = await server.api('/api/relay/rest/phone_numbers', { body: { number: SMS_ONLY, capabilities: ['sms'] } });
  expect(smsOnly.status).toBe(200);
  expect(smsOnly.body.capabilities).toEqual(['sms']);
});
afterAll(async () => {
  await server.stop();
});

type Api = TestServer['api'];
type Sent = Awaited<ReturnType<Api>>;

/** Run a request that must be refused, and check it wrote nothing. */
async function refusedWithoutWrites(run: () => Promise<Sent>): Promise<Sent> {
  const before = await rowCounts(server);
  const res = await run();
  expect(res.status).toBeGreaterThanOrEqual(400);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(await rowCounts(server)).toEqual(before);
  return res;
}

interface Expected {
  code: string;
  attribute: string | null;
  /** A word the message must contain, when the test wants to see the offending value or limit. */
  mentions?: string | RegExp;
}

/** Send a bad body; expect exactly these 422 entries (in any order) and no writes. */
async function expectInvalid(body: unknown, expected: Expected | Expected[]): Promise<any[]> {
  const list = Array.isArray(expected) ? expected : [expected];
  const res = await refusedWithoutWrites(() => server.api(SEND, { body }));
  expect(res.status, res.text).toBe(422);
  const errors: any[] = res.body.errors;
  expect(Array.isArray(errors)).toBe(true);
  expect(errors.map((e) => `${e.code}@${e.attribute}`).sort()).toEqual(list.map((e) => `${e.code}@${e.attribute}`).sort());
  for (const e of errors) {
    expect(Object.keys(e).sort()).toEqual(['attribute', 'code', 'message', 'type', 'url']);
    expect(e.type).toBe('validation_error');
    expect(typeof e.message).toBe('string');
    expect(e.message.length).toBeGreaterThan(15);
    expect(e.url).toBe(`https://developer.signalwire.com/rest/overview/error-codes/#${e.code}`);
  }
  for (const x of list) {
    if (!x.mentions) continue;
    const entry = errors.find((e) => e.code === x.code && e.attribute === x.attribute);
    expect(entry.message).toMatch(x.mentions);
  }
  return errors;
}

/** Send a good body; expect 201 and wait until the message has finished its simulated journey. */
async function accepted(body: Record<string, unknown>): Promise<any> {
  const res = await server.api(SEND, { body });
  expect(res.status, res.text).toBe(201);
  const id: string = res.body.id;
  await eventually(
    async () => {
      const m = await server.store.messages.get(PROJECT_ID, id);
      if (!m) return undefined;
      if (m.kind === 'sms') return m.status === 'delivered' ? true : undefined;
      // MMS get a receipt too (simulator.mmsReceipts defaults to true): delivered, once the handset has it.
      const inbox = await server.store.handsets.list(PROJECT_ID, { to: m.to }, 1000);
      return m.status === 'delivered' && inbox.some((h) => h.messageId === id) ? true : undefined;
    },
    5000,
    `message ${id} to finish`,
  );
  return res.body;
}

const base = { from: FROM, to: TO, body: 'Hello' };

describe('a send field spelt another way', () => {
  // media_url (a Twilio habit, passed through as written by SignalWire's Python SDK) was ignored: the picture message went as a plain SMS.
  it('refuses media_url, MediaUrl and statusCallback naming the field meant, and still ignores unrelated extras', async () => {
    await expectInvalid({ ...base, media_url: ['https://example.com/cat.png'] }, { code: 'invalid_parameter', attribute: 'media_url', mentions: /did you mean 'media'/ });
    await expectInvalid({ ...base, MediaUrl: 'https://example.com/cat.png' }, { code: 'invalid_parameter', attribute: 'MediaUrl', mentions: /did you mean 'media'/ });
    await expectInvalid({ ...base, statusCallback: 'https://example.com/cb' }, { code: 'invalid_parameter', attribute: 'statusCallback', mentions: /'status_callback'/ });
    await accepted({ ...base, region: 'us', tags: ['x'] });
  });
});

describe('the "to" rule', () => {
  it('refuses a missing destination with invalid_to_number on "to"', async () => {
    await expectInvalid({ from: FROM, body: 'x' }, { code: 'invalid_to_number', attribute: 'to' });
  });

  it('refuses an empty destination', async () => {
    await expectInvalid({ ...base, to: '' }, { code: 'invalid_to_number', attribute: 'to' });
  });

  it.each([['abc'], ['+1'], ['12'], ['+1555123456789012345'], ['+1 555 123 4567'], ['1-555-123-4567'], ['+0155512345']])('refuses the malformed destination %j, naming it', async (to) => {
    await expectInvalid({ ...base, to }, { code: 'invalid_to_number', attribute: 'to', mentions: to });
  });

  it('refuses a destination that is not a string', async () => {
    await expectInvalid({ ...base, to: 15557654321 }, { code: 'invalid_to_number', attribute: 'to' });
  });

  it.each([['+12345'], ['+12345678901234567']])('accepts the E.164 destination %j at the 5 and 17 digit bounds', async (to) => {
    const m = await accepted({ ...base, to });
    expect(m.to).toBe(to);
  });

  it('refuses 18 digits after the plus', async () => {
    await expectInvalid({ ...base, to: '+123456789012345678' }, { code: 'invalid_to_number', attribute: 'to' });
  });

  it.each([['988'], ['+988'], ['12345'], ['123456']])('accepts the passthrough or short-code destination %j', async (to) => {
    const m = await accepted({ ...base, to });
    expect(m).toMatchObject({ to, status: 'queued', kind: 'sms' });
  });
});

describe('the "from" rule', () => {
  it('refuses a missing sender with invalid_from_number on "from"', async () => {
    await expectInvalid({ to: TO, body: 'x' }, { code: 'invalid_from_number', attribute: 'from' });
  });

  it.each([['abc'], ['+1'], ['1234'], ['+0155512345']])('refuses the malformed sender %j', async (from) => {
    await expectInvalid({ ...base, from }, { code: 'invalid_from_number', attribute: 'from', mentions: from });
  });

  it('refuses a sender that is not a string', async () => {
    await expectInvalid({ ...base, from: 15551230001 }, { code: 'invalid_from_number', attribute: 'from' });
  });

  it('refuses a well-formed number that is registered nowhere', async () => {
    await expectInvalid({ ...base, from: '+15559998877' }, { code: 'invalid_from_number', attribute: 'from', mentions: '+15559998877' });
  });

  it("refuses another project's number, as if it did not exist", async () => {
    await expectInvalid({ ...base, from: OTHERS_NUMBER }, { code: 'invalid_from_number', attribute: 'from', mentions: OTHERS_NUMBER });
  });

  it("lets the other project send from that number (it is the owner's)", async () => {
    const res = await server.api(SEND, { auth: other.auth, body: { from: OTHERS_NUMBER, to: TO, body: 'mine' } });
    expect(res.status).toBe(201);
    expect(res.body.project_id).toBe(other.projectId);
    await waitForStatus(server, res.body.id, 'delivered', { projectId: other.projectId });
  });

  it('refuses media from a number that can only send SMS (missing_messaging_capability)', async () => {
    await expectInvalid({ ...base, from: SMS_ONLY, media: ['https://example.com/cat.png'] }, { code: 'missing_messaging_capability', attribute: 'from', mentions: /MMS/ });
  });

  it('refuses send_as_mms from a number that can only send SMS', async () => {
    await expectInvalid({ ...base, from: SMS_ONLY, send_as_mms: true }, { code: 'missing_messaging_capability', attribute: 'from' });
  });

  it("accepts one of the project's short codes as the sender", async () => {
    const reg = await server.api('/api/relay/rest/phone_numbers', { body: { number: '54321' } });
    expect(reg.status).toBe(200);
    const m = await accepted({ ...base, from: '54321' });
    expect(m).toMatchObject({ from: '54321', kind: 'sms' });
  });

  it('refuses SMS from a number without the sms capability', async () => {
    const reg = await server.api('/api/relay/rest/phone_numbers', { body: { number: '+15551230078', capabilities: ['voice', 'mms'] } });
    expect(reg.status).toBe(200);
    await expectInvalid({ ...base, from: '+15551230078' }, { code: 'missing_messaging_capability', attribute: 'from', mentions: /SMS/ });
  });

  it('lets the SMS-only number send SMS', async () => {
    const m = await accepted({ ...base, from: SMS_ONLY });
    expect(m).toMatchObject({ from: SMS_ONLY, kind: 'sms' });
  });
});

describe('the body and media rules', () => {
  it('refuses a message with neither body nor media (body_or_media_required)', async () => {
    await expectInvalid({ from: FROM, to: TO }, { code: 'body_or_media_required', attribute: 'body' });
  });

  it('treats an empty body and an empty media list as neither', async () => {
    await expectInvalid({ from: FROM, to: TO, body: '', media: [] }, { code: 'body_or_media_required', attribute: 'body' });
  });

  it.each([[42], [true], [{ text: 'hi' }], [['hi']]])('refuses the body %j, which is not a string', async (body) => {
    await expectInvalid({ from: FROM, to: TO, body }, { code: 'invalid_message_body', attribute: 'body' });
  });

  it('refuses a body of 1601 characters (character_limit_exceeded)', async () => {
    await expectInvalid({ ...base, body: 'a'.repeat(1601) }, { code: 'character_limit_exceeded', attribute: 'body', mentions: '1600' });
  });

  it('counts UTF-16 units against the limit: 801 emoji (1602 units) are too many', async () => {
    await expectInvalid({ ...base, body: '😀'.repeat(801) }, { code: 'character_limit_exceeded', attribute: 'body' });
  });

  it('accepts exactly 1600 characters, in 11 GSM-7 segments', async () => {
    const m = await accepted({ ...base, body: 'a'.repeat(1600) });
    expect(m).toMatchObject({ kind: 'sms', number_of_segments: 11 });
    expect(m.body).toHaveLength(1600);
  });

  it('accepts 800 emoji (exactly 1600 UTF-16 units)', async () => {
    const m = await accepted({ ...base, body: '😀'.repeat(800) });
    expect(m.body).toBe('😀'.repeat(800));
    // 33 emoji (66 units) per 67-unit part, as a surrogate pair is never split: ceil(800 / 33) = 25.
    expect(m.number_of_segments).toBe(25);
  });

  it('accepts and delivers a body with a NUL or a lone UTF-16 surrogate, answering and keeping U+FFFD in its place', async () => {
    for (const [sent, kept] of [
      ['a\u0000b', 'a\uFFFDb'],
      ['a\ud800b', 'a\uFFFDb'],
    ]) {
      const m = await accepted({ ...base, body: sent, custom_variables: { note: sent } });
      expect(m.body).toBe(kept);
      const stored = await server.store.messages.get(PROJECT_ID, m.id);
      expect(stored).toMatchObject({ body: kept, customVariables: { note: kept } });
    }
  });

  it('refuses media that is not an array', async () => {
    await expectInvalid({ ...base, media: 'https://example.com/cat.png' }, { code: 'invalid_media_url', attribute: 'media' });
  });

  it('refuses media items that are not strings', async () => {
    await expectInvalid({ ...base, media: [42] }, { code: 'invalid_media_url', attribute: 'media' });
  });

  it('refuses 9 media URLs with media_limit_exceeded ("currently 8")', async () => {
    const media = Array.from({ length: 9 }, (_, i) => `https://example.com/${i}.png`);
    await expectInvalid({ ...base, media }, { code: 'media_limit_exceeded', attribute: 'media', mentions: /8/ });
  });

  it('accepts 8 media URLs as one MMS and echoes them', async () => {
    const media = Array.from({ length: 8 }, (_, i) => `https://example.com/${i}.png`);
    const m = await accepted({ ...base, media });
    expect(m).toMatchObject({ kind: 'mms', media, number_of_segments: 1 });
  });

  it('accepts media without a body', async () => {
    const m = await accepted({ from: FROM, to: TO, media: ['http://example.com/a.jpg'] });
    expect(m).toMatchObject({ kind: 'mms', body: '', media: ['http://example.com/a.jpg'] });
  });

  it.each([[' https://example.com/a.png'], ['https://example.com/a.png '], ['\thttps://example.com/a.png\n'], ['https://exam\nple.com/a.png']])('refuses the media URL %j, with spaces or controls a URL parser would drop, and stores nothing', async (url) => {
    await expectInvalid({ ...base, media: [url] }, { code: 'invalid_media_url', attribute: 'media', mentions: 'send the URL alone' });
  });

  it.each([['ftp://example.com/a.png'], ['/relative/a.png'], ['javascript:alert(1)'], ['example.com/a.png'], ['']])('refuses the media URL %j, which is not http(s)', async (url) => {
    await expectInvalid({ ...base, media: ['https://example.com/ok.png', url] }, { code: 'invalid_media_url', attribute: 'media' });
  });
});

describe('the send_as_mms and status_callback rules', () => {
  it.each([['true'], [1], ['false']])('refuses send_as_mms %j, which is not a boolean', async (value) => {
    await expectInvalid({ ...base, send_as_mms: value }, { code: 'invalid_parameter', attribute: 'send_as_mms' });
  });

  it.each([['ftp://example.com/status'], ['not a url'], ['/relative'], [42]])('refuses the status callback %j (not_an_http_url)', async (url) => {
    await expectInvalid({ ...base, status_callback: url }, { code: 'not_an_http_url', attribute: 'status_callback' });
  });

  it.each([[' https://example.com/status'], ['https://example.com/status '], ['\thttps://example.com/status\n'], ['https://exam\nple.com/status']])('refuses the status callback %j, with spaces or controls a URL parser would drop, as media URLs are', async (url) => {
    await expectInvalid({ ...base, status_callback: url }, { code: 'not_an_http_url', attribute: 'status_callback', mentions: 'send the URL alone' });
  });

  it('refuses a status callback or media URL whose host name is over 253 characters, though the URL is within 2048', async () => {
    // Each CJK character of a host is several letters of punycode: some 6,000 here, which
    // PostgreSQL could not index as the callback's destination (it answered 500).
    const host = Array.from({ length: 95 }, () => '\u4e2d\u6587\u7db2\u7d61\u4f8b\u5b50\u6e2c\u8a66\u9577\u540d\u7a31\u4e3b\u6a5f\u540d\u7a31\u8d85\u9577\u6e2c\u8a66\u7528').join('.');
    const url = `https://${host}.com/cb`;
    expect(url.length).toBeLessThan(2048);
    await expectInvalid({ ...base, status_callback: url }, { code: 'not_an_http_url', attribute: 'status_callback', mentions: '253' });
    await expectInvalid({ ...base, media: [url] }, { code: 'invalid_media_url', attribute: 'media', mentions: '253' });
  });

  it('refuses a status callback or media URL on a host no DNS name can be, or on port 0', async () => {
    for (const url of [`https://${'a'.repeat(64)}.example/cb`, `https://${'\u00fc'.repeat(60)}.example/cb`, 'https://a..example/cb', 'https://example.com:0/cb']) {
      await expectInvalid({ ...base, status_callback: url }, { code: 'not_an_http_url', attribute: 'status_callback', mentions: '63' });
      await expectInvalid({ ...base, media: [url] }, { code: 'invalid_media_url', attribute: 'media', mentions: '63' });
    }
  });

  it('accepts an http status callback and echoes it', async () => {
    // Nothing listens on port 9 of loopback: the callbacks fail and are retried in the background,
    // which changes no row counts the other tests compare.
    const m = await accepted({ ...base, status_callback: 'http://127.0.0.1:9/status' });
    expect(m.status_callback_url).toBe('http://127.0.0.1:9/status');
  });
});

describe('the custom_variables rules', () => {
  it.each([['a string'], [['a', 'b']], [42], [true]])('refuses custom_variables %j, which is not an object (must_be_object)', async (value) => {
    await expectInvalid({ ...base, custom_variables: value }, { code: 'must_be_object', attribute: 'custom_variables' });
  });

  it('refuses 21 variables (too_many_custom_variables)', async () => {
    const vars = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`v${i}`, 'x']));
    await expectInvalid({ ...base, custom_variables: vars }, { code: 'too_many_custom_variables', attribute: 'custom_variables', mentions: '20' });
  });

  it('accepts 20 variables', async () => {
    const vars = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`v${i}`, 'x']));
    await accepted({ ...base, custom_variables: vars });
    // Stored as given (they are echoed in status callbacks).
    const page = await server.store.messages.list(PROJECT_ID, {}, { limit: 1 });
    expect(page[0]!.customVariables).toEqual(vars);
  });

  it.each([['1abc'], ['a-b'], ['a b'], ['ünicode'], ['']])('refuses the variable name %j (invalid_custom_variable_name)', async (name) => {
    await expectInvalid({ ...base, custom_variables: { [name]: 'x' } }, { code: 'invalid_custom_variable_name', attribute: 'custom_variables' });
  });

  it.each([['signalwire_id'], ['SignalWire_id'], ['sw_id'], ['SW_ID'], ['rtc_x'], ['Rtc_x'], ['internal_x'], ['INTERNAL_X']])(
    'refuses the reserved name %j whatever its case (reserved_custom_variable_name)',
    async (name) => {
      await expectInvalid({ ...base, custom_variables: { [name]: 'x' } }, { code: 'reserved_custom_variable_name', attribute: 'custom_variables', mentions: name });
    },
  );

  it('keeps a variable named __proto__ (it used to be accepted and dropped)', async () => {
    // Parsed, not written as a literal: JSON.parse makes "__proto__" an own key, which JSON.stringify sends.
    const sent = await accepted({ ...base, custom_variables: JSON.parse('{"__proto__":"a","order":"b"}') });
    const stored = (await server.store.messages.get(PROJECT_ID, sent.id))?.customVariables;
    expect(JSON.stringify(stored)).toBe('{"__proto__":"a","order":"b"}');
  });

  it('answers hundreds of bad variable names briefly (too many, and the first 20 checked)', async () => {
    // Past 1,000 distinct names a body is refused before it is parsed (test/body-member-limits).
    const vars = Object.fromEntries(Array.from({ length: 900 }, (_, i) => [`${i}`, 'x']));
    const errors = await expectInvalid({ ...base, custom_variables: vars }, [
      { code: 'too_many_custom_variables', attribute: 'custom_variables' },
      ...Array.from({ length: 20 }, () => ({ code: 'invalid_custom_variable_name', attribute: 'custom_variables' })),
    ]);
    expect(errors).toHaveLength(21);
  });

  it('accepts names that merely contain a reserved word, and keeps their case', async () => {
    const vars = { my_sw_id: 'a', _x: 'b', Order: 'c', order: 'd', swallow: 'e' };
    const sent = await accepted({ ...base, custom_variables: vars });
    expect((await server.store.messages.get(PROJECT_ID, sent.id))?.customVariables).toEqual(vars);
  });

  it.each([[''], [42], [null], [{ nested: 'x' }], [['x']], [true]])('refuses the value %j (invalid_custom_variable_value)', async (value) => {
    await expectInvalid({ ...base, custom_variables: { order: value } }, { code: 'invalid_custom_variable_value', attribute: 'custom_variables', mentions: 'order' });
  });

  it('refuses a value over 1024 bytes counted in UTF-8, not characters (513 × "é" = 1026 bytes)', async () => {
    await expectInvalid({ ...base, custom_variables: { order: 'é'.repeat(513) } }, { code: 'custom_variable_value_too_long', attribute: 'custom_variables', mentions: 'order' });
  });

  it('refuses 257 emoji (1028 bytes) as too long', async () => {
    await expectInvalid({ ...base, custom_variables: { order: '😀'.repeat(257) } }, { code: 'custom_variable_value_too_long', attribute: 'custom_variables' });
  });

  it('accepts exactly 1024 bytes (512 × "é", 1024 × "a")', async () => {
    await accepted({ ...base, custom_variables: { two_byte: 'é'.repeat(512), one_byte: 'a'.repeat(1024) } });
  });

  it('reports one entry per bad variable', async () => {
    await expectInvalid({ ...base, custom_variables: { '9lives': 'x', sw_a: 'x', empty: '', ok: 'fine' } }, [
      { code: 'invalid_custom_variable_name', attribute: 'custom_variables' },
      { code: 'reserved_custom_variable_name', attribute: 'custom_variables' },
      { code: 'invalid_custom_variable_value', attribute: 'custom_variables' },
    ]);
  });
});

describe('several problems at once', () => {
  it('are all reported together, one entry each', async () => {
    await expectInvalid(
      { to: 'abc', media: ['ftp://example.com/a.png'], status_callback: 'mailto:ops@example.com', custom_variables: { sw_x: 'y' } },
      [
        { code: 'invalid_to_number', attribute: 'to' },
        { code: 'invalid_from_number', attribute: 'from' },
        { code: 'invalid_media_url', attribute: 'media' },
        { code: 'not_an_http_url', attribute: 'status_callback' },
        { code: 'reserved_custom_variable_name', attribute: 'custom_variables' },
      ],
    );
  });

  it('include ownership and content problems side by side', async () => {
    await expectInvalid({ from: OTHERS_NUMBER, to: TO, body: 'a'.repeat(1601) }, [
      { code: 'invalid_from_number', attribute: 'from' },
      { code: 'character_limit_exceeded', attribute: 'body' },
    ]);
  });

  it('of type are reported together too', async () => {
    const errors = await expectInvalid({ from: FROM, to: 15557654321, body: 42, send_as_mms: 'yes', send_at: 1796430999 }, [
      { code: 'invalid_to_number', attribute: 'to' },
      { code: 'invalid_message_body', attribute: 'body' },
      { code: 'invalid_parameter', attribute: 'send_as_mms' },
      // Its own code, as a string that is no date-time gets (not invalid_parameter "send_at must be string,null.").
      { code: 'invalid_send_at', attribute: 'send_at' },
    ]);
    // In the native API's words: the Compatibility API's name (SendAt) meant nothing to this caller.
    expect(errors.find((e) => e.attribute === 'send_at').message).toMatch(/^send_at must be an ISO-8601 date-time with a time zone/);
  });
});

describe('a request the API cannot read', () => {
  const raw = (init: RequestInit & { headers?: Record<string, string> }) =>
    refusedWithoutWrites(async () => {
      const res = await fetch(`${server.url}${SEND}`, { method: 'POST', ...init, headers: { authorization: server.auth, ...init.headers } });
      const text = await res.text();
      return { status: res.status, headers: res.headers, text, body: text ? JSON.parse(text) : undefined };
    });

  it('answers malformed JSON with 400 {"error":"Bad Request", message}', async () => {
    const res = await raw({ headers: { 'content-type': 'application/json' }, body: '{"to": "+15557654321", "body":' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'Bad Request', message: expect.stringMatching(/JSON/) });
  });

  it('answers bytes that are not UTF-8 with 400 naming the encoding', async () => {
    const bytes = Buffer.concat([Buffer.from(`{"from":"${FROM}","to":"${TO}","body":"`), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')]);
    const res = await raw({ headers: { 'content-type': 'application/json' }, body: bytes });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'Bad Request', message: expect.stringMatching(/UTF-8/) });
  });

  it('answers an empty JSON body with 400', async () => {
    const res = await raw({ headers: { 'content-type': 'application/json' }, body: '' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'Bad Request', message: expect.any(String) });
  });

  it('answers a POST with no body and no content type with 400', async () => {
    const res = await raw({});
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'Bad Request', message: expect.any(String) });
  });

  it.each([['[]'], ['[{"to":"+15557654321"}]'], ['null'], ['"text"'], ['42']])('answers the JSON %s, which is not an object, with 400', async (body) => {
    const res = await raw({ headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'Bad Request', message: expect.any(String) });
  });

  it.each([['text/plain'], ['application/x-www-form-urlencoded'], ['application/xml']])('answers the content type %s with 415', async (type) => {
    const res = await raw({ headers: { 'content-type': type }, body: JSON.stringify(base) });
    expect(res.status).toBe(415);
    expect(res.body).toEqual({ error: 'Unsupported Media Type', message: expect.stringMatching(/application\/json/) });
  });

  it.each([['gzip'], ['br'], ['deflate, identity']])('answers Content-Encoding: %s with 415 and writes nothing (the body is not read as plain JSON)', async (coding) => {
    const res = await refusedWithoutWrites(() => raw({ headers: { 'content-type': 'application/json', 'content-encoding': coding }, body: JSON.stringify(base) }));
    expect(res.status).toBe(415);
    expect(res.body).toEqual({ error: 'Unsupported Media Type', message: expect.stringMatching(/^Content-Encoding .* is not supported: send the body uncompressed\.$/) });
  });

  it.each([['gzip, chunked'], ['deflate,chunked']])('answers Transfer-Encoding: %s with 415 and writes nothing, on both surfaces (the gzip bytes are not read as the body)', async (coding) => {
    const port = Number(new URL(server.url).port);
    const send = (path: string, type: string, body: string) =>
      refusedWithoutWrites(async () => {
        const res = await requestText(httpRequest, { host: '127.0.0.1', port, method: 'POST', path, headers: { authorization: server.auth, 'content-type': type, 'transfer-encoding': coding } }, gzipSync(body));
        return { status: res.status, headers: new Headers({ 'content-type': String(res.headers['content-type']) }), text: res.body, body: JSON.parse(res.body) };
      });
    const native = await send(SEND, 'application/json', JSON.stringify(base));
    expect(native.status).toBe(415);
    expect(native.body).toEqual({ error: 'Unsupported Media Type', message: expect.stringMatching(/^Transfer-Encoding .* is not supported: send the body uncompressed/) });
    const compat = await send(`/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Messages.json`, 'application/x-www-form-urlencoded', `From=${encodeURIComponent(base.from)}&To=${encodeURIComponent(base.to)}&Body=x`);
    expect(compat.status).toBe(415);
    expect(compat.body).toMatchObject({ code: 10000, status: 415, message: expect.stringMatching(/^Transfer-Encoding /) });
  });

  it('accepts Content-Encoding: identity', async () => {
    const res = await server.api(SEND, { body: base, headers: { 'content-encoding': 'identity' } });
    expect(res.status).toBe(201);
    await waitForStatus(server, res.body.id);
  });

  it.each([['iso-8859-1'], ['utf-16'], ['"latin1"']])('answers JSON declared in charset %s with 415 and writes nothing (it would be read as UTF-8)', async (charset) => {
    const res = await refusedWithoutWrites(() => raw({ headers: { 'content-type': `application/json; charset=${charset}` }, body: JSON.stringify(base) }));
    expect(res.status).toBe(415);
    expect(res.body).toEqual({ error: 'Unsupported Media Type', message: expect.stringMatching(/^charset .* is not supported: send the body as UTF-8\.$/) });
  });

  it.each([['UTF-8'], ['"utf-8"'], ['us-ascii']])('accepts JSON declared in charset %s', async (charset) => {
    const res = await server.api(SEND, { body: base, headers: { 'content-type': `application/json;charset=${charset}` } });
    expect(res.status).toBe(201);
    await waitForStatus(server, res.body.id);
  });

  it('accepts JSON with a charset parameter', async () => {
    const res = await server.api(SEND, { body: base, headers: { 'content-type': 'application/json; charset=utf-8' } });
    expect(res.status).toBe(201);
    await waitForStatus(server, res.body.id);
  });
});

describe('authentication and authorization', () => {
  const good = JSON.stringify(base);

  it.each([
    ['no Authorization header', null],
    ['a wrong token', `Basic ${Buffer.from(`${PROJECT_ID}:PTwrong`).toString('base64')}`],
    ['an unknown project', `Basic ${Buffer.from('00000000-0000-4000-8000-000000000000:PTwhatever').toString('base64')}`],
    ['a Bearer header', 'Bearer PTtestTokenForSwitchboardIntegrationTests0123456789'],
    ['Basic with no colon in the credentials', `Basic ${Buffer.from(PROJECT_ID).toString('base64')}`],
    ['Basic with garbage', 'Basic !!!not-base64!!!'],
    ['Basic with nothing', 'Basic '],
    ['an empty project id', `Basic ${Buffer.from(':PTsomething').toString('base64')}`],
  ])('answers %s with 401 and a Basic challenge', async (_what, auth) => {
    const res = await refusedWithoutWrites(() => server.api(SEND, { body: good, auth }));
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'Unauthorized', message: expect.stringMatching(/Basic/) });
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
  });

  it('checks credentials before reading the body (a bad body without credentials is still 401)', async () => {
    const res = await refusedWithoutWrites(() => server.api(SEND, { body: '{not json', auth: null }));
    expect(res.status).toBe(401);
  });

  it('answers a token without the messaging scope with 403', async () => {
    const numbersOnly = await createProject(server, { name: 'numbers only', scopes: ['numbers'] });
    const res = await refusedWithoutWrites(() => server.api(SEND, { body: good, auth: numbersOnly.auth }));
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ error: 'Forbidden', message: expect.stringMatching(/messaging/) });
  });

  it('answers a revoked token with 401', async () => {
    const p = await createProject(server, { name: 'revoked' });
    const [token] = await server.store.tokens.listActive(p.projectId);
    await projectService(server).revokeToken(p.projectId, token!.id);
    const res = await refusedWithoutWrites(() => server.api(SEND, { body: good, auth: p.auth }));
    expect(res.status).toBe(401);
  });
});

describe('a server with a small body limit and private callbacks refused', () => {
  let strict: TestServer;
  beforeAll(async () => {
    strict = await startTestServer({ bodyLimitBytes: 1024, webhookRefusePrivate: true });
  });
  afterAll(async () => {
    await strict.stop();
  });

  async function strictCounts() {
    return rowCounts(strict);
  }

  it('answers a body over the limit with 413 and writes nothing', async () => {
    const before = await strictCounts();
    const res = await strict.api(SEND, { body: { ...base, body: 'a'.repeat(1500) } });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ error: 'Payload Too Large', message: expect.stringMatching(/larger/) });
    expect(await strictCounts()).toEqual(before);
  });

  it('answers a chunked body over the limit (no Content-Length) with 413', async () => {
    const before = await strictCounts();
    const chunk = new TextEncoder().encode(JSON.stringify({ ...base, body: 'b'.repeat(1500) }));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(chunk.slice(0, 600));
        controller.enqueue(chunk.slice(600));
        controller.close();
      },
    });
    const res = await fetch(`${strict.url}${SEND}`, {
      method: 'POST',
      headers: { authorization: strict.auth, 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: 'Payload Too Large' });
    expect(await strictCounts()).toEqual(before);
  });

  it('accepts a body under the limit', async () => {
    const res = await strict.api(SEND, { body: base });
    expect(res.status).toBe(201);
    await waitForStatus(strict, res.body.id);
  });

  it.each([['http://127.0.0.1:8080/status'], ['http://localhost/status'], ['http://10.1.2.3/status'], ['http://192.168.0.1/status'], ['http://[::1]/status']])(
    'refuses the private status callback %s with url_is_unsafe',
    async (url) => {
      const before = await strictCounts();
      const res = await strict.api(SEND, { body: { ...base, status_callback: url } });
      expect(res.status).toBe(422);
      expect(res.body.errors).toEqual([
        { type: 'validation_error', code: 'url_is_unsafe', attribute: 'status_callback', message: expect.any(String), url: 'https://developer.signalwire.com/rest/overview/error-codes/#url_is_unsafe' },
      ]);
      expect(await strictCounts()).toEqual(before);
    },
  );
});

describe('what an accepted message reports (rest-apis §C)', () => {
  it.each([
    ['160 × a', 'a'.repeat(160), 1],
    ['161 × a', 'a'.repeat(161), 2],
    ['306 × a', 'a'.repeat(306), 2],
    ['307 × a', 'a'.repeat(307), 3],
    ['80 × €', '€'.repeat(80), 1],
    ['81 × €', '€'.repeat(81), 2],
    ['152 × a + € + 152 × a', `${'a'.repeat(152)}€${'a'.repeat(152)}`, 3],
    ['70 × é', 'é'.repeat(70), 1],
    ['70 × ç', 'ç'.repeat(70), 1],
    ['71 × ç', 'ç'.repeat(71), 2],
    ['135 × ç', 'ç'.repeat(135), 3],
    ['35 × 😀', '😀'.repeat(35), 1],
    ['36 × 😀', '😀'.repeat(36), 2],
    ['66 × ç + 😀 + 66 × ç', `${'ç'.repeat(66)}😀${'ç'.repeat(66)}`, 3],
    ['158 × a + CR LF (CR LF counts two)', `${'a'.repeat(158)}\r\n`, 1],
    ['159 × a + CR LF', `${'a'.repeat(159)}\r\n`, 2],
    ['160 × Ç (capital Ç is GSM-7)', 'Ç'.repeat(160), 1],
    ['a backtick + 69 × a (backtick is not GSM-7)', `\`${'a'.repeat(69)}`, 1],
    ['a backtick + 70 × a', `\`${'a'.repeat(70)}`, 2],
  ])('counts %s as an SMS of the documented number of segments', async (_name, body, segments) => {
    const m = await accepted({ ...base, body });
    expect(m).toMatchObject({ kind: 'sms', number_of_segments: segments, body, media: [] });
  });

  it('makes send_as_mms an MMS of one part, even for a long body', async () => {
    const m = await accepted({ ...base, body: 'a'.repeat(500), send_as_mms: true });
    expect(m).toMatchObject({ kind: 'mms', number_of_segments: 1, media: [] });
  });

  it('keeps send_as_mms: false an SMS', async () => {
    const m = await accepted({ ...base, send_as_mms: false });
    expect(m.kind).toBe('sms');
  });

  it('answers with the full Message shape and nothing else', async () => {
    const m = await accepted({ ...base, custom_variables: { order: '42' } });
    expect(Object.keys(m).sort()).toEqual(
      ['body', 'created_at', 'direction', 'error_code', 'error_message', 'from', 'id', 'kind', 'media', 'message_uri', 'number_of_segments', 'project_id', 'status', 'status_callback_url', 'to'].sort(),
    );
  });
});

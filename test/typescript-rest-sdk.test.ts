/**
 * SignalWire's TypeScript port (`@signalwire/sdk`, src/rest) against Switchboard: its `RestClient`
 * (phone numbers and their search, number groups, message logs with `paginateAll`) and its
 * `client.compat.messages`, which posts JSON bodies (`{To, From, Body}`) to the Compatibility API
 * (MMS media included) and DELETEs without a body. Skipped, saying why, without the checkout (test/signalwire-typescript.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_TOKEN, eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from '../packages/server/test/helpers/server.js';
import { loadTsSdk, tsSetup } from './signalwire-typescript.js';

const setup = tsSetup();
if ('missing' in setup) console.warn(`SignalWire TypeScript SDK (REST) test skipped: ${setup.missing}`);

/** The answer of a call, or the status and body of the RestError it threw. */
async function outcome(call: Promise<unknown>): Promise<{ ok: any } | { status: number; body: any }> {
  try {
    return { ok: await call };
  } catch (err: any) {
    if (typeof err?.statusCode !== 'number') throw err;
    return { status: err.statusCode, body: err.body };
  }
}

describe.skipIf('missing' in setup)("SignalWire's TypeScript SDK REST client", () => {
  let server: TestServer;
  let sdk: { rest: any; relay: any };
  let client: any;
  let http: any;

  beforeAll(async () => {
    server = await startTestServer();
    sdk = await loadTsSdk((setup as { sdk: string }).sdk);
    // The port puts https:// before a bare host: the plain listener is named with its scheme.
    const options = { project: PROJECT_ID, token: API_TOKEN, host: `http://127.0.0.1:${server.port}` };
    client = new sdk.rest.RestClient(options);
    http = new sdk.rest.HttpClient({ baseUrl: options.host, project: PROJECT_ID, token: API_TOKEN });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('lists phone numbers (filtered, paged with paginateAll) and searches for numbers to buy: an empty list, a misspelt parameter refused', async () => {
    const listed = await client.phoneNumbers.list();
    expect(listed.data.map((n: any) => n.number).sort()).toEqual([...NUMBERS].sort());
    expect((await client.phoneNumbers.list({ filter_number: '0002' })).data.map((n: any) => n.number)).toEqual([NUMBERS[1]]);
    expect((await client.phoneNumbers.get(listed.data[0].id)).number).toBe(listed.data[0].number);
    const paged = await sdk.rest.paginateAll(http, '/api/relay/rest/phone_numbers', { page_size: 1, filter_number: '555' });
    expect(paged.map((n: any) => n.number)).toEqual(listed.data.map((n: any) => n.number));
    expect(await outcome(client.phoneNumbers.search({ areacode: '512', max_results: 3 }))).toEqual({ ok: { links: expect.any(Object), data: [] } });
    expect(await outcome(client.phoneNumbers.search({ area_code: '512' }))).toMatchObject({ status: 422, body: { errors: [{ code: 'invalid_filter' }] } });
  });

  it('compat.phoneNumbers: searches for numbers to buy (empty: there is no inventory), then purchases, updates and releases one', async () => {
    expect(await client.compat.phoneNumbers.listAvailableCountries()).toMatchObject({ countries: [], next_page_uri: null });
    expect(await client.compat.phoneNumbers.searchLocal('US', { AreaCode: '512', SmsEnabled: true })).toMatchObject({ available_phone_numbers: [], next_page_uri: null });
    expect(await client.compat.phoneNumbers.searchTollFree('US', { Contains: '888' })).toMatchObject({ available_phone_numbers: [] });
    const bought = await client.compat.phoneNumbers.purchase({ PhoneNumber: '+15551236601', FriendlyName: 'ts', SmsUrl: 'https://example.com/in' });
    expect(bought).toMatchObject({ phone_number: '+15551236601', friendly_name: 'ts', sms_url: 'https://example.com/in' });
    expect(await client.compat.phoneNumbers.update(bought.sid, { SmsMethod: 'GET' })).toMatchObject({ sms_method: 'GET' });
    expect((await client.compat.phoneNumbers.list({ PhoneNumber: '+15551236601' })).incoming_phone_numbers.map((n: any) => n.sid)).toEqual([bought.sid]);
    expect(await outcome(client.compat.phoneNumbers.delete(bought.sid))).toEqual({ ok: {} });
    expect(await outcome(client.compat.phoneNumbers.get(bought.sid))).toMatchObject({ status: 404, body: { code: 20404 } });
  });

  it('manages number groups and their memberships, deletes included', async () => {
    const number = (await client.phoneNumbers.list()).data[0];
    const group = await client.numberGroups.create({ name: 'typescript sdk group', sticky_sender: true });
    expect(group).toMatchObject({ id: expect.any(String), name: 'typescript sdk group', sticky_sender: true });
    expect(await client.numberGroups.update(group.id, { name: 'renamed' })).toMatchObject({ name: 'renamed' });
    expect((await client.numberGroups.list({ filter_name: 'renamed' })).data.map((g: any) => g.id)).toEqual([group.id]);
    const membership = await client.numberGroups.addMembership(group.id, { phone_number_id: number.id });
    expect((await client.numberGroups.getMembership(membership.id)).phone_number).toMatchObject({ id: number.id, number: number.number });
    expect((await client.numberGroups.listMemberships(group.id)).data).toHaveLength(1);
    expect(await outcome(client.numberGroups.deleteMembership(membership.id))).toEqual({ ok: {} });
    expect((await client.numberGroups.listMemberships(group.id)).data).toHaveLength(0);
    expect(await outcome(client.numberGroups.delete(group.id))).toEqual({ ok: {} });
    expect(await outcome(client.numberGroups.get(group.id))).toMatchObject({ status: 404 });
  });

  it('compat.messages: create, get, list with filters, redact and delete with its JSON bodies; message logs list, get and paginateAll with filters', async () => {
    const to = '+15557650701';
    const sent = [];
    for (let i = 0; i < 3; i++) sent.push(await client.compat.messages.create({ To: to, From: NUMBERS[0], Body: `from the TypeScript SDK ${i}` }));
    for (const m of sent) expect(m).toMatchObject({ sid: expect.any(String), to, from: NUMBERS[0], status: 'queued', account_sid: PROJECT_ID });
    const first = sent[0]!;
    await eventually(async () => ((await client.compat.messages.get(first.sid)).status === 'delivered' ? true : undefined), 10_000, 'the first message delivered');
    expect(await client.compat.messages.get(first.sid)).toMatchObject({ sid: first.sid, body: 'from the TypeScript SDK 0' });
    const listed = await client.compat.messages.list({ To: to, PageSize: 2 });
    expect(listed.messages.map((m: any) => m.sid)).toEqual([sent[2]!.sid, sent[1]!.sid]);
    const all = await sdk.rest.paginateAll(http, `/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Messages.json`, { To: to, PageSize: 1 }, 'messages');
    expect(all.map((m: any) => m.sid)).toEqual(sent.map((m) => m.sid).reverse());

    // Message logs: the same messages, found by the same filters, page by page.
    const logs = await client.logs.messages.list({ to });
    expect(logs.data.map((l: any) => l.id)).toEqual(sent.map((m) => m.sid).reverse());
    expect(await client.logs.messages.get(first.sid)).toMatchObject({ id: first.sid, to, from: NUMBERS[0], direction: 'outbound-api', source: 'laml' });
    const pagedLogs = await sdk.rest.paginateAll(http, '/api/messaging/logs', { page_size: 1, to });
    expect(pagedLogs.map((l: any) => l.id)).toEqual(logs.data.map((l: any) => l.id));

    // Redaction is an update: the port POSTs `{"Body": ""}` as JSON.
    expect(await client.compat.messages.update(first.sid, { Body: '' })).toMatchObject({ sid: first.sid, body: '' });
    expect(await outcome(client.compat.messages.update(first.sid, { Body: 'not empty' }))).toMatchObject({ status: 400, body: { code: 50509 } });
    // DELETE without a body: 204, which the port answers as {}; then the message is gone.
    expect(await outcome(client.compat.messages.delete(first.sid))).toEqual({ ok: {} });
    expect(await outcome(client.compat.messages.get(first.sid))).toMatchObject({ status: 404, body: { code: 20404 } });
    expect((await client.logs.messages.list({ to })).data).toHaveLength(2);
    expect((await client.logs.messages.list({ to, include_deleted: true })).data).toHaveLength(3);
    expect(await outcome(client.compat.messages.create({ To: 'not a number', From: NUMBERS[0], Body: 'x' }))).toMatchObject({ status: 400, body: { code: 21211 } });
    // The direction a log shows is a filter too: outbound-api picks the Compatibility API's sends,
    // outbound every message sent, whichever way.
    const compatIds = (await client.logs.messages.list({ to })).data.map((l: any) => l.id);
    const native = await http.post('/api/messaging/messages', { to, from: NUMBERS[0], body: 'from the native API' });
    expect((await client.logs.messages.get(native.id)).direction).toBe('outbound');
    const byDirection = async (direction: string) => (await client.logs.messages.list({ to, direction })).data.map((l: any) => l.id);
    expect(await byDirection('outbound-api')).toEqual(compatIds);
    expect(await byDirection('outbound')).toEqual([native.id, ...compatIds]);
    expect(await byDirection('outbound-reply')).toEqual([]);
    expect(await byDirection('inbound')).toEqual([]);
    expect(await outcome(client.logs.messages.list({ to, direction: 'sideways' }))).toMatchObject({ status: 422, body: { errors: [{ code: 'invalid_filter', attribute: 'direction' }] } });
  });

  it('shortCodes: lists, gets and updates the short codes registered with the project, not its other numbers', async () => {
    // Short codes are registered as numbers are (POST /phone_numbers); SignalWire lists them apart.
    const registered = await http.post('/api/relay/rest/phone_numbers', { number: '24680', name: 'promo' });
    expect(registered).toMatchObject({ number: '24680', number_type: 'shortcode' });
    await http.post('/api/relay/rest/phone_numbers', { number: '13579' });
    const listed = await client.shortCodes.list();
    expect(listed.data.map((c: any) => c.number)).toEqual(['13579', '24680']);
    expect(listed.data[1]).toMatchObject({ id: registered.id, name: 'promo', number: '24680', number_type: 'shortcode', code_type: 'random', capabilities: ['sms', 'mms'], lease_duration: null, message_handler: null });
    expect((await client.shortCodes.list({ filter_number: '468' })).data.map((c: any) => c.id)).toEqual([registered.id]);
    expect((await client.shortCodes.list({ filter_name: 'promo' })).data.map((c: any) => c.id)).toEqual([registered.id]);
    const paged = await sdk.rest.paginateAll(http, '/api/relay/rest/short_codes', { page_size: 1 });
    expect(paged.map((c: any) => c.number)).toEqual(['13579', '24680']);
    expect(await client.shortCodes.get(registered.id)).toMatchObject({ id: registered.id, number: '24680' });
    // The update takes SignalWire's whole set of fields (replace semantics in the port's words).
    const updated = await client.shortCodes.update(registered.id, { name: 'renamed', message_handler: 'laml_webhooks', message_request_url: 'https://example.com/sc', message_request_method: 'GET' });
    expect(updated).toMatchObject({ id: registered.id, name: 'renamed', message_handler: 'laml_webhooks', message_request_url: 'https://example.com/sc', message_request_method: 'GET', number_type: 'shortcode' });
    expect(await client.shortCodes.get(registered.id)).toMatchObject({ name: 'renamed', message_request_url: 'https://example.com/sc' });
    // Read only under its own resource, as SignalWire lists short codes apart from phone numbers.
    expect(await outcome(client.phoneNumbers.get(registered.id))).toMatchObject({ status: 404 });
    expect((await client.phoneNumbers.list()).data.map((n: any) => n.number)).not.toContain('24680');
    expect(await outcome(client.shortCodes.update(registered.id, { name: 'x', message_handler: 'laml_webhooks', message_request_url: 'not a url' }))).toMatchObject({ status: 422 });
    // A long code is not a short code: 404 here, as an unknown id.
    const longCode = (await client.phoneNumbers.list({ filter_number: NUMBERS[0] })).data[0];
    expect(await outcome(client.shortCodes.get(longCode.id))).toMatchObject({ status: 404 });
    expect(await outcome(client.shortCodes.update(longCode.id, { name: 'x', message_handler: 'relay_context' }))).toMatchObject({ status: 404 });
    expect(await outcome(client.shortCodes.get('00000000-0000-4000-8000-000000000000'))).toMatchObject({ status: 404 });
    expect(await outcome(client.shortCodes.list({ filter_numbr: '1' }))).toMatchObject({ status: 422, body: { errors: [{ code: 'invalid_filter' }] } });
  });

  it('compat.messages media: listMedia, getMedia and deleteMedia on a sent MMS (JSON MediaUrl array)', async () => {
    const mms = await client.compat.messages.create({ To: '+15557650702', From: NUMBERS[0], Body: 'a picture', MediaUrl: ['https://example.com/a.png'] });
    expect(mms).toMatchObject({ num_media: 1 });
    await eventually(async () => ((await client.compat.messages.get(mms.sid)).status === 'delivered' ? true : undefined), 10_000, 'the MMS delivered');
    const media = (await client.compat.messages.listMedia(mms.sid)).media_list;
    expect(media).toEqual([expect.objectContaining({ parent_sid: mms.sid, content_type: 'image/png' })]);
    // getMedia GETs Media/{sid} without .json, asking for JSON (Accept: application/json): the record, not a redirect to the file.
    expect(await outcome(client.compat.messages.getMedia(mms.sid, media[0].sid))).toEqual({ ok: media[0] });
    expect(await outcome(client.compat.messages.deleteMedia(mms.sid, media[0].sid))).toEqual({ ok: {} });
    expect((await client.compat.messages.listMedia(mms.sid)).media_list).toEqual([]);
  });
});

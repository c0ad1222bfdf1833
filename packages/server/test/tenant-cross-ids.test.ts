/**
 * Another project's ids on every route (tenancy, docs/architecture.md): tenant B, with its own
 * credentials (every scope), names tenant A's message, media, phone number, number group,
 * membership, opt-out, cXML application and webhook delivery on the native API, the Compatibility
 * API (its own AccountSid and A's), the console API and RELAY. Each is answered as if the id did
 * not exist (404, or 422/400 naming the parameter), and A's resources are as they were after.
 */
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForStatus } from './helpers/messages.js';
import { createProject, projectService, type TestProject } from './helpers/projects.js';
import { requestText } from './helpers/raw-http.js';
import { RawRelay } from './helpers/raw-relay.js';
import { eventually, startTestServer, type TestServer } from './helpers/server.js';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js';

const A_NUMBER = '+15551239901';
const B_NUMBER = '+15551239902';
const A_HANDSET = '+15557002222';

let server: TestServer;
let a: TestProject;
let b: TestProject;
let hook: WebhookReceiver;
/** A's resources. */
const ids = { message: '', media: '', number: '', group: '', membership: '', optOut: '', application: '', shortCode: '', delivery: '' };
let bNumberId = '';

/** A Compatibility API request as a form post (or a GET/DELETE without a body). */
async function compat(auth: string, method: string, path: string, form?: Record<string, string>): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.url}/api/laml/2010-04-01${path}`, {
    method,
    redirect: 'manual',
    headers: { authorization: auth, ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
    ...(form ? { body: new URLSearchParams(form).toString() } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, text };
}

/**
 * Names A's `foreignId` in a request of B's, then an id that exists nowhere: the two answers must be
 * the same (status and body, the id aside), so B cannot tell A's id from a made-up one.
 */
async function sameAsUnknown(request: (id: string) => Promise<{ status: number; text: string }>, foreignId: string, unknown: string = randomUUID()): Promise<{ status: number; text: string }> {
  const foreign = await request(foreignId);
  const made = await request(unknown);
  expect({ status: foreign.status, text: foreign.text.replaceAll(foreignId, unknown) }).toEqual({ status: made.status, text: made.text });
  return foreign;
}

beforeAll(async () => {
  server = await startTestServer({ webhookMaxAttempts: 1 });
  a = await createProject(server, { name: 'Tenant A', number: A_NUMBER });
  b = await createProject(server, { name: 'Tenant B', number: B_NUMBER });
  hook = await startWebhookReceiver();
  const sent = await server.api('/api/messaging/messages', { auth: a.auth, body: { from: A_NUMBER, to: '+15557001111', body: 'secret of A', media: ['https://example.com/a.png'], status_callback: `${hook.url}/a` } });
  expect(sent.status, sent.text).toBe(201);
  ids.message = sent.body.id;
  await waitForStatus(server, ids.message, 'delivered', { projectId: a.projectId });
  ids.number = (await server.api(`/api/relay/rest/phone_numbers?filter_number=${encodeURIComponent(A_NUMBER)}`, { auth: a.auth })).body.data[0].id;
  ids.shortCode = (await server.api('/api/relay/rest/phone_numbers', { auth: a.auth, body: { number: '24680' } })).body.id;
  bNumberId = (await server.api(`/api/relay/rest/phone_numbers?filter_number=${encodeURIComponent(B_NUMBER)}`, { auth: b.auth })).body.data[0].id;
  ids.group = (await server.api('/api/relay/rest/number_groups', { auth: a.auth, body: { name: 'A group' } })).body.id;
  ids.membership = (await server.api(`/api/relay/rest/number_groups/${ids.group}/number_group_memberships`, { auth: a.auth, body: { phone_number_id: ids.number } })).body.id;
  ids.optOut = (await server.api('/api/messaging/opt_outs', { auth: a.auth, body: { sender: A_NUMBER, handset: A_HANDSET } })).body.id;
  ids.application = (await compat(a.auth, 'POST', `/Accounts/${a.projectId}/Applications.json`, { FriendlyName: 'A app', SmsUrl: 'https://example.com/sms' })).body.sid;
  ids.media = (await compat(a.auth, 'GET', `/Accounts/${a.projectId}/Messages/${ids.message}/Media.json`)).body.media_list[0].sid;
  await eventually(async () => {
    const d = await server.store.webhooks.listForMessage(a.projectId, ids.message);
    return d.length === 4 && d.every((x) => x.status === 'delivered') ? d : undefined;
  });
  // The id A's console shows (sealed: it opens only in A's outbox).
  ids.delivery = (await server.api(`/api/console/messages/${ids.message}`, { auth: a.auth })).body.webhooks[0].id;
  for (const [name, id] of Object.entries(ids)) expect(id, name).toMatch(/\S/);
});
afterAll(async () => {
  await server?.stop();
  await hook?.close();
});

describe("B naming A's ids", () => {
  it('gets 404 on the native API, console API and outbox controls, as for an unknown id', async () => {
    const routes: Array<[string, string, unknown?]> = [
      ['GET', `/api/messaging/logs/${ids.message}`],
      ['PATCH', `/api/messaging/messages/${ids.message}`, { body: '' }],
      ['GET', `/api/relay/rest/phone_numbers/${ids.number}`],
      ['PUT', `/api/relay/rest/phone_numbers/${ids.number}`, { name: 'mine now' }],
      ['DELETE', `/api/relay/rest/phone_numbers/${ids.number}`],
      ['GET', `/api/relay/rest/short_codes/${ids.shortCode}`],
      ['PUT', `/api/relay/rest/short_codes/${ids.shortCode}`, { name: 'mine now' }],
      ['GET', `/api/relay/rest/number_groups/${ids.group}`],
      ['PUT', `/api/relay/rest/number_groups/${ids.group}`, { name: 'mine now' }],
      ['GET', `/api/relay/rest/number_groups/${ids.group}/number_group_memberships`],
      ['POST', `/api/relay/rest/number_groups/${ids.group}/number_group_memberships`, { phone_number_id: bNumberId }],
      ['GET', `/api/relay/rest/number_group_memberships/${ids.membership}`],
      ['DELETE', `/api/relay/rest/number_group_memberships/${ids.membership}`],
      ['DELETE', `/api/relay/rest/number_groups/${ids.group}`],
      ['GET', `/api/messaging/opt_outs/${ids.optOut}`],
      ['DELETE', `/api/messaging/opt_outs/${ids.optOut}`],
      ['GET', `/api/console/messages/${ids.message}`],
      ['POST', `/api/console/outbox/${ids.delivery}/retry`],
      ['POST', `/api/console/outbox/${ids.delivery}/replay`],
    ];
    // Each of A's ids swapped for one that exists nowhere (for the delivery, a sealed-looking one): the same answer, the id aside.
    const unknowns = [...Object.entries(ids).filter(([name]) => name !== 'delivery').map(([, id]) => [id, randomUUID()] as const), [ids.delivery, 'AAAAAAAAAAAAAAAAAAAAAA'] as const];
    const swap = (text: string, back = false) => unknowns.reduce((t, [id, unknown]) => (back ? t.replaceAll(unknown, id) : t.replaceAll(id, unknown)), text);
    for (const [method, path, body] of routes) {
      const res = await server.api(path, { method, auth: b.auth, ...(body ? { body } : {}) });
      expect(res.status, `${method} ${path}: ${res.text}`).toBe(404);
      const unknown = await server.api(swap(path), { method, auth: b.auth, ...(body ? { body: JSON.parse(swap(JSON.stringify(body))) } : {}) });
      expect([res.status, res.text], `${method} ${path}`).toEqual([unknown.status, swap(unknown.text, true)]);
    }
  });

  it("refuses A's number and group as B's senders and opt-out scopes, naming the parameter", async () => {
    const a1 = encodeURIComponent(A_NUMBER);
    const refusals: Array<[string, string, unknown?]> = [
      ['POST', '/api/messaging/messages', { from: A_NUMBER, to: '+15557004444', body: 'x' }],
      ['POST', '/api/messaging/opt_outs', { sender: A_NUMBER, handset: '+15557003333' }],
      ['POST', '/api/messaging/opt_outs', { sender: ids.group, handset: '+15557003333' }],
      ['GET', `/api/messaging/opt_outs?sender=${a1}`],
      ['DELETE', `/api/messaging/opt_outs?sender=${a1}&handset=${encodeURIComponent(A_HANDSET)}`],
      ['GET', `/api/messaging/settings/${a1}`],
      ['PUT', `/api/messaging/settings/${a1}`, { opt_out_replies: false }],
      ['PUT', `/api/messaging/settings/${ids.group}`, { opt_out_replies: false }],
      ['GET', `/api/messaging/opt_outs?sender=${ids.group}`],
      ['DELETE', `/api/messaging/opt_outs?sender=${ids.group}&handset=${encodeURIComponent(A_HANDSET)}`],
      ['GET', `/api/messaging/settings/${ids.group}`],
    ];
    // The same requests with a number and a group id that exist nowhere get the same answers.
    const unknownNumber = '+15551239999';
    const unknownGroup = randomUUID();
    const swap = (text: string, [number, group]: [string, string], [toNumber, toGroup]: [string, string]) =>
      text.replaceAll(number, toNumber).replaceAll(encodeURIComponent(number), encodeURIComponent(toNumber)).replaceAll(group, toGroup);
    for (const [method, path, body] of refusals) {
      const res = await server.api(path, { method, auth: b.auth, ...(body ? { body } : {}) });
      expect(res.status, `${method} ${path}: ${res.text}`).toBe(422);
      const toUnknown = (text: string) => swap(text, [A_NUMBER, ids.group], [unknownNumber, unknownGroup]);
      const unknown = await server.api(toUnknown(path), { method, auth: b.auth, ...(body ? { body: JSON.parse(toUnknown(JSON.stringify(body))) } : {}) });
      expect([res.status, toUnknown(res.text)], `${method} ${path}`).toEqual([unknown.status, unknown.text]);
    }
  });

  it("answers the Compatibility API under A's AccountSid 20003, and under B's own as if A's sids did not exist", async () => {
    expect((await compat(b.auth, 'GET', `/Accounts/${a.projectId}/Messages/${ids.message}.json`)).body.code).toBe(20003);
    expect((await compat(b.auth, 'GET', `/Accounts/${a.projectId}/Messages.json`)).body.code).toBe(20003);
    const mine = `/Accounts/${b.projectId}`;
    const message = `${mine}/Messages/${ids.message}`;
    for (const [method, path, form] of [
      ['GET', `${message}.json`],
      ['POST', `${message}.json`, { Body: '' }],
      ['DELETE', `${message}.json`],
      ['POST', `${message}/Feedback.json`, { Outcome: 'confirmed' }],
      ['GET', `${message}/Media.json`],
      ['GET', `${message}/Media/${ids.media}`],
      ['DELETE', `${message}/Media/${ids.media}`],
      ['GET', `${mine}/IncomingPhoneNumbers/${ids.number}.json`],
      ['POST', `${mine}/IncomingPhoneNumbers/${ids.number}.json`, { FriendlyName: 'mine now' }],
      ['DELETE', `${mine}/IncomingPhoneNumbers/${ids.number}.json`],
      ['GET', `${mine}/SMS/ShortCodes/${ids.shortCode}.json`],
      ['POST', `${mine}/SMS/ShortCodes/${ids.shortCode}.json`, { FriendlyName: 'mine now' }],
      ['GET', `${mine}/Applications/${ids.application}.json`],
      ['POST', `${mine}/Applications/${ids.application}.json`, { FriendlyName: 'mine now' }],
      ['DELETE', `${mine}/Applications/${ids.application}.json`],
    ] as Array<[string, string, Record<string, string>?]>) {
      const res = await compat(b.auth, method, path, form);
      expect([res.status, res.body?.code], `${method} ${path}`).toEqual([404, 20404]);
    }
    for (const [form, code] of [
      [{ From: A_NUMBER, To: '+15557004444', Body: 'x' }, 21210],
      [{ MessagingServiceSid: ids.group, To: '+15557004444', Body: 'x' }, 21701],
      [{ From: B_NUMBER, To: '+15557004444', Body: 'x', ApplicationSid: ids.application }, 21218],
    ] as const) {
      expect((await compat(b.auth, 'POST', `${mine}/Messages.json`, form)).body.code).toBe(code);
    }
  });

  it("refuses A's cXML application on B's number on both APIs (22108 on the Compatibility API), as an unknown one", async () => {
    for (const field of ['message_laml_application_id', 'messaging_handler_resource_id']) {
      const res = await sameAsUnknown((id) => server.api(`/api/relay/rest/phone_numbers/${bNumberId}`, { method: 'PUT', auth: b.auth, body: { message_handler: 'laml_application', [field]: id } }), ids.application);
      expect([res.status, JSON.parse(res.text).errors], field).toEqual([422, [{ code: 'invalid_application', status: '422', title: 'Invalid Attribute', detail: `${field} "${ids.application}" is not a cXML application of your project.` }]]);
    }
    const registered = await sameAsUnknown((id) => server.api('/api/relay/rest/phone_numbers', { auth: b.auth, body: { number: '+15551239903', message_handler: 'laml_application', message_laml_application_id: id } }), ids.application);
    expect(registered.status).toBe(422);
    const mine = `/Accounts/${b.projectId}/IncomingPhoneNumbers`;
    const updated = await sameAsUnknown((id) => compat(b.auth, 'POST', `${mine}/${bNumberId}.json`, { SmsApplicationSid: id }), ids.application);
    expect([updated.status, JSON.parse(updated.text).code]).toEqual([400, 22108]);
    const created = await sameAsUnknown((id) => compat(b.auth, 'POST', `${mine}.json`, { PhoneNumber: '+15551239903', SmsApplicationSid: id }), ids.application);
    expect([created.status, JSON.parse(created.text).code]).toEqual([400, 22108]);
    // Nothing was attached or registered.
    expect((await server.api(`/api/relay/rest/phone_numbers/${bNumberId}`, { auth: b.auth })).body).toMatchObject({ message_handler: null, message_laml_application_id: null, messaging_handler_resource_id: null });
    expect((await server.api('/api/relay/rest/phone_numbers?filter_number=%2B15551239903', { auth: b.auth })).body.data).toEqual([]);
  });

  it("refuses A's number as a member of B's group, A's group and application on B's sends, as unknown ones", async () => {
    const group = (await server.api('/api/relay/rest/number_groups', { auth: b.auth, body: { name: 'B group' } })).body.id;
    const member = await sameAsUnknown((id) => server.api(`/api/relay/rest/number_groups/${group}/number_group_memberships`, { auth: b.auth, body: { phone_number_id: id } }), ids.number);
    expect(member.status).toBe(422);
    const messages = `/Accounts/${b.projectId}/Messages.json`;
    const viaGroup = await sameAsUnknown((id) => compat(b.auth, 'POST', messages, { MessagingServiceSid: id, To: '+15557004444', Body: 'x' }), ids.group);
    expect(JSON.parse(viaGroup.text).code).toBe(21701);
    const withApp = await sameAsUnknown((id) => compat(b.auth, 'POST', messages, { From: B_NUMBER, To: '+15557004444', Body: 'x', ApplicationSid: id }), ids.application);
    expect(JSON.parse(withApp.text).code).toBe(21218);
    const optOutScope = await sameAsUnknown((id) => server.api('/api/messaging/opt_outs', { auth: b.auth, body: { sender: id, handset: '+15557003333' } }), ids.group);
    expect(optOutScope.status).toBe(422);
  });

  it("cannot inject a phone's message to A's number, nor empty A's handset inbox, through the simulator", async () => {
    const inbound = await sameAsUnknown((n) => server.api('/api/simulator/inbound', { auth: b.auth, body: { from: '+15557006667', to: n, body: 'x' } }), A_NUMBER, '+15551239999');
    expect(inbound.status).toBe(422);
    const aInbox = (await server.api('/api/simulator/messages?to=%2B15557001111', { auth: a.auth })).body.data;
    expect(aInbox.map((h: { message_id: string }) => h.message_id)).toEqual([ids.message]);
    expect((await server.api('/api/simulator/messages?to=%2B15557001111', { auth: b.auth })).body.data).toEqual([]);
    expect((await server.api('/api/simulator/messages', { method: 'DELETE', auth: b.auth })).status).toBe(200);
    expect((await server.api('/api/simulator/messages?to=%2B15557001111', { auth: a.auth })).body.data).toEqual(aInbox);
    // Nothing reached A: no inbound message of A's from that phone.
    expect((await server.api(`/api/messaging/logs?from=${encodeURIComponent('+15557006667')}`, { auth: a.auth })).body.data).toEqual([]);
  });

  it("gets the same answers with B's test token for A's ids as for unknown ones", async () => {
    const { token } = await projectService(server).issueToken(b.projectId, { name: 'B test', test: true });
    const testAuth = `Basic ${Buffer.from(`${b.projectId}:${token}`).toString('base64')}`;
    const messages = `/Accounts/${b.projectId}/Messages.json`;
    const magicFrom = '+15005550006';
    const cases: Array<[string, (id: string) => Promise<{ status: number; text: string }>, string, string?]> = [
      ['MessagingServiceSid', (id) => compat(testAuth, 'POST', messages, { MessagingServiceSid: id, To: '+15557004444', Body: 'x' }), ids.group],
      ['ApplicationSid', (id) => compat(testAuth, 'POST', messages, { From: magicFrom, To: '+15557004444', Body: 'x', ApplicationSid: id }), ids.application],
      ['From', (n) => compat(testAuth, 'POST', messages, { From: n, To: '+15557004444', Body: 'x' }), A_NUMBER, '+15551239999'],
      ['native from', (n) => server.api('/api/messaging/messages', { auth: testAuth, body: { from: n, to: '+15557004444', body: 'x' } }), A_NUMBER, '+15551239999'],
    ];
    for (const [name, request, foreign, unknown] of cases) {
      const res = await sameAsUnknown(request, foreign, unknown);
      expect(res.status, name).toBeGreaterThanOrEqual(400);
    }
  });

  it("cannot make a cXML answer of B's send from A's number: the reply is refused as from an unregistered one", async () => {
    const path = '/b-inbound';
    hook.respond((req) => (req.path === path ? { status: 200, headers: { 'content-type': 'text/xml' }, body: `<Response><Message from="${A_NUMBER}" to="+15557006666">from A?</Message></Response>` } : { status: 200 }));
    try {
      const set = await server.api(`/api/relay/rest/phone_numbers/${bNumberId}`, { method: 'PUT', auth: b.auth, body: { message_handler: 'laml_webhooks', message_request_url: `${hook.url}${path}` } });
      expect(set.status, set.text).toBe(200);
      const inbound = await server.api('/api/simulator/inbound', { auth: b.auth, body: { from: '+15557006666', to: B_NUMBER, body: 'hello B' } });
      expect(inbound.status, inbound.text).toBe(201);
      const [delivery] = await eventually(async () => {
        const d = await server.store.webhooks.listForMessage(b.projectId, inbound.body.id);
        return d.length === 1 && d[0]!.status !== 'pending' && d[0]!.lastError ? d : undefined;
      });
      expect(delivery!.lastError).toContain(`21210: <Message> refused: From ${A_NUMBER} must be a phone number or short code registered with your project.`);
      for (const p of [a, b]) {
        const sent = await server.api(`/api/messaging/logs?to=${encodeURIComponent('+15557006666')}`, { auth: p.auth });
        expect(sent.body.data.filter((m: { direction: string }) => m.direction !== 'inbound'), p.projectId).toEqual([]);
      }
    } finally {
      hook.respond(() => ({ status: 200 }));
      await server.api(`/api/relay/rest/phone_numbers/${bNumberId}`, { method: 'PUT', auth: b.auth, body: { message_handler: null, message_request_url: null } });
    }
  });

  it("cannot tell A's project id from one that does not exist: AccountSid, Basic auth, console login, RELAY connect", async () => {
    const bToken = b.token;
    const basic = (project: string) => `Basic ${Buffer.from(`${project}:${bToken}`).toString('base64')}`;
    await sameAsUnknown((project) => compat(b.auth, 'GET', `/Accounts/${project}/Messages.json`), a.projectId);
    await sameAsUnknown((project) => compat(basic(project), 'GET', `/Accounts/${project}/Messages.json`), a.projectId);
    await sameAsUnknown((project) => server.api('/api/messaging/logs', { auth: basic(project) }), a.projectId);
    await sameAsUnknown((project) => server.api('/api/console/login', { auth: null, headers: { origin: server.url }, body: { project_id: project, api_token: bToken } }), a.projectId);
    const connect = async (project: string) => {
      const relay = await RawRelay.open(server.url);
      try {
        const res = await relay.call('signalwire.connect', { version: { major: 2, minor: 0, revision: 0 }, agent: 'test', authentication: { project, token: bToken } });
        return { status: 0, text: JSON.stringify(res.error) };
      } finally {
        relay.ws.close();
      }
    };
    await sameAsUnknown(connect, a.projectId);
  });

  it("gets no RELAY session of A's, no send from A's number and none of A's events in the same context", async () => {
    const { relay: ra, result: sessionA } = await RawRelay.connected(server.url, a.projectId, a.token, { contexts: ['office'] });
    const { relay: rb } = await RawRelay.connected(server.url, b.projectId, b.token, { contexts: ['office'] });
    const { relay: resumer, result: resumed } = await RawRelay.connected(server.url, b.projectId, b.token, { protocol: sessionA.protocol });
    try {
      // A's protocol with B's credentials is a new session of B's; A's stays where it was.
      expect(resumed).toMatchObject({ session_restored: false, authorization: { project: b.projectId } });
      expect(resumed.protocol).not.toBe(sessionA.protocol);
      expect(ra.closeCode).toBeUndefined();
      const fromA = await rb.call('messaging.send', { context: 'office', from_number: A_NUMBER, to_number: '+15557005555', body: 'x' });
      expect(fromA.result).toMatchObject({ code: '403' });
      const fromNowhere = await rb.call('messaging.send', { context: 'office', from_number: '+15551239999', to_number: '+15557005555', body: 'x' });
      expect(JSON.parse(JSON.stringify(fromA.result).replaceAll(A_NUMBER, '+15551239999'))).toEqual(fromNowhere.result);
      const own = await ra.call('messaging.send', { context: 'office', from_number: A_NUMBER, to_number: '+15557005556', body: 'for A only' });
      const id = own.result.message_id;
      await ra.waitFor((f) => f.method === 'signalwire.event' && f.params?.params?.message_id === id && f.params?.params?.message_state === 'delivered', 10_000);
      // A message received on A's number, handed to A's context 'office': A's session only.
      const handler = await server.api(`/api/relay/rest/phone_numbers/${ids.number}`, { method: 'PUT', auth: a.auth, body: { message_handler: 'relay_context', message_relay_context: 'office' } });
      expect(handler.status, handler.text).toBe(200);
      const inbound = await server.api('/api/simulator/inbound', { auth: a.auth, body: { from: '+15557005557', to: A_NUMBER, body: 'inbound for A only' } });
      expect(inbound.status, inbound.text).toBe(201);
      await ra.waitForEvents('messaging.receive', (p) => p.body === 'inbound for A only', 1, 10_000);
      // B's own message, received after A's, reaches B: so A's would have arrived by now.
      const bHandler = await server.api(`/api/relay/rest/phone_numbers/${bNumberId}`, { method: 'PUT', auth: b.auth, body: { message_handler: 'relay_context', message_relay_context: 'office' } });
      expect(bHandler.status, bHandler.text).toBe(200);
      expect((await server.api('/api/simulator/inbound', { auth: b.auth, body: { from: '+15557005557', to: B_NUMBER, body: 'inbound for B' } })).status).toBe(201);
      await rb.waitForEvents('messaging.receive', (p) => p.body === 'inbound for B', 1, 10_000);
      expect([...rb.events('messaging.receive'), ...resumer.events('messaging.receive')].map((p) => p.body)).toEqual(['inbound for B']);
      const aEvents = [...rb.frames, ...resumer.frames].filter((f) => f.method === 'signalwire.event' && JSON.stringify(f.params).includes(a.projectId));
      expect(aEvents).toEqual([]);
      for (const [p, id] of [[a, ids.number], [b, bNumberId]] as const) {
        await server.api(`/api/relay/rest/phone_numbers/${id}`, { method: 'PUT', auth: p.auth, body: { message_handler: null, message_relay_context: null } });
      }
      const wrongPair = await RawRelay.open(server.url);
      const res = await wrongPair.call('signalwire.connect', { version: { major: 2, minor: 0, revision: 0 }, agent: 'test', authentication: { project: a.projectId, token: b.token } });
      expect(res.error?.code).toBe(-32002);
      wrongPair.ws.close();
    } finally {
      for (const r of [ra, rb, resumer]) r.ws.close();
    }
  });

  it("leaves every resource of A's as it was", async () => {
    const detail = await server.api(`/api/console/messages/${ids.message}`, { auth: a.auth });
    expect(detail.body.message).toMatchObject({ id: ids.message, body: 'secret of A' });
    expect((await server.api(`/api/relay/rest/phone_numbers/${ids.number}`, { auth: a.auth })).body).toMatchObject({ number: A_NUMBER, name: null });
    expect((await server.api(`/api/relay/rest/number_groups/${ids.group}`, { auth: a.auth })).body).toMatchObject({ name: 'A group', phone_number_count: 1 });
    expect((await server.api(`/api/relay/rest/number_group_memberships/${ids.membership}`, { auth: a.auth })).status).toBe(200);
    expect((await server.api(`/api/messaging/opt_outs/${ids.optOut}`, { auth: a.auth })).body).toMatchObject({ handset: A_HANDSET });
    expect((await server.api(`/api/messaging/settings/${encodeURIComponent(A_NUMBER)}`, { auth: a.auth })).body).toMatchObject({ opt_out_replies: null });
    expect((await compat(a.auth, 'GET', `/Accounts/${a.projectId}/Applications/${ids.application}.json`)).body).toMatchObject({ friendly_name: 'A app' });
    expect((await compat(a.auth, 'GET', `/Accounts/${a.projectId}/Messages/${ids.message}/Media.json`)).body.media_list).toHaveLength(1);
    // Neither retried nor replayed.
    expect((await server.store.webhooks.listForMessage(a.projectId, ids.message)).map((d) => d.status)).toEqual(['delivered', 'delivered', 'delivered', 'delivered']);
  });
});

describe('a request carrying two projects’ credentials', () => {
  it('is refused on each surface instead of being served as the first project (Authorization is a singleton field)', async () => {
    const { port } = new URL(server.url);
    const get = (path: string, authorization: string[]) => requestText(httpRequest, { host: '127.0.0.1', port, method: 'GET', path, headers: { authorization } });
    for (const authorization of [[a.auth, b.auth], [b.auth, a.auth], [a.auth, a.auth]]) {
      const native = await get('/api/messaging/logs', authorization);
      expect(native.status).toBe(401);
      expect(JSON.parse(native.body)).toEqual({ error: 'Unauthorized', message: 'Authorization was given more than once: send one set of credentials.' });
      for (const p of [a, b]) {
        const answer = await get(`/2010-04-01/Accounts/${p.projectId}/Messages.json`, authorization);
        expect(answer.status).toBe(401);
        expect(JSON.parse(answer.body)).toMatchObject({ code: 20003, status: 401, message: expect.stringContaining('more than once') });
      }
    }
    // One line of credentials is served as before.
    expect((await get('/api/messaging/logs', [a.auth])).status).toBe(200);
  });
});

import { compileErrors, validate } from '@readme/openapi-parser';
import Ajv from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForStatus } from './helpers/messages.js';
import { NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let doc: any;
const ajv = new Ajv({ strict: false, allErrors: true });

beforeAll(async () => {
  server = await startTestServer();
  const res = await server.api('/api/openapi.json', { auth: null });
  expect(res.status).toBe(200);
  doc = res.body;
});
afterAll(async () => {
  await server.stop();
});

const COMPAT = `/api/laml/2010-04-01/Accounts/{AccountSid}`;

/** Check a real answer against the document's schema for its path, method and status. */
function conforms(path: string, method: string, res: { status: number; body: unknown }): void {
  const operation = doc.paths[path]?.[method];
  expect(operation, `${method.toUpperCase()} ${path} is in the document`).toBeDefined();
  const schema = operation.responses[String(res.status)]?.content?.['application/json']?.schema;
  expect(schema, `${method.toUpperCase()} ${path} documents ${res.status}`).toBeDefined();
  const validate = ajv.compile(schema);
  expect(validate(res.body), `${method.toUpperCase()} ${path} ${res.status}: ${ajv.errorsText(validate.errors)}`).toBe(true);
}

/** `conforms`, and every field of the answer (and of its `data` items) is one the schema names, not a placeholder. */
function describedFully(path: string, method: string, res: { status: number; body: any }): void {
  conforms(path, method, res);
  const schema = doc.paths[path][method].responses[String(res.status)].content['application/json'].schema;
  const named = (s: any, value: any, where: string) => {
    for (const key of Object.keys(value)) expect(s.properties ?? {}, `${method.toUpperCase()} ${path} ${res.status}: ${where}${key}`).toHaveProperty([key]);
  };
  named(schema, res.body, '');
  for (const item of Array.isArray(res.body.data) ? res.body.data : []) named(schema.properties.data.items, item, 'data[].');
}

/** A Compatibility API request with a form body, as the Twilio clients send it. */
async function form(path: string, fields: Record<string, string>): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { authorization: server.auth, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, body: await res.json() };
}

describe('the OpenAPI document', () => {
  it('is served without credentials as OpenAPI 3.1, with Basic auth declared for the APIs it describes', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: 'Switchboard' });
    expect(doc.components.securitySchemes.basicAuth).toMatchObject({ type: 'http', scheme: 'basic' });
    expect(doc.security).toEqual([{ basicAuth: [] }]);
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    // validate() dereferences in place: give it a copy.
    const result = await validate(structuredClone(doc));
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
  });

  it('describes the native, Compatibility and simulator APIs, each operation once', () => {
    const paths = Object.keys(doc.paths);
    expect(paths).toEqual(expect.arrayContaining([
      '/api/messaging/messages',
      '/api/messaging/logs',
      '/api/messaging/logs/{id}',
      '/api/relay/rest/phone_numbers',
      '/api/relay/rest/number_groups',
      `${COMPAT}/Messages.json`,
      `${COMPAT}/Messages/{Sid}`,
      '/api/simulator/messages',
      '/api/simulator/messages/wait',
      '/api/simulator/settings',
    ]));
    // Aliases and operator endpoints stay out: `/2010-04-01/...`, collections without `.json`, ops, console, the document itself.
    expect(paths.filter((p) => !/^\/api\/(messaging|relay\/rest|laml\/2010-04-01|simulator)\//.test(p))).toEqual([]);
    expect(paths).not.toContain(`${COMPAT}/Messages`);
    const tags = new Set(Object.values(doc.paths).flatMap((ops: any) => Object.values(ops).flatMap((o: any) => o.tags ?? [])));
    expect([...tags].sort()).toEqual(['Compatibility API', 'Native messaging', 'Native numbers', 'Simulator']);
  });

  it('documents Compatibility API bodies as forms (JSON accepted too), and path parameters', () => {
    const create = doc.paths[`${COMPAT}/Messages.json`].post;
    expect(Object.keys(create.requestBody.content)).toEqual(['application/x-www-form-urlencoded', 'application/json']);
    const fields = create.requestBody.content['application/x-www-form-urlencoded'].schema;
    expect(fields.required).toEqual(['To']);
    expect(Object.keys(fields.properties)).toEqual(expect.arrayContaining(['To', 'From', 'Body', 'MediaUrl', 'StatusCallback', 'MessagingServiceSid']));
    expect(create.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'path', name: 'AccountSid', required: true })]));
    expect(doc.paths['/api/messaging/messages'].post.requestBody.content['application/json'].schema.properties).toHaveProperty('to');
  });
});

describe('real answers match the document', () => {
  it('native messaging: send, list and fetch logs', async () => {
    const sent = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: '+15557650301', body: 'documented' } });
    conforms('/api/messaging/messages', 'post', sent);
    await waitForStatus(server, sent.body.id, 'delivered');
    conforms('/api/messaging/logs', 'get', await server.api('/api/messaging/logs'));
    conforms('/api/messaging/logs/{id}', 'get', await server.api(`/api/messaging/logs/${sent.body.id}`));
  });

  it("each surface's errors, in its own shape", async () => {
    const stranger = 'Basic bm9ib2R5Om5vdGhpbmc=';
    const none = '00000000-0000-4000-8000-000000000000';
    const cases: Array<[string, string, Promise<{ status: number; body: unknown }>, number]> = [
      ['/api/messaging/messages', 'post', server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: 'nobody', body: 'x' } }), 422],
      ['/api/messaging/messages', 'post', server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: '+15557650305' }, auth: stranger }), 401],
      ['/api/messaging/logs/{id}', 'get', server.api(`/api/messaging/logs/${none}`), 404],
      ['/api/relay/rest/number_groups', 'post', server.api('/api/relay/rest/number_groups', { body: { name: 7 } }), 422],
      ['/api/relay/rest/phone_numbers/{id}', 'get', server.api(`/api/relay/rest/phone_numbers/${none}`), 404],
      ['/api/simulator/messages', 'get', server.api('/api/simulator/messages?limit=0'), 422],
      [`${COMPAT}/Messages.json`, 'get', server.api(`/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Messages.json`, { auth: stranger }), 401],
    ];
    for (const [path, method, answer, status] of cases) {
      const res = await answer;
      expect(res.status, `${method} ${path}`).toBe(status);
      conforms(path, method, res);
    }
  });

  it('native numbers: list and fetch', async () => {
    const list = await server.api('/api/relay/rest/phone_numbers');
    conforms('/api/relay/rest/phone_numbers', 'get', list);
    conforms('/api/relay/rest/phone_numbers/{id}', 'get', await server.api(`/api/relay/rest/phone_numbers/${list.body.data[0].id}`));
  });

  it('native numbers: number groups, memberships and search, each field of their answers described; deletes answer 204 with no body', async () => {
    const group = await server.api('/api/relay/rest/number_groups', { body: { name: 'documented', sticky_sender: true } });
    describedFully('/api/relay/rest/number_groups', 'post', group);
    describedFully('/api/relay/rest/number_groups', 'get', await server.api('/api/relay/rest/number_groups'));
    describedFully('/api/relay/rest/number_groups/{id}', 'get', await server.api(`/api/relay/rest/number_groups/${group.body.id}`));
    describedFully('/api/relay/rest/number_groups/{id}', 'put', await server.api(`/api/relay/rest/number_groups/${group.body.id}`, { method: 'PUT', body: { name: 'renamed' } }));
    const number = (await server.api('/api/relay/rest/phone_numbers')).body.data[0];
    const members = `/api/relay/rest/number_groups/${group.body.id}/number_group_memberships`;
    const membership = await server.api(members, { body: { phone_number_id: number.id } });
    describedFully('/api/relay/rest/number_groups/{id}/number_group_memberships', 'post', membership);
    describedFully('/api/relay/rest/number_groups/{id}/number_group_memberships', 'get', await server.api(members));
    describedFully('/api/relay/rest/number_group_memberships/{id}', 'get', await server.api(`/api/relay/rest/number_group_memberships/${membership.body.id}`));
    describedFully('/api/relay/rest/phone_numbers/search', 'get', await server.api('/api/relay/rest/phone_numbers/search?areacode=512'));

    // What a generated client reads from the document: 204 and no body, as the routes answer (SignalWire's spec says 204 too).
    const added = await server.api('/api/relay/rest/phone_numbers', { body: { number: '+15557650399' } });
    for (const [path, url] of [
      ['/api/relay/rest/number_group_memberships/{id}', `/api/relay/rest/number_group_memberships/${membership.body.id}`],
      ['/api/relay/rest/number_groups/{id}', `/api/relay/rest/number_groups/${group.body.id}`],
      ['/api/relay/rest/phone_numbers/{id}', `/api/relay/rest/phone_numbers/${added.body.id}`],
    ] as const) {
      const res = await server.api(url, { method: 'DELETE' });
      expect(res.status, url).toBe(204);
      const success = Object.keys(doc.paths[path].delete.responses).filter((status) => status.startsWith('2'));
      expect(success, `DELETE ${path}`).toEqual(['204']);
      expect(doc.paths[path].delete.responses['204'].content, `DELETE ${path}`).toBeUndefined();
    }
  });

  it('Compatibility API: create from a form, fetch, list, redact, and its errors', async () => {
    const created = await form(`/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Messages.json`, { To: '+15557650302', From: NUMBERS[0], Body: 'documented' });
    expect(created.status).toBe(201);
    conforms(`${COMPAT}/Messages.json`, 'post', created);
    // The check has teeth: a native message is not a Compatibility API one.
    const native = (await server.api(`/api/messaging/logs/${created.body.sid}`)).body;
    expect(ajv.validate(doc.paths[`${COMPAT}/Messages.json`].post.responses['201'].content['application/json'].schema, native)).toBe(false);
    await waitForStatus(server, created.body.sid, 'delivered');
    conforms(`${COMPAT}/Messages/{Sid}`, 'get', await server.api(`/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Messages/${created.body.sid}.json`));
    conforms(`${COMPAT}/Messages.json`, 'get', await server.api(`/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Messages.json?PageSize=2`));
    conforms(`${COMPAT}/Messages/{Sid}`, 'post', await form(`/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Messages/${created.body.sid}.json`, { Body: '' }));
    const invalid = await form(`/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Messages.json`, { To: 'nobody', From: NUMBERS[0], Body: 'x' });
    expect(invalid.status).toBe(400);
    conforms(`${COMPAT}/Messages.json`, 'post', invalid);
    conforms(`${COMPAT}/Messages/{Sid}`, 'get', await server.api(`/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Messages/00000000-0000-4000-8000-000000000000.json`));
  });

  it('Compatibility API: media, cXML applications and incoming phone numbers', async () => {
    const base = `/api/laml/2010-04-01/Accounts/${PROJECT_ID}`;
    const mms = await form(`${base}/Messages.json`, { To: '+15557650306', From: NUMBERS[0], MediaUrl: 'https://cdn.example.com/a.jpg' });
    expect(mms.status).toBe(201);
    const media = await server.api(`${base}/Messages/${mms.body.sid}/Media.json`);
    conforms(`${COMPAT}/Messages/{MessageSid}/Media.json`, 'get', media);
    conforms(`${COMPAT}/Messages/{MessageSid}/Media/{Sid}`, 'get', await server.api(`${base}/Messages/${mms.body.sid}/Media/${media.body.media_list[0].sid}.json`));

    const app = await form(`${base}/Applications.json`, { FriendlyName: 'docs', SmsUrl: 'https://example.com/sms' });
    expect(app.status).toBe(201);
    conforms(`${COMPAT}/Applications.json`, 'post', app);
    conforms(`${COMPAT}/Applications.json`, 'get', await server.api(`${base}/Applications.json`));
    conforms(`${COMPAT}/Applications/{Sid}`, 'get', await server.api(`${base}/Applications/${app.body.sid}.json`));
    conforms(`${COMPAT}/Applications/{Sid}`, 'post', await form(`${base}/Applications/${app.body.sid}.json`, { SmsMethod: 'GET' }));

    const number = await form(`${base}/IncomingPhoneNumbers.json`, { PhoneNumber: '+15551239876', SmsApplicationSid: app.body.sid });
    expect(number.status).toBe(201);
    conforms(`${COMPAT}/IncomingPhoneNumbers.json`, 'post', number);
    conforms(`${COMPAT}/IncomingPhoneNumbers.json`, 'get', await server.api(`${base}/IncomingPhoneNumbers.json`));
    conforms(`${COMPAT}/IncomingPhoneNumbers/{Sid}`, 'get', await server.api(`${base}/IncomingPhoneNumbers/${number.body.sid}.json`));
    conforms(`${COMPAT}/IncomingPhoneNumbers/{Sid}`, 'post', await form(`${base}/IncomingPhoneNumbers/${number.body.sid}.json`, { FriendlyName: 'docs line' }));
    const fields = doc.paths[`${COMPAT}/IncomingPhoneNumbers.json`].post.requestBody.content['application/x-www-form-urlencoded'].schema;
    expect(fields.required).toEqual(['PhoneNumber']);
  });

  it('simulator: the handset inbox, waiting, inbound and settings', async () => {
    const sent = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: '+15557650303', body: 'Your code is 481516' } });
    expect(sent.status).toBe(201);
    const waited = await server.api('/api/simulator/messages/wait?to=%2B15557650303&timeout=10');
    expect(waited.body.code).toBe('481516');
    conforms('/api/simulator/messages/wait', 'get', waited);
    conforms('/api/simulator/messages', 'get', await server.api('/api/simulator/messages?limit=5'));
    conforms('/api/simulator/inbound', 'post', await server.api('/api/simulator/inbound', { body: { from: '+15557650304', to: NUMBERS[0], body: 'hello' } }));
    conforms('/api/simulator/settings', 'get', await server.api('/api/simulator/settings'));
    conforms('/api/simulator/messages/wait', 'get', await server.api('/api/simulator/messages/wait?to=%2B15557650399&timeout=0'));
  });
});

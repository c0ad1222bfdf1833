/**
 * SignalWire's TypeScript port (`@signalwire/sdk`, src/rest) against Switchboard's Compatibility API
 * beyond messages and numbers: `client.compat.accounts` (list, get, and update, which POSTs
 * `{"FriendlyName": …}` as JSON to `/Accounts/{sid}` without `.json`) and
 * `client.compat.applications` (the cXML applications a number's `laml_application` message handler
 * names, bound with `client.phoneNumbers.update`). Skipped, saying why, without the checkout
 * (test/signalwire-typescript.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_TOKEN, PROJECT_ID, startTestServer, type TestServer } from '../packages/server/test/helpers/server.js';
import { loadTsSdk, tsSetup } from './signalwire-typescript.js';

const setup = tsSetup();
if ('missing' in setup) console.warn(`SignalWire TypeScript SDK (Compatibility API) test skipped: ${setup.missing}`);

/** The answer of a call, or the status and body of the RestError it threw. */
async function outcome(call: Promise<unknown>): Promise<{ ok: any } | { status: number; body: any }> {
  try {
    return { ok: await call };
  } catch (err: any) {
    if (typeof err?.statusCode !== 'number') throw err;
    return { status: err.statusCode, body: err.body };
  }
}

describe.skipIf('missing' in setup)("SignalWire's TypeScript SDK compat namespace", () => {
  let server: TestServer;
  let client: any;

  beforeAll(async () => {
    server = await startTestServer();
    const sdk = await loadTsSdk((setup as { sdk: string }).sdk);
    client = new sdk.rest.RestClient({ project: PROJECT_ID, token: API_TOKEN, host: `http://127.0.0.1:${server.port}` });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('compat.accounts: lists and gets the account (the project), and renames it with update', async () => {
    expect((await client.compat.accounts.list()).accounts.map((a: any) => a.sid)).toEqual([PROJECT_ID]);
    expect(await client.compat.accounts.get(PROJECT_ID)).toMatchObject({ sid: PROJECT_ID, friendly_name: 'Default project', status: 'active' });
    expect(await outcome(client.compat.accounts.update(PROJECT_ID, { FriendlyName: 'Renamed by the SDK' }))).toMatchObject({ ok: { sid: PROJECT_ID, friendly_name: 'Renamed by the SDK', status: 'active' } });
    expect((await client.compat.accounts.get(PROJECT_ID)).friendly_name).toBe('Renamed by the SDK');
    expect(await outcome(client.compat.accounts.update(PROJECT_ID, { FriendlyName: '' }))).toMatchObject({ status: 400, body: { code: 10000 } });
    expect(await outcome(client.compat.accounts.update(PROJECT_ID, { Status: 'closed' }))).toMatchObject({ status: 400, body: { code: 10000 } });
    expect(await outcome(client.compat.accounts.create({ FriendlyName: 'a sub-account' }))).toMatchObject({ status: 405, body: { code: 20004 } });
  });

  it('compat.applications: creates, lists, updates and deletes a cXML application a number hands its messages to', async () => {
    const app = await client.compat.applications.create({ FriendlyName: 'ts app', SmsUrl: 'https://example.com/sms', SmsStatusCallback: 'https://example.com/status' });
    expect(app).toMatchObject({ sid: expect.any(String), friendly_name: 'ts app', sms_url: 'https://example.com/sms', sms_status_callback: 'https://example.com/status' });
    expect((await client.compat.applications.list({ FriendlyName: 'ts app' })).applications.map((a: any) => a.sid)).toEqual([app.sid]);
    expect(await client.compat.applications.update(app.sid, { SmsMethod: 'GET' })).toMatchObject({ sid: app.sid, sms_method: 'GET' });
    const number = (await client.phoneNumbers.list()).data[0];
    const bound = await client.phoneNumbers.update(number.id, { message_handler: 'laml_application', message_laml_application_id: app.sid });
    expect(bound).toMatchObject({ message_handler: 'laml_application', message_laml_application_id: app.sid });
    expect(await outcome(client.phoneNumbers.update(number.id, { message_laml_application_id: '00000000-0000-4000-8000-000000000000' }))).toMatchObject({ status: 422 });
    await client.phoneNumbers.update(number.id, { message_handler: 'relay_context', message_laml_application_id: null });
    expect(await outcome(client.compat.applications.delete(app.sid))).toEqual({ ok: {} });
    expect(await outcome(client.compat.applications.get(app.sid))).toMatchObject({ status: 404, body: { code: 20404 } });
  });
});

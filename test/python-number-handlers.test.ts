/**
 * SignalWire's Python SDK REST client (`signalwire.rest.RestClient`) managing a number as its
 * phone-number example does: register, read, point its messages at each of SignalWire's message
 * handlers with `phone_numbers.update` (relay_context, relay_topic, relay_application,
 * laml_webhooks, laml_application), update a number group, release the number. Skipped, saying
 * why, without the SDK checkout or python3's requests and structlog modules (test/signalwire-python.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_TOKEN, PROJECT_ID, startTestServer, type TestServer } from '../packages/server/test/helpers/server.js';
import { pythonSetup, resultOf, runPythonFixture } from './signalwire-python.js';

const setup = pythonSetup(['requests', 'structlog']);
if ('missing' in setup) console.warn(`SignalWire Python SDK (number handlers) test skipped: ${setup.missing}`);

const NUMBER = '+15551237701';

describe.skipIf('missing' in setup)("SignalWire's Python SDK managing a number's message handlers", () => {
  let server: TestServer;
  let application: string;
  let results: any;

  beforeAll(async () => {
    server = await startTestServer();
    // The Python SDK has no Compatibility API namespace: the cXML application is made over HTTP.
    const app = await server.api(`/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Applications.json`, { body: { FriendlyName: 'python handlers', SmsUrl: 'https://example.com/app' } });
    expect(app.status, app.text).toBe(201);
    application = app.body.sid;
    const run = await runPythonFixture(setup as { python: string; sdk: string }, 'number_handlers.py', { SW_HOST: `127.0.0.1:${server.port}`, SW_PROJECT: PROJECT_ID, SW_TOKEN: API_TOKEN, SW_NUMBER: NUMBER, SW_APPLICATION: application });
    expect(run.code, run.err).toBe(0);
    results = resultOf(run.out);
    expect(results, `no RESULT line in the output:\n${run.out}\n${run.err}`).toBeDefined();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('registers and reads a number', () => {
    expect(results.created).toEqual({ ok: { number: NUMBER, number_type: 'longcode', capabilities: ['voice', 'sms', 'mms'] } });
    expect(results.get).toEqual({ ok: NUMBER });
  });

  it('sets each message handler with its companion field, keeping the fields it does not send', () => {
    expect(results.relay_context.ok).toMatchObject({ name: 'Main Line', message_handler: 'relay_context', message_relay_context: 'office' });
    expect(results.relay_topic.ok).toMatchObject({ name: 'Main Line', message_handler: 'relay_topic', message_relay_topic: 'sales', message_relay_context: 'office' });
    // relay_application names a RELAY application, kept as the context the messages go to.
    expect(results.relay_application.ok).toMatchObject({ message_handler: 'relay_application', message_relay_context: 'support' });
    expect(results.laml_webhooks.ok).toMatchObject({ message_handler: 'laml_webhooks', message_request_url: 'https://example.com/in', message_request_method: 'GET', message_fallback_url: 'https://example.com/fallback' });
    expect(results.laml_application.ok).toMatchObject({ message_handler: 'laml_application', message_laml_application_id: application });
    expect(results.after.ok).toEqual(results.laml_application.ok);
  });

  it('raises SignalWireRestError with the relay-rest 422 shape for an unknown application or handler', () => {
    expect(results.unknown_application).toMatchObject({ status: 422, body: { errors: [{ code: 'invalid_application', status: '422', title: expect.any(String), detail: expect.stringContaining('00000000-0000-4000-8000-000000000000') }] } });
    expect(results.unknown_handler).toMatchObject({ status: 422, body: { errors: [{ detail: expect.stringContaining('Message handler must be one of') }] } });
  });

  it('updates a number group, a PUT of the fields given', () => {
    expect(results.group_update).toEqual({ ok: { name: 'renamed group', sticky_sender: true } });
    expect(results.group_update_name_only).toEqual({ ok: { name: 'renamed again', sticky_sender: true } });
    expect(results.groups).toEqual({ ok: ['renamed again'] });
  });

  it('releases the number: deleted, then 404', () => {
    expect(results.delete).toEqual({ ok: {} });
    expect(results.get_deleted).toMatchObject({ status: 404 });
  });
});

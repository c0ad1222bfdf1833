/**
 * SignalWire's Python SDK REST client (`signalwire.rest.RestClient`) against Switchboard's native
 * API: the calls its documentation shows, made as the SDK makes them. It sends
 * `Content-Type: application/json` with every request, DELETEs included. Skipped, saying why,
 * without the SDK checkout or python3's requests and structlog modules (test/signalwire-python.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_TOKEN, PROJECT_ID, startTestServer, type TestServer } from '../packages/server/test/helpers/server.js';
import { pythonSetup, resultOf, runPythonFixture } from './signalwire-python.js';

const setup = pythonSetup(['requests', 'structlog']);
if ('missing' in setup) console.warn(`SignalWire Python SDK (REST) test skipped: ${setup.missing}`);

describe.skipIf('missing' in setup)("SignalWire's Python SDK REST client", () => {
  let server: TestServer;
  let results: any;

  beforeAll(async () => {
    server = await startTestServer();
    const run = await runPythonFixture(setup as { python: string; sdk: string }, 'rest_calls.py', { SW_HOST: `127.0.0.1:${server.port}`, SW_PROJECT: PROJECT_ID, SW_TOKEN: API_TOKEN });
    expect(run.code, run.err).toBe(0);
    results = resultOf(run.out);
    expect(results, `no RESULT line in the output:\n${run.out}\n${run.err}`).toBeDefined();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('searches for numbers to buy: there is no inventory, so an empty list (a misspelt parameter is still refused)', () => {
    expect(results.search).toEqual({ ok: [] });
    expect(results.search_misspelt).toMatchObject({ status: 422, body: { errors: [{ code: 'invalid_filter', detail: expect.stringContaining("'area_code' (did you mean 'areacode'?)") }] } });
  });

  it('paginate() follows links.next page by page, keeping the filters', () => {
    expect(results.listed_logs.ok).toHaveLength(3);
    expect(results.paginated_logs).toEqual(results.listed_logs);
    expect(results.paginated_numbers).toEqual({ ok: ['+15551230002', '+15551230001'] });
  });

  it('manages number groups and their memberships, deletes included', () => {
    expect(results.get_membership).toEqual({ ok: expect.any(String) });
    expect(results.delete_membership).toEqual({ ok: {} });
    expect(results.memberships_after).toEqual({ ok: 0 });
    expect(results.delete_group).toEqual({ ok: {} });
    expect(results.get_group_after).toMatchObject({ status: 404 });
  });

  it('redacts with messages.update (a PATCH with a JSON body) once the message is final, and raises the native error shapes', async () => {
    expect(results.redact).toEqual({ ok: { id: expect.any(String), body: '' } });
    expect(await server.store.messages.get(PROJECT_ID, results.redact.ok.id)).toMatchObject({ body: '', statusCallback: 'https://example.com/status', customVariables: { order: '42' } });
    expect(results.redact_not_empty).toMatchObject({ status: 422, body: { errors: [expect.objectContaining({ attribute: 'body' })] } });
    expect(results.get_unknown).toMatchObject({ status: 404 });
  });

  it('lists, gets and updates short codes with client.short_codes (a long code is not one: 404)', () => {
    expect(results.short_codes).toEqual({ ok: ['24680'] });
    expect(results.short_code_get).toEqual({ ok: { number: '24680', number_type: 'shortcode', code_type: 'random' } });
    expect(results.short_code_update).toEqual({ ok: { name: 'renamed', message_handler: 'laml_webhooks', message_request_url: 'https://example.com/sc' } });
    expect(results.short_code_of_long_code).toMatchObject({ status: 404 });
  });

  it('lists the logs with status given as a Python list (the key repeated), as with a comma list; a bad one is still named', () => {
    expect(results.logs_status_comma.ok).toHaveLength(4);
    expect(results.logs_status_list).toEqual(results.logs_status_comma);
    expect(results.logs_status_list_bad).toMatchObject({ status: 422, body: { errors: [{ code: 'invalid_filter', attribute: 'status', message: expect.stringContaining('"bogus" is not a message status') }] } });
  });

  it('sends a message, lists the logs with include_deleted=True, and raises SignalWireRestError with the native 422 shape for a refused one', () => {
    expect(results.send).toEqual({ ok: 'queued' });
    expect(results.logs_with_deleted).toEqual({ ok: 1 });
    expect(results.refused).toMatchObject({ status: 422, body: { errors: [{ code: 'invalid_to_number', attribute: 'to' }] } });
  });
});

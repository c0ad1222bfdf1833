/**
 * Webhook signatures checked by SignalWire's Python SDK (`signalwire.core.security.webhook_validator`,
 * the SDK's own check of `X-SignalWire-Signature`): a native status callback (JSON, hex HMAC over
 * URL + raw body), a Compatibility API status callback and a cXML inbound request (form POST,
 * Base64 over URL + sorted parameters) and a cXML request by GET (its parameters in the URL), each
 * to a URL with a query of repeated keys and non-ASCII text. Skipped, saying why, without the SDK
 * checkout or a python3 (test/signalwire-python.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NUMBERS, SIGNING_KEY, startTestServer, type TestServer } from '../packages/server/test/helpers/server.js';
import { startWebhookReceiver, type WebhookReceiver } from '../packages/server/test/helpers/webhook-receiver.js';
import { twilioClient } from '../packages/server/test/compat/clients.js';
import { pythonSetup, resultOf, runPythonFixture } from './signalwire-python.js';

const setup = pythonSetup(['hmac']);
if ('missing' in setup) console.warn(`SignalWire Python SDK (webhook validator) test skipped: ${setup.missing}`);

describe.skipIf('missing' in setup)("SignalWire's Python SDK webhook validator", () => {
  let server: TestServer;
  let receiver: WebhookReceiver;
  let dir: string;

  beforeAll(async () => {
    server = await startTestServer();
    receiver = await startWebhookReceiver();
    receiver.respond(() => ({ status: 200, body: '<Response/>', headers: { 'Content-Type': 'text/xml' } }));
    dir = mkdtempSync(join(tmpdir(), 'switchboard-signatures-'));
  });
  afterAll(async () => {
    await server?.stop();
    await receiver?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('accepts every webhook Switchboard signs, JSON and form, POST and GET, and refuses them under another key', async () => {
    const client = twilioClient(server.url);
    await client.messages.create({ to: '+15557700501', from: NUMBERS[0]!, body: 'a+b & c\r\nJosé 😀', statusCallback: `${receiver.url}/compat?b=2&a=1&a=0&x=José y` });
    const native = await server.api('/api/messaging/messages', { body: { to: '+15557700502', from: NUMBERS[0], body: 'native “quoted”', status_callback: `${receiver.url}/native?z=1&z=0`, custom_variables: { k: 'v w' } } });
    expect(native.status).toBe(201);
    await client.incomingPhoneNumbers.create({ phoneNumber: '+15551237701', smsUrl: `${receiver.url}/inbound?q=1&q=0` });
    await client.incomingPhoneNumbers.create({ phoneNumber: '+15551237702', smsUrl: `${receiver.url}/inbound-get?q=é`, smsMethod: 'GET' });
    await server.api('/api/simulator/inbound', { body: { from: '+15557700503', to: '+15551237701', body: 'in & out', media: ['https://example.com/a.png', 'https://example.com/b.jpg'] } });
    await server.api('/api/simulator/inbound', { body: { from: '+15557700503', to: '+15551237702', body: 'by GET' } });
    for (const path of ['/compat', '/native', '/inbound', '/inbound-get']) await receiver.waitFor(1, 10_000, (r) => r.path === path);

    const requests = receiver.requests.map((r) => ({
      path: r.path,
      url: `${receiver.url}${r.url}`,
      signature: String(r.headers['x-signalwire-signature']),
      body: r.rawBody,
      form: String(r.headers['content-type'] ?? '').includes('x-www-form-urlencoded'),
    }));
    writeFileSync(join(dir, 'requests.json'), JSON.stringify(requests));
    const run = await runPythonFixture(setup as { python: string; sdk: string }, 'validate_signatures.py', { SW_REQUESTS: join(dir, 'requests.json'), SW_SIGNING_KEY: SIGNING_KEY });
    expect(run.code, run.err).toBe(0);
    const results = resultOf(run.out) as Array<{ raw: boolean; params?: boolean; wrong_key: boolean }>;
    expect(results).toHaveLength(requests.length);
    requests.forEach((r, i) => {
      expect(results[i], `${r.path}: ${r.url}`).toEqual({ raw: true, ...(r.form ? { params: true } : {}), wrong_key: false });
    });
    expect(new Set(requests.map((r) => r.path))).toEqual(new Set(['/compat', '/native', '/inbound', '/inbound-get']));
  });
});

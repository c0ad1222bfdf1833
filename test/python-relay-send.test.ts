/**
 * SignalWire's Python SDK sending with the optional parameters of `RelayClient.send_message`:
 * media, tags, region and a context, or none (the SDK then sends its own protocol as the context).
 * The states `message.on` sees and the last event's params, and the `RelayError` of a refused send.
 * Skipped, saying why, without the SDK checkout or python3's websockets and structlog modules
 * (test/signalwire-python.ts).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataDirTrustedByTests } from '../packages/server/test/helpers/tls.js';
import { API_TOKEN, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from '../packages/server/test/helpers/server.js';
import { pythonSetup, resultOf, runPythonFixture } from './signalwire-python.js';

const setup = pythonSetup(['websockets', 'structlog']);
if ('missing' in setup) console.warn(`SignalWire Python SDK (RELAY send) test skipped: ${setup.missing}`);

const DELIVERED = ['queued', 'initiated', 'sent', 'delivered'];

describe.skipIf('missing' in setup)("SignalWire's Python SDK sending with media, tags, region and context", () => {
  let server: TestServer;
  let dataDir: string;

  beforeAll(async () => {
    // The SDK speaks wss:// only: HTTPS with the test run's CA, which the SDK is told to trust.
    dataDir = dataDirTrustedByTests();
    server = await startTestServer({ httpsEnabled: true, httpsPort: 0 }, { dataDir });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('sends an MMS with media, tags and region, and a tagged message on its own protocol; refusals raise RelayError with the code', async () => {
    const to = '+15557651030';
    const { code, out, err } = await runPythonFixture(setup as { python: string; sdk: string }, 'send_mms.py', {
      SIGNALWIRE_RELAY_CA_FILE: join(dataDir, 'tls', 'ca.pem'),
      SW_HOST: `127.0.0.1:${server.httpsPort}`,
      SW_PROJECT: PROJECT_ID,
      SW_TOKEN: API_TOKEN,
      SW_FROM: NUMBERS[0]!,
      SW_TO: to,
      SW_CONTEXT: 'pictures',
    });
    expect(code, err).toBe(0);
    const result = resultOf(out) as any;
    expect(result, `no RESULT line in the output:\n${out}\n${err}`).toBeDefined();
    const media = ['https://example.com/a.png', 'https://example.com/b.jpg'];
    expect(result.mms).toMatchObject({ waited: true, states: DELIVERED, message: { state: 'delivered', context: 'pictures', tags: ['python', 'mms'], media } });
    expect(result.mms.last).toMatchObject({ context: 'pictures', direction: 'outbound', from_number: NUMBERS[0], to_number: to, body: '', media, tags: ['python', 'mms'], segments: 1, message_state: 'delivered' });
    // Stored as sent: an MMS of two media with its tags (region is accepted and not applied).
    const stored = await server.store.messages.get(PROJECT_ID, result.mms.last.message_id);
    expect(stored).toMatchObject({ origin: 'relay', context: 'pictures', tags: ['python', 'mms'], media, kind: 'mms' });
    // Without a context the SDK names its own protocol, which addresses this session.
    expect(result.default_context).toMatchObject({ waited: true, states: DELIVERED, message: { context: result.protocol, tags: ['only-tag'], body: 'tagged' } });
    expect(result.default_context.last).toMatchObject({ context: result.protocol, tags: ['only-tag'], media: [] });
    expect(result.long_tag).toEqual({ error: { type: 'RelayError', code: '400', message: expect.stringContaining('tags') } });
    expect(result.foreign_from).toEqual({ error: { type: 'RelayError', code: '403', message: expect.stringContaining('+15550000000') } });
  }, 60_000);
});

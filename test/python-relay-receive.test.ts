/**
 * SignalWire's Python SDK receiving messages (`RelayClient(contexts=...)`, `@client.on_message`,
 * `receive()`/`unreceive()`), replying from its handler as the SDK's messaging guide shows. Skipped,
 * saying why, without the SDK checkout or python3's websockets and structlog modules
 * (test/signalwire-python.ts).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataDirTrustedByTests } from '../packages/server/test/helpers/tls.js';
import { API_TOKEN, eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from '../packages/server/test/helpers/server.js';
import { pythonSetup, resultOf, startPythonFixture } from './signalwire-python.js';

const setup = pythonSetup(['websockets', 'structlog']);
if ('missing' in setup) console.warn(`SignalWire Python SDK (RELAY receive) test skipped: ${setup.missing}`);

const PHONE = '+15557654321';

describe.skipIf('missing' in setup)("SignalWire's Python SDK receiving messages", () => {
  let server: TestServer;
  let dataDir: string;

  beforeAll(async () => {
    // The SDK speaks wss:// only: HTTPS with the test run's CA, which the SDK is told to trust.
    dataDir = dataDirTrustedByTests();
    server = await startTestServer({ httpsEnabled: true, httpsPort: 0 }, { dataDir });
    const numbers = (await server.api('/api/relay/rest/phone_numbers')).body.data as Array<{ id: string; number: string }>;
    const contexts: Record<string, string> = { [NUMBERS[0]!]: 'office', [NUMBERS[1]!]: 'later' };
    for (const n of numbers) {
      const res = await server.api(`/api/relay/rest/phone_numbers/${n.id}`, { method: 'PUT', body: { message_handler: 'relay_context', message_relay_context: contexts[n.number] } });
      expect(res.status).toBe(200);
    }
  });
  afterAll(async () => {
    await server?.stop();
  });

  const inbound = async (to: string, body: string) => {
    const res = await server.api('/api/simulator/inbound', { method: 'POST', body: { from: PHONE, to, body } });
    expect(res.status).toBe(201);
  };
  const repliesIn = async () => ((await server.api(`/api/simulator/messages?to=${encodeURIComponent(PHONE)}`)).body.data as Array<{ body: string }>).map((m) => m.body);

  it('gets messages on its connect contexts and on those added with receive(), not after unreceive(); its replies are delivered', async () => {
    const script = startPythonFixture(setup as { python: string; sdk: string }, 'receive.py', {
      SIGNALWIRE_RELAY_CA_FILE: join(dataDir, 'tls', 'ca.pem'),
      SW_HOST: `127.0.0.1:${server.httpsPort}`,
      SW_PROJECT: PROJECT_ID,
      SW_TOKEN: API_TOKEN,
      SW_CONTEXT: 'office',
      SW_LATER_CONTEXT: 'later',
    });
    await script.printed('READY');
    await inbound(NUMBERS[0]!, 'to the office');
    await inbound(NUMBERS[1]!, 'too early');
    await eventually(async () => ((await repliesIn()).includes('You said: to the office') ? true : undefined), 10_000, 'the reply to the office message');
    script.next();
    await script.printed('SUBSCRIBED');
    await inbound(NUMBERS[1]!, 'now later');
    await eventually(async () => ((await repliesIn()).includes('You said: now later') ? true : undefined), 10_000, 'the reply to the later message');
    script.next();
    await script.printed('UNSUBSCRIBED');
    await inbound(NUMBERS[1]!, 'too late');
    // Give a wrongly delivered message time to arrive before the script stops.
    await new Promise((r) => setTimeout(r, 500));
    script.next();
    const { code, out, err } = await script.done;
    expect(code, err).toBe(0);
    const result = resultOf(out) as { inbound: Array<Record<string, unknown>>; replies: string[] };
    expect(result.inbound).toEqual([
      { id: expect.any(String), context: 'office', direction: 'inbound', from: PHONE, to: NUMBERS[0], body: 'to the office', media: [], segments: 1, state: 'received' },
      { id: expect.any(String), context: 'later', direction: 'inbound', from: PHONE, to: NUMBERS[1], body: 'now later', media: [], segments: 1, state: 'received' },
    ]);
    expect(result.replies).toEqual(['delivered', 'delivered']);
  }, 60_000);
});

/**
 * A request that crosses the server's `signalwire.disconnect` (a stop, as a deploy's): the client
 * sent `messaging.send` before it read the goodbye, then answered the goodbye at once, as the SDKs
 * do. The send was accepted, and its answer must reach the client before the connection closes.
 * It was closed at the goodbye's answer: the message went out, the client never got its
 * `message_id`, and SignalWire's SDKs fail a request pending at a close (the Python SDK raises
 * `RelayError`), so an application that retries sent the SMS twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RawRelay } from './helpers/raw-relay.js';
import { API_TOKEN, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer | undefined;
let dataDir: string | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

describe('a request crossing the goodbye of a server that stops', () => {
  it('is answered before the connection closes, and the resumed session gets its message states', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'switchboard-goodbye-'));
    server = await startTestServer({}, { dataDir });
    const port = server.port;
    const { relay, result } = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { contexts: ['office'] });
    relay.autoAck = false;
    const goodbye = relay.waitFor((f) => f.method === 'signalwire.disconnect');
    const stopping = server.close();
    const bye = await goodbye;
    // Written together: the send left the client before it read the goodbye.
    relay.sendRaw(JSON.stringify({ jsonrpc: '2.0', id: 'crossing', method: 'messaging.send', params: { context: 'office', from_number: NUMBERS[0], to_number: '+15557800099', body: 'crossing the goodbye' } }));
    relay.sendRaw(JSON.stringify({ jsonrpc: '2.0', id: bye.id, result: {} }));
    expect(await relay.closed()).toBe(1001);
    await stopping;
    const answer = relay.frames.find((f) => f.id === 'crossing');
    expect(answer?.result).toMatchObject({ code: '200', message_id: expect.any(String) });
    const id = answer!.result.message_id as string;

    server = await startTestServer({ port }, { dataDir });
    expect((await server.api(`/api/messaging/logs/${id}`)).body).toMatchObject({ id, to: '+15557800099', direction: 'outbound' });
    const back = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { protocol: result.protocol });
    expect(back.result).toMatchObject({ protocol: result.protocol, session_restored: true });
    await back.relay.waitForEvents('messaging.state', (p) => p.message_id === id && p.message_state === 'delivered', 1, 20_000);
    await back.relay.close();
  }, 60_000);
});

/**
 * SignalWire's Python SDK as a long-running RELAY service (`client.run()`'s reconnect loop) through
 * a dropped connection and a server restart: it reconnects by itself under the same protocol and
 * gets the inbound messages that came while its session was parked. Skipped, saying why, without the SDK
 * checkout or python3's websockets and structlog modules (test/signalwire-python.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { API_TOKEN, eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from '../packages/server/test/helpers/server.js';
import { pythonSetup, resultOf, startPythonFixture } from './signalwire-python.js';

const setup = pythonSetup(['websockets', 'structlog']);
if ('missing' in setup) console.warn(`SignalWire Python SDK (RELAY reconnect) test skipped: ${setup.missing}`);

const PHONE = '+15557654329';

describe.skipIf('missing' in setup)("SignalWire's Python SDK through lost connections", () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-py-reconnect-'));
  let server: TestServer;
  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('reconnects after the connection drops and after a server restart, under the same protocol, getting what came while it was parked', async () => {
    server = await startTestServer({}, { dataDir });
    const port = server.port;
    const numbers = (await server.api('/api/relay/rest/phone_numbers')).body.data as Array<{ id: string; number: string }>;
    const office = numbers.find((n) => n.number === NUMBERS[0])!;
    expect((await server.api(`/api/relay/rest/phone_numbers/${office.id}`, { method: 'PUT', body: { message_handler: 'relay_context', message_relay_context: 'office' } })).status).toBe(200);
    // The SDK speaks plain ws:// to a loopback host.
    const script = startPythonFixture(setup as { python: string; sdk: string }, 'reconnect.py', { SW_HOST: `127.0.0.1:${port}`, SW_PROJECT: PROJECT_ID, SW_TOKEN: API_TOKEN, SW_CONTEXT: 'office', SW_FROM: NUMBERS[0]!, SW_TO: PHONE, SW_ROUNDS: '2' });
    await script.printed(`READY ${(await eventually(() => [...server.relay.registry.all()][0], 10_000, 'the session')).protocol}`);
    const inbound = async (body: string) => expect((await server.api('/api/simulator/inbound', { body: { from: PHONE, to: NUMBERS[0], body } })).status).toBe(201);

    // 1. The network drops the connection (no close handshake).
    const [session] = [...server.relay.registry.all()];
    for (const conn of (server.relay as any).connections) conn.terminate();
    await eventually(() => (server.relay.registry.get(session!.protocol) ? undefined : true), 5000, 'the session to be parked');
    await inbound('while the connection was down');
    script.next();
    await script.printed(`BACK ${session!.protocol}`);

    // 2. The server restarts on the same data: the client finds it again (1, 2, 4… s later) and the
    // server adopts its signed protocol. Events of the time no session existed are not replayed
    // (docs/api/relay.md, Resume), so the inbound message comes once it is back.
    await server.close();
    server = await startTestServer({ port }, { dataDir });
    await eventually(() => server.relay.registry.get(session!.protocol), 30_000, 'the client to reconnect');
    await inbound('after the server restarted');
    script.next();
    await script.printed(`BACK ${session!.protocol}`);

    const { code, out, err } = await script.done;
    expect(code, err).toBe(0);
    expect(resultOf(out)).toEqual({ inbound: ['while the connection was down', 'after the server restarted'], protocols: [session!.protocol, session!.protocol, session!.protocol], sent: ['delivered', 'delivered'] });
  }, 90_000);
});

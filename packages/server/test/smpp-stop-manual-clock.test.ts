/**
 * Stopping a server whose simulator clock is manual while an SMPP submission waits for an SMSC
 * that does not answer. The connector's timeouts run on the engine's clock, which nobody moves
 * while the server stops: the waits of the shutdown itself must be measured on the wall clock, or
 * stopping never ends (found by the settings fuzzer: SIGTERM left the process running).
 */
import { afterAll, expect, it } from 'vitest';
import type { SmppConnector } from '../src/carriers/smpp/connector.js';
import { freePort } from './helpers/built-server.js';
import { waitForStatus } from './helpers/messages.js';
import { eventually, NUMBERS, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer | undefined;
afterAll(async () => {
  // Only when the test failed before stopping it; a stop that hangs is what the test looks for.
  await server?.stop().catch(() => undefined);
});

it('stops while a submission waits for an SMSC that does not answer, on a manual clock', async () => {
  const port = await freePort();
  server = await startTestServer(
    { simulatorSmscEnabled: true, simulatorSmscPort: port, simulatorClock: 'manual' },
    { file: { smpp: { connectors: [{ id: 'smsc', host: '127.0.0.1', port, systemId: 'switchboard', password: 'secret', responseTimeoutMs: 30_000 }], routes: [{ prefix: '+44', connector: 'smsc' }] } } },
  );
  const connector = server.carriers.find((c) => c.descriptor.id === 'smsc') as SmppConnector;
  await eventually(() => (connector.status().state === 'up' ? true : undefined), 5_000, 'the bind');
  // Submissions are answered far later than the test lasts.
  server.smsc!.setBehaviour({ responseDelayMs: 600_000 });
  const r = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: '+447700900123', body: 'never answered' } });
  expect(r.status).toBe(201);
  await waitForStatus(server, r.body.id as string, 'initiated');
  await eventually(() => (server!.smsc!.stats.submits > 0 ? true : undefined), 5_000, 'the submission to reach the SMSC');

  const stopping = server.stop();
  server = undefined;
  // Bounded by the dispatcher's grace (10 s) and the connector's (5 s at most) on the wall clock.
  await expect(stopping).resolves.toBeUndefined();
}, 40_000);

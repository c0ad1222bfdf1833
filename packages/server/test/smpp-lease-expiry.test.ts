/**
 * Messages that wait in an SMPP connector longer than the dispatcher's lease on their jobs (here
 * messages of 4 parts behind a `throughput` of 2 parts/s with a 1 s lease: the dispatcher hands a
 * rated connector no more than it sends in half a lease, but always one message, however long)
 * are claimed again while the connector still holds them. Each is still submitted to the SMSC once: the claim's retry waits for the first
 * submission's answer. Before, the SMSC took such messages twice (two copies on the handset). On
 * SQLite, and on PostgreSQL+NATS when those are configured.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SmppConnector } from '../src/carriers/smpp/connector.js';
import { freePort } from './helpers/built-server.js';
import { waitForEnd } from './helpers/messages.js';
import { eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

/** Messages of 4 parts each (GSM-7: 153 characters a part). */
const MESSAGES = 3;

let server: TestServer;
let connector: SmppConnector;

beforeAll(async () => {
  const port = await freePort();
  server = await startTestServer(
    { simulatorSmscEnabled: true, simulatorSmscPort: port, simulatorDelayMs: 20, dispatchLeaseMs: 1000 },
    {
      file: {
        smpp: {
          connectors: [{ id: 'smsc', host: '127.0.0.1', port, systemId: 'switchboard', password: 'secret', window: 10, throughput: 2, reconnectMinMs: 50, reconnectMaxMs: 200 }],
          routes: [{ prefix: '+44', connector: 'smsc' }],
        },
      },
    },
  );
  connector = server.carriers.find((c) => c.descriptor.id === 'smsc') as SmppConnector;
  await eventually(() => (connector.status().state === 'up' ? true : undefined), 5000, 'the bind');
});
afterAll(async () => {
  await server?.stop();
});

describe('SMPP messages that outwait their dispatch lease in the connector', () => {
  it('are each submitted to the SMSC once, and delivered once', async () => {
    const accepted0 = server.smsc!.stats.accepted;
    const ids: string[] = [];
    for (let i = 0; i < MESSAGES; i++) {
      const r = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: `+4477009033${String(i).padStart(2, '0')}`, body: `lease ${i} `.padEnd(4 * 153, 'x') } });
      expect(r.status).toBe(201);
      ids.push(r.body.id as string);
    }
    for (const id of ids) expect((await waitForEnd(server, id, 20_000)).status).toBe('delivered');
    // Whatever the connector still holds goes out before counting.
    await eventually(() => (connector.status().queued === 0 && connector.status().links.every((l) => l.windowUsed === 0) ? true : undefined), 10_000, 'the connector to drain');
    expect(server.smsc!.stats.accepted - accepted0).toBe(MESSAGES * 4);
    // Claimed again after the lease: their retries joined the submissions still waiting.
    expect(connector.status().counters.adopted).toBeGreaterThanOrEqual(1);
    for (const id of ids) {
      const events = (await server.store.events.listForMessage(PROJECT_ID, id)).map((e) => e.status);
      expect(events.filter((s) => s === 'delivered')).toHaveLength(1);
      expect(events.filter((s) => s === 'sent')).toHaveLength(1);
    }
  });
});

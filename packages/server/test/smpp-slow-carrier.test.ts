/**
 * A carrier with a declared rate (an SMPP connector's `throughput`) must not hold the dispatch
 * slots other carriers' messages need. Project A floods a connector sending 20 parts/s; project B
 * then sends one message through the simulator. Before, A's backlog was claimed into every slot
 * (a batch holds its slot until each carrier in it answered: 50 messages, 2.5 s), and B's message
 * waited for one to free, after 50 of A's. Now a rated carrier is handed what it sends within half
 * a lease and holds no slot: B's message is `sent` while most of A's backlog still waits, and A's
 * backlog then goes out whole, each message once. On SQLite, and on PostgreSQL+NATS when configured.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SmppConnector } from '../src/carriers/smpp/connector.js';
import { freePort } from './helpers/built-server.js';
import { waitForStatus } from './helpers/messages.js';
import { createProject, type TestProject } from './helpers/projects.js';
import { eventually, NUMBERS, startTestServer, type TestServer } from './helpers/server.js';

const BACKLOG = 150;
const B_NUMBER = '+15551239901';

let server: TestServer;
let connector: SmppConnector;
let b: TestProject;

beforeAll(async () => {
  const port = await freePort();
  server = await startTestServer(
    // A lease of 4 s: the connector is handed 2 s of sending (40 messages) at a time, the rest put back.
    { simulatorSmscEnabled: true, simulatorSmscPort: port, dispatchBatchSize: 50, dispatchConcurrency: 1, dispatchLeaseMs: 4000 },
    {
      file: {
        smpp: {
          connectors: [{ id: 'slow', host: '127.0.0.1', port, systemId: 'switchboard', password: 'secret', window: 10, throughput: 20, reconnectMinMs: 50, reconnectMaxMs: 200 }],
          routes: [{ prefix: '+44', connector: 'slow' }],
        },
      },
    },
  );
  connector = server.carriers.find((c) => c.descriptor.id === 'slow') as SmppConnector;
  await eventually(() => (connector.status().state === 'up' ? true : undefined), 5000, 'the bind');
  b = await createProject(server, { name: 'Project B', number: B_NUMBER });
});
afterAll(async () => {
  await server?.stop();
});

describe('a project flooding a slow SMPP connector', () => {
  it('does not hold back another project’s message through the simulator', async () => {
    const accepted0 = server.smsc!.stats.accepted;
    const flood = await Promise.all(
      Array.from({ length: BACKLOG }, async (_, i) => {
        const r = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: `+44770090${String(i).padStart(4, '0')}`, body: `backlog ${i}` } });
        expect(r.status, r.text).toBe(201);
        return r.body.id as string;
      }),
    );
    // A's backlog is in the connector, waiting for its throughput (a second of sending and more).
    await eventually(() => (connector.status().queued >= 20 ? true : undefined), 10_000, 'A’s messages in the connector');
    const before = server.smsc!.stats.accepted;
    const sent = await server.api('/api/messaging/messages', { auth: b.auth, body: { from: B_NUMBER, to: '+15559990001', body: 'one of few' } });
    expect(sent.status, sent.text).toBe(201);
    // Looked at often, so A's count is read close to the moment B's message is recorded sent.
    let acceptedOfA = -1;
    for (let i = 0; i < 2000 && acceptedOfA < 0; i++) {
      const m = await server.store.messages.get(b.projectId, sent.body.id as string);
      if (m && m.status !== 'queued' && m.status !== 'initiated') {
        expect(m.status).toMatch(/^(sent|delivered)$/);
        acceptedOfA = server.smsc!.stats.accepted - before;
      } else await new Promise((r) => setTimeout(r, 5));
    }
    expect(acceptedOfA).toBeGreaterThanOrEqual(0);
    // B's message went out while A's backlog was still sending (before: after a batch of up to 50 of A's).
    expect(acceptedOfA).toBeLessThan(12);
    // A's backlog is sent whole, each message once, the part put back too.
    for (const id of flood) await waitForStatus(server, id, 'delivered', { timeoutMs: 30_000 });
    await eventually(() => (connector.status().queued === 0 && connector.status().links.every((l) => l.windowUsed === 0) ? true : undefined), 10_000, 'the connector to drain');
    expect(server.smsc!.stats.accepted - accepted0).toBe(BACKLOG);
  }, 60_000);
});

/**
 * The SMPP connector answers a message accepted only once its parts are recorded in
 * `carrier_parts`. The engine then records the message `sent` in its own transaction; had that
 * committed first and the node died before the parts' record (a node killed mid-burst), the
 * message would stay `sent` for good: its receipt, delivered to whichever node binds next, finds
 * no part. On SQLite and PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseSmppSection } from '../src/carriers/smpp/config.js';
import { SmppConnector } from '../src/carriers/smpp/connector.js';
import { decodePdu, encodePdu, type Pdu } from '../src/carriers/smpp/pdu/codec.js';
import { PduFramer } from '../src/carriers/smpp/pdu/framer.js';
import type { CarrierSubmission } from '../src/domain/ports/carrier.js';
import type { Store } from '../src/domain/ports/store.js';
import { openSqliteStore } from '../src/store/dialects/sqlite.js';
import { perTestPostgresStores, servicesOff } from './helpers/postgres.js';

const servers: Server[] = [];
const sockets = new Set<Socket>();
afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.clear();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** An SMSC that accepts every submit_sm at once, under the ids `S1`, `S2`… (recorded lower-cased, as text ids are) */
async function smsc(): Promise<number> {
  let accepted = 0;
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    const framer = new PduFramer();
    const reply = (p: Pdu) => socket.destroyed || socket.write(encodePdu(p));
    socket.on('data', (chunk) => {
      for (const f of framer.push(chunk).frames) {
        const r = decodePdu(f);
        if (!r.ok) continue;
        const pdu = r.pdu;
        if (pdu.command.startsWith('bind_')) reply({ command: `${pdu.command}_resp` as 'bind_transceiver_resp', sequence: pdu.sequence, status: 0, systemId: 'SMSC', tlvs: [] });
        else if (pdu.command === 'enquire_link') reply({ command: 'enquire_link_resp', sequence: pdu.sequence, status: 0 });
        else if (pdu.command === 'unbind') reply({ command: 'unbind_resp', sequence: pdu.sequence, status: 0 });
        else if (pdu.command === 'submit_sm') reply({ command: 'submit_sm_resp', sequence: pdu.sequence, status: 0, messageId: `S${++accepted}`, tlvs: [] });
      }
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

function message(messageId: string, body: string): CarrierSubmission {
  return { messageId, projectId: 'p1', from: '+15551230001', to: '+447700900001', body, media: [], kind: 'sms', encoding: 'GSM-7', segments: body.length > 160 ? 2 : 1, attempt: 1, expiresAt: Date.now() + 60_000 };
}

function describeRecorded(dialect: string, open: () => Promise<{ store: Store; close(): Promise<void> }>) {
  describe(`an SMPP message answered accepted (${dialect})`, () => {
    it('has every part recorded in carrier_parts by then', async () => {
      const { store, close } = await open();
      const config = parseSmppSection({ connectors: [{ id: 'smsc', host: '127.0.0.1', port: await smsc(), systemId: 'sw', password: 'pw', throughput: 0, reconnectMinMs: 10, reconnectMaxMs: 20 }], routes: [] }).connectors[0]!;
      const connector = new SmppConnector(config, { store, logger: { info() {}, debug() {}, warn() {}, error() {} } as never, now: Date.now });
      await connector.start({ report() {}, inbound: async () => [] } as never);
      try {
        const batch = [message('m1', 'hello'), message('m2', 'x'.repeat(200)), message('m3', 'again')];
        const results = await connector.submit(batch);
        // Read before anything else runs: what the engine would commit as `sent` now must find its parts.
        const parts = await store.carrierParts.listForMessages(batch.map((m) => m.messageId));
        expect(results.map((r) => r.outcome)).toEqual(['accepted', 'accepted', 'accepted']);
        expect(parts.map((p) => `${p.messageId}/${p.partIndex}:${p.carrierMessageId}`).sort()).toEqual(['m1/1:s1', 'm2/1:s2', 'm2/2:s3', 'm3/1:s4']);
      } finally {
        await connector.stop();
        await close();
      }
    });
  });
}

const root = mkdtempSync(join(tmpdir(), 'switchboard-smpp-parts-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describeRecorded('sqlite', async () => {
  const store = await openSqliteStore({ file: join(root, randomUUID(), 'switchboard.sqlite') });
  return { store, close: () => store.close() };
});

const openPostgres = perTestPostgresStores(afterAll);
describe.skipIf(servicesOff)('PostgreSQL', () => {
  describeRecorded('postgres', openPostgres);
});

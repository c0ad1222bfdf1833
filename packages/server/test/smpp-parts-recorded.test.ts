/**
 * The SMPP connector answers a message accepted only once its parts are recorded in
 * `carrier_parts`. The engine then records the message `sent` in its own transaction; had that
 * committed first and the node died before the parts' record (a node killed mid-burst), the
 * message would stay `sent` for good: its receipt, delivered to whichever node binds next, finds
 * no part. On SQLite and PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseSmppSection } from '../src/carriers/smpp/config.js';
import { SmppConnector } from '../src/carriers/smpp/connector.js';
import type { CarrierSubmission } from '../src/domain/ports/carrier.js';
import type { Store } from '../src/domain/ports/store.js';
import { openSqliteStore } from '../src/store/dialects/sqlite.js';
import { perTestPostgresStores, servicesOff } from './helpers/postgres.js';
import { closeSmscs, scriptedSmsc } from './helpers/scripted-smsc.js';

afterEach(closeSmscs);

function message(messageId: string, body: string): CarrierSubmission {
  return { messageId, projectId: 'p1', from: '+15551230001', to: '+447700900001', body, media: [], kind: 'sms', encoding: 'GSM-7', segments: body.length > 160 ? 2 : 1, attempt: 1, expiresAt: Date.now() + 60_000 };
}

function describeRecorded(dialect: string, open: () => Promise<{ store: Store; close(): Promise<void> }>) {
  describe(`an SMPP message answered accepted (${dialect})`, () => {
    it('has every part recorded in carrier_parts by then', async () => {
      const { store, close } = await open();
      const config = parseSmppSection({ connectors: [{ id: 'smsc', host: '127.0.0.1', port: (await scriptedSmsc()).port, systemId: 'sw', password: 'pw', throughput: 0, reconnectMinMs: 10, reconnectMaxMs: 20 }], routes: [] }).connectors[0]!;
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

/**
 * A retried message whose every part the SMSC already accepted is not sent again. Parts are
 * recorded in `carrier_parts` before the engine records the message `sent`; a node killed between
 * the two left the message `initiated`, and its retry sent every part a second time (a duplicate
 * on the handset, though nothing was lost). Now the retry is answered accepted from the records,
 * with a final state the parts' receipts already decided. A retry not to be sent again (its handset
 * opted out while it waited) is only looked up the same way (`takenBefore`). On SQLite and PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseSmppSection } from '../src/carriers/smpp/config.js';
import { SmppConnector } from '../src/carriers/smpp/connector.js';
import type { CarrierSubmission, StatusReport } from '../src/domain/ports/carrier.js';
import type { CarrierPartRecord, Store } from '../src/domain/ports/store.js';
import { openSqliteStore } from '../src/store/dialects/sqlite.js';
import { perTestPostgresStores, servicesOff } from './helpers/postgres.js';
import { closeSmscs, scriptedSmsc } from './helpers/scripted-smsc.js';

afterEach(closeSmscs);

const LONG = 'x'.repeat(200);

function message(messageId: string, body: string, attempt: number): CarrierSubmission {
  return { messageId, projectId: 'p1', from: '+15551230001', to: '+447700900001', body, media: [], kind: 'sms', encoding: 'GSM-7', segments: body.length > 160 ? 2 : 1, attempt, expiresAt: Date.now() + 60_000 };
}

/** A part the SMSC accepted on an earlier try, as the connector records it. */
function part(messageId: string, partIndex: number, partCount: number, carrierMessageId: string, status: CarrierPartRecord['status'] = 'sent'): CarrierPartRecord {
  return { carrier: 'smsc', carrierMessageId, projectId: 'p1', messageId, partIndex, partCount, status, error: null, errorDetail: null, createdAt: Date.now(), updatedAt: Date.now() };
}

function describeRetried(dialect: string, open: () => Promise<{ store: Store; close(): Promise<void> }>) {
  describe(`an SMPP message retried after its parts were accepted (${dialect})`, () => {
    it('is answered accepted without being sent again when every part was; sent again whole when only some were', async () => {
      const { store, close } = await open();
      const smsc = await scriptedSmsc();
      const config = parseSmppSection({ connectors: [{ id: 'smsc', host: '127.0.0.1', port: smsc.port, systemId: 'sw', password: 'pw', throughput: 0, reconnectMinMs: 10, reconnectMaxMs: 20 }], routes: [] }).connectors[0]!;
      const reports: StatusReport[] = [];
      const connector = new SmppConnector(config, { store, logger: { info() {}, debug() {}, warn() {}, error() {} } as never, now: Date.now });
      await connector.start({ report: (r: StatusReport[]) => reports.push(...r), inbound: async () => [] } as never);
      try {
        await store.transaction((tx) =>
          tx.carrierParts.insertMany([
            // Every part accepted (its node died before `sent`); one copy of part 1 delivered already.
            part('whole', 1, 2, 'a1'),
            part('whole', 2, 2, 'a2'),
            // Both parts accepted and delivered: the final state goes with the answer.
            part('done', 1, 1, 'b1', 'delivered'),
            // Only part 1 accepted: part 2 alone would not join it on the handset.
            part('half', 1, 2, 'c1'),
          ]),
        );
        const results = await connector.submit([message('whole', LONG, 2), message('done', 'hello', 3), message('half', LONG, 2), message('first', 'hi', 1)]);
        expect(results).toEqual([
          { outcome: 'accepted', carrierMessageId: 'a1', parts: 2 },
          { outcome: 'accepted', carrierMessageId: 'b1', parts: 1 },
          { outcome: 'accepted', carrierMessageId: 'S1', parts: 2 },
          { outcome: 'accepted', carrierMessageId: 'S3', parts: 1 },
        ]);
        // Before, every retry was sent whole: 2 + 1 + 2 + 1 submits.
        expect(smsc.accepted).toBe(3);
        expect(reports).toEqual([expect.objectContaining({ messageId: 'done', status: 'delivered' })]);
        expect(connector.status().counters.already_accepted).toBe(2);
      } finally {
        await connector.stop();
        await close();
      }
    });

    it('only looks a held-back retry up (its handset opted out): accepted when every part was, partly taken when some were, else null; nothing sent', async () => {
      const { store, close } = await open();
      const smsc = await scriptedSmsc();
      const config = parseSmppSection({ connectors: [{ id: 'smsc', host: '127.0.0.1', port: smsc.port, systemId: 'sw', password: 'pw', throughput: 0, reconnectMinMs: 10, reconnectMaxMs: 20 }], routes: [] }).connectors[0]!;
      const reports: StatusReport[] = [];
      const connector = new SmppConnector(config, { store, logger: { info() {}, debug() {}, warn() {}, error() {} } as never, now: Date.now });
      await connector.start({ report: (r: StatusReport[]) => reports.push(...r), inbound: async () => [] } as never);
      try {
        await store.transaction((tx) => tx.carrierParts.insertMany([part('whole', 1, 2, 'a1'), part('whole', 2, 2, 'a2'), part('done', 1, 1, 'b1', 'delivered'), part('half', 1, 2, 'c1')]));
        const found = await connector.takenBefore([message('whole', LONG, 2), message('done', 'hello', 3), message('half', LONG, 2), message('never', 'hi', 2)]);
        expect(found).toEqual([{ outcome: 'accepted', carrierMessageId: 'a1', parts: 2 }, { outcome: 'accepted', carrierMessageId: 'b1', parts: 1 }, { outcome: 'partly taken', taken: 1, parts: 2 }, null]);
        expect(smsc.accepted).toBe(0);
        expect(reports).toEqual([expect.objectContaining({ messageId: 'done', status: 'delivered' })]);
      } finally {
        await connector.stop();
        await close();
      }
    });
  });
}

const root = mkdtempSync(join(tmpdir(), 'switchboard-smpp-retry-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describeRetried('sqlite', async () => {
  const store = await openSqliteStore({ file: join(root, randomUUID(), 'switchboard.sqlite') });
  return { store, close: () => store.close() };
});

const openPostgres = perTestPostgresStores(afterAll);
describe.skipIf(servicesOff)('PostgreSQL', () => {
  describeRetried('postgres', openPostgres);
});

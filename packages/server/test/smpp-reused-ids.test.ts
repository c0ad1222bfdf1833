/**
 * SMSCs reuse message ids (a counter that wraps, or one that starts again from 1 after a restart).
 * A part's record used to replace the earlier record of the same carrier id, so a late receipt for
 * the earlier message was applied to the newer one — here another project's, the connector being
 * shared. Both records are kept now and a receipt is tied to one by its dates; one its dates do not
 * tie to a single part is applied to none. On SQLite and PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { parseSmppSection } from '../src/carriers/smpp/config.js';
import { SmppConnector } from '../src/carriers/smpp/connector.js';
import type { CarrierSubmission, StatusReport } from '../src/domain/ports/carrier.js';
import type { Store } from '../src/domain/ports/store.js';
import { openSqliteStore } from '../src/store/dialects/sqlite.js';
import { perTestPostgresStores, servicesOff } from './helpers/postgres.js';
import { closeSmscs, scriptedSmsc } from './helpers/scripted-smsc.js';

afterEach(closeSmscs);

const HOUR = 3_600_000;

/** YYMMDDhhmm, UTC. */
function receiptDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-T:]/g, '').slice(2, 12);
}

function receiptText(id: string, submitted?: number, done?: number): string {
  const dates = `${submitted !== undefined ? ` submit date:${receiptDate(submitted)}` : ''}${done !== undefined ? ` done date:${receiptDate(done)}` : ''}`;
  return `id:${id} sub:001 dlvrd:001${dates} stat:DELIVRD err:000 text:`;
}

function describeReusedIds(dialect: string, open: () => Promise<{ store: Store; close(): Promise<void> }>) {
  describe(`receipts for a message id the SMSC reused (${dialect})`, () => {
    async function setUp() {
      const { store, close } = await open();
      // The SMSC calls every message 7 (as one that restarted would, message after message).
      // `hook.beforeAnswer`, when set, runs before a submit_sm is answered.
      const hook: { beforeAnswer?: () => Promise<unknown> } = {};
      const smsc = await scriptedSmsc({
        submit(pdu, _accept, reply) {
          void (hook.beforeAnswer?.() ?? Promise.resolve()).then(() => reply({ command: 'submit_sm_resp', sequence: pdu.sequence, status: 0, messageId: '7', tlvs: [] }));
        },
      });
      let shift = 0;
      const now = () => Date.now() + shift;
      const config = parseSmppSection({ connectors: [{ id: 'smsc', host: '127.0.0.1', port: smsc.port, systemId: 'sw', password: 'pw', throughput: 0, reconnectMinMs: 10, reconnectMaxMs: 20, earlyReceiptHoldMs: 60_000 }], routes: [] }).connectors[0]!;
      const connector = new SmppConnector(config, { store, logger: { info() {}, debug() {}, warn() {}, error() {} } as never, now });
      const reports: StatusReport[] = [];
      await connector.start({ report: (r: StatusReport[]) => reports.push(...r), inbound: async () => [] } as never);
      const message = (projectId: string, messageId: string): CarrierSubmission => ({
        messageId, projectId, from: '+15551230001', to: '+447700900001', body: `hello ${messageId}`, media: [], kind: 'sms', encoding: 'GSM-7', segments: 1, attempt: 1, expiresAt: now() + 60_000,
      });
      // Project p1's message, then three hours later project p2's, both accepted as 7.
      const firstAt = now();
      expect(await connector.submit([message('p1', 'm1')])).toEqual([{ outcome: 'accepted', carrierMessageId: '7', parts: 1 }]);
      shift = 3 * HOUR;
      const secondAt = now();
      expect(await connector.submit([message('p2', 'm2')])).toEqual([{ outcome: 'accepted', carrierMessageId: '7', parts: 1 }]);
      const stop = async () => {
        await connector.stop();
        await close();
      };
      return { store, smsc, connector, reports, firstAt, secondAt, stop, hook, message, later: (ms: number) => (shift += ms) };
    }

    it('keeps both parts, and a late receipt for the earlier message is applied to it, not to the other project\'s', async () => {
      const { store, smsc, connector, reports, firstAt, secondAt, stop } = await setUp();
      try {
        // The earlier message's receipt, late: submitted and done hours before the second message.
        expect(await smsc.receipt('7', receiptText('7', firstAt, firstAt + 60_000))).toBe(0);
        expect(reports.map((r) => [r.projectId, r.messageId, r.status])).toEqual([['p1', 'm1', 'delivered']]);
        expect((await store.carrierParts.findByCarrierIds('smsc', ['7'])).map((p) => [p.projectId, p.messageId]).sort()).toEqual([
          ['p1', 'm1'],
          ['p2', 'm2'],
        ]);
        expect((await store.carrierParts.listForMessage('p2', 'm2')).map((p) => p.status)).toEqual(['sent']);
        // The second message's receipt is applied to it.
        expect(await smsc.receipt('7', receiptText('7', secondAt, secondAt + 60_000))).toBe(0);
        expect(reports.map((r) => [r.projectId, r.messageId, r.status])).toEqual([
          ['p1', 'm1', 'delivered'],
          ['p2', 'm2', 'delivered'],
        ]);
        expect(connector.status().counters).toMatchObject({ receipts_ambiguous: 0, receipts_duplicate: 0 });
      } finally {
        await stop();
      }
    });

    it('never applies a receipt to a part submitted after its done date, and applies one with no dates to none', async () => {
      const { store, smsc, connector, reports, firstAt, stop } = await setUp();
      try {
        // No dates (a TLV-style receipt): either message may be meant.
        expect(await smsc.receipt('7', receiptText('7'))).toBe(0);
        expect(reports).toEqual([]);
        expect(connector.status().counters).toMatchObject({ receipts_ambiguous: 1 });
        expect((await store.carrierParts.findByCarrierIds('smsc', ['7'])).map((p) => p.status)).toEqual(['sent', 'sent']);
        // A done date only, before the second message was submitted: the first message's.
        expect(await smsc.receipt('7', receiptText('7', undefined, firstAt + 60_000))).toBe(0);
        expect(reports.map((r) => [r.projectId, r.messageId])).toEqual([['p1', 'm1']]);
      } finally {
        await stop();
      }
    });

    it('holds a receipt that overtakes its submit_sm_resp, though the id has records, and applies it to its own message', async () => {
      const { smsc, connector, reports, hook, message, later, stop } = await setUp();
      try {
        later(HOUR);
        const thirdAt = Date.now() + 4 * HOUR;
        // The SMSC sends the third message's receipt before answering its submit_sm.
        hook.beforeAnswer = () => smsc.receipt('7', receiptText('7', thirdAt, thirdAt));
        expect(await connector.submit([message('p1', 'm3')])).toEqual([{ outcome: 'accepted', carrierMessageId: '7', parts: 1 }]);
        await vi.waitFor(() => expect(reports.map((r) => [r.projectId, r.messageId, r.status])).toEqual([['p1', 'm3', 'delivered']]));
        expect(connector.status().counters).toMatchObject({ receipts_early: 1, receipts_duplicate: 0, receipts_ambiguous: 0 });
      } finally {
        await stop();
      }
    });
  });
}

const root = mkdtempSync(join(tmpdir(), 'switchboard-smpp-reused-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describeReusedIds('sqlite', async () => {
  const store = await openSqliteStore({ file: join(root, randomUUID(), 'switchboard.sqlite') });
  return { store, close: () => store.close() };
});

const openPostgres = perTestPostgresStores(afterAll);
describe.skipIf(servicesOff)('PostgreSQL', () => {
  describeReusedIds('postgres', openPostgres);
});

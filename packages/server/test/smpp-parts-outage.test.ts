/**
 * An SMPP message the SMSC accepts while storage is unavailable (SQLite: a read-only database, as a
 * full or failing disk; PostgreSQL: the link to it down). Its part's record is written again until
 * storage is back, and only then is the message answered accepted: answered at once (the record
 * tried once and logged), the engine would write the message `sent` as soon as storage returned,
 * with no part its receipt could find, and the message would stay `sent` for good. A receipt that
 * comes during the outage is answered ESME_RX_T_APPN at once (the SMSC sends it again), not held
 * until storage is back. A retry of the message meanwhile waits for the same answer rather than
 * sending it again. On SQLite and PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { parseSmppSection } from '../src/carriers/smpp/config.js';
import { SmppConnector } from '../src/carriers/smpp/connector.js';
import { newCounters } from '../src/carriers/smpp/context.js';
import { STATUS } from '../src/carriers/smpp/pdu/constants.js';
import { ReceiptLedger } from '../src/carriers/smpp/receipt-ledger.js';
import type { CarrierSubmission, StatusReport, SubmitResult } from '../src/domain/ports/carrier.js';
import { isStoreUnavailable } from '../src/domain/ports/store.js';
import { ObservedStore } from '../src/engine/testing/observed-store.js';
import { openSqliteStore } from '../src/store/dialects/sqlite.js';
import { servicesOff } from './helpers/postgres.js';
import { closeSmscs, deliveredReceipt, scriptedSmsc } from './helpers/scripted-smsc.js';
import { eventually } from './helpers/server.js';
import { postgresOutage, sqliteOutage, sqliteReadOnly, type StoreOutage } from './helpers/store-outage.js';

afterEach(closeSmscs);

const message = (messageId: string): CarrierSubmission => ({ messageId, projectId: 'p1', from: '+15551230001', to: '+447700900001', body: 'during the outage', media: [], kind: 'sms', encoding: 'GSM-7', segments: 1, attempt: 1, expiresAt: Date.now() + 120_000 });

function describeOutage(dialect: string, open: () => Promise<StoreOutage>) {
  describe(`an SMPP part accepted while storage is unavailable (${dialect})`, () => {
    it('is recorded once storage is back before its message is answered accepted, and its receipt then delivers it', async () => {
      const outage = await open();
      const { store } = outage;
      const smscServer = await scriptedSmsc();
      const config = parseSmppSection({ connectors: [{ id: 'smsc', host: '127.0.0.1', port: smscServer.port, systemId: 'sw', password: 'pw', throughput: 0, reconnectMinMs: 10, reconnectMaxMs: 20 }], routes: [] }).connectors[0]!;
      let storageFailed = false;
      const noteFailure = (obj: unknown) => {
        if (isStoreUnavailable((obj as { err?: unknown })?.err)) storageFailed = true;
      };
      const logger = { info() {}, debug() {}, warn: noteFailure, error: noteFailure };
      const reports: StatusReport[] = [];
      const connector = new SmppConnector(config, { store, logger: logger as never, now: Date.now });
      await connector.start({ report: (r: readonly StatusReport[]) => reports.push(...r), inbound: async () => [] } as never);
      try {
        await eventually(async () => (connector.health().ok ? true : undefined), 10_000, 'the bind');
        await outage.fail();
        let result: SubmitResult | undefined;
        const submitted = connector.submit([message('m1')]).then((r) => (result = r[0]));
        await eventually(async () => (smscServer.accepted === 1 && storageFailed ? true : undefined), 10_000, 'the SMSC accepting the part and its record failing');

        // A receipt during the outage is answered at once, asking the SMSC to send it again.
        expect(await smscServer.receipt('S1')).toBe(STATUS.ESME_RX_T_APPN);
        expect(result).toBeUndefined();
        // The dispatcher's retry of it meanwhile (its lease ran out while the record waited) joins
        // this answer. Before, it sent the message a second time.
        let retried: SubmitResult | undefined;
        const retry = connector.submit([{ ...message('m1'), attempt: 2 }]).then((r) => (retried = r[0]));
        await new Promise((r) => setTimeout(r, 300));

        await outage.restore();
        await submitted;
        await retry;
        expect(retried).toEqual(result);
        expect(smscServer.accepted).toBe(1);
        // The engine would record the message `sent` now: its part must be there for the receipt.
        const parts = await store.carrierParts.listForMessages(['m1']);
        expect(result).toMatchObject({ outcome: 'accepted' });
        expect(parts.map((p) => `${p.messageId}/${p.partIndex}:${p.carrierMessageId}`)).toEqual(['m1/1:s1']);

        expect(await smscServer.receipt('S1')).toBe(STATUS.ESME_ROK);
        await eventually(async () => (reports.some((r) => r.messageId === 'm1' && r.status === 'delivered') ? true : undefined), 10_000, 'the delivered report');
      } finally {
        await outage.restore();
        await connector.stop();
        await outage.close();
      }
    }, 30_000);
  });
}

const root = mkdtempSync(join(tmpdir(), 'switchboard-smpp-parts-outage-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describeOutage('sqlite', () => sqliteOutage(join(root, randomUUID(), 'switchboard.sqlite')));

describe.skipIf(servicesOff)('PostgreSQL', () => {
  describeOutage('postgres', postgresOutage);
});

describe('a receipt that came while its part waited for storage (sqlite)', () => {
  it('is applied with the part when storage fails again under the part\'s next try', async () => {
    const inner = await openSqliteStore({ file: join(root, randomUUID(), 'switchboard.sqlite') });
    const store = new ObservedStore(inner);
    const readOnly = (on: boolean) => sqliteReadOnly(inner, on);
    const config = parseSmppSection({ connectors: [{ id: 'smsc', host: '127.0.0.1', port: 2775, systemId: 'sw', password: 'pw' }], routes: [] }).connectors[0]!;
    const warnings: string[] = [];
    const logger = { info() {}, debug() {}, warn: (_f: unknown, m: string) => void warnings.push(m), error() {} };
    const reports: StatusReport[] = [];
    const ledger = new ReceiptLedger({ config, deps: { store, logger: logger as never, now: Date.now }, counters: newCounters(), sink: () => ({ report: (r: StatusReport[]) => void reports.push(...r) }) as never });
    // Only the retry's pause is driven by the test; the store and the ledger's batcher run as they do.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      await readOnly(true);
      const recorded = ledger.recordAccepted({ projectId: 'p1', messageId: 'm1', partIndex: 1, partCount: 1 }, 'S1');
      await vi.waitFor(() => expect(vi.getTimerCount()).toBe(1)); // its first try failed; it waits to try again
      await readOnly(false);
      // Its receipt, while the part waits: not known yet, held (answered ESME_ROK: the SMSC will not send it again).
      expect(await ledger.onReceipt(deliveredReceipt('S1'))).toBe(STATUS.ESME_ROK);
      expect(reports).toEqual([]);

      await readOnly(true);
      const before = store.transactions;
      vi.advanceTimersByTime(10_000);
      await vi.waitFor(() => expect(store.transactions).toBeGreaterThan(before)); // the part's next try, with the receipt
      await readOnly(false); // after that transaction failed (one connection)
      await vi.waitFor(() => expect(vi.getTimerCount()).toBe(1));
      vi.advanceTimersByTime(10_000);
      await recorded;
      await vi.waitFor(() => expect(reports).toMatchObject([{ messageId: 'm1', status: 'delivered' }]));
      expect(warnings.filter((w) => /waits for storage/.test(w))).toHaveLength(1);
    } finally {
      vi.useRealTimers();
      await ledger.stop();
      await inner.close();
    }
  });
});

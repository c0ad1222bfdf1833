/**
 * The receipt ledger with a store of one part: a final receipt decides the message; a receipt
 * whose `stat:` word is not one the ledger knows leaves it `sent` (receipt reconciliation asks
 * the carrier later), counted and logged once per word. And a receipt that overtakes its
 * submit_sm_resp is applied however its lookup and the part's insert interleave.
 */
import { describe, expect, it } from 'vitest';
import type { StatusReport } from '../../domain/ports/carrier.js';
import type { CarrierPartOutcome, CarrierPartRecord, Store } from '../../domain/ports/store.js';
import { parseSmppSection } from './config.js';
import { newCounters, type SmppContext } from './context.js';
import type { ShortMessagePdu } from './pdu/codec.js';
import { ReceiptLedger } from './receipt-ledger.js';

function setup(extra: Record<string, unknown> = {}) {
  const part: CarrierPartRecord = { carrier: 'c1', carrierMessageId: '7', projectId: 'p1', messageId: 'm1', partIndex: 1, partCount: 1, status: 'sent', error: null, errorDetail: null, createdAt: 0, updatedAt: 0 };
  const applied: CarrierPartOutcome[] = [];
  const carrierParts = {
    findByCarrierIds: async () => [part],
    applyOutcomes: async (_c: string, outcomes: CarrierPartOutcome[]) => {
      applied.push(...outcomes);
      Object.assign(part, { status: outcomes[0]!.status });
      return [part];
    },
    listForMessages: async () => [part],
  };
  const store = { transaction: async (fn: (tx: unknown) => unknown) => fn({ carrierParts }) } as unknown as Store;
  const warnings: Array<{ fields: unknown; msg: string }> = [];
  const logger = { info() {}, debug() {}, warn: (fields: unknown, msg: string) => void warnings.push({ fields, msg }), error() {} };
  const reports: StatusReport[] = [];
  const config = parseSmppSection({ connectors: [{ id: 'c1', host: '127.0.0.1', port: 2775, systemId: 'sw', password: 'pw', ...extra }], routes: [] }).connectors[0]!;
  const ctx: SmppContext = { config, deps: { store, logger, now: Date.now }, counters: newCounters(), sink: () => ({ report: (r: StatusReport[]) => void reports.push(...r) }) as never };
  return { ledger: new ReceiptLedger(ctx), ctx, applied, warnings, reports };
}

const receipt = (stat: string): ShortMessagePdu => ({
  command: 'deliver_sm', sequence: 1, status: 0, serviceType: '', source: { ton: 1, npi: 1, address: '447700900001' }, destination: { ton: 1, npi: 1, address: '15551230001' },
  esmClass: 0x04, protocolId: 0, priorityFlag: 0, scheduleDeliveryTime: '', validityPeriod: '', registeredDelivery: 0, replaceIfPresent: 0, dataCoding: 0, smDefaultMsgId: 0,
  shortMessage: Buffer.from(`id:7 sub:001 dlvrd:000 submit date:2401011200 done date:2401011201 stat:${stat} err:000 text:hi`, 'latin1'), tlvs: [],
});

describe('receipts with a stat word the ledger does not know', () => {
  it('leave the part and the message as they are, counted, with one warning per word', async () => {
    const { ledger, ctx, applied, warnings, reports } = setup();
    expect(await ledger.onReceipt(receipt('SENT'))).toBe(0);
    expect(await ledger.onReceipt(receipt('SENT'))).toBe(0);
    expect(await ledger.onReceipt(receipt('PENDNG'))).toBe(0);
    await ledger.stop();
    expect(applied).toEqual([]);
    expect(reports).toEqual([]);
    expect(ctx.counters.receipts_unknown_stat).toBe(3);
    expect(ctx.counters.receipts_intermediate).toBe(0);
    expect(warnings.map((w) => w.fields)).toEqual([expect.objectContaining({ carrier: 'c1', stat: 'SENT' }), expect.objectContaining({ carrier: 'c1', stat: 'PENDNG' })]);
  });

  it('FAILED and the connector\'s own final words decide the message at once (not after reconciliation)', async () => {
    for (const [stat, receiptStats] of [['FAILED', {}], ['NOTDELIV', { NOTDELIV: 'undelivered' }]] as const) {
      const { ledger, ctx, reports, applied } = setup({ receiptStats });
      expect(await ledger.onReceipt(receipt(stat))).toBe(0);
      await ledger.stop();
      expect(reports).toEqual([expect.objectContaining({ messageId: 'm1', status: 'undelivered' })]);
      expect(applied).toEqual([expect.objectContaining({ status: 'undelivered', error: 'UNKNOWN_DELIVERY_ERROR', errorDetail: `stat ${stat}` })]);
      expect(ctx.counters.receipts_unknown_stat).toBe(0);
    }
  });

  it('do not stop a later final receipt from deciding the message', async () => {
    const { ledger, reports } = setup();
    await ledger.onReceipt(receipt('SENT'));
    await ledger.onReceipt(receipt('UNDELIV'));
    await ledger.stop();
    expect(reports).toEqual([expect.objectContaining({ messageId: 'm1', status: 'undelivered' })]);
  });
});

/** A store of parts in memory whose transactions can be held open, to interleave a receipt with its part's insert. */
function heldStore() {
  const parts = new Map<string, CarrierPartRecord>();
  let hold: Promise<void> | null = null;
  const carrierParts = {
    insertMany: async (list: CarrierPartRecord[]) => void list.forEach((p) => parts.set(p.carrierMessageId, { ...p })),
    findByCarrierIds: async (_c: string, ids: string[]) => ids.flatMap((id) => (parts.has(id) ? [parts.get(id)!] : [])),
    applyOutcomes: async (_c: string, outcomes: CarrierPartOutcome[]) =>
      outcomes.map((o) => Object.assign(parts.get(o.carrierMessageId)!, { status: o.status, error: o.error, errorDetail: o.errorDetail })),
    listForMessages: async (ids: string[]) => [...parts.values()].filter((p) => ids.includes(p.messageId)),
  };
  const store = {
    transaction: async (fn: (tx: unknown) => unknown) => {
      const h = hold;
      if (h) await h;
      return fn({ carrierParts });
    },
  } as unknown as Store;
  return { store, parts, holdNext: () => new Promise<() => void>((ready) => (hold = new Promise<void>((release) => ready(() => ((hold = null), release()))))) };
}

describe('a receipt that overtakes its submit_sm_resp', () => {
  it('is applied when the part is recorded while the receipt\'s own lookup is still in the database', async () => {
    const { store, holdNext } = heldStore();
    const reports: StatusReport[] = [];
    const config = parseSmppSection({ connectors: [{ id: 'c1', host: '127.0.0.1', port: 2775, systemId: 'sw', password: 'pw' }], routes: [] }).connectors[0]!;
    const ctx: SmppContext = { config, deps: { store, logger: { info() {}, warn() {}, error() {} }, now: Date.now }, counters: newCounters(), sink: () => ({ report: (r: StatusReport[]) => void reports.push(...r) }) as never };
    const ledger = new ReceiptLedger(ctx);
    const release = await holdNext();
    // The receipt's lookup starts (and is held: the part is not there yet)…
    const answered = ledger.onReceipt(receipt('DELIVRD'));
    await new Promise((r) => setImmediate(r));
    // …its submit_sm_resp arrives meanwhile…
    ledger.recordAccepted({ projectId: 'p1', messageId: 'm1', partIndex: 1, partCount: 1 }, '7');
    // …and the lookup comes back empty.
    release();
    expect(await answered).toBe(0);
    await ledger.stop();
    expect(reports).toEqual([expect.objectContaining({ messageId: 'm1', status: 'delivered' })]);
    expect(ctx.counters.receipts_orphaned).toBe(0);
  });
});

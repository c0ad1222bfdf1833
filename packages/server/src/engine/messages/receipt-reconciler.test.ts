/**
 * Receipt reconciliation through the engine: a message still `sent` after the wait gets its
 * carrier asked and the answer recorded; one the carrier cannot resolve ends `undelivered` 30008
 * at the deadline. Time moves by the manual clock and passes run through `engine.receipts.reconcile()`.
 */
import { ERRORS } from '@switchboard/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InProcessBus } from '../../bus/in-process-bus.js';
import type { Store } from '../../domain/ports/store.js';
import { openSqliteStore } from '../../store/dialects/sqlite.js';
import { buildTestEngine, type TestEngine, type TestEngineSettings } from '../testing/test-engine.js';
import { DEFAULT_GIVE_UP_AFTER_MS, DEFAULT_RECONCILE_AFTER_MS } from './receipt-reconciler.js';

const MINUTE = 60_000;
const WAIT = DEFAULT_RECONCILE_AFTER_MS;
const DEADLINE = DEFAULT_GIVE_UP_AFTER_MS;

let t: TestEngine;
beforeEach(async () => (t = await buildTestEngine({ store: await openSqliteStore({ file: ':memory:' }), bus: new InProcessBus() })));
afterEach(() => t.close());

/** Send one message and let the carrier accept it: it is `sent` at the clock's current time. */
async function sentMessage(input: Parameters<TestEngine['send']>[0] = {}) {
  const m = await t.send(input);
  await t.statuses.reached(m.id, 'sent');
  return m;
}

const events = async (id: string) => t.engine.reads.events.listForMessage(t.project.id, id);

describe('receipt reconciliation', () => {
  beforeEach(() => t.engine.start());

  it('uses the documented defaults: 10 minutes, then 72 hours', () => {
    expect([WAIT, DEADLINE]).toEqual([10 * MINUTE, 72 * 60 * MINUTE]);
  });

  it('asks the carrier about a message still sent after the wait, and records its answer', async () => {
    t.carrier.views = () => ({ state: 'delivered' });
    const m = await sentMessage();
    t.clock.advance(WAIT - 1);
    expect(await t.engine.receipts.reconcile()).toEqual({ queried: 0, resolved: 0, gaveUp: 0 });
    t.clock.advance(1);
    expect(await t.engine.receipts.reconcile()).toEqual({ queried: 1, resolved: 1, gaveUp: 0 });
    expect(t.carrier.queries).toEqual([[expect.objectContaining({ messageId: m.id, projectId: t.project.id, to: m.to, from: m.from, carrierMessageId: 'scripted-1', segments: 1 })]]);
    expect(await t.message(m.id)).toMatchObject({ status: 'delivered', errorCode: null });
    expect(await t.timeline(m.id)).toEqual(['queued', 'initiated', 'sent', 'delivered']);
    expect((await events(m.id)).at(-1)!.detail).toEqual({ reconciled: true });
    // Ended: not asked about again.
    t.clock.advance(DEADLINE);
    expect(await t.engine.receipts.reconcile()).toEqual({ queried: 0, resolved: 0, gaveUp: 0 });
  });

  it("records a carrier's failure with its catalogue error", async () => {
    t.carrier.views = () => ({ state: 'undelivered', error: 'HANDSET_UNREACHABLE', detail: 'absent subscriber' });
    const m = await sentMessage();
    t.clock.advance(WAIT);
    await t.engine.receipts.reconcile();
    const e = ERRORS.HANDSET_UNREACHABLE;
    expect(await t.message(m.id)).toMatchObject({ status: 'undelivered', errorCode: String(e.compat), reason: e.native, errorMessage: `${e.message} (absent subscriber)` });
    expect((await events(m.id)).at(-1)!.detail).toEqual({ reconciled: true, reason: e.native });
  });

  it('asks again each time the age doubles, then ends it undelivered 30008 at the deadline', async () => {
    t.carrier.views = () => ({ state: 'enroute' });
    const m = await sentMessage();
    const sentAt = t.clock.now();
    const askedAt: number[] = [];
    let gaveUp = 0;
    while (t.clock.now() - sentAt < DEADLINE) {
      t.clock.advance(10 * MINUTE);
      const before = t.carrier.queries.length;
      const s = await t.engine.receipts.reconcile();
      if (t.carrier.queries.length > before) askedAt.push((t.clock.now() - sentAt) / MINUTE);
      gaveUp += s.gaveUp;
    }
    // 10, 20, 40 … 2560 minutes, and once more at 72 hours.
    expect(askedAt).toEqual([10, 20, 40, 80, 160, 320, 640, 1280, 2560, 4320]);
    expect(gaveUp).toBe(1);
    const e = ERRORS.RECEIPT_MISSING;
    expect(e.compat).toBe(30008);
    expect(await t.message(m.id)).toMatchObject({ status: 'undelivered', errorCode: '30008', reason: 'delivery_receipt_missing', errorMessage: `${e.message} (the carrier still reports it en route)` });
    expect(await t.timeline(m.id)).toEqual(['queued', 'initiated', 'sent', 'undelivered']);
    expect((await events(m.id)).at(-1)).toMatchObject({ errorCode: '30008', detail: { reconciled: true, gave_up: true, carrier_state: 'enroute', reason: 'delivery_receipt_missing' } });
  });

  it('ends a message at the deadline when its carrier cannot be asked', async () => {
    t.carrier.views = () => {
      throw new Error('no bind up');
    };
    const m = await sentMessage();
    t.clock.advance(WAIT);
    expect(await t.engine.receipts.reconcile()).toEqual({ queried: 1, resolved: 0, gaveUp: 0 });
    expect(t.logger.messages('warn')).toContain('asking a carrier about overdue receipts failed');
    t.clock.advance(DEADLINE);
    expect(await t.engine.receipts.reconcile()).toMatchObject({ gaveUp: 1 });
    expect(await t.message(m.id)).toMatchObject({ status: 'undelivered', errorCode: '30008', errorMessage: `${ERRORS.RECEIPT_MISSING.message} (the carrier could not say: no bind up)` });
  });

  it('leaves alone messages whose receipt came, MMS, and messages not yet overdue', async () => {
    t.carrier.views = () => ({ state: 'delivered' });
    const receipted = await sentMessage({ body: 'receipted' });
    t.carrier.report(t.carrier.receipt({ messageId: receipted.id, projectId: t.project.id }, 'delivered'));
    await t.statuses.reached(receipted.id, 'delivered');
    const mms = await sentMessage({ body: 'a picture', media: ['https://example.com/cat.png'] });
    t.clock.advance(WAIT / 2);
    const young = await sentMessage({ body: 'young' });
    t.clock.advance(WAIT / 2);
    expect(await t.engine.receipts.reconcile()).toEqual({ queried: 0, resolved: 0, gaveUp: 0 });
    t.clock.advance(DEADLINE);
    // The MMS stays `sent` for good (networks send no MMS receipts); the young one is asked now.
    expect(await t.engine.receipts.reconcile()).toEqual({ queried: 1, resolved: 1, gaveUp: 0 });
    expect(t.carrier.queries.flat().map((q) => q.messageId)).toEqual([young.id]);
    expect((await t.message(mms.id)).status).toBe('sent');
    expect(await t.timeline(receipted.id)).toEqual(['queued', 'initiated', 'sent', 'delivered']);
  });

  it('asks in batches of 100, each message once per pass', async () => {
    t.carrier.views = () => ({ state: 'delivered' });
    const sent = await Promise.all(Array.from({ length: 230 }, (_, i) => t.send({ body: `bulk ${i}` })));
    for (const m of sent) await t.statuses.reached(m.id, 'sent');
    t.clock.advance(WAIT);
    expect(await t.engine.receipts.reconcile()).toEqual({ queried: 230, resolved: 230, gaveUp: 0 });
    expect(t.carrier.queries.map((b) => b.length)).toEqual([100, 100, 30]);
    expect(new Set(t.carrier.queries.flat().map((q) => q.messageId)).size).toBe(230);
    for (const m of sent) expect((await t.message(m.id)).status).toBe('delivered');
  });
});

describe('receipt reconciliation with several nodes on one database', () => {
  it('is done by one node: the holder of the receipts lease', async () => {
    const cluster: TestEngineSettings = { options: { cluster: { heartbeatMs: 60_000, nodeTimeoutMs: 600_000 } } };
    await t.close();
    const store: Store = await openSqliteStore({ file: ':memory:' });
    t = await buildTestEngine({ store, bus: new InProcessBus() }, { ...cluster, options: { ...cluster.options, instanceId: 'A' } });
    const b = await buildTestEngine({ store, bus: new InProcessBus() }, { ...cluster, clock: t.clock, ids: t.ids, options: { ...cluster.options, instanceId: 'B', nodeId: 'node-b' } });
    try {
      await t.engine.start();
      await b.engine.start();
      t.carrier.views = b.carrier.views = () => ({ state: 'delivered' });
      const m = await sentMessage();
      t.clock.advance(WAIT);
      const [first, second] = [await t.engine.receipts.reconcile(), await b.engine.receipts.reconcile()];
      expect([first.queried, second.queried]).toEqual([1, 0]);
      expect(b.carrier.queries).toEqual([]);
      expect((await t.message(m.id)).status).toBe('delivered');
    } finally {
      await b.engine.stop();
    }
  });
});

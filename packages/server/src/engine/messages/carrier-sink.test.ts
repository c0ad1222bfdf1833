/**
 * What carriers hand the engine through the sink: delivery receipts (with catalogue errors) and
 * messages from handsets, routed to the project owning the number.
 */
import { ERRORS } from '@switchboard/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InProcessBus } from '../../bus/in-process-bus.js';
import type { CarrierSubmission, StatusReport } from '../../domain/ports/carrier.js';
import { EngineCarrierSink } from './carrier-sink.js';
import { openSqliteStore } from '../../store/dialects/sqlite.js';
import { buildTestEngine, HANDSET, TEST_CONTEXT, TEST_NUMBERS, type TestEngine } from '../testing/test-engine.js';

const inMemory = async () => ({ store: await openSqliteStore({ file: ':memory:' }), bus: new InProcessBus() });

let t: TestEngine;
beforeEach(async () => (t = await buildTestEngine(await inMemory())));
afterEach(() => t.close());

/** Send one message and wait until the carrier took it (`sent`). */
async function sentMessage(): Promise<CarrierSubmission> {
  const m = await t.send();
  await t.engine.start();
  await t.statuses.reached(m.id, 'sent');
  return t.carrier.submissions.find((s) => s.messageId === m.id)!;
}

describe('delivery receipts', () => {
  it('a receipt with an error ends the message undelivered with the catalogue code, message and reason', async () => {
    const s = await sentMessage();
    t.carrier.report({ ...t.carrier.receipt(s, 'undelivered', 'HANDSET_UNREACHABLE'), detail: 'handset switched off' });
    const undelivered = await t.statuses.reached(s.messageId, 'undelivered');
    const entry = ERRORS.HANDSET_UNREACHABLE;
    const fields = { errorCode: '30003', errorMessage: `${entry.message} (handset switched off)`, reason: 'unreachable_destination_handset' };
    expect(undelivered.message).toMatchObject(fields);
    expect(await t.message(s.messageId)).toMatchObject({ status: 'undelivered', ...fields });
    const events = await t.engine.reads.events.listForMessage(t.project.id, s.messageId);
    expect(events.map((e) => e.status)).toEqual(['queued', 'initiated', 'sent', 'undelivered']);
    expect(events[3]).toMatchObject({ errorCode: '30003', errorMessage: fields.errorMessage, detail: { receipt: true, reason: 'unreachable_destination_handset' } });
  });

  it('a second receipt for a finished message changes nothing', async () => {
    const s = await sentMessage();
    t.carrier.report(t.carrier.receipt(s, 'delivered'));
    await t.statuses.reached(s.messageId, 'delivered');
    t.carrier.report(t.carrier.receipt(s, 'undelivered', 'HANDSET_UNREACHABLE'));
    // Stopping drains the journal: the second receipt has been applied, or refused, by then.
    await t.engine.stop();
    expect(await t.message(s.messageId)).toMatchObject({ status: 'delivered', errorCode: null });
    expect(await t.timeline(s.messageId)).toEqual(['queued', 'initiated', 'sent', 'delivered']);
    expect(t.statuses.of(s.messageId)).toEqual(['queued', 'initiated', 'sent', 'delivered']);
    expect(t.logger.messages('error')).toEqual([]);
  });
});

describe('messages from handsets', () => {
  it('stores a message to an owned number as received for the owning project, with its RELAY context', async () => {
    await t.engine.start();
    t.clock.advance(500);
    const [result] = await t.carrier.inbound({ from: HANDSET, to: TEST_NUMBERS[1], body: 'Hi there', carrierMessageId: 'mo-1' });
    expect(result).toEqual({ routed: true, messageId: expect.any(String), projectId: t.project.id });
    const id = (result as { messageId: string }).messageId;
    expect(await t.message(id)).toMatchObject({
      status: 'received',
      direction: 'inbound',
      origin: 'inbound',
      from: HANDSET,
      to: TEST_NUMBERS[1],
      body: 'Hi there',
      context: TEST_CONTEXT,
      carrier: 'scripted',
      carrierMessageId: 'mo-1',
      createdAt: t.clock.now(),
    });
    expect(await t.timeline(id)).toEqual(['received']);
    expect(t.statuses.of(id)).toEqual(['received']);
    // Nothing to dispatch.
    expect(await t.engine.backlog()).toEqual({ dispatch: 0, webhooks: 0 });
  });

  it('answers not routed for a number nobody owns, and stores nothing', async () => {
    await t.engine.start();
    const results = await t.carrier.inbound({ from: HANDSET, to: '+15557770000', body: 'wrong number' }, { from: HANDSET, to: TEST_NUMBERS[0], body: 'right number' });
    expect(results).toEqual([{ routed: false }, { routed: true, messageId: expect.any(String), projectId: t.project.id }]);
    const stored = await t.engine.reads.messages.list(t.project.id, {}, { limit: 10 });
    expect(stored.map((m) => m.to)).toEqual([TEST_NUMBERS[0]]);
    expect(t.statuses.events.map((e) => e.message.to)).toEqual([TEST_NUMBERS[0]]);
  });
});

describe('a message a carrier hands over again (redelivery)', () => {
  it('is stored once when marked as a redelivery of a stored carrier id; only then', async () => {
    await t.engine.start();
    const mo = { from: HANDSET, to: TEST_NUMBERS[1]!, body: 'once', carrierMessageId: 'mo-7' };
    const [first] = await t.carrier.inbound(mo);
    const [again] = await t.carrier.inbound({ ...mo, redelivery: true });
    expect(again).toEqual(first);
    // Another id, or the same id not marked as a redelivery, is a message of its own.
    const [other] = await t.carrier.inbound({ ...mo, carrierMessageId: 'mo-8', redelivery: true });
    const [unmarked] = await t.carrier.inbound(mo);
    const ids = [first, other, unmarked].map((r) => (r as { messageId: string }).messageId);
    expect(new Set(ids).size).toBe(3);
    expect((await t.engine.reads.messages.list(t.project.id, {}, { limit: 10 })).map((m) => m.id).sort()).toEqual([...ids].sort());
  });
});

describe('receipts that overtook their submit answer, with sent inferred from receipts (several nodes, SMPP)', () => {
  it('infer sent only for messages whose answer is not in the same write (a third change would keep the pair from one row write)', () => {
    const sink = new EngineCarrierSink(null as never, null as never, t.logger, null as never, true);
    const report = (messageId: string): StatusReport => ({ messageId, projectId: t.project.id, status: 'delivered', at: 0 });
    const changes = sink.changesFor([report('answered'), report('alone')], new Set(['answered']));
    expect(changes.map((c) => [c.messageId, c.to])).toEqual([
      ['answered', 'delivered'],
      ['alone', 'sent'],
      ['alone', 'delivered'],
    ]);
  });
});

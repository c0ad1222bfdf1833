/**
 * The engine from its front door, `createEngine`: in-memory SQLite, the in-process bus, a manual
 * clock and a scripted carrier; no network port. Message lifecycle (ARCHITECTURE.md §3) end to end,
 * and what a restart owes: undispatched messages and receipts still awaited.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InProcessBus } from '../bus/in-process-bus.js';
import type { SubmitResult } from '../domain/ports/carrier.js';
import { openSqliteStore } from '../store/dialects/sqlite.js';
import { buildTestEngine, HANDSET, TEST_NUMBERS, TEST_RETRY, type TestEngine, type TestEngineSettings } from './testing/test-engine.js';

const inMemory = async () => ({ store: await openSqliteStore({ file: ':memory:' }), bus: new InProcessBus() });

let t: TestEngine;
beforeEach(async () => (t = await buildTestEngine(await inMemory())));
afterEach(() => t.close());

/** A new engine on the same store, clock and ids: the server restarted (its own bus and carrier). */
const restart = (settings: TestEngineSettings = {}) => buildTestEngine({ store: t.store.inner, bus: new InProcessBus() }, { clock: t.clock, ids: t.ids, ...settings });

describe('the engine pipeline', () => {
  it('commits an accepted message queued, with its event row and dispatch job, before answering', async () => {
    const m = await t.send();
    expect(m).toMatchObject({ status: 'queued', direction: 'outbound', from: TEST_NUMBERS[0], to: HANDSET, projectId: t.project.id, createdAt: t.clock.now() });
    expect(await t.message(m.id)).toEqual(m);
    expect(await t.timeline(m.id)).toEqual(['queued']);
    expect(await t.engine.backlog()).toEqual({ dispatch: 1, webhooks: 0 });
    expect(t.statuses.of(m.id)).toEqual(['queued']);
    // Not started: nothing is handed to the carrier.
    expect(t.carrier.submissions).toEqual([]);
  });

  it('dispatches once started: queued → initiated → sent (carrier id recorded) → delivered by receipt', async () => {
    const m = await t.send();
    const acceptedAt = t.clock.now();
    t.clock.advance(1_000);
    await t.engine.start();
    const [submission] = await t.carrier.submitted(1);
    expect(submission).toMatchObject({ messageId: m.id, projectId: t.project.id, from: TEST_NUMBERS[0], to: HANDSET, body: m.body, segments: 1, attempt: 1, expiresAt: m.expiresAt });

    const sent = await t.statuses.reached(m.id, 'sent');
    expect(sent.message).toMatchObject({ carrier: 'scripted', carrierMessageId: 'scripted-1', sentAt: acceptedAt + 1_000 });
    expect(await t.message(m.id)).toMatchObject({ status: 'sent', carrier: 'scripted', carrierMessageId: 'scripted-1' });
    // Recording `sent` finished the dispatch job in the same transaction.
    expect(await t.engine.backlog()).toEqual({ dispatch: 0, webhooks: 0 });

    t.clock.advance(2_000);
    t.carrier.report(t.carrier.receipt(submission!, 'delivered'));
    const delivered = await t.statuses.reached(m.id, 'delivered');
    expect(delivered.at).toBe(acceptedAt + 3_000);
    expect(await t.message(m.id)).toMatchObject({ status: 'delivered', errorCode: null, reason: null });

    const events = await t.engine.reads.events.listForMessage(t.project.id, m.id);
    expect(events.map((e) => [e.status, e.at])).toEqual([
      ['queued', acceptedAt],
      ['initiated', acceptedAt + 1_000],
      ['sent', acceptedAt + 1_000],
      ['delivered', acceptedAt + 3_000],
    ]);
    expect(events[2]!.detail).toMatchObject({ carrier: 'scripted', carrier_message_id: 'scripted-1', parts: 1, attempt: 1 });
    expect(events[3]!.detail).toEqual({ receipt: true });
    // Published in the order committed, each with the event row written for it.
    expect(t.statuses.of(m.id)).toEqual(['queued', 'initiated', 'sent', 'delivered']);
    expect(t.statuses.events.map((e) => e.event.status)).toEqual(['queued', 'initiated', 'sent', 'delivered']);
    expect(t.metrics.transitioned).toEqual({ queued: 1, initiated: 1, sent: 1, delivered: 1 });
    expect(t.metrics.submitted).toEqual({ 'scripted:accepted': 1 });
    expect(t.logger.messages('error')).toEqual([]);
  });

  it('wakes the running dispatcher for messages accepted after start', async () => {
    await t.engine.start();
    const [a, b] = await Promise.all([t.send(), t.send({ to: '+15559990002' })]);
    await Promise.all([t.statuses.reached(a!.id, 'sent'), t.statuses.reached(b!.id, 'sent')]);
    expect(t.carrier.submissions.map((s) => s.messageId)).toEqual([a!.id, b!.id]);
  });
});

describe('a restart', () => {
  it('dispatches the messages an engine accepted but never dispatched', async () => {
    const accepted = [await t.send(), await t.send({ body: 'second' })];
    await t.engine.stop();

    const next = await restart();
    await next.engine.start();
    for (const m of accepted) await next.statuses.reached(m.id, 'sent');
    expect(next.carrier.submissions.map((s) => s.messageId)).toEqual(accepted.map((m) => m.id));
    expect(await next.timeline(accepted[1]!.id)).toEqual(['queued', 'initiated', 'sent']);
    await next.engine.stop();
  });

  it('submits again a batch that was in flight when its engine died (at-least-once); the late answer changes nothing', async () => {
    let answerLate!: (r: SubmitResult) => void;
    t.carrier.answer(() => new Promise<SubmitResult>((resolve) => (answerLate = resolve)));
    const m = await t.send();
    await t.engine.start();
    await t.carrier.submitted(1);
    await t.statuses.reached(m.id, 'initiated');
    // The engine "dies" here: its claim of the job is still leased, the message `initiated`.

    const next = await restart();
    await next.engine.start();
    const [again] = await next.carrier.submitted(1);
    expect(again).toMatchObject({ messageId: m.id, attempt: 2 });
    await next.statuses.reached(m.id, 'sent');

    answerLate({ outcome: 'accepted', carrierMessageId: 'late-answer', parts: 1 });
    await t.engine.stop();
    expect(t.statuses.of(m.id)).toEqual(['queued', 'initiated']);
    expect(await next.message(m.id)).toMatchObject({ status: 'sent', carrierMessageId: 'scripted-1' });
    expect(await next.timeline(m.id)).toEqual(['queued', 'initiated', 'sent']);
    await next.engine.stop();
  });

  it("hands messages still awaiting a receipt to the carrier's recover() at start, and records the receipt", async () => {
    const awaiting = await t.send();
    const finished = await t.send({ body: 'delivered before the restart' });
    await t.engine.start();
    const [, second] = await t.carrier.submitted(2);
    t.carrier.report(t.carrier.receipt(second!, 'delivered'));
    await t.statuses.reached(finished.id, 'delivered');
    await t.statuses.reached(awaiting.id, 'sent');
    const sentAt = (await t.message(awaiting.id)).sentAt;
    await t.engine.stop();

    const next = await restart();
    await next.engine.start();
    expect(next.carrier.recovered).toEqual([
      { messageId: awaiting.id, projectId: t.project.id, to: HANDSET, from: TEST_NUMBERS[0], body: awaiting.body, media: [], kind: 'sms', segments: 1, sentAt },
    ]);
    next.carrier.report(next.carrier.receipt(next.carrier.recovered[0]!, 'delivered'));
    await next.statuses.reached(awaiting.id, 'delivered');
    expect(await next.timeline(awaiting.id)).toEqual(['queued', 'initiated', 'sent', 'delivered']);
    // Recovered, not sent again.
    expect(next.carrier.submissions).toEqual([]);
    await next.engine.stop();
  });
});

describe('a stop', () => {
  /** A fresh engine with this stop grace whose carrier holds its first batch; resolves with the function that answers it. */
  async function engineHoldingABatch(stopGraceMs: number): Promise<(r: SubmitResult) => void> {
    await t.close();
    t = await buildTestEngine(await inMemory(), { options: { dispatch: { batchSize: 100, concurrency: 2, leaseMs: 30_000, retry: TEST_RETRY, stopGraceMs } } });
    let answer!: (r: SubmitResult) => void;
    t.carrier.answer(() => new Promise<SubmitResult>((resolve) => (answer = resolve)));
    return (r) => answer(r);
  }

  // A carrier still holding a batch past the dispatcher's grace (the simulator on a manual clock, or
  // with a long delay) answers it "transient" as it stops; the engine's stop returned before that
  // answer was recorded, so the server closed its store under the write and logged an error with
  // its stack at every Ctrl-C.
  it('returns once the answers a carrier gave as it stopped are recorded', async () => {
    const answerAtStop = await engineHoldingABatch(50);
    const stopCarrier = t.carrier.stop.bind(t.carrier);
    t.carrier.stop = async () => {
      answerAtStop({ outcome: 'transient', detail: 'carrier stopping' });
      await stopCarrier();
    };
    await t.send();
    await t.engine.start();
    await t.carrier.submitted(1);
    let rescheduled = false;
    void t.store.nextCall('jobs.reschedule').then(() => (rescheduled = true));
    await t.engine.stop();
    expect(rescheduled).toBe(true);
    expect(t.logger.messages('error')).toEqual([]);
  });

  it('does not wait for batches a carrier hands back when told the engine is stopping', async () => {
    // No end to the grace: the stop returns only if the held batch comes back.
    const handBack = await engineHoldingABatch(Infinity);
    t.carrier.engineStopping = () => handBack({ outcome: 'transient', detail: 'carrier stopping' });
    await t.send();
    await t.engine.start();
    await t.carrier.submitted(1);
    let rescheduled = false;
    void t.store.nextCall('jobs.reschedule').then(() => (rescheduled = true));
    await t.engine.stop();
    expect(rescheduled).toBe(true);
  });
});

/**
 * The dispatcher through the engine: what each carrier answer does to a message and its job, the
 * validity period and MaxPrice checks at claim time, and a receipt that outruns its submit answer.
 * Retries come due by the manual clock and `engine.wake()`, never by waiting.
 */
import { backoffDelay, ERRORS, type ErrorKey } from '@switchboard/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InProcessBus } from '../../bus/in-process-bus.js';
import type { CarrierSubmission, SubmitResult } from '../../domain/ports/carrier.js';
import { openSqliteStore } from '../../store/dialects/sqlite.js';
import type { ScriptedAnswer } from '../testing/scripted-carrier.js';
import { buildTestEngine, TEST_NUMBERS, TEST_RETRY, type TestEngine } from '../testing/test-engine.js';

const inMemory = async () => ({ store: await openSqliteStore({ file: ':memory:' }), bus: new InProcessBus() });

let t: TestEngine;
beforeEach(async () => (t = await buildTestEngine(await inMemory())));
afterEach(() => t.close());

/** The stored failure fields a catalogue error gives. */
const failure = (key: ErrorKey, detail?: string) => ({
  errorCode: String(ERRORS[key].compat),
  reason: ERRORS[key].native,
  errorMessage: detail ? `${ERRORS[key].message} (${detail})` : ERRORS[key].message,
});

/** Resolves when the dispatcher has looked for due work and found none due before `after` (ms). */
const idleUntilAfter = (after: number) => t.store.nextCall<number | undefined>('jobs.nextRunAt', (next) => next !== undefined && next > after);

describe('carrier answers', () => {
  it('a rejection fails the message with the catalogue error and finishes its job', async () => {
    t.carrier.answer({ outcome: 'rejected', error: 'HANDSET_UNKNOWN', detail: 'no such subscriber' });
    const m = await t.send();
    await t.engine.start();
    const failed = await t.statuses.reached(m.id, 'failed');
    expect(failed.message).toMatchObject({ carrier: 'scripted', carrierMessageId: null, ...failure('HANDSET_UNKNOWN', 'no such subscriber') });
    expect(await t.message(m.id)).toMatchObject({ status: 'failed', ...failure('HANDSET_UNKNOWN', 'no such subscriber') });
    expect(await t.timeline(m.id)).toEqual(['queued', 'initiated', 'failed']);
    expect(await t.engine.backlog()).toEqual({ dispatch: 0, webhooks: 0 });
    expect(t.metrics.submitted).toEqual({ 'scripted:rejected': 1 });
  });

  // The first try is attempt 1; the retry after it is the policy's retry 0, which waits initialMs.
  const firstRetry = backoffDelay(TEST_RETRY, 0);
  it.each<[string, ScriptedAnswer, number]>([
    ['a transient failure waits the retry backoff', { outcome: 'transient', detail: 'link down' }, firstRetry],
    ['a throttled answer waits as long as the carrier asked', { outcome: 'throttled', retryAfterMs: 5_000 }, 5_000],
    [
      'a carrier that throws counts as a transient failure',
      () => {
        throw new Error('socket closed');
      },
      firstRetry,
    ],
  ])('%s, then the message is submitted again once due', async (_title, answer, delay) => {
    t.carrier.answer(answer);
    const m = await t.send();
    const rescheduled = idleUntilAfter(t.clock.now());
    await t.engine.start();
    expect(await rescheduled).toBe(t.clock.now() + delay);
    expect(await t.message(m.id)).toMatchObject({ status: 'initiated', errorCode: null });

    // Not due yet: a wake finds nothing to do.
    t.clock.advance(delay - 1);
    const idle = idleUntilAfter(t.clock.now());
    t.engine.wake();
    await idle;
    expect(t.carrier.submissions).toHaveLength(1);

    t.clock.advance(1);
    t.engine.wake();
    await t.statuses.reached(m.id, 'sent');
    expect(t.carrier.submissions.map((s) => [s.messageId, s.attempt])).toEqual([
      [m.id, 1],
      [m.id, 2],
    ]);
    expect(await t.timeline(m.id)).toEqual(['queued', 'initiated', 'sent']);
  });

  it("a carrier that says it can send again has its retries submitted at once, not at their backoff", async () => {
    t.carrier.answer({ outcome: 'transient', detail: 'SMSC answered no submit_sm for 5 s' });
    const m = await t.send();
    const rescheduled = idleUntilAfter(t.clock.now());
    await t.engine.start();
    expect(await rescheduled).toBe(t.clock.now() + firstRetry);
    // The clock does not move: only the carrier's word brings the retry forward.
    t.carrier.sink.available?.('scripted');
    await t.statuses.reached(m.id, 'sent');
    expect(t.carrier.submissions.map((s) => [s.messageId, s.attempt])).toEqual([
      [m.id, 1],
      [m.id, 2],
    ]);
  });

  it('logs answers asking for a retry once per carrier, not once per message and retry, and says when it accepts again', async () => {
    const down = { outcome: 'transient', detail: 'no SMPP bind up for 5 s' } as const;
    t.carrier.answer(...Array.from({ length: 10 }, () => down));
    const sent = await Promise.all([1, 2, 3, 4, 5].map(() => t.send()));
    const rescheduled = idleUntilAfter(t.clock.now());
    await t.engine.start();
    await rescheduled;
    // Their retries, answered the same way.
    const again = idleUntilAfter(t.clock.now() + firstRetry);
    t.clock.advance(firstRetry);
    t.engine.wake();
    await again;
    expect(t.carrier.submissions).toHaveLength(10);
    const warned = t.logger.entries.filter((e) => e.level === 'warn' && e.msg?.startsWith('carrier failed transiently'));
    expect(warned).toHaveLength(1);
    expect(warned[0]!.obj).toMatchObject({ carrier: 'scripted', messages: 5, detail: 'no SMPP bind up for 5 s' });
    // The rest went to debug, and the carrier's recovery ends the run with one line.
    expect(t.logger.entries.filter((e) => e.level === 'debug' && e.msg === 'carrier failed transiently; will retry')).toHaveLength(1);
    t.clock.advance(backoffDelay(TEST_RETRY, 1));
    t.engine.wake();
    for (const m of sent) await t.statuses.reached(m.id, 'sent');
    const recovered = t.logger.entries.filter((e) => e.msg === 'carrier accepts messages again');
    expect(recovered).toHaveLength(1);
    expect(recovered[0]!.obj).toMatchObject({ carrier: 'scripted', failures: 2, suppressed: 1 });
  });

  it('a retry that would come after the validity period fails the message expired instead', async () => {
    t.carrier.answer({ outcome: 'transient', detail: 'link down' });
    const m = await t.send({ validityPeriod: 30 });
    const rescheduled = idleUntilAfter(t.clock.now());
    await t.engine.start();
    expect(await rescheduled).toBe(m.expiresAt);
    t.clock.set(m.expiresAt);
    t.engine.wake();
    const failed = await t.statuses.reached(m.id, 'failed');
    expect(failed.message).toMatchObject(failure('VALIDITY_EXPIRED'));
    expect(t.carrier.submissions).toHaveLength(1);
  });
});

describe('checks at claim time', () => {
  it('fails a message whose validity period ran out before dispatch, and sends the others', async () => {
    const expired = await t.send({ validityPeriod: 60 });
    t.clock.advance(30_000);
    const valid = await t.send({ validityPeriod: 60 });
    t.clock.advance(30_000);
    await t.engine.start();
    const failed = await t.statuses.reached(expired.id, 'failed');
    expect(failed.message).toMatchObject(failure('VALIDITY_EXPIRED'));
    expect(failed.event.detail).toMatchObject({ validity_period: 60, reason: 'message_validity_period_expired' });
    expect(await t.timeline(expired.id)).toEqual(['queued', 'failed']);
    await t.statuses.reached(valid.id, 'sent');
    expect(t.carrier.submissions.map((s) => s.messageId)).toEqual([valid.id]);
  });

  it('prices a message at dispatch and fails one whose price exceeds its MaxPrice', async () => {
    await t.close();
    t = await buildTestEngine(await inMemory(), { options: { pricing: { unit: 'USD', rules: [{ prefix: '+1555', kind: null, direction: 'outbound', perSegment: 0.0075 }] } } });
    const cheap = await t.send({ maxPrice: '0.01' });
    const dear = await t.send({ maxPrice: '0.005' });
    await t.engine.start();
    const failed = await t.statuses.reached(dear.id, 'failed');
    expect(failed.message).toMatchObject(failure('MAX_PRICE_EXCEEDED', 'price 0.0075 USD > MaxPrice 0.005'));
    const sent = await t.statuses.reached(cheap.id, 'sent');
    expect(sent.message.price).toBe(0.0075);
    expect(t.carrier.submissions.map((s) => s.messageId)).toEqual([cheap.id]);
  });
});

describe.each([
  ['', false],
  [', also where sent is inferred from receipts (several nodes, SMPP)', true],
])('a receipt that outruns its submit answer%s', (_, inferSentFromReceipts) => {
  beforeEach(async () => {
    if (!inferSentFromReceipts) return;
    await t.close();
    t = await buildTestEngine(await inMemory(), { options: { inferSentFromReceipts } });
  });

  it('is held until `sent` is recorded, so the message ends delivered with sent before it', async () => {
    t.carrier.answer((s) => {
      t.carrier.report(t.carrier.receipt(s, 'delivered'));
      return t.carrier.accept(s);
    });
    const m = await t.send();
    await t.engine.start();
    await t.statuses.reached(m.id, 'delivered');
    expect(await t.message(m.id)).toMatchObject({ status: 'delivered', carrierMessageId: 'scripted-1' });
    expect(await t.timeline(m.id)).toEqual(['queued', 'initiated', 'sent', 'delivered']);
    expect(t.statuses.of(m.id)).toEqual(['queued', 'initiated', 'sent', 'delivered']);
  });
});

describe('messages written while the dispatcher runs', () => {
  it('are taken at once, written `initiated` with their jobs leased to this node: no claim, no wake-up through the queue', async () => {
    await t.engine.start();
    // The first message of a sender goes through a claim, which learns the sender's rate (none);
    // the claim after it finds nothing and looks for the next due time.
    let anySent = false;
    t.bus.subscribe('message.status', (e) => (anySent ||= e.status === 'sent'));
    const settled = t.store.nextCall('jobs.nextRunAt', () => anySent);
    const first = await t.send();
    await t.statuses.reached(first.id, 'sent');
    await settled;
    const woken: string[] = [];
    t.bus.subscribe('work.available', (e) => woken.push(e.queue));
    const transactions = t.store.transactions;
    const [a, b] = [await t.send(), await t.send()];
    // The caller is answered with the message as accepted.
    expect([a.status, b.status]).toEqual(['queued', 'queued']);
    await t.statuses.reached(a.id, 'sent');
    await t.statuses.reached(b.id, 'sent');
    expect(woken).not.toContain('dispatch');
    expect(t.carrier.submissions.map((s) => [s.messageId, s.attempt])).toEqual([
      [first.id, 1],
      [a.id, 1],
      [b.id, 1],
    ]);
    expect(await t.timeline(a.id)).toEqual(['queued', 'initiated', 'sent']);
    expect(t.statuses.of(a.id)).toEqual(['queued', 'initiated', 'sent']);
    expect(await t.engine.backlog()).toEqual({ dispatch: 0, webhooks: 0 });
    // Per message: its create and the carrier's answer; no claim (group commit may join them further).
    expect(t.store.transactions - transactions).toBeLessThanOrEqual(4);
  });

  it('are still taken while every batch slot sends a small batch: one batch may wait for the next free slot', async () => {
    await t.engine.start();
    await t.statuses.reached((await t.send()).id, 'sent');
    // Two batches of one message each, held at the carrier: both slots (concurrency 2) are busy.
    const release: Array<() => void> = [];
    const held = (s: CarrierSubmission) => new Promise<SubmitResult>((resolve) => release.push(() => resolve(t.carrier.accept(s))));
    t.carrier.answer(held, held);
    const a = await t.send();
    await t.carrier.submitted(2);
    const b = await t.send();
    await t.carrier.submitted(3);
    const woken: string[] = [];
    t.bus.subscribe('work.available', (e) => woken.push(e.queue));
    const c = await t.send();
    // Taken by this node (written `initiated`, its job leased), not left in the queue for a claim.
    expect(await t.message(c.id)).toMatchObject({ status: 'initiated' });
    expect(woken).not.toContain('dispatch');
    for (const r of release) r();
    for (const m of [a, b, c]) await t.statuses.reached(m.id, 'sent');
    expect(await t.timeline(c.id)).toEqual(['queued', 'initiated', 'sent']);
    expect(t.carrier.submissions.slice(1).map((s) => [s.messageId, s.attempt])).toEqual([
      [a.id, 1],
      [b.id, 1],
      [c.id, 1],
    ]);
  });

  it('a message from a sender with a rate is left `queued` for the claim, which takes its slot', async () => {
    await t.engine.start();
    await t.statuses.reached((await t.send()).id, 'sent');
    const n = await t.engine.reads.numbers.list(t.project.id, { numberContains: TEST_NUMBERS[0] }, { limit: 1 });
    await t.engine.numbers.update(t.project.id, n[0]!.id, { messages_per_second: 1 });
    const woken: string[] = [];
    t.bus.subscribe('work.available', (e) => woken.push(e.queue));
    const rated = await t.send();
    expect(woken).toContain('dispatch');
    await t.statuses.reached(rated.id, 'sent');
    expect(await t.timeline(rated.id)).toEqual(['queued', 'initiated', 'sent']);
  });

  it('one that waited in memory past half its lease is left to the claim after the lease ends (never two senders)', async () => {
    await t.engine.start();
    await t.statuses.reached((await t.send()).id, 'sent');
    const m = await t.send();
    // The pass that would take it runs on the next turn; by then half the 30 s lease is gone.
    t.clock.advance(15_001);
    const idle = idleUntilAfter(t.clock.now());
    t.engine.wake();
    await idle;
    expect(t.carrier.submissions).toHaveLength(1);
    // Written `initiated` (this node took it), but not submitted.
    expect(await t.message(m.id)).toMatchObject({ status: 'initiated' });

    // Its lease (30 s from when it was written) ends: any node's claim takes it, as attempt 2.
    t.clock.advance(30_000 - 15_001);
    t.engine.wake();
    await t.statuses.reached(m.id, 'sent');
    expect(t.carrier.submissions.slice(1).map((s) => [s.messageId, s.attempt])).toEqual([[m.id, 2]]);
    expect(await t.timeline(m.id)).toEqual(['queued', 'initiated', 'sent']);
  });

  it('one left so is claimed when its lease ends, with nothing else to wake the dispatcher', async () => {
    const started = t.store.nextCall<number | undefined>('jobs.nextRunAt', (next) => next === undefined);
    await t.engine.start();
    await started;
    const first = await t.send();
    // The claim after the first message's batch finds the queue empty: the dispatcher is idle, no timer armed.
    const emptied = t.store.nextCall<number | undefined>('jobs.nextRunAt', (next) => next === undefined);
    await t.statuses.reached(first.id, 'sent');
    await emptied;
    const m = await t.send();
    t.clock.advance(15_001);
    // No wake-up from outside and no other message: only the clock moves, to just past the lease.
    await t.clock.advanceInSteps(30_000 - 15_001 + 1);
    expect(await t.message(m.id)).toMatchObject({ status: 'sent' });
    expect(t.carrier.submissions.slice(1).map((s) => [s.messageId, s.attempt])).toEqual([[m.id, 2]]);
  });
});

/**
 * Per-sender queues and scheduled sends through the engine, on the manual clock: a rated sender's
 * messages go one slot apart while an unrated sender's go at once, a job is charged for its slot
 * once, a message whose slot comes after its expiry fails expired without taking the slot, and a
 * scheduled message waits for its time or is canceled. Slots come due by `clock.advance` and
 * `engine.wake()`, never by waiting.
 */
import { ERRORS } from '@switchboard/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InProcessBus } from '../../bus/in-process-bus.js';
import { AppError } from '../../domain/app-error.js';
import type { JobRecord } from '../../domain/jobs.js';
import type { MessageRecord } from '../../domain/message.js';
import { openSqliteStore } from '../../store/dialects/sqlite.js';
import type { KyselyStore } from '../../store/kysely-store.js';
import { buildTestEngine, HANDSET, TEST_NUMBERS, type TestEngine } from '../testing/test-engine.js';
import { InboundRouter } from './inbound-router.js';
import { MAX_SLOT_AHEAD_MS, planSlots, senderKey, type RatedJob } from './sender-queues.js';

const inMemory = async () => ({ store: await openSqliteStore({ file: ':memory:' }), bus: new InProcessBus() });

function rated(id: number, from: string, rate: number, extra: Partial<MessageRecord> = {}): RatedJob {
  const message = { id: `m${id}`, projectId: 'p', from, kind: 'sms', segments: 1, expiresAt: 1_000_000, ...extra } as MessageRecord;
  return { job: { id } as JobRecord, message, rate, carrierKind: 'smpp' };
}

describe('planSlots', () => {
  it('takes a next free time that is Infinity or further than any rate allows (stored before rates were bounded) as free now', () => {
    for (const stored of [Infinity, 10_000 + MAX_SLOT_AHEAD_MS + 1]) {
      const plan = planSlots([rated(1, '+15550000001', 2), rated(2, '+15550000001', 2)], new Map([[senderKey('p', '+15550000001'), stored]]), 10_000);
      expect(plan.now.map((j) => j.job.id)).toEqual([1]);
      expect(plan.later).toEqual([{ id: 2, slotAt: 10_500 }]);
      expect(plan.next.get(senderKey('p', '+15550000001'))).toBe(11_000);
    }
    // The furthest a rate allows still stands.
    const far = planSlots([rated(1, '+15550000001', 2, { expiresAt: Number.MAX_SAFE_INTEGER })], new Map([[senderKey('p', '+15550000001'), 10_000 + MAX_SLOT_AHEAD_MS]]), 10_000);
    expect(far.later).toEqual([{ id: 1, slotAt: 10_000 + MAX_SLOT_AHEAD_MS }]);
  });

  it('gives a sender one slot per segment at its rate, starting at its next free time', () => {
    const jobs = [1, 2, 3, 4, 5, 6].map((i) => rated(i, '+15550000001', 2));
    const plan = planSlots(jobs, new Map(), 10_000);
    expect(plan.now.map((j) => j.job.id)).toEqual([1]);
    expect(plan.later).toEqual([2, 3, 4, 5, 6].map((id, i) => ({ id, slotAt: 10_500 + i * 500 })));
    expect(plan.next.get(senderKey('p', '+15550000001'))).toBe(13_000);
  });

  it('charges a message its segments, and keeps senders apart', () => {
    const plan = planSlots([rated(1, 'A', 1, { segments: 3 }), rated(2, 'A', 1), rated(3, 'B', 1)], new Map([[senderKey('p', 'A'), 9_000]]), 10_000);
    expect(plan.now.map((j) => j.job.id)).toEqual([1, 3]);
    expect(plan.later).toEqual([{ id: 2, slotAt: 13_000 }]);
  });

  it('stores whole milliseconds for a rate that does not divide a second, never earlier than the rate allows', () => {
    // 3/s (the toll-free default): 333.33… ms a slot. PostgreSQL's bigint columns refuse fractions.
    const plan = planSlots([1, 2, 3, 4].map((i) => rated(i, 'A', 3)), new Map(), 10_000);
    expect(plan.later).toEqual([{ id: 2, slotAt: 10_334 }, { id: 3, slotAt: 10_667 }, { id: 4, slotAt: 11_000 }]);
    expect(plan.next.get(senderKey('p', 'A'))).toBe(11_334);
    // Faster than one a millisecond: several share a millisecond, none before its exact slot.
    const fast = planSlots([1, 2, 3, 4, 5].map((i) => rated(i, 'B', 4_000)), new Map(), 10_000);
    expect(fast.now.map((j) => j.job.id)).toEqual([1]);
    expect(fast.later).toEqual([{ id: 2, slotAt: 10_001 }, { id: 3, slotAt: 10_001 }, { id: 4, slotAt: 10_001 }, { id: 5, slotAt: 10_001 }]);
    expect(fast.next.get(senderKey('p', 'B'))).toBe(10_002);
  });

  it('sends a message whose slot would come after its expiry to fail at its expiry, without taking the slot', () => {
    const plan = planSlots([rated(1, 'A', 1), rated(2, 'A', 1, { expiresAt: 10_500 }), rated(3, 'A', 1)], new Map(), 10_000);
    expect(plan.later).toEqual([
      { id: 2, slotAt: 10_500 },
      { id: 3, slotAt: 11_000 },
    ]);
  });
});

describe('per-sender rates in the dispatcher', () => {
  let t: TestEngine;
  let raw: KyselyStore;
  beforeEach(async () => {
    const adapters = await inMemory();
    raw = adapters.store;
    t = await buildTestEngine(adapters);
  });
  const slotRows = async () => (await raw.db.selectFrom('sender_slots').selectAll().execute()).length;
  afterEach(() => t.close());

  const setRate = async (number: string, rate: number | null) => {
    const n = await t.engine.reads.numbers.list(t.project.id, { numberContains: number }, { limit: 1 });
    await t.engine.numbers.update(t.project.id, n[0]!.id, { messages_per_second: rate });
  };

  it('releases a 2/s sender one message per 500 ms while another sender is not held behind it', async () => {
    await setRate(TEST_NUMBERS[0], 2);
    const slow = [];
    for (let i = 0; i < 6; i++) slow.push(await t.send({ from: TEST_NUMBERS[0] }));
    const fast = [await t.send({ from: TEST_NUMBERS[1] }), await t.send({ from: TEST_NUMBERS[1] })];
    await t.engine.start();
    // At once: the rated sender's first message and both of the unrated sender's.
    const first = await t.carrier.submitted(3);
    expect(first.map((s) => s.messageId).sort()).toEqual([slow[0]!.id, ...fast.map((m) => m.id)].sort());
    expect((await t.message(slow[1]!.id)).status).toBe('queued');
    for (let i = 1; i < 6; i++) {
      t.clock.advance(499);
      t.engine.wake();
      await new Promise((r) => setTimeout(r, 20));
      expect(t.carrier.submissions).toHaveLength(2 + i);
      t.clock.advance(1);
      t.engine.wake();
      const now = await t.carrier.submitted(3 + i);
      expect(now.at(-1)!.messageId).toBe(slow[i]!.id);
    }
    // Each job was charged once: nothing is left waiting.
    await t.statuses.reached(slow[5]!.id, 'sent');
    expect(await t.engine.backlog()).toEqual({ dispatch: 0, webhooks: 0 });
  });

  it('senders without a rate take no slot: their claims write nothing to sender_slots', async () => {
    const sent = [await t.send(), await t.send({ from: TEST_NUMBERS[1] })];
    await t.engine.start();
    for (const m of sent) await t.statuses.reached(m.id, 'sent');
    expect(await slotRows()).toBe(0);
    await setRate(TEST_NUMBERS[0], 5);
    const rated = await t.send();
    await t.statuses.reached(rated.id, 'sent');
    expect(await slotRows()).toBe(1);
  });

  it('plans jobs released by a rate change made on another node at the new rate, before the news of it arrives', async () => {
    await setRate(TEST_NUMBERS[0], 0.01);
    const msgs = [await t.send(), await t.send(), await t.send()];
    await t.engine.start();
    await t.carrier.submitted(1);
    expect((await t.message(msgs[1]!.id)).status).toBe('queued');
    // What another node's NumberService writes; this node's bus never hears of it (its cache still says 0.01/s).
    const key = senderKey(t.project.id, TEST_NUMBERS[0]);
    await raw.db.updateTable('phone_numbers').set({ messages_per_second: 10 }).where('number', '=', TEST_NUMBERS[0]).execute();
    expect(await raw.transaction((tx) => tx.jobs.releaseSenderSlots(key, t.project.id, TEST_NUMBERS[0], t.clock.now()))).toBe(2);
    t.engine.wake();
    await t.carrier.submitted(2);
    // The third goes one slot (100 ms at 10/s) later, not 100 s.
    t.clock.advance(100);
    t.engine.wake();
    await t.carrier.submitted(3);
    expect(t.carrier.submissions.map((s) => s.messageId)).toEqual(msgs.map((m) => m.id));
  });

  it('sends at once the released jobs of a sender whose rate was removed on another node', async () => {
    await setRate(TEST_NUMBERS[0], 0.01);
    const msgs = [await t.send(), await t.send(), await t.send()];
    await t.engine.start();
    await t.carrier.submitted(1);
    await raw.db.updateTable('phone_numbers').set({ messages_per_second: null }).where('number', '=', TEST_NUMBERS[0]).execute();
    await raw.transaction((tx) => tx.jobs.releaseSenderSlots(senderKey(t.project.id, TEST_NUMBERS[0]), t.project.id, TEST_NUMBERS[0], t.clock.now()));
    t.engine.wake();
    // Both at once, the clock not moving.
    expect((await t.carrier.submitted(3)).map((s) => s.messageId)).toEqual(msgs.map((m) => m.id));
  });

  // Held slots that passed while no node dispatched (a restart, a stalled node) were all sent the
  // moment the queue was read again: a 1/s long code's backlog went to its carrier in one burst.
  it('keeps the rate after a pause: held slots that passed while nothing dispatched are planned again from now', async () => {
    await setRate(TEST_NUMBERS[0], 1);
    const msgs = [];
    for (let i = 0; i < 5; i++) msgs.push(await t.send());
    await t.engine.start();
    await t.carrier.submitted(1);
    await t.engine.stop();
    // Down for 100 s: every held slot (+1 … +4 s) has passed when the next run starts.
    t.clock.advance(100_000);
    const restarted = t.clock.now();
    const next = await buildTestEngine({ store: t.store.inner, bus: new InProcessBus() }, { clock: t.clock, ids: t.ids });
    await next.engine.start();
    try {
      await next.carrier.submitted(1);
      await new Promise((r) => setTimeout(r, 50));
      expect(next.carrier.submissions).toHaveLength(1);
      for (let i = 2; i <= 4; i++) {
        t.clock.advance(1_000);
        next.engine.wake();
        await next.carrier.submitted(i);
      }
    } finally {
      await next.engine.stop();
    }
    expect(next.carrier.submissions.map((s) => s.messageId)).toEqual(msgs.slice(1).map((m) => m.id));
    const sentAt = [];
    for (const m of msgs.slice(1)) sentAt.push((await t.store.events.listForMessage(t.project.id, m.id)).find((e) => e.status === 'initiated')!.at - restarted);
    expect(sentAt).toEqual([0, 1_000, 2_000, 3_000]);
  });

  it('after a pause, plans the held jobs not yet due after the late ones, without a wake-up from outside', async () => {
    await setRate(TEST_NUMBERS[0], 0.1);
    const msgs = [];
    for (let i = 0; i < 4; i++) msgs.push(await t.send());
    await t.engine.start();
    await t.carrier.submitted(1);
    await t.engine.stop();
    // Slots at +10, +20, +30 s; back at +16 s: only the first has passed (by 6 s).
    t.clock.advance(16_000);
    const restarted = t.clock.now();
    const next = await buildTestEngine({ store: t.store.inner, bus: new InProcessBus() }, { clock: t.clock, ids: t.ids });
    await next.engine.start();
    try {
      await next.carrier.submitted(1);
      // A second at a time, only the clock moving: each slot's timer must have been armed.
      for (let s = 0; s < 20; s++) {
        await new Promise((r) => setTimeout(r, 20));
        t.clock.advance(1_000);
      }
      await next.carrier.submitted(3);
    } finally {
      await next.engine.stop();
    }
    const sentAt = [];
    for (const m of msgs.slice(1)) sentAt.push((await t.store.events.listForMessage(t.project.id, m.id)).find((e) => e.status === 'initiated')!.at - restarted);
    expect(sentAt).toEqual([0, 10_000, 20_000]);
  });

  it('a message whose slot comes after its validity period fails expired (30036) and sends nothing', async () => {
    await setRate(TEST_NUMBERS[0], 1);
    const sent = await t.send();
    const expiring = await t.send({ validityPeriod: 1 });
    await t.engine.start();
    await t.carrier.submitted(1);
    t.clock.advance(1_000);
    t.engine.wake();
    const failed = await t.statuses.reached(expiring.id, 'failed');
    expect(failed.message).toMatchObject({ errorCode: '30036', reason: ERRORS.VALIDITY_EXPIRED.native });
    expect(t.carrier.submissions.map((s) => s.messageId)).toEqual([sent.id]);
  });
});

describe('queue overflow', () => {
  let t: TestEngine;
  beforeEach(async () => (t = await buildTestEngine(await inMemory(), { options: { senderRates: { defaults: { longcode: 1, 'toll-free': 1, shortcode: 1 }, queueLimitSeconds: 2 } } })));
  afterEach(() => t.close());

  it('refuses a send (QUEUE_OVERFLOW) while the sender’s queue reaches past the limit, and accepts again once it drains', async () => {
    const queued = [];
    for (let i = 0; i < 4; i++) queued.push(await t.send());
    await t.engine.start();
    await t.carrier.submitted(1);
    // Slots at +0, +1, +2, +3 s: the next free one is 4 s away, over the 2 s limit.
    await expect(t.send()).rejects.toSatisfy((e: unknown) => e instanceof AppError && e.details[0]!.key === 'QUEUE_OVERFLOW');
    // Another sender is not affected.
    await t.send({ from: TEST_NUMBERS[1] });
    t.clock.advance(3_000);
    t.engine.wake();
    await t.statuses.reached(queued[3]!.id, 'sent');
    expect((await t.send()).status).toBe('queued');
  });

  it('still queues the reply to STOP/START/HELP, and sends it ahead of the backlog, while the queue is full', async () => {
    const queued = [];
    for (let i = 0; i < 4; i++) queued.push(await t.send());
    await t.engine.start();
    await t.carrier.submitted(1);
    await expect(t.send()).rejects.toSatisfy((e: unknown) => e instanceof AppError && e.details[0]!.key === 'QUEUE_OVERFLOW');
    for (const [body, action] of [['HELP', 'help'], ['STOP', 'stop'], ['START', 'start']] as const) {
      const [routed] = await t.engine.inbound.receive([{ from: HANDSET, to: TEST_NUMBERS[0], body, media: [], carrier: 'scripted', receivedAt: t.clock.now() }]);
      expect(routed).toMatchObject({ routed: true });
      const reply = (await t.engine.reads.messages.list(t.project.id, { to: HANDSET }, { limit: 50 })).find((m) => m.tags.includes(`opt-out:${action}`));
      expect(reply, `the ${body} reply`).toBeDefined();
      // Sent now, not at a slot after the four queued (the clock does not move).
      await t.statuses.reached(reply!.id, 'sent');
    }
    expect(t.metrics.repliesDropped).toEqual({});
    // The backlog keeps its slots.
    expect(await t.message(queued[3]!.id)).toMatchObject({ status: 'queued' });
  });

  it('neither counts nor logs as an error a reply to a handset address no message can go to', async () => {
    await t.engine.start();
    // A malformed source and an empty one (an SMSC's empty source_addr): TO_INVALID and TO_REQUIRED.
    const routed = await t.engine.inbound.receive(['+', ''].map((from) => ({ from, to: TEST_NUMBERS[0], body: 'HELP', media: [], carrier: 'scripted', receivedAt: t.clock.now() })));
    expect(routed).toMatchObject([{ routed: true }, { routed: true }]);
    expect(t.metrics.repliesDropped).toEqual({});
    expect(t.logger.messages('error')).toEqual([]);
    expect(t.logger.messages('info')).toContain('opt-out confirmation reply not sent: the handset address takes no message');
  });

  it('counts and logs as an error a reply that cannot be queued', async () => {
    const router = t.engine.inbound as unknown as { deps: ConstructorParameters<typeof InboundRouter>[0] };
    const failing = new InboundRouter({ ...router.deps, optOuts: { ...router.deps.optOuts!, acceptor: { accept: () => Promise.reject(new Error('disk full')) } as never } });
    const [routed] = await failing.receive([{ from: HANDSET, to: TEST_NUMBERS[0], body: 'stop', media: [], carrier: 'scripted', receivedAt: t.clock.now() }]);
    expect(routed).toMatchObject({ routed: true });
    expect(t.metrics.repliesDropped).toEqual({ stop: 1 });
    expect(t.logger.messages('error')).toContain('opt-out confirmation reply not sent (dropped)');
  });
});

describe('scheduled messages in the engine', () => {
  let t: TestEngine;
  beforeEach(async () => (t = await buildTestEngine(await inMemory())));
  afterEach(() => t.close());
  const inSeconds = (s: number) => new Date(t.clock.now() + s * 1000).toISOString();

  it('is created scheduled, sent at its time, and its validity runs from then', async () => {
    const m = await t.send({ sendAt: inSeconds(600), validityPeriod: 60 });
    expect(m).toMatchObject({ status: 'scheduled', expiresAt: t.clock.now() + 660_000 });
    await t.engine.start();
    t.clock.advance(599_000);
    t.engine.wake();
    await new Promise((r) => setTimeout(r, 20));
    expect(t.carrier.submissions).toHaveLength(0);
    t.clock.advance(1_000);
    t.engine.wake();
    await t.statuses.reached(m.id, 'sent');
    expect(await t.timeline(m.id)).toEqual(['scheduled', 'queued', 'initiated', 'sent']);
  });

  it('can be canceled while scheduled, and not once sent', async () => {
    const canceled = await t.send({ sendAt: inSeconds(600) });
    const sent = await t.send();
    await t.engine.start();
    await t.statuses.reached(sent.id, 'sent');
    expect(await t.engine.scheduled.cancel(t.project.id, canceled.id)).toMatchObject({ status: 'canceled' });
    await expect(t.engine.scheduled.cancel(t.project.id, sent.id)).rejects.toSatisfy((e: unknown) => e instanceof AppError && e.details[0]!.key === 'MESSAGE_NOT_CANCELABLE');
    t.clock.advance(600_000);
    t.engine.wake();
    await t.store.nextCall('jobs.nextRunAt', (next) => next === undefined);
    expect(t.carrier.submissions.map((s) => s.messageId)).toEqual([sent.id]);
    expect(await t.timeline(canceled.id)).toEqual(['scheduled', 'canceled']);
  });

  it('refuses to cancel a message in its carrier\'s hands in words both surfaces share (the Compatibility API has no `initiated`)', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    t.carrier.answer((s) => held.then(() => t.carrier.accept(s)));
    await t.engine.start();
    const m = await t.send();
    await t.carrier.submitted(1);
    const refused = await t.engine.scheduled.cancel(t.project.id, m.id).catch((err: unknown) => err);
    release();
    await t.statuses.reached(m.id, 'sent');
    expect((refused as Error).message).toBe('Only a scheduled message can be canceled; this one is being sent.');
  });

  it('answers two cancels of one message sent together both canceled: the second is not refused by the first', async () => {
    const m = await t.send({ sendAt: inSeconds(600) });
    const both = await Promise.allSettled([t.engine.scheduled.cancel(t.project.id, m.id), t.engine.scheduled.cancel(t.project.id, m.id)]);
    expect(both.map((r) => (r.status === 'fulfilled' ? r.value?.status : (r.reason as AppError).details[0]!.key))).toEqual(['canceled', 'canceled']);
    expect(await t.timeline(m.id)).toEqual(['scheduled', 'canceled']);
  });

  it('fails at its send time, sending nothing, when its number was released meanwhile', async () => {
    const m = await t.send({ sendAt: inSeconds(600) });
    const number = (await t.store.numbers.getByNumber(t.project.id, m.from))!;
    expect(await t.engine.numbers.release(t.project.id, number.id)).toBe(true);
    await t.engine.start();
    t.clock.advance(600_000);
    t.engine.wake();
    await t.statuses.reached(m.id, 'failed');
    expect(await t.store.messages.get(t.project.id, m.id)).toMatchObject({ status: 'failed', errorCode: '21210' });
    expect(t.carrier.submissions).toHaveLength(0);
  });

  it('refuses a send time too soon, too far or without a zone', async () => {
    for (const sendAt of [inSeconds(60), inSeconds(36 * 86_400), '2030-01-01T10:00:00']) {
      await expect(t.send({ sendAt })).rejects.toSatisfy((e: unknown) => e instanceof AppError && e.details[0]!.key === 'SEND_AT_INVALID');
    }
  });
});

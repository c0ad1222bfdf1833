/**
 * Fairness between projects at dispatch: a carrier slower than one project's arrivals builds that
 * project's backlog, and another project's message sharing the carrier must not wait behind all of
 * it. The carrier holds each batch until the test lets it go (`Gate`); the manual clock never moves,
 * so every job is due at the same instant and only the claim's and the adopted queue's order decide.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InProcessBus } from '../../bus/in-process-bus.js';
import type { CarrierSubmission, SubmitResult } from '../../domain/ports/carrier.js';
import type { ProjectRecord } from '../../domain/project.js';
import { openSqliteStore } from '../../store/dialects/sqlite.js';
import { buildTestEngine, HANDSET, TEST_NUMBERS, type TestEngine } from '../testing/test-engine.js';

const BATCH = 10;
const BACKLOG = 100;
const OTHER_NUMBER = '+15550000099';

/** A promise and the function that resolves it. */
function opening(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Holds every batch handed to the carrier until `release`, one batch at a time. */
class Gate {
  private current = opening();
  private opened = false;
  /** A carrier answer that waits for the gate as it stood when its batch was submitted. */
  readonly answer = (s: CarrierSubmission): Promise<SubmitResult> => (this.opened ? Promise.resolve(t.carrier.accept(s)) : this.current.promise.then(() => t.carrier.accept(s)));
  /** Let every batch through from now on. */
  open(): void {
    this.opened = true;
    this.current.resolve();
  }
  release(): void {
    const open = this.current;
    this.current = opening();
    open.resolve();
  }
}

let t: TestEngine;
let other: ProjectRecord;
let gate: Gate;
beforeEach(async () => {
  t = await buildTestEngine({ store: await openSqliteStore({ file: ':memory:' }), bus: new InProcessBus() }, { options: { dispatch: { batchSize: BATCH, concurrency: 1, leaseMs: 600_000, retry: { initialMs: 60_000, maxMs: 600_000 } } } });
  gate = new Gate();
  other = await t.engine.projects.createProject({ name: 'Other project' });
  await t.engine.numbers.register(other.id, { number: OTHER_NUMBER });
});
afterEach(async () => {
  gate.open();
  await t.close();
});

const sendOther = () => t.engine.acceptor.accept(other.id, { to: HANDSET, from: OTHER_NUMBER, body: 'one of few', media: undefined, callbackFormat: 'json', origin: 'rest' });

/** Release held batches until `messageId` has been submitted; the number of batches submitted by then. */
async function batchesUntilSubmitted(messageId: string): Promise<number> {
  for (let i = 0; i < BACKLOG; i++) {
    const at = t.carrier.batches.findIndex((b) => b.some((s) => s.messageId === messageId));
    if (at >= 0) return at + 1;
    const seen = t.carrier.batches.length;
    gate.release();
    // The next batch reaches the carrier (or the queue is empty).
    await t.carrier.submitted(t.carrier.submissions.length + 1);
    expect(t.carrier.batches.length).toBe(seen + 1);
  }
  throw new Error(`message ${messageId} was never submitted`);
}

describe('one project’s backlog on a slow carrier', () => {
  it('does not hold back another project’s message by the whole backlog', async () => {
    await t.engine.start();
    // Each project's first message learns its sender's rate (none) through a claim.
    await t.statuses.reached((await t.send()).id, 'sent');
    await t.statuses.reached((await sendOther()).id, 'sent');
    t.carrier.answer(...Array.from({ length: BACKLOG + 20 }, () => gate.answer));
    const first = t.carrier.batches.length;

    const backlog = [];
    for (let i = 0; i < BACKLOG; i++) backlog.push(await t.send({ from: TEST_NUMBERS[i % 2] }));
    const mine = await sendOther();
    const batches = (await batchesUntilSubmitted(mine.id)) - first;

    // The slot's batch, then a claim that shares its batch (not: the adopted batch, then 9 claims).
    expect(batches).toBeLessThanOrEqual(2);
    const before = t.carrier.submissions.findIndex((s) => s.messageId === mine.id);
    const aheadOfIt = t.carrier.submissions.slice(0, before).filter((s) => backlog.some((m) => m.id === s.messageId)).length;
    expect(aheadOfIt).toBeLessThanOrEqual(BATCH);
    // The backlog is still sent, all of it.
    gate.open();
    for (const m of backlog) await t.statuses.reached(m.id, 'sent');
    expect(await t.engine.backlog()).toEqual({ dispatch: 0, webhooks: 0 });
  });

  it('while that project keeps writing, a message of another left in the queue goes within a few batches', async () => {
    await t.engine.start();
    await t.statuses.reached((await t.send()).id, 'sent');
    await t.statuses.reached((await sendOther()).id, 'sent');
    t.carrier.answer(...Array.from({ length: 20 * BATCH }, () => gate.answer));
    const first = t.carrier.batches.length;
    for (let i = 0; i < 3 * BATCH; i++) await t.send();
    // Every slot is busy and the adopted messages fill the room: this one waits in the queue.
    const mine = await sendOther();
    expect(await t.engine.reads.messages.get(other.id, mine.id)).toMatchObject({ status: 'queued' });
    let submitted = -1;
    for (let round = 1; round <= 10 && submitted < 0; round++) {
      const seen = t.carrier.submissions.length;
      gate.release();
      await t.carrier.submitted(seen + 1);
      // The project writes on at least as fast as the carrier sends: new messages take the room freed.
      for (let i = 0; i < BATCH; i++) await t.send();
      if (t.carrier.submissions.some((s) => s.messageId === mine.id)) submitted = t.carrier.batches.length - first;
    }
    expect(submitted).toBeGreaterThan(0);
    expect(submitted).toBeLessThanOrEqual(3);
  });
});

/**
 * Tenants' simulator delays must not hold every dispatch slot of the node: with `delay_ms` 10000
 * and enough messages to fill every slot (from one project, or from several together), another
 * project's message still goes at once. The engine
 * on in-memory SQLite and a manual clock, the simulator as the only route; nothing here sleeps.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InProcessBus } from '../../bus/in-process-bus.js';
import { ManualClock } from '../../domain/clock.js';
import type { CarrierSubmission, SubmitResult } from '../../domain/ports/carrier.js';
import type { ProjectRecord } from '../../domain/project.js';
import { buildTestEngine, HANDSET, RecordingLogger, type TestEngine } from '../../engine/testing/test-engine.js';
import { openSqliteStore } from '../../store/dialects/sqlite.js';
import { SIMULATOR_ID, SimulatorCarrier } from './simulator-carrier.js';

const SLOTS = 3;
const BATCH = 5;
const OTHER_NUMBER = '+15550000099';
const SECOND_SLOW_NUMBER = '+15550000098';

/** The simulator, keeping every answer it gave. */
class WatchedSimulator extends SimulatorCarrier {
  readonly answers: Array<{ readonly s: CarrierSubmission; readonly r: SubmitResult }> = [];
  override async submit(batch: readonly CarrierSubmission[]): Promise<SubmitResult[]> {
    const results = await super.submit(batch);
    results.forEach((r, i) => this.answers.push({ s: batch[i]!, r }));
    return results;
  }
}

let t: TestEngine;
let sim: WatchedSimulator;
let other: ProjectRecord;
beforeEach(async () => {
  const store = await openSqliteStore({ file: ':memory:' });
  const bus = new InProcessBus();
  const clock = new ManualClock();
  sim = new WatchedSimulator(
    { delayMs: 0, delayedReceiptMs: 60_000, mmsReceipts: true, rules: [], inboxLimit: 1000, dispatchSlots: SLOTS },
    { inbox: store.handsets, settings: store.simulatorSettings, bus, logger: new RecordingLogger(), now: () => clock.now(), clock },
  );
  t = await buildTestEngine(
    { store, bus },
    { clock, carriers: [sim], options: { defaultCarrier: SIMULATOR_ID, dispatch: { batchSize: BATCH, concurrency: SLOTS, leaseMs: 30_000, retry: { initialMs: 60_000, maxMs: 600_000 } } } },
  );
  other = await t.engine.projects.createProject({ name: 'Other project' });
  await t.engine.numbers.register(other.id, { number: OTHER_NUMBER });
});
afterEach(async () => {
  await t.close();
});

const sendOther = () => t.engine.acceptor.accept(other.id, { to: HANDSET, from: OTHER_NUMBER, body: 'not behind the slow one', media: undefined, callbackFormat: 'json', origin: 'rest' });
const sendAs = (project: ProjectRecord, from: string) => t.engine.acceptor.accept(project.id, { to: HANDSET, from, body: 'slow', media: undefined, callbackFormat: 'json', origin: 'rest' });

describe("a project's long simulator delay", () => {
  it("keeps a slot for another project's messages, and still sends all of its own", async () => {
    await t.engine.start();
    await sim.updateSettings(t.project.id, { delayMs: 10_000 });
    const t0 = t.clock.now();
    // More than every slot holds: each message written while a slot is free is a batch of its own.
    const slow = [];
    for (let i = 0; i < 4 * SLOTS * BATCH; i++) slow.push(await t.send());
    const mine = await sendOther();
    const mineSentAt = t.statuses.reached(mine.id, 'sent').then(() => t.clock.now());

    await t.clock.advanceInSteps(180_000);

    // Sent at once (its project's delay is 0), not after the other project's 10 s.
    expect(await mineSentAt).toBe(t0);
    // The slow project was answered `throttled` past its window, at least once, and then sent all.
    expect(sim.answers.some((a) => a.s.projectId === t.project.id && a.r.outcome === 'throttled')).toBe(true);
    for (const m of slow) expect((await t.message(m.id)).status).toBe('delivered');
    // Never sooner than its delay after it was written.
    for (const m of slow) expect((await t.message(m.id)).sentAt! - m.createdAt).toBeGreaterThanOrEqual(10_000);
  });

  it("keeps a slot for another project's messages when several projects' delays fill the others", async () => {
    await t.engine.start();
    const second = await t.engine.projects.createProject({ name: 'Second slow project' });
    await t.engine.numbers.register(second.id, { number: SECOND_SLOW_NUMBER });
    await sim.updateSettings(t.project.id, { delayMs: 10_000 });
    await sim.updateSettings(second.id, { delayMs: 10_000 });
    const t0 = t.clock.now();
    // Each slow project alone keeps within its window (SLOTS - 1); together they would hold every slot.
    const slow = [];
    for (let i = 0; i < 2 * SLOTS * BATCH; i++) {
      slow.push(await t.send());
      slow.push(await sendAs(second, SECOND_SLOW_NUMBER));
    }
    const mine = await sendOther();
    const mineSentAt = t.statuses.reached(mine.id, 'sent').then(() => t.clock.now());

    await t.clock.advanceInSteps(180_000);

    expect(await mineSentAt).toBe(t0);
    for (const m of slow) {
      const stored = (await t.engine.reads.messages.get(m.projectId, m.id))!;
      expect(stored.status).toBe('delivered');
      expect(stored.sentAt! - m.createdAt).toBeGreaterThanOrEqual(10_000);
    }
  });
});

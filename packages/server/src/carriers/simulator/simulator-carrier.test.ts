/**
 * The simulator carrier with several projects: each project's rules and delays apply to its own
 * messages, a batch mixing projects is answered at the shortest delay (receipts keep each
 * project's timing), loopbacks name their sender, and the SMSC follows the operator project.
 * In-memory SQLite, the in-process bus and fake timers: the delays are the simulator's clock, not
 * the machine's.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InProcessBus } from '../../bus/in-process-bus.js';
import type { CarrierSubmission, InboundMessage, StatusReport, SubmitResult } from '../../domain/ports/carrier.js';
import type { Logger } from '../../domain/ports/logger.js';
import { parseOutcomeRules } from '../../domain/simulator/rules.js';
import { openSqliteStore } from '../../store/dialects/sqlite.js';
import type { KyselyStore } from '../../store/kysely-store.js';
import { SimulatorCarrier } from './simulator-carrier.js';

const OPERATOR = '00000000-0000-4000-8000-000000000001';
const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const quiet: Logger = { info() {}, warn() {}, error() {} };

let store: KyselyStore;
let carrier: SimulatorCarrier;
let reports: StatusReport[];
let inbound: InboundMessage[];

function submission(projectId: string, to: string, n: number): CarrierSubmission {
  return { messageId: `m-${projectId.slice(-1)}-${n}`, projectId, from: '+15550000001', to, body: 'hi', media: [], kind: 'sms', encoding: 'GSM-7', segments: 1, attempt: 1, expiresAt: Number.MAX_SAFE_INTEGER };
}

beforeEach(async () => {
  store = await openSqliteStore({ file: ':memory:' });
  for (const id of [OPERATOR, A, B]) await store.projects.create({ id, name: id, signingKey: 'PSK_x', createdAt: 0 });
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  reports = [];
  inbound = [];
  carrier = new SimulatorCarrier(
    { delayMs: 0, delayedReceiptMs: 200, mmsReceipts: false, rules: [], inboxLimit: 100 },
    { inbox: store.handsets, settings: store.simulatorSettings, bus: new InProcessBus(), logger: quiet, now: () => Date.now() },
  );
  await carrier.start({
    report: (r) => reports.push(...r),
    inbound: async (ms) => (inbound.push(...ms), ms.map(() => ({ routed: false }))),
  });
});
afterEach(async () => {
  await carrier.stop();
  vi.useRealTimers();
  await store.close();
});

describe('the simulator carrier, per project', () => {
  it("applies a project's outcome rules to its own messages only, in a batch shared with another project", async () => {
    await carrier.updateSettings(B, { rules: parseOutcomeRules([{ prefix: '+1555770', outcome: 'failed', error: 30007 }]) });
    const results = await carrier.submit([submission(A, '+15557700001', 1), submission(B, '+15557700001', 1)]);
    expect(results.map((r) => r.outcome)).toEqual(['accepted', 'rejected']);
    expect(await carrier.settingsOf(A)).toMatchObject({ rules: [] });
  });

  it("answers a mixed batch at the shortest delay; each project's receipts keep its own delay", async () => {
    await carrier.updateSettings(B, { delayMs: 5000 });
    const answered = carrier.submit([submission(A, '+15557700002', 1), submission(B, '+15557700002', 1)]);
    await vi.advanceTimersByTimeAsync(0);
    expect((await answered).map((r) => r.outcome)).toEqual(['accepted', 'accepted']);
    expect(reports.map((r) => r.messageId)).toEqual(['m-a-1']);
    await vi.advanceTimersByTimeAsync(9_999);
    expect(reports.map((r) => r.messageId)).toEqual(['m-a-1']);
    await vi.advanceTimersByTimeAsync(1);
    expect(reports.map((r) => r.messageId)).toEqual(['m-a-1', 'm-b-1']);
  });

  it('throttles a project holding every slot it may until its first answer; the others in its batch are answered at their delay', async () => {
    await carrier.stop();
    carrier = new SimulatorCarrier(
      { delayMs: 0, delayedReceiptMs: 200, mmsReceipts: false, rules: [], inboxLimit: 100, dispatchSlots: 3 },
      { inbox: store.handsets, settings: store.simulatorSettings, bus: new InProcessBus(), logger: quiet, now: () => Date.now() },
    );
    await carrier.start({ report: (r) => reports.push(...r), inbound: async (ms) => ms.map(() => ({ routed: false })) });
    await carrier.updateSettings(A, { delayMs: 10_000 });
    await carrier.settingsOf(B);
    const outcomes = (answer: Promise<SubmitResult[]>) => answer.then((rs) => rs.map((r) => r.outcome));
    const held = [outcomes(carrier.submit([submission(A, '+15557700004', 1)]))];
    await vi.advanceTimersByTimeAsync(4_000);
    held.push(outcomes(carrier.submit([submission(A, '+15557700004', 2)])));
    // Two of the three slots held: a third batch of A's waits for the first answer, 6 s from now.
    const third = carrier.submit([submission(A, '+15557700004', 3), submission(B, '+15557700004', 3)]);
    await vi.advanceTimersByTimeAsync(0);
    expect(await third).toEqual([{ outcome: 'throttled', retryAfterMs: 6_000 }, expect.objectContaining({ outcome: 'accepted' })]);
    await vi.advanceTimersByTimeAsync(6_000);
    expect(await held[0]).toEqual(['accepted']);
    // The first answer freed a slot: the next batch is taken (and answered 10 s on); one more is not.
    held.push(outcomes(carrier.submit([submission(A, '+15557700004', 4)])));
    const fifth = outcomes(carrier.submit([submission(A, '+15557700004', 5)]));
    await vi.advanceTimersByTimeAsync(0);
    expect(await fifth).toEqual(['throttled']);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await Promise.all(held.slice(1))).toEqual([['accepted'], ['accepted']]);
  });

  it('names the sending project of a loopback, so routing can apply the tenancy rule', async () => {
    await carrier.submit([submission(A, '+15551230002', 1)]);
    await vi.advanceTimersByTimeAsync(0);
    expect(inbound).toMatchObject([{ to: '+15551230002', loopbackFrom: A }]);
  });

  it("gives the SMSC the operator project's settings, and a tenant a shorter delay limit", async () => {
    carrier.useOperatorProject(OPERATOR);
    await carrier.updateSettings(A, { delayMs: 700 });
    expect(carrier.getSettings().delayMs).toBe(0);
    await carrier.updateSettings(OPERATOR, { delayMs: 300 });
    expect(carrier.getSettings().delayMs).toBe(300);
    expect(carrier.delayLimitMs(OPERATOR)).toBeGreaterThan(carrier.delayLimitMs(A));
  });
});

describe('a stopping engine', () => {
  // The engine waited its dispatcher's 10 s grace for batches the simulator held for their delay,
  // which a manual clock never ends: every stop of such a server took 10 s.
  it('gets the batches held for their delay back at once, to be sent again', async () => {
    await carrier.updateSettings(A, { delayMs: 5000 });
    const held = carrier.submit([submission(A, '+15557700005', 1)]);
    await vi.advanceTimersByTimeAsync(0);
    carrier.engineStopping();
    expect(await held).toEqual([{ outcome: 'transient', detail: 'simulator stopping' }]);
    expect(await carrier.submit([submission(A, '+15557700005', 2)])).toEqual([{ outcome: 'transient', detail: 'simulator stopped' }]);
  });
});

describe('the answer and the receipts due at once', () => {
  /** Submit one message; what the handset inbox held and the sink had been told when the answer came. */
  async function seenAtAnswer(answerAfterHandsets: boolean): Promise<{ inbox: number; reports: number }> {
    await carrier.stop();
    let inserted = 0;
    const inbox: typeof store.handsets = Object.create(store.handsets, {
      insertMany: { value: async (rows: Parameters<typeof store.handsets.insertMany>[0]) => {
        const stored = await store.handsets.insertMany(rows);
        inserted += stored.length;
        return stored;
      } },
    });
    carrier = new SimulatorCarrier(
      { delayMs: 0, delayedReceiptMs: 200, mmsReceipts: false, rules: [], inboxLimit: 100, answerAfterHandsets },
      { inbox, settings: store.simulatorSettings, bus: new InProcessBus(), logger: quiet, now: () => Date.now() },
    );
    await carrier.start({ report: (r) => reports.push(...r), inbound: async (ms) => ms.map(() => ({ routed: false })) });
    const m = submission(A, '+15557700003', 1);
    const seen = await carrier.submit([m]).then(() => ({ inbox: inserted, reports: reports.length }));
    await vi.advanceTimersByTimeAsync(0);
    expect(reports.map((r) => [r.messageId, r.status])).toEqual([[m.messageId, 'delivered']]);
    expect(inserted).toBe(1);
    return seen;
  }

  it('with answerAfterHandsets (a database a round trip away): the handset has the message when the answer comes, the receipt in the same turn', async () => {
    expect(await seenAtAnswer(true)).toEqual({ inbox: 1, reports: 1 });
  });

  it('without it (SQLite): the answer comes first, the handset copy and the receipt after', async () => {
    expect(await seenAtAnswer(false)).toEqual({ inbox: 0, reports: 0 });
  });
});

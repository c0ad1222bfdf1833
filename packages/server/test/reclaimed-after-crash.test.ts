/**
 * A message claimed again after its node died mid-dispatch (`initiated`, the carrier's answer never
 * written), when its handset replied STOP meanwhile — often to that very message. The check of
 * waited messages (waited-checks.ts) failed it with 21610 ("nothing was sent") though the carrier
 * may have taken it before the node died: the handset had it, and its receipts could no longer be
 * recorded. Now the carrier is asked, with nothing sent (`takenBefore`): taken, the message is
 * recorded `sent` as its lost answer would have been; never taken, it fails with 21610 as before.
 * Two engines on one store stand for the node that died and the one that starts after it, with a
 * scripted carrier, the simulator (its handset has the message) or an SMPP connector (its part is
 * recorded); the clocks are manual. On SQLite and PostgreSQL.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { InProcessBus } from '../src/bus/in-process-bus.js';
import { ManualClock } from '../src/domain/clock.js';
import type { CarrierSubmission, SubmitResult } from '../src/domain/ports/carrier.js';
import type { Store } from '../src/domain/ports/store.js';
import { SimulatorCarrier } from '../src/carriers/simulator/simulator-carrier.js';
import { parseSmppSection } from '../src/carriers/smpp/config.js';
import { SmppConnector } from '../src/carriers/smpp/connector.js';
import { ScriptedCarrier } from '../src/engine/testing/scripted-carrier.js';
import { buildTestEngine, HANDSET, TEST_NUMBERS, type TestEngine } from '../src/engine/testing/test-engine.js';
import { storeBackends } from './helpers/postgres.js';
import { closeSmscs, scriptedSmsc } from './helpers/scripted-smsc.js';

afterEach(closeSmscs);

let smscAccepted = () => 0;

/** A connector to an SMSC that accepts whatever it is sent (counted by `smscAccepted`). */
async function smppConnector(store: Store): Promise<SmppConnector> {
  const smsc = await scriptedSmsc();
  smscAccepted = () => smsc.accepted;
  const config = parseSmppSection({ connectors: [{ id: 'smsc', host: '127.0.0.1', port: smsc.port, systemId: 'sw', password: 'pw', throughput: 0, reconnectMinMs: 10, reconnectMaxMs: 20 }], routes: [] }).connectors[0]!;
  return new SmppConnector(config, { store, logger: { info() {}, debug() {}, warn() {}, error() {} } as never, now: Date.now });
}

for (const [dialect, open] of storeBackends(afterAll)) {
  describe(`a message claimed again after its node died, its handset opted out meanwhile (${dialect})`, () => {
    /**
     * Send a message from a node whose carrier never answers (`took`: it had taken the message),
     * have the handset reply STOP, then start another node on the store and let it claim the job.
     */
    async function diedMidDispatch(took: boolean, stop = true, through: 'scripted' | 'simulator' | 'smpp' = 'scripted', partsTaken?: number) {
      const { store, close } = await open();
      const clock = new ManualClock();
      const carrier = new ScriptedCarrier(clock);
      let answer: (r: SubmitResult) => void = () => {};
      carrier.answer((s: CarrierSubmission) => {
        if (took) carrier.taken.set(s.messageId, carrier.accept(s));
        return new Promise<SubmitResult>((resolve) => (answer = resolve));
      });
      const dead = await buildTestEngine({ store, bus: new InProcessBus() }, { clock, carrier });
      let next: TestEngine | undefined;
      try {
        await dead.engine.start();
        // A message of two parts when the SMSC is to have taken only some of them.
        const m = await dead.send(partsTaken === undefined ? {} : { body: 'p'.repeat(200) });
        await carrier.submitted(1);
        await carrier.inbound({ from: HANDSET, to: TEST_NUMBERS[0], body: stop ? 'STOP' : 'hello' });
        // The node is gone: another starts on the same store (its own clock and bus), with the same
        // carrier — or the simulator, whose handset got the message from the dead node's simulator.
        const nextClock = new ManualClock(clock.now() + 1_000);
        const bus = new InProcessBus();
        const other = through === 'simulator' ? new SimulatorCarrier({ delayMs: 0, delayedReceiptMs: 0, mmsReceipts: false, rules: [], inboxLimit: 100 }, { inbox: store.handsets, settings: store.simulatorSettings, bus, logger: dead.logger, now: () => nextClock.now(), clock: nextClock }) : through === 'smpp' ? await smppConnector(store) : undefined;
        // What the dead node's carrier left: the handset's copy (simulator), the SMSC's part, delivered since (SMPP).
        if (through === 'simulator' && took) await store.handsets.insertMany([{ projectId: m.projectId, messageId: m.id, from: m.from, to: m.to, body: m.body, media: [], segments: m.segments, receivedAt: clock.now() }]);
        if (through === 'smpp' && took) {
          const count = partsTaken === undefined ? 1 : 2;
          const parts = Array.from({ length: partsTaken ?? 1 }, (_, i) => ({ carrier: 'smsc', carrierMessageId: `P${i + 1}`, projectId: m.projectId, messageId: m.id, partIndex: i + 1, partCount: count, status: 'delivered' as const, error: null, errorDetail: null, createdAt: clock.now(), updatedAt: clock.now() }));
          await store.transaction((tx) => tx.carrierParts.insertMany(parts));
        }
        next = await buildTestEngine({ store, bus }, { clock: nextClock, ids: dead.ids, carrier, ...(other ? { carriers: [other], options: { defaultCarrier: other.descriptor.id } } : {}) });
        await next.engine.start();
        const first = await Promise.race([next.statuses.reached(m.id, 'sent'), next.statuses.reached(m.id, 'failed')]).catch(() => undefined);
        // The simulator's receipt for it (due at once), or the SMSC's recorded one, follows its `sent`.
        if (through !== 'scripted' && first?.status === 'sent') {
          nextClock.advance(0);
          await next.statuses.reached(m.id, 'delivered');
        }
        const stored = await next.message(m.id);
        return { stored, inbox: (await store.handsets.list(m.projectId, { to: m.to, from: m.from }, 10)).filter((h) => h.messageId === m.id).length, timeline: await next.timeline(m.id), sentAgain: carrier.submissions.filter((s) => s.messageId === m.id).length - 1, lookedUp: carrier.lookups.flat().map((s) => s.messageId), id: m.id };
      } finally {
        answer({ outcome: 'transient', detail: 'the node is gone' });
        await next?.engine.stop();
        await dead.engine.stop();
        await close();
      }
    }

    it('is recorded sent, and not sent again, when its carrier had taken it', async () => {
      const r = await diedMidDispatch(true);
      expect(r.stored).toMatchObject({ status: 'sent', errorCode: null, carrier: 'scripted', carrierMessageId: 'scripted-1' });
      expect(r.timeline).toEqual(['queued', 'initiated', 'sent']);
      expect(r.sentAgain).toBe(0);
      expect(r.lookedUp).toEqual([r.id]);
    });

    it('fails with 21610, nothing sent, when its carrier never had it', async () => {
      const r = await diedMidDispatch(false);
      expect(r.stored).toMatchObject({ status: 'failed', errorCode: '21610', reason: 'recipient_opted_out' });
      expect(r.timeline).toEqual(['queued', 'initiated', 'failed']);
      expect(r.sentAgain).toBe(0);
      expect(r.lookedUp).toEqual([r.id]);
    });

    it('through the simulator: recorded sent when the handset has it, the handset not given it again; else failed', async () => {
      const had = await diedMidDispatch(true, true, 'simulator');
      expect(had.stored).toMatchObject({ status: 'delivered', errorCode: null, carrier: 'simulator' });
      expect(had.timeline).toEqual(['queued', 'initiated', 'sent', 'delivered']);
      expect(had.inbox).toBe(1);
      expect(had.sentAgain).toBe(0);
      const never = await diedMidDispatch(false, true, 'simulator');
      expect(never.stored).toMatchObject({ status: 'failed', errorCode: '21610' });
      expect(never.inbox).toBe(0);
    });

    it('through an SMPP connector: recorded sent, then delivered, when the SMSC had every part, nothing sent again; else failed', async () => {
      const had = await diedMidDispatch(true, true, 'smpp');
      expect(had.stored).toMatchObject({ status: 'delivered', errorCode: null, carrier: 'smsc', carrierMessageId: 'P1' });
      expect(had.timeline).toEqual(['queued', 'initiated', 'sent', 'delivered']);
      expect(smscAccepted()).toBe(0);
      const never = await diedMidDispatch(false, true, 'smpp');
      expect(never.stored).toMatchObject({ status: 'failed', errorCode: '21610' });
      expect(smscAccepted()).toBe(0);
    });

    it('through an SMPP connector that had taken only some parts: fails with 21610 saying so, the rest not sent, the whole not sent again', async () => {
      // The STOP came between the parts: the rest cannot join the parts sent (a new concatenation
      // reference), so completing it means the whole message again after the STOP. It is not sent;
      // its record says what the handset may have, not "nothing was sent".
      const r = await diedMidDispatch(true, true, 'smpp', 1);
      expect(r.stored).toMatchObject({ status: 'failed', errorCode: '21610', reason: 'recipient_opted_out' });
      expect(r.stored?.errorMessage).toMatch(/1 of its 2 parts had reached the carrier before/);
      expect(r.timeline).toEqual(['queued', 'initiated', 'failed']);
      expect(smscAccepted()).toBe(0);
    });

    it('is sent again as before when its handset did not opt out', async () => {
      const r = await diedMidDispatch(false, false);
      expect(r.stored).toMatchObject({ status: 'sent', errorCode: null });
      expect(r.timeline).toEqual(['queued', 'initiated', 'sent']);
      expect(r.sentAgain).toBe(1);
      expect(r.lookedUp).toEqual([]);
    });
  });
}

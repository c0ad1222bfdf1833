/**
 * The Bus contract: what every adapter of the event-bus port must do, through the port only, so the
 * same suite runs against the in-process bus and NATS. Adapters that connect nodes also pass the
 * cluster part: events reach subscribers on other nodes exactly once, in order per project.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bus, BusTopics, MessageStatusEvent } from '../../src/domain/ports/bus.js';
import type { MessageRecord } from '../../src/domain/message.js';
import { messageRow } from '../helpers/records.js';

/** A bus for one test; `peer` (cluster adapters only) is another node on the same bus. */
export interface BusUnderTest {
  readonly bus: Bus;
  readonly peer?: Bus;
  /** Errors the adapter reported (throwing subscribers, unreadable messages). */
  readonly errors: unknown[];
  /** Resolves once everything published so far may have reached other nodes' subscribers' queues. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

const P1 = '11111111-1111-4111-8111-111111111111';
const P2 = '22222222-2222-4222-8222-222222222222';

function messageRecord(projectId: string, n: number): MessageRecord {
  const at = Date.UTC(2026, 0, 1) + n;
  // Every kind of field filled in, and a body full of characters a wire format could mangle.
  const row = messageRow(projectId, {
    from: '+15550000001',
    to: '+15551230000',
    body: `hello ${n} — ünïcödé ✓ "quoted" \\ back`,
    media: ['https://example.com/a.png'],
    encoding: 'UCS-2',
    status: 'sent',
    statusCallback: 'https://example.com/cb',
    customVariables: { order: '42' },
    context: 'office',
    tags: ['a', 'b'],
    price: 0.0079,
    carrier: 'simulator',
    carrierMessageId: 'SIM1',
    createdAt: at,
    sentAt: at,
  });
  return { ...row, seq: n } as MessageRecord;
}

function statusEvent(projectId: string, n: number): MessageStatusEvent {
  const message = messageRecord(projectId, n);
  return { projectId, message, status: 'sent', at: message.updatedAt, event: { messageId: message.id, projectId, status: 'sent', at: message.updatedAt, errorCode: null, errorMessage: null, detail: { carrier: 'simulator', parts: 1 } } };
}

/** Collects a topic's events. */
function collect<T extends keyof BusTopics>(bus: Bus, topic: T): Array<BusTopics[T]> {
  const got: Array<BusTopics[T]> = [];
  bus.subscribe(topic, (e) => got.push(e));
  return got;
}

async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function describeBusContract(name: string, open: () => Promise<BusUnderTest>): void {
  describe(`Bus contract (${name})`, () => {
    let sut: BusUnderTest;
    beforeEach(async () => {
      sut = await open();
    });
    afterEach(async () => {
      await sut.close();
    });

    it('delivers an event to every local subscriber of its topic before publish returns', () => {
      const a = collect(sut.bus, 'numbers.changed');
      const b = collect(sut.bus, 'numbers.changed');
      const other = collect(sut.bus, 'credentials.changed');
      sut.bus.publish('numbers.changed', { projectId: P1 });
      expect(a).toEqual([{ projectId: P1 }]);
      expect(b).toEqual([{ projectId: P1 }]);
      expect(other).toEqual([]);
    });

    it('hands local subscribers the event as published, in publish order', () => {
      const got = collect(sut.bus, 'message.status');
      const events = Array.from({ length: 50 }, (_, i) => statusEvent(i % 2 ? P1 : P2, i));
      for (const e of events) sut.bus.publish('message.status', e);
      expect(got).toEqual(events);
    });

    it('stops delivering to a subscriber once it unsubscribes, and only to that one', () => {
      const kept: unknown[] = [];
      const dropped: unknown[] = [];
      sut.bus.subscribe('work.available', (e) => kept.push(e));
      const off = sut.bus.subscribe('work.available', (e) => dropped.push(e));
      sut.bus.publish('work.available', { queue: 'dispatch' });
      off();
      sut.bus.publish('work.available', { queue: 'webhooks' });
      expect(kept).toEqual([{ queue: 'dispatch' }, { queue: 'webhooks' }]);
      expect(dropped).toEqual([{ queue: 'dispatch' }]);
    });

    it('keeps delivering to the other subscribers when one throws, and reports the failure', () => {
      const got: unknown[] = [];
      sut.bus.subscribe('credentials.changed', () => {
        throw new Error('subscriber bug');
      });
      sut.bus.subscribe('credentials.changed', (e) => got.push(e));
      expect(() => sut.bus.publish('credentials.changed', { projectId: P2 })).not.toThrow();
      expect(got).toEqual([{ projectId: P2 }]);
      expect(sut.errors.map((e) => (e as Error).message)).toContain('subscriber bug');
    });

    it('ignores publishing after close instead of throwing', async () => {
      const got = collect(sut.bus, 'numbers.changed');
      await sut.bus.close();
      expect(() => sut.bus.publish('numbers.changed', { projectId: P1 })).not.toThrow();
      expect(got).toEqual([]);
    });

    describe('between nodes', () => {
      it('delivers every event to subscribers on another node exactly once, and never echoes it back', async ({ skip }) => {
        if (!sut.peer) return skip();
        const remote = collect(sut.peer, 'message.status');
        const local = collect(sut.bus, 'message.status');
        // Subscriptions to another node's bus may take a round trip to be in place.
        await sut.settle();
        const events = Array.from({ length: 20 }, (_, i) => statusEvent(P1, i));
        for (const e of events) sut.bus.publish('message.status', e);
        await until(() => remote.length >= events.length, 'remote events');
        await sut.settle();
        expect(remote).toEqual(events);
        expect(local).toEqual(events);
      });

      it('keeps each project’s events in publish order across nodes through a burst spread over many turns', async ({ skip }) => {
        if (!sut.peer) return skip();
        const remote = collect(sut.peer, 'message.status');
        await sut.settle();
        const total = 6000;
        const sent: MessageStatusEvent[] = [];
        for (let i = 0; i < total; i++) {
          const e = statusEvent(i % 3 === 0 ? P2 : P1, i);
          sent.push(e);
          sut.bus.publish('message.status', e);
          if (i % 500 === 499) await new Promise((r) => setImmediate(r));
        }
        await until(() => remote.length >= total, `${total} remote events`, 15_000);
        await sut.settle();
        expect(remote).toHaveLength(total);
        for (const p of [P1, P2]) {
          expect(remote.filter((e) => e.projectId === p).map((e) => e.message.seq)).toEqual(sent.filter((e) => e.projectId === p).map((e) => e.message.seq));
        }
        expect(new Set(remote.map((e) => e.message.id)).size).toBe(total);
      });

      it('puts a message’s queued from another node ahead of its later events published here', async ({ skip }) => {
        if (!sut.peer) return skip();
        const peer = sut.peer;
        const got = collect(peer, 'message.status');
        await sut.settle();
        // Accepted on one node, claimed at once on the other: the claiming node hears its own
        // `initiated` immediately and the accepting node's `queued` only through the bus.
        const now = Date.now();
        const message = { ...messageRecord(P1, 0), createdAt: now, updatedAt: now };
        const change = (status: 'queued' | 'initiated'): MessageStatusEvent => ({ projectId: P1, message: { ...message, status }, status, at: now, event: { messageId: message.id, projectId: P1, status, at: now, errorCode: null, errorMessage: null, detail: null } });
        sut.bus.publish('message.status', change('queued'));
        peer.publish('message.status', change('initiated'));
        await until(() => got.length >= 2, 'both events');
        expect(got.map((e) => e.status)).toEqual(['queued', 'initiated']);
      });

      it('carries every topic both ways: wake-ups, cache invalidations and handset messages', async ({ skip }) => {
        if (!sut.peer) return skip();
        const peer = sut.peer;
        const wakeups = collect(peer, 'work.available');
        const numbers = collect(sut.bus, 'numbers.changed');
        const handsets = collect(peer, 'handset.received');
        await sut.settle();
        sut.bus.publish('work.available', { queue: 'dispatch' });
        sut.bus.publish('work.available', { queue: 'webhooks' });
        peer.publish('numbers.changed', { projectId: P2 });
        const h = { seq: 7, projectId: P1, messageId: randomUUID(), from: '+15551230000', to: '+15550000001', body: 'hi', media: [], segments: 1, receivedAt: 1 };
        sut.bus.publish('handset.received', h);
        await until(() => wakeups.length >= 2 && numbers.length >= 1 && handsets.length >= 1, 'events both ways');
        await sut.settle();
        expect(wakeups.map((w) => w.queue).sort()).toEqual(['dispatch', 'webhooks']);
        expect(numbers).toEqual([{ projectId: P2 }]);
        expect(handsets).toEqual([h]);
      });

      it('does not deliver a topic to a node after its last subscriber there left', async ({ skip }) => {
        if (!sut.peer) return skip();
        const got: unknown[] = [];
        const off = sut.peer.subscribe('credentials.changed', (e) => got.push(e));
        const marker = collect(sut.peer, 'numbers.changed');
        off();
        await sut.settle();
        sut.bus.publish('credentials.changed', { projectId: P1 });
        sut.bus.publish('numbers.changed', { projectId: P1 });
        await until(() => marker.length >= 1, 'marker event');
        expect(got).toEqual([]);
      });
    });
  });
}

/**
 * A project's share of the buffer budget spent by a session that never acknowledges: that session
 * is shed (lost, its budget given back at once, closed as slow), not the one that acknowledges
 * promptly and asked for room for its next event.
 */
import { describe, expect, it } from 'vitest';
import { noopRelayMetrics } from '../domain/ports/metrics.js';
import { relieveBudget } from './budget-relief.js';
import { BufferBudget, eventCost } from './buffer-budget.js';
import { InMemoryResumeStore } from './in-memory-resume-store.js';
import { RelaySession } from './session.js';

const P = '11111111-1111-4111-8111-111111111111';

describe('the buffer budget of a project with a session that never acknowledges', () => {
  it('sheds that session, not the one that acknowledges, and gives its budget back at once', () => {
    // 64 KiB: the project may hold 32 KiB, about 60 of these events.
    const budget = new BufferBudget(64 * 1024);
    const sessions: RelaySession[] = [];
    const slow = new Set<RelaySession>();
    const open = () => {
      const s: RelaySession = new RelaySession(`proto${sessions.length}`, 'sig', 'sid', P, new Set(['messaging']), true, 3, {
        maxEvents: 1000,
        budget,
        metrics: noopRelayMetrics,
        now: () => Date.now(),
        relieve: (session, bytes) => relieveBudget(() => sessions, session, () => budget.take(P, bytes)),
      });
      const frames: string[] = [];
      s.attach({ send: (f) => frames.push(f), slow: () => slow.add(s), close: () => undefined });
      s.open();
      sessions.push(s);
      return { s, frames };
    };
    const greedy = open();
    const reader = open();
    const params = JSON.stringify({ event_type: 'messaging.receive', params: { body: 'x'.repeat(400) } });
    for (let i = 0; i < 200; i++) {
      greedy.s.deliver(`k${i}`, i, params, 'messaging.receive');
      reader.s.deliver(`k${i}`, i, params, 'messaging.receive');
      for (const f of reader.frames.splice(0)) expect(reader.s.ack(JSON.parse(f).id)).toBe(true);
    }
    expect(reader.s.lost).toBe(false);
    expect(slow.has(reader.s)).toBe(false);
    expect(greedy.s.lost).toBe(true);
    expect(slow.has(greedy.s)).toBe(true);
    // Nothing is held for the shed session: what it had was given back when it was shed.
    expect(greedy.s.unackedCount).toBe(0);
    expect(budget.usedBy(P)).toBe(0);
    expect(greedy.frames.length).toBeLessThan(200);
    expect(eventCost(params) * greedy.frames.length).toBeGreaterThan(16 * 1024);
  });
});

describe('the buffer budget of a project whose share is held by its parked sessions', () => {
  it('drops the parked session holding the most, not the connected one that acknowledges', async () => {
    // 64 KiB: the project may hold 32 KiB, about 60 of these events.
    const budget = new BufferBudget(64 * 1024);
    const dropped: string[] = [];
    const store = new InMemoryResumeStore({ maxEvents: 1000, budget, onDropped: (protocol, why) => dropped.push(`${protocol} ${why}`) });
    const params = JSON.stringify({ event_type: 'messaging.receive', params: { body: 'x'.repeat(400) } });
    const deliver = (i: number) => store.deliver([{ projectId: P, contexts: ['c'], protocols: [], key: `k${i}`, at: i, params }]);
    // Two sessions parked (their clients gone), one a while before the other: 34 + 25 missed events, the project's whole share.
    const park = (protocol: string) => store.park({ protocol, projectId: P, tokenId: null, contexts: ['c'], eventAcks: true, parkedAt: 0, expiresAt: Infinity, events: [] });
    await park('early');
    for (let i = 0; i < 9; i++) await deliver(i);
    await park('late');
    for (let i = 9; i < 34; i++) await deliver(i);
    expect(budget.usedBy(P)).toBe(59 * eventCost(params));
    expect(budget.take(P, eventCost(params))).toBe(false);
    const sessions: RelaySession[] = [];
    const reader = new RelaySession('reader', 'sig', 'sid', P, new Set(['messaging']), true, 3, {
      maxEvents: 1000,
      budget,
      metrics: noopRelayMetrics,
      now: () => Date.now(),
      relieve: (session, bytes) => relieveBudget(() => sessions, session, () => budget.take(P, bytes), (projectId, moreThan) => store.relieve(projectId, moreThan)),
    });
    sessions.push(reader);
    const frames: string[] = [];
    let slow = false;
    reader.attach({ send: (f) => frames.push(f), slow: () => (slow = true), close: () => undefined });
    reader.open();
    for (let i = 100; i < 120; i++) {
      reader.deliver(`k${i}`, i, params, 'messaging.receive');
      for (const f of frames.splice(0)) expect(reader.ack(JSON.parse(f).id)).toBe(true);
    }
    expect(reader.lost).toBe(false);
    expect(slow).toBe(false);
    // The session parked first, holding 34 events, made room; the other one keeps its 25.
    expect(dropped).toEqual(['early overflow']);
    expect(store.has('late')).toBe(true);
    expect(budget.usedBy(P)).toBe(25 * eventCost(params));
  });
});

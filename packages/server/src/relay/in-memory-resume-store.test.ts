import { describe, expect, it } from 'vitest';
import type { ParkedRelaySession, RelayEventDelivery } from '../domain/ports/relay-resume.js';
import { BufferBudget, eventCost } from './buffer-budget.js';
import { InMemoryResumeStore } from './in-memory-resume-store.js';

function parked(protocol: string, over: Partial<ParkedRelaySession> = {}): ParkedRelaySession {
  return { protocol, projectId: 'p1', tokenId: 't1', contexts: ['office'], eventAcks: true, parkedAt: 0, expiresAt: 10_000, events: [], ...over };
}

function delivery(key: string, over: Partial<RelayEventDelivery> = {}): RelayEventDelivery {
  return { projectId: 'p1', contexts: ['office'], protocols: [], key, at: 1, params: `{"event_type":"messaging.receive","n":"${key}"}`, ...over };
}

describe('InMemoryResumeStore', () => {
  it('keeps events for parked sessions by context or protocol, in order, once each, for their own project only', async () => {
    const store = new InMemoryResumeStore({ maxEvents: 10, budget: new BufferBudget(1 << 20) });
    await store.park(parked('a'));
    await store.park(parked('b', { contexts: ['other'] }));
    await store.park(parked('c', { projectId: 'p2' }));
    await store.deliver([delivery('k1'), delivery('k2', { contexts: ['other'], protocols: ['a'] }), delivery('k1'), delivery('k3', { contexts: [], protocols: ['c'] })]);
    expect((await store.claim('p1', 'a', 5))!.events.map((e) => e.key)).toEqual(['k1', 'k2']);
    expect((await store.claim('p1', 'b', 5))!.events.map((e) => e.key)).toEqual(['k2']);
    expect(await store.claim('p1', 'c', 5)).toBeUndefined();
    expect(await store.claim('p2', 'c', 5)).toMatchObject({ events: [] });
    expect(await store.claim('p1', 'a', 5)).toBeUndefined();
  });

  it("keeps at most maxPerProject parked sessions of a project, dropping its oldest, and never another project's", async () => {
    const dropped: string[] = [];
    const budget = new BufferBudget(1 << 20);
    const store = new InMemoryResumeStore({ maxEvents: 10, budget, maxPerProject: 2, onDropped: (p, why) => dropped.push(`${p}:${why}`) });
    await store.park(parked('other', { projectId: 'p2' }));
    await store.park(parked('a', { events: [{ id: 'e1', key: 'k1', at: 1, params: 'x'.repeat(100) }] }));
    budget.take('p1', eventCost('x'.repeat(100)));
    await store.park(parked('b'));
    await store.park(parked('c'));
    await store.park(parked('d'));
    expect(dropped).toEqual(['a:crowded', 'b:crowded']);
    expect(store.size).toBe(3);
    expect(budget.used).toBe(0);
    await store.deliver([delivery('k2')]);
    expect(await store.claim('p1', 'a', 5)).toBeUndefined();
    expect((await store.claim('p1', 'd', 5))!.events.map((e) => e.key)).toEqual(['k2']);
    expect(await store.claim('p2', 'other', 5)).toMatchObject({ protocol: 'other' });
  });

  it('drops a session whose buffer overflows, and one that expired', async () => {
    const dropped: string[] = [];
    const budget = new BufferBudget(1 << 20);
    const store = new InMemoryResumeStore({ maxEvents: 2, budget, onDropped: (p, why) => dropped.push(`${p}:${why}`) });
    await store.park(parked('a'));
    await store.park(parked('b', { expiresAt: 100 }));
    await store.deliver([delivery('1'), delivery('2'), delivery('3')]);
    expect(dropped).toEqual(['a:overflow', 'b:overflow']);
    await store.park(parked('c', { expiresAt: 100 }));
    expect(await store.expire(99)).toBe(0);
    expect(await store.expire(100)).toBe(1);
    expect(dropped).toContain('c:expired');
    expect(budget.used).toBe(0);
  });

  it('drops a session when its project’s share of the node-wide budget is spent, and gives the budget back when sessions go', async () => {
    const one = eventCost(delivery('x').params);
    const budget = new BufferBudget(one * 6);
    const dropped: string[] = [];
    const store = new InMemoryResumeStore({ maxEvents: 100, budget, onDropped: (p) => dropped.push(p) });
    await store.park(parked('a'));
    await store.park(parked('b', { projectId: 'p2' }));
    // Two projects side by side: each may hold half of what the other leaves, two events here.
    await store.deliver(['x', 'y'].flatMap((k) => [delivery(k), delivery(k, { projectId: 'p2' })]));
    expect(budget.used).toBe(one * 4);
    await store.deliver([delivery('w')]);
    expect(dropped).toEqual(['a']);
    expect(budget.used).toBe(one * 2);
    expect(store.size).toBe(1);
  });

  it('leaves a third project room when two projects spend their shares (half of what the others leave, each)', () => {
    const budget = new BufferBudget(800);
    // The first greedy project: half of the budget.
    while (budget.take('p1', 100));
    expect(budget.usedBy('p1')).toBe(400);
    // The second: half of the 400 the first left (with half of the whole each, it took 400 and left nothing).
    while (budget.take('p2', 100));
    expect(budget.usedBy('p2')).toBe(200);
    // A third still keeps its events.
    expect(budget.take('p3', 100)).toBe(true);
    expect(budget.used).toBe(700);
    // What a project gives back is room for the others again.
    budget.give('p1', 400);
    expect(budget.take('p3', 100)).toBe(true);
  });

  it("keeps a project to half of the budget: its missed events cannot have another project's sessions dropped", async () => {
    const one = eventCost(delivery('x').params);
    const budget = new BufferBudget(one * 4);
    const dropped: string[] = [];
    const store = new InMemoryResumeStore({ maxEvents: 100, budget, onDropped: (p) => dropped.push(p) });
    await store.park(parked('greedy'));
    await store.park(parked('other', { projectId: 'p2' }));
    await store.deliver(['1', '2', '3', '4'].map((k) => delivery(k)));
    expect(dropped).toEqual(['greedy']);
    await store.deliver([delivery('mine', { projectId: 'p2' })]);
    expect(dropped).toEqual(['greedy']);
    expect((await store.claim('p2', 'other', 5))!.events.map((e) => e.key)).toEqual(['mine']);
    expect(budget.usedBy('p1')).toBe(0);
  });

  it('ends the parked sessions whose token is no longer active, of one project or all', async () => {
    const budget = new BufferBudget(1_000_000);
    const dropped: Array<[string, string]> = [];
    const store = new InMemoryResumeStore({ maxEvents: 100, budget, onDropped: (p, why) => dropped.push([p, why]) });
    await store.park(parked('revoked'));
    await store.park(parked('kept', { tokenId: 't2' }));
    await store.park(parked('unknown', { tokenId: null }));
    await store.park(parked('elsewhere', { projectId: 'p2' }));
    await store.deliver([delivery('x')]);
    const active = async (_project: string, tokenId: string) => tokenId !== 't1';
    // p2 gone: none of its tokens is active.
    expect(await store.revoke(async (project) => project === 'p1', 'p2')).toBe(1);
    expect(await store.revoke(active)).toBe(1);
    expect(dropped).toEqual([
      ['elsewhere', 'revoked'],
      ['revoked', 'revoked'],
    ]);
    // No longer collecting, nor claimable.
    await store.deliver([delivery('y')]);
    expect(await store.claim('p1', 'revoked', 5)).toBeUndefined();
    expect((await store.claim('p1', 'kept', 5))!.events.map((e) => e.key)).toEqual(['x', 'y']);
    // A session parked without a known token is kept for its window.
    expect((await store.claim('p1', 'unknown', 5))!.events.map((e) => e.key)).toEqual(['x', 'y']);
    expect(store.size).toBe(0);
  });

  it("checks a claimed session's token before it leaves: a failed check leaves it parked, a revoked token ends it", async () => {
    const budget = new BufferBudget(1_000_000);
    const dropped: Array<[string, string]> = [];
    const store = new InMemoryResumeStore({ maxEvents: 100, budget, onDropped: (p, why) => dropped.push([p, why]) });
    await store.park(parked('a'));
    await store.park(parked('b', { tokenId: 't2' }));
    await store.deliver([delivery('x')]);
    // The credential read fails: the connect is refused, and the session is there for its next attempt.
    await expect(store.claim('p1', 'a', 5, async () => Promise.reject(new Error('storage out')))).rejects.toThrow('storage out');
    await store.deliver([delivery('y')]);
    expect((await store.claim('p1', 'a', 5, async () => true))!.events.map((e) => e.key)).toEqual(['x', 'y']);
    expect(await store.claim('p1', 'b', 5, async (_project, tokenId) => tokenId !== 't2')).toBeUndefined();
    expect(dropped).toEqual([['b', 'revoked']]);
    expect(store.size).toBe(0);
  });
});

/**
 * Catch-up reads are made per project, together: after a restart every client comes back at once,
 * and one read of the stored events per connect would be as many walks through the stored events.
 * And paced per project: a client reconnecting in a loop waits for its project's turn.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MessageStatus } from '@switchboard/protocol';
import type { NewMessageEvent } from '../domain/message.js';
import type { RecentEventsBounds } from '../domain/ports/store.js';
import { openSqliteStore } from '../store/dialects/sqlite.js';
import type { KyselyStore } from '../store/kysely-store.js';
import { messageRow } from '../../test/helpers/records.js';
import { ManualClock } from '../domain/clock.js';
import { CATCH_UP_READ_BURST, CATCH_UP_READS_PER_SECOND, CatchUpReader } from './catch-up.js';

const P = '11111111-1111-4111-8111-111111111111';
const T0 = Date.UTC(2026, 0, 1);
let store: KyselyStore;

beforeEach(async () => {
  store = await openSqliteStore({ file: ':memory:' });
  await store.projects.create({ id: P, name: 'P', signingKey: 'PSK_test', createdAt: T0 });
});
afterEach(async () => {
  await store.close();
});

describe('CatchUpReader', () => {
  it('makes the reads of one project asked together in one, and gives each its own rows', async () => {
    const [a, b, none] = await store.messages.insertMany([messageRow(P, { context: 'a', createdAt: T0 }), messageRow(P, { context: 'b', createdAt: T0 }), messageRow(P, { context: null, createdAt: T0 })]);
    const ev = (id: string, status: MessageStatus, at: number): NewMessageEvent => ({ messageId: id, projectId: P, status, at, errorCode: null, errorMessage: null, detail: null });
    await store.events.insertMany([ev(a!.id, 'queued', T0), ev(b!.id, 'queued', T0 + 1), ev(none!.id, 'queued', T0 + 2), ev(a!.id, 'sent', T0 + 3), ev(b!.id, 'sent', T0 + 4)]);
    const asked: Array<{ contexts: readonly string[]; since: number }> = [];
    const reader = new CatchUpReader({
      listRecentForContexts: (projectId: string, contexts: readonly string[], senders: readonly string[], bounds: RecentEventsBounds) => {
        asked.push({ contexts, since: bounds.since });
        return store.events.listRecentForContexts(projectId, contexts, senders, bounds);
      },
    }, new ManualClock(T0));
    const seen = (rows: Awaited<ReturnType<CatchUpReader['read']>>) => rows.map((r) => `${r.message.context ?? 'null'}:${r.event.status}`);
    const [onlyA, bSince, defaults, lastA] = await Promise.all([reader.read(P, ['a'], [], T0, 10), reader.read(P, ['b'], [], T0 + 2, 10), reader.read(P, ['default'], [], T0, 10), reader.read(P, ['a'], [], T0, 1)]);
    expect(asked).toHaveLength(1);
    expect(new Set(asked[0]!.contexts)).toEqual(new Set(['a', 'b', 'default']));
    expect(asked[0]!.since).toBe(T0);
    expect(seen(onlyA)).toEqual(['a:queued', 'a:sent']);
    expect(seen(bSince)).toEqual(['b:sent']);
    expect(seen(defaults)).toEqual(['null:queued']);
    expect(seen(lastA)).toEqual(['a:sent']);
    // Later, on its own.
    expect(seen(await reader.read(P, ['b'], [], T0, 10))).toEqual(['b:queued', 'b:sent']);
    expect(asked).toHaveLength(2);
  });

  it("keeps a project's reconnect loop to its pace, its requests waiting and read together, while another project's read goes on", async () => {
    const Q = '22222222-2222-4222-8222-222222222222';
    await store.projects.create({ id: Q, name: 'Q', signingKey: 'PSK_q', createdAt: T0 });
    const [mine, theirs] = await store.messages.insertMany([messageRow(P, { context: 'a', createdAt: T0 }), messageRow(Q, { context: 'a', createdAt: T0 })]);
    await store.events.insertMany([mine!, theirs!].map((m) => ({ messageId: m.id, projectId: m.projectId, status: 'delivered' as const, at: T0, errorCode: null, errorMessage: null, detail: null })));
    const clock = new ManualClock(T0 + 1_000);
    const reads: string[] = [];
    const reader = new CatchUpReader({
      listRecentForContexts: (projectId: string, contexts: readonly string[], senders: readonly string[], bounds: RecentEventsBounds) => {
        reads.push(projectId);
        return store.events.listRecentForContexts(projectId, contexts, senders, bounds);
      },
    }, clock);
    // A client reconnects again as soon as its connect is answered: its first reads are made at once ...
    for (let i = 0; i < CATCH_UP_READ_BURST; i++) expect(await reader.read(P, ['a'], [], T0, 10)).toHaveLength(1);
    // ... then its next connects wait for the project's turn (however many come meanwhile) ...
    let answered = 0;
    const waiting = Array.from({ length: 20 }, () => reader.read(P, ['a'], [], T0, 10).then((rows) => ((answered += 1), rows)));
    // ... while another project's read is made now.
    expect(await reader.read(Q, ['a'], [], T0, 10)).toHaveLength(1);
    // (A read starts on the turn after it is asked: this one is queued behind any the loop's connects started.)
    await new Promise((resolve) => setImmediate(resolve));
    expect(answered).toBe(0);
    expect(reads.filter((p) => p === P)).toHaveLength(CATCH_UP_READ_BURST);
    // The turn comes: the waiting requests are read together, once.
    clock.advance(Math.ceil(1_000 / CATCH_UP_READS_PER_SECOND));
    for (const rows of await Promise.all(waiting)) expect(rows).toHaveLength(1);
    expect(reads.filter((p) => p === P)).toHaveLength(CATCH_UP_READ_BURST + 1);
    expect(reads.filter((p) => p === Q)).toHaveLength(1);
  });

  it('refuses past the requests that may wait for a project’s next read, saying when its turn comes, and other projects not', async () => {
    const Q = '22222222-2222-4222-8222-222222222222';
    const clock = new ManualClock(T0);
    const reader = new CatchUpReader(store.events, clock, 3);
    // The project's burst of reads spent ...
    for (let i = 0; i < CATCH_UP_READ_BURST; i++) await reader.read(P, ['a'], [], T0, 10);
    expect(reader.waitFor(P)).toBeNull();
    // ... three requests wait for its next turn: a fourth would be refused until it comes.
    const waiting = [0, 1, 2].map(() => reader.read(P, ['a'], [], T0, 10));
    expect(reader.waitFor(P)).toBe(Math.ceil(1_000 / CATCH_UP_READS_PER_SECOND));
    expect(reader.waitFor(Q)).toBeNull();
    // Asked anyway by more than twice as many (a race past waitFor): they fail, the others stay.
    const more = [0, 1, 2].map(() => reader.read(P, ['a'], [], T0, 10));
    await expect(reader.read(P, ['a'], [], T0, 10)).rejects.toThrow(/wait already/);
    clock.advance(Math.ceil(1_000 / CATCH_UP_READS_PER_SECOND));
    expect(await Promise.all([...waiting, ...more])).toHaveLength(6);
    expect(reader.waitFor(P)).toBeNull();
  });

  it('at a stop, cancels the timer of a project waiting for its turn, answers its requests with nothing, and waits for the read under way', async () => {
    const clock = new ManualClock(T0);
    const reads: string[] = [];
    let release: () => void = () => {};
    const held = new Promise<void>((r) => (release = r));
    const reader = new CatchUpReader({
      listRecentForContexts: async (projectId: string, contexts: readonly string[], senders: readonly string[], bounds: RecentEventsBounds) => {
        reads.push(projectId);
        if (reads.length === CATCH_UP_READ_BURST + 1) await held;
        return store.events.listRecentForContexts(projectId, contexts, senders, bounds);
      },
    }, clock);
    const Q = '22222222-2222-4222-8222-222222222222';
    for (let i = 0; i < CATCH_UP_READ_BURST; i++) await reader.read(P, ['a'], [], T0, 10);
    // P's next read waits for its turn (a timer), Q's is under way.
    const waiting = reader.read(P, ['a'], [], T0, 10);
    const underWay = reader.read(Q, ['a'], [], T0, 10);
    await new Promise((resolve) => setImmediate(resolve));
    expect(clock.pendingTimers).toBe(1);
    expect(reads).toHaveLength(CATCH_UP_READ_BURST + 1);
    let stopped = false;
    const stopping = reader.stop().then(() => (stopped = true));
    await expect(waiting).rejects.toThrow(/stopping/);
    // P's turn is cancelled; what is left is the bound of the stop's wait.
    expect(clock.pendingTimers).toBe(1);
    // The read under way is waited for (the store closes after the stop).
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(clock.pendingTimers).toBe(0);
    expect(await underWay).toEqual([]);
    // Nothing more is read: not at P's turn, nor when asked.
    clock.advance(10_000);
    await expect(reader.read(P, ['a'], [], T0, 10)).rejects.toThrow(/stopping/);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(reads).toHaveLength(CATCH_UP_READ_BURST + 1);
  });

  it('at a stop, gives up on a read under way past its bound: its requests get nothing, and the stop goes on', async () => {
    const clock = new ManualClock(T0);
    let release: () => void = () => {};
    const held = new Promise<void>((r) => (release = r));
    const failures: unknown[] = [];
    // A read as long as a walk of the whole window: it ends only when released (the store closing).
    const reader = new CatchUpReader({
      listRecentForContexts: async () => {
        await held;
        throw new Error('the store closed');
      },
    }, clock, undefined, (err) => failures.push(err));
    const order: string[] = [];
    const underWay = reader.read(P, ['a'], [], T0, 10).then(
      () => order.push('read answered'),
      (err: Error) => order.push(`read refused: ${err.message}`),
    );
    await new Promise((resolve) => setImmediate(resolve));
    const stopping = reader.stop(500).then(() => order.push('stopped'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual([]);
    // Not at the bound yet.
    clock.advance(499);
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual([]);
    clock.advance(1);
    await stopping;
    await underWay;
    expect(order).toEqual(['read refused: the RELAY service is stopping', 'stopped']);
    expect(clock.pendingTimers).toBe(0);
    // The read ends later, its store closed: nothing more is answered, nor reported.
    release();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(order).toHaveLength(2);
    expect(failures).toEqual([]);
  });
});

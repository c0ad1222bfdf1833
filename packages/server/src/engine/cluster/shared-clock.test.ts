/**
 * The manual simulator clock kept in the database (`sharedClock`): a restart on the same database
 * resumes at the moved time, and an advance made on one engine moves every engine sharing the
 * database — through the bus, or, for one that missed the event, by reading the stored position
 * again — and wakes their dispatchers. SQLite file databases; each engine has a clock of its own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InProcessBus } from '../../bus/in-process-bus.js';
import { ManualClock } from '../../domain/clock.js';
import type { Bus } from '../../domain/ports/bus.js';
import type { Store } from '../../domain/ports/store.js';
import { openSqliteStore } from '../../store/dialects/sqlite.js';
import { buildTestEngine, type TestEngine } from '../testing/test-engine.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 5, 1, 12);

let dir: string;
let stores: Store[] = [];
let engines: TestEngine[] = [];
afterEach(async () => {
  for (const e of engines.reverse()) await e.engine.stop();
  for (const s of stores) await s.close();
  engines = [];
  stores = [];
  rmSync(dir, { recursive: true, force: true });
});

async function open(): Promise<Store> {
  const store = await openSqliteStore({ file: join(dir, 'switchboard.db') });
  stores.push(store);
  return store;
}

/** An engine on `store` with a clock of its own, started at `startAt` (as a server starts at the wall clock's time). */
async function engine(store: Store, bus: Bus, startAt: number, opts: { nodeId?: string; dispatch?: boolean } = {}): Promise<TestEngine> {
  const t = await buildTestEngine(
    { store, bus },
    { clock: new ManualClock(startAt), options: { sharedClock: {}, nodeId: opts.nodeId ?? 'test-node', instanceId: (opts.nodeId ?? 'test').toUpperCase(), roles: opts.dispatch === false ? [] : ['dispatch'] } },
  );
  engines.push(t);
  await t.engine.start();
  return t;
}

describe('the shared manual clock', () => {
  it('resumes after a restart at the time it was moved to, so work written in that time keeps its place', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sb-clock-'));
    const first = await engine(await open(), new InProcessBus(), T0);
    expect(first.clock.now()).toBe(T0);
    // Two days on, a message is scheduled an hour ahead.
    expect(await first.engine.sharedClock!.advance(2 * DAY)).toBe(T0 + 2 * DAY);
    const m = await first.send({ sendAt: new Date(T0 + 2 * DAY + HOUR).toISOString() });
    expect(m.status).toBe('scheduled');
    await first.close();
    stores = [];

    // The restart's clock starts at the wall clock's time (here a minute after the first start).
    const second = await engine(await open(), new InProcessBus(), T0 + 60_000);
    expect(second.clock.now()).toBe(T0 + 2 * DAY);
    // The scheduled send is an hour away, not two days and an hour.
    await second.engine.sharedClock!.advance(HOUR - 1);
    expect((await second.message(m.id)).status).toBe('scheduled');
    await second.engine.sharedClock!.advance(1);
    await second.statuses.reached(m.id, 'sent');
    expect(second.carrier.submissions.map((s) => s.messageId)).toEqual([m.id]);
  });

  it('moves every engine on the database: through the bus, and by reading it again after a missed event', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sb-clock-'));
    const store = await open();
    const bus = new InProcessBus();
    // The first node to start stores its time; the second, started later, takes it.
    const a = await engine(store, bus, T0, { nodeId: 'node-a', dispatch: false });
    const b = await engine(store, bus, T0 + 5_000, { nodeId: 'node-b' });
    expect(b.clock.now()).toBe(T0);

    // A scheduled message accepted by A, which does not dispatch: only B can send it.
    const m = await a.send({ sendAt: new Date(T0 + 10 * 60_000).toISOString() });
    await a.engine.sharedClock!.advance(10 * 60_000);
    expect(a.clock.now()).toBe(T0 + 10 * 60_000);
    await b.statuses.reached(m.id, 'sent');
    expect(b.clock.now()).toBe(T0 + 10 * 60_000);
    expect(b.carrier.submissions.map((s) => s.messageId)).toEqual([m.id]);

    // An engine with a bus of its own hears nothing of A's advances; a bus reconnect (wake) reads the clock again.
    const c = await engine(store, new InProcessBus(), T0, { nodeId: 'node-c', dispatch: false });
    expect(c.clock.now()).toBe(T0 + 10 * 60_000);
    await a.engine.sharedClock!.advance(DAY);
    expect(c.clock.now()).toBe(T0 + 10 * 60_000);
    c.engine.wake();
    await c.engine.sharedClock!.refresh();
    expect(c.clock.now()).toBe(T0 + DAY + 10 * 60_000);
    // Advances made on two engines add up, and neither moves the clock back.
    await Promise.all([b.engine.sharedClock!.advance(1_000), c.engine.sharedClock!.advance(2_000)]);
    await Promise.all([a, b, c].map((e) => e.engine.sharedClock!.refresh()));
    for (const e of [a, b, c]) expect(e.clock.now()).toBe(T0 + DAY + 10 * 60_000 + 3_000);
    await expect(a.engine.sharedClock!.advance(-1)).rejects.toThrow(RangeError);
  });
});

/**
 * How the PostgreSQL RELAY resume store (`store/relay-resume-store.ts`) writes parked sessions'
 * missed events, found by the RELAY fuzzer (scripts/fuzz/relay-connect.mjs): appends ran in parallel
 * without limit, locking sessions in another order than deletions did (deadlocks, 40P01, and lost
 * events); what they had pending was counted nowhere (hundreds of MB of SQL under traffic); and a
 * node stopping closed the database under them ("driver has already been destroyed").
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParkedRelaySession, ParkedSessionEnd, RelayEventDelivery } from '../../src/domain/ports/relay-resume.js';
import { BufferBudget, eventCost } from '../../src/relay/buffer-budget.js';
import { openPostgresStore } from '../../src/store/dialects/postgres.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { createTestDatabase, servicesOff, type TestDatabase } from '../helpers/postgres.js';

describe.skipIf(servicesOff)('RELAY missed events written on PostgreSQL', () => {
  let db: TestDatabase;
  const session = (protocol: string, expiresAt: number, contexts = ['office']): ParkedRelaySession => ({ protocol, projectId: 'p1', tokenId: null, contexts, eventAcks: false, parkedAt: 1_000, expiresAt, events: [] });
  const event = (key: string, contexts: string[], params = JSON.stringify({ key })): RelayEventDelivery => ({ projectId: 'p1', contexts, protocols: [], key, at: 2_000, params });
  const rows = async (store: KyselyStore) => {
    const s = await store.db.selectFrom('relay_parked_sessions').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    const e = await store.db.selectFrom('relay_parked_events').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    return { sessions: Number(s.n), events: Number(e.n) };
  };

  /** Until `n` statements of the test database wait for a lock. */
  const lockWaits = async (store: KyselyStore, n: number) => {
    for (;;) {
      const { rows: [w] } = await sql<{ n: string }>`select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(store.db);
      if (Number(w!.n) >= n) return;
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('an append locks sessions in the order every deletion does: an expiry deleting several never deadlocks with it', async () => {
    const [a, b] = [await openPostgresStore({ url: db.url, poolSize: 4 }), await openPostgresStore({ url: db.url, poolSize: 4 })];
    try {
      const resume = a.relayResumeStore({ instanceId: 'node-a', maxEvents: 1_000, budget: new BufferBudget(1 << 30), eventCost });
      await resume.park(session('signalwire_order_a', Date.now() + 60_000, ['ca']));
      await resume.park(session('signalwire_order_b', Date.now() + 60_000, ['cb']));
      // Another node deletes both sessions in protocol order (as an expiry does), one row at a time;
      // meanwhile this node appends one batch whose events address them in the other order.
      const { appended } = await b.db.transaction().execute(async (tx) => {
        await tx.deleteFrom('relay_parked_sessions').where('protocol', '=', 'signalwire_order_a').execute();
        const appended = resume.deliver([event('kb', ['cb']), event('ka', ['ca'])]);
        await lockWaits(b, 1);
        await tx.deleteFrom('relay_parked_sessions').where('protocol', '=', 'signalwire_order_b').execute();
        return { appended };
      });
      // The append waited for the deletions and then found no session to append to.
      await expect(appended).resolves.toBeUndefined();
      expect(await rows(a)).toEqual({ sessions: 0, events: 0 });
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('appends in bursts while another node expires and claims sessions and this one forgets those over their limit: no deadlock', async () => {
    const [a, b] = [await openPostgresStore({ url: db.url, poolSize: 8 }), await openPostgresStore({ url: db.url, poolSize: 8 })];
    try {
      const budget = new BufferBudget(1 << 30);
      const resume = a.relayResumeStore({ instanceId: 'node-a', maxEvents: 30, budget, eventCost });
      const other = b.relayResumeStore({ instanceId: 'node-b', maxEvents: 30, budget: new BufferBudget(1 << 30), eventCost });
      const now = Date.now();
      for (let round = 0; round < 6; round++) {
        // Half the sessions expired; each batch addresses them in another order than they were parked,
        // while an expiry deletes many at once and another node claims some.
        const protocols = Array.from({ length: 40 }, (_, i) => `signalwire_dl_${round}_${i}`);
        for (const [i, p] of protocols.entries()) await resume.park(session(p, i % 2 === 1 ? now - 1 : now + 60_000, [`c${i % 4}`]));
        const contexts = ['c3', 'c2', 'c1', 'c0', 'c3', 'c2', 'c1', 'c0'];
        const bursts = Array.from({ length: 24 }, (_, j) => resume.deliver(contexts.map((c, k) => event(`r${round}:${j}:${k}`, [c]))));
        await Promise.all([...bursts, other.expire(now), resume.expire(now), ...protocols.slice(30).map((p) => other.claim('p1', p, now))]);
      }
      await resume.clear();
      await other.clear();
      expect(await rows(a)).toEqual({ sessions: 0, events: 0 });
      expect(budget.used).toBe(0);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('counts pending appends against the RELAY buffer budget and drops the sessions they would overflow, as in memory', async () => {
    const store = await openPostgresStore({ url: db.url, poolSize: 4 });
    try {
      const params = JSON.stringify({ body: 'x'.repeat(400) });
      // Room for 100 events of the project (half the budget).
      const budget = new BufferBudget(2 * 100 * eventCost(params));
      const dropped: Array<[string, ParkedSessionEnd]> = [];
      const resume = store.relayResumeStore({ instanceId: 'node-a', maxEvents: 1_000, budget, eventCost, onDropped: (p, why) => dropped.push([p, why]) });
      // 5 sessions on 'office' (50 events), then 15 on 'busy' (150 events): the budget holds 100.
      const protocols = Array.from({ length: 20 }, (_, i) => `signalwire_budget_${i}`);
      for (const [i, p] of protocols.entries()) await resume.park(session(p, Date.now() + 60_000, [i < 5 ? 'office' : 'busy']));
      const burst = ['office', 'busy'].flatMap((c) => Array.from({ length: 10 }, (_, i) => resume.deliver([event(`k${i}`, [c], params)])));
      // Queued, not yet written: held in the budget, which is never exceeded.
      expect(budget.used).toBeGreaterThan(0);
      expect(budget.used).toBeLessThanOrEqual(budget.maxBytes / 2);
      await Promise.all(burst);
      expect(budget.used, 'written events leave the budget').toBe(0);
      expect(dropped.map(([p]) => p).sort()).toEqual(protocols.slice(5).sort());
      expect(dropped.every(([, why]) => why === 'overflow')).toBe(true);
      const lost = new Set(dropped.map(([p]) => p));
      for (const p of protocols) {
        const claimed = await resume.claim('p1', p, Date.now());
        if (lost.has(p)) expect(claimed, `${p} was dropped: the client starts afresh`).toBeUndefined();
        else expect(claimed?.events.map((e) => e.key), p).toEqual(Array.from({ length: 10 }, (_, i) => `k${i}`));
      }
      // The claimed sessions' events moved back into the budget; handing them back empties it.
      expect(budget.used).toBe((protocols.length - lost.size) * 10 * eventCost(params));
    } finally {
      await store.close();
    }
  });

  it('shutdown waits for the writes in flight before the database closes, and leaves nothing behind', async () => {
    const store = await openPostgresStore({ url: db.url, poolSize: 4 });
    const budget = new BufferBudget(1 << 30);
    const resume = store.relayResumeStore({ instanceId: 'node-stop', maxEvents: 1_000, budget, eventCost });
    const protocols = Array.from({ length: 30 }, (_, i) => `signalwire_stop_${i}`);
    for (const p of protocols) await resume.park(session(p, Date.now() + 60_000));
    const errors: unknown[] = [];
    const writes = Array.from({ length: 40 }, (_, j) => resume.deliver(Array.from({ length: 20 }, (_, k) => event(`s${j}:${k}`, ['office']))).catch((err: unknown) => errors.push(err)));
    const expiring = resume.expire(Date.now()).catch((err: unknown) => errors.push(err));
    await resume.clear();
    await store.close();
    await Promise.all([...writes, expiring]);
    expect(errors).toEqual([]);
    expect(budget.used).toBe(0);
    const check = await openPostgresStore({ url: db.url, poolSize: 1 });
    try {
      const left = await check.db.selectFrom('relay_parked_sessions').select('protocol').where('instance_id', '=', 'node-stop').execute();
      expect(left).toEqual([]);
    } finally {
      await check.close();
    }
  });
});

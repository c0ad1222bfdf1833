/**
 * Work-queue claims under real concurrency on PostgreSQL: several stores (one pool each, as
 * several nodes would have) claim from one queue at once. No job or webhook delivery may be handed
 * to two claimers while its lease runs, and a claim never waits for rows another claimer holds.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewJob } from '../../src/domain/jobs.js';
import type { NewWebhookDelivery } from '../../src/domain/webhooks.js';
import { openPostgresStore } from '../../src/store/dialects/postgres.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { createTestDatabase, servicesOff, type TestDatabase } from '../helpers/postgres.js';

const T0 = Date.UTC(2026, 0, 1);
const P1 = '11111111-1111-4111-8111-111111111111';
const NODES = 4;
const LOOPS_PER_NODE = 3;

describe.skipIf(servicesOff)('claims on PostgreSQL with concurrent claimers', () => {
  let db: TestDatabase;
  let nodes: KyselyStore[];

  beforeAll(async () => {
    db = await createTestDatabase();
    nodes = await Promise.all(Array.from({ length: NODES }, () => openPostgresStore({ url: db.url, poolSize: LOOPS_PER_NODE + 1 })));
  });
  afterAll(async () => {
    await Promise.all((nodes ?? []).map((n) => n.close()));
    await db?.drop();
  });

  const job = (runAt = T0): NewJob => ({ kind: 'dispatch', projectId: P1, messageId: randomUUID(), runAt });

  it('hands every due job to exactly one of many concurrent claimers', async () => {
    const total = 3000;
    await nodes[0]!.jobs.enqueueMany(Array.from({ length: total }, () => job()));
    const claimedBy = new Map<number, string[]>();
    await Promise.all(
      nodes.flatMap((store, n) =>
        Array.from({ length: LOOPS_PER_NODE }, async (_, loop) => {
          const owner = `node-${n}-${loop}`;
          for (;;) {
            const got = await store.jobs.claim('dispatch', T0, 25, 600_000, owner);
            if (got.length === 0) return;
            for (const j of got) claimedBy.set(j.id, [...(claimedBy.get(j.id) ?? []), owner]);
          }
        }),
      ),
    );
    expect(claimedBy.size).toBe(total);
    const twice = [...claimedBy].filter(([, owners]) => owners.length > 1);
    expect(twice).toEqual([]);
    // Work was really spread: more than one claimer took part.
    expect(new Set([...claimedBy.values()].map((o) => o[0])).size).toBeGreaterThan(1);
    await nodes[0]!.jobs.deleteMany([...claimedBy.keys()]);
  });

  it('skips rows another claimer has locked instead of waiting for its transaction', async () => {
    await nodes[0]!.jobs.enqueueMany(Array.from({ length: 20 }, () => job()));
    let finishFirst!: () => void;
    const firstMayCommit = new Promise<void>((r) => (finishFirst = r));
    let firstIds: number[] = [];
    const firstClaimed = new Promise<void>((claimed) => {
      void nodes[0]!.transaction(async (tx) => {
        firstIds = (await tx.jobs.claim('dispatch', T0, 10, 600_000, 'holder')).map((j) => j.id);
        claimed();
        // Keep the transaction (and its row locks) open until the second claim has answered.
        await firstMayCommit;
      });
    });
    await firstClaimed;
    const second = await nodes[1]!.jobs.claim('dispatch', T0, 20, 600_000, 'other');
    finishFirst();
    expect(firstIds).toHaveLength(10);
    expect(second).toHaveLength(10);
    expect(second.filter((j) => firstIds.includes(j.id))).toEqual([]);
    await nodes[0]!.jobs.deleteMany([...firstIds, ...second.map((j) => j.id)]);
  });

  it('lets another node take the jobs of a node that died once their lease expires', async () => {
    await nodes[0]!.jobs.enqueueMany(Array.from({ length: 5 }, () => job()));
    const dead = await nodes[0]!.jobs.claim('dispatch', T0, 10, 1_000, 'dead-node');
    expect(dead).toHaveLength(5);
    expect(await nodes[1]!.jobs.claim('dispatch', T0 + 999, 10, 1_000, 'survivor')).toEqual([]);
    const adopted = await nodes[1]!.jobs.claim('dispatch', T0 + 1_000, 10, 1_000, 'survivor');
    expect(adopted.map((j) => j.id).sort()).toEqual(dead.map((j) => j.id).sort());
    expect(adopted.every((j) => j.attempts === 2 && j.leaseOwner === 'survivor')).toBe(true);
    await nodes[1]!.jobs.deleteMany(adopted.map((j) => j.id));
  });

  it('never hands two deliveries of one message out at once, nor one delivery twice, under concurrent claims', async () => {
    const messages = Array.from({ length: 200 }, () => randomUUID());
    const deliveries: NewWebhookDelivery[] = [];
    for (let round = 0; round < 3; round++) {
      for (const m of messages) {
        deliveries.push({ projectId: P1, messageId: m, kind: 'status_callback', url: 'https://example.com/cb', method: 'POST', contentType: 'application/json', body: `{"round":${round}}`, signature: 'json-hex', fallbackUrl: null, fallbackMethod: null, maxAttempts: 3, nextAttemptAt: T0 });
      }
    }
    await nodes[0]!.webhooks.enqueueMany(deliveries);
    const seen = new Map<number, number>();
    let rounds = 0;
    // Each pass: every claimer claims at once; each claimed delivery is then settled as delivered,
    // which lets the message's next delivery become eligible for the next pass.
    for (;;) {
      const claims = await Promise.all(nodes.flatMap((store, n) => Array.from({ length: LOOPS_PER_NODE }, (_, l) => store.webhooks.claimDue(T0, 40, 600_000, `w-${n}-${l}`))));
      const all = claims.flat();
      if (all.length === 0) break;
      rounds++;
      const perMessage = new Map<string, number>();
      for (const d of all) {
        seen.set(d.id, (seen.get(d.id) ?? 0) + 1);
        perMessage.set(d.messageId!, (perMessage.get(d.messageId!) ?? 0) + 1);
      }
      expect([...perMessage.values()].filter((n) => n > 1)).toEqual([]);
      await Promise.all(all.map((d) => nodes[0]!.webhooks.settle(d.id, { status: 'delivered', attempts: 1, nextAttemptAt: T0, lastStatusCode: 200, lastError: null, at: T0 })));
    }
    expect(seen.size).toBe(deliveries.length);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(rounds).toBeGreaterThanOrEqual(3);
  });
});

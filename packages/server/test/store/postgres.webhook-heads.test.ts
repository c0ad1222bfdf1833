/**
 * The webhook head flag under real concurrency on PostgreSQL: a message's callbacks are enqueued
 * (one transaction each, as the journal writes them) while several nodes claim and settle the
 * message's earlier ones. Each message must always have exactly one claimable delivery while it has
 * any pending (never two out at once, never none left waiting), and its callbacks go in order. Two
 * tests hold one transaction open to force each order of an enqueue and a settle of one message.
 * One holds an enqueue open across a breaker's deferral of the destination's deliveries: the two
 * lock the same rows and must do so in one order (a fault campaign found them deadlocking).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { Repositories } from '../../src/domain/ports/store.js';
import { destinationOf, type NewWebhookDelivery } from '../../src/domain/webhooks.js';
import { openPostgresStore } from '../../src/store/dialects/postgres.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { createTestDatabase, servicesOff, type TestDatabase } from '../helpers/postgres.js';

const T0 = Date.UTC(2026, 0, 1);
const P1 = '11111111-1111-4111-8111-111111111111';
const MESSAGES = 60;
const PER_MESSAGE = 5;
const DELIVERED = { status: 'delivered' as const, attempts: 1, nextAttemptAt: T0, lastStatusCode: 200, lastError: null, at: T0 };

describe.skipIf(servicesOff)('webhook heads on PostgreSQL under concurrent enqueue, claim and settle', () => {
  let db: TestDatabase;
  let nodes: KyselyStore[];

  beforeAll(async () => {
    db = await createTestDatabase();
    nodes = await Promise.all(Array.from({ length: 3 }, () => openPostgresStore({ url: db.url, poolSize: 6 })));
  });
  afterAll(async () => {
    await Promise.all((nodes ?? []).map((n) => n.close()));
    await db?.drop();
  });

  const delivery = (messageId: string, n: number): NewWebhookDelivery => ({
    projectId: P1,
    messageId,
    kind: 'status_callback',
    url: 'https://example.com/cb',
    method: 'POST',
    contentType: 'application/json',
    body: String(n),
    signature: 'json-hex',
    fallbackUrl: null,
    fallbackMethod: null,
    maxAttempts: 0,
    nextAttemptAt: T0,
  });

  /** One race: every message's callbacks enqueued while consumers claim and settle; what went wrong. */
  async function race(): Promise<{ twice: number; pending: number; outOfOrder: number }> {
    const messages = Array.from({ length: MESSAGES }, () => randomUUID());
    const order = new Map<string, number[]>();
    const out = new Set<string>();
    let twice = 0;
    let producing = true;

    // One writer per message (the journal serialises a message's changes on its row), many messages at once.
    const producers = Promise.all(
      messages.map(async (m, i) => {
        for (let n = 0; n < PER_MESSAGE; n++) {
          await nodes[i % nodes.length]!.transaction((tx) => tx.webhooks.enqueueMany([delivery(m, n)]));
          await new Promise((r) => setImmediate(r));
        }
      }),
    ).finally(() => (producing = false));

    const consumers = nodes.flatMap((store, s) =>
      Array.from({ length: 2 }, async (_, l) => {
        let idle = 0;
        for (;;) {
          const got = await store.webhooks.claimDue(T0, 20, 600_000, `node-${s}-${l}`);
          if (got.length === 0) {
            if (!producing && ++idle > 50) return;
            await new Promise((r) => setTimeout(r, 2));
            continue;
          }
          idle = 0;
          for (const d of got) {
            if (out.has(d.messageId!)) twice++;
            out.add(d.messageId!);
            order.set(d.messageId!, [...(order.get(d.messageId!) ?? []), Number(d.body)]);
          }
          // Settled together in one transaction, as the runner's bookkeeping does; a delivery is out
          // until then: a claim of its message before is a second head.
          await store.transaction(async (tx) => {
            for (const d of got) out.delete(d.messageId!);
            await tx.webhooks.settleMany(got.map((d) => ({ id: d.id, ...DELIVERED })));
          });
        }
      }),
    );
    await producers;
    await Promise.all(consumers);
    const inOrder = Array.from({ length: PER_MESSAGE }, (_, n) => n).join();
    return { twice, pending: await nodes[0]!.webhooks.countPending(), outOfOrder: messages.filter((m) => order.get(m)?.join() !== inOrder).length };
  }

  it('hands each message’s head on exactly once, in order, while its later callbacks arrive', async () => {
    expect(await race()).toEqual({ twice: 0, pending: 0, outOfOrder: 0 });
  });

  /** Resolves once a session of the test database waits for a row lock, or `other` settles. */
  async function waitsOrSettles(other: Promise<unknown>): Promise<void> {
    let settled = false;
    void other.finally(() => (settled = true)).catch(() => {});
    while (!settled) {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(nodes[2]!.db);
      if (rows[0]!.n > 0) return;
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** A transaction on `store` that runs `work`, then stays open until `release` is called. */
  function held(store: KyselyStore, work: (tx: Repositories) => Promise<void>) {
    let release!: () => void;
    let started!: () => void;
    const ready = new Promise<void>((r) => (started = r));
    const done = store.transaction(async (tx) => {
      await work(tx);
      started();
      await new Promise<void>((r) => (release = r));
    });
    return { ready, done, release: () => release() };
  }

  it('lets a callback enqueued while its message’s head is being settled become the head (settle first)', async () => {
    const m = randomUUID();
    await nodes[0]!.webhooks.enqueueMany([delivery(m, 0)]);
    const [head] = await nodes[0]!.webhooks.claimDue(T0, 1, 600_000, 'a');
    const settle = held(nodes[0]!, (tx) => tx.webhooks.settleMany([{ id: head!.id, ...DELIVERED }]));
    await settle.ready;
    // The enqueue waits for the settle (it locks the message's pending rows); without that it would
    // see the head still pending, and the settle's hand-on would not see the new delivery.
    const enqueue = nodes[1]!.transaction((tx) => tx.webhooks.enqueueMany([delivery(m, 1)]));
    await waitsOrSettles(enqueue);
    settle.release();
    await Promise.all([settle.done, enqueue]);
    expect((await nodes[2]!.webhooks.claimDue(T0, 10, 1000, 'b')).map((d) => d.body)).toEqual(['1']);
  });

  it('lets a callback enqueued while its message’s head is being settled become the head (enqueue first)', async () => {
    const m = randomUUID();
    await nodes[0]!.webhooks.enqueueMany([delivery(m, 0)]);
    const [head] = await nodes[0]!.webhooks.claimDue(T0, 1, 600_000, 'a');
    const enqueue = held(nodes[1]!, (tx) => tx.webhooks.enqueueMany([delivery(m, 1)]));
    await enqueue.ready;
    // The settle waits for the enqueue's lock on the head, then its hand-on sees the new delivery.
    const settle = nodes[0]!.transaction((tx) => tx.webhooks.settleMany([{ id: head!.id, ...DELIVERED }]));
    await waitsOrSettles(settle);
    enqueue.release();
    await Promise.all([settle, enqueue.done]);
    expect((await nodes[2]!.webhooks.claimDue(T0, 10, 1000, 'b')).map((d) => d.body)).toEqual(['1']);
  });

  it('defers a paused destination’s deliveries while an enqueue holds some of them, without a deadlock', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    await nodes[0]!.webhooks.enqueueMany([{ ...delivery(a, 0), nextAttemptAt: T0 + 1 }]);
    await nodes[0]!.webhooks.enqueueMany([delivery(b, 0)]);
    // Whether the deferral reads the destination's index (due order) or the table (the first head's
    // row version moved behind the second's), it meets b's head first.
    await sql`update webhook_deliveries set updated_at = updated_at where message_id = ${a}`.execute(nodes[0]!.db);
    // The journal writing both messages' next callbacks locks a's pending rows, then b's: in id order.
    let aLocked!: () => void;
    let bTurn!: () => void;
    const locked = new Promise<void>((r) => (aLocked = r));
    const turn = new Promise<void>((r) => (bTurn = r));
    const enqueue = nodes[1]!.transaction(async (tx) => {
      await tx.webhooks.enqueueMany([delivery(a, 1)]);
      aLocked();
      await turn;
      await tx.webhooks.enqueueMany([delivery(b, 1)]);
    });
    await locked;
    // A breaker opens on another node: it defers the destination's waiting heads, a's among them. It
    // must wait for a's lock holding none of the others, or the enqueue and it wait for each other.
    const until = T0 + 60_000;
    const defer = nodes[2]!.webhooks.deferDestination(destinationOf(P1, 'https://example.com/cb'), until);
    await waitsOrSettles(defer);
    bTurn();
    const [deferred] = await Promise.all([defer, enqueue]);
    expect(deferred).toBe(2);
    const { rows } = await sql<{ message_id: string; next_attempt_at: string }>`select message_id, next_attempt_at from webhook_deliveries where message_id in (${a}, ${b}) and head = 1`.execute(nodes[0]!.db);
    expect(rows.map((r) => Number(r.next_attempt_at))).toEqual([until, until]);
  });
});

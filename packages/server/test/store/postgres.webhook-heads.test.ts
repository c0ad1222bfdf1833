/**
 * The webhook head flag under real concurrency on PostgreSQL: a message's callbacks are enqueued
 * (one transaction each, as the journal writes them) while several nodes claim and settle the
 * message's earlier ones. Each message must always have exactly one claimable delivery while it has
 * any pending (never two out at once, never none left waiting), and its callbacks go in order.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewWebhookDelivery } from '../../src/domain/webhooks.js';
import { openPostgresStore } from '../../src/store/dialects/postgres.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { createTestDatabase, servicesOff, type TestDatabase } from '../helpers/postgres.js';

const T0 = Date.UTC(2026, 0, 1);
const P1 = '11111111-1111-4111-8111-111111111111';
const MESSAGES = 60;
const PER_MESSAGE = 5;

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
          // Settled together in one transaction, in id order, as the runner's bookkeeping does. A
          // delivery is out until its settle starts: a claim of its message before then is a second head.
          await store.transaction(async (tx) => {
            for (const d of [...got].sort((a, b) => a.id - b.id)) {
              out.delete(d.messageId!);
              await tx.webhooks.settle(d.id, { status: 'delivered', attempts: 1, nextAttemptAt: T0, lastStatusCode: 200, lastError: null, at: T0 });
            }
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
    // The window a race needs is narrow: a few rounds make a missing lock show (4 of 10 single rounds did).
    for (let round = 0; round < 3; round++) expect(await race()).toEqual({ twice: 0, pending: 0, outOfOrder: 0 });
  });
});

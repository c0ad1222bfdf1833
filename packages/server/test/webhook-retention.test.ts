/**
 * Retention of the webhook outbox on a real engine and store, on SQLite and on PostgreSQL, with
 * the manual clock: a pass deletes deliveries settled longer ago than their retention (delivered,
 * failed for good) with their attempts, and keeps pending ones, newer ones, those of messages still
 * in flight and an inbound message's cXML request while a reply of its exchange is in flight; it
 * works a page of `batchSize` rows per statement; with several nodes only the lease holder prunes.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { InProcessBus } from '../src/bus/in-process-bus.js';
import type { WebhookDeliveryRecord } from '../src/domain/webhooks.js';
import { DEFAULT_RETENTION, RETENTION_LEASE, type RetentionOptions } from '../src/engine/messages/webhook-retention.js';
import { buildTestEngine, HANDSET, TEST_NUMBERS, type TestEngine } from '../src/engine/testing/test-engine.js';
import { storeBackends } from './helpers/postgres.js';
import { deliveryRow } from './helpers/records.js';

const backends = storeBackends(afterAll);

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe.each(backends)('webhook retention on %s', (_name, open) => {
  let t: TestEngine;
  let close: () => Promise<void>;
  afterEach(async () => {
    await t.engine.stop();
    await close();
  });

  async function build(retention: Partial<RetentionOptions> = {}, cluster = false): Promise<void> {
    const opened = await open();
    close = opened.close;
    t = await buildTestEngine(
      { store: opened.store, bus: new InProcessBus() },
      { options: { retention: { ...DEFAULT_RETENTION, ...retention }, ...(cluster ? { cluster: { heartbeatMs: 1000, nodeTimeoutMs: 10_000 } } : {}) } },
    );
  }

  /** An inbound message (received: final), whose webhooks nothing waits for any more. */
  async function received(): Promise<string> {
    const [routed] = await t.engine.inbound.receive([{ from: HANDSET, to: TEST_NUMBERS[1], body: 'hello', media: [], carrier: t.carrier.descriptor.id, receivedAt: t.clock.now() }]);
    return (routed as { messageId: string }).messageId;
  }

  /** Queue `n` deliveries of `messageId` (of `kind`), now, and return them. */
  async function queue(messageId: string, n = 1, kind: WebhookDeliveryRecord['kind'] = 'status_callback'): Promise<WebhookDeliveryRecord[]> {
    const before = new Set((await t.engine.reads.webhooks.listForMessage(t.project.id, messageId)).map((d) => d.id));
    await t.engine.webhookOutbox.schedule(Array.from({ length: n }, () => deliveryRow(t.project.id, { messageId, kind, nextAttemptAt: t.clock.now() })));
    return (await t.engine.reads.webhooks.listForMessage(t.project.id, messageId)).filter((d) => !before.has(d.id));
  }

  /** Settle a delivery now (one attempt recorded), as the runner does. */
  async function settle(d: WebhookDeliveryRecord, status: 'delivered' | 'failed'): Promise<void> {
    const at = t.clock.now();
    await t.store.transaction(async (tx) => {
      await tx.webhooks.recordAttempts([{ deliveryId: d.id, projectId: d.projectId, attempt: 1, url: d.url, at, durationMs: 5, statusCode: status === 'delivered' ? 200 : 500, error: null, signature: 'sig', responseExcerpt: null }]);
      await tx.webhooks.settle(d.id, { status, attempts: 1, nextAttemptAt: at, lastStatusCode: status === 'delivered' ? 200 : 500, lastError: null, at });
    });
  }

  const stored = async (d: WebhookDeliveryRecord) => (await t.engine.reads.webhooks.get(t.project.id, d.id)) !== undefined;
  const attemptsOf = (d: WebhookDeliveryRecord) => t.engine.reads.webhooks.listAttempts(t.project.id, d.id);

  it('deletes delivered deliveries after 7 days and failed ones after 30, with their attempts; keeps pending and newer ones', async () => {
    await build();
    const id = await received();
    const [delivered, failed, pending] = await queue(id, 3);
    await settle(delivered!, 'delivered');
    await settle(failed!, 'failed');

    t.clock.advance(7 * DAY - 1);
    expect(await t.engine.retention.prune()).toMatchObject({ deliveries: 0, attempts: 0 });
    expect(await stored(delivered!)).toBe(true);

    t.clock.advance(1);
    const [recent] = await queue(id);
    await settle(recent!, 'delivered');
    expect(await t.engine.retention.prune()).toMatchObject({ deliveries: 1, attempts: 1 });
    expect(await stored(delivered!)).toBe(false);
    expect(await attemptsOf(delivered!)).toEqual([]);
    for (const kept of [failed!, pending!, recent!]) expect(await stored(kept)).toBe(true);
    expect(await attemptsOf(failed!)).toHaveLength(1);
    expect((await t.engine.reads.webhooks.countByStatus(t.project.id, 1000)).counts).toEqual({ pending: 1, retrying: 0, delivered: 1, failed: 1 });

    t.clock.advance(23 * DAY);
    expect(await t.engine.retention.prune()).toMatchObject({ deliveries: 2, attempts: 2 });
    expect(await t.engine.reads.webhooks.listForMessage(t.project.id, id)).toEqual([expect.objectContaining({ id: pending!.id, status: 'pending' })]);
    expect(t.metrics.pruned).toEqual({ webhook_deliveries: 3, webhook_attempts: 3 });
  });

  it('keeps for good what a retention of 0 says, and the other state by its own', async () => {
    await build({ deliveredWebhooksMs: 0, failedWebhooksMs: HOUR });
    const id = await received();
    const [delivered, failed] = await queue(id, 2);
    await settle(delivered!, 'delivered');
    await settle(failed!, 'failed');
    t.clock.advance(365 * DAY);
    expect(await t.engine.retention.prune()).toMatchObject({ deliveries: 1 });
    expect(await stored(delivered!)).toBe(true);
    expect(await stored(failed!)).toBe(false);
  });

  it('keeps the deliveries of a message in flight: `sent` until unchanged past the longer retention (a receipt may follow)', async () => {
    await build({ deliveredWebhooksMs: DAY, failedWebhooksMs: 2 * DAY });
    await t.engine.start();
    const message = await t.send();
    await t.statuses.reached(message.id, 'sent');
    const [callback] = await queue(message.id);
    await settle(callback!, 'delivered');
    t.clock.advance(2 * DAY - 1);
    expect(await t.engine.retention.prune()).toMatchObject({ deliveries: 0 });
    expect(await stored(callback!)).toBe(true);
    t.clock.advance(1);
    expect(await t.engine.retention.prune()).toMatchObject({ deliveries: 1 });
    expect(await stored(callback!)).toBe(false);
  });

  it('deletes the deliveries of an outbound message that reached a final state once past the retention', async () => {
    await build({ deliveredWebhooksMs: DAY, failedWebhooksMs: 30 * DAY });
    await t.engine.start();
    const message = await t.send();
    await t.statuses.reached(message.id, 'sent');
    t.carrier.report(t.carrier.receipt({ messageId: message.id, projectId: t.project.id }, 'delivered'));
    await t.statuses.reached(message.id, 'delivered');
    const [callback] = await queue(message.id);
    await settle(callback!, 'delivered');
    t.clock.advance(DAY);
    expect(await t.engine.retention.prune()).toMatchObject({ deliveries: 1, attempts: 1 });
  });

  it("keeps an inbound message's cXML request while a reply of its exchange is in flight", async () => {
    await build({ deliveredWebhooksMs: DAY });
    await t.engine.start();
    const inbound = await received();
    const [request] = await queue(inbound, 1, 'inbound_message');
    await settle(request!, 'delivered');
    const reply = await t.send({ to: HANDSET, from: TEST_NUMBERS[1], cxmlSession: inbound });
    await t.statuses.reached(reply.id, 'sent');
    t.clock.advance(2 * DAY);
    expect(await t.engine.retention.prune()).toMatchObject({ deliveries: 0 });
    expect(await t.engine.reads.webhooks.countCxmlDocuments(t.project.id, inbound, Number.MAX_SAFE_INTEGER)).toBe(1);
    // The reply unchanged at `sent` past the longer retention (failed: 30 days): no longer in flight.
    t.clock.advance(29 * DAY);
    expect(await t.engine.retention.prune()).toMatchObject({ deliveries: 1 });
  });

  it('works in pages of batchSize rows, and stops at the deliveries created since the cutoff', async () => {
    await build({ deliveredWebhooksMs: DAY, batchSize: 10 });
    const id = await received();
    for (const d of await queue(id, 25)) await settle(d, 'delivered');
    t.clock.advance(DAY);
    for (const d of await queue(id, 30)) await settle(d, 'delivered');
    // One page deletes at most a page: straight through the port.
    const first = await t.store.webhooks.pruneSettled({ deliveredBefore: t.clock.now() - DAY, failedBefore: null }, 0, 10);
    expect(first).toMatchObject({ deliveries: 10, attempts: 10, done: false });
    // The pass: the 15 old ones left in two pages; the second reaches the new ones, which ends the walk.
    expect(await t.engine.retention.prune()).toEqual({ deliveries: 15, attempts: 15, pages: 2 });
    expect(await t.engine.reads.webhooks.listForMessage(t.project.id, id)).toHaveLength(30);
  });

  it('is safe when two passes run at once (a lease that ran out mid-pass): each row deleted once, nothing else', async () => {
    await build({ deliveredWebhooksMs: DAY });
    const id = await received();
    for (const d of await queue(id, 40)) await settle(d, 'delivered');
    const [pending] = await queue(id);
    t.clock.advance(DAY);
    const cutoffs = { deliveredBefore: t.clock.now() - DAY, failedBefore: null };
    const pages = await Promise.all([t.store.webhooks.pruneSettled(cutoffs, 0, 100), t.store.webhooks.pruneSettled(cutoffs, 0, 100)]);
    expect(pages[0]!.deliveries + pages[1]!.deliveries).toBe(40);
    expect(pages[0]!.attempts + pages[1]!.attempts).toBe(40);
    expect(await t.engine.reads.webhooks.listForMessage(t.project.id, id)).toEqual([expect.objectContaining({ id: pending!.id })]);
  });

  it('with several nodes, prunes only on the node holding the retention lease', async () => {
    await build({ deliveredWebhooksMs: DAY }, true);
    const id = await received();
    const [d] = await queue(id);
    await settle(d!, 'delivered');
    t.clock.advance(2 * DAY);
    expect(await t.store.leases.acquire(RETENTION_LEASE, 'OTHER', t.clock.now(), 60_000)).toBe(true);
    expect(await t.engine.retention.prune()).toEqual({ deliveries: 0, attempts: 0, pages: 0 });
    expect(await stored(d!)).toBe(true);
    // The other node stopped renewing it: this one takes the lease over.
    t.clock.advance(60_000);
    expect(await t.engine.retention.prune()).toMatchObject({ deliveries: 1 });
    expect((await t.store.leases.list()).find((l) => l.name === RETENTION_LEASE)?.owner).toBe('TEST');
  });
});

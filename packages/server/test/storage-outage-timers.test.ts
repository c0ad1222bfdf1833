/**
 * The manual simulator clock kept in the database (SharedClock) and the webhook outbox's retention
 * pass, while storage is unavailable (SQLite: a read-only database, the path of a full or failing
 * disk; PostgreSQL: the link to it down), on a real engine and store: an advance fails with
 * `StoreUnavailableError` (503 on the API) and moves no clock, a retention pass fails the same way,
 * their timers keep going through the outage (logged, never an unhandled rejection), and both work
 * again once storage is back: an advance moves the clock by its own step only, a pass deletes what
 * is due, and the clock's refresh follows a position another node stored.
 */
import { sql } from 'kysely';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InProcessBus } from '../src/bus/in-process-bus.js';
import { isStoreUnavailable } from '../src/domain/ports/store.js';
import { DEFAULT_RETENTION } from '../src/engine/messages/webhook-retention.js';
import { buildTestEngine } from '../src/engine/testing/test-engine.js';
import { servicesOff } from './helpers/postgres.js';
import { eventually } from './helpers/server.js';
import { postgresOutage, sqliteOutage, type StoreOutage } from './helpers/store-outage.js';

const MINUTE = 60_000;

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (err: unknown) => err,
  );
}

function describeOutage(dialect: string, open: () => Promise<StoreOutage>) {
  describe(`the shared simulator clock and webhook retention while storage is unavailable (${dialect})`, () => {
    it('fail clearly, keep their timers going, and work again once storage is back', async () => {
      const outage = await open();
      const t = await buildTestEngine(
        { store: outage.store, bus: new InProcessBus() },
        { options: { sharedClock: { refreshMs: 5 }, retention: { ...DEFAULT_RETENTION, deliveredWebhooksMs: MINUTE, intervalMs: 5 } } },
      );
      const shared = t.engine.sharedClock!;
      const logged = (text: string) => t.logger.entries.filter((e) => e.msg?.includes(text)).length;
      try {
        await t.engine.start();
        const start = t.clock.now();
        await outage.fail();

        // An advance: the storage error (the API's 503), and no clock moved, here or stored.
        const err = await rejection(shared.advance(MINUTE));
        expect(isStoreUnavailable(err), String(err)).toBe(true);
        expect(t.clock.now()).toBe(start);
        expect(isStoreUnavailable(await rejection(t.engine.retention.prune()))).toBe(true);
        // Both timers run on through the outage, each failure logged (the clock's refresh only reads).
        const refreshFails = outage.readsFail ? 2 : 0;
        await eventually(() => (logged('reading the simulator clock failed') >= refreshFails && logged('deleting old webhook deliveries failed') >= 2 ? true : undefined), 10_000, 'the timers failing, and going on');

        await outage.restore();
        expect(await shared.advance(MINUTE)).toBe(start + MINUTE);
        expect(await t.engine.retention.prune()).toMatchObject({ pages: 1 });
        // Another node's advance whose event this node missed: the refresh timer, still armed, follows it.
        await sql`update simulator_clock set now_ms = now_ms + ${MINUTE}`.execute(outage.store.db);
        await eventually(() => (t.clock.now() === start + 2 * MINUTE ? true : undefined), 10_000, 'the refresh following the stored position');
      } finally {
        await outage.restore();
        await t.engine.stop();
        await outage.close();
      }
    }, 30_000);
  });
}

const root = mkdtempSync(join(tmpdir(), 'switchboard-outage-timers-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describeOutage('sqlite', () => sqliteOutage(join(root, randomUUID(), 'switchboard.sqlite')));

describe.skipIf(servicesOff)('PostgreSQL', () => {
  describeOutage('postgres', postgresOutage);
});

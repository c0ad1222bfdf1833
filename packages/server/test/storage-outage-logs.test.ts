/**
 * The log while storage is unavailable (SQLite: a read-only database, the path of a full or failing
 * disk; PostgreSQL: the link to it down), on a real engine and store: the loops that keep trying —
 * the dispatcher's claim (once a second), the shared simulator clock's refresh (every 5 s), the
 * webhook retention pass — each log their first failure at once, leave the repeats out of the log
 * (written at debug, one line a minute at most at their level), and log their recovery once, with
 * how many failures there were and how many lines were left out (`util/log-limiter.ts`). Before,
 * an outage of an hour wrote 3,600 claim errors and 720 clock warnings.
 *
 * The dispatcher's retries run on the engine's manual clock, moved a second at a time; the refresh
 * and retention timers here run every 5 ms of real time.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InProcessBus } from '../src/bus/in-process-bus.js';
import { DEFAULT_RETENTION } from '../src/engine/messages/webhook-retention.js';
import { buildTestEngine, type RecordingLogger } from '../src/engine/testing/test-engine.js';
import { servicesOff } from './helpers/postgres.js';
import { eventually } from './helpers/server.js';
import { postgresOutage, sqliteOutage, type StoreOutage } from './helpers/store-outage.js';

const MINUTE = 60_000;

/** Lines whose message starts with `text`, at `level`. */
const lines = (logger: RecordingLogger, level: 'debug' | 'info' | 'warn' | 'error', text: string) => logger.entries.filter((e) => e.level === level && e.msg?.startsWith(text));

function describeOutage(dialect: string, open: () => Promise<StoreOutage>) {
  describe(`the log while storage is unavailable (${dialect})`, () => {
    it('has each loop’s first failure, not its repeats, and its recovery with the count left out', async () => {
      const outage = await open();
      const t = await buildTestEngine(
        { store: outage.store, bus: new InProcessBus() },
        { options: { sharedClock: { refreshMs: 5 }, retention: { ...DEFAULT_RETENTION, deliveredWebhooksMs: MINUTE, intervalMs: 5 } } },
      );
      const claims = (level: 'debug' | 'info' | 'error') => lines(t.logger, level, 'claiming dispatch jobs');
      try {
        await t.engine.start();
        await outage.fail();

        // Ten seconds of outage on the dispatcher's clock: a failed claim each second.
        t.engine.wake();
        await eventually(() => (claims('error').length === 1 ? true : undefined), 10_000, 'the first failed claim');
        for (let i = 1; i < 10; i++) {
          t.clock.advance(1000);
          await eventually(() => (claims('debug').length >= i ? true : undefined), 10_000, `failed claim ${i + 1}`);
        }
        // The timers: several failures each, a line each.
        await eventually(() => (lines(t.logger, 'debug', 'deleting old webhook deliveries failed').length >= 3 ? true : undefined), 10_000, 'retention failing on');
        if (outage.readsFail) await eventually(() => (lines(t.logger, 'debug', 'reading the simulator clock failed').length >= 3 ? true : undefined), 10_000, 'the refresh failing on');
        expect(claims('error')).toHaveLength(1);
        expect(claims('error')[0]!.obj).toMatchObject({ err: expect.anything() });
        expect(lines(t.logger, 'warn', 'deleting old webhook deliveries failed')).toHaveLength(1);
        expect(lines(t.logger, 'warn', 'reading the simulator clock failed')).toHaveLength(outage.readsFail ? 1 : 0);

        await outage.restore();
        const failedClaims = claims('error').length + claims('debug').length;
        t.clock.advance(1000);
        const [back] = await eventually(() => (claims('info').length ? claims('info') : undefined), 10_000, 'the claim succeeding again');
        expect(back!.msg).toBe('claiming dispatch jobs succeeds again');
        expect(back!.obj).toMatchObject({ failures: failedClaims, suppressed: failedClaims - 1 });
        const [pruned] = await eventually(() => {
          const l = lines(t.logger, 'info', 'deleting old webhook deliveries succeeds again');
          return l.length ? l : undefined;
        }, 10_000, 'retention succeeding again');
        expect((pruned!.obj as { suppressed: number }).suppressed).toBeGreaterThanOrEqual(3);
        if (outage.readsFail) await eventually(() => (lines(t.logger, 'info', 'reading the simulator clock succeeds again').length === 1 ? true : undefined), 10_000, 'the refresh succeeding again');
      } finally {
        await outage.restore();
        await t.engine.stop();
        await outage.close();
      }
    }, 60_000);
  });
}

const root = mkdtempSync(join(tmpdir(), 'switchboard-outage-logs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describeOutage('sqlite', () => sqliteOutage(join(root, randomUUID(), 'switchboard.sqlite')));

describe.skipIf(servicesOff)('PostgreSQL', () => {
  describeOutage('postgres', postgresOutage);
});
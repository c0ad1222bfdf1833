import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.js';
import { RecordingLogger } from '../testing/test-engine.js';
import { StorageHealth } from './storage-health.js';

describe('StorageHealth', () => {
  it('logs an outage once, then each new cause as it appears, reminders each minute, and its end', () => {
    const clock = new ManualClock();
    const logger = new RecordingLogger();
    const health = new StorageHealth(clock, logger);
    const terminated = new Error('database unavailable: Connection terminated unexpectedly');
    const readOnly = new Error('database takes no writes (a read-only transaction: a standby, or default_transaction_read_only): cannot execute INSERT in a read-only transaction (SQLSTATE 25006)');

    // An administrator makes the database read-only and ends its sessions: the first failures say "terminated"…
    health.failed(terminated, 'new messages', 'refused');
    health.failed(terminated, 'state changes', 'retried');
    clock.advance(100);
    // …and every one after says "read-only": the log says so when it changes, once.
    health.failed(readOnly, 'new messages', 'refused');
    health.failed(readOnly, 'new messages', 'refused');
    health.failed(terminated, 'new messages', 'refused');
    // The lines left out are written at debug, and counted on the next line written.
    expect(logger.messages('error')).toEqual([`${terminated.message}; refused`, `storage still failing, now: ${readOnly.message}; refused (1 more not logged)`]);
    expect(logger.messages('debug')).toHaveLength(3);
    expect(health.report(0).detail).toMatch(/^database unavailable: Connection terminated/);

    clock.advance(60_000);
    health.failed(readOnly, 'new messages', 'refused');
    expect(logger.messages('error')).toHaveLength(3);
    expect(logger.messages('error')[2]).toBe(`storage still failing: ${readOnly.message}; refused (2 more not logged)`);

    health.succeeded();
    expect(logger.messages('info')).toEqual(['storage writes succeed again']);
    expect(logger.entries.at(-1)!.obj).toMatchObject({ failures: 6, suppressed: 0, lastCause: readOnly.message });
    expect(health.report(0)).toEqual({ ok: true });
  });

  it('logs at most ten distinct causes of one outage as they appear', () => {
    const clock = new ManualClock();
    const logger = new RecordingLogger();
    const health = new StorageHealth(clock, logger);
    for (let i = 0; i < 30; i++) health.failed(new Error(`cause ${i}`), 'new messages', 'refused');
    expect(logger.messages('error')).toHaveLength(10);
  });
});

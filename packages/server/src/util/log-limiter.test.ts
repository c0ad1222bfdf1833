import { describe, expect, it } from 'vitest';
import { RecordingLogger } from '../engine/testing/test-engine.js';
import { LogLimiter, RepeatedFailure } from './log-limiter.js';

describe('LogLimiter', () => {
  it('writes perWindow lines a window per key, the rest at debug, and says on the next line how many were left out', () => {
    let now = 0;
    const logger = new RecordingLogger();
    const limiter = new LogLimiter(logger, { perWindow: 2, windowMs: 1000, now: () => now });
    for (let i = 0; i < 5; i++) limiter.warn('a', { i }, 'A failed');
    limiter.warn('b', {}, 'B failed');
    expect(logger.messages('warn')).toEqual(['A failed', 'A failed', 'B failed']);
    expect(logger.messages('debug')).toEqual(['A failed', 'A failed', 'A failed']);
    now = 1000;
    limiter.warn('a', {}, 'A failed');
    expect(logger.entries.at(-1)).toMatchObject({ level: 'warn', msg: 'A failed (3 more not logged)', obj: { suppressed: 3, failures: 6 } });
  });

  it('writes a recovery once, with the failures and the lines left out; nothing for a key that did not fail', () => {
    const logger = new RecordingLogger();
    const failure = new RepeatedFailure(logger, 'error', 'claiming failed', 'claiming succeeds again');
    failure.succeeded();
    expect(logger.entries).toEqual([]);
    for (let i = 0; i < 4; i++) failure.failed(new Error('down'));
    expect(failure.failing).toBe(true);
    failure.succeeded();
    failure.succeeded();
    expect(logger.entries.map((e) => [e.level, e.msg])).toEqual([
      ['error', 'claiming failed'],
      ['debug', 'claiming failed'],
      ['debug', 'claiming failed'],
      ['debug', 'claiming failed'],
      ['info', 'claiming succeeds again'],
    ]);
    expect(logger.entries.at(-1)!.obj).toMatchObject({ failures: 4, suppressed: 3 });
    // A new run starts with its first failure written again.
    failure.failed(new Error('down again'));
    expect(logger.entries.at(-1)).toMatchObject({ level: 'error', msg: 'claiming failed' });
  });

  it('remembers at most maxKeys keys', () => {
    const logger = new RecordingLogger();
    const limiter = new LogLimiter(logger, { perWindow: 1, windowMs: 60_000, maxKeys: 2 });
    for (const k of ['a', 'b', 'c']) limiter.warn(k, {}, k);
    expect([limiter.active('a'), limiter.active('b'), limiter.active('c')]).toEqual([false, true, true]);
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RecordingLogger } from '../engine/testing/test-engine.js';
import { RepeatedFailure } from './log-limiter.js';
import { PeriodicPass } from './periodic-pass.js';

/** A pass the test ends by hand: `calls` counts the passes started, `end` ends the last one. */
function manualPass() {
  const state = { calls: 0, end: (_err?: Error) => {} };
  const pass = () => {
    state.calls++;
    return new Promise<number>((resolve, reject) => {
      state.end = (err?: Error) => (err ? reject(err) : resolve(state.calls));
    });
  };
  return { state, pass };
}

/** Every callback of what has settled has run. */
const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('PeriodicPass', () => {
  beforeEach(() => void vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] }));
  afterEach(() => void vi.useRealTimers());

  it('runs one pass at a time: a call during a pass gets that pass', async () => {
    const { state, pass } = manualPass();
    const passes = new PeriodicPass(pass);
    const first = passes.now();
    expect(passes.now()).toBe(first);
    state.end();
    expect(await first).toBe(1);
    const second = passes.now();
    expect(second).not.toBe(first);
    state.end();
    expect(await second).toBe(2);
  });

  it('runs on the timer, logs a streak of failures once and its end, and stops: no more passes, the one under way awaited', async () => {
    const { state, pass } = manualPass();
    const logger = new RecordingLogger();
    const passes = new PeriodicPass(pass);
    passes.start(1_000, new RepeatedFailure(logger, 'warn', 'sweeping failed', 'sweeping succeeds again'));
    for (const outcome of [new Error('down'), new Error('down'), undefined]) {
      const before = state.calls;
      vi.advanceTimersByTime(1_000);
      expect(state.calls).toBe(before + 1);
      state.end(outcome);
      await settled();
    }
    expect(logger.entries.filter((e) => e.level !== 'debug').map((e) => [e.level, e.msg])).toEqual([
      ['warn', 'sweeping failed'],
      ['info', 'sweeping succeeds again'],
    ]);

    const started = state.calls;
    vi.advanceTimersByTime(1_000);
    expect(state.calls).toBe(started + 1);
    let stopped = false;
    const stopping = passes.stop().then(() => (stopped = true));
    await settled();
    expect(stopped).toBe(false);
    state.end(new Error('failed while stopping'));
    await stopping;
    vi.advanceTimersByTime(10_000);
    expect(state.calls).toBe(started + 1);
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StoreSilentAtStopError, StoreUnavailableError } from '../../domain/ports/store.js';
import { StopSilence, type Done } from './postgres-stop.js';

const SILENCE_MS = 6_000;

/** An operation the test answers by hand: `answer` reports its outcome as node-postgres's callback would. */
function operation<T>() {
  let done: Done<T> | undefined;
  return {
    start: (d: Done<T>) => void (done = d),
    answer: (err: unknown, value?: T) => done!(err, value),
  };
}

/** How a promise stands: `outcome` is filled in when it settles (the fake clock's advance runs the callbacks). */
function watch<T>(p: Promise<T>) {
  const w: { outcome: { value: T } | { err: unknown } | 'pending' } = { outcome: 'pending' };
  p.then(
    (value) => (w.outcome = { value }),
    (err: unknown) => (w.outcome = { err }),
  );
  return w;
}

const isTimeout = (err: unknown) => err instanceof Error && err.message === 'timeout';

describe('StopSilence', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('never gives up on a statement while the node runs', async () => {
    const silence = new StopSilence(isTimeout, SILENCE_MS);
    const op = operation<string>();
    const result = silence.guard(op.start);
    const watched = watch(result);
    await vi.advanceTimersByTimeAsync(10 * SILENCE_MS);
    expect(watched.outcome).toBe('pending');
    op.answer(null, 'late but answered');
    expect(await result).toBe('late but answered');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('times a statement already waiting when the stop begins from the stop, gives it up, and refuses what follows', async () => {
    const silence = new StopSilence(isTimeout, SILENCE_MS);
    const op = operation<string>();
    const abandon = vi.fn();
    const late = vi.fn();
    const result = watch(silence.guard(op.start, abandon, late));
    // It has waited long before the stop: that does not count.
    await vi.advanceTimersByTimeAsync(4 * SILENCE_MS);
    silence.begin();
    await vi.advanceTimersByTimeAsync(SILENCE_MS - 1);
    expect(result.outcome).toBe('pending');
    expect(abandon).not.toHaveBeenCalled();

    await vi.advanceTimersByTimeAsync(1);
    const outcome = result.outcome;
    expect(outcome).toMatchObject({ err: expect.any(StoreUnavailableError) });
    expect(((outcome as { err: Error }).err).message).toMatch(/while the node is stopping/);
    // Of the kind whose retries give up at once (the journal's `retryDelay`): nothing will answer.
    expect(outcome).toMatchObject({ err: expect.any(StoreSilentAtStopError) });
    expect(abandon).toHaveBeenCalledTimes(1);
    expect(silence.refused).toBe(true);

    // An answer after it was given up on goes to `late`, to be cleaned up.
    op.answer(null, 'too late');
    expect(late).toHaveBeenCalledWith('too late');
    // Everything after fails at once, without being started.
    const next = vi.fn();
    await expect(silence.guard(next)).rejects.toBeInstanceOf(StoreSilentAtStopError);
    expect(next).not.toHaveBeenCalled();
  });

  it('gives up a statement started during the stop after the silence, and answers one that is answered in time', async () => {
    const silence = new StopSilence(isTimeout, SILENCE_MS);
    silence.begin();
    const answered = operation<number>();
    const quick = silence.guard(answered.start);
    const unanswered = operation<number>();
    const slow = silence.guard(unanswered.start).then(
      () => 'answered',
      (err: unknown) => err,
    );
    answered.answer(null, 1);
    expect(await quick).toBe(1);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(SILENCE_MS);
    expect(await slow).toBeInstanceOf(StoreUnavailableError);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('passes on an error and, once stopping, takes a timeout of its own as the silence', async () => {
    const running = new StopSilence(isTimeout, SILENCE_MS);
    const op = operation<number>();
    const failed = running.guard(op.start);
    op.answer(new Error('timeout'));
    await expect(failed).rejects.toThrow('timeout');
    expect(running.refused).toBe(false);

    const stopping = new StopSilence(isTimeout, SILENCE_MS);
    stopping.begin();
    const op2 = operation<number>();
    const timedOut = stopping.guard(op2.start);
    op2.answer(new Error('timeout'));
    await expect(timedOut).rejects.toThrow('timeout');
    expect(stopping.refused).toBe(true);
  });

  it('settles an operation that throws as it starts', async () => {
    const silence = new StopSilence(isTimeout, SILENCE_MS);
    await expect(
      silence.guard(() => {
        throw new Error('refused to start');
      }),
    ).rejects.toThrow('refused to start');
    silence.begin();
    expect(vi.getTimerCount()).toBe(0);
  });
});

/**
 * The manual clock's timers, and the two schedulers that arm theirs on it (TimerQueue, WorkLoop):
 * nothing fires until the clock is moved past it, then everything due fires, in due order, with no
 * wall-clock wait.
 */
import { describe, expect, it } from 'vitest';
import { TimerQueue } from '../util/timer-queue.js';
import { WorkLoop } from '../util/work-loop.js';
import { ManualClock } from './clock.js';

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('ManualClock', () => {
  it('fires timers when moved past them, in due order, and not the ones cancelled', () => {
    const clock = new ManualClock(1_000);
    const fired: string[] = [];
    clock.setTimer(1_300, () => fired.push('c'));
    clock.setTimer(1_100, () => fired.push('a'));
    const cancel = clock.setTimer(1_200, () => fired.push('cancelled'));
    clock.setTimer(1_200, () => fired.push('b'));
    cancel();
    clock.advance(99);
    expect(fired).toEqual([]);
    clock.advance(201);
    expect(fired).toEqual(['a', 'b', 'c']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('fires a timer already due on the next turn, as a zero-delay timeout would', async () => {
    const clock = new ManualClock(1_000);
    let fired = false;
    clock.setTimer(1_000, () => (fired = true));
    expect(fired).toBe(false);
    await turn();
    expect(fired).toBe(true);
  });

  it('moves forward only', () => {
    const clock = new ManualClock(1_000);
    expect(() => clock.advance(-1)).toThrow(RangeError);
    expect(() => clock.advance(Number.NaN)).toThrow(RangeError);
    expect(clock.now()).toBe(1_000);
  });

  it('drives a TimerQueue: a receipt an hour away comes when the clock says so', () => {
    const clock = new ManualClock(0);
    const fired: string[][] = [];
    const q = new TimerQueue<string>((values) => fired.push(values), clock);
    q.schedule(3_600_000, 'receipt');
    q.schedule(10, 'answer');
    clock.advance(10);
    expect(fired).toEqual([['answer']]);
    clock.advance(3_600_000 - 11);
    expect(fired).toEqual([['answer']]);
    clock.advance(1);
    expect(fired).toEqual([['answer'], ['receipt']]);
  });

  it('drives a WorkLoop: a pass armed for later runs once the clock reaches it', async () => {
    const clock = new ManualClock(0);
    let passes = 0;
    const loop = new WorkLoop(async () => void passes++, clock, (err) => {
      throw err;
    });
    loop.start();
    await turn();
    expect(passes).toBe(1);
    loop.armAt(60_000);
    clock.advance(59_999);
    await turn();
    expect(passes).toBe(1);
    clock.advance(1);
    await turn();
    expect(passes).toBe(2);
    await loop.stop();
    expect(clock.pendingTimers).toBe(0);
  });
});

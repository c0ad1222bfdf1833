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
    const loop = new WorkLoop(async () => void passes++, clock, {
      failed: (err) => {
        throw err;
      },
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

describe('ManualClock.advanceInSteps', () => {
  const quick = { quietRounds: 2, roundMs: 1, maxMs: 1_000, totalMs: 10_000 };

  it('runs a chain of delays armed along the way, each link at its own time', async () => {
    const clock = new ManualClock(0);
    const seen: Array<[string, number]> = [];
    // accepted 5 s after the submit, the receipt 5 s after that, armed only once accepted (after some async work)
    clock.setTimer(5_000, () => {
      seen.push(['sent', clock.now()]);
      clock.track(
        Promise.resolve().then(() => {
          clock.setTimer(clock.now() + 5_000, () => seen.push(['delivered', clock.now()]));
        }),
      );
    });
    expect(await clock.advanceInSteps(60_000, quick)).toBe(2);
    expect(seen).toEqual([
      ['sent', 5_000],
      ['delivered', 10_000],
    ]);
    expect(clock.now()).toBe(60_000);
  });

  it('does not stop at polls, fires them on the way, and jumps the rest after maxSteps stops', async () => {
    const clock = new ManualClock(0);
    let polls = 0;
    clock.setTimer(1_000, () => polls++, { poll: true });
    expect(await clock.advanceInSteps(10_000, quick)).toBe(0);
    expect(polls).toBe(1);
    // A timer that re-arms itself every second: 3 stops, then one jump to the end.
    let ticks = 0;
    const tick = () => {
      ticks++;
      clock.setTimer(clock.now() + 1_000, tick);
    };
    clock.setTimer(clock.now() + 1_000, tick);
    expect(await clock.advanceInSteps(3_600_000, quick, 3)).toBe(3);
    expect(ticks).toBe(4);
    expect(clock.now()).toBe(3_610_000);
  });

  it('runs concurrent advances one after another, adding up, and refuses to go backward', async () => {
    const clock = new ManualClock(0);
    const fired: number[] = [];
    for (const at of [500, 1_500, 2_500]) clock.setTimer(at, () => fired.push(clock.now()));
    await Promise.all([clock.advanceInSteps(1_000, quick), clock.advanceInSteps(1_000, quick), clock.advanceInSteps(1_000, quick)]);
    expect(clock.now()).toBe(3_000);
    expect(fired).toEqual([500, 1_500, 2_500]);
    expect(() => clock.advanceInSteps(-1, quick)).toThrow(RangeError);
  });

  it('moves to a time in steps after the advances under way, and never back', async () => {
    const clock = new ManualClock(0);
    const fired: number[] = [];
    for (const at of [500, 1_500, 2_500]) clock.setTimer(at, () => fired.push(clock.now()));
    const [, steps, back] = await Promise.all([clock.advanceInSteps(1_000, quick), clock.advanceToInSteps(2_000, quick), clock.advanceToInSteps(1_200, quick)]);
    expect([steps, back, clock.now()]).toEqual([1, 0, 2_000]);
    expect(await clock.advanceToInSteps(3_000, quick)).toBe(1);
    expect(fired).toEqual([500, 1_500, 2_500]);
  });

  it('jumps the rest once it has spent its wall-clock time, however long work takes to settle', async () => {
    const clock = new ManualClock(0);
    let ticks = 0;
    const tick = () => {
      ticks++;
      // Work that never settles: each stop waits its whole maxMs.
      clock.track(new Promise(() => {}));
      clock.setTimer(clock.now() + 1_000, tick);
    };
    clock.setTimer(1_000, tick);
    const steps = await clock.advanceInSteps(3_600_000, { quietRounds: 1, roundMs: 1, maxMs: 40, totalMs: 100 });
    expect(steps).toBeLessThanOrEqual(4);
    expect(clock.now()).toBe(3_600_000);
    expect(ticks).toBe(steps + 1);
  });

  it('leaves no timer behind once an advance has waited for tracked work', async () => {
    const clock = new ManualClock(0);
    const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timeouts();
    clock.setTimer(1_000, () => clock.track(Promise.resolve()));
    // A long maxMs: a wait for the tracked work left armed would still be pending when the advance answers.
    expect(await clock.advanceInSteps(2_000, { ...quick, maxMs: 600_000 })).toBe(1);
    expect(timeouts()).toBe(before);
  });

  it('first waits for work under way before the advance, so what it arms is a stop', async () => {
    const clock = new ManualClock(0);
    const seen: number[] = [];
    // A request just answered: the loop it woke is still reading the due time it will arm.
    clock.track(new Promise((resolve) => setTimeout(resolve, 30)).then(() => clock.setTimer(1_000, () => seen.push(clock.now()))));
    expect(await clock.advanceInSteps(60_000, quick)).toBe(1);
    expect(seen).toEqual([1_000]);
  });
});

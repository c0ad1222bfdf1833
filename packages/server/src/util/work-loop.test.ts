/**
 * What a `WorkLoop` reports of its passes. A dispatcher stopped while its database was silent
 * logged "claiming dispatch jobs succeeds again": a pass woken just before the stop ran after it,
 * looked for no work (the runner checks `stopped`) and was reported as a success.
 */
import { describe, expect, it } from 'vitest';
import { WorkLoop } from './work-loop.js';

const turn = () => new Promise((r) => setImmediate(r));

describe('WorkLoop pass reports', () => {
  it('reports a failed pass, and the success of the next one', async () => {
    const reports: string[] = [];
    let fail = true;
    const loop = new WorkLoop(async () => {
      if (fail) throw new Error('database unavailable');
    }, () => 0, { failed: () => reports.push('failed'), succeeded: () => reports.push('succeeded') });
    loop.start();
    await turn();
    await turn();
    fail = false;
    loop.wake();
    await turn();
    await turn();
    expect(reports).toEqual(['failed', 'succeeded']);
    await loop.stop();
  });

  it('does not report a pass that started once the loop was stopping as a success', async () => {
    const reports: string[] = [];
    let passes = 0;
    const loop: WorkLoop = new WorkLoop(async () => {
      passes++;
      if (!loop.stopped) throw new Error('database unavailable');
    }, () => 0, { failed: () => reports.push('failed'), succeeded: () => reports.push('succeeded') });
    loop.start();
    await turn();
    await turn();
    expect(reports).toEqual(['failed']);
    // Woken, then stopped before the pass runs: the pass runs stopping, finds nothing to do.
    loop.wake();
    const stopped = loop.stop();
    await turn();
    await turn();
    await stopped;
    expect(passes).toBe(2);
    expect(reports).toEqual(['failed']);
  });
});

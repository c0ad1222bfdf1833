import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../domain/clock.js';
import type { SmscStats } from '../../../domain/ports/simulator.js';
import { DeliverQueue, MAX_REDELIVERIES, redeliveryDelay, type PendingDeliver } from './deliveries.js';

const stats = (): SmscStats => ({ binds: 0, bindsRefused: 0, submits: 0, accepted: 0, rejected: 0, throttled: 0, receiptsSent: 0, moSent: 0, delivers_retried: 0, drops: 0, protocolErrors: 0 });

describe('the simulator SMSC redelivering a deliver_sm', () => {
  it('backs off from 100 ms, doubling, at most a minute apart: about 12 minutes over its attempts', () => {
    expect([1, 2, 3, 10, 11, 20].map(redeliveryDelay)).toEqual([100, 200, 400, 51_200, 60_000, 60_000]);
    let total = 0;
    for (let a = 1; a <= MAX_REDELIVERIES; a++) total += redeliveryDelay(a);
    expect(total).toBeGreaterThan(10 * 60_000);
    expect(total).toBeLessThan(15 * 60_000);
  });

  it('keeps a receipt an ESME refuses for several minutes, and gives it up after MAX_REDELIVERIES', async () => {
    const clock = new ManualClock();
    const warnings: string[] = [];
    const sent: number[] = [];
    const queue = new DeliverQueue({
      receivers: () => [{ deliver: () => void sent.push(clock.now()) }],
      stats: stats(),
      logger: { info() {}, warn: (_f: unknown, m: string) => void warnings.push(m), error() {}, debug() {} } as never,
      now: () => clock.now(),
      clock,
    });
    const receipt: PendingDeliver = { systemId: 'esme', pdu: {} as never, kind: 'receipt', attempts: 0 };
    queue.send(receipt);
    // Refused at every attempt for five minutes: still sent again.
    const start = clock.now();
    while (clock.now() - start < 5 * 60_000) {
      const before = sent.length;
      queue.retry(receipt);
      clock.advance(redeliveryDelay(receipt.attempts));
      await Promise.resolve();
      expect(sent.length).toBe(before + 1);
    }
    expect(warnings).toEqual([]);
    while (receipt.attempts < MAX_REDELIVERIES) {
      queue.retry(receipt);
      clock.advance(redeliveryDelay(receipt.attempts));
    }
    const attempts = sent.length;
    // The first send and MAX_REDELIVERIES redeliveries, as the warning says.
    expect(attempts).toBe(MAX_REDELIVERIES + 1);
    queue.retry(receipt);
    clock.advance(120_000);
    expect(sent.length).toBe(attempts);
    expect(warnings).toEqual([`simulator SMSC gave up a deliver_sm after ${MAX_REDELIVERIES + 1} attempts (the first and ${MAX_REDELIVERIES} redeliveries)`]);
    queue.stop();
  });
});

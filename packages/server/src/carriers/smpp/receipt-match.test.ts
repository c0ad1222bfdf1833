/**
 * Which of the records of a reused carrier id a receipt is for, by its dates: the part recorded in
 * its submit minute (give or take the clock skew), never one recorded after its done date; none
 * when no part fits (the receipt waits as an early one); and none when several do.
 */
import { describe, expect, it } from 'vitest';
import type { CarrierPartRecord } from '../../domain/ports/store.js';
import { matchReceipt, RECEIPT_CLOCK_SKEW_MS } from './receipt-match.js';

const MINUTE = 60_000;
const T = Date.UTC(2026, 0, 1, 12, 0);
const part = (messageId: string, createdAt: number): CarrierPartRecord => ({
  carrier: 'c', carrierMessageId: '7', projectId: 'p', messageId, partIndex: 1, partCount: 1, status: 'sent', error: null, errorDetail: null, createdAt, updatedAt: createdAt,
});
const which = (m: ReturnType<typeof matchReceipt>) => (m.kind === 'part' ? m.part.messageId : m.kind);

describe('matching a receipt to one record of a reused id', () => {
  const early = part('early', T + 30_000);
  const late = part('late', T + 5 * MINUTE);

  it('takes the one record of an id whatever its dates say', () => {
    expect(which(matchReceipt([late], { done: T }, 0))).toBe('late');
    expect(which(matchReceipt([], { done: T }, 0))).toBe('none');
  });

  it('takes the part recorded in the submit minute, within the clock skew', () => {
    expect(which(matchReceipt([early, late], { submitted: T, done: T + MINUTE }, 0))).toBe('early');
    expect(which(matchReceipt([early, late], { submitted: T + 5 * MINUTE, done: T + 6 * MINUTE }, 0))).toBe('late');
    // Our clock ahead of the SMSC's by less than the skew.
    expect(which(matchReceipt([early, part('late', T + 5 * MINUTE + MINUTE + RECEIPT_CLOCK_SKEW_MS - 1)], { submitted: T + 5 * MINUTE }, 0))).toBe('late');
  });

  it('never takes a part recorded after the done date', () => {
    expect(which(matchReceipt([early, late], { done: T + MINUTE }, 0))).toBe('early');
    expect(which(matchReceipt([part('a', T + 10 * MINUTE), part('b', T + 20 * MINUTE)], { done: T }, 0))).toBe('none');
  });

  it('takes none when several parts fit, or no date tells them apart', () => {
    expect(matchReceipt([early, late], {}, 0)).toEqual({ kind: 'ambiguous', parts: 2 });
    expect(matchReceipt([early, part('close', T + MINUTE)], { submitted: T }, 0)).toEqual({ kind: 'ambiguous', parts: 2 });
  });

  it('reads the dates in the SMSC\'s time zone when configured', () => {
    // An SMSC writing UTC+2: its 14:00 is our 12:00.
    const local = T + 120 * MINUTE;
    expect(which(matchReceipt([early, late], { submitted: local, done: local + MINUTE }, 120))).toBe('early');
    expect(which(matchReceipt([early, late], { submitted: local, done: local + MINUTE }, 0))).toBe('none');
  });
});

import { MESSAGE_STATUSES, isTerminalStatus, type MessageStatus } from '@switchboard/protocol';
import { describe, expect, it } from 'vitest';
import { canTransition, predecessorsOf } from './lifecycle.js';

const legal: ReadonlyArray<readonly [MessageStatus, MessageStatus]> = [
  ['scheduled', 'queued'],
  ['scheduled', 'canceled'],
  ['queued', 'initiated'],
  ['queued', 'sent'],
  ['initiated', 'sent'],
  ['queued', 'delivered'],
  ['initiated', 'delivered'],
  ['sent', 'delivered'],
  ['queued', 'undelivered'],
  ['initiated', 'undelivered'],
  ['sent', 'undelivered'],
  ['queued', 'failed'],
  ['initiated', 'failed'],
  ['sent', 'failed'],
];

describe('the message lifecycle', () => {
  it('allows exactly the documented transitions', () => {
    const allowed = MESSAGE_STATUSES.flatMap((from) => MESSAGE_STATUSES.filter((to) => canTransition(from, to)).map((to) => [from, to] as const));
    expect(new Set(allowed.map((p) => p.join('>')))).toEqual(new Set(legal.map((p) => p.join('>'))));
  });

  it('lets a receipt overtake sent: delivered, undelivered and failed may follow initiated', () => {
    expect(canTransition('initiated', 'delivered')).toBe(true);
    expect(canTransition('initiated', 'undelivered')).toBe(true);
  });

  it('never leaves a terminal state', () => {
    for (const from of MESSAGE_STATUSES.filter(isTerminalStatus)) {
      for (const to of MESSAGE_STATUSES) expect(canTransition(from, to)).toBe(false);
    }
  });

  it('never enters scheduled or received: those are states messages are born in', () => {
    expect(predecessorsOf('scheduled')).toEqual([]);
    expect(predecessorsOf('received')).toEqual([]);
  });

  it('never enters queued except from scheduled (at its send time)', () => {
    expect(predecessorsOf('queued')).toEqual(['scheduled']);
  });

  it('cancels only a scheduled message, and a scheduled message only queues or cancels', () => {
    expect(predecessorsOf('canceled')).toEqual(['scheduled']);
    expect(MESSAGE_STATUSES.filter((to) => canTransition('scheduled', to))).toEqual(['queued', 'canceled']);
    expect(isTerminalStatus('canceled')).toBe(true);
  });

  it('never goes backwards or repeats a state', () => {
    const order: Record<MessageStatus, number> = { scheduled: 0, queued: 1, initiated: 2, sent: 3, delivered: 4, undelivered: 4, failed: 4, received: 4, canceled: 4 };
    for (const from of MESSAGE_STATUSES) {
      expect(canTransition(from, from)).toBe(false);
      for (const to of MESSAGE_STATUSES) if (canTransition(from, to)) expect(order[to]).toBeGreaterThan(order[from]);
    }
  });

  it('agrees between predecessorsOf and canTransition', () => {
    for (const to of MESSAGE_STATUSES) {
      for (const from of MESSAGE_STATUSES) expect(predecessorsOf(to).includes(from)).toBe(canTransition(from, to));
    }
  });
});

import type { MessageStatus } from '@switchboard/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { MessageStatusEvent } from '../domain/ports/bus.js';
import type { MessageRecord } from '../domain/message.js';
import { StatusOrder } from './status-order.js';

const HOLD = 1_000;
let clock = 1_000_000;
const orders: StatusOrder[] = [];

function event(id: string, status: MessageStatus, opts: { createdAt?: number; direction?: 'outbound' | 'inbound' } = {}): MessageStatusEvent {
  const message = { id, projectId: 'p', direction: opts.direction ?? 'outbound', createdAt: opts.createdAt ?? clock, status } as unknown as MessageRecord;
  return { projectId: 'p', message, status, at: clock, event: { messageId: id, projectId: 'p', status, at: clock, errorCode: null, errorMessage: null, detail: null } };
}

function setup(): { order: StatusOrder; seen: string[] } {
  const seen: string[] = [];
  const order = new StatusOrder((e) => seen.push(`${e.message.id}:${e.status}`), { holdMs: HOLD, now: () => clock });
  orders.push(order);
  return { order, seen };
}

afterEach(() => {
  for (const o of orders.splice(0)) o.close();
});

describe('StatusOrder', () => {
  it('holds a young message’s later events until its queued arrives, then delivers them in order', () => {
    const { order, seen } = setup();
    order.accept(event('m1', 'initiated'));
    order.accept(event('m1', 'sent'));
    expect(seen).toEqual([]);
    expect(order.waiting).toBe(1);
    order.accept(event('m1', 'queued'));
    order.accept(event('m1', 'delivered'));
    expect(seen).toEqual(['m1:queued', 'm1:initiated', 'm1:sent', 'm1:delivered']);
    expect(order.waiting).toBe(0);
  });

  it('passes events straight through once their message’s queued has been seen', () => {
    const { order, seen } = setup();
    order.accept(event('m1', 'queued'));
    order.accept(event('m1', 'initiated'));
    expect(seen).toEqual(['m1:queued', 'm1:initiated']);
  });

  it('does not delay one message behind another that waits', () => {
    const { order, seen } = setup();
    order.accept(event('m1', 'initiated'));
    order.accept(event('m2', 'queued'));
    order.accept(event('m2', 'initiated'));
    expect(seen).toEqual(['m2:queued', 'm2:initiated']);
  });

  it('never waits for messages older than the hold, nor for inbound ones', () => {
    const { order, seen } = setup();
    order.accept(event('old', 'delivered', { createdAt: clock - HOLD }));
    order.accept(event('in', 'received', { direction: 'inbound' }));
    expect(seen).toEqual(['old:delivered', 'in:received']);
  });

  it('releases held events in arrival order once the message is past the hold, if its queued never comes', () => {
    const { order, seen } = setup();
    order.accept(event('m1', 'initiated'));
    order.accept(event('m1', 'failed'));
    clock += HOLD - 1;
    order.sweep();
    expect(seen).toEqual([]);
    clock += 1;
    order.sweep();
    expect(seen).toEqual(['m1:initiated', 'm1:failed']);
    expect(order.waiting).toBe(0);
  });

  it('delivers whatever still waits when closed', () => {
    const { order, seen } = setup();
    order.accept(event('m1', 'initiated'));
    order.close();
    expect(seen).toEqual(['m1:initiated']);
  });
});

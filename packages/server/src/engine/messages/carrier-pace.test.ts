/** What the dispatcher hands a carrier with a declared rate (carrier-pace.ts), on its own. */
import { describe, expect, it } from 'vitest';
import type { Carrier } from '../../domain/ports/carrier.js';
import type { MessageRecord } from '../../domain/message.js';
import { CarrierPace, declaredRate } from './carrier-pace.js';

const carrier = (maxRate: number | null): Carrier => ({ descriptor: { id: `c${maxRate}`, kind: 'smpp', capabilities: { mms: false, deliveryReceipts: true, unicode: true, maxRate } } }) as unknown as Carrier;
const item = (c: Carrier, id: string, segments = 1) => ({ carrier: c, message: { id, kind: 'sms', segments } as MessageRecord });

describe('CarrierPace', () => {
  it('hands a carrier what it sends within the window, and the rest when it will have room', () => {
    const slow = carrier(10);
    const pace = new CarrierPace(2000);
    const items = Array.from({ length: 50 }, (_, i) => item(slow, `m${i}`));
    const { go, later, retryAt } = pace.admit(slow, 10, items, 1_000);
    // 2 s at 10/s.
    expect(go.map((g) => g.message.id)).toEqual(items.slice(0, 20).map((i) => i.message.id));
    expect(later).toHaveLength(30);
    // When what it holds is down to half the window.
    expect(retryAt).toBe(2_000);
    // Nothing more fits until it answers; a message it holds (its lease ended) joins at no cost.
    pace.begin();
    expect(pace.admit(slow, 10, [item(slow, 'late'), items[3]!], 1_500)).toMatchObject({ go: [items[3]], later: [{ message: { id: 'late' } }] });
    pace.done(slow, go.slice(0, 10));
    expect(pace.admit(slow, 10, [item(slow, 'late')], 1_600).go).toHaveLength(1);
  });

  it('always hands over one message, however long, and counts segments', () => {
    const slow = carrier(1);
    const pace = new CarrierPace(2000);
    const { go, later } = pace.admit(slow, 1, [item(slow, 'long', 10), item(slow, 'short')], 0);
    expect(go.map((g) => g.message.id)).toEqual(['long']);
    expect(later).toHaveLength(1);
    pace.begin();
    pace.done(slow, go);
    expect(pace.active).toBe(0);
    expect(pace.admit(slow, 1, [item(slow, 'a'), item(slow, 'b'), item(slow, 'c')], 0).go).toHaveLength(2);
  });

  it('leaves carriers without a rate alone', () => {
    expect(declaredRate(carrier(null))).toBeNull();
    expect(declaredRate(carrier(0))).toBeNull();
    expect(declaredRate(carrier(5))).toBe(5);
  });
});

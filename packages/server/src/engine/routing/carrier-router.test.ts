import { describe, expect, it } from 'vitest';
import type { Carrier } from '../../domain/ports/carrier.js';
import { CarrierRouter } from './carrier-router.js';

/** A carrier that only has an identity: routing never calls it. */
function carrier(id: string): Carrier {
  return {
    descriptor: { id, kind: 'test', capabilities: { mms: true, deliveryReceipts: true, unicode: true, maxRate: null } },
    start: async () => {},
    stop: async () => {},
    health: () => ({ ok: true }),
    submit: async () => [],
  };
}

const sim = carrier('simulator');
const uk = carrier('uk');
const london = carrier('london');

describe('CarrierRouter', () => {
  it('sends what matches no route to the default carrier', () => {
    const router = new CarrierRouter([sim, uk], [{ prefix: '+44', carrier: 'uk' }], 'simulator');
    expect(router.route('+15551234567')).toBe(sim);
  });

  it('picks the longest matching prefix whatever the order of the routes', () => {
    const routes = [
      { prefix: '+44', carrier: 'uk' },
      { prefix: '+4420', carrier: 'london' },
    ];
    for (const order of [routes, [...routes].reverse()]) {
      const router = new CarrierRouter([sim, uk, london], order, 'simulator');
      expect(router.route('+442071234567')).toBe(london);
      expect(router.route('+447700900123')).toBe(uk);
      expect(router.route('+33123456789')).toBe(sim);
    }
  });

  it('can route to the default carrier explicitly', () => {
    const router = new CarrierRouter([sim, uk], [{ prefix: '+44', carrier: 'uk' }, { prefix: '+4499', carrier: 'simulator' }], 'uk');
    expect(router.route('+449912345678')).toBe(sim);
    expect(router.route('+15551234567')).toBe(uk);
  });

  it('refuses a default carrier that is not configured', () => {
    expect(() => new CarrierRouter([uk], [], 'simulator')).toThrow('Default carrier "simulator" is not configured');
  });

  it('refuses a route to an unknown carrier', () => {
    expect(() => new CarrierRouter([sim], [{ prefix: '+44', carrier: 'uk' }], 'simulator')).toThrow('Route +44 names unknown carrier "uk"');
  });

  it('finds carriers by id and lists them all', () => {
    const router = new CarrierRouter([sim, uk], [], 'simulator');
    expect(router.get('uk')).toBe(uk);
    expect(router.get('nope')).toBeUndefined();
    expect(router.all()).toEqual([sim, uk]);
  });
});

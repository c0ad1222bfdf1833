import { describe, expect, it } from 'vitest';
import { BIND_FAILURES, BindThrottle } from './bind-throttle.js';
import { SETTINGS } from '../../../config/settings.js';

function setup(maxAddresses?: number) {
  let now = 1_000_000;
  const locked: string[] = [];
  const throttle = new BindThrottle({ budget: { burst: 3, perMinute: 6 }, ...(maxAddresses ? { maxAddresses } : {}), now: () => now, onLocked: (a) => locked.push(a) });
  return { throttle, locked, advance: (ms: number) => (now += ms) };
}

describe('BindThrottle', () => {
  it('locks an address out once it has failed its burst, until a failure is forgiven, and reports it once', () => {
    const { throttle, locked, advance } = setup();
    for (let i = 0; i < 3; i++) {
      expect(throttle.lockedFor('192.0.2.1')).toBe(0);
      throttle.failed('192.0.2.1');
    }
    expect(throttle.lockedFor('192.0.2.1')).toBe(10_000);
    expect(throttle.lockedFor('192.0.2.2')).toBe(0);
    advance(9_999);
    expect(throttle.lockedFor('192.0.2.1')).toBe(1);
    advance(1);
    expect(throttle.lockedFor('192.0.2.1')).toBe(0);
    throttle.failed('192.0.2.1');
    expect(throttle.lockedFor('192.0.2.1')).toBe(10_000);
    expect(locked).toEqual(['192.0.2.1']);
  });

  it('keeps at most maxAddresses addresses, forgetting the least recently seen', () => {
    const { throttle } = setup(100);
    for (let i = 0; i < 10_000; i++) throttle.failed(`10.0.${i >> 8}.${i & 255}`);
    expect(throttle.size).toBe(100);
    expect(throttle.lockedFor('10.0.0.0')).toBe(0);
  });

  it('defaults as the simulator.smsc.bindFailure* settings do', () => {
    expect(BIND_FAILURES).toEqual({ burst: SETTINGS.simulatorSmscBindFailureBurst.default, perMinute: SETTINGS.simulatorSmscBindFailuresPerMinute.default });
  });
});

/**
 * The server's clock: the wall clock, or with `simulator.clock: "manual"` the same ManualClock
 * the engine tests use, moved only through the simulator API (`POST /api/simulator/clock/advance`).
 * It is built at the time of start-up; the engine's start then sets it to the time kept in the
 * database, shared by the nodes (engine/cluster/shared-clock.ts). Work loops and timer heaps arm
 * their timers on it.
 */
import { ManualClock, systemClock, type Clock } from '../domain/clock.js';
import type { ResolvedSettings } from './settings.js';

export function serverClock(settings: Pick<ResolvedSettings, 'simulatorClock'>): Clock {
  return settings.simulatorClock === 'manual' ? new ManualClock(Date.now()) : systemClock;
}

/**
 * The store as the server uses it: on a manual clock, every call of the store and of its
 * repositories that returns a promise is tracked by the clock until it settles, so an advance
 * moved in steps (`ManualClock.advanceInSteps`) waits for the store's round trips of the work a
 * stop started before it goes on. Without it, the quiet rounds of a few ms that cover the turns
 * of the event loop were all that covered a PostgreSQL round trip, and the step ended while the
 * answer of a carrier was still being recorded. On the wall clock the store is returned as is.
 */
export function storeFollowedBy<S extends object>(store: S, clock: Clock): S {
  const track = clock.track?.bind(clock);
  if (!track) return store;
  const tracked = (target: object, fn: (...args: unknown[]) => unknown) =>
    function (this: unknown, ...args: unknown[]): unknown {
      const result = fn.apply(target, args);
      if (result instanceof Promise) track(result);
      return result;
    };
  const wrap = <T extends object>(target: T, depth: number): T => {
    const cache = new Map<PropertyKey, unknown>();
    return new Proxy(target, {
      get(t, prop) {
        const value: unknown = Reflect.get(t, prop, t);
        if (cache.has(prop)) return cache.get(prop);
        let out = value;
        if (typeof value === 'function') out = tracked(t, value as (...args: unknown[]) => unknown);
        // The repositories (one level down), not other objects such as the Kysely instance.
        else if (depth === 0 && value !== null && typeof value === 'object' && /Repository$/.test(value.constructor.name)) out = wrap(value, 1);
        else return value;
        cache.set(prop, out);
        return out;
      },
    });
  };
  return wrap(store, 0);
}

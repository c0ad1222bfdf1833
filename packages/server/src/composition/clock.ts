/**
 * The server's clock: the wall clock, or with `simulator.clock: "manual"` the same ManualClock
 * the engine tests use, starting at the time of start-up and moved only through the simulator
 * API (`POST /api/simulator/clock/advance`). Work loops and timer heaps arm their timers on it.
 */
import { ManualClock, systemClock, type Clock } from '../domain/clock.js';
import type { ResolvedSettings } from './settings.js';

export function serverClock(settings: Pick<ResolvedSettings, 'simulatorClock'>): Clock {
  return settings.simulatorClock === 'manual' ? new ManualClock(Date.now()) : systemClock;
}

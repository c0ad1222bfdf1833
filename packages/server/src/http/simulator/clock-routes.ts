/**
 * The simulator clock: with `simulator.clock: "manual"` time stands still until a test moves it,
 * and everything timed follows (simulator delays and receipts, webhook retries, validity expiry,
 * scheduled sends, receipt reconciliation). `GET /api/simulator/clock` reads it, `POST
 * /api/simulator/clock/advance {"ms": N}` moves it forward, stopping at each due time on the way
 * (ManualClock.advanceInSteps), so chains of delays run within one advance. The clock is the server's, shared by
 * every project (moving it fires every project's scheduled sends, expiries and retry windows), so
 * only operator credentials may move it; any project may read it. On the wall clock both answer
 * 409, naming the setting. Registered inside the simulator plugin (its hook has already
 * authenticated the caller with the `messaging` scope). With `simulator.clock: "manual"` the clock's
 * position lives in the database (engine/cluster/shared-clock.ts): a read answers it (this node
 * follows it first), an advance moves it for every node sharing the database and survives a restart.
 */
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../domain/app-error.js';
import { ManualClock, type Clock } from '../../domain/clock.js';
import type { SharedClock } from '../../engine/cluster/shared-clock.js';
import { isOperator, principalOf } from '../auth.js';

/** The longest single step: a year, far past any delay, retry window or validity period. */
export const MAX_ADVANCE_MS = 366 * 24 * 3_600_000;

function manual(clock: Clock): ManualClock {
  if (!(clock instanceof ManualClock)) throw AppError.of('SIMULATOR_CLOCK_NOT_MANUAL');
  return clock;
}

function view(now: number) {
  return { now: new Date(now).toISOString(), mode: 'manual' as const };
}

export function clockRoutes(clock: Clock, shared: SharedClock | null, operatorProjectId: string) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/api/simulator/clock', async () => {
      const c = manual(clock);
      await shared?.refresh();
      return view(c.now());
    });

    app.post('/api/simulator/clock/advance', { schema: { body: { type: 'object' } } }, async (request) => {
      const principal = principalOf(request);
      if (!principal.scopes.has('management')) throw AppError.of('FORBIDDEN', { message: 'This API token lacks the "management" scope.' });
      if (!isOperator(principal, operatorProjectId)) throw AppError.of('FORBIDDEN', { message: 'Only the operator project may move the clock: it is shared by every project.' });
      const c = manual(clock);
      const body = request.body as Record<string, unknown>;
      // `{"ms": 1000, "to": "…"}` would move by ms and ignore the rest: the clock takes a step, no other field.
      const unknown = Object.keys(body).find((k) => k !== 'ms');
      if (unknown !== undefined) {
        throw AppError.of('INVALID_PARAMETER', { attribute: unknown, message: `Unknown field '${unknown}': the clock takes {"ms": N}, a step forward in milliseconds (it never moves backward or to a set time).` });
      }
      const ms = body.ms;
      if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0 || ms > MAX_ADVANCE_MS) {
        throw AppError.of('INVALID_PARAMETER', { attribute: 'ms', message: `ms must be a whole number of milliseconds from 0 to ${MAX_ADVANCE_MS}.` });
      }
      return view(shared ? await shared.advance(ms) : (await c.advanceInSteps(ms), c.now()));
    });
  };
}

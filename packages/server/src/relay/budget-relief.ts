/**
 * When a project's share of the buffer budget (`buffer-budget.ts`) is spent, the session that cannot
 * keep its next event was the one dropped, whoever held the share: with half of a project's sessions
 * never reading, their unacknowledged events filled it and the sessions that read and acknowledged
 * promptly were dropped (1013) at their next event. Now the sessions of the project holding the most
 * events are shed first (lost, their budget given back at once, closed 1013), as long as they hold
 * more than the one asking: a client that does not read hurts its own sessions only.
 *
 * Parked sessions count too (their missed events, in the resume store's keeping): left out, 100
 * sessions of the project parked (connected, subscribed, dropped) filled its share with missed events
 * and 84 to 97 of 100 prompt readers were dropped instead of them (50 with PostgreSQL, whose store
 * holds them only until written).
 *
 * Connected sessions count what they hold, events waiting for the pacer included. Counting only
 * those written and not acknowledged was tried: in-process readers under a flood fall as far behind
 * as clients acknowledging every other event, and more of them were dropped (73 of 100, not 7).
 * Where prompt readers are still dropped under a flood, as many or more are when the other sessions
 * read promptly too: the project's share is spent by its fan-out, not by the slow clients.
 */
import type { RelaySession } from './session.js';

/**
 * Drop the project's parked session holding the most events if it holds more than `moreThan` (its
 * budget given back); false when none does.
 */
export type ParkedRelief = (projectId: string, moreThan: number) => boolean;

/**
 * Take budget for `session` (`take`), shedding its project's sessions that hold more events than it
 * does, biggest first (a parked one before a connected one holding as many); false when none is left to shed.
 */
export function relieveBudget(sessions: () => Iterable<RelaySession>, session: RelaySession, take: () => boolean, parked?: ParkedRelief): boolean {
  const mine = session.unackedCount;
  for (;;) {
    let biggest: RelaySession | undefined;
    for (const s of sessions()) {
      if (s === session || s.projectId !== session.projectId || s.lost || s.unackedCount <= mine + 1) continue;
      if (!biggest || s.unackedCount > biggest.unackedCount) biggest = s;
    }
    if (parked?.(session.projectId, Math.max(mine + 1, (biggest?.unackedCount ?? 0) - 1))) {
      if (take()) return true;
      continue;
    }
    if (!biggest) return false;
    biggest.shed('too many unacknowledged events while its project is out of buffer memory');
    if (take()) return true;
  }
}

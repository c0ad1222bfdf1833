/**
 * When a project's share of the buffer budget (`buffer-budget.ts`) is spent, the session that cannot
 * keep its next event was the one dropped, whoever held the share: with half of a project's sessions
 * never reading, their unacknowledged events filled it and the sessions that read and acknowledged
 * promptly were dropped (1013) at their next event. Now the sessions of the project holding the most
 * events are shed first (lost, their budget given back at once, closed 1013), as long as they hold
 * more than the one asking: a client that does not read hurts its own sessions only.
 */
import type { RelaySession } from './session.js';

/** Take budget for `session` (`take`), shedding its project's sessions that hold more events than it does, biggest first; false when none is left to shed. */
export function relieveBudget(sessions: () => Iterable<RelaySession>, session: RelaySession, take: () => boolean): boolean {
  const mine = session.unackedCount;
  for (;;) {
    let biggest: RelaySession | undefined;
    for (const s of sessions()) {
      if (s === session || s.projectId !== session.projectId || s.lost || s.unackedCount <= mine + 1) continue;
      if (!biggest || s.unackedCount > biggest.unackedCount) biggest = s;
    }
    if (!biggest) return false;
    biggest.shed('too many unacknowledged events while its project is out of buffer memory');
    if (take()) return true;
  }
}

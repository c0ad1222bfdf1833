import type { MessageStatus } from '@switchboard/protocol';

/**
 * The one transition table of the message lifecycle (ARCHITECTURE.md §3).
 * `queued → initiated → sent → delivered | undelivered | failed`; inbound messages are born `received`;
 * scheduled messages are born `scheduled` and go on to `queued` or `canceled`.
 * A failure may happen at any point before a terminal state, and a receipt may overtake `sent`
 * (a carrier can report delivery before its submit acknowledgement is processed).
 */
const ALLOWED_PREDECESSORS: Readonly<Record<MessageStatus, readonly MessageStatus[]>> = {
  // A scheduled message is born `scheduled`, becomes `queued` at its send time, or is canceled before.
  scheduled: [],
  canceled: ['scheduled'],
  queued: ['scheduled'],
  initiated: ['queued'],
  sent: ['queued', 'initiated'],
  delivered: ['queued', 'initiated', 'sent'],
  undelivered: ['queued', 'initiated', 'sent'],
  failed: ['queued', 'initiated', 'sent'],
  received: [],
};

/** States a message may be in for a transition to `to` to apply (used in guarded updates). */
export function predecessorsOf(to: MessageStatus): readonly MessageStatus[] {
  return ALLOWED_PREDECESSORS[to];
}

/** True when `from → to` is a legal transition. */
export function canTransition(from: MessageStatus, to: MessageStatus): boolean {
  return ALLOWED_PREDECESSORS[to].includes(from);
}

const LATER = new Map<MessageStatus, readonly MessageStatus[]>();

/** The states a message in `status` may still reach (directly or further on). */
export function laterStatesOf(status: MessageStatus): readonly MessageStatus[] {
  let later = LATER.get(status);
  if (!later) {
    const found: MessageStatus[] = [];
    const queue = [status];
    while (queue.length) {
      const from = queue.shift()!;
      for (const to of Object.keys(ALLOWED_PREDECESSORS) as MessageStatus[]) {
        if (!canTransition(from, to) || found.includes(to)) continue;
        found.push(to);
        queue.push(to);
      }
    }
    LATER.set(status, (later = found));
  }
  return later;
}

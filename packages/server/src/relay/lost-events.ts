/**
 * States a dead node committed but never published. A node killed between a commit and its
 * publish (the bus batches publishes for a moment) takes the event with it: sessions connected to
 * other nodes never hear it, and since they stay connected no resume catches them up. When a node
 * is found dead (by the one node that adopts its work, which tells every node over the bus), each
 * node reads back the stored events of its live sessions' contexts and sent messages since shortly
 * before the dead node's last heartbeat, and routes the last state of each message that its router
 * has not routed, as if the bus had brought it: its live sessions get it once.
 *
 * Bounded as every catch-up (catch-up.ts): one batched read per project, within
 * `relay.catchUpWindowMs`, at most `LOST_EVENTS_MAX_ROWS` events per project (the newest: the read
 * runs to now, and a node is found dead `cluster.nodeTimeoutMs` after it went silent, so a busy
 * project needs room past its own session buffers). Exact only while the router still remembers
 * the keys it routed since then (the last 100,000).
 */
import type { MessageStatusEvent } from '../domain/ports/bus.js';
import { eventKey } from '../domain/relay-event-keys.js';
import { lastEventPerMessage, type CatchUpReader } from './catch-up.js';
import type { RelayEventRouter } from './event-router.js';
import type { SessionRegistry } from './session-registry.js';

declare module '../domain/ports/bus.js' {
  interface BusTopics {
    /** Nodes were found dead: what they committed since `since` (message time) may never have been published. */
    'relay.nodes.dead': { readonly since: number };
  }
}

/** Read back from before the last heartbeat: publishes still batched then, or on their way. */
export const LOST_EVENTS_MARGIN_MS = 5_000;
/** Most stored events read back per project when a node dies (a rare event: one read per project and node). */
export const LOST_EVENTS_MAX_ROWS = 50_000;

/** Route what the dead nodes may have committed since `since` without publishing it; returns how many events. */
export async function routeLostEvents(deps: { readonly registry: SessionRegistry; readonly router: RelayEventRouter; readonly reader: CatchUpReader; readonly limit: number }, since: number): Promise<number> {
  const followed = new Map<string, { contexts: Set<string>; senders: Set<string> }>();
  for (const s of deps.registry.all()) {
    if (s.connectedAt === null) continue;
    const f = followed.get(s.projectId) ?? { contexts: new Set<string>(), senders: new Set<string>() };
    for (const c of s.contexts) f.contexts.add(c);
    f.contexts.add(s.protocol);
    f.senders.add(s.protocol);
    followed.set(s.projectId, f);
  }
  let routed = 0;
  await Promise.all(
    [...followed].map(async ([projectId, f]) => {
      const rows = await deps.reader.read(projectId, [...f.contexts], [...f.senders], since - LOST_EVENTS_MARGIN_MS, deps.limit);
      const lost: MessageStatusEvent[] = [];
      for (const { message, event } of lastEventPerMessage(rows, true)) {
        if (!deps.router.hasRouted(eventKey(message.id, event.status))) lost.push({ projectId, message: { ...message, status: event.status }, status: event.status, at: event.at, event });
      }
      deps.router.inject(lost);
      routed += lost.length;
    }),
  );
  return routed;
}

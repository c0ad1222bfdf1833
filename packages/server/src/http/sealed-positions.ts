/**
 * Positions the console and the simulator show, sealed. A message's `seq`, a webhook delivery's
 * id, a message event's id and a handset message's `seq` count the rows of every project: shown as
 * they are (a row's id, a list's `next`, the inbox's `since`), they told a tenant how much traffic
 * the others had between two of its own. They are shown sealed as page tokens are
 * (domain/position-seal.ts, with the page tokens' server key), one list per kind: a sealed value
 * shows nothing but its own equality and opens only in the project and list that issued it.
 */
import type { PageTokens } from '../engine/page-tokens.js';
import { positionSeal, type PositionSeal, type SealKeys } from '../domain/position-seal.js';

/** The sealed positions of one project. */
export interface ProjectSeals {
  /** Messages (`cursor`, the `next` and `before` of the console's message and conversation lists). */
  readonly messages: PositionSeal;
  /** Webhook deliveries (`id`, the outbox's `next` and `before`, its retry and replay paths). */
  readonly deliveries: PositionSeal;
  /** A message's events (`id`). */
  readonly events: PositionSeal;
  /** The simulator's handset inbox (`id`, `since`), the same in the console's live feed. */
  readonly handset: PositionSeal;
}

export function projectSeals(keys: SealKeys, projectId: string): ProjectSeals {
  return {
    messages: positionSeal(keys, projectId, 'console:messages'),
    deliveries: positionSeal(keys, projectId, 'console:webhook_deliveries'),
    events: positionSeal(keys, projectId, 'console:message_events'),
    handset: positionSeal(keys, projectId, 'simulator:handset'),
  };
}

/** The seals of `projectId`, with the server's key (read once, then kept). */
export async function sealsOf(tokens: PageTokens, projectId: string): Promise<ProjectSeals> {
  return projectSeals(await tokens.sealKeys(), projectId);
}

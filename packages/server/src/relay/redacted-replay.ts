/**
 * Events replayed on a resume were rendered when their message changed, text included. A message
 * redacted since then (REST `PATCH` with an empty body) must not have that text written again, so
 * before a replay the messages its events name are read once and the redacted ones' events lose
 * their body, as a fresh rendering would. The same frame id and key are kept (clients dedupe on them).
 * When storage cannot be read the events are replayed as they are: a resume is not refused for it,
 * and redactions are refused (503) while storage is out, so only one made before the outage shows.
 */
import type { BufferedRelayEvent } from '../domain/ports/relay-resume.js';
import { relayEventWithText, textErased, type RelayEventWithText } from '../domain/relay-event-redaction.js';
import type { MessageRepository } from '../domain/ports/store/messages.js';
import { eventCost, type BufferBudget } from './buffer-budget.js';

/** The stored messages a replay checks. */
export type RedactionReads = Pick<MessageRepository, 'getMany'>;

interface Parsed {
  readonly event: BufferedRelayEvent;
  readonly params: RelayEventWithText;
}

/** `events` with the text of redacted messages erased; the budget they hold shrinks with them. */
export async function withoutRedactedText(events: readonly BufferedRelayEvent[], projectId: string, messages: RedactionReads, budget: BufferBudget): Promise<BufferedRelayEvent[]> {
  const withText: Parsed[] = [];
  for (const event of events) {
    const parsed = relayEventWithText(event.params);
    if (parsed) withText.push({ event, params: parsed });
  }
  if (withText.length === 0) return [...events];
  const ids = [...new Set(withText.map((p) => p.params.params.message_id))];
  let redacted: Set<string>;
  try {
    redacted = new Set((await messages.getMany(projectId, ids)).filter((m) => m.redactedAt !== null).map((m) => m.id));
  } catch {
    return [...events];
  }
  if (redacted.size === 0) return [...events];
  const erased = new Map<BufferedRelayEvent, BufferedRelayEvent>();
  for (const { event, params } of withText) {
    if (!redacted.has(params.params.message_id)) continue;
    const text = textErased(params);
    budget.give(projectId, eventCost(event.params) - eventCost(text));
    erased.set(event, { ...event, params: text });
  }
  return events.map((e) => erased.get(e) ?? e);
}

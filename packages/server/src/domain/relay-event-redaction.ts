/**
 * The text of a redacted message inside a kept RELAY event (`signalwire.event` params, serialized
 * when the message changed): replays and stored resume buffers erase it as a fresh rendering would.
 */
import { EVENT_MESSAGING_RECEIVE, EVENT_MESSAGING_STATE } from '@switchboard/protocol';

/** The parsed params of a messaging event that carries text. */
export interface RelayEventWithText {
  params: { message_id: string; body: string };
}

/** The parsed params of a messaging event that carries text, else undefined. */
export function relayEventWithText(raw: string): RelayEventWithText | undefined {
  if (!raw.startsWith(`{"event_type":"${EVENT_MESSAGING_STATE}"`) && !raw.startsWith(`{"event_type":"${EVENT_MESSAGING_RECEIVE}"`)) return undefined;
  const parsed = JSON.parse(raw) as { params?: { message_id?: unknown; body?: unknown } };
  const inner = parsed.params;
  if (!inner || typeof inner.message_id !== 'string' || typeof inner.body !== 'string' || inner.body === '') return undefined;
  return parsed as RelayEventWithText;
}

/** A parsed event written again with its text erased. */
export function textErased(parsed: RelayEventWithText): string {
  parsed.params.body = '';
  return JSON.stringify(parsed);
}

/** `raw` without the text of message `messageId`, or undefined when it carries none of it. */
export function relayEventWithoutText(raw: string, messageId: string): string | undefined {
  const parsed = relayEventWithText(raw);
  return parsed && parsed.params.message_id === messageId ? textErased(parsed) : undefined;
}

/**
 * The key of a RELAY messaging event: `<message id>:<state>`, one per state change of a message
 * (an inbound message's arrival is its `received`). Routed, parked, held, replayed and caught-up
 * events are merged by it, so each state reaches a session once, and never after a later state of
 * its message. Built and read here only.
 */
import type { MessageStatus } from '@switchboard/protocol';
import { laterStatesOf } from './lifecycle.js';

export function eventKey(messageId: string, state: MessageStatus): string {
  return `${messageId}:${state}`;
}

/** The message an event key names. */
export function messageOfKey(key: string): string {
  return key.slice(0, key.lastIndexOf(':'));
}

/** What every key of `messageId` starts with (a `LIKE` pattern's prefix). */
export function keyPrefixOf(messageId: string): string {
  return `${messageId}:`;
}

/** The keys of the states the message of `key` may reach after it. */
export function laterKeysOf(key: string): string[] {
  const at = key.lastIndexOf(':');
  const id = key.slice(0, at);
  return laterStatesOf(key.slice(at + 1) as MessageStatus).map((s) => eventKey(id, s));
}

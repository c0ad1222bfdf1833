import type { MessageEventRecord, MessageRecord, NewMessageEvent } from '../../message.js';

/** A stored state change with its message as it is now. */
export interface MessageEventWithMessage {
  readonly event: MessageEventRecord;
  readonly message: MessageRecord;
}

/** Bounds of a read of recent events: no older than `since` (ms), at most `limit` (the newest), among the last `scanRows` events of the store. */
export interface RecentEventsBounds {
  readonly since: number;
  readonly limit: number;
  readonly scanRows: number;
}

export interface MessageEventRepository {
  insertMany(events: readonly NewMessageEvent[]): Promise<void>;
  listForMessage(projectId: string, messageId: string): Promise<MessageEventRecord[]>;
  /**
   * A project's recent events of messages whose context is one of `contexts` (`default` also
   * matches a message without one) or that one of `senders` sent (`MessageRecord.relaySender`),
   * oldest first: what RELAY sessions following those contexts, with those protocols, should have
   * had. The scan is bounded by the store's last `scanRows` events, whatever the project.
   */
  listRecentForContexts(projectId: string, contexts: readonly string[], senders: readonly string[], bounds: RecentEventsBounds): Promise<MessageEventWithMessage[]>;
}

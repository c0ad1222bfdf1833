import type { MessageEventRecord, MessageRecord, NewMessageEvent } from '../../message.js';

/** A stored state change with its message as it is now. */
export interface MessageEventWithMessage {
  readonly event: MessageEventRecord;
  readonly message: MessageRecord;
}

/**
 * Bounds of a read of recent events: no older than `since` (ms), at most `limit` (the newest). The
 * read walks the store's event ids down from the newest, whatever their project, `scanRows` ids a
 * statement (the event loop turns between statements), until it has `limit` rows, or the event
 * below the ids it looked through is older than `scanSince` (ids grow with time: a little before
 * `since`, for events stored slightly out of order), or it looked through `maxScanRows` ids.
 * Parts are aligned on multiples of `scanRows` (the first from the newest id down to one), and
 * reads at the same time with the same `scanRows` share the walk, each getting what it would alone.
 */
export interface RecentEventsBounds {
  readonly since: number;
  readonly limit: number;
  readonly scanRows: number;
  readonly scanSince: number;
  readonly maxScanRows: number;
}

export interface MessageEventRepository {
  insertMany(events: readonly NewMessageEvent[]): Promise<void>;
  listForMessage(projectId: string, messageId: string): Promise<MessageEventRecord[]>;
  /**
   * A project's recent events of messages whose context is one of `contexts` (`default` also
   * matches a message without one) or that one of `senders` sent (`MessageRecord.relaySender`),
   * oldest first: what RELAY sessions following those contexts, with those protocols, should have
   * had. The walk through the store's events is bounded by time (`bounds.scanSince`), not by the
   * other projects' volume, and at most `bounds.maxScanRows` ids.
   */
  listRecentForContexts(projectId: string, contexts: readonly string[], senders: readonly string[], bounds: RecentEventsBounds): Promise<MessageEventWithMessage[]>;
}

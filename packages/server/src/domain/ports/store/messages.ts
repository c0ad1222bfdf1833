import type { MessageOrigin, MessageStatus } from '@switchboard/protocol';
import type { MessageRecord, MessageState, NewMessage } from '../../message.js';
import type { ScannedPage, SeqPage } from './paging.js';

/** Filters of the message list (native logs, compat list, console). Times are ms, bounds inclusive. */
export interface MessageListFilter {
  readonly createdFrom?: number;
  readonly createdTo?: number;
  /** Bounds on the sent time (falling back to creation time for messages not sent yet). */
  readonly sentFrom?: number;
  readonly sentTo?: number;
  readonly includeDeleted?: boolean;
  readonly to?: string;
  readonly from?: string;
  readonly statuses?: readonly MessageStatus[];
  readonly direction?: 'inbound' | 'outbound';
  /** Only messages made this way (the logs' `outbound-api`: `compat`, `outbound-reply`: `reply`). */
  readonly origin?: MessageOrigin;
  /** Messages between one of our numbers and another party, either direction. */
  readonly conversation?: { readonly ours: string; readonly other: string };
  /** Case-insensitive substring of the body. */
  readonly bodyContains?: string;
  /** Messages this number sent or received (either side). */
  readonly party?: string;
  /** The surfaces (origins) the messages came through; empty or absent means any. */
  readonly origins?: readonly MessageOrigin[];
}

/** A conversation: the messages between one of our numbers and another party, either direction. */
export interface ConversationRecord {
  /** Our side: the sender of outbound messages, the recipient of inbound ones. */
  readonly ours: string;
  readonly other: string;
  /** `seq` of the newest message (deleted ones included), the paging cursor of the conversation list. */
  readonly lastSeq: number;
  /** The newest message not deleted (a thread whose every message is deleted is not listed). */
  readonly last: MessageRecord;
}

/** Filter of the conversation list. */
export interface ConversationFilter {
  /** Only conversations of this number of ours. */
  readonly ours?: string;
}

/** A requested state change, applied only if the message is in an allowed predecessor state. */
export interface TransitionUpdate {
  readonly projectId: string;
  readonly id: string;
  readonly to: MessageStatus;
  readonly at: number;
  readonly errorCode?: string | null;
  readonly errorMessage?: string | null;
  readonly reason?: string | null;
  readonly carrier?: string | null;
  readonly carrierMessageId?: string | null;
  readonly price?: number | null;
}

/** Where a scan of messages awaiting a receipt continues: after this send time, then this `seq`. */
export interface SentCursor {
  readonly sentAt: number;
  readonly seq: number;
}

/** Which carrier's messages a scan of overdue receipts reads: one, or every carrier but some. */
export type CarrierSelector = string | { readonly notIn: readonly string[] };

export interface MessageRepository {
  /** Insert messages; returns them with their `seq`. */
  insertMany(rows: readonly NewMessage[]): Promise<MessageRecord[]>;
  get(projectId: string, id: string): Promise<MessageRecord | undefined>;
  getMany(projectId: string, ids: readonly string[]): Promise<MessageRecord[]>;
  seqOf(projectId: string, id: string): Promise<number | undefined>;
  /** How many replies cXML documents sent in the exchange an inbound message began (`MessageRecord.cxmlSession`). */
  countInCxmlSession(projectId: string, session: string): Promise<number>;
  list(projectId: string, filter: MessageListFilter, page: SeqPage): Promise<MessageRecord[]>;
  /**
   * One page of `list` that examines at most `scanRows` of the project's messages (deleted ones
   * included), the next ones in the page's direction: a filter few messages match answers a short
   * (even empty) page and where it stopped, rather than reading the project's whole history.
   */
  listScanned(projectId: string, filter: MessageListFilter, page: SeqPage, scanRows: number): Promise<ScannedPage<MessageRecord>>;
  /** The changing part of messages (cheap to read): status, errors, carrier facts, times. */
  statesOf(projectId: string, ids: readonly string[]): Promise<MessageState[]>;
  /**
   * Guarded, batched state changes: each update applies only when the message is in a legal
   * predecessor state (domain lifecycle). Returns the state of the rows that changed, as they are now.
   */
  transitionMany(updates: readonly TransitionUpdate[]): Promise<MessageState[]>;
  /** Empty the body; returns the updated message or undefined when not found. */
  redact(projectId: string, id: string, at: number): Promise<MessageRecord | undefined>;
  markDeleted(projectId: string, id: string, at: number): Promise<boolean>;
  /** Conversations of the project, most recently active first; `page.beforeSeq` continues after a `lastSeq`. */
  listConversations(projectId: string, filter: ConversationFilter, page: { readonly limit: number; readonly beforeSeq?: number }): Promise<ConversationRecord[]>;
  /** `listConversations` grouping only the project's next `scanRows` messages below the cursor (see `listScanned`). */
  listConversationsScanned(projectId: string, filter: ConversationFilter, page: { readonly limit: number; readonly beforeSeq?: number }, scanRows: number): Promise<ScannedPage<ConversationRecord>>;
  /**
   * The inbound message `carrier` handed over as `carrierMessageId` from `from` to `to` of the
   * project, if it was stored (a carrier handing a message over again). Served by `messages_parties`.
   */
  findInbound(projectId: string, from: string, to: string, carrier: string, carrierMessageId: string): Promise<MessageRecord | undefined>;
  /** Engine internal, all projects: messages a carrier accepted that still await a receipt (restart recovery). */
  listAwaitingReceipt(carrier: string, afterSeq: number, limit: number): Promise<MessageRecord[]>;
  /**
   * Engine internal, all projects (receipt reconciliation): SMS still `sent` through the selected
   * carrier(s), sent in `(after, upTo]` (ms; `after` null: no lower bound), oldest first, continuing
   * after `cursor`. Served by the `messages_sent_age` index.
   */
  listSentBetween(carrier: CarrierSelector, after: number | null, upTo: number, cursor: SentCursor | null, limit: number): Promise<MessageRecord[]>;
}

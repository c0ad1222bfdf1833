import type { SeqPage } from './paging.js';

/** A handset that opted out of a sender: a number (E.164 or short code) or a number group's id. */
export interface OptOutRecord {
  readonly id: string;
  readonly projectId: string;
  readonly sender: string;
  readonly handset: string;
  /** The keyword the handset sent (upper case); null when added through the API. */
  readonly keyword: string | null;
  readonly createdAt: number;
}

/**
 * Smart encoding and opt-out replies of one scope: the project (`scope` ''), a number group (its
 * id) or a number. A null field follows the wider scope (number → group → project → default).
 */
export interface MessagingSettings {
  readonly smartEncoding: boolean | null;
  /** Send the confirmation and help replies. */
  readonly replies: boolean | null;
  readonly stopReply: string | null;
  readonly startReply: string | null;
  readonly helpReply: string | null;
}

/** A change to one scope's settings: undefined leaves a field, null returns it to the wider scope. */
export type MessagingSettingsPatch = { readonly [K in keyof MessagingSettings]?: MessagingSettings[K] };

export interface OptOutRepository {
  /**
   * Record opt-outs; one already on the list is kept as it was. The project's count of entries is
   * kept in the same transaction. With `maxEntries` (the API's adds; never a handset's keyword),
   * an add that would leave the project more entries than that adds none and returns false, and
   * concurrent adds count one after the other; it then runs in its own transaction, not a caller's.
   */
  add(rows: readonly OptOutRecord[], maxEntries?: number): Promise<boolean>;
  /**
   * Take a handset off the lists of these senders; returns how many entries went. A sender that is
   * a number group takes with it what a keyword put on its current members' own lists (a STOP to a
   * member lists the member too, so that it still refuses the handset if it leaves the group): a
   * handset back in a group is back with every member of it. The project's count goes down with
   * them, in the same transaction.
   */
  remove(projectId: string, handset: string, senders: readonly string[]): Promise<number>;
  get(projectId: string, id: string): Promise<OptOutRecord | undefined>;
  /**
   * Whether a send from `from` to `handset` is refused: the handset opted out of `from`, of the
   * group the message goes through, or of any group `from` belongs to. One indexed lookup.
   */
  blocks(projectId: string, handset: string, from: string, numberGroupId: string | null): Promise<boolean>;
  /** Whether the project has any opt-out at all (lets sends skip the lookup). */
  any(projectId: string): Promise<boolean>;
  list(projectId: string, filter: { readonly sender?: string; readonly handset?: string }, page: SeqPage): Promise<Array<OptOutRecord & { seq: number }>>;
  seqOf(projectId: string, id: string): Promise<number | undefined>;
  /** Ids of the number groups a number of the project belongs to. */
  groupsOf(projectId: string, number: string): Promise<string[]>;
  /** Every scope's own settings of a project, keyed by scope. */
  settings(projectId: string): Promise<Map<string, MessagingSettings>>;
  updateSettings(projectId: string, scope: string, patch: MessagingSettingsPatch, at: number): Promise<MessagingSettings>;
}

/**
 * The handset inbox, with its inserts written as transactions of the store's, not statements of
 * their own: on SQLite they then share the COMMIT of the turn's other writes (the state changes
 * their receipts cause, new messages; `store/transaction-groups.ts`) instead of paying one each.
 * For SQLite only: on PostgreSQL a transaction costs the insert a round trip more, and commits
 * there run in parallel anyway.
 */
import type { HandsetInboxRepository, Store } from '../../domain/ports/store.js';

export function sharedCommitInbox(store: Pick<Store, 'handsets' | 'transaction'>): HandsetInboxRepository {
  const inbox = store.handsets;
  return {
    insertMany: (rows) => store.transaction((tx) => tx.handsets.insertMany(rows)),
    list: (projectId, filter, limit) => inbox.list(projectId, filter, limit),
    clear: (projectId) => inbox.clear(projectId),
    receivedOf: (projectId, messageIds) => inbox.receivedOf(projectId, messageIds),
    prune: (keep, maxRows) => inbox.prune(keep, maxRows),
  };
}

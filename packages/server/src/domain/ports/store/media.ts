import type { MessageMediaRecord } from '../../media.js';
import type { SeqPage } from './paging.js';

export interface MessageMediaRepository {
  insertMany(rows: readonly MessageMediaRecord[]): Promise<void>;
  /**
   * A message's media in message order (oldest first). Unlike the other lists, `afterSeq` selects the
   * rows after a cursor (next page) and `beforeSeq` the rows before it (previous page); both keep
   * the oldest-first order.
   */
  listForMessage(projectId: string, messageId: string, filter: { readonly createdFrom?: number; readonly createdTo?: number }, page: SeqPage): Promise<Array<MessageMediaRecord & { seq: number }>>;
  get(projectId: string, messageId: string, id: string): Promise<MessageMediaRecord | undefined>;
  seqOf(projectId: string, messageId: string, id: string): Promise<number | undefined>;
  delete(projectId: string, messageId: string, id: string): Promise<boolean>;
}

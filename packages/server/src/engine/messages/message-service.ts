/** Reading, redaction and deletion of stored messages (and their media), with the in-progress rules of both REST surfaces. */
import { isInProgressStatus } from '@switchboard/protocol';
import { AppError } from '../../domain/app-error.js';
import type { MessageRecord } from '../../domain/message.js';
import type { Store } from '../../domain/ports/store.js';
import type { MessageJournal } from './journal.js';

export class MessageService {
  constructor(private readonly deps: { readonly store: Store; readonly journal: MessageJournal }) {}

  /** A message of the project, or NOT_FOUND. */
  async get(projectId: string, id: string, opts: { includeDeleted?: boolean } = {}): Promise<MessageRecord> {
    const m = await this.deps.store.messages.get(projectId, id);
    if (!m || (m.deletedAt !== null && !opts.includeDeleted)) throw AppError.of('NOT_FOUND', { message: `Message ${id} was not found.` });
    return m;
  }

  /** Empty the body of a finished message; irreversible. */
  async redact(projectId: string, id: string): Promise<MessageRecord> {
    const m = await this.get(projectId, id);
    if (isInProgressStatus(m.status)) throw AppError.of('REDACT_IN_PROGRESS');
    const redacted = await this.deps.journal.redact(projectId, id);
    if (!redacted) throw AppError.of('NOT_FOUND', { message: `Message ${id} was not found.` });
    return redacted;
  }

  /** Remove a finished message from listings (kept for `include_deleted`). */
  async delete(projectId: string, id: string): Promise<void> {
    const m = await this.get(projectId, id);
    if (isInProgressStatus(m.status)) throw AppError.of('DELETE_IN_PROGRESS');
    await this.deps.journal.markDeleted(projectId, id);
  }

  /** Delete one media item of a finished message; the caller has found both. */
  async deleteMedia(projectId: string, message: MessageRecord, mediaId: string): Promise<void> {
    if (isInProgressStatus(message.status)) throw AppError.of('DELETE_IN_PROGRESS', { message: 'Media of a message that is still scheduled, queued or initiated cannot be deleted (cancel a scheduled message first).' });
    await this.deps.store.media.delete(projectId, message.id, mediaId);
  }
}

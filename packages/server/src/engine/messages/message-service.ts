/** Redaction and deletion of stored messages, with the in-progress rules of both REST surfaces. */
import { isInProgressStatus } from '@switchboard/protocol';
import { AppError } from '../../domain/app-error.js';
import type { Clock } from '../../domain/clock.js';
import type { MessageRecord } from '../../domain/message.js';
import type { Store } from '../../domain/ports/store.js';

export class MessageService {
  constructor(private readonly deps: { readonly store: Store; readonly clock: Clock }) {}

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
    const redacted = await this.deps.store.messages.redact(projectId, id, this.deps.clock.now());
    if (!redacted) throw AppError.of('NOT_FOUND', { message: `Message ${id} was not found.` });
    return redacted;
  }

  /** Remove a finished message from listings (kept for `include_deleted`). */
  async delete(projectId: string, id: string): Promise<void> {
    const m = await this.get(projectId, id);
    if (isInProgressStatus(m.status)) throw AppError.of('DELETE_IN_PROGRESS');
    await this.deps.store.messages.markDeleted(projectId, id, this.deps.clock.now());
  }
}

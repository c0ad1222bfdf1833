/**
 * Canceling scheduled messages (compat `Status=canceled`, native `status: "canceled"`). Sending
 * them needs nothing here: a scheduled message's dispatch job comes due at its send time and the
 * dispatcher moves it on (dispatcher.ts). A canceled message's job is dropped when it comes due.
 */
import { AppError } from '../../domain/app-error.js';
import type { MessageRecord } from '../../domain/message.js';
import type { MessageRepository } from '../../domain/ports/store.js';
import type { MessageJournal } from './journal.js';

export class ScheduledMessages {
  constructor(private readonly deps: { readonly messages: MessageRepository; readonly journal: MessageJournal }) {}

  /**
   * Cancel a scheduled message; undefined when the project has no such message (or deleted it).
   * Canceling it again answers it as it is; a message that already left the schedule cannot be
   * (Twilio's 30409).
   */
  async cancel(projectId: string, id: string): Promise<MessageRecord | undefined> {
    const m = await this.deps.messages.get(projectId, id);
    if (!m || m.deletedAt !== null) return undefined;
    if (m.status === 'canceled') return m;
    if (m.status !== 'scheduled') throw notCancelable(m.status);
    // The guarded update loses to a dispatcher that moved it to `queued` meanwhile, or to another
    // cancel of it (answered as canceling a canceled message is). Storage that takes no writes
    // refuses the cancel (503) rather than holding the request until it is back.
    if (!(await this.deps.journal.recordOrRefuse({ projectId, messageId: id, to: 'canceled' }))) {
      const now = await this.deps.messages.get(projectId, id);
      if (now?.status === 'canceled' && now.deletedAt === null) return now;
      throw notCancelable(now?.status ?? 'queued');
    }
    return this.deps.messages.get(projectId, id);
  }
}

function notCancelable(status: string): AppError {
  // `initiated` is the native API's word; the Compatibility API calls that state `sending`.
  const state = status === 'initiated' ? 'being sent' : status;
  return AppError.of('MESSAGE_NOT_CANCELABLE', { message: `Only a scheduled message can be canceled; this one is ${state}.` });
}

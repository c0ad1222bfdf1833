/**
 * `acceptMessage`: the one use case every surface calls to send. It validates, resolves the sender,
 * builds the record and hands it to the journal, which commits it with its first event, dispatch
 * job and `queued` webhooks. It returns only after the commit, so an answer to the caller means the
 * message survives a crash.
 */
import type { ErrorDetail } from '@switchboard/protocol';
import { AppError } from '../../domain/app-error.js';
import type { Clock } from '../../domain/clock.js';
import type { IdGenerator } from '../../domain/ids.js';
import type { MessageRecord } from '../../domain/message.js';
import { newOutboundMessage } from '../../domain/new-message.js';
import { checkContent, checkDestination, checkSenderSyntax, type SendInput, type SendRules } from '../../domain/send-request.js';
import type { MessageJournal } from './journal.js';
import type { SenderResolver } from '../routing/sender-resolver.js';

export class MessageAcceptor {
  constructor(
    private readonly deps: {
      readonly clock: Clock;
      readonly ids: IdGenerator;
      readonly senders: SenderResolver;
      readonly rules: SendRules;
      readonly journal: MessageJournal;
    },
  ) {}

  /** Validate and durably queue one outbound message; throws `AppError` listing every problem found. */
  async accept(projectId: string, input: SendInput): Promise<MessageRecord> {
    const errors: ErrorDetail[] = [...checkDestination(input.to)];
    const senderSyntax = checkSenderSyntax(input.from, !!input.numberGroupId);
    errors.push(...senderSyntax);
    const content = checkContent(input, this.deps.rules);

    let from: string | null = null;
    let numberGroupId: string | null = null;
    if (senderSyntax.length === 0) {
      const resolved = await this.deps.senders.resolve({
        projectId,
        from: typeof input.from === 'string' && input.from !== '' ? input.from : null,
        numberGroupId: input.numberGroupId ?? null,
        to: typeof input.to === 'string' ? input.to : '',
        kind: content.value?.kind ?? 'sms',
      });
      if ('errors' in resolved) errors.push(...resolved.errors);
      else ({ from, numberGroupId } = resolved);
    }
    errors.push(...content.errors);
    if (errors.length || !content.value || from === null) throw new AppError(errors);

    const c = content.value;
    const row = newOutboundMessage({
      id: this.deps.ids.uuid(),
      projectId,
      origin: input.origin,
      from,
      to: input.to as string,
      body: c.body,
      media: c.media,
      kind: c.kind,
      encoding: c.encoding,
      segments: c.segments,
      at: this.deps.clock.now(),
      statusCallback: c.statusCallback,
      callbackFormat: input.callbackFormat,
      customVariables: c.customVariables,
      context: input.context ?? null,
      tags: input.tags ?? [],
      numberGroupId,
      applicationId: input.applicationId ?? null,
      maxPrice: input.maxPrice ?? null,
      validityPeriod: c.validityPeriod,
    });
    return this.deps.journal.create(row);
  }
}

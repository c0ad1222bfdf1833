/**
 * Sends made with a test token (Twilio's test credentials). The request is checked as a live one
 * would be, then the magic numbers decide (domain/test-credentials.ts): a documented error at
 * once, or an answer shaped like a created message — `queued` (`scheduled` with a send time), with a sid — that is never
 * journaled, sent, charged or called back, so it cannot be fetched or listed afterwards (Twilio:
 * test credentials reach no other resource). Idempotency keys are not kept for them (nothing is),
 * but a keyed send's sid is derived from the project, the key and the request, so a retry of the
 * same request under the same key is answered with the same sid, as a live retry would be.
 */
import type { ErrorDetail } from '@switchboard/protocol';
import { AppError, detail } from '../../domain/app-error.js';
import type { Clock } from '../../domain/clock.js';
import type { IdGenerator } from '../../domain/ids.js';
import type { MessageRecord } from '../../domain/message.js';
import { outboundFromRequest } from '../../domain/new-message.js';
import { checkContent, checkDestination, checkSenderSyntax, type SendInput, type SendRules } from '../../domain/send-request.js';
import { checkSendAt, DEFAULT_SCHEDULE_WINDOW, sendAtField } from '../../domain/schedule.js';
import { testSendError } from '../../domain/test-credentials.js';
import { keyedMessageId, parseIdempotencyKey, requestFingerprint } from '../../domain/idempotency.js';

export class TestCredentialSends {
  constructor(private readonly deps: { readonly clock: Clock; readonly ids: IdGenerator; readonly rules: SendRules }) {}

  /**
   * The answer to a send made with a test token; throws `AppError` as a live send would, or with the
   * magic numbers' errors. `rawKey` is the request's idempotency key as the client sent it (undefined
   * or null for none): checked as a live send checks it, and the sid follows from it.
   */
  accept(projectId: string, input: SendInput, rawKey?: unknown): MessageRecord {
    const key = rawKey === undefined || rawKey === null ? null : parseIdempotencyKey(rawKey);
    const errors: ErrorDetail[] = [...checkDestination(input.to), ...checkSenderSyntax(input.from, !!input.numberGroupId)];
    if (errors.length === 0) {
      const from = typeof input.from === 'string' && input.from !== '' ? input.from : null;
      const magic = testSendError(from, input.to as string, !!input.numberGroupId);
      if (magic !== null) errors.push(detail(magic));
      // As a live send on the Compatibility API: the valid sender texting itself is 21266.
      else if (input.origin === 'compat' && from === input.to) errors.push(detail('TO_SAME_AS_FROM', { message: `'To' and 'From' numbers cannot be the same (${from}).` }));
    }
    const content = checkContent(input, this.deps.rules);
    errors.push(...content.errors);
    // SendAt too, as a live send checks it (35114), and a scheduled answer says `scheduled`.
    const now = this.deps.clock.now();
    const schedule = checkSendAt(input.sendAt, now, this.deps.rules.schedule ?? DEFAULT_SCHEDULE_WINDOW, sendAtField(input.origin));
    errors.push(...schedule.errors);
    if (errors.length || !content.value) throw new AppError(errors);

    const id = key === null ? this.deps.ids.uuid() : keyedMessageId(projectId, key, requestFingerprint(input));
    const row = outboundFromRequest(input, content.value, { id, projectId, from: input.from as string, at: now, sendAt: schedule.at });
    // Never stored, so it has no place in the project's order of messages.
    return { ...row, seq: 0 };
  }
}

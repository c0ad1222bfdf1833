/**
 * `acceptMessage`: the one use case every surface calls to send. It validates, resolves the sender,
 * builds the record and hands it to the journal, which commits it with its first event, dispatch
 * job and `queued` webhooks. It returns only after the commit, so an answer to the caller means the
 * message survives a crash. `acceptOnce` does the same for a request with an idempotency key: a
 * retry of the same request within 24 hours gets the original message back and sends nothing.
 */
import type { ErrorDetail } from '@switchboard/protocol';
import { AppError, detail } from '../../domain/app-error.js';
import type { Clock } from '../../domain/clock.js';
import { asAccepted, parseIdempotencyKey, requestFingerprint } from '../../domain/idempotency.js';
import type { IdGenerator } from '../../domain/ids.js';
import type { MessageRecord } from '../../domain/message.js';
import type { CxmlApplicationRepository, IdempotencyRepository, MessageRepository } from '../../domain/ports/store.js';
import { outboundFromRequest } from '../../domain/new-message.js';
import { checkContent, checkDestination, checkSenderSyntax, type SendInput, type SendRules } from '../../domain/send-request.js';
import { IdempotencyKeyTaken, type IdempotencyClaim } from './idempotency.js';
import type { MessageJournal } from './journal.js';
import type { SenderResolver } from '../routing/sender-resolver.js';
import { checkSendAt, DEFAULT_SCHEDULE_WINDOW, sendAtField } from '../../domain/schedule.js';
import type { SenderQueues } from './sender-queues.js';
import { isKeywordReply, type OptOutService } from './opt-outs.js';
import type { MessagingSettingsCache } from './opt-outs-settings.js';

export class MessageAcceptor {
  constructor(
    private readonly deps: {
      readonly clock: Clock;
      readonly ids: IdGenerator;
      readonly senders: SenderResolver;
      readonly rules: SendRules;
      readonly journal: MessageJournal;
      /** Idempotency keys and the messages they name (reads; keys are written by the journal). */
      readonly keys: IdempotencyRepository;
      readonly messages: MessageRepository;
      /** The project's cXML applications: a message's `applicationId` must name one of them. */
      readonly applications?: Pick<CxmlApplicationRepository, 'get'>;
      /** Per-sender queues: a send is refused while its sender's queue is over the limit. */
      readonly senderQueues?: SenderQueues;
      /** Opt-out lists and per-sender messaging settings (smart encoding). */
      readonly optOuts?: OptOutService;
      readonly settings?: MessagingSettingsCache;
    },
  ) {}

  /**
   * `accept`, safe to retry: with a key (as the client sent it; undefined or null for none), the project's
   * first request with that key within 24 hours creates the message and later ones with the same
   * request get it back as the first answer showed it (`replayed`, nothing sent); a different request under the key is refused
   * with `IDEMPOTENCY_KEY_REUSED`. Concurrent requests with one key wait for each other's commit.
   */
  async acceptOnce(projectId: string, input: SendInput, rawKey: unknown): Promise<{ readonly message: MessageRecord; readonly replayed: boolean }> {
    if (rawKey === undefined || rawKey === null) return { message: await this.accept(projectId, input), replayed: false };
    const claim: IdempotencyClaim = { key: parseIdempotencyKey(rawKey), requestHash: requestFingerprint(input) };
    const earlier = await this.original(projectId, claim);
    if (earlier) return { message: earlier, replayed: true };
    try {
      return { message: await this.accept(projectId, input, claim), replayed: false };
    } catch (err) {
      if (!(err instanceof IdempotencyKeyTaken)) throw err;
      // Another request took the key first and has committed: answer with its message.
      const winner = await this.original(projectId, claim);
      if (!winner) throw err;
      return { message: winner, replayed: true };
    }
  }

  /**
   * What `acceptOnce` would answer a retry, sending nothing: the message a live key names (as its
   * first answer showed it), or undefined when the key names none; throws like `acceptOnce` when the
   * key came with another request. For a caller that may no longer send but must recognise a retry.
   */
  async replayOf(projectId: string, input: SendInput, rawKey: unknown): Promise<MessageRecord | undefined> {
    return this.original(projectId, { key: parseIdempotencyKey(rawKey), requestHash: requestFingerprint(input) });
  }

  /**
   * The message a live key names, as its first answer showed it (`asAccepted`), if the request
   * matches; throws when the key came with another request.
   */
  private async original(projectId: string, claim: IdempotencyClaim): Promise<MessageRecord | undefined> {
    const found = await this.deps.keys.get(projectId, claim.key, this.deps.clock.now());
    if (!found) return undefined;
    if (found.requestHash !== claim.requestHash) throw AppError.of('IDEMPOTENCY_KEY_REUSED');
    const message = await this.deps.messages.get(projectId, found.messageId);
    return message && asAccepted(message);
  }

  /** Validate and durably queue one outbound message; throws `AppError` listing every problem found. */
  async accept(projectId: string, input: SendInput, idempotency?: IdempotencyClaim): Promise<MessageRecord> {
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
      // On the Compatibility API a number sending to itself (given as From or chosen from a group) is
      // refused, as Twilio does (21266). SignalWire documents no such rule for its own APIs, where a
      // self-addressed message comes back in by loopback (a sandbox's way to test receiving).
      if (input.origin === 'compat' && from !== null && from === input.to) errors.push(detail('TO_SAME_AS_FROM', { message: `'To' and 'From' numbers cannot be the same (${from}).` }));
    }
    errors.push(...content.errors);
    // Another project's application is refused as an unknown one is (the same error and text).
    if (input.applicationId && this.deps.applications && !(await this.deps.applications.get(projectId, input.applicationId))) {
      errors.push(detail('APPLICATION_INVALID', { message: `ApplicationSid ${input.applicationId} is not a cXML application of your project.` }));
    }
    const now = this.deps.clock.now();
    const schedule = checkSendAt(input.sendAt, now, this.deps.rules.schedule ?? DEFAULT_SCHEDULE_WINDOW, sendAtField(input.origin));
    errors.push(...schedule.errors);
    if (errors.length || !content.value || from === null) throw new AppError(errors);
    // Opt-outs (opt-outs.ts): nothing to wait for while the project has none.
    const optedOut = this.deps.optOuts?.check(projectId, from, input.to as string, numberGroupId, input);
    if (optedOut) await optedOut;
    // A message sent later joins its sender's queue then; one sent now is refused while the queue is
    // full — but not the reply to a STOP/START/HELP, which goes out ahead of the backlog.
    if (schedule.at === undefined && !isKeywordReply(input)) this.deps.senderQueues?.checkRoom(projectId, from);

    let c = content.value;
    // Smart encoding only ever changes a UCS-2 SMS (opt-outs-settings.ts).
    if (c.kind === 'sms' && c.encoding === 'UCS-2' && input.smartEncoded !== false && this.deps.settings) {
      c = await this.deps.settings.smartEncode(projectId, c, from, numberGroupId, input.smartEncoded);
    }
    const row = outboundFromRequest(input, c, {
      id: this.deps.ids.uuid(),
      projectId,
      from,
      at: now,
      sendAt: schedule.at,
      numberGroupId,
    });
    return this.deps.journal.create(row, { idempotency, runAt: schedule.at });
  }
}

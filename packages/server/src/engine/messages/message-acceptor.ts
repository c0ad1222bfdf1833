/**
 * `acceptMessage`: the one use case every surface calls to send. It validates, resolves the sender,
 * and writes the message, its first event, its dispatch job and any `queued` webhooks in one
 * transaction (group-committed with concurrent requests). It returns only after the commit, so an
 * answer to the caller means the message survives a crash.
 */
import type { ErrorDetail } from '@switchboard/protocol';
import { AppError } from '../../domain/app-error.js';
import type { Clock } from '../../domain/clock.js';
import type { IdGenerator } from '../../domain/ids.js';
import { mediaRecordsFor } from '../../domain/media.js';
import type { MessageRecord, NewMessage, NewMessageEvent } from '../../domain/message.js';
import type { Bus } from '../../domain/ports/bus.js';
import type { Store } from '../../domain/ports/store.js';
import { checkContent, checkDestination, checkSenderSyntax, type SendInput, type SendRules } from '../../domain/send-request.js';
import { Batcher } from '../../util/batcher.js';
import { planWebhooks, type ChangeAnnouncer } from './lifecycle-recorder.js';
import type { RecentMessages } from './recent-messages.js';
import type { SenderResolver } from '../routing/sender-resolver.js';
import type { StateChange, WebhookPlanner } from './state-change.js';

export class MessageAcceptor {
  private readonly writer: Batcher<NewMessage, MessageRecord>;

  constructor(
    private readonly deps: {
      readonly store: Store;
      readonly clock: Clock;
      readonly ids: IdGenerator;
      readonly senders: SenderResolver;
      readonly planners: readonly WebhookPlanner[];
      readonly announcer: ChangeAnnouncer;
      readonly bus: Bus;
      readonly rules: SendRules;
      readonly recent: RecentMessages;
    },
  ) {
    this.writer = new Batcher((rows) => this.persist(rows), 1000);
  }

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

    const now = this.deps.clock.now();
    const c = content.value;
    const row: NewMessage = {
      id: this.deps.ids.uuid(),
      projectId,
      direction: 'outbound',
      origin: input.origin,
      from,
      to: input.to as string,
      body: c.body,
      media: c.media,
      kind: c.kind,
      encoding: c.encoding,
      segments: c.segments,
      status: 'queued',
      errorCode: null,
      errorMessage: null,
      reason: null,
      statusCallback: c.statusCallback,
      callbackFormat: c.statusCallback ? input.callbackFormat : null,
      customVariables: c.customVariables,
      context: input.context ?? null,
      tags: input.tags ?? [],
      numberGroupId,
      applicationId: input.applicationId ?? null,
      price: null,
      priceUnit: 'USD',
      maxPrice: input.maxPrice ?? null,
      validityPeriod: c.validityPeriod,
      expiresAt: now + c.validityPeriod * 1000,
      carrier: null,
      carrierMessageId: null,
      createdAt: now,
      updatedAt: now,
      sentAt: null,
      redactedAt: null,
      deletedAt: null,
    };
    return this.writer.add(row);
  }

  /** Wait until every accepted message is committed. */
  drain(): Promise<void> {
    return this.writer.drain();
  }

  private async persist(rows: NewMessage[]): Promise<MessageRecord[]> {
    const { store, planners, announcer, bus } = this.deps;
    const { records, changes, webhooks } = await store.transaction(async (tx) => {
      const records = await tx.messages.insertMany(rows);
      const changes: StateChange[] = records.map((message) => ({ message, event: queuedEvent(message) }));
      await tx.events.insertMany(changes.map((c) => c.event));
      const media = records.flatMap((m) => mediaRecordsFor(m, () => this.deps.ids.uuid()));
      if (media.length) await tx.media.insertMany(media);
      await tx.jobs.enqueueMany(records.map((m) => ({ kind: 'dispatch', projectId: m.projectId, messageId: m.id, runAt: m.createdAt })));
      const webhooks = await planWebhooks(planners, changes, tx, rows[0]!.createdAt);
      if (webhooks.length) await tx.webhooks.enqueueMany(webhooks);
      return { records, changes, webhooks };
    });
    for (const r of records) this.deps.recent.remember(r);
    announcer.announce(changes, webhooks.length);
    bus.publish('work.available', { queue: 'dispatch' });
    return records;
  }
}

function queuedEvent(m: MessageRecord): NewMessageEvent {
  return { messageId: m.id, projectId: m.projectId, status: 'queued', at: m.createdAt, errorCode: null, errorMessage: null, detail: { origin: m.origin } };
}

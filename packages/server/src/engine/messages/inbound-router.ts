/**
 * `routeInbound`: a handset sent a message to one of our numbers. It is stored as `received` for
 * the project that owns the number, with the webhooks its handler asks for, in one transaction;
 * then announced on the bus, where RELAY sessions pick it up. Messages to numbers nobody owns are
 * not ours and are reported back as not routed.
 */
import { planMessage } from '@switchboard/protocol';
import type { Clock } from '../../domain/clock.js';
import type { IdGenerator } from '../../domain/ids.js';
import { mediaRecordsFor } from '../../domain/media.js';
import { DEFAULT_VALIDITY_PERIOD, type NewMessage, type MessageRecord } from '../../domain/message.js';
import type { InboundMessage, InboundResult } from '../../domain/ports/carrier.js';
import type { Store } from '../../domain/ports/store.js';
import type { PhoneNumberRecord } from '../../domain/project.js';
import { Batcher } from '../../util/batcher.js';
import { planWebhooks, type ChangeAnnouncer } from './lifecycle-recorder.js';
import type { NumberDirectory } from '../routing/number-directory.js';
import type { StateChange, WebhookPlanner } from './state-change.js';

export class InboundRouter {
  private readonly writer: Batcher<NewMessage, MessageRecord>;

  constructor(
    private readonly deps: {
      readonly store: Store;
      readonly clock: Clock;
      readonly ids: IdGenerator;
      readonly numbers: NumberDirectory;
      readonly planners: readonly WebhookPlanner[];
      readonly announcer: ChangeAnnouncer;
    },
  ) {
    this.writer = new Batcher((rows) => this.persist(rows), 1000);
  }

  /** Store and hand over messages from handsets; one result per message. */
  async receive(messages: readonly InboundMessage[]): Promise<InboundResult[]> {
    return Promise.all(messages.map((m) => this.receiveOne(m)));
  }

  /** Wait until every received message is committed. */
  drain(): Promise<void> {
    return this.writer.drain();
  }

  private async receiveOne(m: InboundMessage): Promise<InboundResult> {
    const owner = await this.deps.numbers.owner(m.to);
    if (!owner) return { routed: false };
    const plan = planMessage({ body: m.body, mediaCount: m.media.length });
    const at = m.receivedAt;
    const row: NewMessage = {
      id: this.deps.ids.uuid(),
      projectId: owner.projectId,
      direction: 'inbound',
      origin: 'inbound',
      from: m.from,
      to: m.to,
      body: m.body,
      media: [...m.media],
      kind: plan.kind,
      encoding: plan.encoding,
      segments: m.segments ?? plan.segments,
      status: 'received',
      errorCode: null,
      errorMessage: null,
      reason: null,
      statusCallback: null,
      callbackFormat: null,
      customVariables: null,
      context: relayContextOf(owner),
      tags: [],
      numberGroupId: null,
      applicationId: null,
      price: null,
      priceUnit: 'USD',
      maxPrice: null,
      validityPeriod: DEFAULT_VALIDITY_PERIOD,
      expiresAt: at,
      carrier: m.carrier,
      carrierMessageId: m.carrierMessageId ?? null,
      createdAt: at,
      updatedAt: at,
      sentAt: null,
      redactedAt: null,
      deletedAt: null,
    };
    const stored = await this.writer.add(row);
    return { routed: true, messageId: stored.id, projectId: stored.projectId };
  }

  private async persist(rows: NewMessage[]): Promise<MessageRecord[]> {
    const now = this.deps.clock.now();
    const { records, changes, webhooks } = await this.deps.store.transaction(async (tx) => {
      const records = await tx.messages.insertMany(rows);
      const changes: StateChange[] = records.map((message) => ({
        message,
        event: { messageId: message.id, projectId: message.projectId, status: 'received', at: message.createdAt, errorCode: null, errorMessage: null, detail: { carrier: message.carrier } },
      }));
      await tx.events.insertMany(changes.map((c) => c.event));
      const media = records.flatMap((m) => mediaRecordsFor(m, () => this.deps.ids.uuid()));
      if (media.length) await tx.media.insertMany(media);
      const webhooks = await planWebhooks(this.deps.planners, changes, tx, now);
      if (webhooks.length) await tx.webhooks.enqueueMany(webhooks);
      return { records, changes, webhooks };
    });
    this.deps.announcer.announce(changes, webhooks.length);
    return records;
  }
}

/** The RELAY context a number hands inbound messages to: only when its message handler is a RELAY one. */
function relayContextOf(n: PhoneNumberRecord): string | null {
  if (n.messageHandler !== 'relay_context' && n.messageHandler !== 'relay_topic' && n.messageHandler !== 'relay_application') return null;
  return n.messageRelayContext ?? n.messageRelayTopic ?? null;
}

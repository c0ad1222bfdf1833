/**
 * `routeInbound`: a handset sent a message to one of our numbers. The journal stores it as
 * `received` for the project that owns the number, with the webhooks its handler asks for, and
 * announces it on the bus, where RELAY sessions pick it up. Messages to numbers nobody owns are
 * not ours and are reported back as not routed.
 */
import { planMessage } from '@switchboard/protocol';
import type { IdGenerator } from '../../domain/ids.js';
import { newInboundMessage } from '../../domain/new-message.js';
import { relayContextOf } from '../../domain/number-rules.js';
import type { InboundMessage, InboundResult } from '../../domain/ports/carrier.js';
import type { NumberDirectory } from '../routing/number-directory.js';
import type { Logger } from '../../domain/ports/logger.js';
import type { MessageJournal } from './journal.js';
import type { MessageAcceptor } from './message-acceptor.js';
import type { OptOutService } from './opt-outs.js';

export class InboundRouter {
  constructor(
    private readonly deps: {
      readonly ids: IdGenerator;
      readonly numbers: NumberDirectory;
      readonly journal: MessageJournal;
      /** Opt-out keywords (opt-outs.ts), and the acceptor that sends their replies. */
      readonly optOuts?: { readonly service: OptOutService; readonly acceptor: MessageAcceptor; readonly logger: Logger };
    },
  ) {}

  /** Store and hand over messages from handsets; one result per message. */
  async receive(messages: readonly InboundMessage[]): Promise<InboundResult[]> {
    return Promise.all(messages.map((m) => this.receiveOne(m)));
  }

  private async receiveOne(m: InboundMessage): Promise<InboundResult> {
    const owner = m.loopbackFrom === undefined ? await this.deps.numbers.owner(m.to) : await this.deps.numbers.loopbackOwner(m.to, m.loopbackFrom);
    if (!owner) return { routed: false };
    const plan = planMessage({ body: m.body, mediaCount: m.media.length });
    const opt = this.deps.optOuts;
    const reply = opt ? await opt.service.inbound(owner.projectId, m.to, m.from, m.body) : undefined;
    const stored = await this.deps.journal.create(
      newInboundMessage({
        id: this.deps.ids.uuid(),
        projectId: owner.projectId,
        from: m.from,
        to: m.to,
        body: m.body,
        media: m.media,
        kind: plan.kind,
        encoding: plan.encoding,
        segments: m.segments ?? plan.segments,
        at: m.receivedAt,
        context: relayContextOf(owner),
        carrier: m.carrier,
        carrierMessageId: m.carrierMessageId ?? null,
      }),
    );
    // After the inbound is stored: a reply that cannot be sent must not make the carrier deliver it again.
    if (reply) await opt!.acceptor.accept(owner.projectId, reply).catch((err: unknown) => opt!.logger.warn({ err, projectId: owner.projectId, to: m.from }, 'opt-out reply not sent'));
    return { routed: true, messageId: stored.id, projectId: stored.projectId };
  }
}

/**
 * `routeInbound`: a handset sent a message to one of our numbers. The journal stores it as
 * `received` for the project that owns the number, with the webhooks its handler asks for, and
 * announces it on the bus, where RELAY sessions pick it up. Messages to numbers nobody owns are
 * not ours and are reported back as not routed. It is priced when it arrives, by the price table's
 * `inbound` rules for the number it came to (Twilio prices received messages too).
 */
import { planMessage } from '@switchboard/protocol';
import { AppError } from '../../domain/app-error.js';
import type { IdGenerator } from '../../domain/ids.js';
import { newInboundMessage } from '../../domain/new-message.js';
import { cleanText } from '../../domain/clean-text.js';
import { relayContextOf } from '../../domain/number-rules.js';
import type { InboundMessage, InboundResult } from '../../domain/ports/carrier.js';
import type { NumberDirectory } from '../routing/number-directory.js';
import type { Logger } from '../../domain/ports/logger.js';
import { unpriced, type Pricing } from '../../domain/pricing.js';
import type { EngineMetrics } from '../../domain/ports/metrics.js';
import type { MessageRepository } from '../../domain/ports/store.js';
import type { MessageJournal } from './journal.js';
import type { MessageAcceptor } from './message-acceptor.js';
import type { OptOutService } from './opt-outs.js';

export class InboundRouter {
  constructor(
    private readonly deps: {
      readonly ids: IdGenerator;
      readonly numbers: NumberDirectory;
      readonly journal: MessageJournal;
      /** Finds a redelivered message stored before (`InboundMessage.redelivery`). */
      readonly messages: Pick<MessageRepository, 'findInbound'>;
      /** Opt-out keywords (opt-outs.ts), and the acceptor that sends their replies. */
      readonly optOuts?: { readonly service: OptOutService; readonly acceptor: MessageAcceptor; readonly logger: Logger; readonly metrics?: EngineMetrics };
      readonly pricing?: Pricing;
    },
  ) {}

  /** Store and hand over messages from handsets; one result per message. */
  async receive(messages: readonly InboundMessage[]): Promise<InboundResult[]> {
    return Promise.all(messages.map((m) => this.receiveOne(m)));
  }

  private async receiveOne(m: InboundMessage): Promise<InboundResult> {
    const owner = m.loopbackFrom === undefined ? await this.deps.numbers.owner(m.to) : await this.deps.numbers.loopbackOwner(m.to, m.loopbackFrom);
    if (!owner) return { routed: false };
    if (m.redelivery && m.carrierMessageId !== undefined) {
      // Handed over before the carrier lost track of it: the first copy stands (its opt-out and
      // webhooks were handled then), so the application gets the message once.
      const earlier = await this.deps.messages.findInbound(owner.projectId, m.from, m.to, m.carrier, m.carrierMessageId);
      if (earlier) return { routed: true, messageId: earlier.id, projectId: earlier.projectId };
    }
    // A carrier's text enters as every surface's does: an SMSC's UCS-2 or Latin-1 can carry a NUL
    // or a lone surrogate, which each database would keep differently (domain/clean-text.ts).
    // Cleaned once the message is whole, so a surrogate pair split across two parts is kept.
    const body = cleanText(m.body);
    const media = m.media.map(cleanText);
    const plan = planMessage({ body, mediaCount: media.length });
    const opt = this.deps.optOuts;
    const reply = opt ? await opt.service.inbound(owner.projectId, m.to, m.from, body) : undefined;
    const segments = m.segments ?? plan.segments;
    const quote = (this.deps.pricing ?? unpriced).quote({ to: m.to, kind: plan.kind, segments, direction: 'inbound' });
    const stored = await this.deps.journal.create(
      newInboundMessage({
        id: this.deps.ids.uuid(),
        projectId: owner.projectId,
        from: m.from,
        to: m.to,
        body,
        media,
        kind: plan.kind,
        encoding: plan.encoding,
        segments,
        at: m.receivedAt,
        context: relayContextOf(owner),
        carrier: m.carrier,
        carrierMessageId: m.carrierMessageId ?? null,
        price: quote.price,
        priceUnit: quote.unit,
      }),
    );
    // After the inbound is stored: a reply that cannot be sent must not make the carrier deliver it
    // again. It is not refused for a full sender queue (message-acceptor.ts), so what fails here is
    // storage or the reply itself: logged as an error and counted, never silent. A reply refused
    // for its address (a keyword from a source no message can go to, such as an SMSC's empty or
    // malformed source_addr: TO_REQUIRED or TO_INVALID) is no failure of the server: logged at info, not counted.
    if (reply) {
      await opt!.acceptor.accept(owner.projectId, reply).catch((err: unknown) => {
        const action = reply.tags?.[0]?.slice('opt-out:'.length) ?? 'unknown';
        if (err instanceof AppError && (err.key === 'TO_INVALID' || err.key === 'TO_REQUIRED')) {
          opt!.logger.info({ projectId: owner.projectId, from: m.to, to: m.from, action, reason: err.message }, 'opt-out confirmation reply not sent: the handset address takes no message');
          return;
        }
        opt!.metrics?.optOutReplyDropped(action);
        opt!.logger.error({ err, projectId: owner.projectId, from: m.to, to: m.from, action }, 'opt-out confirmation reply not sent (dropped)');
      });
    }
    return { routed: true, messageId: stored.id, projectId: stored.projectId };
  }
}

/**
 * What carriers talk to: receipts become lifecycle changes, handset messages go to inbound routing.
 */
import type { CarrierSink, InboundMessage, InboundResult, StatusReport } from '../../domain/ports/carrier.js';
import type { Logger } from '../../domain/ports/logger.js';
import type { InboundRouter } from './inbound-router.js';
import type { ChangeRequest, MessageJournal } from './journal.js';
import type { SubmissionsInFlight } from './submissions-in-flight.js';

export class EngineCarrierSink implements CarrierSink {
  constructor(
    private readonly journal: MessageJournal,
    private readonly inboundRouter: InboundRouter,
    private readonly logger: Logger,
    private readonly inFlight: SubmissionsInFlight,
    /**
     * Record `sent` ahead of a final receipt for messages not yet `sent` (a no-op for the others).
     * Needed where a receipt can reach a node that did not record the submission: a message re-sent
     * after its first node died, whose first copy's receipt arrives first. Off for the single-node
     * simulator, whose receipts never outlive the submission's node.
     */
    private readonly inferSent = false,
    /** A carrier can send again (the dispatcher brings its retries forward). */
    private readonly onAvailable: (carrierId: string) => void = () => {},
  ) {}

  available(carrierId: string): void {
    this.onAvailable(carrierId);
  }

  report(reports: readonly StatusReport[]): void {
    const now = reports.filter((r) => !this.inFlight.holdIfEarly(r));
    if (now.length) this.record(now);
  }

  /** Record receipts (also those released after their message's submit answer was recorded). */
  record(reports: readonly StatusReport[]): void {
    this.journal
      .recordMany(this.changesFor(reports))
      .catch((err) => this.logger.error({ err, reports: reports.length }, 'recording delivery receipts failed'));
  }

  /**
   * The state changes receipts ask for, in order (written with `record`, or with the submit answers
   * they overtook). `sentWith`: messages whose `sent` goes in the same write (their answer), for
   * which no `sent` is inferred: a third change would keep the answer and receipt from one row write.
   */
  changesFor(reports: readonly StatusReport[], sentWith?: ReadonlySet<string>): ChangeRequest[] {
    const changes: ChangeRequest[] = [];
    for (const r of reports) {
      // A message's changes apply in the order given, so `sent` lands before the final state.
      if (this.inferSent && r.status !== 'failed' && !sentWith?.has(r.messageId)) changes.push({ projectId: r.projectId, messageId: r.messageId, to: 'sent', detail: { receipt: true, inferred: true } });
      // One literal, no spreads (a receipt per message): absent facts stay undefined.
      changes.push({ projectId: r.projectId, messageId: r.messageId, to: r.status, error: r.error || undefined, errorDetail: r.detail || undefined, detail: { receipt: true } });
    }
    return changes;
  }

  inbound(messages: readonly InboundMessage[]): Promise<InboundResult[]> {
    return this.inboundRouter.receive(messages);
  }
}

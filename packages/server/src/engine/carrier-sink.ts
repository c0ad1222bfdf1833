/**
 * What carriers talk to: receipts become lifecycle changes, handset messages go to inbound routing.
 */
import type { CarrierSink, InboundMessage, InboundResult, StatusReport } from '../domain/ports/carrier.js';
import type { Logger } from './dispatcher.js';
import type { InboundRouter } from './inbound-router.js';
import type { LifecycleRecorder } from './lifecycle-recorder.js';
import type { SubmissionsInFlight } from './submissions-in-flight.js';

export class EngineCarrierSink implements CarrierSink {
  constructor(
    private readonly recorder: LifecycleRecorder,
    private readonly inboundRouter: InboundRouter,
    private readonly logger: Logger,
    private readonly inFlight: SubmissionsInFlight,
  ) {}

  report(reports: readonly StatusReport[]): void {
    const now = reports.filter((r) => !this.inFlight.holdIfEarly(r));
    if (now.length) this.record(now);
  }

  /** Record receipts (also those released after their message's submit answer was recorded). */
  record(reports: readonly StatusReport[]): void {
    this.recorder
      .recordMany(
        reports.map((r) => ({
          projectId: r.projectId,
          messageId: r.messageId,
          to: r.status,
          ...(r.error ? { error: r.error } : {}),
          ...(r.detail ? { errorDetail: r.detail } : {}),
          detail: { receipt: true },
        })),
      )
      .catch((err) => this.logger.error({ err, reports: reports.length }, 'recording delivery receipts failed'));
  }

  inbound(messages: readonly InboundMessage[]): Promise<InboundResult[]> {
    return this.inboundRouter.receive(messages);
  }
}

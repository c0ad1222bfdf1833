import type { MessageStatus } from '@switchboard/protocol';

/** What the engine reports for monitoring; the ops adapter turns it into Prometheus metrics. */
export interface EngineMetrics {
  messagesTransitioned(status: MessageStatus, count: number): void;
  /** Time from acceptance to the carrier's answer, seconds. */
  dispatchLatency(seconds: number): void;
  carrierSubmitted(carrier: string, outcome: 'accepted' | 'rejected' | 'throttled' | 'transient', count: number): void;
  webhookOutcome(kind: string, outcome: 'delivered' | 'retry' | 'failed'): void;
}

/** Metrics that go nowhere (tests, CLI). */
export const noopMetrics: EngineMetrics = {
  messagesTransitioned: () => {},
  dispatchLatency: () => {},
  carrierSubmitted: () => {},
  webhookOutcome: () => {},
};

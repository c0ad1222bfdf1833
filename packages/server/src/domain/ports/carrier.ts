/**
 * The carrier port: whatever carries messages to handsets (the simulator, SMPP connectors).
 * The engine hands batches to `submit` outside any transaction; the carrier reports receipts and
 * inbound messages back through the sink, already mapped to canonical states and catalogue errors.
 */
import type { ErrorKey, Encoding, MessageKind } from '@switchboard/protocol';

/** What a carrier can do. */
export interface CarrierDescriptor {
  readonly id: string;
  readonly kind: 'simulator' | 'smpp' | string;
  readonly capabilities: {
    readonly mms: boolean;
    readonly deliveryReceipts: boolean;
    readonly unicode: boolean;
    /** Messages per second it can take, if limited. */
    readonly maxRate: number | null;
  };
}

/** One message handed to a carrier. */
export interface CarrierSubmission {
  readonly messageId: string;
  readonly projectId: string;
  readonly from: string;
  readonly to: string;
  readonly body: string;
  readonly media: readonly string[];
  readonly kind: MessageKind;
  readonly encoding: Encoding;
  readonly segments: number;
  /** 1 for the first try. */
  readonly attempt: number;
  /** The message must not be delivered after this time (ms). */
  readonly expiresAt: number;
}

/** The carrier's immediate answer for one submission. */
export type SubmitResult =
  | { readonly outcome: 'accepted'; readonly carrierMessageId: string; readonly parts: number }
  | { readonly outcome: 'rejected'; readonly error: ErrorKey; readonly detail?: string }
  | { readonly outcome: 'throttled'; readonly retryAfterMs: number }
  | { readonly outcome: 'transient'; readonly detail: string };

/**
 * `Carrier.takenBefore`'s answer for a message of several parts of which the carrier took some
 * before (the node that sent them died, or the bind dropped, before the others went): the handset
 * may show those. The rest are not sent: they could not join the parts sent (a new concatenation
 * reference), and the whole message again would reach a handset that opted out.
 */
export interface PartlyTaken {
  readonly outcome: 'partly taken';
  readonly taken: number;
  readonly parts: number;
}

/** A later report about a submitted message (delivery receipt). */
export interface StatusReport {
  /** Our message id when the carrier knows it; otherwise correlate by carrier message id. */
  readonly messageId: string;
  readonly projectId: string;
  readonly status: 'delivered' | 'undelivered' | 'failed';
  readonly error?: ErrorKey;
  readonly detail?: string;
  readonly at: number;
}

/** A message a handset sent to one of our numbers. */
export interface InboundMessage {
  readonly from: string;
  readonly to: string;
  readonly body: string;
  readonly media: readonly string[];
  readonly segments?: number;
  readonly carrier: string;
  readonly carrierMessageId?: string;
  readonly receivedAt: number;
  /**
   * The project that sent it, when it is one of our own outbound messages coming back (the
   * simulator's loopback): it then reaches another project's number only under the tenancy rule
   * (`NumberDirectory.loopbackOwner`).
   */
  readonly loopbackFrom?: string;
  /**
   * The carrier may have handed this very message (same `carrierMessageId`) over before: a
   * simulator re-arming its receipts after a restart cannot tell whether the handover happened
   * before the process died. It is then stored only if it is not stored yet.
   */
  readonly redelivery?: boolean;
}

/** What routing an inbound message gave. */
export type InboundResult = { readonly routed: true; readonly messageId: string; readonly projectId: string } | { readonly routed: false };

/** How a carrier talks back to the engine. */
export interface CarrierSink {
  /** Delivery receipts; fire-and-forget, batched by the engine. */
  report(reports: readonly StatusReport[]): void;
  /** Messages from handsets; resolves once they are stored. */
  inbound(messages: readonly InboundMessage[]): Promise<InboundResult[]>;
  /** The carrier can send again after giving messages back transiently: their retries may come forward. */
  available?(carrierId: string): void;
}

/** A message accepted by this carrier that still awaits its receipt (for restart recovery). */
export interface AwaitingReceipt {
  readonly messageId: string;
  readonly projectId: string;
  readonly to: string;
  readonly from: string;
  readonly body: string;
  readonly media: readonly string[];
  readonly kind: MessageKind;
  readonly segments: number;
  readonly sentAt: number;
}

/** A message whose receipt is overdue, to ask its carrier about (receipt reconciliation). */
export interface CarrierQuery {
  readonly messageId: string;
  readonly projectId: string;
  readonly from: string;
  readonly to: string;
  /** The id the carrier gave when it accepted the message (the first part's, for SMPP). */
  readonly carrierMessageId: string | null;
  readonly segments: number;
  readonly sentAt: number;
}

/**
 * What a carrier says now about a message it accepted: final (`delivered`, `undelivered` or
 * `failed`, with a catalogue error), still trying (`enroute`), or nothing it can tell (`unknown`:
 * it does not know the id, or forgot it).
 */
export type CarrierView =
  | { readonly state: 'delivered' }
  | { readonly state: 'undelivered' | 'failed'; readonly error: ErrorKey; readonly detail?: string }
  | { readonly state: 'enroute' }
  | { readonly state: 'unknown'; readonly detail?: string };

/** One connection of a carrier (an SMPP bind), for operations views. */
export interface CarrierLinkStatus {
  readonly id: string;
  /** transceiver, transmitter, receiver... */
  readonly mode: string;
  readonly state: 'connecting' | 'bound' | 'down' | 'stopped';
  /** Requests sent and not yet answered / the most allowed. */
  readonly windowUsed: number;
  readonly windowSize: number;
  /** When it was bound (ms), or null. */
  readonly boundSince: number | null;
  readonly lastError: string | null;
}

/** A carrier's live state for metrics and the operations endpoint. */
export interface CarrierStatus {
  readonly state: 'up' | 'degraded' | 'down' | 'stopped';
  readonly links: readonly CarrierLinkStatus[];
  /** Parts waiting to be sent. */
  readonly queued: number;
  /** Parts per second sent, averaged over the last few seconds. */
  readonly throughput: number;
  /** Configured limit in parts per second, or null when unlimited. */
  readonly throughputLimit: number | null;
  /** Monotonic counters (submits, throttles, receipts, reconnects...). */
  readonly counters: Readonly<Record<string, number>>;
}

export interface Carrier {
  readonly descriptor: CarrierDescriptor;
  /** Live state, for carriers that have more to say than `health()`. */
  status?(): CarrierStatus;
  start(sink: CarrierSink): Promise<void>;
  /** Stop taking work; finish or hand back what is in flight. */
  stop(): Promise<void>;
  /**
   * The engine is stopping and will wait a while for batches in flight before `stop`: a carrier
   * whose batches wait only on itself (the simulator's delays, which a manual clock never ends)
   * hands them back now, so the stop does not wait for nothing.
   */
  engineStopping?(): void;
  health(): { readonly ok: boolean; readonly detail?: string };
  submit(batch: readonly CarrierSubmission[]): Promise<SubmitResult[]>;
  /**
   * Retries (attempt 2 or more) that must not be sent now (their handset replied STOP, or their
   * sender left the project, while they waited) but that an earlier attempt may have handed over:
   * for each, in order, the answer `submit` gave or would give for what this carrier already has
   * (`accepted`: it took the message before; `transient`/`throttled`: it cannot tell yet),
   * `PartlyTaken` when it took some of its parts only, or null when it never had it. Nothing is
   * sent. A carrier without it has every such message failed.
   */
  takenBefore?(batch: readonly CarrierSubmission[]): Promise<Array<SubmitResult | PartlyTaken | null>>;
  /** After a restart: messages this carrier accepted before that still await a receipt. */
  recover?(awaiting: readonly AwaitingReceipt[]): void;
  /**
   * Ask what became of messages whose receipt never came (SMPP `query_sm`): one view per message,
   * in order. Rejects when the carrier cannot be asked now (not connected).
   */
  query?(messages: readonly CarrierQuery[]): Promise<CarrierView[]>;
}

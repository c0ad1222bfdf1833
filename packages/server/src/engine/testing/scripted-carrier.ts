/**
 * Test support, not used by the server: a real implementation of the Carrier port that the test
 * drives. It records every batch handed to `submit` and answers as scripted (accepted by default);
 * the test sends receipts and handset messages through the sink the engine gave it at start.
 */
import type { ErrorKey } from '@switchboard/protocol';
import type { Clock } from '../../domain/clock.js';
import type { AwaitingReceipt, Carrier, CarrierDescriptor, CarrierQuery, CarrierSink, CarrierSubmission, CarrierView, InboundMessage, InboundResult, StatusReport, SubmitResult } from '../../domain/ports/carrier.js';

/** How the carrier answers one submission: a fixed result, or a function of it (may wait, may report first). */
export type ScriptedAnswer = SubmitResult | ((submission: CarrierSubmission) => SubmitResult | Promise<SubmitResult>);

export class ScriptedCarrier implements Carrier {
  readonly descriptor: CarrierDescriptor;
  /** Every batch handed to `submit`, in order. */
  readonly batches: CarrierSubmission[][] = [];
  /** What `recover` was handed at start (messages awaiting a receipt). */
  readonly recovered: AwaitingReceipt[] = [];
  /** Every batch handed to `query` (receipt reconciliation), in order. */
  readonly queries: CarrierQuery[][] = [];
  /** Every batch handed to `takenBefore`, in order (nothing in them was sent). */
  readonly lookups: CarrierSubmission[][] = [];
  /** What this carrier has, by message id, as `takenBefore` answers it: every accepted answer, and what a test puts here. */
  readonly taken = new Map<string, SubmitResult>();
  /** How `query` answers each message (default: it knows nothing); throwing rejects the batch. */
  views: (q: CarrierQuery) => CarrierView = () => ({ state: 'unknown' });
  /** What the carrier does when told the engine is stopping (none by default: it keeps what it holds). */
  engineStopping?: () => void;
  private readonly script: ScriptedAnswer[] = [];
  private readonly waiters: Array<{ count: number; resolve: () => void }> = [];
  private connectedSink: CarrierSink | undefined;
  private accepted = 0;

  constructor(
    private readonly clock: Clock,
    id = 'scripted',
  ) {
    this.descriptor = { id, kind: 'scripted', capabilities: { mms: true, deliveryReceipts: true, unicode: true, maxRate: null } };
  }

  /** Every message submitted so far, in order (a retried message appears once per try). */
  get submissions(): CarrierSubmission[] {
    return this.batches.flat();
  }

  /** The sink the engine handed over at start. */
  get sink(): CarrierSink {
    if (!this.connectedSink) throw new Error(`carrier ${this.descriptor.id} has not been started`);
    return this.connectedSink;
  }

  /** Answer the next submissions with these, one per message in order; once they run out, accept. */
  answer(...answers: ScriptedAnswer[]): this {
    this.script.push(...answers);
    return this;
  }

  /** Resolves once `count` messages in all have been submitted. */
  submitted(count: number): Promise<CarrierSubmission[]> {
    return new Promise<void>((resolve) => {
      this.waiters.push({ count, resolve });
      this.notify();
    }).then(() => this.submissions);
  }

  /** The answer of a carrier that took the message: a carrier message id of its own. */
  accept(s: CarrierSubmission): SubmitResult {
    return { outcome: 'accepted', carrierMessageId: `${this.descriptor.id}-${++this.accepted}`, parts: s.segments };
  }

  /** A delivery receipt for a submitted message. */
  receipt(s: Pick<CarrierSubmission, 'messageId' | 'projectId'>, status: StatusReport['status'], error?: ErrorKey): StatusReport {
    return { messageId: s.messageId, projectId: s.projectId, status, ...(error ? { error } : {}), at: this.clock.now() };
  }

  /** Report receipts as the carrier would (fire-and-forget). */
  report(...reports: StatusReport[]): void {
    this.sink.report(reports);
  }

  /** A handset sends messages to `to` numbers; resolves with the engine's routing answers. */
  inbound(...messages: Array<Pick<InboundMessage, 'from' | 'to' | 'body'> & Partial<InboundMessage>>): Promise<InboundResult[]> {
    return this.sink.inbound(messages.map((m) => ({ media: [], carrier: this.descriptor.id, receivedAt: this.clock.now(), ...m })));
  }

  async start(sink: CarrierSink): Promise<void> {
    this.connectedSink = sink;
  }

  async stop(): Promise<void> {
    this.connectedSink = undefined;
  }

  health(): { ok: boolean } {
    return { ok: this.connectedSink !== undefined };
  }

  async submit(batch: readonly CarrierSubmission[]): Promise<SubmitResult[]> {
    this.batches.push([...batch]);
    this.notify();
    return Promise.all(
      batch.map(async (s) => {
        const next = this.script.shift();
        const res = next === undefined ? this.accept(s) : typeof next === 'function' ? await next(s) : next;
        if (res.outcome === 'accepted') this.taken.set(s.messageId, res);
        return res;
      }),
    );
  }

  async takenBefore(batch: readonly CarrierSubmission[]): Promise<Array<SubmitResult | null>> {
    this.lookups.push([...batch]);
    return batch.map((s) => this.taken.get(s.messageId) ?? null);
  }

  async query(messages: readonly CarrierQuery[]): Promise<CarrierView[]> {
    this.queries.push([...messages]);
    return messages.map((q) => this.views(q));
  }

  recover(awaiting: readonly AwaitingReceipt[]): void {
    this.recovered.push(...awaiting);
  }

  private notify(): void {
    const n = this.submissions.length;
    for (const w of this.waiters.filter((w) => w.count <= n)) {
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve();
    }
  }
}

/**
 * A carrier whose connection only one node may hold at a time (an SMPP account's binds). The
 * engine routes to this stand-in on every node; the node holding the carrier's lease activates a
 * fresh connection from the factory, the others stay on standby (and never submit: their
 * dispatchers leave the carrier's jobs to the owner). Losing the lease stops the connection, which
 * hands its unanswered submissions back as transient failures to be retried by the new owner.
 */
import type { AwaitingReceipt, Carrier, CarrierDescriptor, CarrierQuery, CarrierSink, CarrierStatus, CarrierSubmission, CarrierView, SubmitResult } from '../../domain/ports/carrier.js';

export class LeasedCarrier implements Carrier {
  private current: Carrier | null = null;
  private sink: CarrierSink | null = null;
  private stopped = false;
  /** Serialises activation and deactivation. */
  private transition: Promise<void> = Promise.resolve();

  constructor(
    readonly descriptor: CarrierDescriptor,
    private readonly create: () => Carrier,
  ) {}

  /** True while this node owns the connection. */
  get active(): boolean {
    return this.current !== null;
  }

  async start(sink: CarrierSink): Promise<void> {
    this.sink = sink;
  }

  /** This node took the lease: open the connection. */
  activate(): Promise<void> {
    return (this.transition = this.transition.then(async () => {
      if (this.current || this.stopped || !this.sink) return;
      const carrier = this.create();
      await carrier.start(this.sink);
      this.current = carrier;
    }));
  }

  /** This node lost or gave up the lease: close the connection. */
  deactivate(): Promise<void> {
    return (this.transition = this.transition.then(async () => {
      const carrier = this.current;
      this.current = null;
      await carrier?.stop();
    }));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.deactivate();
  }

  health(): { ok: boolean; detail?: string } {
    if (this.current) return this.current.health();
    // Standby is a normal state: another node holds the connection.
    return this.stopped ? { ok: false, detail: 'stopped' } : { ok: true, detail: 'standby (another node holds the connection)' };
  }

  status(): CarrierStatus {
    const live = this.current?.status?.();
    if (live) return live;
    return { state: this.stopped ? 'stopped' : 'down', links: [], queued: 0, throughput: 0, throughputLimit: this.descriptor.capabilities.maxRate, counters: { standby: this.stopped ? 0 : 1 } };
  }

  /** Pass restart recovery to the live connection (run when this node takes the connection over). */
  recover(awaiting: readonly AwaitingReceipt[]): void {
    this.current?.recover?.(awaiting);
  }

  /** Ask through the live connection (the receipt reconciler runs on the node holding it). */
  async query(messages: readonly CarrierQuery[]): Promise<CarrierView[]> {
    if (!this.current?.query) throw new Error(`carrier ${this.descriptor.id} is not connected on this node`);
    return this.current.query(messages);
  }

  submit(batch: readonly CarrierSubmission[]): Promise<SubmitResult[]> {
    if (!this.current) return Promise.resolve(batch.map(() => ({ outcome: 'transient' as const, detail: `carrier ${this.descriptor.id} is connected on another node` })));
    return this.current.submit(batch);
  }
}

/**
 * The RELAY events of a node's first minutes. After a restart (or a crash) no session of the old
 * process exists, and clients come back a few seconds later (realtime-api reconnects after 1–4 s)
 * under their signed protocol, which the node adopts again (`session_restored: false`). Meanwhile
 * the node has already recovered the messages that were in flight — re-dispatched, receipts re-armed
 * — and their state events had no session to go to. This keeps them, for `relay.resumeWindowMs`
 * after the start, so a re-adopted session gets the ones addressed to it: by its protocol at once,
 * and by each context as it subscribes to it (at connect or by `signalwire.receive`, which is how
 * realtime-api restores its topics). At least once, as a resume: an event may come twice.
 *
 * Bounded: past `maxEvents` or `maxBytes` the oldest are dropped, so a busy start keeps the newest
 * states (a message's last state is what a client waits for).
 */
import type { RelayEventDelivery } from '../domain/ports/relay-resume.js';

/** One kept event: where it went (project, contexts, protocols) and its serialized params. */
export interface StartupEvent extends RelayEventDelivery {
  readonly type: string;
}

export class StartupEvents {
  private events: StartupEvent[] = [];
  /** Index of the oldest kept event (dropped ones are skipped, then spliced out in bulk). */
  private head = 0;
  private bytes = 0;
  private ended = false;

  constructor(
    /** When the window ends (ms, the node's clock): nothing is kept or replayed after it. */
    readonly until: number,
    private readonly maxEvents: number,
    private readonly maxBytes: number,
    private readonly now: () => number,
  ) {}

  /** Whether a session re-adopted now may still get the events of the start. */
  get open(): boolean {
    if (!this.ended && this.now() > this.until) this.end();
    return !this.ended;
  }

  /** Keep a turn's events (the router's deliveries, each with its event type). */
  record(events: readonly StartupEvent[]): void {
    if (!this.open) return;
    for (const e of events) {
      this.events.push(e);
      this.bytes += e.params.length;
    }
    while (this.events.length - this.head > this.maxEvents || (this.bytes > this.maxBytes && this.events.length - this.head > 0)) {
      this.bytes -= this.events[this.head]!.params.length;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.events.length) {
      this.events = this.events.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * The kept events of `projectId` addressed to `protocol` or to one of `contexts`, oldest first,
   * except those whose key `seen` holds.
   */
  addressedTo(projectId: string, protocol: string, contexts: Iterable<string>, seen: ReadonlySet<string>): StartupEvent[] {
    if (!this.open) return [];
    const wanted = new Set(contexts);
    const out: StartupEvent[] = [];
    for (let i = this.head; i < this.events.length; i++) {
      const e = this.events[i]!;
      if (e.projectId !== projectId || seen.has(e.key)) continue;
      if (e.protocols.includes(protocol) || e.contexts.some((c) => wanted.has(c))) out.push(e);
    }
    return out;
  }

  private end(): void {
    this.ended = true;
    this.events = [];
    this.head = 0;
    this.bytes = 0;
  }
}

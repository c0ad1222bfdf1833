/**
 * The event bus over NATS, for several nodes. Subscribers on this node get an event at once and
 * synchronously, exactly as on the in-process bus; other nodes get it through NATS. The connection
 * is made with `noEcho`, so a node never hears its own events twice.
 *
 * Subjects: `<prefix>.<topic>.<key>`, the key being the event's project (or the work queue of a
 * wake-up), e.g. `switchboard.message.status.8a7c5e2e-…`. Publishing never waits: events of one
 * turn of the event loop are grouped per subject into one NATS message (a JSON array, split well
 * under NATS's payload limit), so a burst of thousands of changes costs a handful of messages.
 * NATS keeps a subject's messages in order, so one project's events arrive in the order they were
 * published; one message's events published by different nodes are put in order by `StatusOrder`.
 * While NATS is unreachable the client buffers and reconnects by itself; `health()` reports it and
 * `onMissed` lets runners and caches catch up (look for work, drop what they cached).
 */
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { Bus, BusTopic, BusTopics, Unsubscribe } from '../domain/ports/bus.js';
import { InProcessBus } from './in-process-bus.js';
import { StatusOrder } from './status-order.js';

export interface NatsBusOptions {
  /** Server URLs (`nats://host:4222`). */
  readonly servers: readonly string[];
  /** First subject token. */
  readonly prefix: string;
  /** Connection name shown by the NATS server (the node id). */
  readonly name: string;
  /** A subscriber threw, or a message from another node could not be read. */
  readonly onError?: (err: unknown, topic: BusTopic | string) => void;
  /** Connection state changes, for logs. */
  readonly onStatus?: (state: 'disconnected' | 'reconnected', server: string) => void;
  /** Give up the first connection after this long (ms). */
  readonly connectTimeoutMs?: number;
  /** How long a young message's later state events may wait for its `queued` from another node (ms). */
  readonly statusHoldMs?: number;
  /** The engine's clock (messages' `createdAt`), so the hold follows the manual simulator clock too; default the wall clock. */
  readonly now?: () => number;
}

/** How long closing waits for NATS to take what is buffered before it drops the connection. */
const DRAIN_TIMEOUT_MS = 2_000;

/** Largest payload we put in one NATS message (the server's default limit is 1 MiB). */
const MAX_PAYLOAD_CHARS = 256 * 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A subject token from a value: NATS tokens may not contain dots, spaces or wildcards. */
function token(value: unknown): string {
  const s = typeof value === 'string' && value !== '' ? value : '_';
  return s.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** The subject key of an event: its project, or the queue of a wake-up. */
function keyOf(event: unknown): string {
  const e = event as { projectId?: unknown; queue?: unknown };
  return token(e.projectId ?? e.queue);
}

/** A silent link is found by the client's pings: every PING_INTERVAL_MS, MAX_PINGS_OUT unanswered allowed. */
const PING_INTERVAL_MS = 10_000;
const MAX_PINGS_OUT = 2;
/** Longest a link can be silent before the client gives it up (one more interval for the timing of the pings). */
const MAX_SILENCE_MS = PING_INTERVAL_MS * (MAX_PINGS_OUT + 1);

export class NatsBus implements Bus {
  private readonly local: InProcessBus;
  /** Local delivery of `message.status`, each message's `queued` first (see status-order.ts). */
  private readonly statusOrder: StatusOrder;
  private readonly subscriptions = new Map<BusTopic, Subscription>();
  /** subject → serialised events waiting for the end of this turn. */
  private pending = new Map<string, string[]>();
  private flushScheduled = false;
  private closed = false;
  private connected = true;
  private readonly reconnectHandlers = new Set<(awayMs: number) => void>();
  /** When this connection was found lost (wall clock), until it is back. */
  private disconnectedAt: number | null = null;
  private published = 0;
  private received = 0;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly opts: NatsBusOptions,
  ) {
    this.local = new InProcessBus((err, topic) => opts.onError?.(err, topic));
    this.statusOrder = new StatusOrder((e) => this.local.publish('message.status', e), { holdMs: opts.statusHoldMs ?? 2_000, ...(opts.now ? { now: opts.now } : {}) });
    void this.watchStatus();
  }

  /** Connect to NATS; rejects when no server answers within the timeout. */
  static async connect(opts: NatsBusOptions): Promise<NatsBus> {
    const nc = await connect({
      servers: [...opts.servers],
      name: opts.name,
      noEcho: true,
      // Reconnect for ever: a node keeps working on its database while NATS is away.
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      timeout: opts.connectTimeoutMs ?? 5_000,
      pingInterval: PING_INTERVAL_MS,
      maxPingOut: MAX_PINGS_OUT,
    });
    return new NatsBus(nc, opts);
  }

  publish<T extends BusTopic>(topic: T, event: BusTopics[T]): void {
    if (this.closed) return;
    this.deliverLocally(topic, event);
    const subject = `${this.opts.prefix}.${topic}.${keyOf(event)}`;
    let list = this.pending.get(subject);
    if (!list) this.pending.set(subject, (list = []));
    list.push(JSON.stringify(event));
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  subscribe<T extends BusTopic>(topic: T, handler: (event: BusTopics[T]) => void): Unsubscribe {
    const off = this.local.subscribe(topic, handler);
    if (!this.subscriptions.has(topic) && !this.closed) {
      const prefixLength = this.opts.prefix.length + 1;
      this.subscriptions.set(
        topic,
        this.nc.subscribe(`${this.opts.prefix}.${topic}.*`, {
          callback: (err, msg) => {
            if (err) return this.opts.onError?.(err, topic);
            let events: unknown[];
            try {
              events = JSON.parse(decoder.decode(msg.data)) as unknown[];
              if (!Array.isArray(events)) throw new Error('not an array');
            } catch (e) {
              return this.opts.onError?.(new Error(`unreadable bus message on ${msg.subject.slice(prefixLength)}: ${(e as Error).message}`), topic);
            }
            this.received += events.length;
            for (const e of events) this.deliverLocally(topic, e as BusTopics[T]);
          },
        }),
      );
    }
    return off;
  }

  /** Run `handler` after the connection comes back (events published meanwhile by others may be lost). */
  onMissed(handler: (awayMs: number) => void): Unsubscribe {
    this.reconnectHandlers.add(handler);
    return () => this.reconnectHandlers.delete(handler);
  }

  /** Connection state for readiness. */
  health(): { ok: boolean; detail?: string } {
    if (this.closed) return { ok: false, detail: 'closed' };
    return this.connected ? { ok: true, detail: this.nc.getServer() } : { ok: false, detail: 'disconnected from NATS; reconnecting' };
  }

  /** Events sent to and received from other nodes (for metrics and benchmarks). */
  counters(): { published: number; received: number } {
    return { published: this.published, received: this.received };
  }

  /** Wait until everything published so far has reached the server. */
  async flushed(): Promise<void> {
    this.flush();
    if (!this.nc.isClosed()) await this.nc.flush();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.statusOrder.close();
    this.closed = true;
    this.subscriptions.clear();
    await this.local.close();
    // Drain: unsubscribe, deliver what is in flight, send what is buffered, then close. Draining
    // waits for the server's answer: on a silent link (a partition, a stopped server) that came only
    // when the client's pings gave the link up, 20–30 s, and the node took that long to stop.
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      this.nc.drain().then(
        () => true,
        () => false,
      ),
      new Promise<false>((r) => (timer = setTimeout(() => r(false), DRAIN_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    if (!drained) await this.nc.close().catch(() => {});
  }

  private deliverLocally<T extends BusTopic>(topic: T, event: BusTopics[T]): void {
    if (topic === 'message.status') this.statusOrder.accept(event as BusTopics['message.status']);
    else this.local.publish(topic, event);
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.pending.size === 0 || this.closed) return;
    const batches = this.pending;
    this.pending = new Map();
    for (const [subject, events] of batches) {
      let start = 0;
      let size = 2;
      for (let i = 0; i < events.length; i++) {
        size += events[i]!.length + 1;
        const last = i === events.length - 1;
        if (last || size + events[i + 1]!.length > MAX_PAYLOAD_CHARS) {
          this.send(subject, events.slice(start, i + 1));
          start = i + 1;
          size = 2;
        }
      }
    }
  }

  private send(subject: string, events: string[]): void {
    try {
      this.nc.publish(subject, encoder.encode(`[${events.join(',')}]`));
      this.published += events.length;
    } catch (err) {
      // Closed or draining connection: other nodes miss these events; runners and caches have timers.
      this.opts.onError?.(err, subject);
    }
  }

  private async watchStatus(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === 'disconnect') {
        this.connected = false;
        this.disconnectedAt ??= Date.now();
        this.opts.onStatus?.('disconnected', String((s as { server?: string }).server ?? ''));
      } else if (s.type === 'reconnect') {
        this.connected = true;
        // A link that went silent is given up after up to MAX_SILENCE_MS: events may be lost from then.
        const awayMs = Date.now() - (this.disconnectedAt ?? Date.now()) + MAX_SILENCE_MS;
        this.disconnectedAt = null;
        this.opts.onStatus?.('reconnected', String((s as { server?: string }).server ?? ''));
        for (const h of this.reconnectHandlers) {
          try {
            h(awayMs);
          } catch (err) {
            this.opts.onError?.(err, 'reconnect');
          }
        }
      }
    }
  }
}

/**
 * Prometheus metrics (prom-client), one registry per server instance. The engine reports through
 * the `EngineMetrics` port; queue depths are read from the engine when scraped (`watchBacklog`).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EngineMetrics, RelayMetrics } from '../../domain/ports/metrics.js';

/** How long a scrape waits for the queue depths from the database before answering their last values. */
const BACKLOG_WAIT_MS = 5_000;

export class PrometheusMetrics implements EngineMetrics, RelayMetrics {
  readonly registry = new Registry();
  private readonly transitions: Counter<'status'>;
  private readonly latency: Histogram;
  private readonly submissions: Counter<'carrier' | 'outcome'>;
  private readonly webhooks: Counter<'kind' | 'outcome'>;
  private readonly repliesDropped: Counter<'action'>;
  private readonly pruned: Counter<'table'>;
  private readonly http: Histogram<'method' | 'route' | 'status_code'>;
  private readonly relay: {
    connections: Gauge;
    sessions: Gauge;
    sessionEvents: Counter<'event'>;
    eventsSent: Counter<'type'>;
    eventsAcked: Counter;
    eventLatency: Histogram;
    requests: Counter<'method' | 'outcome'>;
    limited: Counter<'limit'>;
  };

  private backlog: () => Promise<{ dispatch: number; webhooks: number }> = async () => ({ dispatch: 0, webhooks: 0 });

  constructor() {
    // Process and runtime metrics under their standard names (process_cpu_seconds_total,
    // process_resident_memory_bytes, nodejs_eventloop_lag_seconds...), which dashboards expect unprefixed.
    collectDefaultMetrics({ register: this.registry });
    this.http = new Histogram({
      name: 'switchboard_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [this.registry],
    });
    this.transitions = new Counter({ name: 'switchboard_message_transitions_total', help: 'Messages entering each state.', labelNames: ['status'], registers: [this.registry] });
    this.latency = new Histogram({
      name: 'switchboard_dispatch_latency_seconds',
      help: 'Time from acceptance to the carrier taking the message.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [this.registry],
    });
    this.submissions = new Counter({ name: 'switchboard_carrier_submissions_total', help: 'Carrier answers to submissions.', labelNames: ['carrier', 'outcome'], registers: [this.registry] });
    this.webhooks = new Counter({ name: 'switchboard_webhook_deliveries_total', help: 'Webhook attempts by outcome.', labelNames: ['kind', 'outcome'], registers: [this.registry] });
    this.repliesDropped = new Counter({ name: 'switchboard_opt_out_replies_dropped_total', help: 'Automatic replies to STOP/START/HELP that could not be queued.', labelNames: ['action'], registers: [this.registry] });
    this.pruned = new Counter({ name: 'switchboard_retention_rows_deleted_total', help: 'Rows deleted by retention (settled webhook deliveries past their retention, their attempts), by table.', labelNames: ['table'], registers: [this.registry] });
    const registers = [this.registry];
    this.relay = {
      connections: new Gauge({ name: 'switchboard_relay_connections', help: 'Open RELAY WebSocket connections.', registers }),
      sessions: new Gauge({ name: 'switchboard_relay_sessions', help: 'Connected RELAY sessions.', registers }),
      sessionEvents: new Counter({ name: 'switchboard_relay_session_events_total', help: 'RELAY sessions created, resumed, readopted, parked, expired, lost or ended.', labelNames: ['event'], registers }),
      eventsSent: new Counter({ name: 'switchboard_relay_events_sent_total', help: 'RELAY events written to clients.', labelNames: ['type'], registers }),
      eventsAcked: new Counter({ name: 'switchboard_relay_events_acked_total', help: 'RELAY events acknowledged by clients.', registers }),
      eventLatency: new Histogram({
        name: 'switchboard_relay_event_latency_seconds',
        help: 'Time from a message state change to its RELAY event being written.',
        buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60],
        registers,
      }),
      requests: new Counter({ name: 'switchboard_relay_requests_total', help: 'RELAY requests answered, by method and outcome.', labelNames: ['method', 'outcome'], registers }),
      limited: new Counter({ name: 'switchboard_relay_limited_total', help: 'RELAY requests or connections refused by a limit.', labelNames: ['limit'], registers }),
    };
    // Both gauges are collected at once on a scrape: they share one read of the backlog. The read
    // is the only part of a scrape that needs the database: while it fails or is slower than
    // BACKLOG_WAIT_MS (an outage, a silent server), both gauges keep their last value and the
    // scrape answers with every other metric. A failed read failed the whole scrape (503), so an
    // outage hid the carrier, RELAY and process metrics for exactly as long as it lasted.
    let reading: Promise<void> | null = null;
    let last = { dispatch: 0, webhooks: 0 };
    const read = () =>
      (reading ??= this.backlog().then(
        (b) => {
          last = b;
          reading = null;
        },
        () => {
          reading = null;
        },
      ));
    const backlog = async () => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([read(), new Promise<void>((r) => (timer = setTimeout(r, BACKLOG_WAIT_MS)))]);
      clearTimeout(timer);
      return last;
    };
    new Gauge({
      name: 'switchboard_dispatch_queue_depth',
      help: 'Messages waiting to be handed to a carrier (including ones being retried).',
      registers: [this.registry],
      async collect() {
        this.set((await backlog()).dispatch);
      },
    });
    new Gauge({
      name: 'switchboard_webhooks_pending',
      help: 'Webhook deliveries waiting in the outbox.',
      registers: [this.registry],
      async collect() {
        this.set((await backlog()).webhooks);
      },
    });
  }

  /** Where the queue-depth gauges read from (the engine, once built). */
  watchBacklog(read: () => Promise<{ dispatch: number; webhooks: number }>): void {
    this.backlog = read;
  }

  /** One answered HTTP request; `route` is the route's pattern (`unmatched` when none matched). */
  httpRequest(method: string, route: string, statusCode: number, seconds: number): void {
    this.http.observe({ method, route, status_code: statusCode }, seconds);
  }

  messagesTransitioned(status: string, count: number): void {
    this.transitions.inc({ status }, count);
  }
  dispatchLatency(seconds: number): void {
    this.latency.observe(seconds);
  }
  carrierSubmitted(carrier: string, outcome: string, count: number): void {
    this.submissions.inc({ carrier, outcome }, count);
  }
  webhookOutcome(kind: string, outcome: string): void {
    this.webhooks.inc({ kind, outcome });
  }
  optOutReplyDropped(action: string): void {
    this.repliesDropped.inc({ action });
  }
  rowsPruned(table: string, count: number): void {
    this.pruned.inc({ table }, count);
  }

  relayConnections(delta: number): void {
    this.relay.connections.inc(delta);
  }
  relaySessions(delta: number): void {
    this.relay.sessions.inc(delta);
  }
  relaySessionEvent(event: string): void {
    this.relay.sessionEvents.inc({ event });
  }
  relayEventsSent(type: string, count: number): void {
    this.relay.eventsSent.inc({ type }, count);
  }
  relayEventsAcked(count: number): void {
    this.relay.eventsAcked.inc(count);
  }
  relayEventLatency(seconds: number): void {
    this.relay.eventLatency.observe(seconds);
  }
  relayRequest(method: string, outcome: string): void {
    this.relay.requests.inc({ method, outcome });
  }
  relayLimited(limit: string): void {
    this.relay.limited.inc({ limit });
  }
}

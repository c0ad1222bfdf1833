/**
 * Carrier state in Prometheus: per link (SMPP bind) whether it is bound and how full its window
 * is; per carrier its queue, throughput and event counters. Read from `Carrier.status()` when
 * scraped, so nothing is updated on the hot path.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Carrier } from '../../domain/ports/carrier.js';

export function registerCarrierMetrics(registry: Registry, carriers: () => readonly Carrier[]): void {
  const statuses = () => carriers().flatMap((c) => {
    const s = c.status?.();
    return s ? [{ id: c.descriptor.id, s }] : [];
  });
  new Gauge({
    name: 'switchboard_carrier_link_up',
    help: 'Whether a carrier link (SMPP bind) is bound: 1 bound, 0 not.',
    labelNames: ['carrier', 'link', 'mode'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { id, s } of statuses()) for (const l of s.links) this.set({ carrier: id, link: l.id, mode: l.mode }, l.state === 'bound' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'switchboard_carrier_window_used',
    help: 'Requests sent on a link and not yet answered.',
    labelNames: ['carrier', 'link'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { id, s } of statuses()) for (const l of s.links) if (l.windowSize > 0) this.set({ carrier: id, link: l.id }, l.windowUsed);
    },
  });
  new Gauge({
    name: 'switchboard_carrier_window_size',
    help: 'Most requests a link may have unanswered.',
    labelNames: ['carrier', 'link'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { id, s } of statuses()) for (const l of s.links) if (l.windowSize > 0) this.set({ carrier: id, link: l.id }, l.windowSize);
    },
  });
  new Gauge({
    name: 'switchboard_carrier_queued_parts',
    help: 'Message parts waiting inside a carrier connector for a window slot or a throughput token.',
    labelNames: ['carrier'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { id, s } of statuses()) this.set({ carrier: id }, s.queued);
    },
  });
  new Gauge({
    name: 'switchboard_carrier_throughput',
    help: 'Parts per second sent to a carrier, averaged over the last 5 seconds.',
    labelNames: ['carrier'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { id, s } of statuses()) this.set({ carrier: id }, s.throughput);
    },
  });
  // A counter read from the connector's own totals at scrape time (reset, then raised to the total):
  // one monotonic series per event that rate() understands, restarting at 0 with the process.
  new Counter({
    name: 'switchboard_carrier_events_total',
    help: 'Events of a carrier connector (submitted, accepted, throttled, resent, receipts, receipts_orphaned, mo_received...).',
    labelNames: ['carrier', 'event'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { id, s } of statuses()) for (const [event, n] of Object.entries(s.counters)) this.inc({ carrier: id, event }, n);
    },
  });
}

import type { Bus } from '../domain/ports/bus.js';

/**
 * Tell every node, this one included, that both queues may hold work due now: after a dead node's
 * leases were released, or when this node is back on NATS (the wake-ups sent meanwhile were lost).
 * Dispatchers and webhook runners never poll; without this an idle one waits for the next message.
 */
export function announceAllWork(bus: Pick<Bus, 'publish'>): void {
  bus.publish('work.available', { queue: 'dispatch' });
  bus.publish('work.available', { queue: 'webhooks' });
}

/**
 * How a cache kept fresh by the bus stays fresh. Every change is published (`topic`), and each
 * node drops what the change made stale (`drop`). A node cut off from NATS may miss such changes
 * while it is away, so once it is back it drops everything (`dropAll`): without that, an entry
 * the lost change should have dropped is served until its TTL ends (a STOP recorded by another
 * node meanwhile, a revoked token). Both are required, so no cache can leave the second out.
 */
import type { Bus, BusTopic, BusTopics } from './ports/bus.js';

export function dropOnChange<T extends BusTopic>(bus: Bus, topic: T, drop: (event: BusTopics[T]) => void, dropAll: () => void): void {
  bus.subscribe(topic, drop);
  bus.onMissed(dropAll);
}

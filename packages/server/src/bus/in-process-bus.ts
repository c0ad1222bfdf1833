/**
 * The default event bus: synchronous fan-out inside one process. Handlers must be cheap (queue
 * work, don't do it); a throwing handler is reported and never stops the others.
 */
import type { Bus, BusTopic, BusTopics, Unsubscribe } from '../domain/ports/bus.js';

type Handler = (event: never) => void;

export class InProcessBus implements Bus {
  private readonly handlers = new Map<BusTopic, Set<Handler>>();

  constructor(private readonly onHandlerError: (err: unknown, topic: BusTopic) => void = () => {}) {}

  publish<T extends BusTopic>(topic: T, event: BusTopics[T]): void {
    const set = this.handlers.get(topic);
    if (!set) return;
    for (const handler of set) {
      try {
        (handler as (e: BusTopics[T]) => void)(event);
      } catch (err) {
        this.onHandlerError(err, topic);
      }
    }
  }

  subscribe<T extends BusTopic>(topic: T, handler: (event: BusTopics[T]) => void): Unsubscribe {
    let set = this.handlers.get(topic);
    if (!set) {
      set = new Set();
      this.handlers.set(topic, set);
    }
    set.add(handler as Handler);
    return () => {
      set.delete(handler as Handler);
    };
  }

  /** Nothing published in this process is ever missed. */
  onMissed(): Unsubscribe {
    return () => {};
  }

  async close(): Promise<void> {
    this.handlers.clear();
  }
}

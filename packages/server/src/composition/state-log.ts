/**
 * One log line per message state change, at `info`: the engine publishes every change it commits
 * on the bus once, on the node that made it, so the engine's own bus is wrapped here (subscribing
 * instead would log every node's changes on every node once NATS carries them).
 */
import type { Logger } from 'pino';
import type { Bus, BusTopic, BusTopics } from '../domain/ports/bus.js';

export function loggingStateChanges(bus: Bus, logger: Logger): Bus {
  return {
    publish<T extends BusTopic>(topic: T, event: BusTopics[T]): void {
      if (topic === 'message.status' && logger.isLevelEnabled('info')) {
        const { message: m } = event as BusTopics['message.status'];
        const failure = m.errorCode ? ` (${m.errorCode}${m.errorMessage ? ` ${m.errorMessage}` : ''})` : '';
        logger.info(
          { message: { id: m.id, projectId: m.projectId, status: m.status, direction: m.direction, from: m.from, to: m.to, errorCode: m.errorCode } },
          `message ${m.id} ${m.status} ${m.from} → ${m.to}${failure}`,
        );
      }
      bus.publish(topic, event);
    },
    subscribe: (topic, handler) => bus.subscribe(topic, handler),
    onMissed: (handler) => bus.onMissed(handler),
    close: () => bus.close(),
  };
}

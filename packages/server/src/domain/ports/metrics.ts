import type { MessageStatus } from '@switchboard/protocol';

/** What the engine reports for monitoring; the ops adapter turns it into Prometheus metrics. */
export interface EngineMetrics {
  messagesTransitioned(status: MessageStatus, count: number): void;
  /** Time from acceptance to the carrier's answer, seconds. */
  dispatchLatency(seconds: number): void;
  carrierSubmitted(carrier: string, outcome: 'accepted' | 'rejected' | 'throttled' | 'transient', count: number): void;
  webhookOutcome(kind: string, outcome: 'delivered' | 'retry' | 'failed'): void;
  /** The automatic reply to a STOP/START/HELP (`action`) could not be queued and was dropped. */
  optOutReplyDropped(action: string): void;
  /** Rows of `table` deleted by retention (settled webhook deliveries, their attempts). */
  rowsPruned(table: string, count: number): void;
}

/** Metrics that go nowhere (tests, CLI). */
export const noopMetrics: EngineMetrics = {
  messagesTransitioned: () => {},
  dispatchLatency: () => {},
  carrierSubmitted: () => {},
  webhookOutcome: () => {},
  optOutReplyDropped: () => {},
  rowsPruned: () => {},
};

/** What the RELAY surface reports for monitoring. */
export interface RelayMetrics {
  /** A WebSocket connection opened (+1) or closed (-1). */
  relayConnections(delta: number): void;
  /** Live sessions (+1 on connect or resume, -1 when parked or ended). */
  relaySessions(delta: number): void;
  /** A session lifecycle step: created, resumed, parked, expired, lost (buffer overflow), ended. */
  relaySessionEvent(event: 'created' | 'resumed' | 'readopted' | 'parked' | 'expired' | 'lost' | 'ended'): void;
  /** Events written to sockets, by event type. */
  relayEventsSent(type: string, count: number): void;
  relayEventsAcked(count: number): void;
  /** Time from a state change to its event being written to a socket, seconds. */
  relayEventLatency(seconds: number): void;
  /** Requests answered, by method (unknown methods as `other`) and outcome. */
  relayRequest(method: string, outcome: 'ok' | 'app_error' | 'rpc_error'): void;
  /** Requests or connections refused by a limit. */
  relayLimited(limit: 'rate' | 'bytes' | 'frame' | 'invalid' | 'sessions' | 'in_flight' | 'slow_consumer' | 'socket_memory' | 'sends' | 'auth' | 'catch_up'): void;
}

/** RELAY metrics that go nowhere. */
export const noopRelayMetrics: RelayMetrics = {
  relayConnections: () => {},
  relaySessions: () => {},
  relaySessionEvent: () => {},
  relayEventsSent: () => {},
  relayEventsAcked: () => {},
  relayEventLatency: () => {},
  relayRequest: () => {},
  relayLimited: () => {},
};

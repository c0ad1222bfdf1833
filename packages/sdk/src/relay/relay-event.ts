/** A RELAY event as handlers see it. */
import type { MessagingStateEventData, RelayEventType, SignalwireEventParams } from '@switchboard/protocol';

/** One `signalwire.event`: its type, inner params and time (typed as a `messaging.state` payload unless said otherwise). */
export class RelayEvent<P = MessagingStateEventData> {
  /**
   * @param eventType e.g. `messaging.state`
   * @param params the inner params (e.g. `message_id`, `message_state`, `reason`)
   * @param timestamp seconds since the epoch
   * @param synthetic true when the client rebuilt the event from the REST API after the server lost the session
   */
  constructor(
    readonly eventType: RelayEventType | string,
    readonly params: P,
    readonly timestamp: number,
    readonly synthetic = false,
  ) {}

  /** Build from the params of a `signalwire.event` request. */
  static fromEnvelope<P>(envelope: SignalwireEventParams | Record<string, unknown>): RelayEvent<P> {
    const e = envelope as Record<string, unknown>;
    return new RelayEvent<P>(String(e.event_type ?? ''), (e.params ?? {}) as P, typeof e.timestamp === 'number' ? e.timestamp : Date.now() / 1000);
  }
}

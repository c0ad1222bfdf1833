/**
 * Reconcile for a `RelayClient`: when the server could not resume the session (it restarted),
 * the state events of messages still in flight may be lost. Ask the REST API where each stands
 * and apply what changed as a synthetic `messaging.state` event, so no terminal state is lost.
 */
import { EVENT_MESSAGING_STATE, ERRORS, errorKeyForCompatCode, type MessageLog, type MessagingStateEventData } from '@switchboard/protocol';
import { RestClient, type RestClientOptions } from '../rest/rest-client.js';
import type { RelayEvents } from './events.js';
import type { Message } from './message.js';
import { RelayEvent } from './relay-event.js';
import type { RelayLogger } from './relay-logger.js';

/** Lookups in flight at once. */
const CONCURRENCY = 8;

/** Brings the client's in-flight messages up to date from the REST API. */
export class Reconciler {
  private rest: RestClient | null = null;

  /**
   * @param restOptions credentials and REST base URL (the client is made on first use)
   * @param events the in-flight messages, and where their state is applied
   * @param logger where failed lookups are reported
   */
  constructor(
    private readonly restOptions: RestClientOptions,
    private readonly events: RelayEvents,
    private readonly logger: RelayLogger,
  ) {}

  /** Look up every in-flight message and apply the state it missed; lookups that fail are logged. */
  async run(): Promise<void> {
    const messages = this.events.inFlight;
    if (messages.length === 0) return;
    this.rest ??= new RestClient(this.restOptions);
    const rest = this.rest;
    let next = 0;
    const worker = async () => {
      while (next < messages.length) {
        const m = messages[next++]!;
        try {
          // Deleted meanwhile through the Compatibility API: still this client's message, its state still owed.
          const log = await rest.messaging.getLog(m.messageId, { include_deleted: true });
          if (log.status === m.state || m.isDone) continue;
          this.events.apply(m, new RelayEvent(EVENT_MESSAGING_STATE, stateFromLog(m, log), Date.now() / 1000, true));
        } catch (err) {
          this.logger.warn?.(`could not look up message ${m.messageId} after a reconnect`, err);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, messages.length) }, worker));
  }
}

/** The `messaging.state` params the server would have sent for the message's logged state. */
function stateFromLog(m: Message, log: MessageLog): MessagingStateEventData {
  const errorKey = log.error_code ? errorKeyForCompatCode(Number(log.error_code)) : undefined;
  const failed = log.status === 'undelivered' || log.status === 'failed';
  return {
    message_id: m.messageId,
    context: m.context,
    direction: 'outbound',
    from_number: m.fromNumber,
    to_number: m.toNumber,
    body: m.body,
    media: [...m.media],
    segments: log.number_of_segments,
    tags: [...m.tags],
    message_state: log.status as MessagingStateEventData['message_state'],
    // The REST log keeps the compat error code; RELAY events name the native reason.
    ...(failed ? { reason: errorKey ? ERRORS[errorKey].native : (log.error_code ?? 'unknown_error') } : {}),
  };
}

/** Stored records in the native REST API's wire shapes. */
import type { MessageLog, NativeMessage, PhoneNumber } from '@switchboard/protocol';
import type { MessageRecord } from '../../domain/message.js';
import type { PhoneNumberRecord } from '../../domain/project.js';

/** The last second formatted: a burst of sends answers the same `created_at` many times over. */
let lastSecond = NaN;
let lastText = '';

/** ISO-8601 UTC with second precision, as the API documents (`2024-05-06T12:20:00Z`). */
export function isoSeconds(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastText = new Date(second * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    lastSecond = second;
  }
  return lastText;
}

export function toNativeMessage(m: MessageRecord): NativeMessage {
  return {
    id: m.id,
    from: m.from,
    to: m.to,
    body: m.body,
    status: m.status,
    direction: m.direction,
    kind: m.kind,
    media: m.media as string[],
    number_of_segments: m.segments,
    error_code: m.errorCode,
    error_message: m.errorMessage,
    created_at: isoSeconds(m.createdAt),
    project_id: m.projectId,
    status_callback_url: m.statusCallback,
    message_uri: `/api/messaging/logs/${m.id}`,
  };
}

function logDirection(m: MessageRecord): MessageLog['direction'] {
  if (m.direction === 'inbound') return 'inbound';
  if (m.origin === 'reply') return 'outbound-reply';
  if (m.origin === 'compat') return 'outbound-api';
  return 'outbound';
}

export function toMessageLog(m: MessageRecord, base: string): MessageLog {
  const viaCompat = m.origin === 'compat' || m.origin === 'reply';
  const charge = m.price ?? 0;
  const description = `${m.direction === 'inbound' ? 'Inbound' : 'Outbound'} ${m.kind.toUpperCase()}`;
  return {
    id: m.id,
    from: m.from,
    to: m.to,
    status: m.status,
    direction: logDirection(m),
    kind: m.kind,
    source: viaCompat ? 'laml' : 'realtime_api',
    type: viaCompat ? 'laml_message' : 'relay_message',
    url: viaCompat ? `${base}/api/laml/2010-04-01/Accounts/${m.projectId}/Messages/${m.id}` : null,
    number_of_segments: m.segments,
    charge,
    charge_details: m.price === null ? [] : [{ description, charge }],
    created_at: isoSeconds(m.createdAt),
    error_code: m.errorCode,
    error_message: m.errorMessage,
  };
}

export function toPhoneNumber(n: PhoneNumberRecord): PhoneNumber {
  return {
    id: n.id,
    number: n.number,
    name: n.name,
    capabilities: [...n.capabilities],
    number_type: n.numberType,
    country_code: n.countryCode,
    created_at: isoSeconds(n.createdAt),
    updated_at: isoSeconds(n.updatedAt),
    next_billed_at: null,
    message_handler: n.messageHandler,
    messaging_handler_resource_id: n.messagingHandlerResourceId,
    message_request_url: n.messageRequestUrl,
    message_request_method: n.messageRequestMethod,
    message_fallback_url: n.messageFallbackUrl,
    message_fallback_method: n.messageFallbackMethod,
    message_laml_application_id: n.messageLamlApplicationId,
    message_relay_topic: n.messageRelayTopic,
    message_relay_context: n.messageRelayContext,
    messages_per_second: n.messagesPerSecond ?? null,
  };
}

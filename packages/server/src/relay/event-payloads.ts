/** Stored messages in RELAY's event shapes (spec relay-protocol §6). */
import {
  EVENT_AUTHORIZATION_STATE,
  EVENT_MESSAGING_RECEIVE,
  EVENT_MESSAGING_STATE,
  type MessagingReceiveEventData,
  type MessagingStateEventData,
  type SignalwireEventParams,
} from '@switchboard/protocol';
import type { MessageRecord } from '../domain/message.js';

/** The context every message event names: the message's own, or `default` for the rare message without one. */
export function contextOf(m: MessageRecord): string {
  return m.context ?? 'default';
}

/** The fields both messaging events carry. */
function messageFields(m: MessageRecord) {
  return {
    message_id: m.id,
    context: contextOf(m),
    tags: [...m.tags],
    from_number: m.from,
    to_number: m.to,
    body: m.body,
    media: [...m.media],
    segments: m.segments,
  };
}

/** Inner params of `messaging.state`. */
export function stateEventData(m: MessageRecord): MessagingStateEventData {
  const failed = m.status === 'undelivered' || m.status === 'failed';
  return {
    ...messageFields(m),
    direction: 'outbound',
    message_state: m.status as MessagingStateEventData['message_state'],
    ...(failed ? { reason: m.reason ?? m.errorCode ?? 'unknown_error' } : {}),
  };
}

/** Inner params of `messaging.receive`. */
export function receiveEventData(m: MessageRecord): MessagingReceiveEventData {
  return { ...messageFields(m), direction: 'inbound', message_state: 'received' };
}

/** Serialized envelope params of a messaging event (`event_type` first: the session reads it back). */
export function messagingEventParams(m: MessageRecord, at: number): string {
  const inbound = m.direction === 'inbound';
  const params: SignalwireEventParams = {
    event_type: inbound ? EVENT_MESSAGING_RECEIVE : EVENT_MESSAGING_STATE,
    context: contextOf(m),
    timestamp: at / 1000,
    project_id: m.projectId,
    space_id: m.projectId,
    params: inbound ? receiveEventData(m) : stateEventData(m),
  };
  return JSON.stringify(params);
}

/** Serialized envelope params of `signalwire.authorization.state`. */
export function authorizationStateParams(protocol: string, projectId: string, state: string, at: number): string {
  const params: SignalwireEventParams<typeof EVENT_AUTHORIZATION_STATE> = {
    event_type: EVENT_AUTHORIZATION_STATE,
    event_channel: protocol,
    timestamp: at / 1000,
    project_id: projectId,
    space_id: projectId,
    params: { authorization_state: state },
  };
  return JSON.stringify(params);
}

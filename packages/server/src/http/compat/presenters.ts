/** Stored records in the Compatibility API's wire shapes (rest-apis §B.2, §B.5). */
import {
  COMPAT_API_VERSION,
  COMPAT_URI_PREFIX,
  toCompatDirection,
  toCompatStatus,
  type CompatAccount,
  type CompatApplication,
  type CompatMedia,
  type CompatMessage,
} from '@switchboard/protocol';
import type { CxmlApplicationRecord } from '../../domain/cxml-applications.js';
import type { MessageMediaRecord } from '../../domain/media.js';
import type { MessageRecord } from '../../domain/message.js';
import type { ProjectRecord } from '../../domain/project.js';

/** RFC 2822 in UTC, as Twilio writes it: `Tue, 14 Aug 2018 19:37:39 +0000`. */
export function rfc2822(ms: number): string {
  return new Date(ms).toUTCString().replace(/GMT$/, '+0000');
}

export function accountUri(accountSid: string): string {
  return `${COMPAT_URI_PREFIX}/Accounts/${accountSid}`;
}

export function messageUri(accountSid: string, sid: string): string {
  return `${accountUri(accountSid)}/Messages/${sid}.json`;
}

export function toCompatMessage(m: MessageRecord): CompatMessage {
  return {
    account_sid: m.projectId,
    api_version: COMPAT_API_VERSION,
    body: m.body,
    num_segments: m.segments,
    num_media: m.media.length,
    date_created: rfc2822(m.createdAt),
    date_updated: rfc2822(m.updatedAt),
    // Twilio: "For an incoming message, this is when Twilio sent the HTTP request to your incoming
    // message webhook URL" — here, when it was received (the webhook and RELAY event follow at once).
    date_sent: m.sentAt !== null ? rfc2822(m.sentAt) : m.direction === 'inbound' ? rfc2822(m.createdAt) : null,
    direction: toCompatDirection(m.direction, m.origin),
    error_code: m.errorCode,
    error_message: m.errorMessage,
    from: m.from,
    to: m.to,
    price: m.price,
    price_unit: m.priceUnit,
    sid: m.id,
    status: toCompatStatus(m.status),
    messaging_service_sid: m.numberGroupId,
    uri: messageUri(m.projectId, m.id),
    subresource_uris: { media: `${accountUri(m.projectId)}/Messages/${m.id}/Media.json`, feedback: `${accountUri(m.projectId)}/Messages/${m.id}/Feedback.json` },
  };
}

export function toCompatMedia(m: MessageMediaRecord): CompatMedia {
  return {
    account_sid: m.projectId,
    content_type: m.contentType,
    date_created: rfc2822(m.createdAt),
    date_updated: rfc2822(m.createdAt),
    parent_sid: m.messageId,
    sid: m.id,
    uri: `${accountUri(m.projectId)}/Messages/${m.messageId}/Media/${m.id}.json`,
  };
}

export function toCompatApplication(a: CxmlApplicationRecord): CompatApplication {
  return {
    sid: a.id,
    account_sid: a.projectId,
    api_version: COMPAT_API_VERSION,
    friendly_name: a.friendlyName,
    sms_url: a.smsUrl,
    sms_method: a.smsMethod,
    sms_fallback_url: a.smsFallbackUrl,
    sms_fallback_method: a.smsFallbackMethod,
    sms_status_callback: a.smsStatusCallback,
    message_status_callback: a.smsStatusCallback,
    date_created: rfc2822(a.createdAt),
    date_updated: rfc2822(a.updatedAt),
    uri: `${accountUri(a.projectId)}/Applications/${a.id}.json`,
    // The voice fields the clients read, as what is true here: no voice (docs/api/compat.md).
    voice_url: null,
    voice_method: null,
    voice_fallback_url: null,
    voice_fallback_method: null,
    voice_caller_id_lookup: false,
    status_callback: null,
    status_callback_method: null,
    public_application_connect_enabled: false,
  };
}

export function toCompatAccount(p: ProjectRecord): CompatAccount {
  const uri = accountUri(p.id);
  return {
    sid: p.id,
    owner_account_sid: p.id,
    friendly_name: p.name,
    status: 'active',
    type: 'Full',
    auth_token: null,
    date_created: rfc2822(p.createdAt),
    date_updated: rfc2822(p.createdAt),
    uri: `${uri}.json`,
    subresource_uris: { messages: `${uri}/Messages.json`, incoming_phone_numbers: `${uri}/IncomingPhoneNumbers.json`, applications: `${uri}/Applications.json` },
  };
}

/**
 * Wire shapes of SignalWire's native REST messaging API (`/api/messaging/*`,
 * `/api/relay/rest/phone_numbers`) as Switchboard serves them.
 */
import type { MessageKind, MessageStatus } from '../status.js';

/** Body of `POST /api/messaging/messages`. */
export interface SendMessageRequest {
  /** Destination, E.164 (`+` and 5–17 digits) or a passthrough/short number. */
  to: string;
  /** A number or short code registered with the project. */
  from: string;
  /** Text; required unless `media` is given. */
  body?: string;
  /** Up to 8 http(s) media URLs; makes the message MMS. */
  media?: string[];
  /** Force MMS without media. */
  send_as_mms?: boolean;
  /** URL that receives a signed JSON POST at every state change. */
  status_callback?: string;
  /** Up to 20 string pairs echoed in every status callback. */
  custom_variables?: Record<string, string>;
}

/** The Message object returned by create and redact. */
export interface NativeMessage {
  id: string;
  from: string;
  to: string;
  /** `""` after redaction. */
  body: string;
  status: MessageStatus;
  direction: 'inbound' | 'outbound';
  kind: MessageKind;
  media: string[];
  number_of_segments: number;
  error_code: string | null;
  error_message: string | null;
  /** ISO-8601 UTC. */
  created_at: string;
  project_id: string;
  status_callback_url: string | null;
  /** Relative: `/api/messaging/logs/{id}`. */
  message_uri: string;
}

/** Body of `PATCH /api/messaging/messages/{id}`: only `""` is accepted. */
export interface RedactMessageRequest {
  body: '';
}

/** A line of a charge breakdown in a message log. */
export interface ChargeDetail {
  description: string;
  charge: number;
}

/** One entry of `GET /api/messaging/logs` (and the body of `GET /api/messaging/logs/{id}`). */
export interface MessageLog {
  id: string;
  from: string;
  to: string;
  status: MessageStatus;
  direction: 'inbound' | 'outbound' | 'outbound-api' | 'outbound-reply';
  kind: MessageKind;
  source: 'realtime_api' | 'laml';
  type: 'relay_message' | 'laml_message';
  /** URL of the Compatibility API resource for messages sent through it, else null. */
  url: string | null;
  number_of_segments: number;
  charge: number;
  charge_details: ChargeDetail[];
  created_at: string;
  error_code: string | null;
  error_message: string | null;
}

/** Paging links of native list responses; `next`/`prev` only when they exist. */
export interface PageLinks {
  self: string;
  first: string;
  next?: string;
  prev?: string;
}

/** A native list response. */
export interface NativePage<T> {
  links: PageLinks;
  data: T[];
}

/** JSON body POSTed to a native `status_callback` at every state change (signed, hex HMAC-SHA1). */
export interface NativeStatusCallback {
  id: string;
  project_id: string;
  status: MessageStatus;
  to: string;
  from: string;
  body: string;
  number_of_segments: number;
  /** ISO-8601 UTC time of the transition. */
  timestamp: string;
  error_code: string | null;
  error_message: string | null;
  /** Only when custom variables were given at send time. */
  custom_variables?: Record<string, string>;
}

/** One validation problem in a native 422 body. */
export interface NativeValidationError {
  type: 'validation_error' | 'account_error';
  code: string;
  message: string;
  attribute: string | null;
  url: string;
}

/** Native 422 body under `/api/messaging`. */
export interface NativeValidationErrorBody {
  errors: NativeValidationError[];
}

/** Native error body for 400/401/403/404/413/415/429/500 (`error` is the HTTP reason phrase). */
export interface NativeStatusErrorBody {
  error: string;
  /** Switchboard addition: what exactly went wrong. */
  message?: string;
}

/** One problem in a `/api/relay/rest` 422 body. */
export interface RelayRestError {
  detail: string;
  status: string;
  title: string;
  code: string;
}

/** Ways an inbound message to a number is handed to the application. */
export const MESSAGE_HANDLERS = ['relay_context', 'relay_topic', 'relay_application', 'laml_webhooks', 'laml_application'] as const;

/** How inbound messages to a number are handled. */
export type MessageHandler = (typeof MESSAGE_HANDLERS)[number];

/** Capabilities a phone number may have. */
export type NumberCapability = 'voice' | 'sms' | 'mms' | 'fax';

/** A phone number registered with a project (`/api/relay/rest/phone_numbers`). */
export interface PhoneNumber {
  id: string;
  number: string;
  name: string | null;
  capabilities: NumberCapability[];
  number_type: 'longcode' | 'toll-free' | 'shortcode';
  country_code: string | null;
  created_at: string;
  updated_at: string;
  next_billed_at: string | null;
  message_handler: MessageHandler | null;
  messaging_handler_resource_id: string | null;
  message_request_url: string | null;
  message_request_method: 'GET' | 'POST';
  message_fallback_url: string | null;
  message_fallback_method: 'GET' | 'POST';
  message_laml_application_id: string | null;
  message_relay_topic: string | null;
  message_relay_context: string | null;
  /** Our extension: segments per second this number sends (0: no limit); null: its type's default. */
  messages_per_second: number | null;
}

/**
 * A short code as `/api/relay/rest/short_codes` shows it: the phone number record of a number whose
 * `number_type` is `shortcode`, with SignalWire's two short-code fields.
 */
export interface ShortCode extends PhoneNumber {
  /** Whether the digits were chosen (`vanity`) or assigned (`random`); not known here, so `random`. */
  code_type: 'random' | 'vanity';
  /** The lease of a bought short code; always null (nothing is leased). */
  lease_duration: string | null;
}

/** Body of `POST /api/relay/rest/phone_numbers` (registration; there is no purchasing). */
export interface RegisterPhoneNumberRequest {
  number: string;
  name?: string;
  capabilities?: NumberCapability[];
}

/** Body of `PUT /api/relay/rest/phone_numbers/{id}`: any subset of the messaging fields. */
export interface UpdatePhoneNumberRequest {
  name?: string | null;
  capabilities?: NumberCapability[];
  message_handler?: MessageHandler | null;
  message_request_url?: string | null;
  message_request_method?: 'GET' | 'POST';
  message_fallback_url?: string | null;
  message_fallback_method?: 'GET' | 'POST';
  message_laml_application_id?: string | null;
  message_relay_topic?: string | null;
  message_relay_context?: string | null;
  message_relay_application?: string | null;
  messages_per_second?: number | null;
}

/**
 * Wire shapes of SignalWire's Compatibility API (Twilio-shaped, `/api/laml/2010-04-01/...` and
 * `/2010-04-01/...`) as Switchboard serves them, and of the form-encoded webhooks it sends
 * (rest-apis §B). Field names are the wire names; ids are UUIDs.
 */
import type { CompatDirection, CompatMessageStatus } from '../status.js';

/** The API version segment of every Compatibility API path. */
export const COMPAT_API_VERSION = '2010-04-01';

/** Path prefix used in the URIs Switchboard returns (the documented SignalWire prefix). */
export const COMPAT_URI_PREFIX = '/api/laml/2010-04-01';

/** Parameters of `POST /Accounts/{AccountSid}/Messages` (form fields or JSON keys). */
export interface CompatCreateMessageParams {
  To: string;
  /** One of `From` or `MessagingServiceSid` is required. */
  From?: string;
  /** A number group id: the sender is picked from its members. */
  MessagingServiceSid?: string;
  /** Required unless `MediaUrl` is given; at most 1600 characters. */
  Body?: string;
  /** Up to 8 http(s) URLs; repeat the key in a form body. */
  MediaUrl?: string | string[];
  /** `true` forces MMS without media. */
  SendAsMms?: boolean | 'true' | 'false';
  /** Receives a signed form POST at every status change. */
  StatusCallback?: string;
  /** A cXML application whose `sms_status_callback` receives the status callbacks. */
  ApplicationSid?: string;
  /** Fail the message with 30010 when its price is higher (USD, e.g. `0.05`). */
  MaxPrice?: string;
  /** Seconds (1–172800, default 14400) the message may wait to be sent. */
  ValidityPeriod?: number | string;
}

/** The Message resource (rest-apis §B.2). Dates are RFC 2822 (`Tue, 14 Aug 2018 19:37:39 +0000`). */
export interface CompatMessage {
  account_sid: string;
  api_version: typeof COMPAT_API_VERSION;
  /** `""` after redaction. */
  body: string;
  num_segments: number;
  num_media: number;
  date_created: string;
  date_updated: string;
  date_sent: string | null;
  direction: CompatDirection;
  /** Compatibility error code as a string (`"30003"`), on failures. */
  error_code: string | null;
  error_message: string | null;
  from: string;
  to: string;
  /** Price in `price_unit`, filled when the message is sent (null while unpriced). */
  price: number | null;
  price_unit: string;
  sid: string;
  status: CompatMessageStatus;
  /** The number group the sender was picked from, if any. */
  messaging_service_sid: string | null;
  uri: string;
  /** Twilio lists both subresources of a message: its media and its feedback. */
  subresource_uris: { media: string; feedback: string };
}

/** Filters and paging of `GET /Accounts/{AccountSid}/Messages` (query parameters). */
export interface CompatListMessagesParams {
  /** Exact E.164 match. */
  To?: string;
  From?: string;
  /** `YYYY-MM-DD` (UTC) or ISO-8601: messages sent that day. */
  DateSent?: string;
  /** Sent on or before. */
  'DateSent<'?: string;
  /** Sent on or after. */
  'DateSent>'?: string;
  /** A compat status (`sending` for `initiated`). */
  Status?: string;
  /** 1–1000, default 50. */
  PageSize?: number;
}

/** Paging keys shared by every Compatibility API list (rest-apis §B.4). */
export interface CompatPageMeta {
  uri: string;
  first_page_uri: string;
  next_page_uri: string | null;
  previous_page_uri: string | null;
  page: number;
  page_size: number;
  /** Zero-based index of the first record of the page. */
  start: number;
  /** Zero-based index of the last record of the page. */
  end: number;
}

/** `GET /Messages`: paging keys plus exactly one record key. */
export interface CompatMessagePage extends CompatPageMeta {
  messages: CompatMessage[];
}

/** A media item of a message (rest-apis §B.5). */
export interface CompatMedia {
  account_sid: string;
  content_type: string;
  date_created: string;
  date_updated: string;
  parent_sid: string;
  sid: string;
  uri: string;
}

/** `GET /Messages/{sid}/Media`. */
export interface CompatMediaPage extends CompatPageMeta {
  media_list: CompatMedia[];
}

/** A cXML (LaML) application: where inbound messages and status callbacks of its numbers go. */
export interface CompatApplication {
  sid: string;
  account_sid: string;
  api_version: typeof COMPAT_API_VERSION;
  friendly_name: string;
  sms_url: string | null;
  sms_method: 'GET' | 'POST';
  sms_fallback_url: string | null;
  sms_fallback_method: 'GET' | 'POST';
  sms_status_callback: string | null;
  /** The same URL as `sms_status_callback`, under Twilio's current name. */
  message_status_callback: string | null;
  date_created: string;
  date_updated: string;
  uri: string;
  /**
   * The voice fields of SignalWire's and Twilio's Application resource, with what is true here
   * (messaging only): null, `voice_caller_id_lookup` and `public_application_connect_enabled` false.
   * The clients read them (twilio's ApplicationInstance), so they are given rather than left out.
   */
  voice_url: null;
  voice_method: null;
  voice_fallback_url: null;
  voice_fallback_method: null;
  voice_caller_id_lookup: false;
  status_callback: null;
  status_callback_method: null;
  public_application_connect_enabled: false;
}

/** `GET /Applications`. */
export interface CompatApplicationPage extends CompatPageMeta {
  applications: CompatApplication[];
}

/** Parameters of `POST /Applications` and `POST /Applications/{sid}`. */
export interface CompatApplicationParams {
  FriendlyName?: string;
  SmsUrl?: string;
  SmsMethod?: 'GET' | 'POST';
  SmsFallbackUrl?: string;
  SmsFallbackMethod?: 'GET' | 'POST';
  SmsStatusCallback?: string;
}

/** The flat error body of the Compatibility API (rest-apis §B.6). */
export interface CompatError {
  /** Numeric code with SignalWire's meaning. */
  code: number;
  message: string;
  more_info: string;
  /** Equal to the HTTP status. */
  status: number;
}

/** Form fields of a compat status callback (rest-apis §B.7), one POST per status change. */
export interface CompatStatusCallbackParams {
  MessageSid: string;
  SmsSid: string;
  MessageStatus: CompatMessageStatus;
  SmsStatus: CompatMessageStatus;
  AccountSid: string;
  From: string;
  To: string;
  Body: string;
  NumMedia: string;
  NumSegments: string;
  ApiVersion: typeof COMPAT_API_VERSION;
  /** Only on `failed` / `undelivered`. */
  ErrorCode?: string;
  /** Twilio's done date of the delivery receipt, `YYMMDDhhmm`: only on `delivered` / `undelivered`. */
  RawDlrDoneDate?: string;
  /** Only when the sender came from a number group. */
  MessagingServiceSid?: string;
}

/**
 * Form fields (POST) or query parameters (GET) of an inbound-message cXML webhook (rest-apis §B.8).
 * `MediaUrl{N}` / `MediaContentType{N}` (zero-based) are present only with media.
 */
export interface CompatInboundParams {
  MessageSid: string;
  SmsSid: string;
  SmsMessageSid: string;
  AccountSid: string;
  From: string;
  To: string;
  Body: string;
  NumMedia: string;
  NumSegments: string;
  SmsStatus: 'received';
  ApiVersion: typeof COMPAT_API_VERSION;
  MessagingServiceSid?: string;
  /** The keyword a message that is one opt-out, opt-in or help keyword is (Twilio's Advanced Opt-Out parameter). */
  OptOutType?: 'STOP' | 'START' | 'HELP';
  [media: `MediaUrl${number}` | `MediaContentType${number}`]: string;
}

/** A phone number as the IncomingPhoneNumbers resource shows it (messaging fields). */
export interface CompatIncomingPhoneNumber {
  sid: string;
  account_sid: string;
  api_version: typeof COMPAT_API_VERSION;
  friendly_name: string;
  phone_number: string;
  capabilities: { voice: boolean; sms: boolean; mms: boolean; fax: boolean };
  /** cXML URL for inbound messages (handler `laml_webhooks`). */
  sms_url: string | null;
  sms_method: 'GET' | 'POST';
  sms_fallback_url: string | null;
  sms_fallback_method: 'GET' | 'POST';
  /** cXML application for inbound messages (handler `laml_application`). */
  sms_application_sid: string | null;
  date_created: string;
  date_updated: string;
  uri: string;
  /**
   * Twilio's other fields, with what is true of a number here: every number is the operator's own,
   * registered rather than bought (`origin` `hosted`, never `twilio`), in use until it is released
   * (deleted), and has no voice, emergency, address, identity, bundle or trunk configuration.
   */
  origin: 'hosted';
  status: 'in-use';
  beta: false;
  /** `local` or `toll-free`, as the `/Local` and `/TollFree` subresources list them; `short-code` for a short code. */
  type: 'local' | 'toll-free' | 'short-code';
  address_requirements: 'none';
  address_sid: null;
  identity_sid: null;
  bundle_sid: null;
  trunk_sid: null;
  emergency_status: 'Inactive';
  emergency_address_sid: null;
  emergency_address_status: 'unregistered';
  voice_url: null;
  voice_method: null;
  voice_fallback_url: null;
  voice_fallback_method: null;
  voice_application_sid: null;
  voice_caller_id_lookup: false;
  voice_receive_mode: null;
  status_callback: null;
  status_callback_method: null;
}

/** `GET /IncomingPhoneNumbers`. */
export interface CompatIncomingPhoneNumberPage extends CompatPageMeta {
  incoming_phone_numbers: CompatIncomingPhoneNumber[];
}

/** A short code as Twilio's ShortCode resource (`/SMS/ShortCodes`) shows it. */
export interface CompatShortCode {
  sid: string;
  account_sid: string;
  api_version: typeof COMPAT_API_VERSION;
  friendly_name: string;
  short_code: string;
  sms_url: string | null;
  sms_method: 'GET' | 'POST';
  sms_fallback_url: string | null;
  sms_fallback_method: 'GET' | 'POST';
  date_created: string;
  date_updated: string;
  uri: string;
}

/** `GET /SMS/ShortCodes`. */
export interface CompatShortCodePage extends CompatPageMeta {
  short_codes: CompatShortCode[];
}

/**
 * The account (`/Accounts/{sid}`): the project itself, as the SDKs read it to check credentials
 * (`client.api.accounts(sid).fetch()`). `auth_token` is always null: tokens are stored hashed.
 */
export interface CompatAccount {
  sid: string;
  owner_account_sid: string;
  friendly_name: string;
  status: 'active';
  type: 'Full';
  auth_token: null;
  date_created: string;
  date_updated: string;
  uri: string;
  subresource_uris: { messages: string; incoming_phone_numbers: string; applications: string };
}

/** `GET /Accounts`: the project you authenticate as. */
export interface CompatAccountPage extends CompatPageMeta {
  accounts: CompatAccount[];
}

/**
 * Wire shapes of the Compatibility (Twilio-shaped) Messages API as the SDK uses them
 * (spec rest-apis §B.2–§B.4).
 */

/** A Compatibility API Message resource. */
export interface CompatMessage {
  account_sid: string;
  api_version: string;
  body: string | null;
  num_segments: number;
  num_media: number;
  /** RFC 2822. */
  date_created: string;
  date_sent: string | null;
  date_updated: string;
  direction: 'inbound' | 'outbound-api' | 'outbound-call' | 'outbound-reply';
  error_code: string | null;
  error_message: string | null;
  from: string;
  to: string;
  price: number | null;
  price_unit: string;
  sid: string;
  /** Compat vocabulary: `sending` for `initiated`. */
  status: string;
  messaging_service_sid: string | null;
  uri: string;
  subresource_uris: Record<string, string>;
}

/** Parameters of a compat send (form fields, Twilio names). */
export interface CompatCreateMessage {
  To: string;
  From?: string;
  Body?: string;
  /** Up to 8 http(s) URLs. */
  MediaUrl?: string[];
  MessagingServiceSid?: string;
  StatusCallback?: string;
  ApplicationSid?: string;
  MaxPrice?: string;
  ValidityPeriod?: number;
  SendAsMms?: boolean;
}

/** Filters and paging of the compat message list. */
export interface CompatListMessages {
  To?: string;
  From?: string;
  /** `YYYY-MM-DD` or ISO-8601. */
  DateSent?: string;
  'DateSent<'?: string;
  'DateSent>'?: string;
  Status?: string;
  PageSize?: number;
}

/** One page of the compat message list. */
export interface CompatMessagePage {
  uri: string;
  first_page_uri: string;
  next_page_uri: string | null;
  previous_page_uri: string | null;
  page: number;
  page_size: number;
  messages: CompatMessage[];
}

/**
 * JSON Schemas of the Compatibility API's Messages routes, for the OpenAPI document
 * (`/api/openapi.json`). They describe; they do not enforce: the surface checks its parameters
 * itself, in Twilio's order and with Twilio's error codes, and answers with what its presenters
 * build (see `compat/plugin.ts`). Form bodies: every value is text, a repeated key (`MediaUrl`)
 * gives several.
 */
const str = { type: 'string' } as const;
const nullableStr = { type: ['string', 'null'] } as const;
const rfc2822 = { type: 'string', description: 'RFC 2822 date, e.g. `Tue, 14 Aug 2018 19:37:39 +0000`.' } as const;
const FORM = ['application/x-www-form-urlencoded', 'application/json'];

/** Twilio's flat error shape with SignalWire's codes; `status` equals the HTTP status. */
export const compatError = {
  type: 'object',
  required: ['code', 'message', 'more_info', 'status'],
  properties: { code: { type: 'integer' }, message: str, more_info: str, status: { type: 'integer' } },
} as const;

const errors = { 400: compatError, 401: compatError, 404: compatError, 422: compatError, 429: compatError } as const;

export const compatMessage = {
  type: 'object',
  required: ['sid', 'account_sid', 'api_version', 'body', 'num_segments', 'num_media', 'date_created', 'date_updated', 'date_sent', 'direction', 'error_code', 'error_message', 'from', 'to', 'price', 'price_unit', 'status', 'messaging_service_sid', 'uri', 'subresource_uris'],
  properties: {
    sid: str,
    account_sid: str,
    api_version: { type: 'string', enum: ['2010-04-01'] },
    body: { type: 'string', description: '`""` after redaction.' },
    num_segments: { type: 'integer' },
    num_media: { type: 'integer' },
    date_created: rfc2822,
    date_updated: rfc2822,
    date_sent: { type: ['string', 'null'], description: 'RFC 2822 date the carrier took the message; null before.' },
    direction: { type: 'string', enum: ['inbound', 'outbound-api', 'outbound-call', 'outbound-reply'] },
    error_code: { type: ['string', 'integer', 'null'], description: 'The error code on failures, e.g. 30003.' },
    error_message: nullableStr,
    from: str,
    to: str,
    price: { type: ['number', 'string', 'null'], description: 'Filled when the message is sent; null while unpriced.' },
    price_unit: str,
    status: str,
    messaging_service_sid: { type: ['string', 'null'], description: 'The number group the sender was picked from.' },
    uri: str,
    subresource_uris: { type: 'object', properties: { media: str } },
  },
} as const;

/** Twilio's paging keys, and one key holding the records. */
export function compatPageOf(key: string, item: object) {
  return {
    type: 'object',
    required: ['uri', 'first_page_uri', 'next_page_uri', 'previous_page_uri', 'page', 'page_size', 'start', 'end', key],
    properties: {
      uri: str,
      first_page_uri: str,
      next_page_uri: nullableStr,
      previous_page_uri: nullableStr,
      page: { type: 'integer' },
      page_size: { type: 'integer' },
      start: { type: 'integer' },
      end: { type: 'integer' },
      [key]: { type: 'array', items: item },
    },
  } as const;
}

const accountParams = { type: 'object', properties: { AccountSid: { type: 'string', description: 'Your project id.' } }, required: ['AccountSid'] } as const;
const messageParams = { type: 'object', properties: { AccountSid: accountParams.properties.AccountSid, Sid: { type: 'string', description: 'The message sid.' } }, required: ['AccountSid', 'Sid'] } as const;

const createMessageForm = {
  type: 'object',
  required: ['To'],
  properties: {
    To: { type: 'string', description: 'The destination, E.164.' },
    From: { type: 'string', description: 'A number of your project (E.164). One of From or MessagingServiceSid is required.' },
    MessagingServiceSid: { type: 'string', description: 'A number group id: the sender is picked from its members.' },
    Body: { type: 'string', description: 'Required unless MediaUrl is given; at most 1600 characters.' },
    MediaUrl: { type: 'array', items: str, description: 'Up to 8 http(s) URLs; repeat the key in a form body.' },
    SendAsMms: { type: 'string', enum: ['true', 'false'], description: '`true` sends an MMS without media.' },
    StatusCallback: { type: 'string', description: 'Receives a signed form POST at every status change.' },
    ApplicationSid: { type: 'string', description: "A cXML application whose sms_status_callback receives the status callbacks (it wins over StatusCallback)." },
    MaxPrice: { type: 'string', description: 'Fail the message with 30010 when its price is higher (USD, e.g. 0.05).' },
    ValidityPeriod: { type: 'string', description: 'Seconds (1–172800, default 14400) the message may wait to be sent.' },
  },
} as const;

const listMessagesQuery = {
  type: 'object',
  properties: {
    To: { type: 'string', description: 'Exact E.164 match.' },
    From: { type: 'string', description: 'Exact E.164 match.' },
    DateSent: { type: 'string', description: '`YYYY-MM-DD` (UTC) or ISO 8601: messages sent that day.' },
    'DateSent<': { type: 'string', description: 'Sent on or before.' },
    'DateSent>': { type: 'string', description: 'Sent on or after.' },
    PageSize: { type: 'integer', description: '1–1000, default 50.' },
    Page: { type: 'integer' },
    PageToken: { type: 'string', description: 'From `next_page_uri`.' },
  },
} as const;

const tags = ['Compatibility API'];

export const createMessageSchema = {
  summary: 'Send a message',
  tags,
  consumes: FORM,
  params: accountParams,
  body: createMessageForm,
  headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', description: 'Our extension: a retry within 24 hours answers the original message.' } } },
  response: { 201: compatMessage, ...errors },
} as const;

export const listMessagesSchema = { summary: 'List messages, newest first', tags, params: accountParams, querystring: listMessagesQuery, response: { 200: compatPageOf('messages', compatMessage), ...errors } } as const;

export const fetchMessageSchema = { summary: 'Fetch a message', tags, params: messageParams, response: { 200: compatMessage, ...errors } } as const;

export const updateMessageSchema = {
  summary: 'Redact a message (Body="")',
  tags,
  consumes: FORM,
  params: messageParams,
  body: { type: 'object', required: ['Body'], properties: { Body: { type: 'string', enum: [''], description: 'Only redaction is supported: an empty Body.' } } },
  response: { 200: compatMessage, ...errors },
} as const;

export const deleteMessageSchema = { summary: 'Delete a message', tags, params: messageParams, response: { 204: { type: 'null', description: 'Deleted.' }, ...errors } } as const;

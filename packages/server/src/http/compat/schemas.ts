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
    subresource_uris: { type: 'object', properties: { media: str, feedback: str } },
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
    ApplicationSid: { type: 'string', description: "A cXML application whose message_status_callback (sms_status_callback) receives the status callbacks (it wins over StatusCallback)." },
    MaxPrice: { type: 'string', description: 'Fail the message with 30010 when its price is higher (USD, e.g. 0.05).' },
    ValidityPeriod: { type: 'string', description: 'Seconds (1–172800, default 14400) the message may wait to be sent; past it the message fails with 30036.' },
    ScheduleType: { type: 'string', enum: ['fixed'], description: 'With SendAt: send later; the message is created `scheduled`.' },
    SendAt: { type: 'string', format: 'date-time', description: 'ISO 8601 with a zone, 300 s to 35 days ahead by default (35114 outside; 35111 when ScheduleType comes without it).' },
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
    PageSize: { type: 'integer', description: '1 or more, default 50; pages hold at most 1000 (a larger PageSize, which the SDKs send for a `limit`, gets pages of 1000).' },
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
  summary: 'Redact a message (Body="") or cancel a scheduled one (Status=canceled)',
  tags,
  consumes: FORM,
  params: messageParams,
  body: {
    type: 'object',
    properties: {
      Body: { type: 'string', enum: [''], description: 'An empty Body redacts the message.' },
      Status: { type: 'string', enum: ['canceled'], description: 'Cancels a `scheduled` message (30409 when it is not).' },
    },
  },
  response: { 200: compatMessage, ...errors },
} as const;

export const deleteMessageSchema = { summary: 'Delete a message', tags, params: messageParams, response: { 204: { type: 'null', description: 'Deleted.' }, ...errors } } as const;

const sidParams = (name: string, what: string) =>
  ({ type: 'object', properties: { AccountSid: accountParams.properties.AccountSid, [name]: { type: 'string', description: what } }, required: ['AccountSid', name] }) as const;
const method = { type: 'string', enum: ['GET', 'POST'] } as const;
/** `ApiVersion` of an application, number or short code: 2010-04-01 only (another is 400, 10000). */
const apiVersion = { type: 'string', enum: ['2010-04-01'] } as const;
const pagingOnly = { PageSize: listMessagesQuery.properties.PageSize, Page: listMessagesQuery.properties.Page, PageToken: listMessagesQuery.properties.PageToken };
const pagingQuery = (filters: Record<string, object>) => ({ type: 'object', properties: { ...filters, ...pagingOnly } }) as const;

export const compatMedia = {
  type: 'object',
  required: ['sid', 'account_sid', 'parent_sid', 'content_type', 'date_created', 'date_updated', 'uri'],
  properties: { sid: str, account_sid: str, parent_sid: { type: 'string', description: 'The message sid.' }, content_type: str, date_created: rfc2822, date_updated: rfc2822, uri: str },
} as const;

const mediaParams = { type: 'object', properties: { AccountSid: accountParams.properties.AccountSid, MessageSid: { type: 'string' }, Sid: { type: 'string', description: 'The media sid.' } }, required: ['AccountSid', 'MessageSid', 'Sid'] } as const;

export const listMediaSchema = {
  summary: "List a message's media",
  tags,
  params: sidParams('MessageSid', 'The message sid.'),
  querystring: { type: 'object', properties: { DateCreated: { type: 'string' }, 'DateCreated<': { type: 'string' }, 'DateCreated>': { type: 'string' }, ...pagingOnly } },
  response: { 200: compatPageOf('media_list', compatMedia), ...errors },
} as const;
export const fetchMediaSchema = { summary: 'Fetch a media item (its record with `.json`; without, a redirect to the media)', tags, params: mediaParams, response: { 200: compatMedia, 302: { type: 'null', description: 'Without `.json`: a redirect to the media URL.' }, ...errors } } as const;
/** Twilio's Feedback subresource (twilio.com/docs/messaging/api/message-feedback-resource): accepted, not kept. */
export const compatFeedback = {
  type: 'object',
  required: ['account_sid', 'message_sid', 'outcome', 'date_created', 'date_updated', 'uri'],
  properties: { account_sid: str, message_sid: str, outcome: { type: 'string', enum: ['confirmed', 'unconfirmed'] }, date_created: rfc2822, date_updated: rfc2822, uri: str },
} as const;
export const createFeedbackSchema = {
  summary: 'Report that the recipient acted on a message (accepted and acknowledged; Switchboard keeps no deliverability statistics)',
  tags,
  consumes: FORM,
  params: sidParams('MessageSid', 'The message sid.'),
  body: { type: 'object', properties: { Outcome: { type: 'string', enum: ['confirmed', 'unconfirmed'], description: 'Default confirmed.' } } },
  response: { 201: compatFeedback, ...errors },
} as const;
export const deleteMediaSchema = { summary: 'Delete a media item', tags, params: mediaParams, response: { 204: { type: 'null', description: 'Deleted.' }, ...errors } } as const;

const nullField = (description: string) => ({ type: 'null', description }) as const;
const noVoice = nullField('Always null: Switchboard handles messaging only.');

/** The voice fields of an application, the same for every one: there is no voice (docs/api/compat.md). */
const APPLICATION_NO_VOICE = {
  voice_url: noVoice,
  voice_method: noVoice,
  voice_fallback_url: noVoice,
  voice_fallback_method: noVoice,
  voice_caller_id_lookup: { type: 'boolean', enum: [false] },
  status_callback: nullField("Always null: an application's status_callback is for calls; messages report to message_status_callback."),
  status_callback_method: noVoice,
  public_application_connect_enabled: { type: 'boolean', enum: [false] },
} as const;

export const compatApplication = {
  type: 'object',
  required: ['sid', 'account_sid', 'api_version', 'friendly_name', 'sms_url', 'sms_method', 'sms_fallback_url', 'sms_fallback_method', 'sms_status_callback', 'message_status_callback', 'date_created', 'date_updated', 'uri', ...(Object.keys(APPLICATION_NO_VOICE) as Array<keyof typeof APPLICATION_NO_VOICE>)],
  properties: {
    sid: str,
    account_sid: str,
    api_version: { type: 'string', enum: ['2010-04-01'] },
    friendly_name: str,
    sms_url: nullableStr,
    sms_method: method,
    sms_fallback_url: nullableStr,
    sms_fallback_method: method,
    sms_status_callback: nullableStr,
    message_status_callback: { ...nullableStr, description: 'The same URL as sms_status_callback, under its current Twilio name.' },
    date_created: rfc2822,
    date_updated: rfc2822,
    uri: str,
    ...APPLICATION_NO_VOICE,
  },
} as const;

const applicationForm = {
  type: 'object',
  properties: {
    FriendlyName: str,
    ApiVersion: apiVersion,
    SmsUrl: { type: 'string', description: 'Where inbound messages of numbers using this application are sent (cXML webhook).' },
    SmsMethod: method,
    SmsFallbackUrl: { type: 'string', description: 'Tried when SmsUrl fails.' },
    SmsFallbackMethod: method,
    SmsStatusCallback: { type: 'string', description: 'Receives the status callbacks of messages created with this ApplicationSid.' },
    MessageStatusCallback: { type: 'string', description: "Twilio's current name for SmsStatusCallback (the same URL); wins when both are given." },
  },
} as const;

const applicationParams = sidParams('Sid', 'The application sid.');

export const createApplicationSchema = { summary: 'Create a cXML application', tags, consumes: FORM, params: accountParams, body: applicationForm, response: { 201: compatApplication, ...errors } } as const;
export const listApplicationsSchema = { summary: 'List cXML applications', tags, params: accountParams, querystring: { type: 'object', properties: { FriendlyName: str, ...pagingOnly } }, response: { 200: compatPageOf('applications', compatApplication), ...errors } } as const;
export const fetchApplicationSchema = { summary: 'Fetch a cXML application', tags, params: applicationParams, response: { 200: compatApplication, ...errors } } as const;
export const updateApplicationSchema = { summary: 'Update a cXML application', tags, consumes: FORM, params: applicationParams, body: applicationForm, response: { 200: compatApplication, ...errors } } as const;
export const deleteApplicationSchema = { summary: 'Delete a cXML application', tags, params: applicationParams, response: { 204: { type: 'null', description: 'Deleted.' }, ...errors } } as const;

/** Twilio's IncomingPhoneNumber fields that say the same of every number here (docs/api/compat.md). */
const INCOMING_NUMBER_FIXED = {
  origin: { type: 'string', enum: ['hosted'], description: "Always `hosted`: the operator's own number, registered rather than bought (Twilio's `twilio` is a number from its inventory)." },
  status: { type: 'string', enum: ['in-use'], description: 'Always `in-use`: a released number is deleted.' },
  beta: { type: 'boolean', enum: [false] },
  type: { type: 'string', enum: ['local', 'toll-free', 'short-code'] },
  address_requirements: { type: 'string', enum: ['none'] },
  address_sid: nullField('Always null: no addresses.'),
  identity_sid: nullField('Always null: no identities.'),
  bundle_sid: nullField('Always null: no regulatory bundles.'),
  trunk_sid: noVoice,
  emergency_status: { type: 'string', enum: ['Inactive'], description: 'Always `Inactive`: no voice, so no emergency calling.' },
  emergency_address_sid: noVoice,
  emergency_address_status: { type: 'string', enum: ['unregistered'] },
  voice_url: noVoice,
  voice_method: noVoice,
  voice_fallback_url: noVoice,
  voice_fallback_method: noVoice,
  voice_application_sid: noVoice,
  voice_caller_id_lookup: { type: 'boolean', enum: [false] },
  voice_receive_mode: noVoice,
  status_callback: nullField("Always null: Twilio's number status_callback is for calls; a message's status callback is its own StatusCallback."),
  status_callback_method: noVoice,
} as const;

export const compatIncomingPhoneNumber = {
  type: 'object',
  required: ['sid', 'account_sid', 'api_version', 'friendly_name', 'phone_number', 'capabilities', 'sms_url', 'sms_method', 'sms_fallback_url', 'sms_fallback_method', 'sms_application_sid', 'date_created', 'date_updated', 'uri', ...(Object.keys(INCOMING_NUMBER_FIXED) as Array<keyof typeof INCOMING_NUMBER_FIXED>)],
  properties: {
    sid: str,
    account_sid: str,
    api_version: { type: 'string', enum: ['2010-04-01'] },
    friendly_name: str,
    phone_number: str,
    capabilities: { type: 'object', properties: { voice: { type: 'boolean' }, sms: { type: 'boolean' }, mms: { type: 'boolean' }, fax: { type: 'boolean' } } },
    sms_url: nullableStr,
    sms_method: method,
    sms_fallback_url: nullableStr,
    sms_fallback_method: method,
    sms_application_sid: nullableStr,
    date_created: rfc2822,
    date_updated: rfc2822,
    uri: str,
    ...INCOMING_NUMBER_FIXED,
  },
} as const;

const incomingNumberForm = {
  type: 'object',
  properties: {
    FriendlyName: str,
    ApiVersion: apiVersion,
    SmsUrl: { type: 'string', description: 'cXML webhook for inbound messages (sets the handler to laml_webhooks; "" clears it).' },
    SmsMethod: method,
    SmsFallbackUrl: str,
    SmsFallbackMethod: method,
    SmsApplicationSid: { type: 'string', description: 'A cXML application for inbound messages (sets the handler to laml_application; "" clears it).' },
  },
} as const;

const numberParams = sidParams('Sid', 'The phone number sid.');

export const createIncomingNumberSchema = {
  summary: 'Register a phone number ("buy")',
  tags,
  consumes: FORM,
  params: accountParams,
  body: { type: 'object', required: ['PhoneNumber'], properties: { PhoneNumber: { type: 'string', description: 'E.164.' }, ...incomingNumberForm.properties } },
  response: { 201: compatIncomingPhoneNumber, ...errors },
} as const;
export const listIncomingNumbersSchema = {
  summary: 'List your phone numbers',
  tags,
  params: accountParams,
  querystring: pagingQuery({
    PhoneNumber: { type: 'string', description: 'Part of the number.' },
    FriendlyName: { type: 'string', description: 'The whole friendly_name (the name, or the number of one registered without a name).' },
    Origin: { type: 'string', description: '`hosted` (every number here) lists all; `twilio` or `signalwire` (the providers’ own numbers) none; another value 10000.' },
    Beta: { type: 'string', description: '`true` or `false` (include numbers new to the platform): no number here is, so neither hides any; another value 10000.' },
  }),
  response: { 200: compatPageOf('incoming_phone_numbers', compatIncomingPhoneNumber), ...errors },
} as const;
export const fetchIncomingNumberSchema = { summary: 'Fetch a phone number', tags, params: numberParams, response: { 200: compatIncomingPhoneNumber, ...errors } } as const;
export const updateIncomingNumberSchema = { summary: "Update a phone number's messaging settings", tags, consumes: FORM, params: numberParams, body: incomingNumberForm, response: { 200: compatIncomingPhoneNumber, ...errors } } as const;
export const releaseIncomingNumberSchema = { summary: 'Release (delete) a phone number', tags, params: numberParams, response: { 204: { type: 'null', description: 'Released.' }, ...errors } } as const;

export const compatShortCode = {
  type: 'object',
  required: ['sid', 'account_sid', 'api_version', 'friendly_name', 'short_code', 'sms_url', 'sms_method', 'sms_fallback_url', 'sms_fallback_method', 'date_created', 'date_updated', 'uri'],
  properties: {
    sid: str,
    account_sid: str,
    api_version: { type: 'string', enum: ['2010-04-01'] },
    friendly_name: str,
    short_code: str,
    sms_url: nullableStr,
    sms_method: method,
    sms_fallback_url: nullableStr,
    sms_fallback_method: method,
    date_created: rfc2822,
    date_updated: rfc2822,
    uri: str,
  },
} as const;

const shortCodeForm = {
  type: 'object',
  properties: { FriendlyName: str, ApiVersion: apiVersion, SmsUrl: incomingNumberForm.properties.SmsUrl, SmsMethod: method, SmsFallbackUrl: str, SmsFallbackMethod: method },
} as const;
const shortCodeParams = sidParams('Sid', 'The short code sid (its phone number id).');

export const listShortCodesSchema = {
  summary: 'List your short codes',
  tags,
  params: accountParams,
  querystring: pagingQuery({ ShortCode: { type: 'string', description: "Part of the code ('*' for any one digit)." }, FriendlyName: { type: 'string', description: 'The whole friendly_name (the name, or the number of one registered without a name).' } }),
  response: { 200: compatPageOf('short_codes', compatShortCode), ...errors },
} as const;
export const fetchShortCodeSchema = { summary: 'Fetch a short code', tags, params: shortCodeParams, response: { 200: compatShortCode, ...errors } } as const;
export const updateShortCodeSchema = { summary: "Update a short code's messaging settings", tags, consumes: FORM, params: shortCodeParams, body: shortCodeForm, response: { 200: compatShortCode, ...errors } } as const;

export const compatAccount = {
  type: 'object',
  required: ['sid', 'owner_account_sid', 'friendly_name', 'status', 'type', 'auth_token', 'date_created', 'date_updated', 'uri', 'subresource_uris'],
  properties: {
    sid: { type: 'string', description: 'Your project id.' },
    owner_account_sid: str,
    friendly_name: { type: 'string', description: 'The project name.' },
    status: { type: 'string', enum: ['active'] },
    type: { type: 'string', enum: ['Full'] },
    auth_token: { type: 'null', description: 'Never given: API tokens are stored hashed.' },
    date_created: rfc2822,
    date_updated: rfc2822,
    uri: str,
    subresource_uris: { type: 'object', properties: { messages: str, incoming_phone_numbers: str, applications: str } },
  },
} as const;

export const listAccountsSchema = { summary: 'List accounts: the project you authenticate as', tags, querystring: { type: 'object', properties: { FriendlyName: str, Status: str, ...pagingOnly } }, response: { 200: compatPageOf('accounts', compatAccount), ...errors } } as const;
export const fetchAccountSchema = { summary: 'Fetch your account (the project)', tags, params: accountParams, response: { 200: compatAccount, ...errors } } as const;
export const updateAccountSchema = {
  summary: 'Rename your account (the project); needs the `management` scope',
  tags,
  consumes: FORM,
  params: accountParams,
  body: { type: 'object', properties: { FriendlyName: { type: 'string', description: 'The new name, 1 to 64 characters.' }, Status: { type: 'string', description: 'Only `active`: the project is never suspended or closed here.' } } },
  response: { 200: compatAccount, ...errors },
} as const;

/** Searches for numbers to buy: there is no inventory, so their lists are always empty. */
const availableParams = { type: 'object', properties: { AccountSid: accountParams.properties.AccountSid, CountryCode: { type: 'string', description: 'ISO 3166-1 alpha-2 country code, e.g. `US`.' }, Type: { type: 'string', enum: ['Local', 'TollFree', 'Mobile', 'National', 'Voip', 'SharedCost', 'MachineToMachine'] } }, required: ['AccountSid', 'CountryCode', 'Type'] } as const;
export const listAvailableCountriesSchema = { summary: 'List the countries with numbers to buy: none (there is no inventory)', tags, params: accountParams, querystring: pagingQuery({}), response: { 200: compatPageOf('countries', { type: 'object' }), ...errors } } as const;
export const searchAvailableNumbersSchema = { summary: 'Search for numbers to buy: always an empty list (there is no inventory; register the numbers you own)', tags, params: availableParams, querystring: pagingQuery({ AreaCode: { type: 'string', description: 'Three digits (else 400, 21451, as on Twilio); accepted, not applied (as every other search parameter Twilio and SignalWire document).' }, Contains: str, SmsEnabled: str, MmsEnabled: str }), response: { 200: compatPageOf('available_phone_numbers', { type: 'object' }), ...errors } } as const;

/**
 * The one error catalogue of Switchboard.
 *
 * Every error the platform can report is defined here once, with how each surface names it:
 * the native REST code string (`invalid_to_number`), the Compatibility API numeric code
 * (SignalWire's meanings, which differ from Twilio's for some numbers; Twilio's where SignalWire's
 * list leaves the choice open and Twilio documents one code: those entries say `twilioMeaning`), the HTTP status each
 * REST surface answers with, and the RELAY result code. Each surface has exactly one
 * formatter that reads this table; nothing else invents error codes or texts.
 */

/** Which part of the system an error belongs to. */
export type ErrorCategory = 'request' | 'auth' | 'delivery' | 'webhook' | 'server';

/** One entry of the catalogue. */
export interface ErrorDefinition {
  /** Default human-readable text (surfaces may substitute the offending value). */
  readonly message: string;
  /** Native REST code, also used as the RELAY `reason` and the native `error_code` text form. */
  readonly native: string;
  /** Native error `type` (`validation_error` or `account_error`). */
  readonly nativeType: 'validation_error' | 'account_error';
  /** HTTP status on the native REST surface. */
  readonly nativeHttp: number;
  /** Compatibility API numeric code (SignalWire meaning, or Twilio's where SignalWire's list leaves it open). */
  readonly compat: number;
  /** HTTP status on the Compatibility API. */
  readonly compatHttp: number;
  /**
   * Whether `compat` is used in Twilio's meaning, taken from Twilio's documentation (as the comment
   * at the entry or its section says; Twilio's test credentials too): the Compatibility API's
   * `more_info` then links Twilio's page for the code, as Twilio's API does, rather than SignalWire's
   * list, which lacks most of these codes or gives them another meaning.
   */
  readonly twilioMeaning: boolean;
  /** RELAY application result code (a string, as the wire wants). */
  readonly relay: string;
  /** Default attribute the error is about (`base` for object-level errors), if any. */
  readonly attribute: string | null;
  /** Whether retrying the same request later may succeed. */
  readonly retryable: boolean;
  readonly category: ErrorCategory;
}

function def(
  native: string,
  compat: number,
  message: string,
  opts: Partial<Omit<ErrorDefinition, 'native' | 'compat' | 'message'>> = {},
): ErrorDefinition {
  return {
    message,
    native,
    compat,
    nativeType: opts.nativeType ?? 'validation_error',
    nativeHttp: opts.nativeHttp ?? 422,
    compatHttp: opts.compatHttp ?? 400,
    twilioMeaning: opts.twilioMeaning ?? false,
    relay: opts.relay ?? '400',
    attribute: opts.attribute ?? null,
    retryable: opts.retryable ?? false,
    category: opts.category ?? 'request',
  };
}

function delivery(native: string, compat: number, message: string, opts: { retryable?: boolean; twilioMeaning?: boolean } = {}): ErrorDefinition {
  return def(native, compat, message, { category: 'delivery', nativeHttp: 200, compatHttp: 200, relay: '200', ...opts });
}

/** The option of an entry whose Compatibility API code is used in Twilio's meaning. */
const TWILIO = { twilioMeaning: true } as const;

/** The catalogue, keyed by a stable name used in code. */
export const ERRORS = {
  // --- authentication, authorization, generic request problems -------------------------
  UNAUTHORIZED: def('unauthorized', 20003, 'Authentication failed: use HTTP Basic auth with your project ID as the user name and an API token as the password.', { nativeHttp: 401, compatHttp: 401, relay: '401', category: 'auth' }),
  FORBIDDEN: def('forbidden', 20003, 'This API token does not have the scope this endpoint needs.', { nativeHttp: 403, compatHttp: 401, relay: '403', category: 'auth' }),
  NOT_FOUND: def('not_found', 20404, 'The requested resource was not found.', { nativeHttp: 404, compatHttp: 404, relay: '404' }),
  // A path that cannot be decoded (a malformed %-escape) names no resource: Twilio's 20404 on the
  // Compatibility API, a plain 400 on the native API.
  URL_MALFORMED: def('malformed_url', 20404, 'The request path is not a valid URL: it has a malformed %-escape.', { nativeHttp: 400, compatHttp: 404, relay: '400' }),
  // A path segment longer than any id (Fastify's maxParamLength, 100) names no resource either.
  PATH_SEGMENT_TOO_LONG: def('uri_too_long', 20404, 'A path segment is longer than any id (at most 100 characters).', { nativeHttp: 414, compatHttp: 404, relay: '414' }),
  // A path that names a resource, with a method it does not take (Twilio's 20004): the answer says which it takes (Allow).
  METHOD_NOT_ALLOWED: def('method_not_allowed', 20004, 'This resource does not take that method.', { nativeHttp: 405, compatHttp: 405, relay: '405', twilioMeaning: true }),
  MALFORMED_BODY: def('bad_request', 10000, 'The request body could not be parsed.', { nativeHttp: 400 }),
  UNSUPPORTED_CONTENT_TYPE: def('unsupported_content_type', 10000, 'Unsupported Content-Type.', { nativeHttp: 415, compatHttp: 415 }),
  BODY_TOO_LARGE: def('request_body_too_large', 10000, 'The request body is larger than this server accepts.', { nativeHttp: 413, compatHttp: 413 }),
  INVALID_PARAMETER: def('invalid_parameter', 10000, 'A parameter has an invalid value.'),
  // Answered by the HTTP server itself, before a request reaches any surface (docs/deploy.md, Limits).
  REQUEST_TIMEOUT: def('request_timeout', 10000, 'The request was not received in time: send the headers and the body promptly.', { nativeHttp: 408, compatHttp: 408, relay: '408' }),
  HEADERS_TOO_LARGE: def('request_header_fields_too_large', 10000, 'The request headers are larger than this server accepts (16 KB in all).', { nativeHttp: 431, compatHttp: 431, relay: '431' }),
  MALFORMED_REQUEST: def('bad_request', 10000, 'The request is not valid HTTP/1.1.', { nativeHttp: 400 }),
  // Plain HTTP on the HTTPS port: answered before TLS, as nginx does, instead of a dropped connection.
  PLAIN_HTTP_ON_HTTPS_PORT: def('bad_request', 10000, 'This port speaks HTTPS, not plain HTTP: send the request to its https:// URL.', { nativeHttp: 400 }),
  RATE_LIMITED: def('rate_limit_exceeded', 20429, 'Too many requests; slow down and retry.', { nativeHttp: 429, compatHttp: 429, relay: '429', retryable: true, nativeType: 'account_error' }),
  UNAVAILABLE: def('service_unavailable', 20503, 'The service is temporarily unable to accept requests; retry shortly.', { nativeHttp: 503, compatHttp: 503, relay: '503', retryable: true, category: 'server', nativeType: 'account_error' }),
  INTERNAL: def('internal_error_occurred', 20504, 'An internal error occurred.', { nativeHttp: 500, compatHttp: 500, relay: '500', retryable: true, category: 'server', nativeType: 'account_error' }),

  // --- sending: destination -----------------------------------------------------------
  TO_REQUIRED: def('invalid_to_number', 21604, "A 'To' phone number is required.", { attribute: 'to' }),
  TO_INVALID: def('invalid_to_number', 21211, "The 'To' number is not a valid phone number (E.164: + followed by 5 to 17 digits).", { attribute: 'to' }),
  // Twilio's 21266 (twilio.com/docs/api/errors/21266): a number texting itself would loop back to
  // itself (and to its own webhook's replies).
  TO_SAME_AS_FROM: def('invalid_to_number', 21266, "'To' and 'From' numbers cannot be the same.", { attribute: 'to', twilioMeaning: true }),

  // --- sending: sender ----------------------------------------------------------------
  // Twilio's 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message"
  // (twilio.com/docs/api/errors/21603); SignalWire lists 21603 for a missing From too. Twilio's 21705
  // is a MessagingServiceSid of the wrong pattern, which code written for Twilio would not look for here.
  FROM_REQUIRED: def('invalid_from_number', 21603, "A 'From' number (or a number group) is required.", { attribute: 'from', twilioMeaning: true }),
  FROM_INVALID: def('invalid_from_number', 21212, "The 'From' number is not a valid E.164 phone number or short code.", { attribute: 'from' }),
  FROM_NOT_OWNED: def('invalid_from_number', 21210, 'From must be a valid purchased phone number or short code of your project.', { attribute: 'from', relay: '403' }),
  FROM_MISSING_CAPABILITY: def('missing_messaging_capability', 21601, "The 'From' number is not capable of sending this kind of message (SMS/MMS).", { attribute: 'from' }),

  // --- sending: content ---------------------------------------------------------------
  BODY_OR_MEDIA_REQUIRED: def('body_or_media_required', 21602, 'A message body or at least one media URL is required.', { attribute: 'body' }),
  BODY_INVALID: def('invalid_message_body', 10000, 'The message body must be a string.', { attribute: 'body' }),
  BODY_TOO_LONG: def('character_limit_exceeded', 21617, 'The message body exceeds the 1600 character limit.', { attribute: 'body' }),
  MEDIA_LIMIT_EXCEEDED: def('media_limit_exceeded', 21623, 'Too many media URLs: the limit is currently 8.', { attribute: 'media' }),
  MEDIA_URL_INVALID: def('invalid_media_url', 21620, 'Every media URL must be an absolute http or https URL of at most 2048 characters, its host name at most 253 characters in labels of at most 63.', { attribute: 'media' }),
  SEND_AS_MMS_INVALID: def('invalid_parameter', 10000, 'send_as_mms must be a boolean.', { attribute: 'send_as_mms' }),
  // Twilio's 21609, "Invalid 'StatusCallback'" (twilio.com/docs/api/errors/21609); its 21456 is the
  // callback URL of a caller ID validation, not of a message.
  STATUS_CALLBACK_INVALID: def('not_an_http_url', 21609, 'The status callback must be an absolute http or https URL of at most 2048 characters, its host name at most 253 characters in labels of at most 63.', { attribute: 'status_callback', twilioMeaning: true }),
  URL_UNSAFE: def('url_is_unsafe', 21402, 'The URL points at a private or internal network, which this server is configured to refuse.', { attribute: 'status_callback' }),
  VALIDITY_PERIOD_INVALID: def('invalid_validity_period', 21624, 'The validity period must be a whole number of seconds from 1 to 172800.', { attribute: 'validity_period' }),

  // --- sending: custom variables (native) ---------------------------------------------
  CUSTOM_VARIABLES_NOT_OBJECT: def('must_be_object', 10000, 'custom_variables must be an object of string values.', { attribute: 'custom_variables' }),
  TOO_MANY_CUSTOM_VARIABLES: def('too_many_custom_variables', 10000, 'At most 20 custom variables are allowed.', { attribute: 'custom_variables' }),
  CUSTOM_VARIABLE_NAME_INVALID: def('invalid_custom_variable_name', 10000, 'Custom variable names must match ^[A-Za-z_][A-Za-z0-9_]*$.', { attribute: 'custom_variables' }),
  CUSTOM_VARIABLE_NAME_RESERVED: def('reserved_custom_variable_name', 10000, 'Custom variable names may not start with signalwire_, sw_, rtc_ or internal_.', { attribute: 'custom_variables' }),
  CUSTOM_VARIABLE_VALUE_INVALID: def('invalid_custom_variable_value', 10000, 'Custom variable values must be non-empty strings.', { attribute: 'custom_variables' }),
  CUSTOM_VARIABLE_VALUE_TOO_LONG: def('custom_variable_value_too_long', 10000, 'Custom variable values may be at most 1024 bytes.', { attribute: 'custom_variables' }),

  // --- per-sender queues and scheduled messages (Twilio's codes: docs/guides/sending-real-traffic.md) ---
  QUEUE_OVERFLOW: def('queue_overflow', 21611, "The sender's queue already holds more than its limit (the messages it can send at its rate in the queue window); try again later or send from another number.", { attribute: 'from', retryable: true, twilioMeaning: true }),
  SCHEDULE_TYPE_INVALID: def('invalid_schedule_type', 35126, "ScheduleType must be 'fixed'.", { attribute: 'schedule_type', twilioMeaning: true }),
  SEND_AT_REQUIRED: def('send_at_required', 35111, "SendAt is required when ScheduleType is 'fixed'.", { attribute: 'send_at', twilioMeaning: true }),
  SEND_AT_INVALID: def('invalid_send_at', 35114, 'send_at must be an ISO-8601 date-time with a time zone, such as 2030-01-31T09:00:00Z, within the scheduling window (by default from 300 seconds to 35 days ahead).', { attribute: 'send_at', twilioMeaning: true }),
  MESSAGE_NOT_CANCELABLE: def('message_not_cancelable', 30409, 'Only a scheduled message can be canceled; this one has already left the schedule.', { attribute: 'status', twilioMeaning: true }),

  // --- redaction and deletion ---------------------------------------------------------
  REDACT_BODY_NOT_EMPTY: def('body_must_be_empty', 50509, 'To redact a message, set its body to the empty string; no other value is accepted.', { attribute: 'body' }),
  REDACT_IN_PROGRESS: def('cannot_redact_in_progress_message', 10000, 'A message that is still scheduled, queued or initiated cannot be redacted (cancel a scheduled message first).', { attribute: 'base' }),
  DELETE_IN_PROGRESS: def('cannot_delete_in_progress_message', 20009, 'A message that is still scheduled, queued or initiated cannot be deleted (cancel a scheduled message first).', { attribute: 'base' }),

  // --- listing ------------------------------------------------------------------------
  PAGE_TOKEN_REQUIRED: def('page_token_required_for_next_page', 54453, 'A page token is required to fetch a page after the first.', { attribute: 'page_token' }),
  PAGE_TOKEN_INVALID: def('page_token_is_invalid', 21481, 'The page token is not valid.', { attribute: 'page_token' }),
  PAGE_SIZE_INVALID: def('invalid_page_size', 54454, 'The page size must be a whole number from 1 to 1000.', { attribute: 'page_size' }),
  PAGE_NUMBER_INVALID: def('invalid_page_number', 10000, 'The page number must be a whole number from 0 to 1000000000.', { attribute: 'page_number' }),
  DATETIME_REQUIRED: def('datetime_required', 10000, 'The value must be a date (YYYY-MM-DD) or an ISO-8601 date-time.', { attribute: 'created_at' }),
  FILTER_INVALID: def('invalid_filter', 10000, 'A filter has an invalid value.'),

  // --- Compatibility API: request-level checks ----------------------------------------
  ACCOUNT_MISMATCH: def('account_sid_mismatch', 20003, 'The AccountSid in the URL is not the project you authenticated as.', { nativeHttp: 401, compatHttp: 401, relay: '401', category: 'auth', attribute: 'AccountSid' }),
  APPLICATION_INVALID: def('invalid_application', 21218, 'The ApplicationSid is not a cXML application of your project.', { attribute: 'application_sid' }),
  // Twilio's code for an account at its limit of (1,000) applications: https://www.twilio.com/docs/api/errors/21301
  APPLICATION_LIMIT_REACHED: def('application_limit_reached', 21301, 'The project already has the most cXML applications a project may have.', { attribute: 'base', nativeType: 'account_error', twilioMeaning: true }),
  MAX_PRICE_INVALID: def('invalid_max_price', 10000, 'MaxPrice must be a decimal amount in USD with at most 4 decimals, such as 0.05.', { attribute: 'max_price' }),

  // --- number groups (compat MessagingServiceSid) --------------------------------------
  NUMBER_GROUP_INVALID: def('invalid_number_group', 21701, 'The number group (MessagingServiceSid) does not exist in your project.', { attribute: 'messaging_service_sid' }),
  // A MessagingServiceSid that cannot be a group id (not a UUID, such as Twilio's MG…): Twilio's 21705,
  // "The Messaging Service is invalid" for a sid not matching the pattern (twilio.com/docs/api/errors/21705).
  NUMBER_GROUP_ID_MALFORMED: def('invalid_number_group', 21705, 'The number group id (MessagingServiceSid) is not a number group id: those are UUIDs.', { attribute: 'messaging_service_sid', twilioMeaning: true }),
  NUMBER_GROUP_NO_CAPABLE_NUMBER: def('no_capable_number_in_group', 21703, 'The number group has no number capable of sending this kind of message.', { attribute: 'messaging_service_sid' }),
  NUMBER_GROUP_FIELD_INVALID: def('invalid_attribute', 10000, 'A number group field has an invalid value.'),
  NUMBER_ALREADY_IN_GROUP: def('number_already_in_group', 10000, 'This phone number is already a member of the number group.', { attribute: 'phone_number_id' }),
  // Twilio's limit of a Messaging Service's sender pool, and its code: https://www.twilio.com/docs/api/errors/21714
  NUMBER_GROUP_FULL: def('number_group_full', 21714, 'The number group already has the most members a group may have.', { attribute: 'phone_number_id', twilioMeaning: true }),
  // Twilio's code for an account at its limit of Messaging Services: https://www.twilio.com/docs/api/errors/30995
  NUMBER_GROUP_LIMIT_REACHED: def('number_group_limit_reached', 30995, 'The project already has the most number groups a project may have.', { attribute: 'base', nativeType: 'account_error', twilioMeaning: true }),

  // --- phone numbers ------------------------------------------------------------------
  NUMBER_INVALID: def('invalid_number', 21421, 'The phone number must be E.164 (+ followed by digits) or a 5 to 6 digit short code.', { attribute: 'number' }),
  NUMBER_TAKEN: def('number_already_registered', 21422, 'This phone number is already registered on this server.', { attribute: 'number' }),
  NUMBER_FIELD_INVALID: def('invalid_attribute', 10000, 'A phone number field has an invalid value.'),
  // A number's or a cXML application's SmsUrl / SmsFallbackUrl (native message_request_url,
  // message_fallback_url) that is not a URL a webhook could be sent to. Twilio's code for a phone
  // number's URL handler that is not a valid URL ("Invalid Url"): https://www.twilio.com/docs/api/errors/21402
  WEBHOOK_URL_INVALID: def('invalid_attribute', 21402, 'A webhook URL must be an absolute http or https URL of at most 2048 characters, its host name at most 253 characters in labels of at most 63.', TWILIO),
  // An AvailablePhoneNumbers search whose AreaCode is not a three-digit area code: Twilio's 21451,
  // "the AreaCode parameter you specified was not a valid North American area code"
  // (https://www.twilio.com/docs/errors/21451).
  AREA_CODE_INVALID: def('invalid_parameter', 21451, 'AreaCode must be a three-digit North American area code, such as 510.', { attribute: 'AreaCode', twilioMeaning: true }),
  // Twilio and SignalWire document no limit on an account's numbers, so no code of theirs: the generic one.
  NUMBER_LIMIT_REACHED: def('phone_number_limit_reached', 10000, 'The project already has the most phone numbers a project may have.', { attribute: 'base', nativeType: 'account_error' }),
  // A number's application must be one of the project's own: another project's answers as an unknown
  // one. Twilio's code for configuring a number with an Application SID that does not exist or does
  // not belong to the account: https://www.twilio.com/docs/api/errors/22108
  // An IncomingPhoneNumbers update whose AccountSid names another account: Twilio moves the number
  // there when it is a subaccount or the parent, and answers 21473 when it is neither
  // (https://www.twilio.com/docs/errors/21473). A project has no related accounts, so every other one is unrelated.
  NUMBER_TRANSFER_UNRELATED: def('number_transfer_not_supported', 21473, 'The account to move the number to is not related to the project: numbers cannot move to another project.', { attribute: 'account_sid', twilioMeaning: true }),
  NUMBER_APPLICATION_INVALID: def('invalid_application', 22108, 'The application is not a cXML application of your project.', { attribute: 'message_laml_application_id', twilioMeaning: true }),

  // --- delivery outcomes (asynchronous: reported in a message's error_code) -------------
  // Twilio's code for a message still in its queue when ValidityPeriod ran out (its 30001 is queue overflow).
  VALIDITY_EXPIRED: delivery('message_validity_period_expired', 30036, 'The message could not be sent before its validity period expired.', TWILIO),
  HANDSET_UNREACHABLE: delivery('unreachable_destination_handset', 30003, 'The destination handset is unreachable (switched off or out of coverage).'),
  CARRIER_BLOCKED: delivery('message_blocked_by_carrier', 30004, 'The destination carrier blocked the message (for example, the recipient opted out).'),
  HANDSET_UNKNOWN: delivery('unknown_destination_handset', 30005, 'The destination number is unknown or no longer in service.'),
  UNROUTABLE: delivery('unrouteable_message', 30006, 'The message could not be routed to the destination (landline or unreachable carrier).'),
  CARRIER_VIOLATION: delivery('carrier_violation', 30007, 'The carrier filtered the message content.'),
  UNKNOWN_DELIVERY_ERROR: delivery('unknown_error', 30008, 'The carrier reported an unknown error.'),
  VALIDITY_EXPIRED_AT_CARRIER: delivery('message_validity_period_expired_at_carrier', 30009, 'The message expired at the carrier before it could be delivered.'),
  MAX_PRICE_EXCEEDED: delivery('max_price_exceeded', 30010, 'The price of the message exceeds the MaxPrice given.'),
  MMS_FAILED: delivery('mms_expired_rejected_failed_or_unsupported', 30011, 'The MMS expired, was rejected, failed or is not supported by the destination.'),
  CARRIER_UNAVAILABLE: delivery('unable_to_deliver_to_carrier', 63011, 'The message could not be handed to the carrier.', { retryable: true }),
  // After the receipt deadline (`receipts.giveUpAfterMs`): no receipt came and the carrier could not
  // say. Twilio and SignalWire leave such a message `sent`; this ends it as their 30008 "Unknown error".
  RECEIPT_MISSING: delivery('delivery_receipt_missing', 30008, 'No delivery receipt came from the carrier, and it could not say whether the message was delivered, before the receipt deadline.'),

  // --- webhooks (asynchronous: reported in webhook attempt logs) ------------------------
  WEBHOOK_FAILED: def('webhook_request_failed', 11200, 'The webhook request failed or timed out.', { category: 'webhook', retryable: true }),
  WEBHOOK_RESPONSE_TOO_LARGE: def('webhook_response_too_large', 11750, 'The webhook response body exceeded 64 kB.', { category: 'webhook' }),
  CXML_PARSE_ERROR: def('cxml_parse_error', 12100, 'The webhook response is not a valid cXML document.', { category: 'webhook' }),
  // Twilio's warning 14109 (twilio.com/docs/api/errors/14109): at most 10 TwiML replies per incoming message.
  CXML_REPLY_LIMIT: def('cxml_reply_limit_exceeded', 14109, 'More than 10 cXML replies to one inbound message; the rest were not sent.', { category: 'webhook', twilioMeaning: true }),
  // Twilio's warning 14106 (twilio.com/docs/api/errors/14106): a message reply session requests at most 50 documents.
  CXML_DOCUMENT_LIMIT: def('cxml_document_limit_reached', 14106, 'More than 50 cXML documents for one inbound message; no more were requested.', { category: 'webhook', twilioMeaning: true }),
  WEBHOOK_NOT_RETRYABLE: def('webhook_not_retryable', 10000, 'Only a failed webhook delivery, or a pending one not being sent right now, can be retried.', { nativeHttp: 409, compatHttp: 409, relay: '409', attribute: 'base', category: 'webhook' }),
  WEBHOOK_NOT_REPLAYABLE: def('webhook_not_replayable', 10000, 'Only a delivered status callback can be replayed; retry a failed one instead.', { nativeHttp: 409, compatHttp: 409, relay: '409', attribute: 'base', category: 'webhook' }),

  // --- safe retries (Idempotency-Key; RELAY idempotency_key) ----------------------------
  IDEMPOTENCY_KEY_INVALID: def('invalid_idempotency_key', 10000, 'The idempotency key must be 1 to 255 printable ASCII characters.', { attribute: 'idempotency_key' }),
  IDEMPOTENCY_KEY_REUSED: def('idempotency_key_reused', 20422, 'This idempotency key was already used, within the last 24 hours, with a different request; send the original request again or use a new key.', { nativeHttp: 422, compatHttp: 422, relay: '422', attribute: 'idempotency_key' }),

  // --- test credentials: Twilio's magic numbers (engine/messages/test-credentials.ts) -----
  // Twilio's codes on both surfaces' numeric side, since a suite written for Twilio's test
  // credentials must see them (twilio.com/docs/iam/test-credentials).
  TEST_CREDENTIALS_FORBIDDEN: def('test_credentials_not_permitted', 20008, 'Test credentials can only send messages; use a live API token for this resource.', { nativeHttp: 403, compatHttp: 403, relay: '403', category: 'auth', nativeType: 'account_error', twilioMeaning: true }),
  TEST_FROM_NOT_OWNED: def('invalid_from_number', 21606, "The 'From' phone number is not a valid, message-capable number for test credentials: send from +15005550006.", { attribute: 'from', twilioMeaning: true }),
  TEST_FROM_QUEUE_FULL: def('max_queued_messages_exceeded', 21611, "The 'From' number's queue of outgoing messages is full.", { attribute: 'from', nativeType: 'account_error', twilioMeaning: true }),
  TEST_TO_UNROUTABLE: def('not_routable', 21612, "The 'To' phone number cannot be reached: there is no route to it.", { attribute: 'to', twilioMeaning: true }),
  TEST_TO_NO_PERMISSION: def('destination_number_not_supported', 21408, "Permission to send an SMS has not been enabled for the region of the 'To' number.", { attribute: 'to', twilioMeaning: true }),
  TEST_TO_BLOCKED: def('message_blocked_by_number', 21610, "The 'To' number has unsubscribed from your messages.", { attribute: 'to', twilioMeaning: true }),
  TEST_TO_NOT_SMS_CAPABLE: def('invalid_destination_number', 21614, "The 'To' number is not a mobile number: it cannot receive SMS.", { attribute: 'to', twilioMeaning: true }),

  // --- simulator ------------------------------------------------------------------------
  SIMULATOR_CLOCK_NOT_MANUAL: def('simulator_clock_not_manual', 10000, 'The simulator clock is the wall clock: start the server with SWITCHBOARD_SIMULATOR_CLOCK=manual (config simulator.clock: "manual") to read and move it.', { nativeHttp: 409, compatHttp: 409, relay: '409', attribute: 'base' }),

  // --- opt-outs and smart encoding (engine/messages/opt-outs.ts) ---------------------------
  // Twilio's 21610 (HTTP 400) for a handset that replied STOP: nothing is queued or sent.
  TO_OPTED_OUT: def('recipient_opted_out', 21610, "The 'To' number has opted out of messages from this sender (it replied STOP); nothing was sent. It opts back in by replying START.", { attribute: 'to', relay: '422', twilioMeaning: true }),
  SMART_ENCODED_INVALID: def('invalid_parameter', 10000, 'smart_encoded must be a boolean.', { attribute: 'smart_encoded' }),
  // Only adds through the API are refused: a handset's STOP is recorded however long the list. Twilio
  // and SignalWire document no limit on an opt-out list, so no code of theirs: the generic one.
  OPT_OUT_LIMIT_REACHED: def('opt_out_limit_reached', 10000, 'The project already has the most opt-out entries a project may add through the API.', { attribute: 'base', nativeType: 'account_error' }),

  // --- web console ----------------------------------------------------------------------
  CONSOLE_CSRF: def('csrf_token_missing', 20003, 'Changes made with a console session must carry its CSRF token in the X-Switchboard-CSRF header.', { nativeHttp: 403, compatHttp: 403, relay: '403', category: 'auth', nativeType: 'account_error' }),
  DEV_LOGIN_UNAVAILABLE: def('dev_login_unavailable', 20003, 'The dev login is available only on a zero-config server: bound to loopback, with no configured API token, reached at a loopback address.', { nativeHttp: 403, compatHttp: 403, relay: '403', category: 'auth', nativeType: 'account_error' }),
} as const satisfies Record<string, ErrorDefinition>;

/** Stable name of a catalogue entry. */
export type ErrorKey = keyof typeof ERRORS;

/** Look up a catalogue entry. */
export function errorDefinition(key: ErrorKey): ErrorDefinition {
  return ERRORS[key];
}

/** Find the catalogue key for a Compatibility API code (first match), e.g. to map carrier codes. */
export function errorKeyForCompatCode(code: number): ErrorKey | undefined {
  for (const key of Object.keys(ERRORS) as ErrorKey[]) {
    if (ERRORS[key].compat === code) return key;
  }
  return undefined;
}

/** One problem found while validating a request, before it is put into a surface's shape. */
export interface ErrorDetail {
  readonly key: ErrorKey;
  /** The field the problem is about, in the surface-neutral snake_case naming (`to`, `media`, ...). */
  readonly attribute: string | null;
  /** Text for this occurrence (defaults to the catalogue's message). */
  readonly message: string;
}

/**
 * JSON Schemas of the native surface: request bodies are checked structurally by them (types,
 * counts), the domain checks the meaning; responses are serialised through them.
 */
const str = { type: 'string' } as const;
const nullableStr = { type: ['string', 'null'] } as const;

/** Optional fields may be null, which means "not given". */
export const sendMessageBody = {
  type: 'object',
  properties: {
    to: str,
    from: str,
    body: nullableStr,
    media: { type: ['array', 'null'], items: str },
    send_as_mms: { type: ['boolean', 'null'] },
    status_callback: nullableStr,
    custom_variables: { type: ['object', 'null'] },
    smart_encoded: { type: ['boolean', 'null'] },
    send_at: nullableStr,
    validity_period: { type: ['number', 'null'] },
  },
} as const;

/** Any `body` value is accepted here: the route answers `body_must_be_empty` for all but "". */
export const redactMessageBody = { type: 'object' } as const;

export const messageResponse = {
  type: 'object',
  properties: {
    id: str,
    from: str,
    to: str,
    body: str,
    status: str,
    direction: str,
    kind: str,
    media: { type: 'array', items: str },
    number_of_segments: { type: 'integer' },
    error_code: nullableStr,
    error_message: nullableStr,
    created_at: str,
    project_id: str,
    status_callback_url: nullableStr,
    message_uri: str,
  },
} as const;

export const messageLogResponse = {
  type: 'object',
  properties: {
    id: str,
    from: str,
    to: str,
    status: str,
    direction: str,
    kind: str,
    source: str,
    type: str,
    url: nullableStr,
    number_of_segments: { type: 'integer' },
    charge: { type: 'number' },
    charge_details: { type: 'array', items: { type: 'object', properties: { description: str, charge: { type: 'number' } } } },
    created_at: str,
    error_code: nullableStr,
    error_message: nullableStr,
  },
} as const;

export const linksSchema = {
  type: 'object',
  properties: { self: str, first: str, next: str, prev: str },
} as const;

export const phoneNumberResponse = {
  type: 'object',
  properties: {
    id: str,
    number: str,
    name: nullableStr,
    capabilities: { type: 'array', items: str },
    number_type: str,
    country_code: nullableStr,
    created_at: str,
    updated_at: str,
    next_billed_at: nullableStr,
    message_handler: nullableStr,
    messaging_handler_resource_id: nullableStr,
    message_request_url: nullableStr,
    message_request_method: str,
    message_fallback_url: nullableStr,
    message_fallback_method: str,
    message_laml_application_id: nullableStr,
    message_relay_topic: nullableStr,
    message_relay_context: nullableStr,
    messages_per_second: { type: ['number', 'null'] },
  },
} as const;

/** A short code: the phone number record with SignalWire's `code_type` and `lease_duration`. */
export const shortCodeResponse = {
  type: 'object',
  properties: { ...phoneNumberResponse.properties, code_type: str, lease_duration: nullableStr },
} as const;

/** A number group (rest-apis §A.7), with the times SignalWire's memberships carry too. */
export const numberGroupResponse = {
  type: 'object',
  properties: { id: str, name: str, sticky_sender: { type: 'boolean' }, phone_number_count: { type: 'integer' }, created_at: str, updated_at: str },
} as const;

export const membershipResponse = {
  type: 'object',
  properties: {
    id: str,
    number_group_id: str,
    phone_number: { type: 'object', properties: { id: str, name: nullableStr, number: str, capabilities: { type: 'array', items: str } } },
    created_at: str,
    updated_at: str,
  },
} as const;

/** SignalWire's available number (its `relay-rest/phone-numbers` definition); the search here finds none. */
export const availableNumberResponse = {
  type: 'object',
  properties: { number: str, region: str, city: str, rate_center: str, lata: str, capabilities: { type: 'object', additionalProperties: { type: 'boolean' } } },
} as const;

/** A delete's answer: 204 and no body (also what the document tells generated clients). */
export const noContent = { 204: { type: 'null' } } as const;

export function pageOf(item: object) {
  return { type: 'object', properties: { links: linksSchema, data: { type: 'array', items: item } } } as const;
}

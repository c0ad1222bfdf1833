/**
 * JSON Schemas of the simulator's answers, for the OpenAPI document (`/api/openapi.json`). The
 * simulator writes its answers with JSON.stringify (see `simulator/plugin.ts`): these describe them.
 */
import { messageResponse } from '../native/schemas.js';

const str = { type: 'string' } as const;
const tags = ['Simulator'];

/** `{error, message}`: the simulator's errors (422 problems use the native messaging shape). */
const plainError = { type: 'object', required: ['error', 'message'], properties: { error: str, message: str } } as const;
const problems = {
  type: 'object',
  required: ['errors'],
  properties: { errors: { type: 'array', items: { type: 'object', properties: { type: str, code: str, message: str, attribute: { type: ['string', 'null'] }, url: str } } } },
} as const;

export const handsetMessage = {
  type: 'object',
  required: ['id', 'message_id', 'from', 'to', 'body', 'media', 'segments', 'received_at', 'code'],
  properties: {
    id: { type: 'string', description: 'Position in the inbox, sealed (it opens only in this project\'s inbox); pass it as `since` to see only later messages.' },
    message_id: str,
    from: str,
    to: str,
    body: str,
    media: { type: 'array', items: str },
    segments: { type: 'integer' },
    received_at: { type: 'string', description: 'ISO 8601.' },
    code: { type: ['string', 'null'], description: 'The one-time code found in the body: the first run of 4–8 digits, or what `code_pattern` matched.' },
  },
} as const;

export const listHandsetSchema = {
  summary: 'Messages the simulated handsets received, newest first',
  description: 'Query: `to`, `from`, `contains` (case-insensitive), `since` (the `id` of a message of the inbox: only later ones), `limit` (1–1000, default 100), `code_pattern` (a regular expression for `code`).',
  tags,
  response: { 200: { type: 'object', required: ['data'], properties: { data: { type: 'array', items: handsetMessage } } }, 401: plainError, 422: problems },
} as const;

export const clearHandsetSchema = {
  summary: "Empty the project's handset inbox",
  tags,
  response: { 200: { type: 'object', required: ['deleted'], properties: { deleted: { type: 'integer' } } }, 401: plainError },
} as const;

export const waitHandsetSchema = {
  summary: 'Wait for a message to reach a handset',
  description: 'The same filters as the inbox, and `timeout` in seconds (default 10, at most 120). Answers the first match, or 408 when none arrives in time.',
  tags,
  response: { 200: handsetMessage, 401: plainError, 408: plainError, 422: problems },
} as const;

export const inboundSchema = {
  summary: 'A handset sends a message to one of your numbers',
  description: 'Body: `from` (the phone, E.164), `to` (your number), `body`, `media` (URLs).',
  tags,
  response: { 201: messageResponse, 401: plainError, 422: problems },
} as const;

export const settingsSchema = {
  summary: "The simulator's settings for your project",
  tags,
  response: {
    200: {
      type: 'object',
      required: ['delay_ms', 'delayed_receipt_ms', 'mms_receipts', 'rules'],
      properties: {
        delay_ms: { type: 'integer' },
        delayed_receipt_ms: { type: 'integer' },
        mms_receipts: { type: 'boolean' },
        rules: { type: 'array', items: { type: 'object' } },
        magic_numbers: { type: 'array', items: { type: 'object' } },
      },
    },
    401: plainError,
  },
} as const;

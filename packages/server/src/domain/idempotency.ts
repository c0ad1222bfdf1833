/**
 * Safe retries of message creates: the `Idempotency-Key` header (native and Compatibility APIs) and
 * RELAY's `idempotency_key` parameter. A key is the client's; it is kept per project for 24 hours
 * with a fingerprint of the request it came with, so a retry of the same request gets the original
 * message back and a different request under the same key is refused (IETF draft
 * draft-ietf-httpapi-idempotency-key-header: 422 for a reused key).
 */
import { sendAtOf } from './schedule.js';
import { createHash } from 'node:crypto';
import { AppError } from './app-error.js';
import type { MessageRecord } from './message.js';
import type { SendInput } from './send-request.js';

/** How long a key names its message: a retry within this window sends nothing (ms). */
export const IDEMPOTENCY_WINDOW_MS = 24 * 3_600_000;

/** Longest key accepted (Stripe's limit). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/**
 * The key as a client sent it: 1 to 255 printable ASCII characters, in one header field (every
 * value is passed when it was repeated). A value written as a structured-field string (`"…"`, as
 * the IETF draft's examples do) is unquoted first.
 */
export function parseIdempotencyKey(raw: unknown): string {
  // The header given more than once: which key was meant cannot be told.
  if (Array.isArray(raw)) throw AppError.of('IDEMPOTENCY_KEY_INVALID', { message: 'The idempotency key must be given once (one Idempotency-Key header).' });
  let key = typeof raw === 'string' ? raw.trim() : raw;
  if (typeof key === 'string' && key.length >= 2 && key.startsWith('"') && key.endsWith('"')) key = key.slice(1, -1);
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH || !/^[\x20-\x7e]+$/.test(key)) throw AppError.of('IDEMPOTENCY_KEY_INVALID');
  return key;
}

/**
 * The fingerprint of a send request: SHA-256 of its surface-neutral parameters as canonical JSON —
 * keys sorted, absent fields dropped — so the same request retried matches whatever order or extra
 * fields its JSON had. Every field of `SendInput` counts but the origin and the RELAY context and
 * sender: a RELAY client retrying from a new session sends its new session's context (the SDKs
 * default to the session's protocol) from that session, and the retry is still the same message.
 */
export function requestFingerprint(input: SendInput): string {
  const { origin: _origin, context: _context, relaySender: _relaySender, ...rest } = input;
  return createHash('sha256').update(canonicalJson(rest), 'utf8').digest('hex');
}

/**
 * The message as the first request's answer showed it, for a retry's answer (Stripe's rule: a
 * retry gets the first result again): its state when it was accepted, `queued`. A message
 * redacted since is shown as it is now: erased text is never replayed.
 */
export function asAccepted(m: MessageRecord): MessageRecord {
  if (m.redactedAt !== null) return m;
  return { ...m, status: sendAtOf(m) !== null ? 'scheduled' : 'queued', errorCode: null, errorMessage: null, reason: null, carrier: null, carrierMessageId: null, price: null, updatedAt: m.createdAt, sentAt: null, deletedAt: null };
}

/** Deeper than any valid send request nests (media lists, custom variables): such a request fails validation anyway. */
const MAX_DEPTH = 8;

function canonicalJson(value: unknown, depth = 0): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (depth >= MAX_DEPTH) return '"\u0000too deep"';
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v, depth + 1)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v, depth + 1)}`).join(',')}}`;
}

/**
 * The id of a keyed send that keeps nothing (a test token's): the first 128 bits of SHA-256 over the project, the key and the
 * request's fingerprint, shaped as a UUID of version 8 (RFC 9562's custom layout). The same
 * request under the same key always gets the same id; another request under it gets another (a
 * live send would refuse it with 422, which needs the key stored: nothing is).
 */
export function keyedMessageId(projectId: string, key: string, fingerprint: string): string {
  const h = createHash('sha256').update(`${projectId}\u0000${key}\u0000${fingerprint}`, 'utf8').digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.toString('hex', 0, 16);
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

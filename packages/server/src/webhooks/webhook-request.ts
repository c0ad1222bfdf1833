import { createHash } from 'node:crypto';

/** A failed webhook exchange described for its attempt record. Used by `WebhookRunner`. */

export function describeFailure(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: string }).code;
    if (err.name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return `timeout (${code ?? err.name})`;
    return code ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

/**
 * The `I-Twilio-Idempotency-Token` of a delivery: the same on every attempt of it — a retry, a
 * re-drive, the send again after a crash (docs/deploy.md, callbacks at least once) — and different
 * for every other delivery, so a receiver can drop what it already processed. A UUID-shaped digest
 * of the project, the delivery's id and its creation time (ids alone could repeat in a database
 * started over).
 */
export function idempotencyToken(d: { readonly projectId: string; readonly id: number; readonly createdAt: number }): string {
  const h = createHash('sha256').update(`${d.projectId}:${d.id}:${d.createdAt}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

import { createHmac } from 'node:crypto';
import type { Clock } from '../domain/clock.js';
import type { ServerKeyRepository } from '../domain/ports/store.js';
import { newSealKey } from '../domain/position-seal.js';

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
 * for every other delivery, so a receiver can drop what it already processed. A UUID-shaped HMAC of
 * the project, the delivery's id and its creation time (ids alone could repeat in a database started
 * over), keyed with a key only the server knows: a plain digest let its receiver try ids until one
 * matched, and delivery ids count every project's deliveries.
 */
export function idempotencyToken(key: Buffer, d: { readonly projectId: string; readonly id: number; readonly createdAt: number }): string {
  const h = createHmac('sha256', key).update(`${d.projectId}:${d.id}:${d.createdAt}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Idempotency tokens keyed with the server key `webhook-idempotency` (server_keys: every node the same). */
export class IdempotencyTokens {
  private key: Promise<Buffer> | null = null;

  constructor(private readonly deps: { readonly keys: ServerKeyRepository; readonly clock: Clock }) {}

  async of(d: { readonly projectId: string; readonly id: number; readonly createdAt: number }): Promise<string> {
    this.key ??= this.deps.keys.getOrCreate('webhook-idempotency', newSealKey(), this.deps.clock.now()).then(
      (stored) => Buffer.from(stored, 'base64'),
      (err: unknown) => {
        // Storage did not answer: the next delivery asks again.
        this.key = null;
        throw err;
      },
    );
    return idempotencyToken(await this.key, d);
  }
}

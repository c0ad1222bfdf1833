import { backoffDelay, type BackoffPolicy } from '@switchboard/protocol';

/** Why a webhook is sent. */
export type WebhookKind = 'status_callback' | 'inbound_message' | 'message_action';

/** Outcome state of a webhook delivery in the outbox. */
export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';
export const WEBHOOK_DELIVERY_STATUSES: readonly WebhookDeliveryStatus[] = ['pending', 'delivered', 'failed'];

/** How the request is signed: hex HMAC over URL+raw body (JSON), or Base64 over URL+sorted params (form). */
export type SignatureScheme = 'json-hex' | 'form-base64';

/** A webhook request persisted in the outbox until it is delivered or given up. */
export interface WebhookDeliveryRecord {
  readonly id: number;
  readonly projectId: string;
  readonly messageId: string | null;
  readonly kind: WebhookKind;
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly contentType: string | null;
  /** The exact body (or query string for GET) to send. */
  readonly body: string;
  readonly signature: SignatureScheme;
  /** Where to go when the primary URL fails (cXML fallback). */
  readonly fallbackUrl: string | null;
  readonly fallbackMethod: 'GET' | 'POST' | null;
  readonly status: WebhookDeliveryStatus;
  readonly attempts: number;
  /**
   * `OUTBOX_RETRY_POLICY` (0): retried under the outbox's policy (a time window since `retryFrom`,
   * optionally capped in attempts); n > 0: exactly n attempts (cXML document fetches: 1, or 2 when
   * the second goes to the fallback URL).
   */
  readonly maxAttempts: number;
  readonly nextAttemptAt: number;
  /** Where the next attempt goes, as `host:port`: the key of per-destination limits and breakers. */
  readonly destination: string;
  /** Start of the retry window: when the delivery was created, or last re-driven. */
  readonly retryFrom: number;
  readonly lastStatusCode: number | null;
  readonly lastError: string | null;
  /** The node sending it right now, or null. */
  readonly leaseOwner: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/**
 * Where a claimed delivery's next attempt goes (as configured, `#ot=…` fragment included): the
 * last attempt of a delivery with a fallback URL and more than one attempt goes to the fallback.
 */
export function nextAttemptTarget(d: WebhookDeliveryRecord): { readonly url: string; readonly method: 'GET' | 'POST' } {
  const useFallback = d.fallbackUrl !== null && d.attempts + 1 >= d.maxAttempts && d.maxAttempts > 1;
  return useFallback ? { url: d.fallbackUrl!, method: d.fallbackMethod ?? 'POST' } : { url: d.url, method: d.method };
}

/** `maxAttempts` of a delivery retried under the outbox's policy (every status callback). */
export const OUTBOX_RETRY_POLICY = 0;

/** How the outbox retries status callbacks: until a window has passed, on a capped backoff. */
export interface WebhookRetryPolicy {
  /** How long after `retryFrom` a failing delivery is still retried. */
  readonly windowMs: number;
  /** Give up after this many attempts even inside the window (mimics a provider); null: the window only. */
  readonly maxAttempts: number | null;
  readonly backoff: BackoffPolicy;
}

/**
 * When failed attempt number `attempt` (1-based) of `d`, which began at `startedAt` and ended at
 * `now`, is retried, or null when the delivery is given up. Outbox-policy deliveries make a last
 * attempt when their window closes: an attempt that began before the close is followed by one at
 * the close (at once, when it ended after it), so the last attempt never begins before the close.
 */
export function nextRetryAt(d: WebhookDeliveryRecord, attempt: number, now: number, policy: WebhookRetryPolicy, startedAt = now): number | null {
  const delay = backoffDelay(policy.backoff, attempt - 1);
  if (d.maxAttempts !== OUTBOX_RETRY_POLICY) return attempt >= d.maxAttempts ? null : now + delay;
  if (policy.maxAttempts !== null && attempt >= policy.maxAttempts) return null;
  const closes = d.retryFrom + policy.windowMs;
  return startedAt >= closes ? null : Math.min(now + delay, closes);
}

/**
 * The per-destination key of a delivery: its project, then the URL's lower-case host and port (the
 * scheme's default when absent), so `http://a.example` and `http://a.example:80` share limits and
 * `:8080` does not. Per project because a project chooses its URLs and their timeouts (`#rt=100`):
 * one pointed at another's receiver must not pause that receiver for the other project (a breaker
 * its own failures opened) nor take the other's share of it.
 */
export function destinationOf(projectId: string, url: string): string {
  return `${projectId} ${endpointOf(url)}`;
}

/**
 * Lower-case host and port of a URL (the scheme's default when absent). The host is cut to 253
 * characters (DNS's limit, which URLs taken now keep to: parseHttpUrl), so a URL stored before
 * that check still makes a key PostgreSQL can index; such hosts never resolve anyway.
 */
export function endpointOf(url: string): string {
  try {
    const u = new URL(url);
    const port = u.port || (u.protocol === 'https:' ? '443' : u.protocol === 'http:' ? '80' : '');
    return `${u.hostname.toLowerCase().slice(0, 253)}:${port}`;
  } catch {
    return url.slice(0, 200);
  }
}

/** A delivery before it is stored. */
export type NewWebhookDelivery = Pick<
  WebhookDeliveryRecord,
  'projectId' | 'messageId' | 'kind' | 'url' | 'method' | 'contentType' | 'body' | 'signature' | 'fallbackUrl' | 'fallbackMethod' | 'maxAttempts' | 'nextAttemptAt'
>;

/** One HTTP attempt of a delivery, for the console and debugging. */
export interface WebhookAttemptRecord {
  readonly id: number;
  readonly deliveryId: number;
  readonly projectId: string;
  readonly attempt: number;
  readonly url: string;
  readonly at: number;
  readonly durationMs: number;
  readonly statusCode: number | null;
  readonly error: string | null;
  readonly signature: string;
  readonly responseExcerpt: string | null;
}

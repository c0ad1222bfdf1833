/** Why a webhook is sent. */
export type WebhookKind = 'status_callback' | 'inbound_message' | 'message_action';

/** Outcome state of a webhook delivery in the outbox. */
export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';

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
  readonly maxAttempts: number;
  readonly nextAttemptAt: number;
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

/**
 * Wire shapes of the web console's own API (`/api/console/*`): what the console needs that the
 * public APIs do not offer (filtered message lists, a message's timeline, segments and webhook
 * attempts, conversations, the webhook outbox, connections, the live feed). Times are ISO-8601
 * UTC with milliseconds; errors use the native REST error shapes.
 */
import type { Encoding } from '../segments.js';
import type { MessageDirection, MessageKind, MessageOrigin, MessageStatus } from '../status.js';

/** Body of `POST /api/console/login`. */
export interface ConsoleLoginRequest {
  project_id: string;
  api_token: string;
}

/** What this server offers beyond the native API and the simulator (the console shows only these). */
export interface ConsoleFeatures {
  /** RELAY sessions can be listed (`GET /api/console/connections`). */
  relay: boolean;
}

/** `GET /api/console/session` when no valid session cookie came with the request. */
export interface ConsoleNoSession {
  authenticated: false;
  /** The one-click dev login is available (zero-config server on loopback, see docs/console.md). */
  dev_login: boolean;
}

/** `GET /api/console/session`, `POST /api/console/login` and `POST /api/console/dev-login` with a session. */
export interface ConsoleSession {
  authenticated: true;
  project_id: string;
  project_name: string;
  /** Scopes of the API token the session was opened with (all of them for a dev login). */
  scopes: string[];
  /** Opened with the dev login. */
  dev: boolean;
  /** Send as `X-Switchboard-CSRF` with every request that changes something. */
  csrf_token: string;
  expires_at: string;
  /** Our phone numbers, for pickers. */
  numbers: string[];
  features: ConsoleFeatures;
}

/** A message in lists and in the live feed (body cut to 280 characters). */
export interface ConsoleMessageSummary {
  id: string;
  /**
   * The message's place in the list, sealed: give it as `before` to list what came before it. It
   * shows no order (sort by `created_at`): the server's own order counts every project's messages.
   */
  cursor: string;
  direction: MessageDirection;
  /** The surface it came through: rest, compat, relay, reply, console or inbound. */
  origin: MessageOrigin;
  from: string;
  to: string;
  body: string;
  media_count: number;
  kind: MessageKind;
  status: MessageStatus;
  error_code: string | null;
  segments: number;
  encoding: Encoding;
  created_at: string;
  updated_at: string;
  deleted: boolean;
}

/** A page of a newest-first list; `next` is the cursor of the following (older) page. */
export interface ConsolePage<T> {
  data: T[];
  next: string | null;
}

/** Every stored field of a message. */
export interface ConsoleMessage extends ConsoleMessageSummary {
  media: string[];
  error_message: string | null;
  /** Native failure code (`unreachable_destination_handset`). */
  reason: string | null;
  status_callback: string | null;
  /** How status callbacks are encoded: native JSON, Compatibility form fields, or form fields for a cXML action. */
  callback_format: string | null;
  custom_variables: Record<string, string> | null;
  context: string | null;
  tags: string[];
  number_group_id: string | null;
  application_id: string | null;
  price: number | null;
  price_unit: string;
  max_price: string | null;
  validity_period: number;
  expires_at: string;
  carrier: string | null;
  carrier_message_id: string | null;
  sent_at: string | null;
  redacted_at: string | null;
  deleted_at: string | null;
}

/** One state change of a message (`message_events`). */
export interface ConsoleMessageEvent {
  /** Opaque (a sealed position). */
  id: string;
  status: MessageStatus;
  at: string;
  error_code: string | null;
  error_message: string | null;
  /** Carrier, carrier message id, attempts, throttling... as the engine recorded them. */
  detail: Record<string, unknown> | null;
}

/** How a body is encoded and split, and what makes it UCS-2. */
export interface ConsoleSegments {
  encoding: Encoding;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2). */
  units: number;
  segments: number;
  per_segment: number;
  remaining_in_last_segment: number;
  /** The characters outside GSM-7 that force UCS-2, with their UTF-16 index in the body. */
  non_gsm: Array<{ char: string; index: number; code_point: number }>;
  /** The body as it is split into segments. */
  parts: string[];
  /** Segments the body would take without the non-GSM characters (null when it is GSM-7 already). */
  segments_without_non_gsm: number | null;
}

/** One HTTP attempt of a webhook delivery. */
export interface ConsoleWebhookAttempt {
  attempt: number;
  url: string;
  at: string;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  /** The `X-SignalWire-Signature` value sent. */
  signature: string;
  /** The first 512 characters of the response. */
  response_excerpt: string | null;
}

/** A webhook request in the outbox, with its attempts when asked for. */
export interface ConsoleWebhookDelivery {
  /** Opaque (a sealed position): for the retry and replay paths; shows no order. */
  id: string;
  message_id: string | null;
  kind: string;
  url: string;
  method: 'GET' | 'POST';
  content_type: string | null;
  /** The exact body (or query string for GET) sent. */
  body: string;
  signature_scheme: string;
  fallback_url: string | null;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  /** Attempts at most; 0 for a status callback, retried under the outbox policy (until `webhooks.retryWindowMs` has passed, or `webhooks.maxAttempts` when set). */
  max_attempts: number;
  next_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  attempt_log?: ConsoleWebhookAttempt[];
}

/** `GET /api/console/messages/{id}`. */
export interface ConsoleMessageDetail {
  message: ConsoleMessage;
  events: ConsoleMessageEvent[];
  segments: ConsoleSegments;
  webhooks: ConsoleWebhookDelivery[];
}

/** A thread between one of our numbers and another party. */
export interface ConsoleConversation {
  ours: string;
  other: string;
  last: ConsoleMessageSummary;
}

/**
 * `GET /api/console/outbox`. Each count stops at `count_cap` (the server's `http.listScanRows`):
 * a count flagged in `capped` is "`count_cap` or more" (shown as "N+"), not a total.
 */
export interface ConsoleOutbox extends ConsolePage<ConsoleWebhookDelivery> {
  counts: { pending: number; retrying: number; delivered: number; failed: number };
  capped: { pending: boolean; retrying: boolean; delivered: boolean; failed: boolean };
  count_cap: number;
}

/**
 * `POST /api/console/outbox/redrive`: how many of the project's failed deliveries matching the
 * body (`url` or `url_prefix`, `since`, `until`) were queued again, each with a fresh retry window.
 */
export interface ConsoleOutboxRedrive {
  redriven: number;
}

/** A RELAY session of the project, as the console shows it. */
export interface ConsoleRelaySession {
  id: string;
  contexts: string[];
  /** `connected`, or `parked` (connection lost, resumable). */
  state: string;
  connected_since: string | null;
  events_sent: number | null;
  events_unacked: number | null;
}

/** `GET /api/console/connections`. */
export interface ConsoleConnections {
  relay: { available: false } | { available: true; sessions: ConsoleRelaySession[] };
}

/** A message a simulated handset received, in the live feed. */
export interface ConsoleHandsetMessage {
  /** Opaque, the same as the simulator's inbox `id` (its `since`). */
  id: string;
  message_id: string;
  from: string;
  to: string;
  body: string;
  received_at: string;
}

/**
 * One `batch` event of the live feed (`GET /api/console/events`, Server-Sent Events): the latest
 * state of every message that changed since the previous batch (coalesced), and what handsets
 * received. `reset` is true when the server dropped updates for this client (it fell behind): the
 * client should reload what it shows.
 */
export interface ConsoleFeedBatch {
  messages: ConsoleMessageSummary[];
  handset: ConsoleHandsetMessage[];
  reset: boolean;
}

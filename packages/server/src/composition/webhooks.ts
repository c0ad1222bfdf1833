/**
 * Webhook delivery for a node: the outbox runner (signing, retries within the window, per-destination
 * fairness) and the cXML executor that acts on the documents inbound and action webhooks answer with.
 */
import type { Logger } from 'pino';
import type { Clock } from '../domain/clock.js';
import type { Bus } from '../domain/ports/bus.js';
import type { Store } from '../domain/ports/store.js';
import { ALWAYS_REFUSED_NETWORKS, PRIVATE_NETWORKS } from '../domain/urls.js';
import type { Engine } from '../engine/index.js';
import type { PrometheusMetrics } from '../http/ops/metrics.js';
import { CxmlExecutor } from '../webhooks/cxml/executor.js';
import { WebhookHttpClient } from '../webhooks/http-client.js';
import { SigningKeys } from '../webhooks/signing-keys.js';
import { DEFAULT_TIMEOUTS } from '../webhooks/timeouts.js';
import { WebhookRunner } from '../webhooks/webhook-runner.js';
import { VERSION, type ResolvedSettings } from './settings.js';

export interface WebhookDelivery {
  readonly runner: WebhookRunner;
  /** The HTTP client's connection pools, closed after the runner stops. */
  readonly http: WebhookHttpClient;
}

export function webhookDelivery(
  settings: ResolvedSettings,
  deps: { store: Store; clock: Clock; bus: Bus; metrics: PrometheusMetrics; logger: Logger; nodeId: string; engine: Engine },
): WebhookDelivery {
  const { store, clock, bus, metrics, logger, nodeId, engine } = deps;
  // Checked on the address connected to: also where a name resolves (or a redirect leads) there.
  const http = new WebhookHttpClient({ refuseNetworks: settings.webhookRefusePrivate ? PRIVATE_NETWORKS : ALWAYS_REFUSED_NETWORKS });
  const runner = new WebhookRunner(
    { store, clock, bus, http, keys: new SigningKeys(store.projects, clock, bus), metrics, logger },
    {
      nodeId,
      concurrency: settings.webhookConcurrency,
      // The lease outlives any request (15 s total timeout).
      leaseMs: settings.webhookLeaseMs,
      retryBaseMs: settings.webhookRetryBaseMs,
      retryMaxMs: settings.webhookRetryMaxMs,
      timeouts: DEFAULT_TIMEOUTS,
      userAgent: `Switchboard/${VERSION}`,
      // Status callbacks outlive outages; one destination cannot take the whole pool.
      retryWindowMs: settings.webhookRetryWindowMs,
      maxAttempts: settings.webhookMaxAttempts,
      perDestination: settings.webhookPerHostConcurrency,
      breaker: { failures: settings.webhookBreakerFailures, cooldownMs: settings.webhookBreakerCooldownMs },
    },
  );
  const cxml = new CxmlExecutor({ engine, logger });
  runner.onResponse('inbound_message', cxml.handle);
  runner.onResponse('message_action', cxml.handle);
  return { runner, http };
}

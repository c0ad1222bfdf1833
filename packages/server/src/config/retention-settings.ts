/**
 * The retention settings group: how long settled webhook deliveries are kept. Its own file because
 * settings.ts is at its size limit; spread into the settings table there.
 */
import { parsers, type SettingSpec } from './setting-parsers.js';

export const RETENTION_SETTINGS = {
  retentionDeliveredWebhookHours: {
    key: 'retention.deliveredWebhookHours',
    env: 'SWITCHBOARD_RETENTION_DELIVERED_WEBHOOK_HOURS',
    flag: null,
    description:
      'Hours a delivered webhook (status callback, inbound webhook, cXML request) and its attempts are kept after delivery, then deleted; the console\'s outbox and message pages show only these. Deliveries of a message still in flight are kept. 0: kept for good.',
    default: 168,
    parse: parsers.int(0, 87_600),
  },
  retentionFailedWebhookHours: {
    key: 'retention.failedWebhookHours',
    env: 'SWITCHBOARD_RETENTION_FAILED_WEBHOOK_HOURS',
    flag: null,
    description: 'Hours a webhook that failed for good (its retries used up) is kept after its last attempt, then deleted with its attempts; only these can be retried or re-driven. 0: kept for good.',
    default: 720,
    parse: parsers.int(0, 87_600),
  },
  retentionIntervalMs: {
    key: 'retention.intervalMs',
    env: 'SWITCHBOARD_RETENTION_INTERVAL_MS',
    flag: null,
    description: 'Time between retention passes. With several nodes on PostgreSQL one node at a time runs them (the `retention` lease).',
    default: 600_000,
    parse: parsers.int(1000, 86_400_000),
  },
  retentionBatchSize: {
    key: 'retention.batchSize',
    env: 'SWITCHBOARD_RETENTION_BATCH_SIZE',
    flag: null,
    description: 'Webhook deliveries a retention pass looks at per statement and transaction; it yields to other work between them.',
    default: 1000,
    parse: parsers.int(10, 100_000),
  },
} satisfies Record<string, SettingSpec<unknown>>;

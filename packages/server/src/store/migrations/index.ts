/**
 * All migrations, in order. Each is written once for both dialects; names sort in apply order.
 * Add a file `NNNN-name.ts` and list it here.
 */
import { Migrator, type Kysely, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely';
import type { StoreDialect } from '../../domain/ports/store.js';
import { initialSchema } from './0001-initial.js';
import { compatSchema } from './0002-compat.js';
import { smppSchema } from './0004-smpp.js';
import { consoleSchema } from './0005-console.js';
import { scaleoutSchema } from './0006-scaleout.js';
import { webhookWindowSchema } from './0007-webhook-window.js';
import { idempotencySchema } from './0008-idempotency.js';
import { simulatorSettingsSchema } from './0009-simulator-settings.js';
import { optOutsSchema } from './0010-opt-outs.js';
import { senderRatesSchema } from './0011-sender-rates.js';
import { testTokensSchema } from './0012-test-tokens.js';
import { fairClaimsSchema } from './0013-fair-claims.js';
import { fairOutboxSchema } from './0014-fair-outbox.js';
import { cxmlSessionsSchema } from './0015-cxml-sessions.js';
import { serverKeysSchema } from './0017-server-keys.js';
import { simulatorClockSchema } from './0018-simulator-clock.js';
import { parkedSessionTokensSchema } from './0019-parked-session-tokens.js';
import { smscReceiptsSchema } from './0020-smsc-receipts.js';
import { optOutCountsSchema } from './0021-opt-out-counts.js';
import { consoleSessionCredentialsSchema } from './0022-console-session-credentials.js';
import { relaySendersSchema } from './0023-relay-senders.js';
import { trimmedUrlsSchema } from './0024-trimmed-urls.js';
import { reusedCarrierIdsSchema } from './0026-reused-carrier-ids.js';
import { moPartsSchema } from './0027-mo-parts.js';

export function migrationsFor(dialect: StoreDialect): Record<string, Migration> {
  return {
    '0001-initial': initialSchema(dialect),
    '0002-compat': compatSchema(dialect),
    '0004-smpp': smppSchema(dialect),
    '0005-console': consoleSchema(dialect),
    '0006-scaleout': scaleoutSchema(dialect),
    '0007-webhook-window': webhookWindowSchema(dialect),
    '0008-idempotency': idempotencySchema(dialect),
    '0009-simulator-settings': simulatorSettingsSchema(dialect),
    '0010-opt-outs': optOutsSchema(dialect),
    '0011-sender-rates': senderRatesSchema(dialect),
    '0012-test-tokens': testTokensSchema(dialect),
    '0013-fair-claims': fairClaimsSchema(dialect),
    '0014-fair-outbox': fairOutboxSchema(dialect),
    '0015-cxml-sessions': cxmlSessionsSchema(dialect),
    '0017-server-keys': serverKeysSchema(dialect),
    '0018-simulator-clock': simulatorClockSchema(dialect),
    '0019-parked-session-tokens': parkedSessionTokensSchema(dialect),
    '0020-smsc-receipts': smscReceiptsSchema(dialect),
    '0021-opt-out-counts': optOutCountsSchema(dialect),
    '0022-console-session-credentials': consoleSessionCredentialsSchema(dialect),
    '0023-relay-senders': relaySendersSchema(dialect),
    '0024-trimmed-urls': trimmedUrlsSchema(dialect),
    '0026-reused-carrier-ids': reusedCarrierIdsSchema(dialect),
    '0027-mo-parts': moPartsSchema(dialect),
  };
}

class InCodeProvider implements MigrationProvider {
  constructor(private readonly dialect: StoreDialect) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrationsFor(this.dialect);
  }
}

function migrator(db: Kysely<unknown>, dialect: StoreDialect): Migrator {
  return new Migrator({
    db,
    provider: new InCodeProvider(dialect),
    migrationTableName: 'schema_migrations',
    migrationLockTableName: 'schema_migrations_lock',
    // Features add independent migrations in parallel (0002 compat, 0004 smpp, 0005 console): a
    // database that already ran 0004 must still run a 0002 that arrived later.
    allowUnorderedMigrations: true,
  });
}

/** Names of the migrations not yet applied to this database. */
export async function pendingMigrations(db: Kysely<unknown>, dialect: StoreDialect): Promise<string[]> {
  const all = await migrator(db, dialect).getMigrations();
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
}

/** Bring the schema up to date; throws with the failing migration's name on error. */
export async function migrateToLatest(db: Kysely<unknown>, dialect: StoreDialect): Promise<MigrationResultSet> {
  const result = await migrator(db, dialect).migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    const err = result.error instanceof Error ? result.error : new Error(String(result.error));
    // No failed migration: the database failed before any ran (connecting, taking the migration lock).
    throw new Error(`Database migration${failed ? ` ${failed.migrationName}` : ''} failed: ${err.message}`, { cause: err });
  }
  return result;
}

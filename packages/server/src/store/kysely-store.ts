/**
 * The Store port on Kysely: the same repositories for every dialect; the dialect file supplies the
 * Kysely instance and the few engine-specific traits.
 */
import { SqlRelayCheckpoints } from './relay-checkpoints.js';
import { SharedResumeStore, type SharedResumeStoreOptions } from './relay-resume-store.js';
import { sql, type Kysely } from 'kysely';
import type { Repositories, Store, StoreDialect } from '../domain/ports/store.js';
import { hotInserts, type HotInserts } from './batch-insert.js';
import type { DialectTraits } from './dialect-traits.js';
import { KyselyCarrierPartRepository } from './repositories/carrier-parts.js';
import { KyselyLeaseRepository, KyselyNodeRepository } from './repositories/cluster.js';
import { KyselyConsoleSessionRepository } from './repositories/console-sessions.js';
import { KyselyHandsetInboxRepository } from './repositories/handsets.js';
import { KyselyIdempotencyRepository } from './repositories/idempotency.js';
import { KyselyJobRepository } from './repositories/jobs.js';
import { KyselyMessageEventRepository, KyselyMessageRepository } from './repositories/messages.js';
import { KyselyPhoneNumberRepository } from './repositories/numbers.js';
import { KyselyProjectRepository, KyselyTokenRepository } from './repositories/projects.js';
import { KyselyWebhookRepository } from './repositories/webhooks.js';
import { KyselyRelayParkedRepository } from './repositories/relay-parked.js';
import { KyselyCxmlApplicationRepository } from './repositories/applications.js';
import { KyselyMessageMediaRepository } from './repositories/media.js';
import { KyselyNumberGroupRepository } from './repositories/number-groups.js';
import { KyselyOptOutRepository } from './repositories/opt-outs.js';
import { KyselyServerKeyRepository } from './repositories/server-keys.js';
import { KyselySimulatorClockRepository } from './repositories/simulator-clock.js';
import { KyselySimulatorSettingsRepository } from './repositories/simulator-settings.js';
import { KyselySmscReceiptRepository } from './repositories/smsc-receipts.js';
import { KyselyMoPartRepository } from './repositories/mo-parts.js';
import type { Database } from './schema.js';

function repositories(db: Kysely<Database>, traits: DialectTraits, inserts: HotInserts): Repositories {
  return {
    projects: new KyselyProjectRepository(db, traits),
    tokens: new KyselyTokenRepository(db),
    numbers: new KyselyPhoneNumberRepository(db, traits),
    messages: new KyselyMessageRepository(db, traits, inserts),
    events: new KyselyMessageEventRepository(db, traits, inserts),
    jobs: new KyselyJobRepository(db, traits, inserts),
    webhooks: new KyselyWebhookRepository(db, traits),
    handsets: new KyselyHandsetInboxRepository(db, traits, inserts),
    numberGroups: new KyselyNumberGroupRepository(db, traits),
    applications: new KyselyCxmlApplicationRepository(db, traits),
    media: new KyselyMessageMediaRepository(db, traits),
    idempotency: new KyselyIdempotencyRepository(db, traits),
    carrierParts: new KyselyCarrierPartRepository(db, traits),
    leases: new KyselyLeaseRepository(db),
    nodes: new KyselyNodeRepository(db),
    consoleSessions: new KyselyConsoleSessionRepository(db, traits),
    simulatorSettings: new KyselySimulatorSettingsRepository(db),
    optOuts: new KyselyOptOutRepository(db, traits),
    serverKeys: new KyselyServerKeyRepository(db),
    simulatorClock: new KyselySimulatorClockRepository(db),
    relayParked: new KyselyRelayParkedRepository(db, traits),
    smscReceipts: new KyselySmscReceiptRepository(db, traits),
    moParts: new KyselyMoPartRepository(db, traits),
  };
}

export class KyselyStore implements Store {
  readonly dialect: StoreDialect;
  readonly projects;
  readonly tokens;
  readonly numbers;
  readonly messages;
  readonly events;
  readonly jobs;
  readonly webhooks;
  readonly handsets;
  readonly numberGroups;
  readonly applications;
  readonly media;
  readonly idempotency;
  readonly carrierParts;
  readonly leases;
  readonly nodes;
  readonly consoleSessions;
  readonly simulatorSettings;
  readonly optOuts;
  readonly serverKeys;
  readonly simulatorClock;
  readonly relayParked;
  readonly smscReceipts;
  readonly moParts;
  /** Batch inserts of the hot tables, compiled once per chunk size and shared by every transaction. */
  private readonly inserts: HotInserts;

  constructor(
    /** The underlying Kysely instance, for dialect files and tests. */
    readonly db: Kysely<Database>,
    private readonly traits: DialectTraits,
    private readonly onClose: () => Promise<void> = async () => {},
    private readonly onStopping: () => void = () => {},
  ) {
    this.dialect = traits.name;
    this.inserts = hotInserts(traits.name, traits.maxParameters);
    const repos = repositories(db, traits, this.inserts);
    this.projects = repos.projects;
    this.tokens = repos.tokens;
    this.numbers = repos.numbers;
    this.messages = repos.messages;
    this.events = repos.events;
    this.jobs = repos.jobs;
    this.webhooks = repos.webhooks;
    this.handsets = repos.handsets;
    this.numberGroups = repos.numberGroups;
    this.applications = repos.applications;
    this.media = repos.media;
    this.idempotency = repos.idempotency;
    this.carrierParts = repos.carrierParts;
    this.leases = repos.leases;
    this.nodes = repos.nodes;
    this.consoleSessions = repos.consoleSessions;
    this.simulatorSettings = repos.simulatorSettings;
    this.optOuts = repos.optOuts;
    this.serverKeys = repos.serverKeys;
    this.simulatorClock = repos.simulatorClock;
    this.relayParked = repos.relayParked;
    this.smscReceipts = repos.smscReceipts;
    this.moParts = repos.moParts;
  }

  transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((trx) => work(repositories(trx, this.traits, this.inserts)));
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  stopping(): void {
    this.onStopping();
  }

  async close(): Promise<void> {
    await this.db.destroy();
    await this.onClose();
  }

  /** True when an error is a unique-constraint violation in this engine. */
  isUniqueViolation(err: unknown): boolean {
    return this.traits.isUniqueViolation(err);
  }

  /** Parked RELAY sessions kept in this database, so a client may resume on any node sharing it. */
  relayResumeStore(opts: Omit<SharedResumeStoreOptions, 'maxParameters' | 'rowLocks'>): SharedResumeStore {
    return new SharedResumeStore(this.db, { ...opts, maxParameters: this.traits.maxParameters, rowLocks: this.traits.name === 'postgres' });
  }

  /** Where live RELAY sessions stand, so a client of a node that was killed resumes from there. */
  relayCheckpoints(instanceId: string): SqlRelayCheckpoints {
    return new SqlRelayCheckpoints(this.db, { instanceId, maxParameters: this.traits.maxParameters, rowLocks: this.traits.name === 'postgres', isUniqueViolation: (err) => this.traits.isUniqueViolation(err) });
  }
}

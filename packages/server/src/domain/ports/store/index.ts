/**
 * The persistence port. Every repository method that touches tenant data takes the project id;
 * the few cross-project operations are engine internals (job claiming, inbound owner lookup)
 * and say so. Adapters: SQLite (embedded default) and PostgreSQL, one contract suite for both.
 * One file per repository; this one assembles them into the `Store`.
 */
import type { CxmlApplicationRepository } from './applications.js';
import type { CarrierPartRepository } from './carrier-parts.js';
import type { LeaseRepository, NodeRepository } from './cluster.js';
import type { ConsoleSessionRepository } from './console-sessions.js';
import type { MessageEventRepository } from './events.js';
import type { HandsetInboxRepository } from './handsets.js';
import type { IdempotencyRepository } from './idempotency.js';
import type { JobRepository } from './jobs.js';
import type { MessageMediaRepository } from './media.js';
import type { MessageRepository } from './messages.js';
import type { MoPartRepository } from './mo-parts.js';
import type { NumberGroupRepository } from './number-groups.js';
import type { PhoneNumberRepository } from './numbers.js';
import type { OptOutRepository } from './opt-outs.js';
import type { ProjectRepository } from './projects.js';
import type { RelayParkedRepository } from './relay-parked.js';
import type { ServerKeyRepository } from './server-keys.js';
import type { SimulatorClockRepository } from './simulator-clock.js';
import type { SimulatorSettingsRepository } from './simulator-settings.js';
import type { SmscReceiptRepository } from './smsc-receipts.js';
import type { TokenRepository } from './tokens.js';
import type { WebhookRepository } from './webhooks.js';

export * from './applications.js';
export * from './carrier-parts.js';
export * from './cluster.js';
export * from './console-sessions.js';
export * from './errors.js';
export * from './events.js';
export * from './handsets.js';
export * from './idempotency.js';
export * from './jobs.js';
export * from './media.js';
export * from './messages.js';
export * from './mo-parts.js';
export * from './number-groups.js';
export * from './numbers.js';
export * from './opt-outs.js';
export * from './paging.js';
export * from './projects.js';
export * from './relay-parked.js';
export * from './server-keys.js';
export * from './simulator-clock.js';
export * from './simulator-settings.js';
export * from './smsc-receipts.js';
export * from './tokens.js';
export * from './webhooks.js';

/** Which SQL engine backs the store. */
export type StoreDialect = 'sqlite' | 'postgres';

/** The repositories, usable inside or outside a transaction. */
export interface Repositories {
  readonly projects: ProjectRepository;
  readonly tokens: TokenRepository;
  readonly numbers: PhoneNumberRepository;
  readonly messages: MessageRepository;
  readonly events: MessageEventRepository;
  readonly jobs: JobRepository;
  readonly webhooks: WebhookRepository;
  readonly handsets: HandsetInboxRepository;
  readonly numberGroups: NumberGroupRepository;
  readonly applications: CxmlApplicationRepository;
  readonly media: MessageMediaRepository;
  readonly carrierParts: CarrierPartRepository;
  readonly leases: LeaseRepository;
  readonly nodes: NodeRepository;
  readonly consoleSessions: ConsoleSessionRepository;
  readonly idempotency: IdempotencyRepository;
  readonly simulatorSettings: SimulatorSettingsRepository;
  readonly optOuts: OptOutRepository;
  readonly serverKeys: ServerKeyRepository;
  readonly simulatorClock: SimulatorClockRepository;
  readonly relayParked: RelayParkedRepository;
  readonly smscReceipts: SmscReceiptRepository;
  readonly moParts: MoPartRepository;
}

/** The store: repositories plus transactions and lifecycle. */
export interface Store extends Repositories {
  readonly dialect: StoreDialect;
  /** Run `work` in one transaction; repositories given to it write atomically. */
  transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T>;
  /** Cheap round trip, for readiness. */
  ping(): Promise<void>;
  /** Whether a database error is a unique-constraint violation (a duplicate the caller may report). */
  isUniqueViolation(err: unknown): boolean;
  /**
   * The node is stopping: a database that stops answering may hold the stop only so long
   * (PostgreSQL: `STOP_SILENCE_MS` in all, see `store/dialects/postgres-stop.ts`), and from then on
   * what the stop writes fails as unavailable at once. Call before the stop's first write.
   */
  stopping(): void;
  close(): Promise<void>;
}

/**
 * The engine's front door. `createEngine(ports, options)` builds the message pipeline — accept →
 * journal → dispatch → carrier → receipts → journal, and inbound → journal — with the routing,
 * admin and cluster services around it, from ports only (store, bus, clock, ids, carriers,
 * webhook planners, metrics, logger). Every surface (HTTP, RELAY, cXML, the console) is handed
 * this object and nothing else of the server; tests build it on an in-memory SQLite store with a
 * manual clock and no network port.
 */
import { ManualClock, systemClock, type Clock } from '../domain/clock.js';
import type { NodeRecord, NodeRole } from '../domain/cluster.js';
import type { IdGenerator } from '../domain/ids.js';
import { ALL_CARRIERS_LOCAL } from '../domain/ports/carrier-availability.js';
import type { Bus } from '../domain/ports/bus.js';
import type { Carrier, CarrierDescriptor } from '../domain/ports/carrier.js';
import type { Logger } from '../domain/ports/logger.js';
import type { EngineMetrics } from '../domain/ports/metrics.js';
import type { Store } from '../domain/ports/store.js';
import { TablePricing, unpriced, type PriceTable } from '../domain/pricing.js';
import { DEFAULT_PROJECT_LIMITS, type ProjectLimits } from '../domain/project-limits.js';
import type { SendRules } from '../domain/send-request.js';
import { ensureStartupProject, type BootstrapReport, type BootstrapSettings } from './admin/bootstrap.js';
import { CredentialVerifier } from './admin/credential-verifier.js';
import { CxmlApplicationService } from './admin/cxml-application-service.js';
import { NumberGroupService } from './admin/number-group-service.js';
import { NumberService } from './admin/number-service.js';
import { ProjectService } from './admin/project-service.js';
import { ClusterCoordinator } from './cluster/cluster-coordinator.js';
import { LeasedCarrier } from './cluster/leased-carrier.js';
import { SharedClock } from './cluster/shared-clock.js';
import { EngineCarrierSink } from './messages/carrier-sink.js';
import { Dispatcher, type DispatcherOptions } from './messages/dispatcher.js';
import { InboundRouter } from './messages/inbound-router.js';
import { MessageJournal } from './messages/journal.js';
import type { HealthReport } from './messages/storage-health.js';
import { MessageAcceptor } from './messages/message-acceptor.js';
import { TestCredentialSends } from './messages/test-credentials.js';
import { MessageService } from './messages/message-service.js';
import { IdempotencyKeySweeper } from './messages/idempotency.js';
import { DEFAULT_RETENTION, WebhookRetention, type RetentionOptions, type RetentionSummary } from './messages/webhook-retention.js';
import { recoverAwaitingReceipts } from './messages/receipt-recovery.js';
import { DEFAULT_GIVE_UP_AFTER_MS, DEFAULT_RECONCILE_AFTER_MS, ReceiptReconciler, type ReceiptReconcilerOptions, type ReconcileSummary } from './messages/receipt-reconciler.js';
import { RecentMessages } from './messages/recent-messages.js';
import type { WebhookPlanner } from './messages/state-change.js';
import { SubmissionsInFlight } from './messages/submissions-in-flight.js';
import { OptOutService } from './messages/opt-outs.js';
import { MessagingSettingsCache } from './messages/opt-outs-settings.js';
import { DEFAULT_QUEUE_LIMIT_SECONDS, DEFAULT_SENDER_RATES, SenderQueues, type SenderQueueOptions } from './messages/sender-queues.js';
import { ScheduledMessages } from './messages/schedule.js';
import { WebhookOutbox } from './messages/webhook-outbox.js';
import { readsOf, type EngineReads } from './reads.js';
import { CarrierRouter, type Route } from './routing/carrier-router.js';
import { NumberDirectory } from './routing/number-directory.js';
import { NumberGroupSenderResolver } from './routing/number-group-resolver.js';
import { OwnedNumberResolver } from './routing/sender-resolver.js';
import { announceAllWork } from './work-available.js';

export type { EngineReads } from './reads.js';
export type { WebhookPlanner, StateChange } from './messages/state-change.js';
export type { BootstrapReport, BootstrapSettings } from './admin/bootstrap.js';
export type { HealthReport } from './messages/storage-health.js';
export { announceAllWork } from './work-available.js';

/** What the engine is built from: ports, each with an adapter chosen by the composition root. */
export interface EnginePorts {
  readonly store: Store;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly logger: Logger;
  readonly metrics: EngineMetrics;
  /** Carriers every node uses (the simulator). */
  readonly carriers: readonly Carrier[];
  /**
   * Carriers behind one connection each (SMPP accounts). Alone, the engine connects them at start;
   * in a cluster only the node holding a carrier's lease connects it, through `connect`.
   */
  readonly connections?: ReadonlyArray<{ readonly descriptor: CarrierDescriptor; connect(): Carrier }>;
  /** Decide the webhooks a batch of changes causes (status callbacks, inbound webhooks). */
  readonly planners: readonly WebhookPlanner[];
}

export interface EngineOptions {
  /** This node's name (leases, logs) and this process's unique instance id. */
  readonly nodeId: string;
  readonly instanceId: string;
  readonly roles: readonly NodeRole[];
  /** Routes from destination prefixes to carrier ids; unmatched destinations go to `defaultCarrier`. */
  readonly routes: readonly Route[];
  readonly defaultCarrier: string;
  readonly pricing: PriceTable | null;
  readonly sendRules: SendRules;
  readonly dispatch: Omit<DispatcherOptions, 'nodeId'>;
  /** Per-sender rates by number type and the queue limit (default: Twilio's documented figures). */
  readonly senderRates?: SenderQueueOptions;
  /**
   * Record `sent` ahead of a final receipt that reaches a node which did not record the submission
   * (several nodes, or SMPP receipts outliving a crash).
   */
  readonly inferSentFromReceipts: boolean;
  /** When to ask carriers about overdue receipts, and when to give up on them (default 10 min and 72 h). */
  readonly receipts?: ReceiptReconcilerOptions;
  /** Several nodes share the database: join the cluster (heartbeats, carrier leases, adoption). */
  readonly cluster: { readonly heartbeatMs: number; readonly nodeTimeoutMs: number } | null;
  /**
   * Receipts a dead instance held in memory for a carrier (the simulator's, whose carrier message
   * ids start with a per-instance prefix): re-armed on this node when that instance is adopted.
   */
  readonly adoptReceipts?: { readonly carrier: Carrier; readonly prefixOf: (instanceId: string) => string };
  /** How long settled webhook deliveries are kept, and the passes that delete them (default `DEFAULT_RETENTION`). */
  readonly retention?: RetentionOptions;
  /** The most numbers, number groups, cXML applications and opt-out entries one project may have (default `DEFAULT_PROJECT_LIMITS`). */
  readonly projectLimits?: ProjectLimits;
  /** Further clean-up of dead instances (their parked RELAY sessions). */
  readonly onInstancesDead?: (dead: readonly NodeRecord[]) => Promise<void>;
  /**
   * Keep a manual clock's position in the database, shared by the nodes and kept across restarts
   * (`simulator.clock: "manual"`; see cluster/shared-clock.ts). `onMoved` wakes work loops outside
   * the engine (the webhook runner) after the clock moved; `refreshMs` how often it is read again.
   */
  readonly sharedClock?: { readonly onMoved?: () => void; readonly refreshMs?: number } | null;
}

/** The running engine, as every surface sees it. */
export interface Engine {
  readonly clock: Clock;
  /** The manual clock kept in the database (with `sharedClock` and a ManualClock), else null. */
  readonly sharedClock: SharedClock | null;
  /** Committed changes and other engine events (RELAY, the console feed and waits subscribe). */
  readonly bus: Bus;
  readonly verifier: CredentialVerifier;
  readonly acceptor: MessageAcceptor;
  /** Sends made with a test token: answered, never sent or stored. */
  readonly testSends: TestCredentialSends;
  readonly messages: MessageService;
  /** Canceling scheduled messages. */
  readonly scheduled: ScheduledMessages;
  readonly inbound: InboundRouter;
  /** Opt-out lists and per-sender messaging settings (smart encoding, opt-out replies). */
  readonly optOuts: OptOutService;
  readonly messagingSettings: MessagingSettingsCache;
  readonly numbers: NumberService;
  readonly groups: NumberGroupService;
  readonly applications: CxmlApplicationService;
  readonly projects: ProjectService;
  readonly webhookOutbox: WebhookOutbox;
  /** Receipt reconciliation (`dispatch` role): its timer runs passes; `reconcile` runs one now. */
  readonly receipts: { reconcile(): Promise<ReconcileSummary> };
  /** Retention of settled webhook deliveries: its timer runs passes; `prune` runs one now. */
  readonly retention: { prune(): Promise<RetentionSummary> };
  readonly reads: EngineReads;
  /** Every carrier, the simulator first. */
  readonly carriers: readonly Carrier[];
  readonly cluster: ClusterCoordinator | null;
  /** Create or check the project a server starts with: the operator project (its numbers take every project's loopback). */
  bootstrap(settings: BootstrapSettings): Promise<BootstrapReport>;
  /** Whether storage answers (readiness). */
  ping(): Promise<void>;
  /**
   * Whether storage takes writes (readiness): failing from a message write that failed with
   * `StoreUnavailableError` (disk full, read-only, database unreachable) until one succeeds, checked
   * with a small write of its own when nothing else is writing.
   */
  storageHealth(): Promise<HealthReport>;
  /** Work waiting: messages not yet handed to a carrier, webhook deliveries not yet done. */
  backlog(): Promise<{ dispatch: number; webhooks: number }>;
  /** Look for work now (after the bus reconnects: events may have been missed). */
  wake(): void;
  /** Start carriers, recover owed receipts, join the cluster and start dispatching (`dispatch` role). */
  start(): Promise<void>;
  /** Finish writes in flight, stop dispatching and the carriers, and commit what they reported. */
  stop(): Promise<void>;
}

export function createEngine(ports: EnginePorts, options: EngineOptions): Engine {
  const { store, bus, clock, ids, logger, metrics } = ports;
  const dispatching = options.roles.includes('dispatch');
  const recent = new RecentMessages();
  const reads = readsOf(store, clock);
  const journal = new MessageJournal({ store, clock, ids, bus, metrics, planners: ports.planners, recent, logger });
  // These caches bound how stale a node sees numbers and tokens that another process wrote (the
  // CLI, another node): wall time, whatever the simulator clock. On the manual clock a number or
  // token the CLI added was unknown until the clock was advanced past the cache's life.
  const directory = new NumberDirectory(store.numbers, systemClock, bus);
  const senderQueues = new SenderQueues({ clock, bus }, options.senderRates ?? { defaults: DEFAULT_SENDER_RATES, queueLimitSeconds: DEFAULT_QUEUE_LIMIT_SECONDS });
  const isUniqueViolation = (err: unknown) => store.isUniqueViolation(err);
  const verifier = new CredentialVerifier(store.projects, store.tokens, systemClock, bus);
  const messagingSettings = new MessagingSettingsCache({ repository: store.optOuts, bus, now: () => clock.now() });
  const limits = options.projectLimits ?? DEFAULT_PROJECT_LIMITS;
  const optOuts = new OptOutService({ repository: store.optOuts, settings: messagingSettings, bus, clock, ids, maxOptOuts: limits.optOuts });
  const acceptor = new MessageAcceptor({
    clock,
    ids,
    senders: new NumberGroupSenderResolver(new OwnedNumberResolver(directory), store.numberGroups, clock),
    rules: options.sendRules,
    journal,
    keys: store.idempotency,
    messages: store.messages,
    applications: store.applications,
    senderQueues,
    optOuts,
    settings: messagingSettings,
  });
  const pricing = options.pricing ? new TablePricing(options.pricing) : unpriced;
  const inbound = new InboundRouter({ ids, numbers: directory, journal, messages: store.messages, optOuts: { service: optOuts, acceptor, logger, metrics }, pricing });
  const inFlight = new SubmissionsInFlight();
  const sink = new EngineCarrierSink(journal, inbound, logger, inFlight, options.inferSentFromReceipts, (id) => dispatcher.carrierAvailable(id));

  const connections = ports.connections ?? [];
  // With several nodes, each connection is held by one node at a time (the holder of its lease).
  const leased = options.cluster ? connections.map((c) => new LeasedCarrier(c.descriptor, () => c.connect())) : [];
  const carriers: Carrier[] = [...ports.carriers, ...(options.cluster ? leased : connections.map((c) => c.connect()))];
  const router = new CarrierRouter(carriers, options.routes, options.defaultCarrier);

  const cluster = options.cluster
    ? new ClusterCoordinator(
        {
          store,
          clock,
          logger,
          leased: dispatching ? leased : [],
          onCarrierAcquired: (id) => {
            dispatcher.wake();
            // Finish what the previous holder of the connection recorded only half of.
            const c = leased.find((l) => l.descriptor.id === id);
            if (c) recoverAwaitingReceipts(store.messages, c).catch((err: unknown) => logger.error({ err, carrier: id }, 'carrier recovery failed'));
          },
          adopt: async (dead) => {
            // Their jobs and callbacks, just released, are due now: a dispatcher or webhook runner
            // idle since before the dead node leased them would wait for the leases to end (here,
            // and on every node: this one may have neither role).
            announceAllWork(bus);
            const adopt = options.adoptReceipts;
            if (adopt) {
              const prefixes = dead.map((d) => adopt.prefixOf(d.instanceId));
              const n = await recoverAwaitingReceipts(store.messages, adopt.carrier, (m) => m.carrierMessageId !== null && prefixes.some((p) => m.carrierMessageId!.startsWith(p)));
              if (n) logger.info({ receipts: n, instances: dead.map((d) => d.instanceId) }, 'adopted pending simulated receipts');
            }
            await options.onInstancesDead?.(dead);
          },
        },
        { instanceId: options.instanceId, nodeId: options.nodeId, roles: options.roles, url: null, heartbeatMs: options.cluster.heartbeatMs, nodeTimeoutMs: options.cluster.nodeTimeoutMs },
      )
    : null;
  const availability = cluster ?? ALL_CARRIERS_LOCAL;

  const dispatcher = new Dispatcher(
    {
      store,
      clock,
      bus,
      router,
      journal,
      pricing,
      metrics,
      logger,
      inFlight,
      earlyReceipts: sink,
      recent,
      availability,
      senderQueues,
    },
    { nodeId: options.nodeId, ...options.dispatch },
  );
  // What this node writes, its dispatcher takes without a claim (room() is 0 until it starts).
  if (dispatching) journal.attachDispatch(dispatcher);

  const singleConnection = new Set(connections.map((c) => c.descriptor.id));
  const reconciler = new ReceiptReconciler(
    {
      messages: store.messages,
      journal,
      clock,
      logger,
      carriers,
      isSingleConnection: (id) => singleConnection.has(id),
      isLocal: (id) => availability.isLocal(id),
      lease: cluster ? { repository: store.leases, owner: options.instanceId } : null,
    },
    options.receipts ?? { reconcileAfterMs: DEFAULT_RECONCILE_AFTER_MS, giveUpAfterMs: DEFAULT_GIVE_UP_AFTER_MS },
  );
  const keySweeper = new IdempotencyKeySweeper({ keys: store.idempotency, clock, logger });
  const lease = cluster ? { repository: store.leases, owner: options.instanceId } : null;
  const retention = new WebhookRetention({ webhooks: store.webhooks, clock, logger, metrics, lease }, options.retention ?? DEFAULT_RETENTION);

  const projects = new ProjectService({ store, clock, ids, bus });
  const sharedClock =
    options.sharedClock && clock instanceof ManualClock
      ? new SharedClock({ clock, repository: store.simulatorClock, bus, logger, onMoved: () => (dispatcher.wake(), options.sharedClock?.onMoved?.()) }, options.sharedClock.refreshMs)
      : null;
  const numbers = new NumberService({ store, clock, ids, bus, directory, isUniqueViolation, maxPerProject: limits.numbers });

  return {
    clock,
    sharedClock,
    bus,
    verifier,
    acceptor,
    testSends: new TestCredentialSends({ clock, ids, rules: options.sendRules }),
    messages: new MessageService({ store, journal }),
    scheduled: new ScheduledMessages({ messages: store.messages, journal }),
    inbound,
    optOuts,
    messagingSettings,
    numbers,
    groups: new NumberGroupService({ store, clock, ids, isUniqueViolation, maxPerProject: limits.numberGroups }),
    applications: new CxmlApplicationService({ store, clock, ids, maxPerProject: limits.applications }),
    projects,
    webhookOutbox: new WebhookOutbox({ webhooks: store.webhooks, clock, bus }),
    receipts: { reconcile: () => reconciler.reconcile() },
    retention: { prune: () => retention.prune() },
    reads,
    carriers,
    cluster,
    bootstrap: async (settings) => {
      const report = await ensureStartupProject({ store, projects, numbers }, settings);
      await reads.pageTokens.prepare();
      // The startup project is the operator's: see "Tenancy" in docs/architecture.md.
      directory.operatorProjectId = report.project.id;
      return report;
    },
    ping: () => store.ping(),
    storageHealth: () => journal.storageHealth(),
    backlog: async () => {
      const [dispatch, webhooks] = await Promise.all([store.jobs.count('dispatch'), store.webhooks.countPending()]);
      return { dispatch, webhooks };
    },
    wake: () => {
      dispatcher.wake();
      void sharedClock?.refreshLogged();
    },
    async start() {
      // The clock first: everything started below arms its timers on it.
      await sharedClock?.start();
      if (dispatching) {
        for (const c of carriers) await c.start(sink);
        // One node: everything awaiting a receipt was this node's. Several: each node adopts the
        // pending receipts of dead instances only (the cluster coordinator), so none is re-run twice.
        if (!cluster) for (const c of carriers) await recoverAwaitingReceipts(store.messages, c);
      }
      await cluster?.start();
      // A single node's leases are all its own (from its previous run); several nodes release only theirs.
      if (dispatching) await dispatcher.start(!cluster);
      if (dispatching) reconciler.start();
      keySweeper.start();
      retention.start();
    },
    async stop() {
      // Changes that still cannot be written are given up after a few attempts, so stopping ends;
      // receipts still owed are re-armed at the next start (recoverAwaitingReceipts).
      journal.stopRetrying();
      await sharedClock?.stop();
      await journal.drain();
      for (const c of carriers) c.engineStopping?.();
      await dispatcher.stop();
      await reconciler.stop();
      await keySweeper.stop();
      await retention.stop();
      await cluster?.stop();
      for (const c of carriers) await c.stop();
      // A stopped carrier answers what it still held (the simulator: "transient"): wait for those
      // batches to be recorded, or their writes came after the store closed (an error at every stop).
      await dispatcher.stop();
      await journal.drain();
    },
  };
}

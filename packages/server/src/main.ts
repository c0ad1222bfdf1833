/**
 * The composition root: the only place that reads the environment and picks concrete adapters.
 * `startSwitchboard` wires store, bus, engine, carriers, webhooks and HTTP surfaces from resolved
 * settings and returns a handle that shuts everything down in order.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { fileURLToPath } from 'node:url';
import pino, { type Logger } from 'pino';
import { InProcessBus } from './bus/in-process-bus.js';
import { NatsBus } from './bus/nats-bus.js';
import { parseOutcomeRules } from './carriers/simulator/rules-config.js';
import { SimulatorCarrier, SIMULATOR_ID } from './carriers/simulator/simulator-carrier.js';
import { SimulatorSmsc } from './carriers/simulator/smsc/smsc-server.js';
import { parseSmppSection, SmppConfigError, type SmppSection } from './carriers/smpp/config.js';
import { SmppConnector } from './carriers/smpp/connector.js';
import { ConfigError, getPath, loadSettings, type ConfigSources } from './config/load.js';
import type { SwitchboardSettings } from './config/settings.js';
import { systemClock, type Clock } from './domain/clock.js';
import { randomIds, type IdGenerator } from './domain/ids.js';
import type { NodeRecord } from './domain/cluster.js';
import type { MessageRecord } from './domain/message.js';
import type { Bus } from './domain/ports/bus.js';
import type { Carrier } from './domain/ports/carrier.js';
import type { Store } from './domain/ports/store.js';
import { ensureStartupProject, type BootstrapReport } from './engine/admin/bootstrap.js';
import { CarrierRouter } from './engine/routing/carrier-router.js';
import { ClusterCoordinator } from './engine/cluster/cluster-coordinator.js';
import { ALL_CARRIERS_LOCAL } from './domain/ports/carrier-availability.js';
import { LeasedCarrier } from './engine/cluster/leased-carrier.js';
import { EngineCarrierSink } from './engine/messages/carrier-sink.js';
import { CredentialVerifier } from './engine/admin/credential-verifier.js';
import { Dispatcher } from './engine/messages/dispatcher.js';
import { InboundRouter } from './engine/messages/inbound-router.js';
import { ChangeAnnouncer, LifecycleRecorder } from './engine/messages/lifecycle-recorder.js';
import { MessageAcceptor } from './engine/messages/message-acceptor.js';
import { MessageService } from './engine/messages/message-service.js';
import { NumberDirectory } from './engine/routing/number-directory.js';
import { NumberService } from './engine/admin/number-service.js';
import { TablePricing, unpriced } from './domain/pricing.js';
import { CxmlApplicationService } from './engine/admin/cxml-application-service.js';
import { NumberGroupSenderResolver } from './engine/routing/number-group-resolver.js';
import { NumberGroupService } from './engine/admin/number-group-service.js';
import { CxmlExecutor } from './webhooks/cxml/executor.js';
import { compatPlugin } from './http/compat/plugin.js';
import { numberGroupPlugin } from './http/native/number-group-routes.js';
import { certificateHostnames, ensureLocalCertificates, loadCertificateFiles, tlsDir, type TlsMaterial } from './http/tls.js';
import { CompatStatusCallbackPlanner } from './webhooks/compat-status-planner.js';
import { CxmlInboundPlanner } from './webhooks/cxml-inbound-planner.js';
import { ProjectService } from './engine/admin/project-service.js';
import { RecentMessages } from './engine/messages/recent-messages.js';
import { OwnedNumberResolver } from './engine/routing/sender-resolver.js';
import { SubmissionsInFlight } from './engine/messages/submissions-in-flight.js';
import { buildHttpApp } from './http/app.js';
import { devLoginPolicy } from './http/console/dev-login.js';
import { ConsoleFeed } from './http/console/feed.js';
import { consoleSurface } from './http/console/plugin.js';
import { ConsoleSessions } from './http/console/sessions.js';
import { registerCarrierMetrics } from './http/ops/carrier-metrics.js';
import { carriersOpsRoutes } from './http/ops/carriers-routes.js';
import { PrometheusMetrics } from './http/ops/metrics.js';
import { smscRoutes } from './http/simulator/smsc-routes.js';
import { openPostgresStore, postgresTraits } from './store/dialects/postgres.js';
import { SharedResumeStore } from './store/relay-resume-store.js';
import { eventCost, type BufferBudget } from './relay/buffer-budget.js';
import { attachRelayTransport, RelayService, type RelayLimits } from './relay/index.js';
import { openSqliteStore } from './store/dialects/sqlite.js';
import type { KyselyStore } from './store/kysely-store.js';
import { WebhookHttpClient } from './webhooks/http-client.js';
import { NativeStatusCallbackPlanner } from './webhooks/native-status-planner.js';
import { SigningKeys } from './webhooks/signing-keys.js';
import { DEFAULT_TIMEOUTS } from './webhooks/timeouts.js';
import { WebhookRunner } from './webhooks/webhook-runner.js';

/** Resolved settings plus what the loader read from the config file. */
export type ResolvedSettings = ReturnType<typeof loadSettings>;

/** The package version, from its package.json. */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Settings from this process's environment and the given flags. */
export function settingsFromEnvironment(flags: Record<string, string | undefined> = {}, extra: Omit<ConfigSources, 'env' | 'flags'> = {}): ResolvedSettings {
  return loadSettings({ env: process.env, flags, ...extra });
}

/** Test and embedding hooks: replace the clock, ids or logger. */
export interface StartOptions {
  readonly clock?: Clock;
  readonly ids?: IdGenerator;
  readonly logger?: Logger;
}

/** A running server. */
export interface SwitchboardHandle {
  readonly url: string;
  readonly port: number;
  readonly settings: ResolvedSettings;
  readonly store: Store;
  readonly bootstrap: BootstrapReport;
  readonly logger: Logger;
  readonly simulator: SimulatorCarrier;
  /** The HTTPS base URL, or null when HTTPS is off. */
  readonly httpsUrl: string | null;
  readonly httpsPort: number | null;
  /** The generated CA certificate clients should trust (NODE_EXTRA_CA_CERTS), or null. */
  readonly caFile: string | null;
  /** Every listening node server (plain HTTP first, then HTTPS), e.g. to attach 'upgrade' handlers. */
  readonly servers: ReadonlyArray<HttpServer | HttpsServer>;
  /** The simulator's SMSC, when enabled (`simulator.smsc.enabled`). */
  readonly smsc: SimulatorSmsc | null;
  /** Every carrier: the simulator and the configured SMPP connectors. */
  readonly carriers: readonly Carrier[];
  /** The event bus (NATS when `nats.url` is set). */
  readonly bus: Bus;
  /** This process's identity among the nodes sharing the database. */
  readonly instanceId: string;
  /** The cluster coordinator (PostgreSQL mode only). */
  readonly cluster: ClusterCoordinator | null;
  /** The RELAY surface; attach it to further listeners with `attachRelayTransport(server, relay)`. */
  readonly relay: RelayService;
  /** Graceful shutdown: stop taking requests, finish work in flight, close the database. */
  close(): Promise<void>;
}

/** Open the configured store: PostgreSQL when `database.url` is set, else SQLite in the data folder. */
export async function openStore(settings: SwitchboardSettings, opts: { migrate?: boolean; onPoolError?: (err: Error) => void } = {}): Promise<KyselyStore> {
  if (settings.databaseUrl) {
    return openPostgresStore({ url: settings.databaseUrl, poolSize: settings.databasePoolSize, migrate: opts.migrate ?? settings.databaseMigrate, onPoolError: opts.onPoolError });
  }
  return openSqliteStore({ file: join(settings.dataDir, 'switchboard.db') });
}

/** Open the configured bus: NATS when `nats.url` is set, else in-process. */
export async function openBus(settings: SwitchboardSettings, name: string, logger: Logger): Promise<InProcessBus | NatsBus> {
  const onError = (err: unknown, topic: string) => logger.error({ err, topic }, 'bus subscriber failed');
  if (!settings.natsUrl) return new InProcessBus(onError);
  return NatsBus.connect({
    servers: settings.natsUrl.split(',').map((u) => u.trim()),
    prefix: settings.natsSubjectPrefix,
    name,
    onError,
    onStatus: (state, server) => (state === 'disconnected' ? logger.warn({ server }, 'NATS connection lost; reconnecting') : logger.info({ server }, 'NATS connection back')),
  });
}

export async function startSwitchboard(settings: ResolvedSettings, options: StartOptions = {}): Promise<SwitchboardHandle> {
  const clock = options.clock ?? systemClock;
  const ids = options.ids ?? randomIds;
  const nodeId = settings.nodeId ?? `${hostname()}-${process.pid}`;
  const logger = options.logger ?? pino({ level: settings.logLevel, base: { node: nodeId } });
  let simulatorRules;
  try {
    simulatorRules = parseOutcomeRules(getPath(settings.rawFile, 'simulator.rules') ?? []);
  } catch (err) {
    throw new ConfigError(`"simulator.rules" in ${settings.configFile}: ${(err as Error).message}`);
  }
  let smpp: SmppSection;
  try {
    smpp = parseSmppSection(getPath(settings.rawFile, 'smpp'));
  } catch (err) {
    if (err instanceof SmppConfigError) throw new ConfigError(`${err.message}${settings.configFile ? ` in ${settings.configFile}` : ''}`);
    throw err;
  }

  // Read (or generate) the certificate before anything opens, so a bad one stops the start cleanly.
  const tls = settings.httpsEnabled ? tlsMaterial(settings) : null;
  const roles = new Set(settings.roles);
  // Unique per process start: names this instance's leases and its simulated carrier ids.
  const instanceId = randomBytes(6).toString('hex').toUpperCase();
  const store = await openStore(settings, { onPoolError: (err) => logger.warn({ err }, 'a pooled database connection failed; it will be replaced') });
  // Several nodes share a PostgreSQL database; SQLite is one node's own.
  const clustered = store.dialect === 'postgres';
  let bus: InProcessBus | NatsBus;
  try {
    bus = await openBus(settings, nodeId, logger);
  } catch (err) {
    await store.close();
    throw err;
  }
  const metrics = new PrometheusMetrics(store);

  // Engine.
  const directory = new NumberDirectory(store.numbers, clock, bus);
  const verifier = new CredentialVerifier(store.projects, store.tokens, clock, bus);
  const announcer = new ChangeAnnouncer(bus, metrics);
  const recent = new RecentMessages();
  const planners = [new NativeStatusCallbackPlanner(settings.webhookMaxAttempts), new CompatStatusCallbackPlanner(), new CxmlInboundPlanner()];
  const recorder = new LifecycleRecorder(store, clock, planners, announcer, recent);
  const acceptor = new MessageAcceptor({
    store,
    clock,
    ids,
    senders: new NumberGroupSenderResolver(new OwnedNumberResolver(directory), store.numberGroups, clock),
    planners,
    announcer,
    bus,
    rules: { refusePrivateCallbacks: settings.webhookRefusePrivate },
    recent,
  });
  const inbound = new InboundRouter({ store, clock, ids, numbers: directory, planners, announcer });
  const inFlight = new SubmissionsInFlight();
  // A receipt may reach a node that did not record its submission: with several nodes, or with SMPP
  // (whose receipts outlive a crash of the node that sent the message).
  const sink = new EngineCarrierSink(recorder, inbound, logger, inFlight, clustered || smpp.connectors.length > 0);
  const simulator = new SimulatorCarrier(
    {
      delayMs: settings.simulatorDelayMs,
      delayedReceiptMs: settings.simulatorDelayedReceiptMs,
      mmsReceipts: settings.simulatorMmsReceipts,
      inboxLimit: settings.simulatorInboxLimit,
      rules: simulatorRules,
      // Per process when nodes share the database, so a dead node's pending receipts can be adopted.
      ...(clustered ? { idPrefix: `SIM${instanceId}.` } : {}),
    },
    { inbox: store.handsets, bus, logger, now: () => clock.now() },
  );
  const connectorFor = (c: (typeof smpp.connectors)[number]) => new SmppConnector(c, { store, logger, now: () => clock.now() });
  // With several nodes, each SMPP account is bound by one node at a time (the holder of its lease).
  const leased = clustered ? smpp.connectors.map((c) => new LeasedCarrier(connectorFor(c).descriptor, () => connectorFor(c))) : [];
  const connectors: Carrier[] = clustered ? leased : smpp.connectors.map(connectorFor);
  const carriers: Carrier[] = [simulator, ...connectors];
  const router = new CarrierRouter(carriers, smpp.routes, SIMULATOR_ID);
  registerCarrierMetrics(metrics.registry, () => carriers);
  const smsc = settings.simulatorSmscEnabled
    ? new SimulatorSmsc(
        {
          host: settings.simulatorSmscHost,
          port: settings.simulatorSmscPort,
          systemId: settings.simulatorSmscSystemId,
          password: settings.simulatorSmscPassword,
          maxBinds: settings.simulatorSmscMaxBinds,
          submitIdFormat: settings.simulatorSmscSubmitIdFormat,
          receiptIdFormat: settings.simulatorSmscReceiptIdFormat,
        },
        { rules: simulator, logger, now: () => clock.now() },
      )
    : null;
  const cluster = clustered
    ? new ClusterCoordinator(
        {
          store,
          clock,
          logger,
          leased: roles.has('dispatch') ? leased : [],
          onCarrierAcquired: (id) => {
            dispatcher.wake();
            // Finish what the previous holder of the connection recorded only half of.
            const c = leased.find((l) => l.descriptor.id === id);
            if (c) recoverAwaiting(store, c).catch((err: unknown) => logger.error({ err, carrier: id }, 'carrier recovery failed'));
          },
          adopt: async (dead) => {
            await adoptSimulatedReceipts(store, simulator, dead, logger);
            // Sessions a dead node parked missed events nobody appended: they cannot resume whole.
            for (const d of dead) await sharedResume?.forgetInstance(d.instanceId);
          },
        },
        { instanceId, nodeId, roles: settings.roles, url: null, heartbeatMs: settings.clusterHeartbeatMs, nodeTimeoutMs: settings.clusterNodeTimeoutMs },
      )
    : null;
  const dispatcher = new Dispatcher(
    {
      store,
      clock,
      bus,
      router,
      recorder,
      pricing: settings.pricing ? new TablePricing(settings.pricing) : unpriced,
      metrics,
      logger,
      inFlight,
      releaseReceipts: (reports) => sink.record(reports),
      recent,
      availability: cluster ?? ALL_CARRIERS_LOCAL,
    },
    { nodeId, batchSize: settings.dispatchBatchSize, concurrency: settings.dispatchConcurrency, leaseMs: settings.dispatchLeaseMs, maxRetryDelayMs: 60_000 },
  );
  const messages = new MessageService({ store, clock });
  const numbers = new NumberService({ store, clock, ids, bus, directory, isUniqueViolation: (err) => store.isUniqueViolation(err) });
  const projects = new ProjectService({ store, clock, ids, bus });
  const groups = new NumberGroupService({ store, clock, ids, isUniqueViolation: (err) => store.isUniqueViolation(err) });
  const applications = new CxmlApplicationService({ store, clock, ids });
  const http = new WebhookHttpClient();
  const webhooks = new WebhookRunner(
    { store, clock, bus, http, keys: new SigningKeys(store.projects, clock, bus), metrics, logger },
    {
      nodeId,
      concurrency: settings.webhookConcurrency,
      // Longer than any request may take (15 s total timeout), so a lease outlives its request.
      leaseMs: settings.webhookLeaseMs,
      retryBaseMs: settings.webhookRetryBaseMs,
      retryMaxMs: settings.webhookRetryMaxMs,
      timeouts: DEFAULT_TIMEOUTS,
      userAgent: `Switchboard/${VERSION}`,
    },
  );

  const cxml = new CxmlExecutor({ store, acceptor, bus, clock, logger });
  webhooks.onResponse('inbound_message', cxml.handle);
  webhooks.onResponse('message_action', cxml.handle);

  const bootstrap = await ensureStartupProject(
    { store, projects, numbers },
    {
      projectId: settings.projectId,
      projectName: settings.projectName,
      apiToken: settings.apiToken,
      signingKey: settings.signingKey,
      numbers: settings.numbers,
      relayContext: settings.defaultRelayContext,
    },
  );
  for (const w of bootstrap.warnings) logger.warn(w);

  // The web console: its built files sit beside this package (packages/console/dist), from src and dist alike.
  const consoleSessions = settings.consoleEnabled ? new ConsoleSessions(store.consoleSessions, clock, { ttlMs: settings.consoleSessionTtlMs }, bus) : null;
  const consoleFeed = settings.consoleEnabled ? new ConsoleFeed(bus) : null;
  const consoleDir = fileURLToPath(new URL('../../console/dist/', import.meta.url));

  const httpDeps = { store, bus, clock, verifier, acceptor, messages, numbers, inbound, publicUrl: settings.publicUrl };

  let accepting = false;
  const app = await buildHttpApp({
    logger,
    bodyLimitBytes: settings.bodyLimitBytes,
    simulator,
    api: roles.has('api'),
    deps: httpDeps,
    ops: {
      store,
      carriers: () => (roles.has('dispatch') ? carriers : []),
      metrics,
      version: VERSION,
      accepting: () => accepting,
      extraChecks: () => ({
        ...(bus instanceof NatsBus ? { nats: bus.health() } : {}),
      }),
      node: { nodeId, instanceId, roles: settings.roles, store: store.dialect, bus: bus instanceof NatsBus ? 'nats' : 'in-process' },
    },
    surfaces: [
      carriersOpsRoutes({ verifier, carriers: () => carriers, routes: smpp.routes, defaultCarrier: SIMULATOR_ID }),
      ...(smsc && roles.has('api') ? [smscRoutes({ verifier, smsc, host: settings.simulatorSmscHost })] : []),
      // The REST surfaces and the console belong to the node's `api` role.
      ...(roles.has('api')
        ? [compatPlugin({ verifier, store, acceptor, messages, applications, numbers }), async (a: FastifyInstance) => a.register(numberGroupPlugin, { verifier, store, groups, publicUrl: settings.publicUrl })]
        : []),
      ...(roles.has('api') && consoleSessions && consoleFeed
        ? [
            consoleSurface({
              http: httpDeps,
              sessions: consoleSessions,
              feed: consoleFeed,
              devLogin: devLoginPolicy(settings, bootstrap.project.id),
              staticDir: existsSync(consoleDir) ? consoleDir : null,
              // A closure: the RELAY service is created after the HTTP app it attaches to.
              relaySessions: (projectId) =>
                [...relay.registry.all()]
                  .filter((s) => s.projectId === projectId)
                  .map((s) => ({
                    id: s.protocol,
                    contexts: [...s.contexts],
                    state: s.connectedAt === null ? 'parked' : 'connected',
                    connected_since: s.connectedAt === null ? null : new Date(s.connectedAt).toISOString(),
                    events_sent: s.eventsSent,
                    events_unacked: s.unackedCount,
                  })),
            }),
          ]
        : []),
    ],
    ...(consoleSessions ? { sessionAuth: consoleSessions } : {}),
  });
  consoleSessions?.start();

  const limits = relayLimits(settings);
  // Several nodes: parked sessions live in the database, so a client may resume on any node.
  let sharedResume: SharedResumeStore | null = null;
  const resume = clustered
    ? (budget: BufferBudget) =>
        (sharedResume = new SharedResumeStore(store.db, {
          instanceId,
          maxEvents: limits.eventBufferSize,
          budget,
          eventCost,
          maxParameters: postgresTraits.maxParameters,
          onDropped: (protocol, why) => {
            metrics.relaySessionEvent(why === 'expired' ? 'expired' : 'lost');
            if (why === 'overflow') logger.info({ protocol }, 'RELAY session dropped: its buffer of missed events is full');
          },
        }))
    : undefined;
  const relay = new RelayService({ bus, clock, verifier, projects: store.projects, acceptor, metrics, logger, nodeId, ...(resume ? { resume } : {}) }, limits);
  if (roles.has('relay')) attachRelayTransport(app.server, relay);

  // Work first, then the door: the simulator's SMSC (so connectors pointed at it bind at once),
  // carriers, receipts that were pending at the last stop, runners.
  if (smsc) await smsc.start();
  if (roles.has('dispatch')) {
    for (const c of carriers) await c.start(sink);
    // One node: everything awaiting a receipt was this node's. Several: each node adopts the
    // pending receipts of dead instances only (ClusterCoordinator), so none is re-run twice.
    if (!clustered) for (const c of carriers) if (c.recover) await recoverAwaiting(store, c);
  }
  if (bus instanceof NatsBus) {
    // Events other nodes sent while NATS was away are lost: look for work and reload caches.
    bus.onReconnect(() => {
      dispatcher.wake();
      webhooks.wake();
      directory.invalidate();
    });
  }
  await cluster?.start();
  // A single node's leases are all its own (from its previous run); several nodes release only theirs.
  if (roles.has('dispatch')) await dispatcher.start(!clustered);
  if (roles.has('webhooks')) await webhooks.start(!clustered);

  await app.listen({ host: settings.host, port: settings.port });
  app.server.maxConnections = settings.maxConnections;
  accepting = true;
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : settings.port;
  const hostPart = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  const url = `http://${hostPart}:${port}`;
  // HTTPS serves the same application: the TLS server hands every request to Fastify's router.
  let httpsServer: HttpsServer | null = null;
  let httpsPort: number | null = null;
  if (tls) {
    httpsServer = createHttpsServer({ key: tls.key, cert: tls.cert }, (req, res) => app.routing(req, res));
    if (roles.has('relay')) attachRelayTransport(httpsServer, relay);
    httpsServer.maxConnections = settings.maxConnections;
    httpsServer.keepAliveTimeout = app.server.keepAliveTimeout;
    httpsPort = await listen(httpsServer, settings.host, settings.httpsPort);
  }
  const httpsUrl = httpsPort === null ? null : `https://${hostPart}:${httpsPort}`;
  logger.info({ url, httpsUrl, project: bootstrap.project.id }, 'Switchboard is listening');

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      accepting = false;
      logger.info('shutting down: finishing work in flight');
      // RELAY first: its upgraded sockets would keep the HTTP server from closing.
      await relay.close();
      // Live console streams never go idle: end them first, or the servers would wait for them.
      consoleFeed?.close();
      if (httpsServer) await closeServer(httpsServer);
      await app.close();
      consoleSessions?.stop();
      await acceptor.drain();
      await inbound.drain();
      await dispatcher.stop();
      await cluster?.stop();
      for (const c of carriers) await c.stop();
      await smsc?.stop();
      await recorder.drain();
      await webhooks.stop();
      await http.close();
      await bus.close();
      await store.close();
      logger.info('stopped');
    })());

  const servers: Array<HttpServer | HttpsServer> = [app.server, ...(httpsServer ? [httpsServer] : [])];
  return { url, port, settings, store, bootstrap, logger, simulator, smsc, carriers, httpsUrl, httpsPort, caFile: tls?.caFile ?? null, servers, relay, bus, instanceId, cluster, close };
}

/** RELAY limits from settings. */
export function relayLimits(settings: SwitchboardSettings): RelayLimits {
  return {
    maxFrameBytes: settings.relayMaxFrameBytes,
    maxSessionsPerProject: settings.relayMaxSessionsPerProject,
    requestsPerSecond: settings.relayRequestsPerSecond,
    requestBurst: settings.relayRequestBurst,
    resumeWindowMs: settings.relayResumeWindowMs,
    eventBufferSize: settings.relayEventBufferSize,
    bufferMemoryBytes: settings.relayBufferMemoryBytes,
    pingIntervalMs: settings.relayPingIntervalMs,
  };
}

/** Re-arm the simulated receipts that dead instances held in memory (their carrier ids carry the instance). */
async function adoptSimulatedReceipts(store: Store, simulator: SimulatorCarrier, dead: readonly NodeRecord[], logger: Logger): Promise<void> {
  const prefixes = dead.map((d) => `SIM${d.instanceId}.`);
  const n = await recoverAwaiting(store, simulator, (m) => m.carrierMessageId !== null && prefixes.some((p) => m.carrierMessageId!.startsWith(p)));
  if (n) logger.info({ receipts: n, instances: dead.map((d) => d.instanceId) }, 'adopted pending simulated receipts');
}

async function recoverAwaiting(store: Store, carrier: Carrier, only: (m: MessageRecord) => boolean = () => true): Promise<number> {
  let after = 0;
  let n = 0;
  for (;;) {
    const all = await store.messages.listAwaitingReceipt(carrier.descriptor.id, after, 1000);
    if (all.length === 0) return n;
    const page = all.filter(only);
    n += page.length;
    carrier.recover!(
      page.map((m) => ({ messageId: m.id, projectId: m.projectId, to: m.to, from: m.from, body: m.body, media: m.media, kind: m.kind, segments: m.segments, sentAt: m.sentAt ?? m.updatedAt })),
    );
    after = all[all.length - 1]!.seq;
  }
}

/** The operator's certificate, or the local CA's (generated at first start). */
function tlsMaterial(settings: ResolvedSettings): TlsMaterial {
  if (settings.tlsCertFile || settings.tlsKeyFile) {
    if (!settings.tlsCertFile || !settings.tlsKeyFile) throw new ConfigError('https.certFile and https.keyFile must be given together (SWITCHBOARD_TLS_CERT, SWITCHBOARD_TLS_KEY)');
    return loadCertificateFiles(settings.tlsCertFile, settings.tlsKeyFile);
  }
  const extra = settings.host !== '0.0.0.0' && settings.host !== '::' ? [settings.host, ...settings.tlsHostnames] : settings.tlsHostnames;
  return ensureLocalCertificates(tlsDir(settings.dataDir), certificateHostnames(extra, hostname()));
}

function listen(server: HttpsServer, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: HttpsServer): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

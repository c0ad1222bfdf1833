/**
 * The composition root, and nothing else: read configuration, build the adapters, build the engine,
 * attach the surfaces, start, and stop in order. The choices of adapter live in
 * `composition/adapters.ts`, the surfaces in `composition/surfaces.ts`; the behaviour lives in the
 * engine (`engine/index.ts`).
 */
import { randomBytes } from 'node:crypto';
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { NatsBus } from './bus/nats-bus.js';
import type { SimulatorCarrier } from './carriers/simulator/simulator-carrier.js';
import type { SimulatorSmsc } from './carriers/simulator/smsc/smsc-server.js';
import { openBus, openStore, periodicWork, projectLimits, relayLimits, simulatedIdPrefix, simulatorCarrier, simulatorRules, simulatorSmsc, smppConnections, smppSection } from './composition/adapters.js';
import { serverClock, storeFollowedBy } from './composition/clock.js';
import { checkDataDir, usesDataDir, withinDataDir } from './composition/data-dir.js';
import { createLogger } from './composition/logger.js';
import { VERSION, type ResolvedSettings } from './composition/settings.js';
import { loggingStateChanges } from './composition/state-log.js';
import { webhookDelivery } from './composition/webhooks.js';
import { buildSurfaces, closeApiServers, listenHttp, listenHttps, tlsMaterial } from './composition/surfaces.js';
import type { Clock } from './domain/clock.js';
import { randomIds, type IdGenerator } from './domain/ids.js';
import type { Bus } from './domain/ports/bus.js';
import type { Carrier } from './domain/ports/carrier.js';
import type { Store } from './domain/ports/store.js';
import { announceAllWork, createEngine, type BootstrapReport } from './engine/index.js';
import type { ClusterCoordinator } from './engine/cluster/cluster-coordinator.js';
import { registerCarrierMetrics } from './http/ops/carrier-metrics.js';
import { PrometheusMetrics } from './http/ops/metrics.js';
import { rawErrorResponse } from './http/raw-error-response.js';
import { eventCost, type BufferBudget } from './relay/buffer-budget.js';
import { attachRelayTransport, RelayService } from './relay/index.js';
import type { ParkedSessionEnd } from './domain/ports/relay-resume.js';
import type { SharedResumeStore } from './store/relay-resume-store.js';
import { CompatStatusCallbackPlanner } from './webhooks/compat-status-planner.js';
import { CxmlInboundPlanner } from './webhooks/cxml-inbound-planner.js';
import { NativeStatusCallbackPlanner } from './webhooks/native-status-planner.js';

export { openStore, openBus, relayLimits } from './composition/adapters.js';
export { settingsFromEnvironment, VERSION, type ResolvedSettings } from './composition/settings.js';

/** Test and embedding hooks: replace the clock, ids or logger. */
export interface StartOptions {
  readonly clock?: Clock;
  readonly ids?: IdGenerator;
  readonly logger?: Logger;
  /** Lists and fetches that may wait per slot of a project (default `WAITING_PER_SLOT`); 0 in tests of the bound itself. */
  readonly waitingPerSlot?: number;
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
  /** The RELAY surface; attach it to further listeners with `attachRelayTransport(server, relay, rawErrorResponse)`. */
  readonly relay: RelayService;
  /** Graceful shutdown: stop taking requests, finish work in flight, close the database. */
  close(): Promise<void>;
}

export async function startSwitchboard(settings: ResolvedSettings, options: StartOptions = {}): Promise<SwitchboardHandle> {
  const clock = options.clock ?? serverClock(settings);
  const ids = options.ids ?? randomIds;
  const nodeId = settings.nodeId ?? `${hostname()}-${process.pid}`;
  const logger = options.logger ?? createLogger({ level: settings.logLevel, format: settings.logFormat, nodeId });
  const roles = new Set(settings.roles);
  const smpp = smppSection(settings);
  // Checked here too, before anything opens, though the simulator reads them later.
  simulatorRules(settings);
  // The operator's own certificate first: a bad one stops the start before anything is written.
  const operatorTls = settings.httpsEnabled && (settings.tlsCertFile || settings.tlsKeyFile) ? tlsMaterial(settings) : null;
  if (operatorTls?.expiresAt !== undefined && operatorTls.expiresAt < Date.now()) logger.warn({ certFile: settings.tlsCertFile, expiredAt: new Date(operatorTls.expiresAt).toISOString() }, 'the operator certificate (https.certFile) has expired: HTTPS clients refuse it until it is renewed');
  // The data folder (database, generated certificates) is checked before anything opens in it (once: openStore is told).
  if (usesDataDir(settings)) {
    const room = checkDataDir(settings.dataDir);
    if (room.lowOnSpace) logger.warn({ dataDir: settings.dataDir, freeBytes: room.freeBytes }, 'the data folder is low on space; writes answer 503 once it is full');
  }
  // Read (or generate) the certificate before anything opens, so a bad one stops the start cleanly.
  const tls = settings.httpsEnabled ? (operatorTls ?? withinDataDir(settings.dataDir, () => tlsMaterial(settings))) : null;
  // Unique per process start: names this instance's leases and its simulated carrier ids.
  const instanceId = randomBytes(6).toString('hex').toUpperCase();

  // Adapters.
  const store = storeFollowedBy(await openStore(settings, { dataDirChecked: true, onPoolError: (err) => logger.warn({ err }, 'a pooled database connection failed; it will be replaced') }), clock);
  const clustered = store.dialect === 'postgres'; // Several nodes share a PostgreSQL database; SQLite is one node's own.
  const bus = await openBus(settings, nodeId, logger, clock).catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  const metrics = new PrometheusMetrics();
  const simulator = simulatorCarrier(settings, { store, bus, logger, clock, instanceId, clustered });
  const smsc = simulatorSmsc(settings, { simulator, store, logger, clock });
  // Several nodes: parked RELAY sessions live in the database, so a client may resume on any node.
  let sharedResume: SharedResumeStore | null = null;

  // The engine.
  const engine = createEngine(
    {
      store,
      bus: loggingStateChanges(bus, logger),
      clock,
      ids,
      logger,
      metrics,
      carriers: [simulator],
      connections: smppConnections(smpp, { store, logger, clock }),
      planners: [new NativeStatusCallbackPlanner(), new CompatStatusCallbackPlanner(), new CxmlInboundPlanner()],
    },
    {
      nodeId,
      instanceId,
      roles: settings.roles,
      routes: smpp.routes,
      defaultCarrier: simulator.descriptor.id,
      pricing: settings.pricing,
      sendRules: { refusePrivateCallbacks: settings.webhookRefusePrivate, schedule: { minLeadMs: settings.scheduleMinLeadSeconds * 1000, maxLeadMs: settings.scheduleMaxLeadSeconds * 1000 } },
      senderRates: { defaults: settings.senderRates, queueLimitSeconds: settings.senderQueueLimitSeconds },
      dispatch: { batchSize: settings.dispatchBatchSize, concurrency: settings.dispatchConcurrency, leaseMs: settings.dispatchLeaseMs, retry: { initialMs: 500, maxMs: 60_000 } },
      // A receipt may reach a node that did not record its submission: with several nodes, or with
      // SMPP (whose receipts outlive a crash of the node that sent the message).
      inferSentFromReceipts: clustered || smpp.connectors.length > 0,
      ...periodicWork(settings),
      projectLimits: projectLimits(settings),
      cluster: clustered ? { heartbeatMs: settings.clusterHeartbeatMs, nodeTimeoutMs: settings.clusterNodeTimeoutMs } : null,
      adoptReceipts: { carrier: simulator, prefixOf: simulatedIdPrefix },
      // A killed node's parked sessions missed events nobody appended; a stopped one (heartbeat 0) handed its over (RelayService.close).
      onInstancesDead: async (dead) => {
        const crashed = dead.filter((d) => d.heartbeatAt > 0);
        for (const d of crashed) await sharedResume?.forgetInstance(d.instanceId);
        // A node killed may have committed states it never published (relay/lost-events.ts); one stopped published all.
        if (crashed.length) bus.publish('relay.nodes.dead', { since: Math.min(...crashed.map((d) => d.heartbeatAt)) });
      },
      sharedClock: settings.simulatorClock === 'manual' ? { onMoved: () => webhooks.wake() } : null,
    },
  );
  metrics.watchBacklog(() => engine.backlog());
  registerCarrierMetrics(metrics.registry, () => engine.carriers);

  // Webhooks: the outbox runner, and cXML documents executed from inbound and action webhooks.
  const { runner: webhooks, http } = webhookDelivery(settings, { store, clock, bus, metrics, logger, nodeId, engine });

  const bootstrap = await engine.bootstrap({
    projectId: settings.projectId,
    projectName: settings.projectName,
    apiToken: settings.apiToken,
    testApiToken: settings.testApiToken,
    signingKey: settings.signingKey,
    numbers: settings.numbers,
    relayContext: settings.defaultRelayContext,
  });
  for (const w of bootstrap.warnings) logger.warn(w);
  simulator.useOperatorProject(bootstrap.project.id);

  // Surfaces.
  let accepting = false;
  const { app, serverLimits, authThrottle, sendSlots, consoleSessions, consoleFeed } = await buildSurfaces({
    engine,
    settings,
    logger,
    simulator,
    smsc,
    smpp,
    defaultProjectId: bootstrap.project.id,
    consoleSessionRepository: store.consoleSessions,
    relaySessions: (projectId) => relay.sessionsOf(projectId),
    waitingPerSlot: options.waitingPerSlot,
    ops: {
      ping: () => engine.ping(),
      storage: () => engine.storageHealth(),
      carriers: () => (roles.has('dispatch') ? engine.carriers : []),
      metrics,
      version: VERSION,
      accepting: () => accepting,
      extraChecks: () => ({ ...(bus instanceof NatsBus ? { nats: bus.health() } : {}) }),
      node: { nodeId, instanceId, roles: settings.roles, store: store.dialect, bus: bus instanceof NatsBus ? 'nats' : 'in-process' },
    },
  });
  consoleSessions?.start();
  const limits = relayLimits(settings);
  // In the database: several nodes' parked sessions; on SQLite, those handed over to the next process at a stop.
  const stored = (budget: BufferBudget, onDropped: (protocol: string, why: ParkedSessionEnd) => void) =>
    store.relayResumeStore({ instanceId, maxEvents: limits.eventBufferSize, budget, eventCost, maxPerProject: limits.maxSessionsPerProject, onDropped });
  const resume = clustered ? { resume: (...args: Parameters<typeof stored>) => (sharedResume = stored(...args)) } : { handOff: stored };
  const relay = new RelayService({ bus, clock, verifier: engine.verifier, projects: engine.reads.projects, messages: engine.reads.messages, events: engine.reads.events, acceptor: engine.acceptor, metrics, logger, nodeId, authThrottle, sendSlots, checkpoints: store.relayCheckpoints(instanceId), ...resume }, limits);
  if (roles.has('relay')) attachRelayTransport(app.server, relay, rawErrorResponse);

  // Start: work first, then the door. The simulator's SMSC first, so connectors pointed at it bind at once.
  if (smsc) await smsc.start();
  // Events sent while NATS was away are lost, this node's wake-ups too: look for work, and have the others look (caches drop their own).
  bus.onMissed(() => (engine.wake(), webhooks.wake(), announceAllWork(bus)));
  await engine.start();
  if (roles.has('webhooks')) await webhooks.start(!clustered);

  const { port, url, hostPart } = await listenHttp(app, settings);
  accepting = true;
  const https = tls ? await listenHttps(app, tls, settings, serverLimits) : null;
  if (https && roles.has('relay')) attachRelayTransport(https.server, relay, rawErrorResponse);
  const httpsUrl = https ? `https://${hostPart}:${https.port}` : null;
  logger.info({ url, httpsUrl, project: bootstrap.project.id }, 'Switchboard is listening');
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      accepting = false;
      logger.info('shutting down: finishing work in flight');
      store.stopping();
      // RELAY first: its upgraded sockets would keep the HTTP server from closing.
      await relay.close();
      // Live console streams never go idle: end them first, or the servers would wait for them.
      consoleFeed?.close();
      await closeApiServers(app, https?.server ?? null);
      consoleSessions?.stop();
      await engine.stop();
      await smsc?.stop();
      await webhooks.stop();
      await http.close();
      await bus.close();
      await store.close();
      logger.info('stopped');
    })());

  const servers: Array<HttpServer | HttpsServer> = [app.server, ...(https ? [https.server] : [])];
  return { url, port, settings, store, bootstrap, logger, simulator, smsc, carriers: engine.carriers, httpsUrl, httpsPort: https?.port ?? null, caFile: tls?.caFile ?? null, servers, relay, bus, instanceId, cluster: engine.cluster, close };
}

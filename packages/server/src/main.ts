/**
 * The composition root: the only place that reads the environment and picks concrete adapters.
 * `startSwitchboard` wires store, bus, engine, carriers, webhooks and HTTP surfaces from resolved
 * settings and returns a handle that shuts everything down in order.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { InProcessBus } from './bus/in-process-bus.js';
import { parseOutcomeRules } from './carriers/simulator/rules-config.js';
import { SimulatorCarrier, SIMULATOR_ID } from './carriers/simulator/simulator-carrier.js';
import { loadSettings, type ConfigSources } from './config/load.js';
import type { SwitchboardSettings } from './config/settings.js';
import { systemClock, type Clock } from './domain/clock.js';
import { randomIds, type IdGenerator } from './domain/ids.js';
import type { Carrier } from './domain/ports/carrier.js';
import type { Store } from './domain/ports/store.js';
import { ensureStartupProject, type BootstrapReport } from './engine/bootstrap.js';
import { CarrierRouter } from './engine/carrier-router.js';
import { EngineCarrierSink } from './engine/carrier-sink.js';
import { CredentialVerifier } from './engine/credential-verifier.js';
import { Dispatcher } from './engine/dispatcher.js';
import { InboundRouter } from './engine/inbound-router.js';
import { ChangeAnnouncer, LifecycleRecorder } from './engine/lifecycle-recorder.js';
import { MessageAcceptor } from './engine/message-acceptor.js';
import { MessageService } from './engine/message-service.js';
import { NumberDirectory } from './engine/number-directory.js';
import { NumberService } from './engine/number-service.js';
import { unpriced } from './engine/pricing.js';
import { ProjectService } from './engine/project-service.js';
import { OwnedNumberResolver } from './engine/sender-resolver.js';
import { SubmissionsInFlight } from './engine/submissions-in-flight.js';
import { buildHttpApp } from './http/app.js';
import { PrometheusMetrics } from './http/ops/metrics.js';
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
  /** The RELAY surface; attach it to further listeners with `attachRelayTransport(server, relay)`. */
  readonly relay: RelayService;
  /** Graceful shutdown: stop taking requests, finish work in flight, close the database. */
  close(): Promise<void>;
}

/** Open the configured store (SQLite in the data folder). */
export async function openStore(settings: SwitchboardSettings): Promise<KyselyStore> {
  return openSqliteStore({ file: join(settings.dataDir, 'switchboard.db') });
}

export async function startSwitchboard(settings: ResolvedSettings, options: StartOptions = {}): Promise<SwitchboardHandle> {
  const clock = options.clock ?? systemClock;
  const ids = options.ids ?? randomIds;
  const nodeId = settings.nodeId ?? `${hostname()}-${process.pid}`;
  const logger = options.logger ?? pino({ level: settings.logLevel, base: { node: nodeId } });
  const simulatorRules = parseOutcomeRules(readPath(settings.rawFile, 'simulator.rules') ?? []);

  const store = await openStore(settings);
  const bus = new InProcessBus((err, topic) => logger.error({ err, topic }, 'bus subscriber failed'));
  const metrics = new PrometheusMetrics(store);

  // Engine.
  const directory = new NumberDirectory(store.numbers, clock, bus);
  const verifier = new CredentialVerifier(store.projects, store.tokens, clock, bus);
  const announcer = new ChangeAnnouncer(bus, metrics);
  const planners = [new NativeStatusCallbackPlanner(settings.webhookMaxAttempts)];
  const recorder = new LifecycleRecorder(store, clock, planners, announcer);
  const acceptor = new MessageAcceptor({
    store,
    clock,
    ids,
    senders: new OwnedNumberResolver(directory),
    planners,
    announcer,
    bus,
    rules: { refusePrivateCallbacks: settings.webhookRefusePrivate },
  });
  const inbound = new InboundRouter({ store, clock, ids, numbers: directory, planners, announcer });
  const inFlight = new SubmissionsInFlight();
  const sink = new EngineCarrierSink(recorder, inbound, logger, inFlight);
  const simulator = new SimulatorCarrier(
    {
      delayMs: settings.simulatorDelayMs,
      delayedReceiptMs: settings.simulatorDelayedReceiptMs,
      mmsReceipts: settings.simulatorMmsReceipts,
      inboxLimit: settings.simulatorInboxLimit,
      rules: simulatorRules,
    },
    { inbox: store.handsets, bus, logger, now: () => clock.now() },
  );
  const carriers: Carrier[] = [simulator];
  const router = new CarrierRouter(carriers, [], SIMULATOR_ID);
  const dispatcher = new Dispatcher(
    { store, clock, bus, router, recorder, pricing: unpriced, metrics, logger, inFlight, releaseReceipts: (reports) => sink.record(reports) },
    { nodeId, batchSize: settings.dispatchBatchSize, concurrency: settings.dispatchConcurrency, leaseMs: settings.dispatchLeaseMs, maxRetryDelayMs: 60_000 },
  );
  const messages = new MessageService({ store, clock });
  const numbers = new NumberService({ store, clock, ids, bus, directory, isUniqueViolation: (err) => store.isUniqueViolation(err) });
  const projects = new ProjectService({ store, clock, ids, bus });
  const http = new WebhookHttpClient();
  const webhooks = new WebhookRunner(
    { store, clock, bus, http, keys: new SigningKeys(store.projects, clock, bus), metrics, logger },
    {
      concurrency: settings.webhookConcurrency,
      leaseMs: 60_000,
      retryBaseMs: settings.webhookRetryBaseMs,
      retryMaxMs: settings.webhookRetryMaxMs,
      timeouts: DEFAULT_TIMEOUTS,
      userAgent: `Switchboard/${VERSION}`,
    },
  );

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

  let accepting = false;
  const app = await buildHttpApp({
    logger,
    bodyLimitBytes: settings.bodyLimitBytes,
    simulator,
    deps: { store, bus, clock, verifier, acceptor, messages, numbers, inbound, publicUrl: settings.publicUrl },
    ops: { store, carriers: () => carriers, metrics, version: VERSION, accepting: () => accepting },
  });

  const relay = new RelayService({ bus, clock, verifier, projects: store.projects, acceptor, metrics, logger, nodeId }, relayLimits(settings));
  attachRelayTransport(app.server, relay);

  // Work first, then the door: carriers, receipts that were pending at the last stop, runners.
  for (const c of carriers) await c.start(sink);
  for (const c of carriers) if (c.recover) await recoverAwaiting(store, c);
  await dispatcher.start(true);
  webhooks.start();

  await app.listen({ host: settings.host, port: settings.port });
  app.server.maxConnections = settings.maxConnections;
  accepting = true;
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : settings.port;
  const url = `http://${settings.host.includes(':') ? `[${settings.host}]` : settings.host}:${port}`;
  logger.info({ url, project: bootstrap.project.id }, 'Switchboard is listening');

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      accepting = false;
      logger.info('shutting down: finishing work in flight');
      // RELAY first: its upgraded sockets would keep the HTTP server from closing.
      await relay.close();
      await app.close();
      await acceptor.drain();
      await inbound.drain();
      await dispatcher.stop();
      for (const c of carriers) await c.stop();
      await recorder.drain();
      await webhooks.stop();
      await http.close();
      await bus.close();
      await store.close();
      logger.info('stopped');
    })());

  return { url, port, settings, store, bootstrap, logger, simulator, relay, close };
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

async function recoverAwaiting(store: Store, carrier: Carrier): Promise<void> {
  let after = 0;
  for (;;) {
    const page = await store.messages.listAwaitingReceipt(carrier.descriptor.id, after, 1000);
    if (page.length === 0) return;
    carrier.recover!(
      page.map((m) => ({ messageId: m.id, projectId: m.projectId, to: m.to, from: m.from, body: m.body, media: m.media, kind: m.kind, segments: m.segments, sentAt: m.sentAt ?? m.updatedAt })),
    );
    after = page[page.length - 1]!.seq;
  }
}

function readPath(obj: Record<string, unknown>, dotted: string): unknown {
  let cur: unknown = obj;
  for (const k of dotted.split('.')) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[k] : undefined;
  return cur;
}

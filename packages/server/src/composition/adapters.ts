/**
 * The adapters a node runs on, chosen from settings: the store (SQLite or PostgreSQL), the bus
 * (in-process or NATS), the carriers (the simulator, its optional SMSC, SMPP connections) and the
 * RELAY limits.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { InProcessBus } from '../bus/in-process-bus.js';
import { NatsBus } from '../bus/nats-bus.js';
import { parseOutcomeRuleSet } from '../domain/simulator/rules.js';
import { SimulatorCarrier } from '../carriers/simulator/simulator-carrier.js';
import { SimulatorSmsc } from '../carriers/simulator/smsc/smsc-server.js';
import { parseSmppSection, SmppConfigError, type SmppSection } from '../carriers/smpp/config.js';
import { SmppConnector } from '../carriers/smpp/connector.js';
import { ConfigError, getPath } from '../config/load.js';
import type { SwitchboardSettings } from '../config/settings.js';
import type { Clock } from '../domain/clock.js';
import type { ProjectLimits } from '../domain/project-limits.js';
import type { Bus } from '../domain/ports/bus.js';
import type { Carrier, CarrierDescriptor } from '../domain/ports/carrier.js';
import type { Store } from '../domain/ports/store.js';
import type { EngineOptions } from '../engine/index.js';
import type { RelayLimits } from '../relay/index.js';
import { openPostgresStore } from '../store/dialects/postgres.js';
import { openSqliteStore } from '../store/dialects/sqlite.js';
import type { KyselyStore } from '../store/kysely-store.js';
import { checkDataDir, dataDirError, sqliteFile } from './data-dir.js';
import type { ResolvedSettings } from './settings.js';

/**
 * Open the configured store: PostgreSQL when `database.url` is set, else SQLite in the data folder,
 * which is checked first with a test write (unless `dataDirChecked`: the caller just did; or
 * `readsOnly`: the caller only reads an existing database, as on a full disk it still may); a file
 * system failure there is a `DataDirError` naming the folder and cause.
 */
export async function openStore(settings: SwitchboardSettings, opts: { migrate?: boolean; dataDirChecked?: boolean; readsOnly?: boolean; onPoolError?: (err: Error) => void } = {}): Promise<KyselyStore> {
  if (settings.databaseUrl) {
    return openPostgresStore({ url: settings.databaseUrl, poolSize: settings.databasePoolSize, migrate: opts.migrate ?? settings.databaseMigrate, onPoolError: opts.onPoolError });
  }
  if (!opts.dataDirChecked && !opts.readsOnly) checkDataDir(settings.dataDir);
  const file = sqliteFile(settings.dataDir);
  try {
    return await openSqliteStore({ file });
  } catch (err) {
    throw dataDirError(settings.dataDir, err, file) ?? err;
  }
}

/** Open the configured bus: NATS when `nats.url` is set, else in-process. */
export async function openBus(settings: SwitchboardSettings, name: string, logger: Logger, clock?: Clock): Promise<InProcessBus | NatsBus> {
  const onError = (err: unknown, topic: string) => logger.error({ err, topic }, 'bus subscriber failed');
  if (!settings.natsUrl) return new InProcessBus(onError);
  return NatsBus.connect({
    servers: settings.natsUrl.split(',').map((u) => u.trim()),
    prefix: settings.natsSubjectPrefix,
    name,
    onError,
    ...(clock ? { now: () => clock.now() } : {}),
    onStatus: (state, server) => (state === 'disconnected' ? logger.warn({ server }, 'NATS connection lost; reconnecting') : logger.info({ server }, 'NATS connection back')),
  });
}

/** The `smpp` section of the config file, with errors naming the file. */
export function smppSection(settings: ResolvedSettings): SmppSection {
  const inFile = settings.configFile ? ` in ${settings.configFile}` : '';
  let section: SmppSection;
  try {
    section = parseSmppSection(getPath(settings.rawFile, 'smpp'));
  } catch (err) {
    if (err instanceof SmppConfigError) throw new ConfigError(`${err.message}${inFile}`);
    throw err;
  }
  // Read when a connector is made: a missing one was a stack trace at start.
  section.connectors.forEach((c, i) => {
    if (c.tls?.caFile) checkCaFile(c.tls.caFile, `smpp.connectors[${i}].tls.caFile${inFile}`);
  });
  return section;
}

function checkCaFile(file: string, setting: string): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : String(code ?? err);
    throw new ConfigError(`${setting}: cannot read ${file} (${why}); give a readable PEM file of the CA that signed the SMSC's certificate, or leave caFile out to trust the system's CAs`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError(`${setting}: ${file} is not a PEM certificate (-----BEGIN CERTIFICATE-----)`);
}

/** The simulator's outcome rules from the config file, checked before anything opens. */
export function simulatorRules(settings: ResolvedSettings): ReturnType<typeof parseOutcomeRuleSet> {
  try {
    return parseOutcomeRuleSet(getPath(settings.rawFile, 'simulator.rules') ?? []);
  } catch (err) {
    throw new ConfigError(`"simulator.rules" in ${settings.configFile}: ${(err as Error).message}`);
  }
}

/** The simulated carrier; with several nodes its carrier ids carry this instance, so a dead node's receipts can be adopted. */
export function simulatorCarrier(settings: ResolvedSettings, deps: { store: Store; bus: Bus; logger: Logger; clock: Clock; instanceId: string; clustered: boolean }): SimulatorCarrier {
  return new SimulatorCarrier(
    {
      delayMs: settings.simulatorDelayMs,
      delayedReceiptMs: settings.simulatorDelayedReceiptMs,
      mmsReceipts: settings.simulatorMmsReceipts,
      inboxLimit: settings.simulatorInboxLimit,
      rules: simulatorRules(settings),
      ...(deps.clustered ? { idPrefix: simulatedIdPrefix(deps.instanceId) } : {}),
      answerAfterHandsets: deps.store.dialect === 'postgres',
      dispatchSlots: settings.dispatchConcurrency,
    },
    { inbox: deps.store.handsets, settings: deps.store.simulatorSettings, bus: deps.bus, logger: deps.logger, now: () => deps.clock.now(), clock: deps.clock },
  );
}

/** The prefix of the simulated carrier ids an instance hands out. */
export function simulatedIdPrefix(instanceId: string): string {
  return `SIM${instanceId}.`;
}

/** The simulator's SMSC, when enabled. */
export function simulatorSmsc(settings: ResolvedSettings, deps: { simulator: SimulatorCarrier; store: Store; logger: Logger; clock: Clock }): SimulatorSmsc | null {
  if (!settings.simulatorSmscEnabled) return null;
  return new SimulatorSmsc(
    {
      host: settings.simulatorSmscHost,
      port: settings.simulatorSmscPort,
      systemId: settings.simulatorSmscSystemId,
      password: settings.simulatorSmscPassword,
      maxBinds: settings.simulatorSmscMaxBinds,
      bindFailures: { burst: settings.simulatorSmscBindFailureBurst, perMinute: settings.simulatorSmscBindFailuresPerMinute },
      submitIdFormat: settings.simulatorSmscSubmitIdFormat,
      receiptIdFormat: settings.simulatorSmscReceiptIdFormat,
    },
    // The receipts it owes are kept in the server's database, so a restart does not lose them.
    { rules: deps.simulator, logger: deps.logger, now: () => deps.clock.now(), clock: deps.clock, receipts: deps.store.smscReceipts },
  );
}

/** One SMPP connection per configured connector, built when the engine connects it. */
export function smppConnections(smpp: SmppSection, deps: { store: Store; logger: Logger; clock: Clock }): Array<{ descriptor: CarrierDescriptor; connect(): Carrier }> {
  return smpp.connectors.map((c) => {
    const connect = () => new SmppConnector(c, { store: deps.store, logger: deps.logger, now: () => deps.clock.now() });
    return { descriptor: connect().descriptor, connect };
  });
}

/** RELAY limits from settings. */
export function relayLimits(settings: SwitchboardSettings): RelayLimits {
  return {
    maxFrameBytes: settings.relayMaxFrameBytes,
    maxSessionsPerProject: settings.relayMaxSessionsPerProject,
    requestsPerSecond: settings.relayRequestsPerSecond,
    requestBurst: settings.relayRequestBurst,
    bytesPerSecond: settings.relayBytesPerSecond,
    bytesPerSecondPerAddress: settings.relayBytesPerSecondPerAddress,
    resumeWindowMs: settings.relayResumeWindowMs,
    catchUpWindowMs: settings.relayCatchUpWindowMs,
    eventBufferSize: settings.relayEventBufferSize,
    bufferMemoryBytes: settings.relayBufferMemoryBytes,
    pingIntervalMs: settings.relayPingIntervalMs,
    maxSocketBufferBytes: settings.relayMaxSocketBufferBytes,
    socketMemoryPerAddressBytes: settings.relaySocketMemoryPerAddressBytes,
    stateEventGapMs: settings.relayStateEventGapMs,
  };
}

/** The engine's periodic passes from settings: receipt reconciliation, and retention of settled webhooks. */
export function periodicWork(settings: SwitchboardSettings): Pick<EngineOptions, 'receipts' | 'retention'> {
  return {
    receipts: { reconcileAfterMs: settings.receiptsReconcileAfterMs, giveUpAfterMs: settings.receiptsGiveUpAfterMs },
    retention: {
      deliveredWebhooksMs: settings.retentionDeliveredWebhookHours * 3_600_000,
      failedWebhooksMs: settings.retentionFailedWebhookHours * 3_600_000,
      intervalMs: settings.retentionIntervalMs,
      batchSize: settings.retentionBatchSize,
    },
  };
}

/** The most objects of each kind one project may keep, from settings. */
export function projectLimits(settings: SwitchboardSettings): ProjectLimits {
  return { numbers: settings.maxNumbersPerProject, numberGroups: settings.maxNumberGroupsPerProject, applications: settings.maxApplicationsPerProject, optOuts: settings.maxOptOutsPerProject };
}

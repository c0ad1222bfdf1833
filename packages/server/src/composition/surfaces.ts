/**
 * The surfaces a node serves, built on the engine: the Fastify app (native REST, simulator, ops,
 * Compatibility API, number groups, SMSC controls, the console) and the HTTPS listener beside the
 * plain one, plus RELAY on both.
 */
import { existsSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { SimulatorCarrier } from '../carriers/simulator/simulator-carrier.js';
import type { SimulatorSmsc } from '../carriers/simulator/smsc/smsc-server.js';
import type { SmppSection } from '../carriers/smpp/config.js';
import { ConfigError } from '../config/load.js';
import { operatorCertificate } from './operator-tls.js';
import { systemClock } from '../domain/clock.js';
import type { ConsoleSessionRepository } from '../domain/ports/store.js';
import type { Engine } from '../engine/index.js';
import { AuthThrottle } from '../util/auth-throttle.js';
import { buildHttpApp } from '../http/app.js';
import { FETCHES_PER_LIST_SLOT } from '../http/fetch-slots.js';
import { compatPlugin } from '../http/compat/plugin.js';
import { devLoginPolicy } from '../http/console/dev-login.js';
import { ConsoleFeed } from '../http/console/feed.js';
import { consoleSurface, type RelaySessionSource } from '../http/console/plugin.js';
import { ConsoleSessions } from '../http/console/sessions.js';
import { httpDeps } from '../http/deps.js';
import { numberGroupPlugin } from '../http/native/number-group-routes.js';
import { carriersOpsRoutes } from '../http/ops/carriers-routes.js';
import type { OpsDeps } from '../http/ops/plugin.js';
import { paceHandshakes } from '../http/handshake-pacing.js';
import { answerPlainHttp } from '../http/plain-http-on-https.js';
import { ProjectSlots } from '../util/project-slots.js';
import { WAITING_PER_SLOT } from '../http/project-slot-route.js';
import { closeUnfinishedHandshakes, ServerLimits } from '../http/server-limits.js';
import { smscRoutes } from '../http/simulator/smsc-routes.js';
import { certificateHostnames, ensureLocalCertificates, tlsDir, type TlsMaterial } from '../http/tls.js';
import type { ResolvedSettings } from './settings.js';

// The web console's built files sit beside this package (packages/console/dist), from src and dist alike.
const CONSOLE_DIR = fileURLToPath(new URL('../../../console/dist/', import.meta.url));

export interface SurfaceParts {
  readonly engine: Engine;
  readonly settings: ResolvedSettings;
  readonly logger: Logger;
  readonly simulator: SimulatorCarrier;
  readonly smsc: SimulatorSmsc | null;
  readonly smpp: SmppSection;
  readonly ops: OpsDeps;
  /** The startup project: the operator project (shared infrastructure), and the one the console's one-click login signs in to. */
  readonly defaultProjectId: string;
  /** Where console logins are kept (the console's own state, not message data). */
  readonly consoleSessionRepository: ConsoleSessionRepository;
  /** RELAY sessions per project, for the console (the RELAY service is built after the app). */
  readonly relaySessions: RelaySessionSource;
  /** Lists and single fetches that may wait per slot of a project; undefined: `WAITING_PER_SLOT`. */
  readonly waitingPerSlot?: number | undefined;
}

export interface Surfaces {
  readonly app: FastifyInstance;
  /** Timeouts and connection caps of the node servers, already applied to `app.server`; give them to `listenHttps`. */
  readonly serverLimits: ServerLimits;
  /** Failed authentications per client address and project id, shared by the REST surfaces and RELAY. */
  readonly authThrottle: AuthThrottle;
  /** Sends in progress per project, shared by the REST surfaces and RELAY. */
  readonly sendSlots: ProjectSlots;
  readonly consoleSessions: ConsoleSessions | null;
  readonly consoleFeed: ConsoleFeed | null;
}

/** The Fastify application with every surface this node's roles serve. */
export async function buildSurfaces(p: SurfaceParts): Promise<Surfaces> {
  const { engine, settings } = p;
  const api = settings.roles.includes('api');
  const deps = httpDeps(engine, settings.publicUrl, settings.listScanRows);
  // Console sessions and failed-login limits are the people and clients at the door, on wall time
  // like other network timers: on the simulator clock, a test's advance logged the developer out,
  // and a lockout (its Retry-After in real seconds) lasted until someone moved the clock.
  const devLogin = devLoginPolicy(settings, p.defaultProjectId);
  const consoleSessions = settings.consoleEnabled ? new ConsoleSessions(p.consoleSessionRepository, systemClock, { ttlMs: settings.consoleSessionTtlMs, publicUrl: settings.publicUrl, maxPerCredential: settings.consoleMaxSessionsPerToken, devSessions: devLogin.enabled }, engine.bus) : null;
  const consoleFeed = settings.consoleEnabled ? new ConsoleFeed(engine.bus) : null;
  const sendSlots = new ProjectSlots(settings.maxSendRequestsPerProject);
  const lists = settings.maxListRequestsPerProject;
  const waiting = p.waitingPerSlot ?? WAITING_PER_SLOT;
  const authThrottle = new AuthThrottle({
    perAddress: { burst: settings.authFailureBurstPerAddress, perMinute: settings.authFailuresPerMinutePerAddress },
    perProject: { burst: settings.authFailureBurstPerProject, perMinute: settings.authFailuresPerMinutePerProject },
    now: () => systemClock.now(),
    onLimited: (kind, key, retryAfterMs) =>
      p.logger.warn({ [kind]: key, retryAfterMs }, `failed authentications limited for this ${kind === 'address' ? 'client address' : 'project id'}: further attempts get 429 until its budget refills (credentials that worked before still pass)`),
  });
  const app = await buildHttpApp({
    logger: p.logger,
    bodyLimitBytes: settings.bodyLimitBytes,
    simulator: p.simulator,
    operatorProjectId: p.defaultProjectId,
    api,
    deps,
    ops: p.ops,
    surfaces: [
      carriersOpsRoutes({ verifier: engine.verifier, carriers: () => engine.carriers, routes: p.smpp.routes, defaultCarrier: p.simulator.descriptor.id, operatorProjectId: p.defaultProjectId }),
      ...(p.smsc && api ? [smscRoutes({ verifier: engine.verifier, numbers: engine.reads.numbers, smsc: p.smsc, host: settings.simulatorSmscHost, operatorProjectId: p.defaultProjectId })] : []),
      // The REST surfaces and the console belong to the node's `api` role.
      ...(api ? [compatPlugin(deps), async (a: FastifyInstance) => a.register(numberGroupPlugin, deps)] : []),
      ...(api && consoleSessions && consoleFeed
        ? [
            consoleSurface({
              http: deps,
              sessions: consoleSessions,
              feed: consoleFeed,
              devLogin,
              staticDir: existsSync(CONSOLE_DIR) ? CONSOLE_DIR : null,
              relaySessions: p.relaySessions,
            }),
          ]
        : []),
    ],
    ...(consoleSessions ? { sessionAuth: consoleSessions } : {}),
    authThrottle,
    listSlots: new ProjectSlots(lists, lists * waiting),
    fetchSlots: new ProjectSlots(lists * FETCHES_PER_LIST_SLOT, lists * FETCHES_PER_LIST_SLOT * waiting),
    sendSlots,
  });
  const serverLimits = new ServerLimits(
    {
      headersTimeoutMs: settings.headersTimeoutMs,
      requestTimeoutMs: settings.requestTimeoutMs,
      maxConnections: settings.maxConnections,
      maxConnectionsPerAddress: settings.maxConnectionsPerAddress,
      maxConnectionsPerNetwork: settings.maxConnectionsPerNetwork,
      bodyLimitBytes: settings.bodyLimitBytes,
    },
    p.logger,
  );
  serverLimits.apply(app.server, { tls: false });
  return { app, serverLimits, authThrottle, sendSlots, consoleSessions, consoleFeed };
}

/** The operator's certificate, or the local CA's (generated at first start). */
export function tlsMaterial(settings: ResolvedSettings): TlsMaterial {
  if (settings.tlsCertFile || settings.tlsKeyFile) {
    if (!settings.tlsCertFile || !settings.tlsKeyFile) throw new ConfigError('https.certFile and https.keyFile must be given together (SWITCHBOARD_TLS_CERT, SWITCHBOARD_TLS_KEY)');
    return operatorCertificate(settings.tlsCertFile, settings.tlsKeyFile);
  }
  const extra = settings.host !== '0.0.0.0' && settings.host !== '::' ? [settings.host, ...settings.tlsHostnames] : settings.tlsHostnames;
  return ensureLocalCertificates(tlsDir(settings.dataDir), certificateHostnames(extra, hostname()));
}

/** Listen on the plain HTTP port; its port (the one chosen for 0), base URL and host as a URL writes it. */
export async function listenHttp(app: FastifyInstance, settings: ResolvedSettings): Promise<{ port: number; url: string; hostPart: string }> {
  await app.listen({ host: settings.host, port: settings.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : settings.port;
  const hostPart = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  return { port, url: `http://${hostPart}:${port}`, hostPart };
}

/** HTTPS serving the same application: the TLS server hands every request to Fastify's router; plain HTTP on its port gets a 400. */
export async function listenHttps(app: FastifyInstance, tls: TlsMaterial, settings: ResolvedSettings, limits: ServerLimits): Promise<{ server: HttpsServer; port: number }> {
  const server = createHttpsServer({ key: tls.key, cert: tls.cert, handshakeTimeout: limits.options.headersTimeoutMs }, (req, res) => app.routing(req, res));
  // Node's TLS wrap waits for its address's turn (handshake-pacing.ts), once the first bytes say TLS.
  paceHandshakes(server, limits.handshakes);
  // Before the limits, whose admission then runs at accept, ahead of the wait for the first bytes.
  answerPlainHttp(server, { firstBytesTimeoutMs: limits.options.headersTimeoutMs });
  limits.apply(server, { tls: true });
  server.keepAliveTimeout = app.server.keepAliveTimeout;
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.httpsPort, settings.host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
  return { server, port };
}

/** Stop an HTTPS server: no new connections, idle ones and those still before their handshake's end closed. */
function closeHttps(server: HttpsServer): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    closeUnfinishedHandshakes(server);
  });
}

/** How long closing servers wait for their connections' requests in flight before dropping them. */
export const CLOSE_GRACE_MS = 10_000;

/**
 * Stop the API's servers (HTTPS, then the app's own): no new connections, requests in flight
 * answered, idle connections closed. Whatever is still connected `graceMs` after is dropped: a
 * client that opened a connection and sent nothing, or half a request's headers, held the close
 * for ever (a closed Node server no longer checks its header timeout), so a node told to stop
 * never stopped.
 */
export async function closeApiServers(app: FastifyInstance, https: HttpsServer | null, graceMs = CLOSE_GRACE_MS): Promise<void> {
  const deadline = setTimeout(() => {
    https?.closeAllConnections();
    app.server.closeAllConnections();
  }, graceMs);
  try {
    if (https) await closeHttps(https);
    await app.close();
  } finally {
    clearTimeout(deadline);
  }
}

/**
 * The RELAY surface of one node: live connections and sessions, the event router, the resume
 * store, and the housekeeping tick (pings, deadlines, resume expiry). Transports hand it
 * connections through `open()`; `close()` says goodbye to every client before shutdown.
 *
 * Unacknowledged events and slow consumers: every event written to a client that acks events is
 * kept until acked. A connection that lets `eventBufferSize` events go unacknowledged, or lets its
 * socket queue (replies and events alike) grow past `maxSocketBufferBytes`, is closed (1013) and
 * its session parked with those events; a
 * session that cannot keep an event (buffer or node budget full) is dropped whole, so a resume
 * either replays everything missed, in order, or reports `session_restored: false` (with the
 * project's share spent, its sessions holding more are dropped first: `budget-relief.ts`).
 */
import { METHOD_CONNECT, RPC_ERRORS, type ConsoleRelaySession } from '@switchboard/protocol';
import type { Logger } from 'pino';
import { ManualClock, systemClock, type Clock } from '../domain/clock.js';
import { canonicalId } from '../domain/ids.js';
import type { Bus } from '../domain/ports/bus.js';
import type { RelayMetrics } from '../domain/ports/metrics.js';
import type { ParkedSessionEnd, RelayCheckpointStore, RelayResumeStore } from '../domain/ports/relay-resume.js';
import type { EngineReads } from '../engine/reads.js';
import type { CredentialVerifier } from '../engine/admin/credential-verifier.js';
import type { MessageAcceptor } from '../engine/messages/message-acceptor.js';
import type { AuthThrottle } from '../util/auth-throttle.js';
import type { ProjectSlots } from '../util/project-slots.js';
import { AddressByteBudgets, type ByteShare } from './address-bytes.js';
import { AddressMemory } from './address-memory.js';
import { BufferBudget } from './buffer-budget.js';
import { CatchUpReader, type CatchUpReads } from './catch-up.js';
import { DeliveryPacer } from './delivery-pacer.js';
import { SessionCheckpoints, type LiveSession } from './checkpoints.js';
import { LOST_EVENTS_MAX_ROWS, routeLostEvents } from './lost-events.js';
import { RelayConnection, type ConnectionHost, type Reply } from './connection.js';
import { RelayEventRouter } from './event-router.js';
import { RpcError } from './frames.js';
import { InMemoryResumeStore } from './in-memory-resume-store.js';
import type { RedactionReads } from './redacted-replay.js';
import { byteBurst, RELAY_CONSTANTS, type RelayLimits } from './limits.js';
import { parkedSessionDropped } from './parked-drops.js';
import { RpcDispatcher } from './rpc-dispatcher.js';
import { SessionRegistry } from './session-registry.js';
import { StartupEvents } from './startup-events.js';
import { CLOSE, type RelayTransport } from './transport.js';
import { RepeatedFailure } from '../util/log-limiter.js';

export interface RelayServiceDeps {
  readonly bus: Bus;
  readonly clock: Clock;
  readonly verifier: CredentialVerifier;
  readonly projects: EngineReads['projects'];
  /** Stored messages: a resume's replay leaves out the text of those redacted since. */
  readonly messages: RedactionReads;
  /** Stored message events: a resumed or re-adopted session gets what it missed from them (catch-up.ts). */
  readonly events: CatchUpReads;
  readonly acceptor: MessageAcceptor;
  readonly metrics: RelayMetrics;
  readonly logger: Logger;
  readonly nodeId: string;
  /**
   * Defaults to the in-memory store, sharing this service's buffer budget; a function is given
   * that budget (the store shared by several nodes moves events between it and the database).
   */
  readonly resume?: RelayResumeStore | ((budget: BufferBudget, onDropped: ParkedDrop) => RelayResumeStore);
  /** With the in-memory store: where its sessions are handed over at a stop, for the next process (given this service's budget). */
  readonly handOff?: (budget: BufferBudget, onDropped: ParkedDrop) => RelayResumeStore;
  /** Where live sessions' positions are saved, for their clients after a crash (checkpoints.ts; kept only with a catch-up). */
  readonly checkpoints?: RelayCheckpointStore;
  /** Counts failed `signalwire.connect` credentials per client address and project id (shared with the REST surfaces). */
  readonly authThrottle?: AuthThrottle;
  /** Sends in progress per project, shared with the REST surfaces; unset: not limited. */
  readonly sendSlots?: ProjectSlots;
}

/** Told when a parked session is dropped before a resume. */
type ParkedDrop = (protocol: string, why: ParkedSessionEnd) => void;

/** Most events kept from a node's start for sessions adopted again (besides an eighth of `bufferMemoryBytes`). */
const STARTUP_EVENTS_MAX = 50_000;

export class RelayService implements ConnectionHost {
  readonly registry = new SessionRegistry();
  readonly budget: BufferBudget;
  readonly resume: RelayResumeStore;
  private readonly connections = new Set<RelayConnection>();
  private readonly router: RelayEventRouter;
  private readonly dispatcher: RpcDispatcher;
  private readonly timer: NodeJS.Timeout;
  private closing: Promise<void> | undefined;
  private closedWaiters: Array<() => void> = [];
  private closedPeakBufferedBytes = 0;
  private readonly unsubscribeCredentials: () => void;
  private readonly unsubscribeDeaths: () => void;
  private readonly unsubscribeMissed: () => void;
  private lastTokenCheck = 0;
  /** Each second while storage is out (parked sessions kept in the database): the first failure, one line a minute, and the end. */
  private readonly expiries: RepeatedFailure;
  private readonly checkpointFailures: RepeatedFailure;
  private readonly addressBudgets: AddressByteBudgets;
  private readonly addressMemory: AddressMemory;
  private readonly checkpoints: SessionCheckpoints | null;
  private readonly catchUp: CatchUpReader;

  constructor(
    private readonly deps: RelayServiceDeps,
    readonly limits: RelayLimits,
  ) {
    this.budget = new BufferBudget(limits.bufferMemoryBytes);
    this.expiries = new RepeatedFailure(deps.logger, 'error', 'expiring parked RELAY sessions failed', 'expiring parked RELAY sessions succeeds again');
    const shares = RELAY_CONSTANTS.requestSharesPerAddress;
    this.addressBudgets = new AddressByteBudgets({
      bytesPerSecond: limits.bytesPerSecondPerAddress,
      byteBurst: byteBurst(limits, limits.bytesPerSecondPerAddress),
      requestsPerSecond: limits.requestsPerSecond * shares,
      requestBurst: limits.requestBurst * shares,
    });
    this.addressMemory = new AddressMemory(limits.socketMemoryPerAddressBytes);
    const checkpoints = limits.catchUpWindowMs > 0 ? deps.checkpoints : undefined;
    this.checkpoints = checkpoints
      ? new SessionCheckpoints(checkpoints, { resumeWindowMs: limits.resumeWindowMs, catchUpWindowMs: limits.catchUpWindowMs, now: () => this.now(), messageNow: () => deps.clock.now(), onError: (err) => this.checkpointFailures.failed(err), onSaved: () => this.checkpointFailures.succeeded() })
      : null;
    this.checkpointFailures = new RepeatedFailure(deps.logger, 'warn', 'saving RELAY session checkpoints failed', 'saving RELAY session checkpoints succeeds again');
    // A parked session dropped (overflowed, crowded out, expired, revoked) resumes afresh: its checkpoint goes too.
    const reported = parkedSessionDropped(deps.metrics, deps.logger);
    const onDropped: ParkedDrop = (protocol, why) => {
      reported(protocol, why);
      this.checkpoints?.end(protocol);
    };
    this.resume =
      (typeof deps.resume === 'function' ? deps.resume(this.budget, onDropped) : deps.resume) ??
      new InMemoryResumeStore({
        maxEvents: limits.eventBufferSize,
        budget: this.budget,
        maxPerProject: limits.maxSessionsPerProject,
        onDropped,
        ...(deps.handOff ? { handOff: deps.handOff(this.budget, onDropped) } : {}),
      });
    // The events of the first resume window, for clients of the process before this one (startup-events.ts).
    const startup = new StartupEvents(this.now() + limits.resumeWindowMs, STARTUP_EVENTS_MAX, Math.floor(limits.bufferMemoryBytes / 8), () => this.now());
    // Paced in network time (`now`): the manual simulator clock does not hold a reconnecting client back.
    const catchUp = (this.catchUp = new CatchUpReader(deps.events, deps.clock instanceof ManualClock ? systemClock : deps.clock, undefined, (err, project) =>
      deps.logger.warn({ err, project }, 'reading the stored events of RELAY catch-ups failed: their sessions get only live events'),
    ));
    this.router = new RelayEventRouter(deps.bus, this.registry, this.resume, (err) => deps.logger.error({ err }, 'RELAY event routing failed'), startup);
    this.dispatcher = new RpcDispatcher({
      verifier: deps.verifier,
      projects: deps.projects,
      messages: deps.messages,
      catchUp,
      acceptor: deps.acceptor,
      registry: this.registry,
      resume: this.resume,
      checkpoints: this.checkpoints,
      router: this.router,
      startup,
      budget: this.budget,
      pacer: new DeliveryPacer(RELAY_CONSTANTS.eventWritesPerTurn, (err) => deps.logger.error({ err }, 'writing RELAY events failed')),
      metrics: deps.metrics,
      limits,
      nodeId: deps.nodeId,
      sendSlots: deps.sendSlots ?? null,
      now: () => this.now(),
      messageNow: () => deps.clock.now(),
      retire: (conn) => this.connectionClosed(conn),
    });
    this.timer = setInterval(() => this.tick(), RELAY_CONSTANTS.tickMs);
    this.timer.unref();
    // A token revoked: check the project's connections once the verifier dropped its cache.
    this.unsubscribeCredentials = deps.bus.subscribe('credentials.changed', ({ projectId }) => {
      setImmediate(() => this.checkTokens(projectId));
    });
    // A node died: what it committed and never published reaches this node's live sessions (lost-events.ts).
    const routeLost = (since: number, what: string) => {
      if (limits.catchUpWindowMs <= 0) return;
      routeLostEvents({ registry: this.registry, router: this.router, reader: catchUp, limit: LOST_EVENTS_MAX_ROWS }, Math.max(since, deps.clock.now() - limits.catchUpWindowMs))
        .then((n) => n > 0 && deps.logger.info({ events: n }, `routed RELAY events ${what}`))
        .catch((err: unknown) => deps.logger.warn({ err }, `reading back the RELAY events ${what} failed`));
    };
    this.unsubscribeDeaths = deps.bus.subscribe('relay.nodes.dead', ({ since }) => routeLost(since, 'a dead node committed but never published'));
    // Back on NATS: what other nodes published meanwhile never came; the live sessions get it once.
    this.unsubscribeMissed = deps.bus.onMissed((awayMs) => routeLost(deps.clock.now() - awayMs, 'missed while NATS was away'));
  }

  /**
   * Close (1008) the open connections whose token is no longer active, ending their sessions (no
   * resume): a session is authorised by its connect, so without this a revoked token's session
   * went on sending and receiving for as long as its client kept the socket. Sessions parked here
   * end too: they would otherwise collect the project's events (texts included) for a revoked
   * credential until their window ends. Every project's sessions on the housekeeping tick
   * (`credentialCheckMs`; the verifier's cache bounds the cost), one project's at once when its
   * credentials change.
   */
  private checkTokens(projectId?: string): void {
    this.resume
      .revoke((project, tokenId) => this.deps.verifier.isActive(project, tokenId), projectId)
      .catch((err: unknown) => this.deps.logger.warn({ err }, 'checking the tokens of parked RELAY sessions failed'));
    for (const conn of this.connections) {
      const session = conn.session;
      const tokenId = conn.tokenId;
      if (conn.state !== 'open' || !session || tokenId === null || (projectId !== undefined && session.projectId !== projectId)) continue;
      this.deps.verifier
        .isActive(session.projectId, tokenId)
        .then((active) => {
          if (active || conn.session !== session) return;
          conn.ending = true;
          this.deps.logger.info({ project: session.projectId, protocol: session.protocol }, 'RELAY session ended: its API token was revoked');
          conn.close(CLOSE.POLICY, 'the API token was revoked');
        })
        .catch((err: unknown) => this.deps.logger.warn({ err }, 'checking a RELAY connection\'s token failed'));
    }
  }

  get metrics(): RelayMetrics {
    return this.deps.metrics;
  }

  /** True once `close()` was called: transports refuse new connections. */
  get isClosing(): boolean {
    return this.closing !== undefined;
  }

  /** Connections open now. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /**
   * Network time: pings, deadlines, rate limits, resume windows. The manual simulator clock moves
   * message time only; a test advancing it by an hour must not time out its own RELAY connection.
   */
  now(): number {
    return this.deps.clock instanceof ManualClock ? Date.now() : this.deps.clock.now();
  }

  warn(err: unknown, what: string): void {
    this.deps.logger.warn({ err }, what);
  }

  limited(facts: Record<string, unknown>, what: string): void {
    this.deps.logger.warn(facts, what);
  }

  /** The last sum of the sockets' queues (`socketsOverNodeCap`), and when it was taken (wall clock). */
  private nodeSockets = { at: -Infinity, over: false };

  socketsOverNodeCap(): boolean {
    // Summed over every connection, so at most every 100 ms (it is asked only by sockets past their read pause).
    const at = performance.now();
    if (at - this.nodeSockets.at >= 100) this.nodeSockets = { at, over: this.socketMemoryBytes > this.limits.bufferMemoryBytes };
    return this.nodeSockets.over;
  }

  addressOverMemory(key: string): boolean {
    return this.addressMemory.isOver(key, performance.now());
  }

  memoryMoved(conn: RelayConnection, from: string): void {
    if (this.connections.has(conn)) this.addressMemory.moved(conn, from);
  }

  /** Bytes the RELAY sockets of this node hold together: queued to send, and of frames partly received. */
  get socketMemoryBytes(): number {
    let total = 0;
    for (const conn of this.connections) total += conn.memoryBytes;
    return total;
  }

  /** Bytes the RELAY sockets of one client address (with `project`: those authenticated as it) hold together (`relay.socketMemoryPerAddressBytes`). */
  socketMemoryOf(address: string, project?: string): number {
    return this.addressMemory.bytesOf(project === undefined ? address : `${address} ${project}`);
  }

  /** Bytes queued on every RELAY socket of this node together (each is capped by `maxSocketBufferBytes`). */
  get socketBufferedBytes(): number {
    let total = 0;
    for (const conn of this.connections) total += conn.bufferedAmount;
    return total;
  }

  /** The most bytes any one socket of this node has had queued. */
  get peakSocketBufferedBytes(): number {
    let peak = this.closedPeakBufferedBytes;
    for (const conn of this.connections) peak = Math.max(peak, conn.peakBufferedBytes);
    return peak;
  }

  /** Connections not being read right now because their socket's queue is over the high-water mark. */
  get pausedConnectionCount(): number {
    let n = 0;
    for (const conn of this.connections) if (conn.isPaused) n++;
    return n;
  }

  /** A transport accepted a connection; feed it frames with `receive` and report its end with `closed`. */
  open(transport: RelayTransport): RelayConnection {
    const conn = new RelayConnection(transport, this);
    this.connections.add(conn);
    this.addressMemory.add(conn);
    this.deps.metrics.relayConnections(1);
    return conn;
  }

  joinBytes(address: string, project: string | null): ByteShare {
    return this.addressBudgets.join(address, project, this.now());
  }

  leaveBytes(share: ByteShare): void {
    this.addressBudgets.leave(share, this.now());
  }

  dispatch(conn: RelayConnection, method: string, params: unknown): Promise<Reply> | Reply {
    const throttle = this.deps.authThrottle;
    const creds = method === METHOD_CONNECT && conn.state === 'awaiting' && throttle ? credentialsOf(params) : null;
    if (!creds) return this.dispatcher.dispatch(conn, method, params);
    return this.connectCounted(conn, params, creds.project, creds.token, throttle!);
  }

  /** `signalwire.connect` with credentials: refused while their address or project has failed too often (-32005), failures counted. */
  private async connectCounted(conn: RelayConnection, params: unknown, project: string, token: string, throttle: AuthThrottle): Promise<Reply> {
    const before = throttle.check(conn.remoteAddress, project, token);
    if (before.limited) throw tooManyFailures(before.retryAfterMs);
    try {
      const reply = await this.dispatcher.dispatch(conn, METHOD_CONNECT, params);
      throttle.succeeded(project, token);
      return reply;
    } catch (err) {
      // With a project and a token given, -32002 from connect means they do not match.
      if (err instanceof RpcError && err.code === RPC_ERRORS.AUTHENTICATION_FAILED) {
        const after = throttle.failed(conn.remoteAddress, project);
        if (after.limited) throw tooManyFailures(after.retryAfterMs);
      }
      throw err;
    }
  }

  connectionClosed(conn: RelayConnection): void {
    if (this.connections.delete(conn)) {
      this.addressMemory.remove(conn);
      this.deps.metrics.relayConnections(-1);
      this.addressBudgets.leave(conn.byteShare, this.now());
    }
    this.closedPeakBufferedBytes = Math.max(this.closedPeakBufferedBytes, conn.peakBufferedBytes);
    if (this.connections.size === 0) this.notifyClosed();
    const session = conn.session;
    if (!session || !session.isLinkedTo(conn)) return;
    conn.session = null;
    this.registry.remove(session);
    this.deps.metrics.relaySessions(-1);
    // Where it stands, before its unacknowledged events leave it.
    const point = this.checkpoints?.of({ session, tokenId: conn.tokenId });
    const events = session.detach();
    // Stopping: the session is handed over (parked, and left parked by `close`) when a catch-up can fill in what follows.
    if (session.lost || conn.ending || (this.closing && !this.handsOff)) {
      session.release(events);
      this.checkpoints?.end(session.protocol);
      this.deps.metrics.relaySessionEvent(session.lost ? 'lost' : 'ended');
      return;
    }
    if (point) this.checkpoints!.park(point);
    const now = this.now();
    this.resume
      .park({
        protocol: session.protocol,
        projectId: session.projectId,
        tokenId: conn.tokenId,
        contexts: [...session.contexts],
        eventAcks: session.eventAcks,
        parkedAt: now,
        expiresAt: now + this.limits.resumeWindowMs,
        events,
      })
      .then(() => this.deps.metrics.relaySessionEvent('parked'))
      .catch((err: unknown) => this.deps.logger.error({ err }, 'parking a RELAY session failed'));
  }

  /** A project's sessions on this node, connected or parked (the console's Connections view). */
  sessionsOf(projectId: string): ConsoleRelaySession[] {
    return [...this.registry.all()]
      .filter((s) => s.projectId === projectId)
      .map((s) => ({
        id: s.protocol,
        contexts: [...s.contexts],
        state: s.connectedAt === null ? 'parked' : 'connected',
        connected_since: s.connectedAt === null ? null : new Date(s.connectedAt).toISOString(),
        events_sent: s.eventsSent,
        events_unacked: s.unackedCount,
      }));
  }

  /**
   * Whether stopping hands the sessions over: each live one is parked as a dropped connection's is,
   * and the parked ones stay in the resume store, so a client coming back (on another node, or to
   * this node's next process) resumes from where it left; the claiming node's catch-up covers what
   * came after the park. Without a catch-up they are forgotten (nothing would fill the gap).
   */
  private get handsOff(): boolean {
    return this.limits.catchUpWindowMs > 0;
  }

  /** Say goodbye to every client (`signalwire.disconnect`, then close), wait briefly, drop the rest. */
  close(): Promise<void> {
    return (this.closing ??= (async () => {
      clearInterval(this.timer);
      this.unsubscribeCredentials();
      this.unsubscribeDeaths();
      this.unsubscribeMissed();
      // Handing off: events keep reaching the sessions until they are parked, and then their parks.
      if (!this.handsOff) this.router.stop();
      for (const conn of this.connections) conn.disconnect(false, this.handsOff);
      await this.allClosed(2_000);
      for (const conn of [...this.connections]) conn.terminate();
      // The sockets report their end on a later turn: their sessions are parked before the hand-over.
      if (this.handsOff) await this.allClosed(200);
      this.router.stop();
      // No catch-up waits for its turn past the stop (its timer would fire once the store closed).
      await this.catchUp.stop();
      // What changed since the last tick (sessions that parked or ended) is written before the store closes.
      await this.checkpoints?.flush();
      // Storage down at shutdown: the sessions parked here stay stored, and are forgotten as a dead
      // instance's by the next node to look (or this one's next start); the rest of the shutdown goes on.
      await this.resume.clear(this.handsOff).catch((err: unknown) => this.deps.logger.warn({ err }, 'could not forget the RELAY sessions parked here at shutdown'));
    })());
  }

  /** Wait until no connection is open, for at most `ms`. */
  private async allClosed(ms: number): Promise<void> {
    if (this.connections.size === 0) return;
    await Promise.race([new Promise<void>((r) => this.closedWaiters.push(r)), new Promise((r) => setTimeout(r, ms).unref())]);
  }

  private notifyClosed(): void {
    const waiters = this.closedWaiters;
    this.closedWaiters = [];
    for (const w of waiters) w();
  }

  private tick(): void {
    const now = this.now();
    for (const conn of this.connections) conn.tick(now);
    this.addressBudgets.sweep(now);
    if (now - this.lastTokenCheck >= RELAY_CONSTANTS.credentialCheckMs) {
      this.lastTokenCheck = now;
      this.checkTokens();
    }
    this.resume.expire(now).then(
      () => this.expiries.succeeded(),
      (err: unknown) => this.expiries.failed(err),
    );
    this.checkpoints?.save(this.live());
  }

  /** The sessions connected here, with the token acting for each. */
  private *live(): Iterable<LiveSession> {
    for (const conn of this.connections) {
      const session = conn.session;
      if (conn.state === 'open' && session?.isLinkedTo(conn)) yield { session, tokenId: conn.tokenId };
    }
  }
}

/** The project and token of a `signalwire.connect`, when both are strings. */
function credentialsOf(params: unknown): { project: string; token: string } | null {
  const auth = params && typeof params === 'object' ? (params as { authentication?: unknown }).authentication : undefined;
  if (!auth || typeof auth !== 'object') return null;
  const { project, token } = auth as Record<string, unknown>;
  return typeof project === 'string' && typeof token === 'string' ? { project: canonicalId(project), token } : null;
}

function tooManyFailures(retryAfterMs: number): RpcError {
  return new RpcError(RPC_ERRORS.CAPACITY_EXCEEDED, 'Too many failed authentications from your address or for this project; retry later.', { retry_after_ms: retryAfterMs }, true);
}

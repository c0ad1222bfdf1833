/**
 * The RELAY methods, independent of the transport: `signalwire.connect` (authentication, session
 * creation or resume), `signalwire.receive` / `unreceive`, `signalwire.ping`,
 * `signalwire.disconnect` (the client ends its session) and `messaging.send`.
 */
import { randomUUID } from 'node:crypto';
import {
  METHOD_CONNECT,
  METHOD_DISCONNECT,
  METHOD_MESSAGING_SEND,
  METHOD_PING,
  METHOD_RECEIVE,
  METHOD_UNRECEIVE,
  RPC_ERRORS,
  type ConnectResult,
  type MessagingSendResult,
} from '@switchboard/protocol';
import { isAppError } from '../domain/app-error.js';
import type { TokenScope } from '../domain/credentials.js';
import { canonicalId } from '../domain/ids.js';
import type { RelayMetrics } from '../domain/ports/metrics.js';
import type { BufferedRelayEvent, RelayResumeStore, RelaySessionCheckpoint } from '../domain/ports/relay-resume.js';
import type { SessionCheckpoints } from './checkpoints.js';
import { withoutRedactedText, type RedactionReads } from './redacted-replay.js';
import type { EngineReads } from '../engine/reads.js';
import type { CredentialVerifier } from '../engine/admin/credential-verifier.js';
import type { MessageAcceptor } from '../engine/messages/message-acceptor.js';
import { eventCost, type BufferBudget } from './buffer-budget.js';
import { relieveBudget } from './budget-relief.js';
import type { DeliveryPacer } from './delivery-pacer.js';
import { catchUpEvents, type CatchUpReader } from './catch-up.js';
import { RelayConnection, type Reply } from './connection.js';
import { exceedsContexts, readContexts, tooManyContexts } from './contexts.js';
import { authorizationStateParams } from './event-payloads.js';
import type { RelayEventRouter } from './event-router.js';
import { eventFrame, RpcError } from './frames.js';
import { RELAY_CONSTANTS, type RelayLimits } from './limits.js';
import { toSendFailure, toSendInput } from './send-mapping.js';
import { authorizationState, newSessionName, verifyAuthorizationState, verifySessionName, type SessionName } from './session-names.js';
import { RelaySession } from './session.js';
import type { SessionRegistry } from './session-registry.js';
import type { StartupEvents } from './startup-events.js';
import { CLOSE } from './transport.js';
import type { ProjectSlots } from '../util/project-slots.js';

export interface DispatcherDeps {
  readonly verifier: CredentialVerifier;
  readonly projects: EngineReads['projects'];
  readonly messages: RedactionReads;
  /** Stored message events: what a resumed or re-adopted session missed (catch-up.ts). */
  readonly catchUp: CatchUpReader;
  readonly acceptor: MessageAcceptor;
  readonly registry: SessionRegistry;
  readonly resume: RelayResumeStore;
  readonly router: RelayEventRouter;
  /** The events of the node's start, replayed to sessions adopted again (startup-events.ts). */
  readonly startup?: StartupEvents;
  /** Where live sessions stood, for their clients after a crash (checkpoints.ts); null when not kept. */
  readonly checkpoints: SessionCheckpoints | null;
  readonly budget: BufferBudget;
  /** Spreads each project's event writes over turns of the event loop (delivery-pacer.ts). */
  readonly pacer?: DeliveryPacer;
  readonly metrics: RelayMetrics;
  readonly limits: RelayLimits;
  readonly nodeId: string;
  /** Sends in progress per project, shared with the REST surfaces: a send waits its project's turn. */
  readonly sendSlots: ProjectSlots | null;
  now(): number;
  /** Message time (the engine's clock), which stored events are in. */
  messageNow(): number;
  /** Park or end the session of a connection that closed while its connect was running. */
  retire(conn: RelayConnection): void;
}

/** How long a resumed session drops an event it had, or one after a later state of its message (a late publish). */
const RESUMED_KEYS_MS = 30_000;

const RECEIVING = 'Receiving all inbound related to the requested relay contexts and available scopes';
const NOT_RECEIVING = 'No longer receiving inbound related to the requested relay contexts';

function paramsObject(params: unknown, method: string, required = true): Record<string, unknown> {
  if (params === undefined || params === null) {
    if (!required) return {};
    throw new RpcError(RPC_ERRORS.INVALID_PARAMS, `Invalid params: ${method} needs a params object.`);
  }
  if (typeof params !== 'object' || Array.isArray(params)) throw new RpcError(RPC_ERRORS.INVALID_PARAMS, `Invalid params: the params of ${method} must be an object.`);
  return params as Record<string, unknown>;
}

function isVersion(v: unknown): v is { major: number; minor: number; revision: number } {
  if (!v || typeof v !== 'object') return false;
  const o = v as Record<string, unknown>;
  return Number.isInteger(o.major) && Number.isInteger(o.minor) && (o.revision === undefined || Number.isInteger(o.revision));
}

export class RpcDispatcher {
  constructor(private readonly deps: DispatcherDeps) {}

  dispatch(conn: RelayConnection, method: string, params: unknown): Promise<Reply> | Reply {
    if (method === METHOD_CONNECT) return this.connect(conn, params);
    if (conn.state !== 'open' || !conn.session) {
      throw new RpcError(RPC_ERRORS.AUTHENTICATION_FAILED, `Not authenticated: the first request must be ${METHOD_CONNECT}.`);
    }
    const session = conn.session;
    switch (method) {
      case METHOD_MESSAGING_SEND:
        return this.send(session, params);
      case METHOD_RECEIVE:
        return this.receive(session, params, true);
      case METHOD_UNRECEIVE:
        return this.receive(session, params, false);
      case METHOD_PING:
        return { result: this.pong(params) };
      case METHOD_DISCONNECT:
        conn.ending = true;
        return { result: {}, after: () => conn.close(CLOSE.NORMAL, 'session ended by the client') };
      default:
        throw new RpcError(RPC_ERRORS.METHOD_NOT_FOUND, `Method not found: ${method.slice(0, 100)}.`);
    }
  }

  private async connect(conn: RelayConnection, params: unknown): Promise<Reply> {
    if (conn.state !== 'awaiting') {
      throw new RpcError(RPC_ERRORS.INVALID_REQUEST, conn.state === 'open' ? 'This connection already has a session.' : `${METHOD_CONNECT} is already in progress.`);
    }
    const p = paramsObject(params, METHOD_CONNECT);
    if (!isVersion(p.version)) throw new RpcError(RPC_ERRORS.INVALID_PARAMS, 'Invalid params: version must be {major, minor, revision}.');
    const { major, minor } = p.version;
    if (major > 4 || major < 1 || minor !== 0) {
      throw new RpcError(RPC_ERRORS.VERSION_INCOMPATIBLE, `Protocol version ${major}.${minor} is not supported: this server speaks major versions 1 to 4 with minor version 0.`, undefined, true);
    }
    const auth = p.authentication;
    if (!auth || typeof auth !== 'object' || Array.isArray(auth)) throw new RpcError(RPC_ERRORS.INVALID_PARAMS, 'Invalid params: authentication {project, token} is required.');
    const { project, token, jwt_token: jwt } = auth as Record<string, unknown>;
    if (jwt !== undefined && token === undefined) {
      this.deps.metrics.relayLimited('auth');
      throw new RpcError(RPC_ERRORS.AUTHENTICATION_FAILED, 'JWT authentication is not supported by this server: use project and token.', undefined, true);
    }
    const contexts = readContexts(p, false);

    conn.state = 'connecting';
    try {
      // A project id in capitals names its project (a UUID is case-insensitive on input), as on the REST surfaces.
      return await this.openSession(conn, p, typeof project === 'string' ? canonicalId(project) : '', typeof token === 'string' ? token : '', major, contexts);
    } finally {
      if (conn.state === 'connecting') conn.state = 'awaiting';
    }
  }

  private async openSession(conn: RelayConnection, p: Record<string, unknown>, projectId: string, token: string, major: number, contexts: string[]): Promise<Reply> {
    const { deps } = this;
    const principal = await deps.verifier.verify(projectId, token);
    const project = principal ? await deps.projects.get(projectId) : undefined;
    if (!principal || !project) {
      deps.metrics.relayLimited('auth');
      throw new RpcError(RPC_ERRORS.AUTHENTICATION_FAILED, 'Authentication failed: check the project ID and API token.', undefined, true);
    }
    // Receiving needs the messaging scope, whether asked for here or by signalwire.receive.
    if (contexts.length > 0 && !principal.scopes.has('messaging')) throw new RpcError(RPC_ERRORS.NOT_ALLOWED, 'Not allowed: this API token lacks the "messaging" scope, which contexts need.');
    const key = project.signingKey;
    let name: SessionName | undefined = p.protocol !== undefined ? verifySessionName(p.protocol, projectId, key) : undefined;
    const stateGiven = p.authorization_state !== undefined && p.authorization_state !== null && p.authorization_state !== '';
    const stateValid = !!name && stateGiven && verifyAuthorizationState(p.authorization_state, name.protocol, projectId, key);
    // A resume token for another session means the client mixed up its state: start afresh.
    if (stateGiven && !stateValid) name = undefined;

    const existing = name ? deps.registry.get(name.protocol) : undefined;
    if (!existing && deps.registry.countFor(projectId) >= deps.limits.maxSessionsPerProject) {
      deps.metrics.relayLimited('sessions');
      throw new RpcError(RPC_ERRORS.CAPACITY_EXCEEDED, `This project already has ${deps.limits.maxSessionsPerProject} RELAY sessions, the most this server allows.`, undefined, true);
    }
    // A session resumed or adopted again is caught up from the stored events: not while its project's catch-ups queue is full.
    if (!existing && name && deps.limits.catchUpWindowMs > 0) this.unlessCatchUpsWait(projectId, true);
    if (conn.state === 'closed') throw new RpcError(RPC_ERRORS.INTERNAL_ERROR, 'The connection closed.');

    let session: RelaySession;
    let replay: BufferedRelayEvent[] = [];
    let restored = false;
    /** Where the session's catch-up from the stored events starts (message time), if it gets one. */
    let catchUp: { since: number; receives: boolean } | null = null;
    if (existing) {
      // A resume adds the given contexts to the session's: the sum is capped like a receive's.
      if (exceedsContexts(existing.contexts, contexts)) throw tooManyContexts();
      // The client came back while its old connection still looks alive: move the session over.
      const { events, previous } = existing.reattach(conn, { scopes: principal.scopes, eventAcks: p.event_acks === true, versionMajor: major });
      if (previous instanceof RelayConnection) previous.session = null;
      previous?.close(CLOSE.SESSION_MOVED, 'the session was resumed on another connection');
      replay = events;
      session = existing;
      restored = true;
      deps.metrics.relaySessionEvent('resumed');
    } else {
      const n = name ?? newSessionName(projectId, key);
      session = new RelaySession(n.protocol, n.signature, n.sessionId, projectId, principal.scopes, p.event_acks === true, major, {
        maxEvents: deps.limits.eventBufferSize,
        budget: deps.budget,
        metrics: deps.metrics,
        now: deps.now,
        stateEventGapMs: deps.limits.stateEventGapMs,
        ...(deps.pacer ? { pacer: deps.pacer } : {}),
        relieve: (s, bytes) => relieveBudget(() => deps.registry.all(), s, () => deps.budget.take(projectId, bytes), deps.resume.relieve?.bind(deps.resume)),
      });
      session.attach(conn);
      if (deps.checkpoints) session.keepHad();
      deps.registry.add(session);
      deps.metrics.relaySessions(1);
      if (name) {
        // The parked session's token is checked before it is taken (revoked since: ended, not resumed by
        // another token of the project; the check failing: the connect is refused and the session stays).
        const parked = await this.registeredUntilFailure(session, () => deps.resume.claim(projectId, name.protocol, deps.now(), this.isActive));
        // Else where it stood when its node last saved it (checkpoints.ts): what a killed node leaves.
        const point = parked || !deps.checkpoints ? undefined : await this.registeredUntilFailure(session, () => this.checkpointOf(projectId, name.protocol));
        if ((parked ?? point) && exceedsContexts((parked ?? point)!.contexts, contexts)) {
          // Refused as a live session's resume is: put it back as it was, for a resume that fits.
          deps.registry.remove(session);
          deps.metrics.relaySessions(-1);
          session.detach();
          if (parked) await deps.resume.park(parked);
          else deps.checkpoints!.park(point!);
          throw tooManyContexts();
        }
        const window = deps.limits.catchUpWindowMs;
        if (parked) {
          restored = true;
          replay = [...parked.events];
          deps.registry.subscribe(session, parked.contexts);
          deps.metrics.relaySessionEvent('resumed');
          // What was committed while it was parked but never reached the bus: since its park (in message time).
          if (window > 0) catchUp = { since: deps.messageNow() - Math.min(window, deps.now() - parked.parkedAt), receives: true };
          // An event published after the catch-up read it is not written again, nor one after a later state.
          session.trackKeys(deps.now() + RESUMED_KEYS_MS);
        } else if (point) {
          // Its node was killed: caught up from where it stood (states and inbound messages), minus what it had then.
          restored = true;
          deps.registry.subscribe(session, point.contexts);
          deps.metrics.relaySessionEvent('resumed');
          session.keepHad(point.had, deps.messageNow());
          session.trackKeys(deps.now() + RESUMED_KEYS_MS, point.had);
          catchUp = { since: Math.max(point.since, deps.messageNow() - window), receives: true };
        } else {
          deps.metrics.relaySessionEvent('readopted');
          // A client of the process before this one, or of a node gone: what the start produced for
          // it is replayed, and what the database holds for it since the catch-up window began (also
          // for the contexts it subscribes to within that window after its connect).
          const until = Math.max(deps.startup?.open ? deps.startup.until : 0, window > 0 ? deps.now() + window : 0);
          session.adopted = true;
          if (until > 0) session.trackKeys(until);
          if (window > 0) {
            session.catchUpSince = deps.messageNow() - window;
            catchUp = { since: session.catchUpSince, receives: false };
          }
        }
      } else {
        deps.metrics.relaySessionEvent('created');
      }
    }
    deps.registry.subscribe(session, contexts);
    if (session.adopted && session.trackedKeys) replay = this.startupEvents(session, session.contexts);
    if (catchUp) replay = [...replay, ...(await this.caughtUp(session, session.contexts, catchUp.since, catchUp.receives, replay))];
    if (replay.length > 0) replay = await withoutRedactedText(replay, projectId, deps.messages, deps.budget);
    if ((conn.state as string) === 'closed') {
      // Gone while the session was looked up: park what it has for the next attempt.
      conn.session = session;
      session.open(replay);
      deps.retire(conn);
      throw new RpcError(RPC_ERRORS.INTERNAL_ERROR, 'The connection closed.');
    }
    conn.session = session;
    conn.tokenId = principal.tokenId ?? null;
    conn.state = 'open';
    conn.authenticated(projectId);

    const result: ConnectResult = {
      protocol: session.protocol,
      identity: `${session.sessionId}@${deps.nodeId}`,
      authorization: { project: projectId, expires_at: null, scopes: scopesOf(principal.scopes), signature: session.signature },
      session_restored: restored,
    };
    return {
      result,
      after: () => {
        if (!stateValid) {
          // Not kept for replay: a resumed session gets a fresh one.
          const state = authorizationState(session.protocol, projectId, key);
          conn.send(eventFrame(randomUUID(), authorizationStateParams(session.protocol, projectId, state, deps.now())));
        }
        session.open(replay);
      },
    };
  }

  /**
   * `work` for a session just registered (a connect's resume look-up): should it fail (storage out),
   * the session leaves the registry before the connect is refused, as no connection holds it.
   */
  private async registeredUntilFailure<T>(session: RelaySession, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      this.deps.registry.remove(session);
      this.deps.metrics.relaySessions(-1);
      session.release(session.detach());
      throw err;
    }
  }

  /** Whether a project's API token is still active (the credential cache's view). */
  private readonly isActive = (projectId: string, tokenId: string): Promise<boolean> => this.deps.verifier.isActive(projectId, tokenId);

  /**
   * The checkpoint of a session whose node was killed, unless its token was revoked since (then it
   * is adopted again, as without one) or storage (or the token check) cannot be read: the same,
   * the checkpoint not taken (the session adopted again here saves its own at the next tick).
   */
  private checkpointOf(projectId: string, protocol: string): Promise<RelaySessionCheckpoint | undefined> {
    return this.deps.checkpoints!.take(projectId, protocol, this.deps.now(), this.isActive).catch(() => undefined);
  }

  private receive(session: RelaySession, params: unknown, subscribe: boolean): Reply | Promise<Reply> {
    const method = subscribe ? METHOD_RECEIVE : METHOD_UNRECEIVE;
    if (session.versionMajor >= 4) throw new RpcError(RPC_ERRORS.VERSION_INCOMPATIBLE, `${method} is not offered to protocol version 4 sessions.`);
    requireScope(session, 'messaging');
    const contexts = readContexts(paramsObject(params, method), true);
    if (contexts.length === 0) throw new RpcError(RPC_ERRORS.INVALID_PARAMS, `Invalid params: ${method} needs at least one context.`);
    const result = { code: '200', message: subscribe ? RECEIVING : NOT_RECEIVING };
    if (!subscribe) {
      this.deps.registry.unsubscribe(session, contexts);
      return { result };
    }
    if (exceedsContexts(session.contexts, contexts)) throw tooManyContexts();
    if (!session.adopted || !session.trackedKeys) {
      this.deps.registry.subscribe(session, contexts);
      return { result };
    }
    return this.receiveWithStartup(session, contexts, result);
  }

  /**
   * A session adopted again subscribes to contexts soon after (realtime-api restores its topics
   * so): the start's events for them and the stored ones of its catch-up window that it has not
   * had are replayed after the answer (their text erased if redacted since), then live ones follow.
   * The subscription starts once the start's replay is read, with what came meanwhile; the stored
   * events are read after it, so one committed in between is either read or delivered live.
   */
  private async receiveWithStartup(session: RelaySession, contexts: string[], result: Record<string, unknown>): Promise<Reply> {
    const { deps } = this;
    if (session.catchUpSince !== null) this.unlessCatchUpsWait(session.projectId, false);
    const first = await withoutRedactedText(this.startupEvents(session, contexts), session.projectId, deps.messages, deps.budget);
    deps.registry.subscribe(session, contexts);
    const meanwhile = this.startupEvents(session, contexts, new Set(first.map((e) => e.key)));
    let replay = [...first, ...meanwhile];
    if (session.catchUpSince !== null) replay = [...replay, ...(await this.caughtUp(session, contexts, session.catchUpSince, false, replay))];
    return { result, after: () => session.replay(replay) };
  }

  /** Refuse (-32005, with when to retry) a request that needs a catch-up while as many of its project's wait as may (catch-up.ts). */
  private unlessCatchUpsWait(projectId: string, closeAfter: boolean): void {
    const retryAfterMs = this.deps.catchUp.waitFor(projectId);
    if (retryAfterMs === null) return;
    this.deps.metrics.relayLimited('catch_up');
    throw new RpcError(RPC_ERRORS.CAPACITY_EXCEEDED, 'This project has as many RELAY catch-ups waiting their turn on this server as it may; retry later.', { retry_after_ms: retryAfterMs }, closeAfter);
  }

  /** The stored events of `contexts` since `since` that `session` has had neither live nor in `replay`. */
  private caughtUp(session: RelaySession, contexts: Iterable<string>, since: number, receives: boolean, replay: readonly BufferedRelayEvent[]): Promise<BufferedRelayEvent[]> {
    const replayed = new Set(replay.map((e) => e.key));
    // Asked once the read is done: what arrived live meanwhile counts too.
    const seen = (key: string) => replayed.has(key) || session.trackedKeys?.has(key) === true;
    return catchUpEvents(this.deps.catchUp, this.deps.budget, { projectId: session.projectId, protocol: session.protocol, contexts, since, seen, receives, limit: this.deps.limits.eventBufferSize });
  }

  /**
   * The start's events for `session` (by its protocol or one of `contexts`) that it has not had,
   * as events to replay: each holds its share of the buffer budget, as a parked one does (the
   * replay gives it back once written, or keeps it until acked); past the budget the rest is left.
   */
  private startupEvents(session: RelaySession, contexts: Iterable<string>, alsoSkip?: ReadonlySet<string>): BufferedRelayEvent[] {
    const out: BufferedRelayEvent[] = [];
    const had = session.trackedKeys ?? new Set<string>();
    const seen = alsoSkip ? new Set([...had, ...alsoSkip]) : had;
    for (const e of this.deps.startup?.addressedTo(session.projectId, session.protocol, contexts, seen) ?? []) {
      if (!this.deps.budget.take(session.projectId, eventCost(e.params))) break;
      out.push({ id: randomUUID(), key: e.key, at: e.at, params: e.params });
    }
    return out;
  }

  /** The answer to a client's ping: its `timestamp` and `payload` echoed; -32602 when they are not a number and a string. */
  private pong(params: unknown): Record<string, unknown> {
    const p = paramsObject(params, METHOD_PING, false);
    const out: Record<string, unknown> = {};
    if (p.timestamp !== undefined && p.timestamp !== null) {
      // 1e400 parses as Infinity, which JSON writes as null: refused rather than echoed as something else.
      if (typeof p.timestamp !== 'number' || !Number.isFinite(p.timestamp)) throw new RpcError(RPC_ERRORS.INVALID_PARAMS, 'Invalid params: timestamp must be a finite number (seconds).');
      out.timestamp = p.timestamp;
    }
    if (p.payload !== undefined && p.payload !== null) {
      if (typeof p.payload !== 'string') throw new RpcError(RPC_ERRORS.INVALID_PARAMS, 'Invalid params: payload must be a string.');
      out.payload = p.payload.slice(0, 1024);
    }
    return out;
  }

  private async send(session: RelaySession, params: unknown): Promise<Reply> {
    requireScope(session, 'messaging');
    const p = paramsObject(params, METHOD_MESSAGING_SEND);
    const slots = this.deps.sendSlots;
    if (slots) {
      // Waits in a queue far longer than the REST surfaces' (their clients retry at once; SDKs do not).
      const turn = slots.take(session.projectId, slots.perProject * RELAY_CONSTANTS.sendsWaitingPerSlot);
      if (!turn) {
        this.deps.metrics.relayLimited('sends');
        throw new RpcError(RPC_ERRORS.CAPACITY_EXCEEDED, `This project already has ${slots.perProject * RELAY_CONSTANTS.sendsWaitingPerSlot} sends waiting their turn on this server; slow down.`, { retry_after_ms: 1000 });
      }
      await turn;
    }
    try {
      // `idempotency_key` (our extension): a retry within 24 hours answers the original message_id.
      const { message: record } = await this.deps.acceptor.acceptOnce(session.projectId, { ...toSendInput(p), relaySender: session.protocol }, p.idempotency_key);
      this.deps.router.trackSender(session.projectId, record.id, session.protocol);
      session.expectAnswer(record.id);
      const result: MessagingSendResult = { code: '200', message: 'Message accepted', message_id: record.id };
      return { result, after: () => session.answered(record.id) };
    } catch (err) {
      if (isAppError(err)) return { result: toSendFailure(err) };
      throw err;
    } finally {
      slots?.release(session.projectId);
    }
  }
}

function requireScope(session: RelaySession, scope: TokenScope): void {
  if (!session.scopes.has(scope)) throw new RpcError(RPC_ERRORS.NOT_ALLOWED, `Not allowed: this API token lacks the "${scope}" scope.`);
}

function scopesOf(scopes: ReadonlySet<TokenScope>): string[] {
  return [...scopes].sort();
}

/**
 * One client connection: reads frames, enforces the per-connection limits (frame size, request
 * rate, requests in flight, answer deadline, bytes queued on the socket), answers requests through
 * the dispatcher, matches the client's answers to server requests (event acks, pongs), and pings
 * the client.
 *
 * Everything written goes through `send`, which caps the socket's queue: past an eighth of
 * `maxSocketBufferBytes` the connection stops reading (frames the transport still delivers are
 * held, unprocessed) until the socket drains; past the cap, or acking too slowly (`slow`), the client
 * is closed (1013) and dropped a second later if still there: one that never reads costs bounded memory.
 *
 * Every frame the server answers (requests, and frames it refuses: not JSON-RPC, binary, too large)
 * draws on request rates, the connection's and its address's (shared by all its connections: once
 * authenticated, its address's for its project, so tenants behind one address keep apart); the
 * client's answers (acks, pongs) do not. The first frame over a rate is answered -32005 and nothing
 * more is read until the next tick with room, so a flood costs the rate's worth of work, not the
 * network's. Every frame, answers included, also draws its size on byte budgets (shared alike),
 * checked before it is parsed: past them the same -32005 and pause, so large frames cost the node a
 * bounded number of bytes to parse a second, not the rate times the frame size. Frames refused as
 * invalid also draw on a small budget of their own (official clients send none): past it, closed (1008).
 */
import { randomUUID } from 'node:crypto';
import { ERRORS, METHOD_CONNECT, METHOD_DISCONNECT, METHOD_MESSAGING_SEND, METHOD_PING, METHOD_RECEIVE, METHOD_UNRECEIVE, RPC_ERRORS, type JsonRpcId } from '@switchboard/protocol';
import { isStoreUnavailable } from '../domain/ports/store.js';
import { classifyFrame, errorFrame, frameHead, requestFrame, resultFrame, RpcError, sniffId, type EchoId } from './frames.js';
import { byteBurst, readPauseBytes, RELAY_CONSTANTS } from './limits.js';
import { TokenBucket } from '../util/token-bucket.js';
import { takeFrame, takeRequest, type ByteShare } from './address-bytes.js';
import { MEMORY_CHECK_BYTES, type ConnectionHostOf, type Reply } from './connection-host.js';
import type { RelaySession, SessionLink } from './session.js';
import { CLOSE, type RelayTransport } from './transport.js';

export { MEMORY_CHECK_BYTES, type Reply } from './connection-host.js';
export type ConnectionHost = ConnectionHostOf<RelayConnection>;

type State = 'awaiting' | 'connecting' | 'open' | 'closed';

interface InFlight {
  readonly id: EchoId;
  readonly method: string;
  readonly startedAt: number;
  /** Answered -32000 at the deadline, its work going on: it counts against `maxInFlight` until that ends (else a thousand more every 8 s). */
  timedOut?: boolean;
}

/** Methods counted by name in metrics; any other is counted as `other`. */
const KNOWN_METHODS = new Set([METHOD_CONNECT, METHOD_RECEIVE, METHOD_UNRECEIVE, METHOD_PING, METHOD_DISCONNECT, METHOD_MESSAGING_SEND]);

export class RelayConnection implements SessionLink {
  state: State = 'awaiting';
  session: RelaySession | null = null;
  /** The client asked to end its session, or its token was revoked (no resume). */
  ending = false;
  /** The API token its `signalwire.connect` presented (its session ends when that token is revoked). */
  tokenId: string | null = null;
  readonly openedAt: number;
  private readonly bucket: TokenBucket;
  /** Bytes of frames this connection may send, and those its address (its project there, once authenticated) may: shared. */
  private readonly bytes: TokenBucket;
  private shared: ByteShare;
  /** Invalid frames the client may still send (refilled slowly); none left closes the connection. */
  private readonly invalidBudget: TokenBucket;
  /** Over the request rate: nothing is read until this time (checked by `tick`), else null. */
  private throttledUntil: number | null = null;
  /** `close` was called: frames still arriving are not read. */
  private closing = false;
  private readonly inFlight = new Map<number, InFlight>();
  private seq = 0;
  private ping: { id: string; sentAt: number } | null = null;
  private lastPingAt: number;
  /** Reading stopped until the socket drains; frames delivered meanwhile wait here. */
  private paused = false;
  /**
   * A `signalwire.connect` is running: later frames wait for its answer. SignalWire's SDKs send
   * requests as soon as the socket is open, before the connect's answer (BaseSession.execute), so
   * after a reconnect the application's requests arrived during the connect, refused "Not authenticated".
   */
  private connectPending = false;
  private readonly held: Array<{ data: Buffer | string; isBinary: boolean }> = [];
  /** When the socket queue passed the cap (the connection is being closed), else null. */
  private overflowAt: number | null = null;
  /** Most bytes seen queued on the socket right after a write. */
  peakBufferedBytes = 0;
  /** No frame was read yet: the first, a connect, may go on the connection's own budget (`takeFrame`). */
  private firstFrame = true;
  /** The id of the `signalwire.disconnect` whose answer closes the connection (`disconnect`); true once answered. */
  private goodbye: string | true | null = null;

  constructor(
    private readonly transport: RelayTransport,
    private readonly host: ConnectionHost,
  ) {
    this.openedAt = host.now();
    this.lastPingAt = this.openedAt;
    this.bucket = new TokenBucket(host.limits.requestsPerSecond, host.limits.requestBurst, this.openedAt);
    this.bytes = new TokenBucket(host.limits.bytesPerSecond, byteBurst(host.limits, host.limits.bytesPerSecond), this.openedAt);
    this.shared = host.joinBytes(transport.remoteAddress, null);
    this.invalidBudget = new TokenBucket(RELAY_CONSTANTS.invalidFramesPerSecond, RELAY_CONSTANTS.invalidFrameBurst, this.openedAt);
  }

  get bufferedAmount(): number {
    return this.transport.bufferedAmount;
  }

  /** Bytes its socket holds: queued to send, and of a frame partly received. */
  get memoryBytes(): number {
    return this.transport.bufferedAmount + this.transport.receivingBytes;
  }

  /**
   * Bytes arrived (a frame may be incomplete). 64 KiB of a frame partly received while its address's
   * sockets, or the node's, are over their cap closes the connection (1013), so large frames sent
   * slowly over many sockets cannot hold the node's memory (an SDK's requests are a few kB).
   */
  receiving(): void {
    const partial = this.transport.receivingBytes;
    if (this.state !== 'closed' && this.overflowAt === null && partial >= MEMORY_CHECK_BYTES) this.memoryOverflow(partial, true);
  }

  /** Close (1013) when its address's sockets, or (`node`) the node's, hold more than their cap; true once closing. */
  private memoryOverflow(bytes: number, node: boolean): boolean {
    const { limits } = this.host;
    if (this.host.addressOverMemory(this.shared.key)) this.overflow(bytes, limits.socketMemoryPerAddressBytes, "its address's sockets together over relay.socketMemoryPerAddressBytes", 'socket_memory');
    else if (node && this.host.socketsOverNodeCap()) this.overflow(bytes, limits.bufferMemoryBytes, "the node's sockets together over relay.bufferMemoryBytes", 'socket_memory');
    return this.overflowAt !== null;
  }

  get remoteAddress(): string {
    return this.transport.remoteAddress;
  }

  /** The address budget this connection draws on now (the host leaves it when the connection closes); its key is its socket memory's too. */
  get byteShare(): ByteShare {
    return this.shared;
  }

  /**
   * `signalwire.connect` succeeded for `projectId`: from now on its frames and socket memory count
   * with its address and that project, so no other client behind the address can spend its budgets.
   */
  authenticated(projectId: string): void {
    if (this.state === 'closed') return;
    const before = this.shared;
    this.shared = this.host.joinBytes(this.remoteAddress, projectId);
    this.host.leaveBytes(before);
    this.host.memoryMoved(this, before.key);
  }

  /** True while reading is stopped: the socket's queue is over the high-water mark, or the client is over its request rate. */
  get isPaused(): boolean {
    return this.paused || this.throttledUntil !== null;
  }

  /** Frames wait rather than being handled: reading is stopped, or a connect has not been answered yet. */
  private get holding(): boolean {
    return this.isPaused || this.connectPending;
  }

  /** One frame from the client. */
  receive(data: Buffer | string, isBinary: boolean): void {
    if (this.state === 'closed' || this.closing || this.overflowAt !== null) return;
    if (this.holding) {
      // Only what the transport had read before it paused: a bounded amount.
      this.held.push({ data, isBinary });
      return;
    }
    this.handle(data, isBinary);
  }

  /** The socket wrote out what was queued before some point: read again, starting with the frames held meanwhile, unless what was queued since is over the mark. */
  drained(): void {
    if (!this.paused || this.state === 'closed' || this.overflowAt !== null) return;
    if (this.transport.bufferedAmount > readPauseBytes(this.host.limits)) return this.transport.pause();
    this.paused = false;
    this.readAgain();
  }

  /** Resume reading once nothing stops it, starting with the frames held meanwhile. */
  private readAgain(): void {
    if (!this.reading()) return;
    this.transport.resume();
    // Each frame may fill the socket again (and pause), go over the rate, or close the connection.
    while (this.held.length > 0 && this.reading()) {
      const f = this.held.shift()!;
      this.handle(f.data, f.isBinary);
    }
  }

  private reading(): boolean {
    return !this.holding && this.state !== 'closed' && !this.closing && this.overflowAt === null;
  }

  private handle(data: Buffer | string, isBinary: boolean): void {
    const size = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    if (!this.admitBytes(size, data)) return;
    if (size > this.host.limits.maxFrameBytes) {
      this.host.metrics.relayLimited('frame');
      this.refuse(sniffId(frameHead(data)), new RpcError(RPC_ERRORS.INVALID_REQUEST, `Frame too large: ${size} bytes; the limit is ${this.host.limits.maxFrameBytes}.`, { limit: this.host.limits.maxFrameBytes }));
      return;
    }
    if (isBinary) {
      this.refuse(null, new RpcError(RPC_ERRORS.INVALID_REQUEST, 'Binary frames are not supported: send JSON text frames.'));
      return;
    }
    const frame = classifyFrame(typeof data === 'string' ? data : data.toString('utf8'));
    if (frame.kind === 'invalid') {
      this.refuse(frame.id, frame.error);
    } else if (frame.kind === 'response') {
      this.answered(frame.id);
    } else {
      this.request(frame.id, frame.method, frame.params);
    }
  }

  /** Write a frame (dropped once closed), keeping the socket's queue under its cap. */
  send(frame: string): void {
    if (this.state === 'closed' || this.overflowAt !== null) return;
    this.transport.send(frame);
    const queued = this.transport.bufferedAmount;
    if (queued > this.peakBufferedBytes) this.peakBufferedBytes = queued;
    const cap = this.host.limits.maxSocketBufferBytes;
    if (queued > cap) this.overflow(queued, cap, 'socket buffer over its cap');
    else if (queued >= MEMORY_CHECK_BYTES && this.memoryOverflow(queued, false)) return;
    else if (queued > readPauseBytes(this.host.limits)) {
      if (this.host.socketsOverNodeCap()) return this.overflow(queued, this.host.limits.bufferMemoryBytes, "the node's sockets together over relay.bufferMemoryBytes");
      if (!this.paused) {
        this.paused = true;
        this.transport.pause();
      }
    }
  }

  /** The client lets what we write pile up, or its sockets hold too much (`socket_memory`): close it, dropped if the close cannot get out. */
  private overflow(bytes: number, limit: number, which: string, metric: 'slow_consumer' | 'socket_memory' = 'slow_consumer'): void {
    this.overflowAt = this.host.now();
    this.held.length = 0;
    this.host.metrics.relayLimited(metric);
    const facts = { address: this.remoteAddress, project: this.session?.projectId ?? null, limitBytes: limit, closeCode: CLOSE.TRY_AGAIN_LATER };
    if (metric === 'slow_consumer') {
      this.host.limited({ ...facts, queuedBytes: bytes }, `RELAY client closed: it does not read what the server writes (${which})`);
      this.transport.close(CLOSE.TRY_AGAIN_LATER, 'the client does not read what the server writes');
    } else {
      this.host.limited({ ...facts, heldBytes: bytes }, `RELAY client closed: ${which}`);
      this.transport.close(CLOSE.TRY_AGAIN_LATER, 'too much memory held by the sockets of your address');
    }
  }

  slow(reason: string): void {
    this.overflowAt ??= this.host.now(); // a client that does not read will not read the close frame either: dropped after closeGraceMs (tick)
    this.close(CLOSE.TRY_AGAIN_LATER, reason);
  }

  close(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.closing = true;
    this.held.length = 0;
    // Paused only to hold frames behind a connect (refused, or past its deadline): read again, or
    // the client's close frame is never seen and the socket lingers until ws gives up on it (30 s).
    if (this.connectPending && !this.isPaused) this.transport.resume();
    this.transport.close(code, reason.slice(0, 120));
  }

  /**
   * Ask the client to reconnect later (shutdown). Handing the session over (`handOff`), its events
   * stop being written and the connection closes once the client answers: its acks, sent before
   * that answer, are read first, so the session parks with exactly the events it has not had.
   */
  disconnect(restart: boolean, handOff = false): void {
    const id = randomUUID();
    if (this.state === 'open') this.send(requestFrame(id, METHOD_DISCONNECT, { restart }));
    if (this.state !== 'open' || !handOff || !this.session) return this.close(CLOSE.GOING_AWAY, 'server shutting down');
    this.session.quiet = true;
    this.goodbye = id;
  }

  terminate(): void {
    if (this.state !== 'closed') this.transport.terminate();
  }

  /** The transport closed. */
  closed(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.inFlight.clear();
    this.held.length = 0;
    this.host.connectionClosed(this);
  }

  /** Housekeeping: connect deadline, pings, dead peers, overdue answers, reading again after the rate was passed. */
  tick(now: number): void {
    if (this.state === 'closed') return;
    if (this.overflowAt !== null) {
      // A client that does not read will not read the close frame either.
      if (now - this.overflowAt >= RELAY_CONSTANTS.closeGraceMs) this.terminate();
      return;
    }
    // A client holding its share and sending nothing more is looked at here.
    this.receiving();
    const queued = this.transport.bufferedAmount;
    if (this.overflowAt !== null || (queued >= MEMORY_CHECK_BYTES && this.memoryOverflow(queued, false))) return;
    if (this.throttledUntil !== null && now >= this.throttledUntil) {
      this.throttledUntil = null;
      this.readAgain();
    }
    if (this.state !== 'open') {
      if (now - this.openedAt > RELAY_CONSTANTS.connectTimeoutMs) this.close(CLOSE.POLICY, 'signalwire.connect was not completed in time');
    } else if (this.ping && now - this.ping.sentAt > RELAY_CONSTANTS.pingTimeoutMs) {
      this.terminate();
      return;
    } else if (!this.ping && now - this.lastPingAt >= this.host.limits.pingIntervalMs) {
      const id = randomUUID();
      this.ping = { id, sentAt: now };
      this.lastPingAt = now;
      this.send(requestFrame(id, METHOD_PING, { timestamp: now / 1000 }));
    }
    for (const f of this.inFlight.values()) {
      if (f.timedOut || now - f.startedAt < RELAY_CONSTANTS.requestTimeoutMs) continue;
      f.timedOut = true;
      this.host.metrics.relayRequest(f.method, 'rpc_error');
      this.sendError(f.id, new RpcError(RPC_ERRORS.TIMEOUT, 'The request took too long; its outcome is unknown.'));
      // A connect that ends after its answer would leave a session whose result, and so its
      // events, never go out (held, unbounded): close instead; the client connects again.
      if (f.method === METHOD_CONNECT) this.close(CLOSE.TRY_AGAIN_LATER, `${METHOD_CONNECT} took too long`);
    }
  }

  /**
   * A frame refused as invalid: answered with `err` within the request rate, and charged to the
   * invalid-frame budget; a client past that budget only sends garbage: closed (1008).
   */
  private refuse(id: EchoId | null, err: RpcError): void {
    const now = this.host.now();
    if (!this.invalidBudget.take(now)) {
      this.host.metrics.relayLimited('invalid');
      this.host.limited(
        { address: this.remoteAddress, project: this.session?.projectId ?? null, limit: RELAY_CONSTANTS.invalidFrameBurst, closeCode: CLOSE.POLICY },
        'RELAY client closed: too many invalid frames',
      );
      this.close(CLOSE.POLICY, `too many invalid frames (more than ${RELAY_CONSTANTS.invalidFrameBurst}, then ${RELAY_CONSTANTS.invalidFramesPerSecond} a second)`);
      return;
    }
    if (!this.admit(id, 'invalid', now)) return;
    this.host.metrics.relayRequest('invalid', 'rpc_error');
    this.sendError(id, err);
  }

  /**
   * Charge a frame's size (at most one largest frame: a larger one is refused unread) to the
   * connection's and its address's (or address and project's) byte budgets, before it is parsed
   * (the first frame, a connect, to the connection's alone when it has room: `takeFrame`). Over either: -32005 (with the
   * `id` when it shows in the first 512 bytes), and nothing more is read until a tick finds room.
   * A refused frame is charged too (it was received all the same), into debt: an address's
   * connections refused one after another wait one after another, instead of all coming back on the
   * same tick to be refused again.
   */
  private admitBytes(size: number, data: Buffer | string): boolean {
    const now = this.host.now();
    const next = takeFrame(this.bytes, this.shared.bucket, now, Math.min(size, this.host.limits.maxFrameBytes), this.firstFrame);
    this.firstFrame = false;
    if (next === 0) return true;
    this.host.metrics.relayLimited('bytes');
    this.host.metrics.relayRequest('other', 'rpc_error');
    this.sendError(sniffId(frameHead(data)), new RpcError(RPC_ERRORS.CAPACITY_EXCEEDED, 'Too many bytes sent on this connection or from this address; slow down.', { retry_after_ms: next - now }));
    this.throttle(next);
    return false;
  }

  /**
   * A WebSocket ping or pong from the client (the transport pongs a ping itself): its bytes draw on the byte budgets, a
   * ping on the request rates too; over either, nothing is read until a tick with room (SDKs ping every 20 s at most).
   */
  controlFrame(size: number, answered: boolean): void {
    if (this.state === 'closed' || this.closing || this.overflowAt !== null) return;
    const now = this.host.now();
    const shared = this.shared.bucket;
    const bytesAt = Math.max(this.bytes.nextAt(now, size), shared.nextAt(now, size));
    let next = 0;
    this.bytes.charge(now, size);
    shared.charge(now, size);
    if (bytesAt > now) {
      this.host.metrics.relayLimited('bytes');
      this.throttle(Math.max(this.bytes.nextAt(now, 0), shared.nextAt(now, 0)));
    } else if (answered && (next = takeRequest(this.bucket, this.shared, now, false)) > 0) {
      this.host.metrics.relayLimited('rate');
      this.throttle(next);
    }
  }

  /** Read nothing more until a tick at or after `until`. */
  private throttle(until: number): void {
    if (this.throttledUntil !== null) return;
    this.throttledUntil = until;
    if (!this.paused) this.transport.pause();
  }

  /**
   * Take one from the request rates (`takeRequest`; the first request, a connect, from the connection's
   * alone). Over either: -32005, and nothing is read until a tick finds room (frames still delivered are held).
   */
  private admit(id: EchoId | null, metric: string, now: number): boolean {
    const next = takeRequest(this.bucket, this.shared, now, this.seq === 0);
    if (next === 0) return true;
    this.host.metrics.relayLimited('rate');
    this.host.metrics.relayRequest(metric, 'rpc_error');
    this.sendError(id, new RpcError(RPC_ERRORS.CAPACITY_EXCEEDED, 'Too many requests on this connection or from this address; slow down.', { retry_after_ms: next - now }));
    this.throttle(next);
    return false;
  }

  private request(id: EchoId, method: string, params: unknown): void {
    const metric = KNOWN_METHODS.has(method) ? method : 'other';
    const now = this.host.now();
    if (!this.admit(id, metric, now)) return;
    if (this.inFlight.size >= RELAY_CONSTANTS.maxInFlight) {
      this.host.metrics.relayLimited('in_flight');
      this.host.metrics.relayRequest(metric, 'rpc_error');
      this.sendError(id, new RpcError(RPC_ERRORS.CAPACITY_EXCEEDED, `Too many requests in flight on this connection (limit ${RELAY_CONSTANTS.maxInFlight}).`));
      return;
    }
    const key = ++this.seq;
    this.inFlight.set(key, { id, method: metric, startedAt: now });
    let reply: Promise<Reply> | Reply;
    try {
      reply = this.host.dispatch(this, method, params);
    } catch (err) {
      this.fail(key, err);
      return;
    }
    if (!(reply instanceof Promise)) {
      this.succeed(key, reply);
      return;
    }
    const settled = reply.then((r) => this.succeed(key, r), (err: unknown) => this.fail(key, err)).finally(() => this.leave());
    if (method !== METHOD_CONNECT) return;
    // Frames after a connect are handled once it is answered, in the order they came.
    if (!this.isPaused) this.transport.pause();
    this.connectPending = true;
    void settled.then(() => {
      this.connectPending = false;
      this.readAgain();
    });
  }

  private succeed(key: number, reply: Reply): void {
    const f = this.inFlight.get(key);
    if (!f) return;
    this.inFlight.delete(key);
    if (f.timedOut) return;
    const code = (reply.result as { code?: unknown } | null)?.code;
    this.host.metrics.relayRequest(f.method, typeof code === 'string' && !/^2\d\d$/.test(code) ? 'app_error' : 'ok');
    this.send(resultFrame(f.id, reply.result));
    reply.after?.();
  }

  private fail(key: number, err: unknown): void {
    const f = this.inFlight.get(key);
    if (!f) return;
    this.inFlight.delete(key);
    if (f.timedOut) return;
    this.host.metrics.relayRequest(f.method, 'rpc_error');
    if (err instanceof RpcError) {
      this.sendError(f.id, err);
      if (err.closeAfter) this.close(CLOSE.POLICY, err.message);
      return;
    }
    if (isStoreUnavailable(err)) {
      // Storage is unavailable (database unreachable, disk full or read-only): nothing was written;
      // the client may retry shortly, as the REST surfaces' Retry-After says.
      this.sendError(f.id, new RpcError(RPC_ERRORS.CAPACITY_EXCEEDED, ERRORS.UNAVAILABLE.message, { retry_after_ms: 1000 }));
      return;
    }
    this.host.warn(err, `RELAY ${f.method} failed`);
    this.sendError(f.id, new RpcError(RPC_ERRORS.INTERNAL_ERROR, 'Internal error.'));
  }

  /** A client's answer: to our ping, an event ack, or to a request whose answer is not needed (authorization state, disconnect). */
  private answered(id: JsonRpcId | null): void {
    if (typeof id !== 'string') return;
    if (this.ping && this.ping.id === id) {
      this.ping = null;
      return;
    }
    if (id === this.goodbye) return this.leave((this.goodbye = true));
    this.session?.ack(id);
  }

  /**
   * Once the client answered our goodbye, close when what it asked before is answered: a send
   * accepted whose answer is lost looks failed to it (an SDK fails it at the close), and is sent again.
   */
  private leave(answered = this.goodbye === true): void {
    if (answered && this.inFlight.size === 0) this.close(CLOSE.GOING_AWAY, 'server shutting down');
  }

  private sendError(id: EchoId | null, err: RpcError): void {
    this.send(errorFrame(id, err));
  }
}

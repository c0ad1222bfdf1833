/** Limits and timings of the RELAY surface (from settings; see docs/api/relay.md). */
export interface RelayLimits {
  /** Largest frame answered normally; larger ones get -32600 (up to `hardFrameBytes`, then the socket closes with 1009). */
  readonly maxFrameBytes: number;
  readonly maxSessionsPerProject: number;
  /** Requests per second per connection (sustained) and burst. */
  readonly requestsPerSecond: number;
  readonly requestBurst: number;
  /**
   * Bytes of frames per second one connection, and all connections of one client address together,
   * may send (token buckets holding a second's worth, at least one largest frame). Every frame
   * counts, acks and pongs too: parsing costs by the byte, which the request rate does not see.
   */
  readonly bytesPerSecond: number;
  readonly bytesPerSecondPerAddress: number;
  /** How long a disconnected session can be resumed (ms). */
  readonly resumeWindowMs: number;
  /** How far back (ms) a session adopted again is caught up from the stored events (relay/catch-up.ts); 0: not. */
  readonly catchUpWindowMs: number;
  /** Events a session may hold unacknowledged (live) or missed (parked). */
  readonly eventBufferSize: number;
  /** Bytes of buffered events on this node, all sessions together. */
  readonly bufferMemoryBytes: number;
  /** Gap between server pings (ms). */
  readonly pingIntervalMs: number;
  /**
   * Bytes queued on one socket (replies, events, pings: everything written) beyond which the
   * client counts as not reading: the connection is closed (1013). Past an eighth of it, the
   * connection stops reading the client's requests until its queue has drained.
   */
  readonly maxSocketBufferBytes: number;
  /**
   * Bytes the RELAY sockets of one client address may hold together on this node (queued to send,
   * and frames partly received); past it, the address's connections holding much are closed (1013).
   */
  readonly socketMemoryPerAddressBytes: number;
  /**
   * Least time (ms) between a `messaging.send` answer and the first state events of that message
   * on the sending connection, which go out in a later write: SignalWire's Python SDK (and its
   * TypeScript port) register a sent message only once the answer has been handled, and drop
   * state events that arrive with it. 0: no spacing.
   */
  readonly stateEventGapMs: number;
}

/** Fixed limits (not worth a setting). */
export const RELAY_CONSTANTS = {
  /** Time a new connection has to complete `signalwire.connect` (ms). */
  connectTimeoutMs: 10_000,
  /** A ping not answered within this closes the connection as dead (ms). */
  pingTimeoutMs: 10_000,
  /** Every request is answered within this, with -32000 if the work is still running (ms). */
  requestTimeoutMs: 8_000,
  /**
   * The request rate all RELAY connections of one client address (once authenticated, of one project
   * at that address) share: this many connections' worth of `relay.requestsPerSecond` and
   * `relay.requestBurst`. Without it, each of the `http.maxConnectionsPerAddress` connections had the
   * whole rate: 50 connections flooding pings were answered 50,000 a second, and other clients'
   * REST requests waited seconds for the node's thread.
   */
  requestSharesPerAddress: 4,
  /** Requests of one connection being processed at once. */
  maxInFlight: 1_000,
  /** After closing a client over its socket buffer cap, how long the close frame may take before the socket is dropped (ms). */
  closeGraceMs: 1_000,
  /**
   * `messaging.send`s of one project that may wait for a send slot (`http.maxSendRequestsPerProject`),
   * per slot; past them -32005. A send keeps waiting when its answer times out or its connection
   * closes, so the requests in flight per connection do not bound them.
   */
  sendsWaitingPerSlot: 64,
  /**
   * Event frames one project's sessions may write together per turn of the event loop; the rest
   * wait in their sessions (counted as unacknowledged) for the next turns (delivery-pacer.ts), so a
   * project fanning events out to hundreds of sessions cannot hold the node's thread.
   */
  eventWritesPerTurn: 128,
  /** Contexts one session may subscribe to, and the longest context name. */
  maxContexts: 100,
  maxContextLength: 128,
  /** Tags on one message and the longest tag. */
  maxTags: 20,
  maxTagLength: 128,
  /** Invalid frames (not JSON-RPC, binary, too large) a connection may send at once, and how many more a second; past them it is closed (1008). */
  invalidFrameBurst: 100,
  invalidFramesPerSecond: 1,
  /** Housekeeping tick (pings, timeouts, resume expiry) (ms). */
  tickMs: 1_000,
  /** How often open connections' tokens are checked for revocation (ms; on a tick). */
  credentialCheckMs: 5_000,
} as const;

/** Queued bytes past which a connection stops reading requests until its socket drains. */
export function readPauseBytes(limits: RelayLimits): number {
  return Math.floor(limits.maxSocketBufferBytes / 8);
}

/** The hard frame cap given to the WebSocket library: beyond it the socket is closed (1009). */
export function hardFrameBytes(limits: RelayLimits): number {
  return Math.max(limits.maxFrameBytes * 4, limits.maxFrameBytes + 65_536);
}

/** What a byte budget of `perSecond` holds at most: a second's worth, and always room for the largest frame. */
export function byteBurst(limits: RelayLimits, perSecond: number): number {
  return Math.max(perSecond, limits.maxFrameBytes);
}

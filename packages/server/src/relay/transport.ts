/** What the dispatcher needs from a transport (a WebSocket, or anything framing text messages). */
export interface RelayTransport {
  /** Queue one text frame. */
  send(frame: string): void;
  /** Bytes queued and not yet written to the network. */
  readonly bufferedAmount: number;
  /** Bytes received of frames not yet whole (a frame the client is still sending). */
  readonly receivingBytes: number;
  /** The peer's address (IPv4-mapped IPv6 addresses in their IPv4 form), for limits and logs. */
  readonly remoteAddress: string;
  /** Stop reading from the peer (frames already received may still arrive), until `resume`. */
  pause(): void;
  resume(): void;
  /** Close politely (a close frame after what is queued). */
  close(code: number, reason: string): void;
  /** Drop the connection now. */
  terminate(): void;
}

/** Close codes the server uses. */
export const CLOSE = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  POLICY: 1008,
  TOO_BIG: 1009,
  TRY_AGAIN_LATER: 1013,
  /** The session was taken over by a newer connection of the same client. */
  SESSION_MOVED: 4000,
} as const;

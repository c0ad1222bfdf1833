/**
 * RELAY methods for messaging: names, params and results of `signalwire.*` session methods and
 * `messaging.send`, as the official SDKs send them (spec relay-protocol §3–§5, §7).
 */

/** Client → server: authenticate and open (or resume) a session. Must be the first request. */
export const METHOD_CONNECT = 'signalwire.connect';
/** Client → server: subscribe the session to more contexts. */
export const METHOD_RECEIVE = 'signalwire.receive';
/** Client → server: unsubscribe contexts. */
export const METHOD_UNRECEIVE = 'signalwire.unreceive';
/** Both directions: keepalive. */
export const METHOD_PING = 'signalwire.ping';
/** Server → client: an event; the client answers with an empty result (the ack). */
export const METHOD_EVENT = 'signalwire.event';
/** Server → client: the server is about to close the connection. */
export const METHOD_DISCONNECT = 'signalwire.disconnect';
/** Client → server: send an SMS or MMS. */
export const METHOD_MESSAGING_SEND = 'messaging.send';

/** `{major, minor, revision}` of the protocol a client speaks. */
export interface ProtocolVersion {
  readonly major: number;
  readonly minor: number;
  readonly revision: number;
}

/** The version Switchboard's SDK sends (the same as SignalWire's Python and TypeScript SDKs). */
export const RELAY_PROTOCOL_VERSION: ProtocolVersion = { major: 2, minor: 0, revision: 0 };

/** Credentials of `signalwire.connect`. Switchboard supports project/token only. */
export interface ConnectAuthentication {
  readonly project?: string;
  readonly token?: string;
  /** JWT sessions are not supported by Switchboard (answered with -32002). */
  readonly jwt_token?: string;
}

/** Params of `signalwire.connect`. */
export interface ConnectParams {
  readonly version: ProtocolVersion;
  readonly authentication: ConnectAuthentication;
  /** Informational client name. */
  readonly agent?: string;
  /** The client acks every `signalwire.event` (all current SDKs send `true`). */
  readonly event_acks?: boolean;
  /** Contexts to subscribe at connect time (same effect as `signalwire.receive`). */
  readonly contexts?: readonly string[];
  /** The `protocol` of an earlier session, to resume it. */
  readonly protocol?: string;
  /** The opaque value of the last `signalwire.authorization.state` event. */
  readonly authorization_state?: string;
}

/** The `authorization` member of the connect result. */
export interface ConnectAuthorization {
  readonly project: string;
  readonly expires_at: number | null;
  readonly scopes: readonly string[];
  /** Equals the second `_`-separated part of `protocol` (the JS SDK checks this before resuming). */
  readonly signature: string;
}

/** Result of `signalwire.connect`. It carries no `code`. */
export interface ConnectResult {
  /** `signalwire_<signature>_<session id>`: the session's name; send it back to resume. */
  readonly protocol: string;
  /** `<session id>@<node>`. */
  readonly identity: string;
  readonly authorization: ConnectAuthorization;
  /** True when an earlier session (its contexts and missed events) was restored. */
  readonly session_restored: boolean;
}

/** Params of `signalwire.receive` and `signalwire.unreceive`. */
export interface ReceiveParams {
  readonly contexts?: readonly string[];
  /** Deprecated single context, merged into `contexts`. */
  readonly context?: string;
}

/** An application-level result: `code` is a string, `"200"` (any 2xx) on success. */
export interface CodeResult {
  readonly code: string;
  readonly message: string;
}

/** Params of `messaging.send`. */
export interface MessagingSendParams {
  readonly to_number: string;
  /** A number (or short code) of the project. */
  readonly from_number: string;
  /** Context that receives the message's `messaging.state` events; `"default"` when absent. */
  readonly context?: string;
  readonly body?: string;
  /** Up to 8 http(s) URLs; makes the message MMS. */
  readonly media?: readonly string[];
  readonly tags?: readonly string[];
  /** Spec variant of `tags`: one tag string, added to `tags`. */
  readonly tag?: string;
  /** Accepted and ignored (one region). */
  readonly region?: string;
  /** Optional native-style status callback URL (signed JSON POST per state). */
  readonly status_callback?: string;
  readonly send_as_mms?: boolean;
  /**
   * Switchboard extension: makes the send safe to retry. The same key (per project) with the same
   * params within 24 hours answers the first send's `message_id` and sends nothing; the same key
   * with other params is refused with code `"422"`. 1 to 255 printable ASCII characters.
   */
  readonly idempotency_key?: string;
}

/** Successful result of `messaging.send`. */
export interface MessagingSendResult extends CodeResult {
  readonly message_id: string;
}

/**
 * Failed result of `messaging.send` (still a JSON-RPC `result`): a non-2xx string code, the
 * first problem's text, and every problem by field (`to_number`, `from_number`, `body`, `media`...).
 */
export interface MessagingSendFailure extends CodeResult {
  readonly data?: Readonly<Record<string, readonly string[]>>;
}

/** Params (and result) of `signalwire.ping`; the answer echoes them. */
export interface PingParams {
  /** Seconds since the epoch, fractional. */
  readonly timestamp?: number;
  readonly payload?: string;
}

/** Params of `signalwire.disconnect`. */
export interface DisconnectParams {
  /** True: forget `protocol` and start a fresh session; false: reconnect and resume. */
  readonly restart: boolean;
}

/**
 * JSON-RPC 2.0 framing as RELAY uses it: one object per WebSocket text frame, requests in both
 * directions, string ids (UUIDs), and the protocol-level error codes of the RELAY spec.
 */

/** A request or response id. RELAY peers send UUID strings; numbers are echoed as they came. */
export type JsonRpcId = string | number;

/** A request (either direction). */
export interface JsonRpcRequest<M extends string = string, P = unknown> {
  readonly jsonrpc: '2.0';
  readonly id: JsonRpcId;
  readonly method: M;
  readonly params: P;
}

/** A successful response. */
export interface JsonRpcSuccess<R = unknown> {
  readonly jsonrpc: '2.0';
  readonly id: JsonRpcId;
  readonly result: R;
}

/** The `error` member of a failed response. */
export interface JsonRpcErrorObject {
  /** A negative integer from {@link RPC_ERRORS}. */
  readonly code: number;
  readonly message: string;
  /** Extra facts, e.g. `{ limit: 262144 }` or `{ retry_after_ms: 120 }`. */
  readonly data?: unknown;
}

/** A failed response; `id` is null when the request could not be read far enough to know it. */
export interface JsonRpcFailure {
  readonly jsonrpc: '2.0';
  readonly id: JsonRpcId | null;
  readonly error: JsonRpcErrorObject;
}

/** Any response. */
export type JsonRpcResponse<R = unknown> = JsonRpcSuccess<R> | JsonRpcFailure;

/**
 * Protocol-level failures (JSON-RPC `error` codes). Application failures are not here: they are
 * a normal `result` whose string `code` is not 2xx, taken from the error catalogue's `relay` codes.
 */
export const RPC_ERRORS = {
  /** The request was not answered in time (clients synthesise it too). */
  TIMEOUT: -32000,
  /** `signalwire.connect` version not supported, or a method not offered at that version. */
  VERSION_INCOMPATIBLE: -32001,
  /** Bad credentials, or a request before `signalwire.connect` succeeded. */
  AUTHENTICATION_FAILED: -32002,
  /** The token lacks the scope this method needs. */
  NOT_ALLOWED: -32003,
  /** The feature is not available on this server. */
  NOT_AVAILABLE: -32004,
  /** A limit was hit (request rate, sessions per project, requests in flight); retry later. */
  CAPACITY_EXCEEDED: -32005,
  /** Not a valid request object (batch array, missing `jsonrpc`/`id`/`method`, frame too large). */
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  /** The frame is not JSON. */
  PARSE_ERROR: -32700,
} as const;

/** One of the protocol-level error codes. */
export type RpcErrorCode = (typeof RPC_ERRORS)[keyof typeof RPC_ERRORS];

/** True for an application result code that clients count as success (`/^2\d\d$/`). */
export function isSuccessCode(code: unknown): boolean {
  return code === undefined || code === null || /^2\d\d$/.test(String(code));
}

/**
 * JSON-RPC frames: classifying what a client sent, and writing what the server sends. Event
 * frames are built by concatenation around params serialized once, because one state change fans
 * out to many sessions that differ only in the frame id.
 */
import { METHOD_EVENT, RPC_ERRORS, type JsonRpcId } from '@switchboard/protocol';
import { cleanJson, jsonMayNeedCleaning } from '../domain/clean-text.js';
import { jsonNestingExceeds, MAX_JSON_DEPTH } from '../util/json-depth.js';

/** A protocol-level failure, answered as a JSON-RPC `error`. */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
    /** Close the connection after answering (authentication failure, capacity). */
    readonly closeAfter = false,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

/** What a frame turned out to be. */
export type InboundFrame =
  | { readonly kind: 'request'; readonly id: JsonRpcId; readonly method: string; readonly params: unknown }
  | { readonly kind: 'response'; readonly id: JsonRpcId | null; readonly ok: boolean; readonly result: unknown }
  | { readonly kind: 'invalid'; readonly id: JsonRpcId | null; readonly error: RpcError };

function isId(v: unknown): v is JsonRpcId {
  return (typeof v === 'string' && v.length > 0 && v.length <= 256) || (typeof v === 'number' && Number.isFinite(v));
}

/** Parse and classify one text frame. */
export function classifyFrame(text: string): InboundFrame {
  // Before parsing: nothing may walk a value nested thousands of levels deep.
  if (jsonNestingExceeds(text, MAX_JSON_DEPTH)) {
    return {
      kind: 'invalid',
      id: sniffId(text.slice(0, 512)),
      error: new RpcError(RPC_ERRORS.INVALID_REQUEST, `Invalid request: the frame nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep.`, { max_depth: MAX_JSON_DEPTH }),
    };
  }
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return { kind: 'invalid', id: null, error: new RpcError(RPC_ERRORS.PARSE_ERROR, 'Parse error: the frame is not valid JSON.') };
  }
  if (Array.isArray(msg)) {
    return { kind: 'invalid', id: null, error: new RpcError(RPC_ERRORS.INVALID_REQUEST, 'Batch requests are not supported: send one JSON-RPC object per frame.') };
  }
  if (msg === null || typeof msg !== 'object') {
    return { kind: 'invalid', id: null, error: new RpcError(RPC_ERRORS.INVALID_REQUEST, 'Invalid request: a frame must hold one JSON-RPC object.') };
  }
  const m = msg as Record<string, unknown>;
  // Parameters as every surface takes text (`domain/clean-text.ts`); the id is echoed as sent.
  if (m.params !== undefined && jsonMayNeedCleaning(text)) m.params = cleanJson(m.params);
  const id = isId(m.id) ? m.id : null;
  // An answer is never answered, whatever its id or version: a peer's error answer to a frame it
  // could not read has id null, and answering that could start two peers bouncing errors for ever.
  if (m.method === undefined && ('result' in m || 'error' in m)) {
    return { kind: 'response', id, ok: 'result' in m, result: 'result' in m ? m.result : m.error };
  }
  if (m.jsonrpc !== '2.0') {
    return { kind: 'invalid', id, error: new RpcError(RPC_ERRORS.INVALID_REQUEST, 'Invalid request: "jsonrpc" must be "2.0".') };
  }
  if (typeof m.method !== 'string' || m.method === '') {
    return { kind: 'invalid', id, error: new RpcError(RPC_ERRORS.INVALID_REQUEST, 'Invalid request: "method" must be a non-empty string.') };
  }
  if (id === null) {
    return { kind: 'invalid', id: null, error: new RpcError(RPC_ERRORS.INVALID_REQUEST, 'Invalid request: every request needs an "id" (a string or a number); RELAY has no notifications.') };
  }
  return { kind: 'request', id, method: m.method, params: m.params };
}

/** A successful response frame. */
export function resultFrame(id: JsonRpcId, result: unknown): string {
  return JSON.stringify({ jsonrpc: '2.0', id, result });
}

/** An error response frame. */
export function errorFrame(id: JsonRpcId | null, err: RpcError): string {
  const error: Record<string, unknown> = { code: err.code, message: err.message };
  if (err.data !== undefined) error.data = err.data;
  return JSON.stringify({ jsonrpc: '2.0', id, error });
}

/** A server → client request frame. */
export function requestFrame(id: string, method: string, params: unknown): string {
  return JSON.stringify({ jsonrpc: '2.0', id, method, params });
}

/** A `signalwire.event` frame around params already serialized. */
export function eventFrame(id: string, params: string): string {
  return `{"jsonrpc":"2.0","id":"${id}","method":"${METHOD_EVENT}","params":${params}}`;
}

/** A JSON string, or a whole JSON number, at the start of the text. */
const ID_VALUE = /^\s*("(?:[^"\\]|\\.){1,256}"|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*[,}]/;

/**
 * The id of a frame that is not parsed (too large, too deep), if the object's own `"id"` shows in
 * `head`: keys are found by walking the text (strings skipped, depth counted), so an `"id"` inside
 * `params` or a string is never taken for it, and a number is read whole (`1.5` is not `1`). Null
 * when it is not there or not a valid id: better no id than another request's.
 */
export function sniffId(head: string): JsonRpcId | null {
  let depth = 0;
  for (let i = 0; i < head.length; i++) {
    const c = head[i];
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    else if (c === '"') {
      const start = i;
      for (i++; i < head.length && head[i] !== '"'; i++) if (head[i] === '\\') i++;
      if (i >= head.length) return null;
      // A key of the frame's own object: `"id"` then a colon.
      if (depth === 1 && head.slice(start, i + 1) === '"id"') {
        const colon = /^\s*:/.exec(head.slice(i + 1));
        if (!colon) continue;
        const value = ID_VALUE.exec(head.slice(i + 1 + colon[0].length));
        if (!value) return null;
        try {
          const id: unknown = JSON.parse(value[1]!);
          return isId(id) ? id : null;
        } catch {
          return null;
        }
      }
    }
  }
  return null;
}

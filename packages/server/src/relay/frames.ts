/**
 * JSON-RPC frames: classifying what a client sent, and writing what the server sends. Event
 * frames are built by concatenation around params serialized once, because one state change fans
 * out to many sessions that differ only in the frame id.
 */
import { METHOD_EVENT, RPC_ERRORS, type JsonRpcId } from '@switchboard/protocol';
import { cleanJson, jsonMayNeedCleaning } from '../domain/clean-text.js';
import { jsonNestingExceeds, MAX_JSON_DEPTH } from '../util/json-depth.js';
import { jsonWidthExceeds, jsonWidthText } from '../util/json-members.js';
import { topLevelMembers } from './frame-members.js';

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

/**
 * The JSON text an answer echoes as its `id`: the request's id exactly as sent (a number by its
 * digits, so `9007199254740993` or `1.0` come back unrounded; a string by its value), or `null`.
 */
export type EchoId = string;

/** Longest id: a string of at most this many characters, or a number written in at most this many. */
export const MAX_ID_LENGTH = 256;

/** What a frame turned out to be. */
export type InboundFrame =
  | { readonly kind: 'request'; readonly id: EchoId; readonly method: string; readonly params: unknown }
  | { readonly kind: 'response'; readonly id: JsonRpcId | null; readonly ok: boolean; readonly result: unknown }
  | { readonly kind: 'invalid'; readonly id: EchoId | null; readonly error: RpcError };

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * The echo of an id given as `raw` (its source text) and its length in characters (a string's own,
 * a number's as written): undefined when it is not a string or a number.
 */
function echoOf(raw: string): { readonly echo: EchoId; readonly length: number } | undefined {
  if (raw.startsWith('"')) {
    try {
      const value: unknown = JSON.parse(raw);
      // Re-serialized: the same value, written the way every answer writes strings.
      return typeof value === 'string' ? { echo: JSON.stringify(value), length: value.length } : undefined;
    } catch {
      return undefined;
    }
  }
  return JSON_NUMBER.test(raw) ? { echo: raw, length: raw.length } : undefined;
}

const invalid = (id: EchoId | null, message: string, data?: unknown): InboundFrame => ({ kind: 'invalid', id, error: new RpcError(RPC_ERRORS.INVALID_REQUEST, `Invalid request: ${message}`, data) });

/** Parse and classify one text frame. */
export function classifyFrame(text: string): InboundFrame {
  // Before parsing: nothing may walk a value nested thousands of levels deep.
  if (jsonNestingExceeds(text, MAX_JSON_DEPTH)) {
    return invalid(sniffId(text.slice(0, 512)), `the frame nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep.`, { max_depth: MAX_JSON_DEPTH });
  }
  // Nor parse tens of thousands of distinct names, far costlier than a frame of their size.
  const wide = jsonWidthExceeds(text);
  if (wide) return invalid(sniffId(text.slice(0, 512)), `the frame has ${jsonWidthText(wide)}.`, { [wide.what === 'members' ? 'max_members' : 'max_names']: wide.limit });
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return { kind: 'invalid', id: null, error: new RpcError(RPC_ERRORS.PARSE_ERROR, 'Parse error: the frame is not valid JSON.') };
  }
  if (Array.isArray(msg)) {
    return { kind: 'invalid', id: null, error: new RpcError(RPC_ERRORS.INVALID_REQUEST, 'Batch requests are not supported: send one JSON-RPC object per frame.') };
  }
  if (msg === null || typeof msg !== 'object') return invalid(null, 'a frame must hold one JSON-RPC object.');
  const m = msg as Record<string, unknown>;
  // An answer is never answered, whatever its id or version: a peer's error answer to a frame it
  // could not read has id null, and answering that could start two peers bouncing errors for ever.
  if (m.method === undefined && ('result' in m || 'error' in m)) {
    const id = typeof m.id === 'string' || (typeof m.id === 'number' && Number.isFinite(m.id)) ? m.id : null;
    return { kind: 'response', id, ok: 'result' in m, result: 'result' in m ? m.result : m.error };
  }
  // The members as written: the id's source text, and names given twice (JSON.parse keeps the last).
  const { members } = topLevelMembers(text);
  const names = new Set<string>();
  let twice: string | undefined;
  let rawId: string | undefined;
  for (const { name, value } of members) {
    if (names.has(name)) twice ??= name;
    names.add(name);
    if (name === 'id') rawId = value;
  }
  const given = rawId === undefined ? undefined : echoOf(rawId);
  const echo = given?.echo;
  const id = given !== undefined && twice !== 'id' && given.length <= MAX_ID_LENGTH ? given.echo : null;
  if (m.jsonrpc !== '2.0') return invalid(id, '"jsonrpc" must be "2.0".');
  if (typeof m.method !== 'string' || m.method === '') return invalid(id, '"method" must be a non-empty string.');
  if (twice !== undefined) return invalid(id, `the member "${twice.slice(0, 64)}" is given more than once.`);
  if (!('id' in m)) return invalid(null, 'every request needs an "id" (a string or a number); RELAY has no notifications.');
  if (echo === undefined) return invalid(null, '"id" must be a string or a number.');
  // Too long to keep while the request runs; answered at once, with the id as sent.
  if (id === null) return invalid(echo, `"id" is longer than ${MAX_ID_LENGTH} characters.`, { max_id_length: MAX_ID_LENGTH });
  if (m.params !== undefined && m.params !== null && typeof m.params !== 'object') return invalid(id, '"params" must be an object (or absent).');
  // Parameters as every surface takes text (`domain/clean-text.ts`); the id is echoed as sent.
  if (m.params !== undefined && jsonMayNeedCleaning(text)) m.params = cleanJson(m.params);
  return { kind: 'request', id, method: m.method, params: m.params };
}

/** A successful response frame. */
export function resultFrame(id: EchoId, result: unknown): string {
  return `{"jsonrpc":"2.0","id":${id},"result":${JSON.stringify(result) ?? 'null'}}`;
}

/** An error response frame. */
export function errorFrame(id: EchoId | null, err: RpcError): string {
  const error: Record<string, unknown> = { code: err.code, message: err.message };
  if (err.data !== undefined) error.data = err.data;
  return `{"jsonrpc":"2.0","id":${id ?? 'null'},"error":${JSON.stringify(error)}}`;
}

/** A server → client request frame. */
export function requestFrame(id: string, method: string, params: unknown): string {
  return JSON.stringify({ jsonrpc: '2.0', id, method, params });
}

/** A `signalwire.event` frame around params already serialized. */
export function eventFrame(id: string, params: string): string {
  return `{"jsonrpc":"2.0","id":"${id}","method":"${METHOD_EVENT}","params":${params}}`;
}

/**
 * The id of a frame that is not parsed (too large, too deep), as its answer echoes it, if the
 * object's own `"id"` shows whole in `head`: members are found by walking the text (strings
 * skipped, depth counted), so an `"id"` inside `params` or a string is never taken for it, and a
 * number is read whole (`1.5` is not `1`). Null when it is not there or not a valid id: better no
 * id than another request's.
 */
export function sniffId(head: string): EchoId | null {
  let given: ReturnType<typeof echoOf>;
  for (const { name, value } of topLevelMembers(head).members) if (name === 'id') given = echoOf(value);
  return given !== undefined && given.length <= MAX_ID_LENGTH ? given.echo : null;
}

/** A refused frame's first 512 bytes, where its `id` is looked for (read only when refusing: no cost per frame). */
export function frameHead(data: Buffer | string): string {
  return typeof data === 'string' ? data.slice(0, 512) : data.subarray(0, 512).toString('utf8');
}

/**
 * The contexts a RELAY request names (`signalwire.connect`, `signalwire.receive` / `unreceive`),
 * checked against the per-session cap. A frame may hold some 40,000 short names: they are read only
 * until one more than a session may have (`maxContexts`), and told apart with a set, so a frame
 * costs the node the cap's work, not the frame's squared (comparing each name with every one before
 * it took 5 s of a core for one 256 KiB frame, before authentication).
 */
import { RPC_ERRORS } from '@switchboard/protocol';
import { RpcError } from './frames.js';
import { RELAY_CONSTANTS } from './limits.js';

/** -32602 for a session that would listen to more contexts than it may. */
export function tooManyContexts(): RpcError {
  return new RpcError(RPC_ERRORS.INVALID_PARAMS, `Invalid params: at most ${RELAY_CONSTANTS.maxContexts} contexts per session.`);
}

/**
 * Contexts from `contexts` (and the deprecated `context` when `allowSingle`), without repeats; throws
 * -32602 on a bad value, and on more different names than a session may have (read no further).
 */
export function readContexts(p: Record<string, unknown>, allowSingle: boolean): string[] {
  const out = new Set<string>();
  const bad = () =>
    new RpcError(RPC_ERRORS.INVALID_PARAMS, `Invalid params: contexts must be an array of non-empty strings of at most ${RELAY_CONSTANTS.maxContextLength} characters.`);
  const check = (c: unknown) => {
    if (typeof c !== 'string' || c === '' || c.length > RELAY_CONSTANTS.maxContextLength) throw bad();
    out.add(c);
    if (out.size > RELAY_CONSTANTS.maxContexts) throw tooManyContexts();
  };
  if (p.contexts !== undefined && p.contexts !== null) {
    if (!Array.isArray(p.contexts)) throw bad();
    for (let i = 0; i < p.contexts.length; i++) check(p.contexts[i]);
  }
  if (allowSingle && p.context !== undefined && p.context !== null) check(p.context);
  return [...out];
}

/** True when a session with `current` contexts would pass the cap by adding `added`. */
export function exceedsContexts(current: Iterable<string>, added: readonly string[]): boolean {
  return new Set([...current, ...added]).size > RELAY_CONSTANTS.maxContexts;
}

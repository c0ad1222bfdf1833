/**
 * Ids in paths as they are stored: every id is a UUID written in lower case, and a UUID is
 * case-insensitive on input (RFC 9562 §4), so `/api/messaging/logs/01A2…` names the message
 * `01a2…`. The Compatibility API's routes lowered their sids one by one; the native and console
 * routes answered 404 to an id in capitals. Lowered here, for every surface, before any route reads
 * its parameters.
 */
import { canonicalId } from '../domain/ids.js';

/** Lower the path parameters that are UUIDs (whole values only; `x.json` sids are the compat routes' own). */
export function lowerUuidParams(params: Record<string, unknown>): void {
  for (const name of Object.keys(params)) {
    const value = params[name];
    if (typeof value !== 'string') continue;
    const id = canonicalId(value);
    if (id !== value) params[name] = id;
  }
}

/** Whether a named path parameter is empty (a wildcard's may be: `/console/` is the console's index). */
export function hasEmptyParam(params: Record<string, unknown>): boolean {
  for (const name of Object.keys(params)) if (name !== '*' && params[name] === '') return true;
  return false;
}

/**
 * How many object members JSON text holds, counted on the text before it is parsed. Parsing a
 * member is cheap when its name was seen before and costs far more when it is new (each distinct
 * name becomes a property of its own): a 200 KB body of 20,000 distinct names takes 10 ms or more
 * of the event loop, where 200 KB of one string takes about 1 ms, so a burst of such bodies on
 * many connections kept every other client waiting. Every JSON parser of a surface checks this
 * next to the nesting depth (`json-depth.ts`).
 */

/**
 * The most object members a request body or RELAY frame may hold: well above any request the
 * surfaces take (the simulator's settings, 1,000 rules of up to four fields, are the largest).
 */
export const MAX_JSON_MEMBERS = 5_000;

/**
 * True when `text` holds more than `limit` object members: colons outside strings, as JSON has
 * no other. The text is not validated (the parser does that afterwards), so any input terminates.
 */
export function jsonMembersExceed(text: string, limit: number = MAX_JSON_MEMBERS): boolean {
  // Most bodies hold few colons anywhere (counted by the native search, far cheaper than the scan below).
  if (colonsAtMost(text, limit)) return false;
  let count = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // Skip the string: a backslash escapes the next character.
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x3a && ++count > limit) {
      return true;
    }
  }
  return false;
}

/** True when `text` holds at most `limit` colons, inside strings too. */
function colonsAtMost(text: string, limit: number): boolean {
  let count = 0;
  for (let i = text.indexOf(':'); i !== -1; i = text.indexOf(':', i + 1)) if (++count > limit) return false;
  return true;
}

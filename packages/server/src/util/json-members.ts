/**
 * How many object members JSON text holds, and under how many distinct names, counted on the text
 * before it is parsed. Parsing a member is cheap when its name was seen before and costs far more
 * when the name is new (each distinct name becomes a property of its own): a 200 KB body of 20,000
 * distinct names took 10 ms or more of the event loop, where 200 KB of one string takes about 1 ms,
 * so a burst of such bodies on many connections kept every other client waiting. Every JSON parser
 * of a surface checks this next to the nesting depth (`json-depth.ts`).
 */

/**
 * The most object members a request body or RELAY frame may hold, and the most distinct member
 * names among them: well above any request the surfaces take (the simulator's settings, 1,000
 * rules of up to four fields under a dozen names, are the largest).
 */
export const MAX_JSON_MEMBERS = 5_000;
export const MAX_JSON_NAMES = 1_000;

/** Which bound `text` passes, if any (`members` first). */
export type JsonWidthExcess = { readonly what: 'members'; readonly limit: number } | { readonly what: 'names'; readonly limit: number };

/**
 * The bound `text` passes: more than `members` object members (colons outside strings, as JSON
 * has no other) or more than `names` distinct names before them. The text is not validated (the
 * parser does that afterwards), so any input terminates.
 */
export function jsonWidthExceeds(text: string, members: number = MAX_JSON_MEMBERS, names: number = MAX_JSON_NAMES): JsonWidthExcess | undefined {
  // Most bodies hold fewer colons anywhere than either bound (counted by the native search, far
  // cheaper than the scan below).
  if (colonsAtMost(text, Math.min(members, names))) return undefined;
  const seen = new Set<string>();
  let count = 0;
  let lastString = '';
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // Skip the string: a backslash escapes the next character. The last one read names the member a colon ends.
      const start = i;
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
      lastString = text.slice(start, i + 1);
    } else if (c === 0x3a) {
      if (++count > members) return { what: 'members', limit: members };
      seen.add(lastString);
      if (seen.size > names) return { what: 'names', limit: names };
    }
  }
  return undefined;
}

/** What a refusal says of `excess`: "more than 5000 object members". */
export function jsonWidthText(excess: JsonWidthExcess): string {
  return excess.what === 'members' ? `more than ${excess.limit} object members` : `object members of more than ${excess.limit} distinct names`;
}

/** True when `text` holds at most `limit` colons, inside strings too. */
function colonsAtMost(text: string, limit: number): boolean {
  let count = 0;
  for (let i = text.indexOf(':'); i !== -1; i = text.indexOf(':', i + 1)) if (++count > limit) return false;
  return true;
}

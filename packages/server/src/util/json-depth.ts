/**
 * How deeply JSON text nests, measured on the text before it is parsed: a body nested thousands of
 * levels deep parses fine, but any recursive walk of the result (validation, `JSON.stringify` while
 * building an error) then overflows the stack. Every JSON parser of a surface checks this first.
 */

/** The deepest nesting of arrays and objects a request body or RELAY frame may have. */
export const MAX_JSON_DEPTH = 32;

/**
 * True when arrays and objects in `text` nest deeper than `limit`. Brackets inside strings do not
 * count; the text is not validated (the parser does that afterwards), so any input terminates.
 */
export function jsonNestingExceeds(text: string, limit: number = MAX_JSON_DEPTH): boolean {
  // Most bodies hold a few arrays and objects: fewer opening brackets than the limit, wherever
  // they are, cannot nest past it (counted by the native search, far cheaper than the scan below).
  if (openersAtMost(text, limit)) return false;
  let depth = 0;
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
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}

/** True when `text` holds at most `limit` opening brackets (`{` and `[`, inside strings too). */
function openersAtMost(text: string, limit: number): boolean {
  let count = 0;
  for (const opener of ['{', '[']) {
    for (let i = text.indexOf(opener); i !== -1; i = text.indexOf(opener, i + 1)) {
      if (++count > limit) return false;
    }
  }
  return true;
}

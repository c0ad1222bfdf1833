/**
 * A bounded rendering of a value a client sent, for error messages. Error texts echo the offending
 * value, and a value can be a 200 kB string or an object nested thousands of levels deep:
 * `JSON.stringify` of it would copy it whole into the answer, or overflow the stack. This writes
 * JSON as far as `max` characters and stops there (with `…`), never descending past a few levels.
 */

/** Longest preview, in characters (before the ellipsis). */
export const PREVIEW_LENGTH = 64;
const MAX_LEVELS = 4;

/** `text` cut to `max` characters, with `…` when something was cut. */
export function clip(text: string, max: number = PREVIEW_LENGTH): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** The value as JSON (`"abc"`, `12`, `{"a":1}`, `null` for undefined), cut to `max` characters. */
export function preview(value: unknown, max: number = PREVIEW_LENGTH): string {
  let out = '';
  const full = () => out.length > max;
  const walk = (v: unknown, level: number): void => {
    if (full()) return;
    if (typeof v === 'string') out += JSON.stringify(v.length > max ? v.slice(0, max) : v);
    // JSON reads 1e999 as Infinity, which JSON.stringify writes as null: the error would quote another value.
    else if (typeof v === 'number') out += Number.isFinite(v) ? JSON.stringify(v) : String(v);
    else if (typeof v === 'boolean') out += JSON.stringify(v);
    else if (v === null || typeof v !== 'object') out += 'null';
    else if (level >= MAX_LEVELS) out += Array.isArray(v) ? '[…]' : '{…}';
    else if (Array.isArray(v)) {
      out += '[';
      for (let i = 0; i < v.length && !full(); i++) {
        if (i > 0) out += ',';
        walk(v[i], level + 1);
      }
      out += ']';
    } else {
      out += '{';
      let first = true;
      for (const key in v) {
        if (full()) break;
        if (!Object.prototype.hasOwnProperty.call(v, key)) continue;
        out += `${first ? '' : ','}${JSON.stringify(key.length > max ? key.slice(0, max) : key)}:`;
        first = false;
        walk((v as Record<string, unknown>)[key], level + 1);
      }
      out += '}';
    }
  };
  walk(value, 0);
  return clip(out, max);
}

/**
 * Text the server keeps never holds U+0000 or a lone UTF-16 surrogate: PostgreSQL's `text` cannot
 * hold a NUL, and both databases store UTF-8, where a lone surrogate becomes U+FFFD. Both are
 * replaced by U+FFFD where input enters (JSON bodies and frames, form bodies, message bodies, query
 * strings and path parameters), so an answer, a callback, a later read and a filter show the same
 * text on either database.
 */

/** Strings with ES2024's well-formedness methods (Node 20+; the project's TypeScript lib is ES2023). */
type WellFormedString = string & { isWellFormed(): boolean; toWellFormed(): string };

/** `s` with NULs as U+FFFD (the same string when it has none): enough for text decoded from UTF-8, which is well formed. */
export function withoutNul(s: string): string {
  return s.includes('\u0000') ? s.replaceAll('\u0000', '\uFFFD') : s;
}

/** `s` with NULs and lone surrogates as U+FFFD (the same string when it has neither). */
export function cleanText(s: string): string {
  const w = s as WellFormedString;
  return withoutNul(w.isWellFormed() ? s : w.toWellFormed());
}

/** Whether JSON text may decode to a NUL or a lone surrogate: it has the escape of one (raw ones are not JSON). */
export function jsonMayNeedCleaning(text: string): boolean {
  return /\\u(?:0000|[dD][89a-fA-F])/.test(text);
}

/** A parsed JSON value with every string, keys included, cleaned (`cleanText`); objects and arrays are changed in place. */
export function cleanJson(value: unknown): unknown {
  if (typeof value === 'string') return cleanText(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = cleanJson(value[i]);
    return value;
  }
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    for (const key of Object.keys(o)) {
      const clean = cleanText(key);
      const v = cleanJson(o[key]);
      if (clean !== key) {
        delete o[key];
        o[clean] = v;
      } else o[key] = v;
    }
  }
  return value;
}

/** Query parameters or path parameters (strings, or lists of strings for a repeated name) with each value cleaned (`cleanText`), in place. */
export function cleanStringValues(values: Record<string, unknown>): void {
  for (const key of Object.keys(values)) {
    const v = values[key];
    if (typeof v === 'string') {
      const clean = cleanText(v);
      if (clean !== v) values[key] = clean;
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) if (typeof v[i] === 'string') v[i] = cleanText(v[i] as string);
    }
  }
}

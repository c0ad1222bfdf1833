/**
 * One-time codes in messages a handset received, so a test of a login flow reads the code instead
 * of parsing the body: by default the first run of 4 to 8 digits that is not part of a longer
 * number (a phone number or an amount with more digits is no code), or the caller's own pattern.
 */

/** The default: 4–8 digits with no digit right before or after. */
export const DEFAULT_CODE_PATTERN = /(?<!\d)\d{4,8}(?!\d)/;

/** Longest pattern a caller may give. */
export const MAX_CODE_PATTERN_LENGTH = 100;

/**
 * A quantified group that itself contains a quantifier — `(a+)+`, `(\d*)*`, `(x{2,})+` — can take
 * exponential time on a body that almost matches; patterns run on the server's thread, so they are
 * refused rather than risked. Not every such pattern shows in its text (`(a|a)*`): the HTTP layer
 * also runs them on a time budget.
 */
const NESTED_QUANTIFIER = /\([^()]*[+*}?][^()]*\)\s*[+*{]/;

/** A caller's pattern as a RegExp, or an error message saying what is wrong with it. */
export function parseCodePattern(raw: string): RegExp | string {
  if (raw.length === 0 || raw.length > MAX_CODE_PATTERN_LENGTH) return `code_pattern must be 1 to ${MAX_CODE_PATTERN_LENGTH} characters.`;
  if (NESTED_QUANTIFIER.test(raw)) return 'code_pattern may not repeat a group that itself repeats (such as (a+)+): it could take exponential time.';
  try {
    return new RegExp(raw);
  } catch (err) {
    return `code_pattern is not a valid regular expression: ${(err as Error).message}`;
  }
}

/**
 * The code in a body: the pattern's first capture group when it has one (`code: (\w+)`), else its
 * whole first match; null when it does not match. `exec` runs the match (a caller's pattern runs
 * on a time budget: http/simulator/code-finder.ts).
 */
export function findCode(body: string, pattern: RegExp = DEFAULT_CODE_PATTERN, exec: (re: RegExp, text: string) => RegExpExecArray | null = (re, text) => re.exec(text)): string | null {
  const m = exec(pattern, body);
  if (!m) return null;
  return m[1] ?? m[0];
}

/**
 * "Did you mean …?" for a name that is not one of the valid ones (a config key, an environment
 * variable, a simulator setting, a filter value): the valid name nearest by edit distance, when it is
 * near enough to be a likely typo.
 */

/** Levenshtein distance, case-insensitive (a typo in case is still the same name). */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const cur = [i];
    for (let j = 1; j <= t.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[t.length]!;
}

/**
 * The valid name closest to `given`, or null when none is plausibly meant: a name that contains the
 * other (`delay` → `delayMs`) counts as near; otherwise at most a third of the longer name may differ.
 */
export function closestName(given: string, valid: Iterable<string>): string | null {
  const g = given.toLowerCase();
  let best: string | null = null;
  let bestScore = Infinity;
  for (const name of valid) {
    const n = name.toLowerCase();
    // A name one is a part of: rank by how much is missing, ahead of mere typos of the same size.
    const contained = g.length >= 3 && (n.includes(g) || g.includes(n));
    const d = editDistance(g, n);
    const limit = Math.max(2, Math.floor(Math.max(g.length, n.length) / 3));
    if (!contained && d > limit) continue;
    const score = contained ? d - 0.5 : d;
    if (score < bestScore) {
      bestScore = score;
      best = name;
    }
  }
  return best;
}

/** ` (did you mean "x"?)` (or with `quote` around the name), or the empty string when nothing is close. */
export function didYouMean(given: string, valid: Iterable<string>, quote = '"'): string {
  const near = closestName(given, valid);
  return near === null ? '' : ` (did you mean ${quote}${near}${quote}?)`;
}

/**
 * Where rows arriving live go. The server lists messages in the order it stored them, an order it
 * does not show (it counts every project's messages: docs/console.md); a row carries its creation
 * time, and one arriving live is placed by it, among rows left where the server put them. Of rows
 * created in the same millisecond, the one arriving now is taken for the newer.
 */

/** `rows` newest first, with `added` placed each before the first row created at or before it. */
export function placeNewestFirst<T>(rows: readonly T[], added: readonly T[], at: (r: T) => string): T[] {
  const out = rows.slice();
  for (const r of added) {
    const i = out.findIndex((o) => at(o) <= at(r));
    out.splice(i < 0 ? out.length : i, 0, r);
  }
  return out;
}

/** `rows` oldest first, with `added` placed each after the last row created at or before it. */
export function placeOldestFirst<T>(rows: readonly T[], added: readonly T[], at: (r: T) => string): T[] {
  const out = rows.slice();
  for (const r of added) {
    let i = out.length;
    while (i > 0 && at(out[i - 1]!) > at(r)) i--;
    out.splice(i, 0, r);
  }
  return out;
}

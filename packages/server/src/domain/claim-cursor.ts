/**
 * The round-robin cursor of fair claims (`JobClaimOptions.after`, `WebhookClaimLimits.after`): the
 * project a claim served last in its order (ids after `cursor`, then from the first), where the
 * next claim starts.
 */
export function lastServed(items: ReadonlyArray<{ readonly projectId: string }>, cursor: string): string {
  let wrapped: string | undefined;
  let after: string | undefined;
  for (const { projectId: p } of items) {
    if (p <= cursor) wrapped = wrapped === undefined || p > wrapped ? p : wrapped;
    else after = after === undefined || p > after ? p : after;
  }
  return wrapped ?? after ?? cursor;
}

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

/** Whether claimed items belong to more than one project. */
export function servesSeveralProjects(items: ReadonlyArray<{ readonly projectId: string }>): boolean {
  for (let i = 1; i < items.length; i++) if (items[i]!.projectId !== items[0]!.projectId) return true;
  return false;
}

/**
 * Warnings an SMSC can cause once per PDU it sends (unreadable PDUs, receipts, MOs nobody owns):
 * logged at most `WARNINGS_PER_MINUTE` times a minute per connector and message, so a broken or
 * hostile SMSC cannot flood the log (and the disk) at its own rate. What was left out is said once
 * the minute is over, with the count, at the next such warning; the counters count every one.
 */
import type { SmppContext } from './context.js';

export const WARNINGS_PER_MINUTE = 10;
const WINDOW_MS = 60_000;

interface Window {
  start: number;
  count: number;
}

const budgets = new WeakMap<SmppContext, Map<string, Window>>();

/** Log `message` as a warning of this connector, unless it was logged too often this minute. */
export function warnLimited(ctx: SmppContext, fields: Record<string, unknown>, message: string): void {
  let windows = budgets.get(ctx);
  if (!windows) budgets.set(ctx, (windows = new Map()));
  const now = ctx.deps.now();
  let w = windows.get(message);
  if (!w || now - w.start >= WINDOW_MS) {
    if (w && w.count > WARNINGS_PER_MINUTE) ctx.deps.logger.warn({ carrier: ctx.config.id, notLogged: w.count - WARNINGS_PER_MINUTE }, `${message} (more of these were not logged)`);
    w = { start: now, count: 0 };
    windows.set(message, w);
  }
  if (++w.count <= WARNINGS_PER_MINUTE) ctx.deps.logger.warn(fields, message);
}

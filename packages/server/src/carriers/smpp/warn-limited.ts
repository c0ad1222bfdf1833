/**
 * Warnings an SMSC can cause once per PDU it sends (unreadable PDUs, receipts, MOs nobody owns):
 * logged at most `WARNINGS_PER_MINUTE` times a minute per connector and message, so a broken or
 * hostile SMSC cannot flood the log (and the disk) at its own rate. What was left out is said, with
 * the count, on the next such warning written (`util/log-limiter.ts`); the counters count every one.
 */
import { LogLimiter } from '../../util/log-limiter.js';
import type { SmppContext } from './context.js';

export const WARNINGS_PER_MINUTE = 10;

const limiters = new WeakMap<SmppContext, LogLimiter>();

/** Log `message` as a warning of this connector, unless it was logged too often this minute. */
export function warnLimited(ctx: SmppContext, fields: Record<string, unknown>, message: string): void {
  let limiter = limiters.get(ctx);
  if (!limiter) limiters.set(ctx, (limiter = new LogLimiter(ctx.deps.logger, { perWindow: WARNINGS_PER_MINUTE, windowMs: 60_000, now: ctx.deps.now })));
  limiter.warn(message, { carrier: ctx.config.id, ...fields }, message);
}

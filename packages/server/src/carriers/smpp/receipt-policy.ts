/**
 * Multipart receipts: each part has its own receipt; the connector's policy decides when the
 * message as a whole is final, and how.
 * - `all`: delivered once every part is delivered; undelivered as soon as any part fails.
 * - `first` / `last`: the receipt of part 1 / of the last part decides; the others are only tracked.
 */
import type { ErrorKey } from '@switchboard/protocol';
import type { CarrierPartRecord } from '../../domain/ports/store.js';
import type { ReceiptPolicy } from './config.js';

/** The message's final state, when the parts decide one. */
export interface PolicyDecision {
  readonly status: 'delivered' | 'undelivered';
  readonly error?: ErrorKey;
  readonly detail?: string;
}

type PartView = Pick<CarrierPartRecord, 'partIndex' | 'partCount' | 'status' | 'error' | 'errorDetail'>;

function outcomeOf(p: PartView, parts: number): PolicyDecision {
  if (p.status === 'delivered') return { status: 'delivered' };
  const where = parts > 1 ? `part ${p.partIndex} of ${parts}` : '';
  const detail = [where, p.errorDetail].filter(Boolean).join(': ');
  return { status: 'undelivered', error: (p.error ?? 'UNKNOWN_DELIVERY_ERROR') as ErrorKey, ...(detail ? { detail } : {}) };
}

/** Decide a message's final state from its parts, or undefined while it is still open. */
export function decide(policy: ReceiptPolicy, parts: readonly PartView[]): PolicyDecision | undefined {
  if (parts.length === 0) return undefined;
  const count = Math.max(...parts.map((p) => p.partCount));
  // A part may have been sent twice (re-sent after a dropped bind): any final copy counts.
  const byIndex = new Map<number, PartView>();
  for (const p of parts) {
    const seen = byIndex.get(p.partIndex);
    if (!seen || (seen.status === 'sent' && p.status !== 'sent')) byIndex.set(p.partIndex, p);
  }
  if (policy === 'first' || policy === 'last') {
    const p = byIndex.get(policy === 'first' ? 1 : count);
    return p && p.status !== 'sent' ? outcomeOf(p, count) : undefined;
  }
  const failed = [...byIndex.values()].filter((p) => p.status === 'undelivered').sort((a, b) => a.partIndex - b.partIndex)[0];
  if (failed) return outcomeOf(failed, count);
  for (let i = 1; i <= count; i++) if (byIndex.get(i)?.status !== 'delivered') return undefined;
  return { status: 'delivered' };
}

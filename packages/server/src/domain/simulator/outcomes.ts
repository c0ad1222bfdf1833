/**
 * What the simulated network does with a message, decided by its destination: documented magic
 * numbers and operator-defined rules, first match wins. The magic numbers are +1 201 555-0101…0109:
 * 555-01XX is the North American block reserved for fictional use, so no real handset has them,
 * and they stay clear of Twilio's test-credential numbers (+1500555000N, which mean something else:
 * domain/test-credentials.ts).
 */
import type { ErrorKey } from '@switchboard/protocol';

/** The fate of one message in the simulator. */
export type SimulatedOutcome =
  /** Handed over, then a receipt: delivered (after the normal or the long receipt delay). */
  | { readonly kind: 'delivered'; readonly receipt: 'normal' | 'delayed' }
  /** Handed over, then a receipt saying it could not be delivered. */
  | { readonly kind: 'undelivered'; readonly error: ErrorKey }
  /** Refused by the carrier at submission. */
  | { readonly kind: 'failed'; readonly error: ErrorKey }
  /**
   * Handed over and received by the handset, but no receipt ever comes: it stays `sent` until
   * receipt reconciliation asks the carrier (`receipts.reconcileAfterMs`), which says delivered.
   */
  | { readonly kind: 'no_receipt' }
  /** The carrier answers "throttled" to the first `times` attempts, then accepts and delivers. */
  | { readonly kind: 'throttled'; readonly times: number }
  /** The carrier fails transiently on the first `times` attempts, then accepts and delivers. */
  | { readonly kind: 'transient'; readonly times: number };

/** An operator rule: destinations starting with `prefix` get `outcome`. */
export interface OutcomeRule {
  readonly prefix: string;
  readonly outcome: SimulatedOutcome;
  readonly description?: string;
}

/** The built-in magic numbers. Documented in docs/simulator.md; keep the two in step. */
export const MAGIC_NUMBERS: readonly OutcomeRule[] = [
  { prefix: '+12015550101', outcome: { kind: 'undelivered', error: 'HANDSET_UNREACHABLE' }, description: 'undelivered, 30003 handset unreachable' },
  { prefix: '+12015550102', outcome: { kind: 'undelivered', error: 'HANDSET_UNKNOWN' }, description: 'undelivered, 30005 unknown handset' },
  { prefix: '+12015550103', outcome: { kind: 'undelivered', error: 'CARRIER_BLOCKED' }, description: 'undelivered, 30004 blocked by the carrier' },
  { prefix: '+12015550104', outcome: { kind: 'failed', error: 'UNROUTABLE' }, description: 'failed at submission, 30006 unroutable (landline)' },
  { prefix: '+12015550105', outcome: { kind: 'failed', error: 'CARRIER_VIOLATION' }, description: 'failed at submission, 30007 filtered by the carrier' },
  { prefix: '+12015550106', outcome: { kind: 'delivered', receipt: 'delayed' }, description: 'delivered after the long receipt delay' },
  { prefix: '+12015550107', outcome: { kind: 'no_receipt' }, description: 'received by the handset but no receipt: stays sent until reconciliation finds it delivered' },
  { prefix: '+12015550108', outcome: { kind: 'throttled', times: 2 }, description: 'throttled twice by the carrier, then delivered' },
  { prefix: '+12015550109', outcome: { kind: 'transient', times: 2 }, description: 'carrier fails transiently twice, then delivered' },
];

const DELIVERED: SimulatedOutcome = { kind: 'delivered', receipt: 'normal' };

/** The outcome for a destination: operator rules first (longest prefix), then magic numbers, else delivered. */
export function decideOutcome(to: string, rules: readonly OutcomeRule[]): SimulatedOutcome {
  let best: OutcomeRule | undefined;
  for (const r of rules) if (to.startsWith(r.prefix) && (!best || r.prefix.length > best.prefix.length)) best = r;
  if (best) return best.outcome;
  for (const r of MAGIC_NUMBERS) if (to === r.prefix) return r.outcome;
  return DELIVERED;
}

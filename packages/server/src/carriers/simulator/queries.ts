/**
 * What the simulated network says when asked about a message whose receipt never came (receipt
 * reconciliation): its fate by the sending project's outcome rules. A `no_receipt` destination's
 * handset did receive the message — only the receipt was lost — so it reads as delivered, as a
 * real carrier's status query would.
 */
import type { CarrierView } from '../../domain/ports/carrier.js';
import type { SimulatedOutcome } from '../../domain/simulator/outcomes.js';

export function simulatedView(outcome: SimulatedOutcome): CarrierView {
  switch (outcome.kind) {
    case 'undelivered':
    case 'failed':
      return { state: 'undelivered', error: outcome.error, detail: 'simulated carrier status query' };
    default:
      // delivered, no_receipt, and throttled or transient (accepted in the end)
      return { state: 'delivered' };
  }
}

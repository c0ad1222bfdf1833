/** The dispatcher's working records: what a claim or an adoption produced and what its jobs need. */
import type { JobRecord } from '../../domain/jobs.js';
import type { MessageRecord } from '../../domain/message.js';
import type { Carrier } from '../../domain/ports/carrier.js';
import type { PriceQuote } from '../../domain/pricing.js';
import type { ChangeRequest } from './journal.js';
import type { RatedJob } from './sender-queues.js';
import type { WaitedFailure } from './waited-checks.js';

/** What a claim or an adoption produced: jobs taken, what is ready to submit, the earliest slot a held job waits for. */
export interface Claimed {
  readonly claimed: number;
  readonly ready: Ready[];
  readonly nextSlotAt?: number;
}

/** A claim's result inside its transaction, with how many jobs it handed to other nodes. */
export interface ClaimOutcome extends Claimed {
  readonly handedOff: number;
}

/** Where a message stands at dispatch (`Dispatcher.verdict`). */
export type Verdict =
  | { readonly kind: 'elsewhere' | 'expired'; readonly carrier: Carrier }
  | { readonly kind: 'overpriced'; readonly carrier: Carrier; readonly quote: PriceQuote }
  | { readonly kind: 'rated'; readonly carrier: Carrier; readonly price: number | null; readonly rate: number }
  | { readonly kind: 'ready'; readonly carrier: Carrier; readonly price: number | null };

/** What the jobs of one claim or adoption need (`Dispatcher.plan`). */
export interface Plan {
  readonly changes: ChangeRequest[];
  readonly ready: Ready[];
  readonly rated: Array<RatedJob & { carrier: Carrier; price: number | null }>;
  readonly finished: number[];
  readonly handOff: Array<{ id: number; runAt: number; carrier: string }>;
  /** Senders whose held slots passed long ago (`lateSenders`): their queues are planned again from now. */
  readonly replan: ReadonlyMap<string, { readonly projectId: string; readonly sender: string }>;
}

/** A message handed over by the journal with its leased job, and when (ms). */
export interface Adopted {
  readonly job: JobRecord;
  readonly message: MessageRecord;
  readonly at: number;
}

export interface Ready {
  readonly job: JobRecord;
  readonly message: MessageRecord;
  /** Where the message's destination routes, and what it costs there (decided once, at claim time). */
  readonly carrier: Carrier;
  readonly price: number | null;
  /**
   * Not to be sent now (waited-checks.ts) though an earlier attempt may have handed it over: the
   * carrier is only asked whether it has it (`takenBefore`), and it fails with this if not.
   */
  readonly heldBack?: WaitedFailure;
}

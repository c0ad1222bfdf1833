/**
 * Safe retries, the engine's side. A create that carries an idempotency key (the `Idempotency-Key`
 * header, RELAY's `idempotency_key`) writes the key in the transaction that writes its message
 * (`MessageJournal.create`), so a crash never leaves one without the other; the primary key on
 * (project, key) makes concurrent requests with one key wait for each other, and the loser reads
 * the winner's message. Keys expire after 24 hours and are deleted in bounded steps.
 */
import type { Clock } from '../../domain/clock.js';
import type { Logger } from '../../domain/ports/logger.js';
import type { IdempotencyRepository } from '../../domain/ports/store.js';
import { RepeatedFailure } from '../../util/log-limiter.js';
import { PeriodicPass } from '../../util/periodic-pass.js';

/** The key a new message's request carried, and that request's fingerprint. */
export interface IdempotencyClaim {
  readonly key: string;
  readonly requestHash: string;
}

/** The journal did not write a message: its key already names another request's message. */
export class IdempotencyKeyTaken extends Error {
  constructor(
    readonly projectId: string,
    readonly key: string,
  ) {
    super(`idempotency key ${JSON.stringify(key)} of project ${projectId} is already taken`);
    this.name = 'IdempotencyKeyTaken';
  }
}

/** Rows deleted per statement, and how often expired keys are looked for. */
const SWEEP_STEP = 1000;
const SWEEP_EVERY_MS = 10 * 60_000;

/** Deletes expired keys on one timer per node, at most `SWEEP_STEP` rows per statement. */
export class IdempotencyKeySweeper {
  private readonly passes = new PeriodicPass(() => this.run());
  private stopped = false;

  constructor(private readonly deps: { readonly keys: IdempotencyRepository; readonly clock: Clock; readonly logger: Logger }) {}

  start(): void {
    this.stopped = false;
    this.passes.start(SWEEP_EVERY_MS, new RepeatedFailure(this.deps.logger, 'warn', 'deleting expired idempotency keys failed', 'deleting expired idempotency keys succeeds again'));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.passes.stop();
  }

  /** Delete every key expired now, step by step, yielding between steps; returns how many. */
  sweep(): Promise<number> {
    return this.passes.now();
  }

  private async run(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.deps.keys.deleteExpired(this.deps.clock.now(), SWEEP_STEP);
      total += n;
      if (n < SWEEP_STEP || this.stopped) return total;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

/**
 * The log of carrier answers that mean "try again later": an SMPP connector with no bind up, an
 * SMSC that stopped answering or throttles, a carrier that throws. They come per message, and each
 * was one warning, again at every retry: three SMPP binds dropped for a second each under 150
 * messages a second wrote 1,735 lines in 8 s, and an SMSC away for an hour with a backlog writes a
 * line per waiting message at every retry (backoff up to 60 s). Per carrier now, as the loops that
 * keep failing through an outage (`util/log-limiter.ts`): the first batch's line at once (how many
 * messages, the first one's id and the carrier's words), then one line a minute with the count left
 * out (each at `debug`), and one `info` line when the carrier accepts messages again.
 */
import type { Logger } from '../../domain/ports/logger.js';
import { LogLimiter, OUTAGE_LOG_LIMITS } from '../../util/log-limiter.js';

export interface TransientAnswer {
  readonly messageId: string;
  readonly detail: string | undefined;
  readonly retryInMs: number;
}

export class TransientAnswers {
  private readonly limiter: LogLimiter;

  constructor(logger: Logger) {
    this.limiter = new LogLimiter(logger, OUTAGE_LOG_LIMITS);
  }

  /** One batch's answers from `carrierId`: how many it accepted, and those it asked to be retried. */
  report(carrierId: string, accepted: number, transient: readonly TransientAnswer[]): void {
    const first = transient[0];
    if (first) this.limiter.warn(carrierId, { carrier: carrierId, messages: transient.length, messageId: first.messageId, detail: first.detail, retryInMs: first.retryInMs }, 'carrier failed transiently; will retry');
    else if (accepted) this.limiter.recovered(carrierId, { carrier: carrierId }, 'carrier accepts messages again');
  }
}

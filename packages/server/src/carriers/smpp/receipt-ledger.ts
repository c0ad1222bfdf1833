/**
 * Receipts, correlated through the `carrier_parts` table by normalised carrier id (and, for an id
 * the SMSC reused, by the receipt's dates: receipt-match.ts). Each accepted part is recorded; each
 * final receipt updates its part; whenever the parts of a message decide its final state (by the
 * connector's multipart receipt policy), the engine gets a status report.
 * Part inserts and receipt updates go through one ordered batcher, so a receipt queued after its
 * part's insert always finds it; a receipt that overtakes its `submit_sm_resp` waits, bounded, for
 * `earlyReceiptHoldMs`.
 *
 * While storage is unavailable (a full disk, the database unreachable) the two fail differently. A
 * receipt's write is tried once: the SMSC is answered ESME_RX_T_APPN and delivers the receipt again
 * later, so its deliver_sm_resp never waits for storage to come back. A part's record is tried
 * again (`STORAGE_RETRY`) until it commits, outside the batcher, so receipts queued meanwhile are not
 * held behind it: its message is answered accepted only after it (part-queue.ts), and a message
 * `sent` with no part recorded would never be matched to its receipt.
 */
import { ERRORS } from '@switchboard/protocol';
import type { AwaitingReceipt, StatusReport } from '../../domain/ports/carrier.js';
import { isStoreUnavailable, storageRetryDelay, type CarrierPartOutcome, type CarrierPartRecord } from '../../domain/ports/store.js';
import { Batcher } from '../../util/batcher.js';
import type { SmppContext } from './context.js';
import { receiptOutcome } from './error-codes.js';
import { normaliseId } from './message-ids.js';
import type { DataSmPdu, ShortMessagePdu } from './pdu/codec.js';
import { STATUS } from './pdu/constants.js';
import { parseReceipt, receiptText } from './receipt.js';
import { matchReceipt, type ReceiptOutcome } from './receipt-match.js';
import { decide } from './receipt-policy.js';
import { warnLimited } from './warn-limited.js';

/** A part the SMSC accepted, as the ledger records it. */
export interface AcceptedPart {
  readonly projectId: string;
  readonly messageId: string;
  /** 1-based. */
  readonly partIndex: number;
  readonly partCount: number;
}

type LedgerOp = { readonly kind: 'insert'; readonly part: CarrierPartRecord } | { readonly kind: 'receipt'; readonly outcome: ReceiptOutcome };
type LedgerResult = 'ok' | 'applied' | 'duplicate' | 'unknown' | 'ambiguous';

/** Unknown stat words already logged, per connector (bounded: a hostile SMSC could send endless new ones). */
const MAX_LOGGED_STAT_WORDS = 100;

/** Receipts waiting for their part's submit_sm_resp are bounded. */
const MAX_EARLY_RECEIPTS = 100_000;
const PRUNE_EVERY_MS = 3_600_000;
/** Part records deleted per statement; the event loop gets a turn between statements. */
const PRUNE_STEP = 1000;

/** Accepted parts and their receipts, for one connector. */
export class ReceiptLedger {
  private readonly ledger: Batcher<LedgerOp, LedgerResult>;
  private readonly early = new Map<string, { outcome: ReceiptOutcome; expires: number }>();
  /** Receipts whose lookup is in the ledger now, by carrier id; and the ids recorded meanwhile (see `apply`). */
  private readonly looking = new Map<string, number>();
  private readonly recordedWhileLooking = new Set<string>();
  private readonly loggedStatWords = new Set<string>();
  private loggedAmbiguous = false;
  private pruneTimer: NodeJS.Timeout | undefined;
  private pruning: Promise<number> | undefined;
  /** Part records waiting for storage to come back, each until it commits or is given up. */
  private readonly retrying = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly ctx: SmppContext) {
    this.ledger = new Batcher((ops) => this.flush(ops), 2000);
  }

  /** Forget this connector's part records older than the retention, every hour. */
  start(): void {
    const { config, deps } = this.ctx;
    this.stopped = false;
    this.pruneTimer = setInterval(() => void this.prune().catch((err: unknown) => deps.logger.warn({ err, carrier: config.id }, 'pruning SMPP part records failed')), PRUNE_EVERY_MS);
    this.pruneTimer.unref();
  }

  /**
   * Delete this connector's part records older than `partRetentionHours`, `PRUNE_STEP` rows per
   * statement, yielding between them; returns how many. Other carriers' records keep their own retention.
   */
  prune(): Promise<number> {
    return (this.pruning ??= this.pruneAll().finally(() => (this.pruning = undefined)));
  }

  private async pruneAll(): Promise<number> {
    const { config, deps } = this.ctx;
    const before = deps.now() - config.partRetentionHours * 3_600_000;
    let total = 0;
    for (;;) {
      const n = await deps.store.carrierParts.pruneOlderThan(config.id, before, PRUNE_STEP);
      total += n;
      if (n < PRUNE_STEP || this.stopped) return total;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Stop pruning and wait for every queued write. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    await this.pruning?.catch(() => undefined);
    await Promise.all(this.retrying);
    await this.ledger.drain();
  }

  /**
   * The SMSC accepted `part` and called it `rawCarrierId`: record it, and apply a receipt that came
   * first. Resolves once the record is committed, or has failed (logged); never rejects. While
   * storage is unavailable it waits, trying again, until storage is back (or the connector stops).
   */
  recordAccepted(part: AcceptedPart, rawCarrierId: string): Promise<void> {
    const { config, deps } = this.ctx;
    const carrierMessageId = normaliseId(rawCarrierId, config.idFormat.submit);
    if (!carrierMessageId) {
      this.ctx.counters.ids_unreadable++;
      warnLimited(this.ctx, { carrier: config.id, messageId: part.messageId, carrierId: rawCarrierId.slice(0, 100) }, 'SMSC message id cannot be read in the configured idFormat.submit; receipts for it will not correlate');
      return Promise.resolve();
    }
    const now = deps.now();
    const record: CarrierPartRecord = {
      carrier: config.id,
      carrierMessageId,
      projectId: part.projectId,
      messageId: part.messageId,
      partIndex: part.partIndex,
      partCount: part.partCount,
      status: 'sent',
      error: null,
      errorDetail: null,
      createdAt: now,
      updatedAt: now,
    };
    const first = this.insert(record);
    return first.then(
      () => undefined,
      (err: unknown) => {
        if (storageRetryDelay(err, 1, this.stopped) === null) return this.givenUp(record, err);
        const retry = this.retryInsert(record, err);
        this.retrying.add(retry);
        return retry.finally(() => this.retrying.delete(retry));
      },
    );
  }

  /** Queue `record`'s insert, and after it a receipt for it that came first; resolves on the commit. */
  private insert(record: CarrierPartRecord): Promise<unknown> {
    const id = record.carrierMessageId;
    const written = this.ledger.add({ kind: 'insert', part: record });
    if (this.looking.has(id)) this.recordedWhileLooking.add(id);
    const waiting = this.early.get(id);
    if (waiting) {
      this.early.delete(id);
      void this.apply(waiting.outcome).catch((err: unknown) => {
        // It failed with the insert (one transaction), which is tried again: so is the receipt,
        // already answered to the SMSC, which would not send it again.
        if (isStoreUnavailable(err) && !this.stopped && !this.early.has(id)) this.early.set(id, waiting);
        else this.ctx.deps.logger.error({ err, carrier: this.ctx.config.id }, 'recording an early receipt failed');
      });
    }
    return written;
  }

  /** Storage refused `record`: insert it again, with backoff, until it commits (see the file's comment). */
  private async retryInsert(record: CarrierPartRecord, first: unknown): Promise<void> {
    const { config, deps } = this.ctx;
    deps.logger.warn({ err: first, carrier: config.id, messageId: record.messageId, part: record.partIndex }, 'recording an SMPP part waits for storage: tried again until storage is back; its message is answered accepted once it is recorded');
    let err = first;
    for (let attempt = 1; ; attempt++) {
      // The node's storage retry policy: never given up while running; once stopping, a few attempts, none on a store silent through the stop.
      const delay = storageRetryDelay(err, attempt, this.stopped);
      if (delay === null) return this.givenUp(record, err);
      await new Promise((resolve) => setTimeout(resolve, delay));
      try {
        await this.insert(record);
        deps.logger.info({ carrier: config.id, messageId: record.messageId, part: record.partIndex, attempts: attempt + 1 }, 'SMPP part recorded after storage came back');
        return;
      } catch (next) {
        err = next;
      }
    }
  }

  private givenUp(record: CarrierPartRecord, err: unknown): void {
    this.ctx.deps.logger.error({ err, carrier: this.ctx.config.id, messageId: record.messageId, part: record.partIndex }, 'recording an SMPP part failed: its receipt will not be matched to the message');
  }

  /** A delivery receipt (or intermediate notification) arrived; resolves with the command_status to answer. */
  async onReceipt(pdu: ShortMessagePdu | DataSmPdu): Promise<number> {
    const { config, deps, counters } = this.ctx;
    counters.receipts++;
    const text = receiptText(pdu);
    const parsed = parseReceipt(text, pdu.tlvs, config.receiptStats);
    const id = parsed ? normaliseId(parsed.carrierId, config.idFormat.receipt) : null;
    if (!parsed || !id) {
      counters.receipts_unreadable++;
      warnLimited(this.ctx, { carrier: config.id, text: text.slice(0, 200) }, 'unreadable delivery receipt ignored');
      return STATUS.ESME_ROK; // asking for it again would not make it readable
    }
    if (parsed.unknownStat) {
      counters.receipts_unknown_stat++;
      this.logUnknownStat(parsed.stat, parsed.carrierId);
      return STATUS.ESME_ROK;
    }
    if (parsed.outcome === 'intermediate') {
      counters.receipts_intermediate++;
      return STATUS.ESME_ROK;
    }
    const mapped = receiptOutcome(parsed, config.errors.receipt);
    // Throws when the database write fails: the session then answers ESME_RX_T_APPN and the SMSC retries.
    const dates = { ...(parsed.submitted !== undefined ? { submitted: parsed.submitted } : {}), ...(parsed.done !== undefined ? { done: parsed.done } : {}) };
    await this.apply({ carrierMessageId: id, status: mapped.status, error: mapped.error ?? null, errorDetail: mapped.detail ?? null, at: deps.now(), ...dates });
    return STATUS.ESME_ROK;
  }

  /**
   * After a restart, or when this node takes the connection over from one that died: messages still
   * `sent` whose parts' receipts were recorded but whose final state was not (the process stopped
   * between the two commits) are reported now. Those still waiting for receipts need nothing: the
   * SMSC delivers receipts to whichever bind of the account is up.
   */
  recover(awaiting: readonly AwaitingReceipt[]): void {
    if (awaiting.length === 0) return;
    const { config, deps } = this.ctx;
    void deps.store.carrierParts
      .listForMessages(awaiting.map((a) => a.messageId))
      .then((parts) => {
        const reports = this.reportsFor(parts);
        if (reports.length) this.ctx.sink()?.report(reports);
      })
      .catch((err: unknown) => deps.logger.error({ err, carrier: config.id }, 'recovering decided SMPP messages failed'));
  }

  /** Give up on early receipts whose part never showed up (called once a second). */
  expireEarly(now: number): void {
    let orphaned = 0;
    for (const [id, e] of this.early) {
      if (e.expires > now) continue;
      this.early.delete(id);
      orphaned++;
    }
    if (orphaned) {
      this.ctx.counters.receipts_orphaned += orphaned;
      this.ctx.deps.logger.warn({ carrier: this.ctx.config.id, receipts: orphaned }, 'receipts for message ids never seen in a submit_sm_resp (duplicate submissions after a dropped bind, or another client on this account)');
    }
  }

  /** One warning per unknown stat word (the counter has them all). */
  private logUnknownStat(stat: string, carrierId: string): void {
    const word = stat.slice(0, 32);
    if (this.loggedStatWords.has(word) || this.loggedStatWords.size >= MAX_LOGGED_STAT_WORDS) return;
    this.loggedStatWords.add(word);
    const { config, deps } = this.ctx;
    deps.logger.warn({ carrier: config.id, stat: word, carrierId: carrierId.slice(0, 64) }, 'delivery receipt with a stat word this connector does not know: read as intermediate (the message stays sent until a final receipt or receipt reconciliation decides it); counted in receipts_unknown_stat, logged once per word');
  }

  /** One warning per connector for receipts a reused id left ambiguous (the counter has them all). */
  private logAmbiguous(outcome: ReceiptOutcome): void {
    if (this.loggedAmbiguous) return;
    this.loggedAmbiguous = true;
    const { config, deps } = this.ctx;
    deps.logger.warn(
      { carrier: config.id, carrierId: outcome.carrierMessageId.slice(0, 64), submitDate: outcome.submitted, doneDate: outcome.done },
      'delivery receipt for a message id the SMSC reused, whose dates do not tell which of its messages it is for: applied to none (receipt reconciliation may still resolve them); counted in receipts_ambiguous, logged once. Check receiptDateOffsetMinutes if the SMSC writes local time',
    );
  }

  private async apply(outcome: ReceiptOutcome): Promise<void> {
    const counters = this.ctx.counters;
    const id = outcome.carrierMessageId;
    this.looking.set(id, (this.looking.get(id) ?? 0) + 1);
    let result: LedgerResult;
    let recordedMeanwhile = false;
    try {
      result = await this.ledger.add({ kind: 'receipt', outcome });
    } finally {
      const n = this.looking.get(id)! - 1;
      if (n > 0) this.looking.set(id, n);
      else {
        this.looking.delete(id);
        recordedMeanwhile = this.recordedWhileLooking.delete(id);
      }
    }
    if (result === 'duplicate') counters.receipts_duplicate++;
    if (result === 'ambiguous') {
      counters.receipts_ambiguous++;
      return this.logAmbiguous(outcome);
    }
    if (result !== 'unknown') return;
    // Its submit_sm_resp came while the lookup was in the database: the part's insert is queued
    // behind it, and `recordAccepted` found nothing waiting in `early`. Look again (it is there now).
    if (recordedMeanwhile) return this.apply(outcome);
    // Not known yet: its submit_sm_resp may still be on its way (or on another bind).
    if (this.early.size >= MAX_EARLY_RECEIPTS) {
      counters.receipts_orphaned++;
      return;
    }
    counters.receipts_early++;
    this.early.set(outcome.carrierMessageId, { outcome, expires: this.ctx.deps.now() + this.ctx.config.earlyReceiptHoldMs });
  }

  private async flush(ops: LedgerOp[]): Promise<LedgerResult[]> {
    const carrier = this.ctx.config.id;
    const inserts = ops.flatMap((o) => (o.kind === 'insert' ? [o.part] : []));
    const receiptIds = ops.flatMap((o) => (o.kind === 'receipt' ? [o.outcome.carrierMessageId] : []));
    const { results, reports } = await this.ctx.deps.store.transaction(async (tx) => {
      if (inserts.length) await tx.carrierParts.insertMany(inserts);
      const results: LedgerResult[] = ops.map(() => 'ok');
      if (receiptIds.length === 0) return { results, reports: [] as StatusReport[] };
      // Every record of each id: an id the SMSC reused has several (receipt-match.ts chooses).
      const found = new Map<string, CarrierPartRecord[]>();
      for (const p of await tx.carrierParts.findByCarrierIds(carrier, receiptIds)) (found.get(p.carrierMessageId) ?? found.set(p.carrierMessageId, []).get(p.carrierMessageId)!).push(p);
      const seen = new Set<string>();
      const apply: CarrierPartOutcome[] = [];
      ops.forEach((o, i) => {
        if (o.kind !== 'receipt') return;
        const { submitted, done, ...outcome } = o.outcome;
        const match = matchReceipt(found.get(outcome.carrierMessageId) ?? [], { submitted, done }, this.ctx.config.receiptDateOffsetMinutes);
        if (match.kind !== 'part') {
          results[i] = match.kind === 'none' ? 'unknown' : 'ambiguous';
          return;
        }
        const part = match.part;
        const key = `${part.carrierMessageId}\u0000${part.messageId}\u0000${part.partIndex}`;
        if (part.status !== 'sent' || seen.has(key)) results[i] = 'duplicate';
        else {
          seen.add(key);
          apply.push({ ...outcome, messageId: part.messageId, partIndex: part.partIndex });
          results[i] = 'applied';
        }
      });
      const changed = apply.length ? await tx.carrierParts.applyOutcomes(carrier, apply) : [];
      if (changed.length === 0) return { results, reports: [] as StatusReport[] };
      // Report whenever a receipt leaves a message decided, not only the first time: a message
      // submitted twice (its first node died mid-send) may have its first part's receipt arrive
      // while it is not yet `sent` again, and only a later receipt can then complete it. The
      // engine's guarded transitions apply a repeated report once.
      const all = await tx.carrierParts.listForMessages([...new Set(changed.map((p) => p.messageId))]);
      return { results, reports: this.reportsFor(all) };
    });
    if (reports.length) this.ctx.sink()?.report(reports);
    return results;
  }

  /** A report for each message that its parts (all of them, of any number of messages) leave decided. */
  reportsFor(parts: readonly CarrierPartRecord[]): StatusReport[] {
    const byMessage = new Map<string, CarrierPartRecord[]>();
    for (const p of parts) {
      const list = byMessage.get(p.messageId);
      if (list) list.push(p);
      else byMessage.set(p.messageId, [p]);
    }
    const at = this.ctx.deps.now();
    const reports: StatusReport[] = [];
    for (const [messageId, list] of byMessage) {
      const d = decide(this.ctx.config.receiptPolicy, list);
      if (!d) continue;
      reports.push({ messageId, projectId: list[0]!.projectId, status: d.status, ...(d.error && d.error in ERRORS ? { error: d.error } : {}), ...(d.detail ? { detail: d.detail } : {}), at });
    }
    return reports;
  }
}

/**
 * The parts of a message the SMSC already accepted, for its retry. A multipart message whose later
 * part failed transiently goes back to the dispatcher's retry schedule; its retry sends only the
 * parts the SMSC has not taken, under the same concatenation reference (so the handset reassembles
 * them with the first copy's parts), and keeps the taken parts' ids (their receipts still count).
 *
 * Known from two places: this connector's memory of the messages it handed back (the parts'
 * records may not be written yet when the retry comes), and the part records in `carrier_parts`
 * (the retry runs on another node, or after a restart). Only a retry (attempt > 1) reads the store.
 */
import type { CarrierSubmission } from '../../domain/ports/carrier.js';
import type { CarrierPartRecord } from '../../domain/ports/store.js';
import type { SmppContext } from './context.js';

/** What a retry reuses: the reference and the taken parts' ids as the SMSC wrote them, by part (1-based). */
export interface TakenParts {
  readonly reference: number | null;
  readonly partCount: number;
  readonly ids: ReadonlyMap<number, string>;
}

/**
 * A message handed back, as its submission left it: its parts' ids are read when the retry comes,
 * so a part the SMSC accepted after the message was handed back (it was in flight on another bind)
 * is not sent again either.
 */
export interface HandedBack {
  readonly reference: number | null;
  readonly parts: ReadonlyArray<{ readonly index: number; readonly carrierId: string | null }>;
}

/** Messages remembered at once; past this the oldest are forgotten (their retry reads the store). */
const MAX_REMEMBERED = 10_000;

/** Taken parts of the messages one connector handed back, and the look-up of a batch's. */
export class TakenPartsMemory {
  private readonly handedBack = new Map<string, { job: HandedBack; expiresAt: number }>();

  constructor(private readonly ctx: SmppContext) {}

  /** A message went back to the dispatcher with these parts taken. */
  remember(messageId: string, job: HandedBack, expiresAt: number): void {
    this.handedBack.delete(messageId);
    if (this.handedBack.size >= MAX_REMEMBERED) this.handedBack.delete(this.handedBack.keys().next().value!);
    this.handedBack.set(messageId, { job, expiresAt });
  }

  /** The message was answered for good (accepted or rejected): nothing to reuse any more. */
  forget(messageId: string): void {
    this.handedBack.delete(messageId);
  }

  /** Drop what expired (called once a second). */
  expire(now: number): void {
    for (const [id, e] of this.handedBack) if (e.expiresAt <= now) this.handedBack.delete(id);
  }

  /**
   * For each submission: its taken parts, undefined when there are none, or an Error when the store
   * could not say (the message is then handed back, not sent whole: that could repeat parts).
   */
  async lookUp(batch: readonly CarrierSubmission[]): Promise<Array<TakenParts | undefined | Error>> {
    const out: Array<TakenParts | undefined | Error> = batch.map((s) => this.remembered(s.messageId));
    const ask = batch.filter((s, i) => out[i] === undefined && s.attempt > 1).map((s) => s.messageId);
    if (ask.length === 0) return out;
    let records: CarrierPartRecord[];
    try {
      records = await this.ctx.deps.store.carrierParts.listForMessages(ask);
    } catch (err) {
      const failed = err instanceof Error ? err : new Error(String(err));
      return out.map((t, i) => (t === undefined && batch[i]!.attempt > 1 ? failed : t));
    }
    const byMessage = new Map<string, CarrierPartRecord[]>();
    for (const r of records) if (r.carrier === this.ctx.config.id) (byMessage.get(r.messageId) ?? byMessage.set(r.messageId, []).get(r.messageId)!).push(r);
    return out.map((t, i) => t ?? fromRecords(byMessage.get(batch[i]!.messageId)));
  }

  private remembered(messageId: string): TakenParts | undefined {
    const e = this.handedBack.get(messageId);
    if (!e) return undefined;
    const ids = new Map<number, string>();
    for (const p of e.job.parts) if (p.carrierId !== null) ids.set(p.index, p.carrierId);
    return { reference: e.job.reference, partCount: e.job.parts.length, ids };
  }
}

/** The taken parts the records show, when a retry can reuse them (they agree on count and reference). */
function fromRecords(records: readonly CarrierPartRecord[] | undefined): TakenParts | undefined {
  if (!records?.length) return undefined;
  const sorted = [...records].sort((a, b) => a.createdAt - b.createdAt);
  const { partCount, reference } = sorted[0]!;
  // Parts recorded before references were (or sent as separate messages): nothing to join them to.
  if (partCount > 1 && reference === null) return undefined;
  const ids = new Map<number, string>();
  for (const r of sorted) {
    if (r.partCount !== partCount || r.reference !== reference || ids.has(r.partIndex)) continue;
    ids.set(r.partIndex, r.submittedId ?? r.carrierMessageId);
  }
  return { reference, partCount, ids };
}

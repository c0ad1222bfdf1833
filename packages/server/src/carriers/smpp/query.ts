/**
 * Asking the SMSC about messages whose receipt never came (receipt reconciliation): a `query_sm`
 * for each part still without a receipt, its `query_sm_resp` message_state read like a receipt's
 * (DELIVERED, EXPIRED, UNDELIVERABLE…, error_code as the receipt's `err:`), final answers written
 * to the part records in `carrier_parts` (so a receipt that still comes counts as a duplicate), and
 * the connector's multipart policy deciding each message from its parts.
 *
 * A query names the message id as the SMSC wrote it in `submit_sm_resp`: the one recorded on the
 * message for its first part; later parts' ids are rebuilt in the submit format from their stored
 * canonical form (exact for decimal ids; hex in upper case; text ids as stored, lower-cased).
 */
import type { CarrierQuery, CarrierView } from '../../domain/ports/carrier.js';
import type { CarrierPartOutcome, CarrierPartRecord } from '../../domain/ports/store.js';
import type { SmppContext } from './context.js';
import { receiptOutcome } from './error-codes.js';
import { idAsWritten, normaliseId, type IdFormat } from './message-ids.js';
import type { Address, Pdu } from './pdu/codec.js';
import { MESSAGE_STATE, STATUS, statusName } from './pdu/constants.js';
import type { ParsedReceipt } from './receipt.js';
import { statWord } from './receipt.js';
import { decide } from './receipt-policy.js';
import type { SmppSession } from './session.js';
import { sourceAddress } from './submit-parts.js';

/** What the SMSC said about one part. */
type PartAnswer = { readonly kind: 'final'; readonly outcome: Omit<CarrierPartOutcome, 'carrierMessageId' | 'messageId' | 'partIndex'> } | { readonly kind: 'enroute' } | { readonly kind: 'unknown'; readonly detail: string };

/** Final message_states and how a receipt with that state reads. */
const FINAL_STATES: ReadonlyMap<number, ParsedReceipt['outcome']> = new Map([
  [MESSAGE_STATE.DELIVERED, 'delivered'],
  [MESSAGE_STATE.EXPIRED, 'expired'],
  [MESSAGE_STATE.DELETED, 'undelivered'],
  [MESSAGE_STATE.UNDELIVERABLE, 'undelivered'],
  [MESSAGE_STATE.REJECTED, 'rejected'],
  // SKIPPED (SMPP v5.0 §4.7.15): accepted but never transmitted.
  [9, 'undelivered'],
]);

/** Read a query_sm answer like a receipt. */
function answerOf(resp: Pdu, ctx: SmppContext, at: number): PartAnswer {
  if (resp.command !== 'query_sm_resp' || resp.status !== STATUS.ESME_ROK) return { kind: 'unknown', detail: `query_sm answered ${statusName(resp.status)}` };
  const state = resp.messageState;
  // SCHEDULED (0, SMPP v5.0) has not been tried yet.
  if (state === 0 || state === MESSAGE_STATE.ENROUTE || state === MESSAGE_STATE.ACCEPTED) return { kind: 'enroute' };
  const outcome = FINAL_STATES.get(state);
  if (!outcome) return { kind: 'unknown', detail: `query_sm message_state ${statWord(state)}` };
  const err = resp.errorCode ? String(resp.errorCode).padStart(3, '0') : null;
  const mapped = receiptOutcome({ carrierId: resp.messageId, outcome, stat: statWord(state), err }, ctx.config.errors.receipt);
  return { kind: 'final', outcome: { status: mapped.status, error: mapped.error ?? null, errorDetail: mapped.detail ? `query_sm: ${mapped.detail}` : null, at } };
}

/** The id to name a part by in query_sm: as the SMSC wrote it when we have that, else rebuilt from its canonical form. */
function queryId(part: CarrierPartRecord, raw: string | null, format: IdFormat): string {
  if (raw !== null && normaliseId(raw, format) === part.carrierMessageId) return raw;
  return idAsWritten(part.carrierMessageId, format);
}

/** Ask the SMSC about each message's parts still awaiting a receipt; one view per message. */
export async function queryMessages(ctx: SmppContext, senders: () => SmppSession<unknown>[], messages: readonly CarrierQuery[]): Promise<CarrierView[]> {
  const { config, deps, counters } = ctx;
  if (senders().length === 0) throw new Error(`carrier ${config.id} has no bind up to send query_sm on`);
  const parts = await deps.store.carrierParts.listForMessages(messages.map((m) => m.messageId));
  const byMessage = new Map<string, CarrierPartRecord[]>();
  for (const p of parts) if (p.carrier === config.id) (byMessage.get(p.messageId) ?? byMessage.set(p.messageId, []).get(p.messageId)!).push(p);

  // One query per part without a receipt; a message with no part records (pruned) is asked about by its own id.
  type Ask = { readonly part: CarrierPartRecord | null; readonly id: string; readonly source: Address; answer?: PartAnswer };
  const asksOf = new Map<CarrierQuery, Ask[]>();
  for (const m of messages) {
    const own = byMessage.get(m.messageId) ?? [];
    const source = sourceAddress(m.from, config.source);
    const mine: Ask[] = own.length === 0 && m.carrierMessageId ? [{ part: null, id: m.carrierMessageId, source }] : [];
    for (const p of own) if (p.status === 'sent') mine.push({ part: p, id: queryId(p, m.carrierMessageId, config.idFormat.submit), source });
    asksOf.set(m, mine);
  }
  const asks = [...asksOf.values()].flat();
  let next = 0;
  // At most a window of queries in flight per bind.
  const lanes = Math.max(1, senders().length * config.window);
  await Promise.all(
    Array.from({ length: Math.min(lanes, asks.length) }, async () => {
      while (next < asks.length) {
        const ask = asks[next++]!;
        const session = senders()[0];
        counters.queries++;
        const resp = session ? await session.query(ask.id, ask.source) : ({ command: 'generic_nack', sequence: 0, status: STATUS.ESME_RINVBNDSTS } as const);
        ask.answer = answerOf(resp, ctx, deps.now());
        if (ask.answer.kind === 'unknown') counters.queries_failed++;
      }
    }),
  );

  // Final answers become the parts' outcomes, as a receipt's would.
  const finals: CarrierPartOutcome[] = [];
  for (const { part, answer } of asks) if (part && answer?.kind === 'final') finals.push({ carrierMessageId: part.carrierMessageId, messageId: part.messageId, partIndex: part.partIndex, ...answer.outcome });
  if (finals.length) await deps.store.transaction((tx) => tx.carrierParts.applyOutcomes(config.id, finals));

  return messages.map((m): CarrierView => {
    const mine = asksOf.get(m)!;
    const own = byMessage.get(m.messageId) ?? [];
    const merged = own.map((p) => {
      const a = mine.find((ask) => ask.part === p)?.answer;
      return a?.kind === 'final' ? { ...p, status: a.outcome.status, error: a.outcome.error, errorDetail: a.outcome.errorDetail } : p;
    });
    const alone = mine.find((ask) => ask.part === null)?.answer;
    const d = own.length ? decide(config.receiptPolicy, merged) : alone?.kind === 'final' ? decide(config.receiptPolicy, [{ partIndex: 1, partCount: 1, status: alone.outcome.status, error: alone.outcome.error, errorDetail: alone.outcome.errorDetail }]) : undefined;
    if (d) return d.status === 'delivered' ? { state: 'delivered' } : { state: 'undelivered', error: d.error ?? 'UNKNOWN_DELIVERY_ERROR', ...(d.detail ? { detail: d.detail } : {}) };
    if (mine.some((ask) => ask.answer?.kind === 'enroute')) return { state: 'enroute' };
    const why = mine.map((ask) => ask.answer).find((a): a is Extract<PartAnswer, { kind: 'unknown' }> => a?.kind === 'unknown');
    return { state: 'unknown', detail: why?.detail ?? (own.length ? 'no part left to ask about' : 'no record of its parts') };
  });
}

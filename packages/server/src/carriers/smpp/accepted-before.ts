/**
 * Retries the SMSC has already taken whole. A message's parts are recorded in `carrier_parts` as
 * the SMSC accepts them, before the engine records the message `sent` in a transaction of its own
 * (receipt-ledger.ts explains the order). A node that dies between the two — or a message given
 * back whose last answers came late, on a node that no longer remembers it — leaves the message
 * `initiated` with every part recorded, and its retry would send every part again: a second copy
 * on the handset. A retry (attempt 2 or more) whose every part is recorded is answered accepted
 * with the first part's id instead, and a final state the parts' receipts already decide is
 * reported with it. A message with only some parts recorded is sent again whole (a new part could
 * not join the old ones on the handset: its concatenation reference would differ); `partly` is told
 * how many it has (a message not to be sent again says so when it fails).
 */
import type { CarrierSubmission, StatusReport } from '../../domain/ports/carrier.js';
import type { CarrierPartRecord } from '../../domain/ports/store.js';
import type { SmppContext } from './context.js';
import { idAsWritten } from './message-ids.js';
import { encodeOutbound } from './text.js';

/** A retry answered from its parts' records. */
export interface AcceptedBefore {
  readonly carrierMessageId: string;
  readonly parts: number;
}

/**
 * The retries in `subs` whose every part this carrier accepted earlier, by message id; the final
 * states their receipts already decide go to `report` (held by the engine until the answer is
 * recorded). A lookup that fails finds none: the messages are sent again (at least once) — or,
 * with `failures: 'throw'` (messages that are not to be sent again: `takenBefore`), it throws.
 */
export async function acceptedBefore(
  ctx: SmppContext,
  subs: readonly CarrierSubmission[],
  reportsFor: (parts: readonly CarrierPartRecord[]) => StatusReport[],
  failures: 'send again' | 'throw' = 'send again',
  partly?: Map<string, { readonly taken: number; readonly parts: number }>,
): Promise<Map<string, AcceptedBefore>> {
  const { config, deps } = ctx;
  const found = new Map<string, AcceptedBefore>();
  if (subs.length === 0) return found;
  let records: CarrierPartRecord[];
  try {
    records = await deps.store.carrierParts.listForMessages(subs.map((s) => s.messageId));
  } catch (err) {
    if (failures === 'throw') throw err;
    deps.logger.warn({ err, carrier: config.id, messages: subs.length }, 'looking up the parts of retried SMPP messages failed; they are sent again');
    return found;
  }
  const byMessage = new Map<string, CarrierPartRecord[]>();
  for (const p of records) if (p.carrier === config.id) (byMessage.get(p.messageId) ?? byMessage.set(p.messageId, []).get(p.messageId)!).push(p);
  const decided: CarrierPartRecord[] = [];
  for (const s of subs) {
    const own = (byMessage.get(s.messageId) ?? []).filter((p) => p.projectId === s.projectId);
    if (own.length === 0) continue;
    let count: number;
    try {
      count = encodeOutbound(s.body, { gsmEncoding: config.gsmEncoding, split: config.split }, 0).length;
    } catch {
      continue;
    }
    const byIndex = new Map<number, CarrierPartRecord>();
    for (const p of own) if (p.partCount === count && !byIndex.has(p.partIndex)) byIndex.set(p.partIndex, p);
    if (byIndex.size !== count) {
      if (byIndex.size) partly?.set(s.messageId, { taken: byIndex.size, parts: count });
      continue;
    }
    found.set(s.messageId, { carrierMessageId: idAsWritten(byIndex.get(1)!.carrierMessageId, config.idFormat.submit), parts: count });
    decided.push(...own.filter((p) => p.partCount === count));
  }
  const reports = decided.length ? reportsFor(decided) : [];
  if (reports.length) ctx.sink()?.report(reports);
  return found;
}

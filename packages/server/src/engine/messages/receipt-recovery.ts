/**
 * Receipts a carrier still owes after a restart or a failover. Messages `sent` through a carrier
 * that can re-arm them (`Carrier.recover`) are handed back to it page by page: the simulator
 * schedules their receipts again; an SMPP connector re-reads its ledger.
 */
import type { MessageRecord } from '../../domain/message.js';
import type { Carrier } from '../../domain/ports/carrier.js';
import type { MessageRepository } from '../../domain/ports/store.js';

const PAGE = 1000;

/** Hand every message awaiting a receipt from `carrier` (that `only` keeps) back to it; returns how many. */
export async function recoverAwaitingReceipts(messages: MessageRepository, carrier: Carrier, only: (m: MessageRecord) => boolean = () => true): Promise<number> {
  if (!carrier.recover) return 0;
  let after = 0;
  let n = 0;
  for (;;) {
    const all = await messages.listAwaitingReceipt(carrier.descriptor.id, after, PAGE);
    if (all.length === 0) return n;
    const page = all.filter(only);
    n += page.length;
    carrier.recover(
      page.map((m) => ({ messageId: m.id, projectId: m.projectId, to: m.to, from: m.from, body: m.body, media: m.media, kind: m.kind, segments: m.segments, sentAt: m.sentAt ?? m.updatedAt })),
    );
    after = all[all.length - 1]!.seq;
  }
}

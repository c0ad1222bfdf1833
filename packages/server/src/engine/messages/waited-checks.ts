/**
 * What is checked again, before it is sent, of a message that waited after it was accepted: for its
 * send time (scheduled), for its sender's rate slot (sender-queues.ts; a queue can hold it for
 * hours), for another turn (a retry after a carrier asked for one, a lease that expired, a hand-off
 * between nodes), or for its first claim longer than `LATE_CLAIM_MS` (a backlog, or no node
 * dispatching for a while). Others were checked when they were accepted, a moment before.
 *
 * - Its `From` must still be one of its project's numbers: one released meanwhile may have been
 *   registered since by another project, and the message would go out from that project's number,
 *   its replies going there too (tenancy, docs/architecture.md). It fails with 21210.
 * - Its handset must not have replied STOP to it meanwhile: it fails with 21610. A STOP is honoured
 *   for every message not yet handed to the carrier, whatever it waited for; but the confirmation of
 *   a STOP or START is sent past the list, as when it was accepted (it goes to the handset that
 *   just opted out).
 *
 * A job claimed from the queue has its `From` checked even on its first claim, soon after its
 * accept (one statement per sender and claim): the release may have come in between. Its
 * handset's STOP is not (the accept's check stands for that minute), nor anything of a message
 * the dispatcher adopted as it was written.
 *
 * Neither fails a message an earlier attempt may have handed to its carrier: one claimed again
 * already `initiated` — its node died before the carrier's answer was written, or a carrier asked
 * for a retry. Its carrier says whether it has the message (`Carrier.takenBefore`, sending nothing):
 * if it does the message is recorded `sent`, as its answer would have been; if it never did (a
 * retry after a throttle) it fails as above. A carrier that cannot tell yet is asked again at the
 * retry; one without the lookup has it failed.
 */
import type { JobRecord } from '../../domain/jobs.js';
import type { MessageRecord } from '../../domain/message.js';
import type { Repositories } from '../../domain/ports/store.js';

/** Why a waited message is not sent after all. */
export type WaitedFailure = 'FROM_NOT_OWNED' | 'TO_OPTED_OUT';

/** Whether each project still holds each sender, looked up once per plan (a batch is mostly a few senders). */
export type SenderHolds = Map<string, boolean>;

/** A first claim this long (ms) after the job was written is a wait too; sooner, the accept's check stands. */
export const LATE_CLAIM_MS = 60_000;

/** Why `m` (with its job `job`) is not sent after all, or null when it may be (or did not wait: see above). */
export async function recheckWaited(reads: Pick<Repositories, 'numbers' | 'optOuts'>, m: MessageRecord, job: JobRecord, holds: SenderHolds, now: number, claimed = false): Promise<WaitedFailure | null> {
  const timed = m.status === 'scheduled' || job.slotAt != null;
  // A first claim (or adoption) counts 1: more is another turn.
  const waited = timed || job.attempts > 1 || now - job.createdAt >= LATE_CLAIM_MS;
  // A claimed job waited in the queue, however briefly (the clock may not even have moved): its
  // number may have been released meanwhile and be another project's. One adopted did not wait.
  if (!waited && !claimed) return null;
  const key = `${m.projectId} ${m.from}`;
  let held = holds.get(key);
  if (held === undefined) holds.set(key, (held = (await reads.numbers.getByNumber(m.projectId, m.from)) !== undefined));
  if (!held) return 'FROM_NOT_OWNED';
  if (waited && !isOptOutConfirmation(m) && (await reads.optOuts.blocks(m.projectId, m.to, m.from, m.numberGroupId))) return 'TO_OPTED_OUT';
  return null;
}

/** The reply to a STOP or START (`OptOutService.inbound` tags it), which the accept sends past the opt-out list (`optOutReply`). */
function isOptOutConfirmation(m: Pick<MessageRecord, 'origin' | 'tags'>): boolean {
  return m.origin === 'reply' && !!m.tags?.some((t) => t === 'opt-out:stop' || t === 'opt-out:start');
}

/** Whether an earlier attempt may have handed `m` to its carrier: claimed again, it was `initiated` already. */
export function mayBeHandedOver(m: Pick<MessageRecord, 'status'>, job: Pick<JobRecord, 'attempts'>): boolean {
  return m.status === 'initiated' && job.attempts > 1;
}

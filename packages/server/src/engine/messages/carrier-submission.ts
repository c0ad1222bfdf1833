/**
 * A dispatch job as its carrier sees it, the changes that record its handing over, and a carrier's
 * answer read defensively: one that throws or answers the wrong number of results fails its
 * messages transiently, not the process. Held-back messages are only looked up (`submitOrAsk`).
 */
import type { JobRecord } from '../../domain/jobs.js';
import type { MessageRecord } from '../../domain/message.js';
import type { Carrier, CarrierSubmission, PartlyTaken, SubmitResult } from '../../domain/ports/carrier.js';
import type { ChangeRequest } from './journal.js';
import type { WaitedFailure } from './waited-checks.js';

export function submission(job: JobRecord, m: MessageRecord): CarrierSubmission {
  return {
    messageId: m.id,
    projectId: m.projectId,
    from: m.from,
    to: m.to,
    body: m.body,
    media: m.media,
    kind: m.kind,
    encoding: m.encoding,
    segments: m.segments,
    attempt: job.attempts,
    expiresAt: m.expiresAt,
  };
}

/** A carrier that throws or answers the wrong number of results fails the batch transiently, not the process. */
export async function submitSafely(carrier: Carrier, batch: CarrierSubmission[]): Promise<SubmitResult[]> {
  try {
    const results = await carrier.submit(batch);
    if (results.length === batch.length) return results;
    return batch.map(() => ({ outcome: 'transient', detail: `carrier ${carrier.descriptor.id} answered ${results.length} results for ${batch.length} messages` }));
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    return batch.map(() => ({ outcome: 'transient', detail }));
  }
}

/**
 * `submitSafely` for a batch some of whose messages are held back (`heldBack[i]`, `Ready.heldBack`):
 * those are not sent, only looked up (`Carrier.takenBefore`), one the carrier never had answering
 * `rejected` with the reason it is held back, and one it took some parts of the same, saying how
 * many (its record must not read "nothing was sent"). A lookup that throws or answers the wrong number of
 * results answers them `transient` (asked again at their retry).
 */
export async function submitOrAsk(carrier: Carrier, batch: CarrierSubmission[], heldBack: ReadonlyArray<WaitedFailure | undefined>): Promise<SubmitResult[]> {
  const asked = batch.filter((_, i) => heldBack[i]);
  if (asked.length === 0) return submitSafely(carrier, batch);
  const sent = batch.filter((_, i) => !heldBack[i]);
  const [answers, found] = await Promise.all([sent.length ? submitSafely(carrier, sent) : [], lookUp(carrier, asked)]);
  let a = 0;
  let f = 0;
  return batch.map((_, i) => {
    const why = heldBack[i];
    if (!why) return answers[a++]!;
    const had = found[f++];
    if (!had) return { outcome: 'rejected', error: why };
    if (had.outcome !== 'partly taken') return had;
    return { outcome: 'rejected', error: why, detail: `but ${had.taken} of its ${had.parts} parts had reached the carrier before: the rest were not sent` };
  });
}

async function lookUp(carrier: Carrier, batch: CarrierSubmission[]): Promise<Array<SubmitResult | PartlyTaken | null>> {
  try {
    const found = carrier.takenBefore ? await carrier.takenBefore(batch) : batch.map(() => null);
    if (found.length === batch.length) return found;
    return batch.map(() => ({ outcome: 'transient', detail: `carrier ${carrier.descriptor.id} answered ${found.length} results for ${batch.length} messages` }));
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    return batch.map(() => ({ outcome: 'transient', detail }));
  }
}

/** The messages whose `sent` these outcomes record. */
export function sentIn(outcomes: readonly ChangeRequest[]): Set<string> {
  const ids = new Set<string>();
  for (const o of outcomes) if (o.to === 'sent') ids.add(o.messageId);
  return ids;
}

/** The change that marks a message handed to its carrier's submission. */
export function initiated(m: MessageRecord, job: JobRecord): ChangeRequest {
  return { projectId: m.projectId, messageId: m.id, to: 'initiated', detail: { attempt: job.attempts } };
}

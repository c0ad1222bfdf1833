/**
 * A dispatch job as its carrier sees it, the changes that record its handing over, and a carrier's
 * answer read defensively: one that throws or answers the wrong number of results fails its
 * messages transiently, not the process.
 */
import type { JobRecord } from '../../domain/jobs.js';
import type { MessageRecord } from '../../domain/message.js';
import type { Carrier, CarrierSubmission, SubmitResult } from '../../domain/ports/carrier.js';
import type { ChangeRequest } from './journal.js';

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

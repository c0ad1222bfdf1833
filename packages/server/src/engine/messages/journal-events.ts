/**
 * The event rows the journal writes: the one that opens a message's timeline, and the facts a state
 * change's request puts on its event.
 */
import { ERRORS, type MessageStatus } from '@switchboard/protocol';
import type { MessageRecord, NewMessageEvent } from '../../domain/message.js';
import type { ChangeRequest } from './journal.js';

/** The first of a message's requests in the batch that moves it to `status`. */
export function firstRequest(requests: ChangeRequest | ChangeRequest[] | undefined, status: MessageStatus): ChangeRequest | undefined {
  if (requests === undefined) return undefined;
  if (!Array.isArray(requests)) return requests.to === status ? requests : undefined;
  return requests.find((c) => c.to === status);
}

/** The event that opens a message's timeline: `queued` with its surface, or `received` with its carrier. */
export function firstEvent(m: MessageRecord): NewMessageEvent {
  const detail = m.status === 'received' ? { carrier: m.carrier } : { origin: m.origin };
  return { messageId: m.id, projectId: m.projectId, status: m.status, at: m.createdAt, errorCode: null, errorMessage: null, detail };
}

export function eventDetail(req: ChangeRequest | undefined): Record<string, unknown> | null {
  if (!req) return null;
  // The common case (detail facts only, no carrier fields or error) keeps the request's own object: it is not changed afterwards.
  if (req.carrier === undefined && req.carrierMessageId === undefined && !req.error) return req.detail && !isEmpty(req.detail) ? req.detail : null;
  // Built up from an empty literal (room for a few fields in the object itself), not a spread of the request's detail.
  const d: Record<string, unknown> = {};
  if (req.detail) for (const k of Object.keys(req.detail)) d[k] = req.detail[k];
  if (req.carrier !== undefined) d.carrier = req.carrier;
  if (req.carrierMessageId !== undefined) d.carrier_message_id = req.carrierMessageId;
  if (req.error) d.reason = ERRORS[req.error].native;
  return d;
}

function isEmpty(o: Record<string, unknown>): boolean {
  for (const _ in o) return false;
  return true;
}

/**
 * The one factory of new-message records: outbound messages a surface accepted and inbound messages
 * a handset sent are built here, each as one object literal of the 36 fields of a message row.
 */
import { DEFAULT_VALIDITY_PERIOD, type NewMessage } from './message.js';
import type { CheckedSend, SendInput } from './send-request.js';

/** What every new message has (and when it was accepted or received, ms); everything else starts empty. */
type Common = Pick<NewMessage, 'id' | 'projectId' | 'from' | 'to' | 'body' | 'media' | 'kind' | 'encoding' | 'segments'> & { readonly at: number };

/**
 * An outbound message as accepted from a surface, `queued` (or `scheduled`, with `sendAt`). What a request may leave out starts
 * empty (null, no tags) and `validityPeriod` at its default.
 */
export type OutboundFields = Common &
  Pick<NewMessage, 'origin'> &
  Partial<Pick<NewMessage, 'statusCallback' | 'callbackFormat' | 'customVariables' | 'context' | 'tags' | 'numberGroupId' | 'applicationId' | 'maxPrice' | 'validityPeriod' | 'cxmlSession' | 'relaySender'>> & {
    /** Send at this time (ms) instead of now: the message is born `scheduled`, its validity runs from then. */
    readonly sendAt?: number;
  };

/** An inbound message a carrier delivered to one of our numbers, `received`. */
export type InboundFields = Common &
  Pick<NewMessage, 'context' | 'carrierMessageId'> & {
    readonly carrier: string;
    /** What receiving it costs, from the price table's inbound rules (null when unpriced). */
    readonly price?: number | null;
    readonly priceUnit?: string;
  };

/** A new `queued` outbound message, written out as one object literal in the stored order (see `withSeq` in message.ts): every record has one shape. */
export function newOutboundMessage(f: OutboundFields): NewMessage {
  const validityPeriod = f.validityPeriod ?? DEFAULT_VALIDITY_PERIOD;
  const statusCallback = f.statusCallback ?? null;
  return {
    id: f.id,
    projectId: f.projectId,
    direction: 'outbound',
    origin: f.origin,
    from: f.from,
    to: f.to,
    body: f.body,
    media: [...f.media],
    kind: f.kind,
    encoding: f.encoding,
    segments: f.segments,
    status: f.sendAt !== undefined ? 'scheduled' : 'queued',
    errorCode: null,
    errorMessage: null,
    reason: null,
    statusCallback,
    callbackFormat: statusCallback ? (f.callbackFormat ?? null) : null,
    customVariables: f.customVariables ?? null,
    context: f.context ?? null,
    tags: f.tags ? [...f.tags] : [],
    numberGroupId: f.numberGroupId ?? null,
    applicationId: f.applicationId ?? null,
    price: null,
    priceUnit: 'USD',
    maxPrice: f.maxPrice ?? null,
    validityPeriod,
    expiresAt: (f.sendAt ?? f.at) + validityPeriod * 1000,
    carrier: null,
    carrierMessageId: null,
    createdAt: f.at,
    updatedAt: f.at,
    sentAt: null,
    redactedAt: null,
    deletedAt: null,
    cxmlSession: f.cxmlSession ?? null,
    relaySender: f.relaySender ?? null,
  };
}

/**
 * The outbound row for a checked send request: its accepted content, and from the request what
 * the checks leave as given (origin, context, tags, application, price cap).
 */
export function outboundFromRequest(
  input: SendInput,
  c: Omit<CheckedSend, 'to' | 'from'>,
  f: Pick<OutboundFields, 'id' | 'projectId' | 'from' | 'at' | 'sendAt' | 'numberGroupId'>,
): NewMessage {
  // Every send comes through here: fields named one by one, no spreads (a spread that later keys
  // overwrite made V8 build these objects the slow way, a few % of the server's CPU per message).
  return newOutboundMessage({
    id: f.id,
    projectId: f.projectId,
    from: f.from,
    at: f.at,
    sendAt: f.sendAt,
    numberGroupId: f.numberGroupId,
    origin: input.origin,
    to: input.to as string,
    body: c.body,
    media: c.media,
    kind: c.kind,
    encoding: c.encoding,
    segments: c.segments,
    statusCallback: c.statusCallback,
    callbackFormat: input.callbackFormat,
    customVariables: c.customVariables,
    context: input.context,
    tags: input.tags,
    applicationId: input.applicationId,
    maxPrice: input.maxPrice,
    validityPeriod: c.validityPeriod,
    cxmlSession: input.cxmlSession,
    relaySender: input.relaySender,
  });
}

/** A new `received` inbound message. */
export function newInboundMessage(f: InboundFields): NewMessage {
  return {
    id: f.id,
    projectId: f.projectId,
    direction: 'inbound',
    origin: 'inbound',
    from: f.from,
    to: f.to,
    body: f.body,
    media: [...f.media],
    kind: f.kind,
    encoding: f.encoding,
    segments: f.segments,
    status: 'received',
    errorCode: null,
    errorMessage: null,
    reason: null,
    statusCallback: null,
    callbackFormat: null,
    customVariables: null,
    context: f.context,
    tags: [],
    numberGroupId: null,
    applicationId: null,
    price: f.price ?? null,
    priceUnit: f.priceUnit ?? 'USD',
    maxPrice: null,
    validityPeriod: DEFAULT_VALIDITY_PERIOD,
    // An inbound message never waits to be sent: it "expires" when it arrives.
    expiresAt: f.at,
    carrier: f.carrier,
    carrierMessageId: f.carrierMessageId,
    createdAt: f.at,
    updatedAt: f.at,
    sentAt: null,
    redactedAt: null,
    deletedAt: null,
    cxmlSession: null,
    relaySender: null,
  };
}

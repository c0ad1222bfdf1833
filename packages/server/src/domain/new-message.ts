/**
 * The one factory of new-message records: outbound messages a surface accepted and inbound messages
 * a handset sent are built here, so the 35 fields of a message row are written out once.
 */
import type { Encoding, MessageKind, MessageOrigin } from '@switchboard/protocol';
import { DEFAULT_VALIDITY_PERIOD, type NewMessage } from './message.js';

/** What every new message has; everything else starts empty. */
interface Common {
  readonly id: string;
  readonly projectId: string;
  readonly from: string;
  readonly to: string;
  readonly body: string;
  readonly media: readonly string[];
  readonly kind: MessageKind;
  readonly encoding: Encoding;
  readonly segments: number;
  /** When it was accepted or received (ms). */
  readonly at: number;
}

/** An outbound message as accepted from a surface, `queued`. */
export interface OutboundFields extends Common {
  readonly origin: MessageOrigin;
  readonly statusCallback: string | null;
  readonly callbackFormat: NewMessage['callbackFormat'];
  readonly customVariables: NewMessage['customVariables'];
  readonly context: string | null;
  readonly tags: readonly string[];
  readonly numberGroupId: string | null;
  readonly applicationId: string | null;
  readonly maxPrice: string | null;
  /** Seconds it may wait to be sent. */
  readonly validityPeriod: number;
}

/** An inbound message a carrier delivered to one of our numbers, `received`. */
export interface InboundFields extends Common {
  /** The RELAY context its number hands inbound messages to, if any. */
  readonly context: string | null;
  readonly carrier: string;
  readonly carrierMessageId: string | null;
}

/** A new `queued` outbound message. */
export function newOutboundMessage(f: OutboundFields): NewMessage {
  return {
    ...blank(f),
    direction: 'outbound',
    origin: f.origin,
    status: 'queued',
    statusCallback: f.statusCallback,
    callbackFormat: f.statusCallback ? f.callbackFormat : null,
    customVariables: f.customVariables,
    context: f.context,
    tags: [...f.tags],
    numberGroupId: f.numberGroupId,
    applicationId: f.applicationId,
    maxPrice: f.maxPrice,
    validityPeriod: f.validityPeriod,
    expiresAt: f.at + f.validityPeriod * 1000,
  };
}

/** A new `received` inbound message. */
export function newInboundMessage(f: InboundFields): NewMessage {
  return {
    ...blank(f),
    direction: 'inbound',
    origin: 'inbound',
    status: 'received',
    context: f.context,
    carrier: f.carrier,
    carrierMessageId: f.carrierMessageId,
  };
}

function blank(f: Common): NewMessage {
  return {
    id: f.id,
    projectId: f.projectId,
    direction: 'outbound',
    origin: 'inbound',
    from: f.from,
    to: f.to,
    body: f.body,
    media: [...f.media],
    kind: f.kind,
    encoding: f.encoding,
    segments: f.segments,
    status: 'queued',
    errorCode: null,
    errorMessage: null,
    reason: null,
    statusCallback: null,
    callbackFormat: null,
    customVariables: null,
    context: null,
    tags: [],
    numberGroupId: null,
    applicationId: null,
    price: null,
    priceUnit: 'USD',
    maxPrice: null,
    validityPeriod: DEFAULT_VALIDITY_PERIOD,
    // An inbound message never waits to be sent: it "expires" when it arrives.
    expiresAt: f.at,
    carrier: null,
    carrierMessageId: null,
    createdAt: f.at,
    updatedAt: f.at,
    sentAt: null,
    redactedAt: null,
    deletedAt: null,
  };
}

/**
 * Surface-neutral rules for an outbound message request (spec rest-apis §A.1, §B.3, §C).
 *
 * Each surface maps its own parameter names onto `SendInput`; the checks here run in the order
 * the Compatibility API reports them (To → From → content → media → length → validity), so the
 * first problem is the one compat shows and the native API can list them all.
 */
import { MAX_BODY_LENGTH, planMessage, type ErrorDetail, type MessageKind, type MessageOrigin, type Encoding } from '@switchboard/protocol';
import { cleanText } from './clean-text.js';
import { detail } from './app-error.js';
import { clip, preview } from './preview.js';
import { validateCustomVariables } from './custom-variables.js';
import { DEFAULT_VALIDITY_PERIOD, MAX_MEDIA, MAX_VALIDITY_PERIOD, type CallbackFormat } from './message.js';
import { isValidDestination, isValidSender, plusAsSpaceHint } from './phone-numbers.js';
import { HTTP_URL_RULE, isPrivateHost, parseHttpUrl, UNTRIMMED_URL_PROBLEM, untrimmedUrl } from './urls.js';
import type { ScheduleWindow } from './schedule.js';

/** A send request as a surface received it, values not yet checked. */
export interface SendInput {
  readonly to: unknown;
  readonly from: unknown;
  readonly body: unknown;
  readonly media: unknown;
  readonly sendAsMms?: unknown;
  readonly statusCallback?: unknown;
  readonly callbackFormat: CallbackFormat;
  readonly customVariables?: unknown;
  readonly validityPeriod?: unknown;
  readonly origin: MessageOrigin;
  /** RELAY context for state events. */
  readonly context?: string | null;
  readonly tags?: readonly string[];
  /** Number group to pick the sender from (compat `MessagingServiceSid`), when no `from`. */
  readonly numberGroupId?: string | null;
  readonly applicationId?: string | null;
  readonly maxPrice?: string | null;
  /**
   * Replace GSM-7 look-alikes before segmenting (compat `SmartEncoded`, native `smart_encoded`):
   * true or false wins over the sender's setting; absent follows it. Checked by the surface.
   */
  readonly smartEncoded?: boolean;
  /** An opt-out confirmation reply (engine/messages/opt-outs.ts): sent even to a handset that opted out. */
  readonly optOutReply?: boolean;
  /** Send later: an ISO-8601 date-time (compat `SendAt` with `ScheduleType=fixed`, native `send_at`). */
  readonly sendAt?: unknown;
  /** A reply of a cXML document: the inbound message whose exchange it belongs to (`MessageRecord.cxmlSession`). */
  readonly cxmlSession?: string | null;
  /** A RELAY `messaging.send`: the sending session's protocol (`MessageRecord.relaySender`). */
  readonly relaySender?: string | null;
}

/** Options of the checks that depend on configuration. */
export interface SendRules {
  /** Refuse callback URLs on private networks (`url_is_unsafe`). */
  readonly refusePrivateCallbacks: boolean;
  /** How far ahead a send may be scheduled (default: Twilio's 300 s to 35 days). */
  readonly schedule?: ScheduleWindow;
}

/** The checked, normalised parts of a send request. */
export interface CheckedSend {
  readonly to: string;
  /** `null` only when a number group will choose the sender. */
  readonly from: string | null;
  readonly body: string;
  readonly media: string[];
  readonly kind: MessageKind;
  readonly encoding: Encoding;
  readonly segments: number;
  readonly statusCallback: string | null;
  readonly customVariables: Record<string, string> | null;
  readonly validityPeriod: number;
}

/** Errors about the destination (`to`). */
export function checkDestination(to: unknown): ErrorDetail[] {
  if (to === undefined || to === null || to === '') return [detail('TO_REQUIRED')];
  if (typeof to !== 'string' || !isValidDestination(to)) {
    return [detail('TO_INVALID', { message: `The 'To' number ${typeof to === 'string' ? clip(to) : preview(to)} is not a valid phone number (E.164: + followed by 5 to 17 digits).${plusAsSpaceHint(to)}` })];
  }
  return [];
}

/** Errors about the sender's syntax; ownership and capability need the store and are checked by the engine. */
export function checkSenderSyntax(from: unknown, hasNumberGroup: boolean): ErrorDetail[] {
  if (from === undefined || from === null || from === '') return hasNumberGroup ? [] : [detail('FROM_REQUIRED')];
  if (typeof from !== 'string' || !isValidSender(from)) {
    return [detail('FROM_INVALID', { message: `The 'From' number ${typeof from === 'string' ? clip(from) : preview(from)} is not a valid E.164 phone number or short code.${plusAsSpaceHint(from)}` })];
  }
  return [];
}

/** Check content, media, callback, custom variables and validity; returns the normalised values when clean. */
export function checkContent(input: SendInput, rules: SendRules): { errors: ErrorDetail[]; value?: Omit<CheckedSend, 'to' | 'from'> } {
  const errors: ErrorDetail[] = [];
  const body = input.body;
  if (body !== undefined && body !== null && typeof body !== 'string') errors.push(detail('BODY_INVALID'));
  // The surfaces' parsers clean text already; a cXML <Message> body comes from a receiver's document.
  const text = typeof body === 'string' ? cleanText(body) : '';

  let media: string[] = [];
  if (input.media !== undefined && input.media !== null) {
    if (!Array.isArray(input.media)) {
      errors.push(detail('MEDIA_URL_INVALID', { message: 'media must be an array of http or https URLs.' }));
    } else {
      media = input.media as string[];
    }
  }
  if (text.length === 0 && media.length === 0 && !errors.some((e) => e.key === 'BODY_INVALID')) errors.push(detail('BODY_OR_MEDIA_REQUIRED'));
  if (media.length > MAX_MEDIA) {
    errors.push(detail('MEDIA_LIMIT_EXCEEDED', { message: `Too many media URLs (${media.length}): the limit is currently ${MAX_MEDIA}.` }));
  } else {
    for (const url of media) {
      // A URL parser drops spaces and controls around a URL and tabs and line breaks inside it, so
      // " http://x/" would pass and be kept, and sent on, as given: refused, on every surface, as
      // Twilio refuses a MediaUrl that does not begin with http:// or https:// (21620).
      if (untrimmedUrl(url)) {
        errors.push(detail('MEDIA_URL_INVALID', { message: `Media URL ${preview(url)} ${UNTRIMMED_URL_PROBLEM}.` }));
        break;
      }
      if (!parseHttpUrl(url)) {
        errors.push(detail('MEDIA_URL_INVALID', { message: `Media URL ${preview(url)} is not ${HTTP_URL_RULE}.` }));
        break;
      }
    }
  }
  if (text.length > MAX_BODY_LENGTH) {
    errors.push(detail('BODY_TOO_LONG', { message: `The message body is ${text.length} characters long; the limit is ${MAX_BODY_LENGTH}.` }));
  }

  let sendAsMms = false;
  if (input.sendAsMms !== undefined && input.sendAsMms !== null) {
    if (typeof input.sendAsMms !== 'boolean') errors.push(detail('SEND_AS_MMS_INVALID'));
    else sendAsMms = input.sendAsMms;
  }

  let statusCallback: string | null = null;
  if (input.statusCallback !== undefined && input.statusCallback !== null && input.statusCallback !== '') {
    const url = parseHttpUrl(input.statusCallback);
    if (untrimmedUrl(input.statusCallback)) {
      // As for media URLs: refused, not trimmed (urls.ts).
      errors.push(detail('STATUS_CALLBACK_INVALID', { message: `The status callback ${preview(input.statusCallback)} ${UNTRIMMED_URL_PROBLEM}.` }));
    } else if (!url) {
      errors.push(detail('STATUS_CALLBACK_INVALID'));
    } else if (rules.refusePrivateCallbacks && isPrivateHost(url)) {
      errors.push(detail('URL_UNSAFE'));
    } else {
      statusCallback = input.statusCallback as string;
    }
  }

  const custom = validateCustomVariables(input.customVariables);
  errors.push(...custom.errors);

  let validityPeriod = DEFAULT_VALIDITY_PERIOD;
  if (input.validityPeriod !== undefined && input.validityPeriod !== null && input.validityPeriod !== '') {
    const v = typeof input.validityPeriod === 'string' && /^\d+$/.test(input.validityPeriod) ? Number(input.validityPeriod) : input.validityPeriod;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_VALIDITY_PERIOD) {
      errors.push(detail('VALIDITY_PERIOD_INVALID'));
    } else {
      validityPeriod = v;
    }
  }

  if (errors.length) return { errors };
  const plan = planMessage({ body: text, mediaCount: media.length, sendAsMms });
  return {
    errors,
    value: {
      body: text,
      media,
      kind: plan.kind,
      encoding: plan.encoding,
      segments: plan.segments,
      statusCallback,
      customVariables: custom.value,
      validityPeriod,
    },
  };
}

/**
 * Form-encoded parameter sets of the Compatibility API's webhooks (rest-apis §B.7, §B.8): what a
 * status callback, an inbound-message request and a `<Message action>` request carry.
 */
import { COMPAT_API_VERSION, toCompatStatus, type CompatInboundParams, type CompatStatusCallbackParams, type MessageStatus } from '@switchboard/protocol';
import type { MessageRecord } from '../domain/message.js';
import { contentTypeOfUrl } from '../domain/media.js';
import { keywordAction } from '../engine/messages/opt-outs.js';

/** Characters the form encoding escapes (all but ASCII letters, digits and `*-._`). */
const FORM_ESCAPED = /[^A-Za-z0-9*\-._]/;
/** What `encodeURIComponent` leaves that the form encoding escapes, and its escaped space. */
const URI_NOT_FORM = /[!'()~]|%20/g;

/**
 * One name or value as `application/x-www-form-urlencoded` writes it (WHATWG URL, as
 * `URLSearchParams` does): UTF-8 percent-escapes in upper case, a space as `+`. Written with
 * `encodeURIComponent` (native) and a fix-up, as one callback body is a dozen of these.
 */
function formComponent(s: string): string {
  if (!FORM_ESCAPED.test(s)) return s;
  return encodeURIComponent(s).replace(URI_NOT_FORM, (c) => (c === '%20' ? '+' : `%${c.charCodeAt(0).toString(16).toUpperCase()}`));
}

/** Encode parameters as a form body (names are unique, so the signature is unambiguous). */
export function formBody(params: Readonly<Record<string, string | undefined>>): string {
  let out = '';
  try {
    for (const k in params) {
      const v = params[k];
      if (v !== undefined) out += `${out ? '&' : ''}${formComponent(k)}=${formComponent(v)}`;
    }
    return out;
  } catch {
    // A lone surrogate (encodeURIComponent refuses it; the form encoding writes U+FFFD).
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined) form.append(k, v);
    return form.toString();
  }
}

/**
 * Twilio's `RawDlrDoneDate`: `YYMMDDhhmm`, minute precision, no time zone. Twilio passes the
 * carrier receipt's done date through; ours is the minute the outcome was recorded, in UTC.
 */
export function rawDlrDoneDate(at: number): string {
  // One text per minute, and receipts come in bursts within one: the last is kept.
  const minute = Math.floor(at / 60_000);
  if (minute !== lastDoneMinute) {
    lastDoneMinute = minute;
    lastDoneDate = new Date(minute * 60_000).toISOString().replace(/^\d\d(\d\d)-(\d\d)-(\d\d)T(\d\d):(\d\d).*$/, '$1$2$3$4$5');
  }
  return lastDoneDate;
}
let lastDoneMinute = NaN;
let lastDoneDate = '';

/** The fields of a status callback for a message entering `status` at `at`. */
export function statusCallbackParams(m: MessageRecord, status: MessageStatus, errorCode: string | null, at: number): CompatStatusCallbackParams {
  const compat = toCompatStatus(status);
  return {
    MessageSid: m.id,
    SmsSid: m.id,
    MessageStatus: compat,
    SmsStatus: compat,
    AccountSid: m.projectId,
    From: m.from,
    To: m.to,
    Body: m.body,
    NumMedia: String(m.media.length),
    NumSegments: String(m.segments),
    ApiVersion: COMPAT_API_VERSION,
    ...((status === 'failed' || status === 'undelivered') && errorCode ? { ErrorCode: errorCode } : {}),
    // Only the outcomes a receipt reports (Twilio: "Delivered and Undelivered status webhooks").
    ...(status === 'delivered' || status === 'undelivered' ? { RawDlrDoneDate: rawDlrDoneDate(at) } : {}),
    ...(m.numberGroupId ? { MessagingServiceSid: m.numberGroupId } : {}),
  };
}

/**
 * Twilio's `OptOutType` of an inbound message that is one keyword (STOP, START, HELP): the keywords
 * are always applied here as Twilio's Advanced Opt-Out applies them, which adds it to the webhook.
 */
function optOutType(m: MessageRecord): CompatInboundParams['OptOutType'] {
  const keyword = m.direction === 'inbound' ? keywordAction(m.body) : undefined;
  return keyword ? (keyword.action.toUpperCase() as 'STOP' | 'START' | 'HELP') : undefined;
}

/** The fields of an inbound-message webhook. */
export function inboundParams(m: MessageRecord): CompatInboundParams {
  const keyword = optOutType(m);
  const params: CompatInboundParams = {
    MessageSid: m.id,
    SmsSid: m.id,
    SmsMessageSid: m.id,
    AccountSid: m.projectId,
    From: m.from,
    To: m.to,
    Body: m.body,
    NumMedia: String(m.media.length),
    NumSegments: String(m.segments),
    SmsStatus: 'received',
    ApiVersion: COMPAT_API_VERSION,
    ...(m.numberGroupId ? { MessagingServiceSid: m.numberGroupId } : {}),
    ...(keyword ? { OptOutType: keyword } : {}),
  };
  m.media.forEach((url, i) => {
    params[`MediaUrl${i}`] = url;
    params[`MediaContentType${i}`] = contentTypeOfUrl(url);
  });
  return params;
}

/**
 * Incoming phone numbers (`/Accounts/{AccountSid}/IncomingPhoneNumbers`, rest-apis §B.11),
 * messaging fields: the Twilio-shaped way to point a number's inbound messages at a cXML URL
 * (`SmsUrl`, …) or application (`SmsApplicationSid`). They are the native number settings
 * (`message_request_url`, `message_handler`, …) under their compat names. "Buying" a number is
 * registering it (there is no carrier inventory); releasing it deletes it. Needs the `numbers` scope.
 */
import { COMPAT_API_VERSION, type CompatIncomingPhoneNumber, type CompatIncomingPhoneNumberPage, type ErrorKey } from '@switchboard/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/app-error.js';
import { checkNumberPatch } from '../../domain/number-rules.js';
import { classifyNumber } from '../../domain/phone-numbers.js';
import { preview } from '../../domain/preview.js';
import type { PhoneNumberRecord } from '../../domain/project.js';
import { principalOf } from '../auth.js';
import type { CompatDeps } from './deps.js';
import { resourceNotFound } from './error-format.js';
import { numberFragmentParam, singleParam } from '../query-params.js';
import { boundedList } from '../list-slots.js';
import { boolParam, checkApiVersion, paramsOf, refuseRepeated, sidOf } from './params.js';
import { compatPage, compatSeqPage, filterParams, parseCompatPage } from './paging.js';
import { accountUri, rfc2822 } from './presenters.js';
import { createIncomingNumberSchema, fetchIncomingNumberSchema, listIncomingNumbersSchema, releaseIncomingNumberSchema, updateIncomingNumberSchema } from './schemas.js';

type Params = { AccountSid: string; Sid: string };

export function toIncomingPhoneNumber(n: PhoneNumberRecord): CompatIncomingPhoneNumber {
  return {
    sid: n.id,
    account_sid: n.projectId,
    api_version: COMPAT_API_VERSION,
    friendly_name: n.name ?? n.number,
    phone_number: n.number,
    capabilities: { voice: n.capabilities.includes('voice'), sms: n.capabilities.includes('sms'), mms: n.capabilities.includes('mms'), fax: n.capabilities.includes('fax') },
    sms_url: n.messageRequestUrl,
    sms_method: n.messageRequestMethod,
    sms_fallback_url: n.messageFallbackUrl,
    sms_fallback_method: n.messageFallbackMethod,
    sms_application_sid: n.messageLamlApplicationId,
    date_created: rfc2822(n.createdAt),
    date_updated: rfc2822(n.updatedAt),
    uri: `${accountUri(n.projectId)}/IncomingPhoneNumbers/${n.id}.json`,
    // Twilio's other fields, with what is true here (docs/api/compat.md): the operator's own number,
    // registered not bought ("hosted"), in use until released, with no voice or regulatory setup.
    origin: 'hosted',
    status: 'in-use',
    beta: false,
    type: NUMBER_TYPES[n.numberType],
    address_requirements: 'none',
    address_sid: null,
    identity_sid: null,
    bundle_sid: null,
    trunk_sid: null,
    emergency_status: 'Inactive',
    emergency_address_sid: null,
    emergency_address_status: 'unregistered',
    voice_url: null,
    voice_method: null,
    voice_fallback_url: null,
    voice_fallback_method: null,
    voice_application_sid: null,
    voice_caller_id_lookup: false,
    voice_receive_mode: null,
    status_callback: null,
    status_callback_method: null,
  };
}

/** A number's type as the resource names it: Twilio's subresources `/Local` and `/TollFree`. */
const NUMBER_TYPES: Record<PhoneNumberRecord['numberType'], CompatIncomingPhoneNumber['type']> = { longcode: 'local', 'toll-free': 'toll-free', shortcode: 'short-code' };

/** The compat parameter behind each native field the number rules may complain about. */
const COMPAT_NAMES: Record<string, string> = {
  name: 'FriendlyName',
  message_request_url: 'SmsUrl',
  message_request_method: 'SmsMethod',
  message_fallback_url: 'SmsFallbackUrl',
  message_fallback_method: 'SmsFallbackMethod',
  message_laml_application_id: 'SmsApplicationSid',
};

export const compatName = (wire: string): string => COMPAT_NAMES[wire] ?? wire;

/** The error of an invalid value of each parameter a number's create or update reads (a repeated one is refused with it). */
export const NUMBER_PARAM_ERRORS: Readonly<Record<string, ErrorKey>> = {
  PhoneNumber: 'NUMBER_INVALID',
  FriendlyName: 'NUMBER_FIELD_INVALID',
  SmsUrl: 'WEBHOOK_URL_INVALID',
  SmsMethod: 'NUMBER_FIELD_INVALID',
  SmsFallbackUrl: 'WEBHOOK_URL_INVALID',
  SmsFallbackMethod: 'NUMBER_FIELD_INVALID',
  SmsApplicationSid: 'NUMBER_APPLICATION_INVALID',
  ApiVersion: 'INVALID_PARAMETER',
};

/**
 * Compat parameters as a native number update (the handler follows what was set). Checked here
 * with the compat names in the messages (a Twilio client sent `SmsUrl`, not `message_request_url`);
 * the number service checks again.
 */
export function nativeBody(p: Record<string, unknown>, current: PhoneNumberRecord | null): Record<string, unknown> {
  const body = nativeFields(p, current);
  const { errors } = checkNumberPatch(body, compatName);
  if (errors.length) throw new AppError(errors);
  return body;
}

/** The mapping itself, unchecked. */
function nativeFields(p: Record<string, unknown>, current: PhoneNumberRecord | null): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (p.FriendlyName !== undefined) body.name = p.FriendlyName;
  if (p.SmsMethod !== undefined) body.message_request_method = p.SmsMethod;
  if (p.SmsFallbackUrl !== undefined) body.message_fallback_url = p.SmsFallbackUrl;
  if (p.SmsFallbackMethod !== undefined) body.message_fallback_method = p.SmsFallbackMethod;
  if (p.SmsUrl !== undefined) {
    body.message_request_url = p.SmsUrl;
    if (p.SmsUrl !== '' && p.SmsApplicationSid === undefined) body.message_handler = 'laml_webhooks';
    else if (p.SmsUrl === '' && current?.messageHandler === 'laml_webhooks') body.message_handler = null;
  }
  if (p.SmsApplicationSid !== undefined) {
    // As given: the number service finds the application in any case and stores its own sid, and
    // an unknown one is named in the error as the client wrote it.
    body.message_laml_application_id = p.SmsApplicationSid;
    if (p.SmsApplicationSid !== '') body.message_handler = 'laml_application';
    else if (current?.messageHandler === 'laml_application') body.message_handler = null;
  }
  return body;
}

/**
 * Twilio's update moves a number to the account its `AccountSid` parameter names (a subaccount or
 * the parent). A project has no related accounts: naming the project itself changes nothing, any
 * other account is refused (Twilio's 21473) rather than answered 200 with the number kept here.
 */
function checkStaysInProject(p: Record<string, unknown>, projectId: string): void {
  const to = p.AccountSid;
  if (to === undefined || (typeof to === 'string' && to.toLowerCase() === projectId.toLowerCase())) return;
  throw AppError.of('NUMBER_TRANSFER_UNRELATED', { attribute: 'AccountSid', message: `AccountSid ${preview(to)} is not this project, and a number cannot move to another account here.` });
}

/** The origins of Twilio's own numbers (`twilio`) and SignalWire's (`signalwire`): no number here has one. */
const OTHER_ORIGINS = new Set(['twilio', 'signalwire']);

/**
 * Whether the list's `Origin` and `Beta` filters (twilio's IncomingPhoneNumberListInstanceOptions)
 * leave no number. Every number here is `hosted` and none is new to the platform: `Origin=hosted`
 * keeps them all, Twilio's and SignalWire's own origins none; `Beta` ("whether to include phone
 * numbers new to the platform", default true) hides none, true or false. Another value is refused,
 * as a misspelt filter is, rather than answering every number.
 */
function originLeavesNone(query: Record<string, unknown>): boolean {
  const beta = singleParam(query, 'Beta');
  if (beta !== undefined && typeof boolParam(beta) !== 'boolean') {
    throw AppError.of('FILTER_INVALID', { attribute: 'Beta', message: `Beta ${preview(beta)} must be true or false.` });
  }
  const origin = singleParam(query, 'Origin');
  if (origin === undefined || origin === 'hosted') return false;
  if (OTHER_ORIGINS.has(origin)) return true;
  throw AppError.of('FILTER_INVALID', { attribute: 'Origin', message: `Origin ${preview(origin)} is not an origin: hosted (every number here), or twilio or signalwire (the providers' own numbers, none here).` });
}

export async function incomingNumberRoutes(app: FastifyInstance, deps: CompatDeps): Promise<void> {
  const { reads, numbers } = deps;
  const owned = async (request: FastifyRequest<{ Params: Params }>, projectId: string) => {
    const n = await reads.numbers.get(projectId, sidOf(request.params.Sid).toLowerCase());
    if (!n) throw resourceNotFound(request.url);
    return n;
  };
  /** As `owned`, for the reads and updates: a short code is Twilio's ShortCode resource (`SMS/ShortCodes`), not found here. */
  const ownedPhoneNumber = async (request: FastifyRequest<{ Params: Params }>, projectId: string) => {
    const n = await owned(request, projectId);
    if (n.numberType === 'shortcode') throw resourceNotFound(request.url);
    return n;
  };
  // The list and create, and Twilio's subresources of one number type: `Local` (long codes) and
  // `TollFree` (twilio's `incomingPhoneNumbers.local.list()`, `.tollFree.create({ phoneNumber })`).
  for (const [sub, type] of [['', undefined], ['/Local', 'longcode'], ['/TollFree', 'toll-free']] as const) {
    for (const path of [`/Accounts/:AccountSid/IncomingPhoneNumbers${sub}`, `/Accounts/:AccountSid/IncomingPhoneNumbers${sub}.json`]) {
      app.get(path, { schema: listIncomingNumbersSchema }, boundedList(async (request): Promise<CompatIncomingPhoneNumberPage> => {
        const { projectId } = principalOf(request);
        const query = request.query as Record<string, unknown>;
        const page = parseCompatPage(query, ['PhoneNumber', 'FriendlyName', 'Beta', 'Origin']);
        const none = originLeavesNone(query);
        const list = await reads.pageTokens.list(projectId, `phone_numbers${sub}`, (s) => reads.numbers.seqOf(projectId, s));
        const seqPage = await compatSeqPage(page, 'newest-first', list);
        const number = numberFragmentParam(query, 'PhoneNumber')?.slice(0, 64);
        // Matched whole: cut past the longest name (255), so a longer value still matches none.
        const name = singleParam(query, 'FriendlyName')?.slice(0, 256);
        const rows = none ? [] : await reads.numbers.list(projectId, { ...(number ? { numberPattern: number } : {}), ...(name ? { friendlyName: name } : {}), ...(type ? { numberType: type } : { notNumberType: 'shortcode' }) }, seqPage);
        const { items, meta } = compatPage(rows, page, `${accountUri(projectId)}/IncomingPhoneNumbers${sub}.json`, filterParams(query), list);
        return { ...meta, incoming_phone_numbers: items.map(toIncomingPhoneNumber) };
      }));
      app.post(path, { schema: createIncomingNumberSchema }, async (request, reply) => {
        const { projectId } = principalOf(request);
        const p = paramsOf(request.body);
        refuseRepeated(request.body, NUMBER_PARAM_ERRORS);
        checkApiVersion(p);
        if (p.PhoneNumber === undefined || p.PhoneNumber === '') throw AppError.of('NUMBER_INVALID', { attribute: 'PhoneNumber', message: 'PhoneNumber is required: the number to register, in E.164.' });
        const kind = typeof p.PhoneNumber === 'string' ? classifyNumber(p.PhoneNumber.trim()) : undefined;
        if (type && kind && kind.type !== type) {
          throw AppError.of('NUMBER_INVALID', { attribute: 'PhoneNumber', message: `PhoneNumber ${preview(p.PhoneNumber)} is not a ${sub === '/Local' ? 'local' : 'toll-free'} number; register it with IncomingPhoneNumbers${kind.type === 'toll-free' ? '/TollFree' : kind.type === 'longcode' ? '/Local' : ''}.` });
        }
        const n = await numbers.register(projectId, { number: p.PhoneNumber, ...nativeBody(p, null) }, compatName);
        return reply.code(201).send(toIncomingPhoneNumber(n));
      });
    }
  }

  app.get<{ Params: Params }>('/Accounts/:AccountSid/IncomingPhoneNumbers/:Sid', { schema: fetchIncomingNumberSchema }, async (request) => {
    const { projectId } = principalOf(request);
    return toIncomingPhoneNumber(await ownedPhoneNumber(request, projectId));
  });

  app.post<{ Params: Params }>('/Accounts/:AccountSid/IncomingPhoneNumbers/:Sid', { schema: updateIncomingNumberSchema }, async (request) => {
    const { projectId } = principalOf(request);
    const current = await ownedPhoneNumber(request, projectId);
    const p = paramsOf(request.body);
    refuseRepeated(request.body, { ...NUMBER_PARAM_ERRORS, AccountSid: 'NUMBER_TRANSFER_UNRELATED' });
    checkApiVersion(p);
    checkStaysInProject(p, projectId);
    // The number service checks SmsApplicationSid: one of the project's applications, or 22108.
    const updated = await numbers.update(projectId, current.id, nativeBody(p, current), compatName);
    if (!updated) throw resourceNotFound(request.url);
    return toIncomingPhoneNumber(updated);
  });

  app.delete<{ Params: Params }>('/Accounts/:AccountSid/IncomingPhoneNumbers/:Sid', { schema: releaseIncomingNumberSchema }, async (request, reply) => {
    const { projectId } = principalOf(request);
    const current = await owned(request, projectId);
    await numbers.release(projectId, current.id);
    return reply.code(204).send();
  });
}

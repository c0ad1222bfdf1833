/**
 * Short codes (`/Accounts/{AccountSid}/SMS/ShortCodes`), Twilio's ShortCode resource
 * (twilio.com/docs/messaging/api/short-code-resource; `client.shortCodes` in twilio-node and
 * @signalwire/compatibility-api): list, fetch, and update their messaging URLs. A short code is
 * registered as any number is and is the same record (its sid is the number's id); these routes
 * show the numbers whose type is `shortcode`, another number's sid is not found here. Needs the
 * `numbers` scope, as IncomingPhoneNumbers does.
 */
import { COMPAT_API_VERSION, type CompatShortCode, type CompatShortCodePage } from '@switchboard/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/app-error.js';
import { preview } from '../../domain/preview.js';
import type { PhoneNumberRecord } from '../../domain/project.js';
import { principalOf } from '../auth.js';
import { boundedList } from '../list-slots.js';
import { singleParam } from '../query-params.js';
import type { CompatDeps } from './deps.js';
import { resourceNotFound } from './error-format.js';
import { compatName, nativeBody, NUMBER_PARAM_ERRORS } from './incoming-number-routes.js';
import { checkApiVersion, paramsOf, refuseRepeated, sidOf } from './params.js';
import { compatPage, compatSeqPage, filterParams, parseCompatPage } from './paging.js';
import { accountUri, rfc2822 } from './presenters.js';
import { fetchShortCodeSchema, listShortCodesSchema, updateShortCodeSchema } from './schemas.js';

type Params = { AccountSid: string; Sid: string };

/**
 * The `ShortCode` filter, refused when a space comes before its first digit: almost always a `+`
 * written as is, which a query string reads as a space. No short code holds either, so it matched
 * nothing and the list answered empty with no word why (`PhoneNumber` gets the same check).
 */
function shortCodeParam(query: Record<string, unknown>): string | undefined {
  const value = singleParam(query, 'ShortCode');
  if (value !== undefined && /^ \d/.test(value)) {
    throw AppError.of('FILTER_INVALID', { attribute: 'ShortCode', message: `ShortCode ${preview(value)} matches no short code: a "+" in a URL's query string reads as a space, and a short code has neither (ShortCode=${value.slice(1, 33)}).` });
  }
  return value?.slice(0, 64);
}

export function toShortCode(n: PhoneNumberRecord): CompatShortCode {
  return {
    sid: n.id,
    account_sid: n.projectId,
    api_version: COMPAT_API_VERSION,
    friendly_name: n.name ?? n.number,
    short_code: n.number,
    sms_url: n.messageRequestUrl,
    sms_method: n.messageRequestMethod,
    sms_fallback_url: n.messageFallbackUrl,
    sms_fallback_method: n.messageFallbackMethod,
    date_created: rfc2822(n.createdAt),
    date_updated: rfc2822(n.updatedAt),
    uri: `${accountUri(n.projectId)}/SMS/ShortCodes/${n.id}.json`,
  };
}

/** The parameters Twilio's update takes; the others (SmsApplicationSid…) are IncomingPhoneNumbers'. */
const UPDATABLE = ['FriendlyName', 'SmsUrl', 'SmsMethod', 'SmsFallbackUrl', 'SmsFallbackMethod'] as const;
/** The error each parameter an update reads is refused with when given twice (as on numbers). */
const SHORT_CODE_PARAM_ERRORS = Object.fromEntries([...UPDATABLE, 'ApiVersion'].map((k) => [k, NUMBER_PARAM_ERRORS[k]!]));

export async function shortCodeRoutes(app: FastifyInstance, deps: CompatDeps): Promise<void> {
  const { reads, numbers } = deps;
  const owned = async (request: FastifyRequest<{ Params: Params }>, projectId: string) => {
    const n = await reads.numbers.get(projectId, sidOf(request.params.Sid).toLowerCase());
    if (!n || n.numberType !== 'shortcode') throw resourceNotFound(request.url);
    return n;
  };

  const list = boundedList(async (request): Promise<CompatShortCodePage> => {
    const { projectId } = principalOf(request);
    const query = request.query as Record<string, unknown>;
    const page = parseCompatPage(query, ['ShortCode', 'FriendlyName']);
    const code = shortCodeParam(query);
    const tokens = await reads.pageTokens.list(projectId, 'short_codes', (s) => reads.numbers.seqOf(projectId, s));
    const seqPage = await compatSeqPage(page, 'newest-first', tokens);
    // Matched whole: cut past the longest name (255), so a longer value still matches none.
    const name = singleParam(query, 'FriendlyName')?.slice(0, 256);
    const rows = await reads.numbers.list(projectId, { numberType: 'shortcode', ...(code ? { numberPattern: code } : {}), ...(name ? { friendlyName: name } : {}) }, seqPage);
    const { items, meta } = compatPage(rows, page, `${accountUri(projectId)}/SMS/ShortCodes.json`, filterParams(query), tokens);
    return { ...meta, short_codes: items.map(toShortCode) };
  });
  for (const path of ['/Accounts/:AccountSid/SMS/ShortCodes', '/Accounts/:AccountSid/SMS/ShortCodes.json']) app.get(path, { schema: listShortCodesSchema }, list);

  app.get<{ Params: Params }>('/Accounts/:AccountSid/SMS/ShortCodes/:Sid', { schema: fetchShortCodeSchema }, async (request) => {
    const { projectId } = principalOf(request);
    return toShortCode(await owned(request, projectId));
  });

  app.post<{ Params: Params }>('/Accounts/:AccountSid/SMS/ShortCodes/:Sid', { schema: updateShortCodeSchema }, async (request) => {
    const { projectId } = principalOf(request);
    const current = await owned(request, projectId);
    const p = paramsOf(request.body);
    refuseRepeated(request.body, SHORT_CODE_PARAM_ERRORS);
    checkApiVersion(p);
    const given = Object.fromEntries(UPDATABLE.filter((k) => p[k] !== undefined).map((k) => [k, p[k]]));
    const updated = await numbers.update(projectId, current.id, nativeBody(given, current), compatName);
    if (!updated) throw resourceNotFound(request.url);
    return toShortCode(updated);
  });
}

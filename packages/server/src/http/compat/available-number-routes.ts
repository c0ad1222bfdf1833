/**
 * AvailablePhoneNumbers (numbers to buy), answered as the native search is: there is no carrier
 * inventory — the numbers a project has are registered with `POST /IncomingPhoneNumbers` — so every
 * search answers an empty list. It answers at all because the first step of buying a number with
 * either official client is a search (Twilio's `availablePhoneNumbers('US').local.list({ areaCode })`,
 * SignalWire's "Search for available phone numbers"), and a 404 there ends a ported program before
 * it reaches the create. The search parameters both providers document are accepted and not
 * applied; any other is refused as on the other lists. An `AreaCode` that is not three digits is
 * refused as Twilio refuses it (21451), so a typo does not read as "no numbers left there". Needs
 * the `numbers` scope.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { principalOf } from '../auth.js';
import { AppError } from '../../domain/app-error.js';
import { resourceNotFound } from './error-format.js';
import { sidOf } from './params.js';
import { filterParams, parseCompatPage } from './paging.js';
import { accountUri } from './presenters.js';
import { listAvailableCountriesSchema, searchAvailableNumbersSchema } from './schemas.js';

/** The number types of Twilio's AvailablePhoneNumbers subresources (SignalWire documents Local and TollFree). */
const TYPES = new Set(['Local', 'TollFree', 'Mobile', 'National', 'Voip', 'SharedCost', 'MachineToMachine']);

/** The search parameters of Twilio's and SignalWire's AvailablePhoneNumbers lists. */
const SEARCH_PARAMS = [
  'AreaCode', 'Contains', 'SmsEnabled', 'MmsEnabled', 'VoiceEnabled', 'FaxEnabled', 'Beta',
  'ExcludeAllAddressRequired', 'ExcludeLocalAddressRequired', 'ExcludeForeignAddressRequired',
  'NearNumber', 'NearLatLong', 'Distance', 'InPostalCode', 'InRegion', 'InRateCenter', 'InLata', 'InLocality',
];

type SearchParams = { AccountSid: string; CountryCode: string; Type: string };

/** An empty page of `key`, with the paging keys every Compatibility API list has. */
function emptyPage(request: FastifyRequest, path: string, key: string, filters: readonly string[]): Record<string, unknown> {
  const query = request.query as Record<string, unknown>;
  const page = parseCompatPage(query, filters);
  const uri = (n: number) => {
    const q = filterParams(query);
    q.set('Page', String(n));
    q.set('PageSize', String(page.size));
    return `${path}?${q.toString()}`;
  };
  const start = page.page * page.size;
  return { uri: uri(page.page), first_page_uri: uri(0), next_page_uri: null, previous_page_uri: null, page: page.page, page_size: page.size, start, end: start, [key]: [] };
}

export async function availableNumberRoutes(app: FastifyInstance): Promise<void> {
  for (const path of ['/Accounts/:AccountSid/AvailablePhoneNumbers', '/Accounts/:AccountSid/AvailablePhoneNumbers.json']) {
    app.get(path, { schema: listAvailableCountriesSchema }, async (request) => {
      const { projectId } = principalOf(request);
      return emptyPage(request, `${accountUri(projectId)}/AvailablePhoneNumbers.json`, 'countries', []);
    });
  }
  app.get<{ Params: SearchParams }>('/Accounts/:AccountSid/AvailablePhoneNumbers/:CountryCode/:Type', { schema: searchAvailableNumbersSchema }, async (request) => {
    const { projectId } = principalOf(request);
    const type = sidOf(request.params.Type);
    const country = request.params.CountryCode.toUpperCase();
    if (!TYPES.has(type) || !/^[A-Z]{2}$/.test(country)) throw resourceNotFound(request.url);
    const areaCode = (request.query as Record<string, unknown>).AreaCode;
    if (areaCode !== undefined && !(typeof areaCode === 'string' && /^[0-9]{3}$/.test(areaCode))) {
      throw AppError.of('AREA_CODE_INVALID', { message: `AreaCode ${JSON.stringify(areaCode)} is not a valid area code: give three digits, such as 510.` });
    }
    return emptyPage(request, `${accountUri(projectId)}/AvailablePhoneNumbers/${country}/${type}.json`, 'available_phone_numbers', SEARCH_PARAMS);
  });
}

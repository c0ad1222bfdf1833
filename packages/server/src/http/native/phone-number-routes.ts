/**
 * Native phone-numbers API (`/api/relay/rest/phone_numbers`): register, list, get, update, release,
 * search. Short codes are registered and released here too (neither is offered elsewhere), but are
 * listed, read and updated only under `/api/relay/rest/short_codes`, as SignalWire keeps them apart.
 */
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../domain/app-error.js';
import { authenticate, principalOf } from '../auth.js';
import { requestUrl } from '../base-url.js';
import type { HttpDeps } from '../deps.js';
import { checkParamNames } from '../query-params.js';
import { refuseMisnamedNumberFields } from './misnamed-fields.js';
import { numberList } from './number-list.js';
import { toPhoneNumber } from './presenters.js';
import { availableNumberResponse, noContent, pageOf, phoneNumberResponse } from './schemas.js';

const objectBody = { type: 'object' } as const;

/** The search parameters of SignalWire's available-numbers search (rest-apis §A.6). */
const SEARCH_PARAMS = ['areacode', 'number_type', 'starts_with', 'contains', 'ends_with', 'max_results', 'region', 'city'] as const;

export async function phoneNumberRoutes(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  app.addHook('onRequest', async (request) => {
    await authenticate(deps.verifier, request, 'numbers');
  });

  const notFound = (id: string) => AppError.of('NOT_FOUND', { message: `Phone number ${id} was not found.` });
  /** The project's phone number of that id; a short code's id is not found here (it has its own resource). */
  const phoneNumber = async (projectId: string, id: string) => {
    const n = await deps.reads.numbers.get(projectId, id);
    if (!n) throw notFound(id);
    if (n.numberType === 'shortcode') throw AppError.of('NOT_FOUND', { message: `Phone number ${id} was not found: it is a short code, at /api/relay/rest/short_codes/${id}.` });
    return n;
  };

  app.get('/api/relay/rest/phone_numbers', { schema: { summary: 'List your phone numbers', response: { 200: pageOf(phoneNumberResponse) } } }, numberList(deps, 'phone_numbers', { notNumberType: 'shortcode' }, toPhoneNumber));

  // Nothing is for sale here (numbers are registered, not bought): every search finds none. It still
  // answers, as SignalWire's Python SDK example starts with a search outside any error handling.
  app.get('/api/relay/rest/phone_numbers/search', { schema: { summary: 'Search numbers available to buy (always none)', response: { 200: pageOf(availableNumberResponse) } } }, async (request) => {
    checkParamNames(request.query as Record<string, unknown>, SEARCH_PARAMS);
    const self = requestUrl(request, deps.publicUrl).toString();
    return { links: { self, first: self }, data: [] };
  });

  app.post('/api/relay/rest/phone_numbers', { schema: { summary: 'Add a phone number', body: objectBody, response: { 200: phoneNumberResponse } } }, async (request) => {
    const { projectId } = principalOf(request);
    refuseMisnamedNumberFields(request.body as Record<string, unknown>);
    return toPhoneNumber(await deps.numbers.register(projectId, request.body as Record<string, unknown>));
  });

  app.get<{ Params: { id: string } }>('/api/relay/rest/phone_numbers/:id', { schema: { summary: 'Fetch a phone number', response: { 200: phoneNumberResponse } } }, async (request) => {
    const { projectId } = principalOf(request);
    return toPhoneNumber(await phoneNumber(projectId, request.params.id));
  });

  app.put<{ Params: { id: string } }>(
    '/api/relay/rest/phone_numbers/:id',
    { schema: { summary: 'Update a phone number', body: objectBody, response: { 200: phoneNumberResponse } } },
    async (request) => {
      const { projectId } = principalOf(request);
      refuseMisnamedNumberFields(request.body as Record<string, unknown>);
      const current = await phoneNumber(projectId, request.params.id);
      const n = await deps.numbers.update(projectId, current.id, request.body as Record<string, unknown>);
      if (!n) throw notFound(request.params.id);
      return toPhoneNumber(n);
    },
  );

  app.delete<{ Params: { id: string } }>('/api/relay/rest/phone_numbers/:id', { schema: { summary: 'Release a phone number', response: noContent } }, async (request, reply) => {
    const { projectId } = principalOf(request);
    if (!(await deps.numbers.release(projectId, request.params.id))) throw notFound(request.params.id);
    return reply.code(204).send();
  });
}

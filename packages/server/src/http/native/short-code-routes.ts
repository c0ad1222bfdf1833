/**
 * Native short-codes API (`/api/relay/rest/short_codes`): list, get and update the project's short
 * codes, as SignalWire documents it (its "Short Codes" endpoints of the Messaging API; `client.short_codes`
 * in its Python SDK, `client.shortCodes` in the TypeScript port). A short code is registered as any
 * number is (`POST /api/relay/rest/phone_numbers`) and is the same record: these routes show only
 * the numbers whose type is `shortcode`, and an id of another number is not found here.
 */
import type { ShortCode } from '@switchboard/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/app-error.js';
import type { PhoneNumberRecord } from '../../domain/project.js';
import { authenticate, principalOf } from '../auth.js';
import type { HttpDeps } from '../deps.js';
import { refuseMisnamedNumberFields } from './misnamed-fields.js';
import { numberList } from './number-list.js';
import { toPhoneNumber } from './presenters.js';
import { pageOf, shortCodeResponse } from './schemas.js';

export function toShortCode(n: PhoneNumberRecord): ShortCode {
  return { ...toPhoneNumber(n), code_type: 'random', lease_duration: null };
}

export async function shortCodeRoutes(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  app.addHook('onRequest', async (request) => {
    await authenticate(deps.verifier, request, 'numbers');
  });

  const notFound = (id: string) => AppError.of('NOT_FOUND', { message: `Short code ${id} was not found.` });
  /** The project's short code of that id: another number's id is not found, as an unknown one. */
  const shortCode = async (request: FastifyRequest<{ Params: { id: string } }>, projectId: string) => {
    const n = await deps.reads.numbers.get(projectId, request.params.id);
    if (!n || n.numberType !== 'shortcode') throw notFound(request.params.id);
    return n;
  };

  app.get('/api/relay/rest/short_codes', { schema: { summary: 'List your short codes', response: { 200: pageOf(shortCodeResponse) } } }, numberList(deps, 'short_codes', { numberType: 'shortcode' }, toShortCode));

  app.get<{ Params: { id: string } }>('/api/relay/rest/short_codes/:id', { schema: { summary: 'Fetch a short code', response: { 200: shortCodeResponse } } }, async (request) => {
    const { projectId } = principalOf(request);
    return toShortCode(await shortCode(request, projectId));
  });

  app.put<{ Params: { id: string } }>(
    '/api/relay/rest/short_codes/:id',
    { schema: { summary: 'Update a short code', body: { type: 'object' }, response: { 200: shortCodeResponse } } },
    async (request) => {
      const { projectId } = principalOf(request);
      refuseMisnamedNumberFields(request.body as Record<string, unknown>);
      const current = await shortCode(request, projectId);
      const n = await deps.numbers.update(projectId, current.id, request.body as Record<string, unknown>);
      if (!n) throw notFound(request.params.id);
      return toShortCode(n);
    },
  );
}

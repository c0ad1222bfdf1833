/**
 * The native list of a project's numbers: its phone numbers (`/api/relay/rest/phone_numbers`: long
 * codes and toll-free numbers) or its short codes (`/api/relay/rest/short_codes`), each only under
 * its own resource, as SignalWire lists them. The same record, filters (`filter_name`,
 * `filter_number`) and paging, each route presenting the rows its own way.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { NumberListFilter } from '../../domain/ports/store.js';
import type { PhoneNumberRecord } from '../../domain/project.js';
import { principalOf } from '../auth.js';
import { requestUrl } from '../base-url.js';
import type { HttpDeps } from '../deps.js';
import { boundedList } from '../list-slots.js';
import { numberFragmentParam, singleParam } from '../query-params.js';
import { checkQueryNames, finishPage, parsePageRequest, toSeqPage } from './paging.js';

export function numberList<T>(
  deps: HttpDeps,
  /** Whose page tokens these are (one list's token is refused by another). */
  tokens: 'phone_numbers' | 'short_codes',
  /** Which numbers: `{ numberType: 'shortcode' }` or `{ notNumberType: 'shortcode' }`. */
  types: Pick<NumberListFilter, 'numberType' | 'notNumberType'>,
  present: (n: PhoneNumberRecord) => T,
): (request: FastifyRequest, reply: FastifyReply) => Promise<{ links: unknown; data: T[] }> {
  return boundedList(async (request: FastifyRequest) => {
    const { projectId } = principalOf(request);
    const q = request.query as Record<string, unknown>;
    checkQueryNames(q, ['filter_name', 'filter_number']);
    const name = singleParam(q, 'filter_name');
    const number = numberFragmentParam(q, 'filter_number', tokens === 'short_codes' ? 'short code' : 'number');
    const page = parsePageRequest(q);
    const list = await deps.reads.pageTokens.list(projectId, tokens, (id) => deps.reads.numbers.seqOf(projectId, id));
    const seqPage = await toSeqPage(page, list);
    const filter = {
      ...types,
      ...(name ? { nameContains: name.slice(0, 255) } : {}),
      ...(number ? { numberContains: number.slice(0, 32) } : {}),
    };
    const rows = await deps.reads.numbers.list(projectId, filter, seqPage);
    const { items, links } = finishPage(rows, page, requestUrl(request, deps.publicUrl), list);
    return { links, data: items.map(present) };
  });
}

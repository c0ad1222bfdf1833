/**
 * Native number-groups API (`/api/relay/rest/number_groups`, rest-apis §A.7), as a plugin of its
 * own: strict JSON, the `numbers` scope, and the `/api/relay/rest` error shape. A group's id is the
 * Compatibility API's `MessagingServiceSid`.
 */
import type { NumberGroup, NumberGroupMembership } from '@switchboard/protocol';
import type { FastifyInstance } from 'fastify';
import type { NumberGroupRecord } from '../../domain/number-groups.js';
import type { GroupMember } from '../../domain/ports/store.js';
import { authenticate, principalOf } from '../auth.js';
import { requestUrl } from '../base-url.js';
import type { HttpDeps } from '../deps.js';
import { useStrictJson } from '../json-body.js';
import { useNativeErrors } from './error-format.js';
import { refuseMisnamedGroupFields } from './misnamed-fields.js';
import { singleParam } from '../query-params.js';
import { boundedList } from '../list-slots.js';
import { checkQueryNames, finishPage, parsePageRequest, toSeqPage } from './paging.js';
import { isoSeconds } from './presenters.js';
import { membershipResponse, noContent, numberGroupResponse, pageOf } from './schemas.js';

export type NumberGroupDeps = Pick<HttpDeps, 'verifier' | 'reads' | 'groups' | 'publicUrl'>;

export function toNumberGroup(g: NumberGroupRecord, count: number): NumberGroup {
  return { id: g.id, name: g.name, sticky_sender: g.stickySender, phone_number_count: count, created_at: isoSeconds(g.createdAt), updated_at: isoSeconds(g.updatedAt) };
}

export function toMembership(m: GroupMember): NumberGroupMembership {
  return {
    id: m.membership.id,
    number_group_id: m.membership.groupId,
    phone_number: { id: m.number.id, name: m.number.name, number: m.number.number, capabilities: [...m.number.capabilities] },
    created_at: isoSeconds(m.membership.createdAt),
    updated_at: isoSeconds(m.membership.updatedAt),
  };
}

const objectBody = { type: 'object' } as const;
/** A route's schema for the document: what it is, its body, its answers. */
const route = (summary: string, response: object, body?: object) => ({ schema: { summary, ...(body ? { body } : {}), response } });

export async function numberGroupPlugin(app: FastifyInstance, deps: NumberGroupDeps): Promise<void> {
  useStrictJson(app);
  useNativeErrors(app, 'relay-rest', 'the number groups API');
  app.addHook('onRequest', async (request) => {
    await authenticate(deps.verifier, request, 'numbers');
  });
  const { reads, groups } = deps;
  const withCount = async (projectId: string, g: NumberGroupRecord) => toNumberGroup(g, (await reads.numberGroups.countMembers(projectId, [g.id])).get(g.id) ?? 0);

  app.get('/api/relay/rest/number_groups', route('List number groups', { 200: pageOf(numberGroupResponse) }), boundedList(async (request) => {
    const { projectId } = principalOf(request);
    const q = request.query as Record<string, unknown>;
    checkQueryNames(q, ['filter_name']);
    const name = singleParam(q, 'filter_name');
    const page = parsePageRequest(q);
    const list = await reads.pageTokens.list(projectId, 'number_groups', (id) => reads.numberGroups.seqOf(projectId, id));
    const seqPage = await toSeqPage(page, list);
    const filter = name ? { nameContains: name.slice(0, 255) } : {};
    const rows = await reads.numberGroups.list(projectId, filter, seqPage);
    const { items, links } = finishPage(rows, page, requestUrl(request, deps.publicUrl), list);
    const counts = await reads.numberGroups.countMembers(projectId, items.map((g) => g.id));
    return { links, data: items.map((g) => toNumberGroup(g, counts.get(g.id) ?? 0)) };
  }));

  app.post('/api/relay/rest/number_groups', route('Create a number group', { 200: numberGroupResponse }, objectBody), async (request) => {
    const { projectId } = principalOf(request);
    refuseMisnamedGroupFields(request.body as Record<string, unknown>);
    return toNumberGroup(await groups.create(projectId, request.body as Record<string, unknown>), 0);
  });

  app.get<{ Params: { id: string } }>('/api/relay/rest/number_groups/:id', route('Fetch a number group', { 200: numberGroupResponse }), async (request) => {
    const { projectId } = principalOf(request);
    return withCount(projectId, await groups.get(projectId, request.params.id));
  });

  app.put<{ Params: { id: string } }>('/api/relay/rest/number_groups/:id', route('Update a number group', { 200: numberGroupResponse }, objectBody), async (request) => {
    const { projectId } = principalOf(request);
    refuseMisnamedGroupFields(request.body as Record<string, unknown>);
    return withCount(projectId, await groups.update(projectId, request.params.id, request.body as Record<string, unknown>));
  });

  app.delete<{ Params: { id: string } }>('/api/relay/rest/number_groups/:id', route('Delete a number group', noContent), async (request, reply) => {
    const { projectId } = principalOf(request);
    await groups.delete(projectId, request.params.id);
    return reply.code(204).send();
  });

  app.get<{ Params: { id: string } }>('/api/relay/rest/number_groups/:id/number_group_memberships', route("List a number group's memberships", { 200: pageOf(membershipResponse) }), boundedList(async (request) => {
    const { projectId } = principalOf(request);
    await groups.get(projectId, request.params.id);
    const q = request.query as Record<string, unknown>;
    checkQueryNames(q, []);
    const page = parsePageRequest(q);
    const list = await reads.pageTokens.list(projectId, `number_group_memberships:${request.params.id}`, (id) => reads.numberGroups.membershipSeqOf(projectId, id));
    const seqPage = await toSeqPage(page, list);
    const rows = await reads.numberGroups.listMembers(projectId, request.params.id, seqPage);
    const { items, links } = finishPage(rows, page, requestUrl(request, deps.publicUrl), list);
    return { links, data: items.map(toMembership) };
  }));

  app.post<{ Params: { id: string } }>('/api/relay/rest/number_groups/:id/number_group_memberships', route('Add a phone number to a number group', { 200: membershipResponse }, objectBody), async (request) => {
    const { projectId } = principalOf(request);
    return toMembership(await groups.addMember(projectId, request.params.id, request.body as Record<string, unknown>));
  });

  app.get<{ Params: { id: string } }>('/api/relay/rest/number_group_memberships/:id', route('Fetch a number group membership', { 200: membershipResponse }), async (request) => {
    const { projectId } = principalOf(request);
    return toMembership(await groups.getMember(projectId, request.params.id));
  });

  app.delete<{ Params: { id: string } }>('/api/relay/rest/number_group_memberships/:id', route('Remove a phone number from a number group', noContent), async (request, reply) => {
    const { projectId } = principalOf(request);
    await groups.removeMember(projectId, request.params.id);
    return reply.code(204).send();
  });
}

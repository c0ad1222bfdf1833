/**
 * Native opt-out API (our extension; docs/api/native.md): each sender's opt-out list — list, add,
 * remove — and the per-sender messaging settings (smart encoding, opt-out replies) of the project,
 * a number group or a number. A sender is one of the project's numbers or a number group's id.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/app-error.js';
import { isUuid } from '../../domain/ids.js';
import { isValidDestination } from '../../domain/phone-numbers.js';
import { clip, preview } from '../../domain/preview.js';
import type { MessagingSettings, MessagingSettingsPatch, OptOutRecord } from '../../domain/ports/store.js';
import { DEFAULT_REPLIES, PROJECT_SCOPE } from '../../engine/messages/opt-outs-settings.js';
import { authenticate, principalOf } from '../auth.js';
import { requestUrl } from '../base-url.js';
import type { HttpDeps } from '../deps.js';
import { boundedList } from '../list-slots.js';
import { checkParamNames, plusHint } from '../query-params.js';
import { checkQueryNames, finishPage, parsePageRequest, toSeqPage } from './paging.js';
import { isoSeconds } from './presenters.js';
import { pageOf } from './schemas.js';

/** Longest reply text (the longest message body). */
const MAX_REPLY = 1600;

function toOptOut(o: OptOutRecord) {
  return { id: o.id, sender: o.sender, handset: o.handset, source: o.keyword ? 'keyword' : 'api', keyword: o.keyword, created_at: isoSeconds(o.createdAt) };
}

function toSettings(scope: string, s: MessagingSettings | undefined) {
  return {
    scope: scope === PROJECT_SCOPE ? 'project' : scope,
    smart_encoding: s?.smartEncoding ?? null,
    opt_out_replies: s?.replies ?? null,
    stop_reply: s?.stopReply ?? null,
    start_reply: s?.startReply ?? null,
    help_reply: s?.helpReply ?? null,
  };
}

const invalid = (attribute: string, message: string) => AppError.of('INVALID_PARAMETER', { attribute, message });

/**
 * `DELETE /api/messaging/opt_outs` takes its sender and handset in the query, as documented: a
 * body with fields (`{"sender", "handset"}`, as `POST` takes them) is refused saying so, rather
 * than answered "sender is required" as if nothing had been sent. An empty object is no fields.
 */
function refuseBody(body: unknown): void {
  if (body === undefined || body === null) return;
  const fields = typeof body === 'object' && !Array.isArray(body) ? Object.keys(body) : [''];
  if (fields.length === 0) return;
  const attribute = fields.includes('sender') ? 'sender' : fields.includes('handset') ? 'handset' : 'body';
  throw invalid(attribute, 'This DELETE reads sender and handset from the query string, not from a body: DELETE /api/messaging/opt_outs?sender=%2B15551230001&handset=%2B15557654321 (write each + as %2B), or DELETE /api/messaging/opt_outs/{id}.');
}

/** A patch from a settings body: each field a value, null (follow the wider scope) or absent (unchanged). */
function settingsPatch(body: Record<string, unknown>): MessagingSettingsPatch {
  const known = new Set(['smart_encoding', 'opt_out_replies', 'stop_reply', 'start_reply', 'help_reply']);
  for (const k of Object.keys(body)) if (!known.has(k)) throw invalid(k, `Unknown setting ${clip(k)}: use ${[...known].join(', ')}.`);
  const flag = (k: string): boolean | null | undefined => {
    const v = body[k];
    if (v === undefined || v === null || typeof v === 'boolean') return v;
    throw invalid(k, `${k} must be true, false or null.`);
  };
  const text = (k: string): string | null | undefined => {
    const v = body[k];
    if (v === undefined || v === null) return v;
    if (typeof v !== 'string' || v.length > MAX_REPLY) throw invalid(k, `${k} must be a text of at most ${MAX_REPLY} characters ("" sends no reply), or null for the default.`);
    return v;
  };
  const patch: { -readonly [K in keyof MessagingSettingsPatch]: MessagingSettingsPatch[K] } = {};
  const smart = flag('smart_encoding');
  if (smart !== undefined) patch.smartEncoding = smart;
  const replies = flag('opt_out_replies');
  if (replies !== undefined) patch.replies = replies;
  const stop = text('stop_reply');
  if (stop !== undefined) patch.stopReply = stop;
  const start = text('start_reply');
  if (start !== undefined) patch.startReply = start;
  const help = text('help_reply');
  if (help !== undefined) patch.helpReply = help;
  return patch;
}

// Schemas for the OpenAPI document and the answers' serialisation; the routes check values themselves, in the API's own errors.
const str = { type: 'string' } as const;
const nullableStr = { type: ['string', 'null'] } as const;
const nullableBool = { type: ['boolean', 'null'] } as const;
const optOutResponse = {
  type: 'object',
  properties: { id: str, sender: str, handset: str, source: { type: 'string', enum: ['keyword', 'api'] }, keyword: nullableStr, created_at: str },
} as const;
const settingsFields = { smart_encoding: nullableBool, opt_out_replies: nullableBool, stop_reply: nullableStr, start_reply: nullableStr, help_reply: nullableStr } as const;
const settingsResponse = {
  type: 'object',
  properties: {
    scope: { type: 'string', description: '`project`, a number or a number group id' },
    ...settingsFields,
    defaults: { type: 'object', properties: { smart_encoding: { type: 'boolean' }, opt_out_replies: { type: 'boolean' }, stop_reply: str, start_reply: str, help_reply: str } },
  },
} as const;
const senderQuery = { sender: { type: 'string', description: 'one of your numbers, or a number group id' }, handset: { type: 'string', description: 'E.164' } } as const;
const senderParam = { type: 'object', properties: { sender: { type: 'string', description: 'one of your numbers (`%2B…`), or a number group id' } } } as const;
const idParam = { type: 'object', properties: { id: str } } as const;

const SCHEMAS = {
  list: { summary: 'List opt-outs (our extension)', querystring: { type: 'object', properties: { ...senderQuery, page_size: str, page_number: str, page_token: str } }, response: { 200: pageOf(optOutResponse) } },
  add: { summary: 'Add a handset to a sender\'s opt-out list (our extension)', body: { type: 'object', properties: senderQuery }, response: { 201: optOutResponse } },
  get: { summary: 'Fetch an opt-out (our extension)', params: idParam, response: { 200: optOutResponse } },
  remove: { summary: 'Remove an opt-out (our extension)', params: idParam, response: { 204: { type: 'null' } } },
  removeBySender: { summary: 'Remove a handset from a sender\'s opt-out list (our extension)', querystring: { type: 'object', properties: senderQuery }, response: { 204: { type: 'null' } } },
  getSettings: { summary: 'Messaging settings: smart encoding, opt-out replies (our extension)', response: { 200: settingsResponse } },
  putSettings: { summary: 'Change messaging settings (our extension)', body: { type: 'object', properties: settingsFields }, response: { 200: settingsResponse } },
} as const;
const withSender = <T extends object>(schema: T) => ({ ...schema, params: senderParam });

export async function optOutRoutes(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  app.addHook('onRequest', async (request) => {
    await authenticate(deps.verifier, request, 'messaging');
  });
  const { optOuts, messagingSettings, reads } = deps;

  /**
   * A sender of the project as the API names it: one of its numbers, or a number group's id.
   * `from`: where it was read; from the query, a number whose `+` was written as is (read as a
   * space) is refused with the %2B hint the other number filters give.
   */
  const senderOf = async (projectId: string, raw: unknown, from: 'query' | 'body' | 'path' = 'body'): Promise<string> => {
    if (typeof raw !== 'string' || raw === '') throw invalid('sender', 'sender is required: one of your phone numbers or a number group id.');
    if (isUuid(raw)) {
      if (await reads.numberGroups.get(projectId, raw.toLowerCase())) return raw.toLowerCase();
    } else if (await reads.numbers.getByNumber(projectId, raw)) {
      return raw;
    }
    throw invalid('sender', `sender ${preview(raw)} is neither one of your phone numbers nor one of your number groups${from === 'query' ? plusHint('sender', raw, 33) : ''}.`);
  };
  const handsetOf = (raw: unknown, from: 'query' | 'body' = 'body'): string => {
    if (raw === undefined || raw === null || raw === '') throw invalid('handset', 'handset is required: the phone number (E.164) to take off or put on the list.');
    if (typeof raw !== 'string' || !isValidDestination(raw)) throw invalid('handset', `handset ${preview(raw)} is not a valid phone number (E.164: + followed by 5 to 17 digits)${from === 'query' && typeof raw === 'string' ? plusHint('handset', raw, 33) : ''}.`);
    return raw;
  };

  app.get('/api/messaging/opt_outs', { schema: SCHEMAS.list }, boundedList(async (request) => {
    const { projectId } = principalOf(request);
    const q = request.query as Record<string, unknown>;
    checkQueryNames(q, ['sender', 'handset']);
    const filter = {
      ...(q.sender !== undefined && q.sender !== '' ? { sender: await senderOf(projectId, q.sender, 'query') } : {}),
      ...(q.handset !== undefined && q.handset !== '' ? { handset: handsetOf(q.handset, 'query') } : {}),
    };
    const page = parsePageRequest(q);
    const list = await deps.reads.pageTokens.list(projectId, 'opt_outs', (id) => optOuts.seqOf(projectId, id));
    const seqPage = await toSeqPage(page, list);
    const rows = await optOuts.list(projectId, filter, seqPage);
    const { items, links } = finishPage(rows, page, requestUrl(request, deps.publicUrl), list);
    return { links, data: items.map(toOptOut) };
  }));

  app.post('/api/messaging/opt_outs', { schema: SCHEMAS.add }, async (request, reply) => {
    const { projectId } = principalOf(request);
    const b = request.body as Record<string, unknown>;
    const sender = await senderOf(projectId, b.sender);
    const handset = handsetOf(b.handset);
    return reply.code(201).send(toOptOut(await optOuts.addOne(projectId, sender, handset)));
  });

  app.get<{ Params: { id: string } }>('/api/messaging/opt_outs/:id', { schema: SCHEMAS.get }, async (request) => {
    const { projectId } = principalOf(request);
    const row = isUuid(request.params.id) ? await optOuts.get(projectId, request.params.id.toLowerCase()) : undefined;
    if (!row) throw AppError.of('NOT_FOUND');
    return toOptOut(row);
  });

  app.delete<{ Params: { id: string } }>('/api/messaging/opt_outs/:id', { schema: SCHEMAS.remove }, async (request, reply) => {
    const { projectId } = principalOf(request);
    if (!isUuid(request.params.id) || !(await optOuts.removeById(projectId, request.params.id.toLowerCase()))) throw AppError.of('NOT_FOUND');
    return reply.code(204).send();
  });

  // Remove by sender and handset, the way an application that heard "START" elsewhere knows it.
  app.delete('/api/messaging/opt_outs', { schema: SCHEMAS.removeBySender }, async (request, reply) => {
    const { projectId } = principalOf(request);
    const q = request.query as Record<string, unknown>;
    checkParamNames(q, ['sender', 'handset'], 'This DELETE');
    refuseBody(request.body);
    const sender = await senderOf(projectId, q.sender, 'query');
    if (!(await optOuts.remove(projectId, handsetOf(q.handset, 'query'), [sender]))) throw AppError.of('NOT_FOUND', { message: `${preview(q.handset)} is not on the opt-out list of ${sender}.` });
    return reply.code(204).send();
  });

  const settingsRoute = (scopeOf: (projectId: string, params: Record<string, string>) => Promise<string>) => ({
    get: async (request: FastifyRequest) => {
      const { projectId } = principalOf(request);
      checkParamNames(request.query as Record<string, unknown>, [], 'This request');
      const scope = await scopeOf(projectId, request.params as Record<string, string>);
      return { ...toSettings(scope, (await messagingSettings.own(projectId)).get(scope)), defaults: DEFAULTS };
    },
    put: async (request: FastifyRequest) => {
      const { projectId } = principalOf(request);
      const scope = await scopeOf(projectId, request.params as Record<string, string>);
      return toSettings(scope, await messagingSettings.update(projectId, scope, settingsPatch(request.body as Record<string, unknown>)));
    },
  });
  const project = settingsRoute(async () => PROJECT_SCOPE);
  const sender = settingsRoute((projectId, params) => senderOf(projectId, params.sender, 'path'));
  app.get('/api/messaging/settings', { schema: SCHEMAS.getSettings }, project.get);
  app.put('/api/messaging/settings', { schema: SCHEMAS.putSettings }, project.put);
  app.get('/api/messaging/settings/:sender', { schema: withSender(SCHEMAS.getSettings) }, sender.get);
  app.put('/api/messaging/settings/:sender', { schema: withSender(SCHEMAS.putSettings) }, sender.put);
}

/** What a sender gets where no scope sets a field. */
const DEFAULTS = { smart_encoding: false, opt_out_replies: true, stop_reply: DEFAULT_REPLIES.stop, start_reply: DEFAULT_REPLIES.start, help_reply: DEFAULT_REPLIES.help };

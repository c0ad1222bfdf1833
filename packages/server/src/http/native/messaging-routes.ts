/**
 * Native messaging API: send (`POST /api/messaging/messages`), redact (`PATCH …/{id}`), and the
 * message logs (`GET /api/messaging/logs[/{id}]`). A send with an `Idempotency-Key` header is safe
 * to retry: the same request again within 24 hours answers the original message (201, with
 * `Idempotent-Replayed: true`) and sends nothing.
 */
import type { FastifyInstance } from 'fastify';
import { isMessageStatus, MESSAGE_STATUSES, type MessageOrigin, type MessageStatus } from '@switchboard/protocol';
import { AppError } from '../../domain/app-error.js';
import { preview } from '../../domain/preview.js';
import { parseDateFilter } from '../../domain/dates.js';
import type { MessageListFilter } from '../../domain/ports/store.js';
import { authenticate, principalOf } from '../auth.js';
import { baseUrl, requestUrl } from '../base-url.js';
import type { HttpDeps } from '../deps.js';
import { addressParam, booleanText, singleParam } from '../query-params.js';
import { boundedFetch } from '../fetch-slots.js';
import { boundedList } from '../list-slots.js';
import { boundedSend } from '../send-slots.js';
import { checkQueryNames, finishPage, parsePageRequest, toSeqPage } from './paging.js';
import { toMessageLog, toNativeMessage } from './presenters.js';
import { messageLogResponse, messageResponse, pageOf, redactMessageBody, sendMessageBody } from './schemas.js';
import { refuseMisnamedFields } from './misnamed-fields.js';
import { idempotencyKeyHeader } from '../idempotency-header.js';

/** Query parameters of `GET /api/messaging/logs` besides paging (status, from, to, direction: our extension). */
const LOG_FILTERS = ['created_before', 'created_on', 'created_after', 'include_deleted', 'status', 'from', 'to', 'direction'];

/** The log directions a filter takes, each with the origin it needs besides its direction ('' for any). */
const LOG_DIRECTION_ORIGINS: Record<string, MessageOrigin | ''> = { inbound: '', outbound: '', 'outbound-api': 'compat', 'outbound-reply': 'reply' };

/** `include_deleted` of the log list and (our extension) of one log: false when absent. */
function includeDeletedOf(q: Record<string, unknown>): boolean {
  const includeDeleted = singleParam(q, 'include_deleted');
  const deleted = includeDeleted === undefined ? false : booleanText(includeDeleted);
  if (deleted === undefined) {
    throw AppError.of('FILTER_INVALID', { attribute: 'include_deleted', message: `include_deleted must be true or false (got ${preview(includeDeleted)}).` });
  }
  return deleted;
}

/**
 * The statuses asked for: a comma list, or the key repeated (`status=delivered&status=failed`, as
 * SignalWire's Python SDK writes a list through requests), each value a comma list too.
 */
function statusesOf(raw: unknown): string[] | undefined {
  const given = (Array.isArray(raw) ? raw : [raw]).filter((v): v is string => typeof v === 'string' && v !== '');
  return given.length === 0 ? undefined : given.flatMap((v) => v.split(',').map((s) => s.trim()));
}

/** The log filters of the query, each checked: a bad value is an error naming the valid ones, never ignored. */
function logFilters(q: Record<string, unknown>): MessageListFilter {
  const deleted = includeDeletedOf(q);
  const statuses = statusesOf(q.status);
  const bad = statuses?.find((v) => !isMessageStatus(v));
  if (bad !== undefined) throw AppError.of('FILTER_INVALID', { attribute: 'status', message: `status ${preview(bad)} is not a message status; use one or more of ${MESSAGE_STATUSES.join(', ')}, separated by commas.` });
  const given = singleParam(q, 'direction');
  // The values a log's `direction` shows: `outbound` matches every outbound message, `outbound-api`
  // and `outbound-reply` those sent through the Compatibility API and cXML replies.
  const origin = given !== undefined && Object.hasOwn(LOG_DIRECTION_ORIGINS, given) ? LOG_DIRECTION_ORIGINS[given] : undefined;
  if (given !== undefined && origin === undefined) {
    throw AppError.of('FILTER_INVALID', { attribute: 'direction', message: `direction must be inbound, outbound, outbound-api or outbound-reply (got ${preview(given)}).` });
  }
  const direction = given === 'inbound' ? 'inbound' : given === undefined ? undefined : 'outbound';
  const from = addressParam(q, 'from');
  const to = addressParam(q, 'to');
  return {
    includeDeleted: deleted,
    ...(statuses ? { statuses: statuses as MessageStatus[] } : {}),
    ...(direction ? { direction } : {}),
    ...(origin ? { origin } : {}),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
  };
}

export async function messagingRoutes(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  app.addHook('onRequest', async (request) => {
    // A test token may only send (answered by the magic numbers, never stored); anything else is 403.
    const allowTest = request.method === 'POST' && request.routeOptions.url === '/api/messaging/messages';
    await authenticate(deps.verifier, request, 'messaging', { allowTest });
  });

  app.post(
    '/api/messaging/messages',
    { schema: { summary: 'Send a message', body: sendMessageBody, response: { 201: messageResponse } } },
    boundedSend(async (request, reply) => {
      const { projectId, test, via } = principalOf(request);
      const b = request.body as Record<string, unknown>;
      refuseMisnamedFields(b);
      const input = {
        to: b.to,
        from: b.from,
        body: b.body,
        media: b.media,
        sendAsMms: b.send_as_mms,
        statusCallback: b.status_callback,
        callbackFormat: 'json',
        customVariables: b.custom_variables,
        // Our extension: replace GSM-7 look-alikes (true/false; absent follows the sender's setting).
        smartEncoded: (b.smart_encoded as boolean | null | undefined) ?? undefined,
        // Our extension: send later (ISO 8601), as the Compatibility API's SendAt.
        sendAt: b.send_at,
        // Our extension: seconds the message may wait to be sent, as the Compatibility API's ValidityPeriod.
        validityPeriod: b.validity_period,
        // Sent from the web console (its session cookie): shown as the console surface.
        origin: via === 'console' ? 'console' : 'rest',
      } as const;
      if (test) return reply.code(201).send(toNativeMessage(deps.testSends.accept(projectId, input, idempotencyKeyHeader(request))));
      const { message, replayed } = await deps.acceptor.acceptOnce(projectId, input, idempotencyKeyHeader(request));
      if (replayed) void reply.header('idempotent-replayed', 'true');
      return reply.code(201).send(toNativeMessage(message));
    }),
  );

  app.patch<{ Params: { id: string } }>(
    '/api/messaging/messages/:id',
    { schema: { summary: 'Redact a message (body "")', body: redactMessageBody, response: { 200: messageResponse } } },
    async (request) => {
      const { projectId } = principalOf(request);
      const body = (request.body ?? {}) as { body?: unknown; status?: unknown };
      // Our extension: `{"status": "canceled"}` cancels a scheduled message. Both fields are checked
      // before anything changes; given together, as the Compatibility API's update takes them, the
      // message is canceled first, then redacted (a status beside a body was ignored, so
      // `{"status": "bogus", "body": ""}` redacted a message without a word about its status).
      if (body.status !== undefined && body.status !== 'canceled') throw AppError.of('INVALID_PARAMETER', { attribute: 'status', message: "status can only be set to 'canceled' (to cancel a scheduled message)." });
      if (body.status === undefined && body.body === undefined) throw AppError.of('REDACT_BODY_NOT_EMPTY', { message: 'This request changes nothing: give "body": "" to redact the message, or "status": "canceled" to cancel a scheduled one.' });
      if ((body.status === undefined || body.body !== undefined) && body.body !== '') throw AppError.of('REDACT_BODY_NOT_EMPTY');
      if (body.status !== undefined) {
        const canceled = await deps.scheduled.cancel(projectId, request.params.id);
        if (!canceled) throw AppError.of('NOT_FOUND', { message: `Message ${request.params.id} was not found.` });
        if (body.body === undefined) return toNativeMessage(canceled);
      }
      return toNativeMessage(await deps.messages.redact(projectId, request.params.id));
    },
  );

  app.get('/api/messaging/logs', { schema: { summary: 'List message logs, newest first', response: { 200: pageOf(messageLogResponse) } } }, boundedList(async (request) => {
    const { projectId } = principalOf(request);
    const q = request.query as Record<string, unknown>;
    const before = parseDateFilter(q.created_before, 'created_before');
    const on = parseDateFilter(q.created_on, 'created_on');
    const after = parseDateFilter(q.created_after, 'created_after');
    checkQueryNames(q, LOG_FILTERS);
    const filter: MessageListFilter = {
      ...logFilters(q),
      ...(before || on ? { createdTo: Math.min(before ? before.start - 1 : Infinity, on ? on.end : Infinity) } : {}),
      ...(after || on ? { createdFrom: Math.max(after ? after.end + 1 : -Infinity, on ? on.start : -Infinity) } : {}),
    };
    const page = parsePageRequest(q);
    const list = await deps.reads.pageTokens.list(projectId, 'messages', (id) => deps.reads.messages.seqOf(projectId, id));
    const seqPage = await toSeqPage(page, list);
    // At most `listScanRows` messages examined: a short or empty page links to where the scan stopped.
    const { rows, resumeSeq } = await deps.reads.messages.listScanned(projectId, filter, seqPage, deps.listScanRows);
    const base = baseUrl(request, deps.publicUrl);
    const { items, links } = finishPage(rows, page, requestUrl(request, deps.publicUrl), list, { page: seqPage, resumeSeq });
    return { links, data: items.map((m) => toMessageLog(m, base)) };
  }));

  app.get<{ Params: { id: string } }>('/api/messaging/logs/:id', { schema: { summary: 'Fetch a message log', response: { 200: messageLogResponse } } }, boundedFetch(async (request) => {
    const { projectId } = principalOf(request);
    // A message deleted through the Compatibility API is gone here too, as from the list, unless asked for.
    const includeDeleted = includeDeletedOf(request.query as Record<string, unknown>);
    const m = await deps.messages.get(projectId, request.params.id, { includeDeleted });
    return toMessageLog(m, baseUrl(request, deps.publicUrl));
  }));
}

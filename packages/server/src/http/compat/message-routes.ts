/**
 * The Messages family of the Compatibility API (rest-apis §B.1–§B.5): create, fetch, list, redact,
 * delete, and the Media subresource. Sending goes through the one send use case, so messages are
 * the same records the native API shows.
 */
import type { CompatMediaPage, CompatMessagePage, ErrorKey } from '@switchboard/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, detail } from '../../domain/app-error.js';
import type { MessageRecord } from '../../domain/message.js';
import { isUuid } from '../../domain/ids.js';
import { preview } from '../../domain/preview.js';
import { checkDestination, checkSenderSyntax } from '../../domain/send-request.js';
import { principalOf } from '../auth.js';
import { boundedFetch } from '../fetch-slots.js';
import { boundedList } from '../list-slots.js';
import { boundedSend } from '../send-slots.js';
import type { CompatDeps } from './deps.js';
import { resourceNotFound } from './error-format.js';
import { boolParam, dateBounds, filtersNothing, givenOnce, mediaParam, messageListFilter, paramsOf, refuseRepeated, scheduleParams, sidOf, textParam } from './params.js';
import { compatPage, compatSeqPage, filterParams, parseCompatPage } from './paging.js';
import { accountUri, rfc2822, toCompatMedia, toCompatMessage } from './presenters.js';
import { createFeedbackSchema, createMessageSchema, deleteMediaSchema, deleteMessageSchema, fetchMediaSchema, fetchMessageSchema, listMediaSchema, listMessagesSchema, updateMessageSchema } from './schemas.js';
import { idempotencyKeyHeader } from '../idempotency-header.js';

const MAX_PRICE = /^\d+\.?\d{0,4}$/;

/** A media URL as a `Location` header (ASCII, as the URL parser writes it), or undefined if it is not a URL. */
function mediaLocation(url: string): string | undefined {
  try {
    return new URL(url).href;
  } catch {
    return undefined;
  }
}

/**
 * Whether the request comes from SignalWire's TypeScript SDK, whose `compat.messages.getMedia`
 * GETs `Media/{Sid}` without `.json` and parses the answer as the media record. Its Accept header
 * (application/json) cannot tell it apart: twilio-node sends the same one when a user downloads the
 * media with `client.request`, and that must get the redirect.
 */
function isSignalWireTsSdk(userAgent: string | undefined): boolean {
  return userAgent?.startsWith('@signalwire/sdk-ts/') === true;
}

/**
 * The parameter each error of a message create is about. Any of them but MediaUrl given more than
 * once is refused with its own code (never half-read), and the message says so.
 */
const CREATE_PARAMS: Partial<Record<ErrorKey, string>> = {
  TO_INVALID: 'To',
  FROM_INVALID: 'From',
  NUMBER_GROUP_ID_MALFORMED: 'MessagingServiceSid',
  MAX_PRICE_INVALID: 'MaxPrice',
  SCHEDULE_TYPE_INVALID: 'ScheduleType',
  SEND_AT_INVALID: 'SendAt',
  SMART_ENCODED_INVALID: 'SmartEncoded',
  SEND_AS_MMS_INVALID: 'SendAsMms',
  APPLICATION_INVALID: 'ApplicationSid',
  BODY_INVALID: 'Body',
  STATUS_CALLBACK_INVALID: 'StatusCallback',
  VALIDITY_PERIOD_INVALID: 'ValidityPeriod',
};
/** The same for an update: a redaction's Body, a cancel's Status. */
const UPDATE_PARAMS: Partial<Record<ErrorKey, string>> = { REDACT_BODY_NOT_EMPTY: 'Body', INVALID_PARAMETER: 'Status' };

type AccountParams = { AccountSid: string };
type MessageParams = AccountParams & { Sid: string };
type MediaParams = AccountParams & { MessageSid: string; Sid: string };

/**
 * Twilio's ContentSid (a content template) stands for the body; templates are not offered, so a
 * request with only a ContentSid is told so, rather than only that it has no body.
 */
function noTemplates(err: unknown): unknown {
  if (!(err instanceof AppError) || err.key !== 'BODY_OR_MEDIA_REQUIRED') return err;
  return AppError.of('BODY_OR_MEDIA_REQUIRED', { message: `${err.details[0]!.message} ContentSid (Twilio's content templates) is not supported here: send the text as Body.` });
}

export async function messageRoutes(app: FastifyInstance, deps: CompatDeps): Promise<void> {
  const { reads, acceptor, testSends, messages } = deps;

  const liveMessage = async (request: FastifyRequest, projectId: string, sid: string): Promise<MessageRecord> => {
    const m = isUuid(sid) ? await reads.messages.get(projectId, sid.toLowerCase()) : undefined;
    if (!m || m.deletedAt !== null) throw resourceNotFound(request.url);
    return m;
  };

  /** The media the request names, of a live message of the caller's project, or 404. */
  const namedMedia = async (request: FastifyRequest<{ Params: MediaParams }>) => {
    const { projectId } = principalOf(request);
    const m = await liveMessage(request, projectId, request.params.MessageSid);
    const sid = sidOf(request.params.Sid);
    const media = isUuid(sid) ? await reads.media.get(projectId, m.id, sid.toLowerCase()) : undefined;
    if (!media) throw resourceNotFound(request.url);
    return { projectId, m, media };
  };

  const send = async (request: FastifyRequest<{ Params: AccountParams }>, reply: FastifyReply) => {
    const { projectId, test } = principalOf(request);
    const p = paramsOf(request.body);
    const groupId = textParam(p.MessagingServiceSid);
    if (groupId !== undefined && typeof groupId !== 'string') throw new AppError(detail('NUMBER_GROUP_ID_MALFORMED'));
    // Checks in the documented order: To, then From/group; the engine repeats them with the rest.
    const early = [...checkDestination(textParam(p.To)), ...checkSenderSyntax(textParam(p.From), groupId !== undefined)];
    if (early.length) throw new AppError(early);

    // A JSON number (what @signalwire/sdk sends for `MaxPrice: 0.5`) is read as its decimal text.
    const maxPrice = typeof p.MaxPrice === 'number' && Number.isFinite(p.MaxPrice) ? String(p.MaxPrice) : textParam(p.MaxPrice);
    if (maxPrice !== undefined && (typeof maxPrice !== 'string' || !MAX_PRICE.test(maxPrice))) {
      throw AppError.of('MAX_PRICE_INVALID', { message: `MaxPrice ${preview(maxPrice)} must be a decimal amount in USD with at most 4 decimals, such as 0.05.` });
    }
    const schedule = scheduleParams(p);
    const smartEncoded = boolParam(p.SmartEncoded);
    if (smartEncoded !== undefined && typeof smartEncoded !== 'boolean') throw AppError.of('SMART_ENCODED_INVALID', { attribute: 'SmartEncoded', message: `SmartEncoded ${preview(smartEncoded)} must be true or false.` });
    const sendAsMms = boolParam(p.SendAsMms);
    if (sendAsMms !== undefined && typeof sendAsMms !== 'boolean') throw AppError.of('SEND_AS_MMS_INVALID', { attribute: 'SendAsMms', message: `SendAsMms ${preview(sendAsMms)} must be true or false.` });
    let statusCallback = textParam(p.StatusCallback);
    const applicationSid = textParam(p.ApplicationSid);
    let applicationId: string | null = null;
    if (applicationSid !== undefined) {
      const application = typeof applicationSid === 'string' && isUuid(applicationSid) ? await reads.applications.get(projectId, applicationSid.toLowerCase()) : undefined;
      if (!application) throw AppError.of('APPLICATION_INVALID', { message: `ApplicationSid ${preview(applicationSid)} is not a cXML application of your project.` });
      applicationId = application.id;
      // The application's status callback is used when the request gives none: a request's
      // StatusCallback takes priority (twilio-node's ApplicationSid documentation: "if both are
      // included application_sid is ignored").
      // Trimmed: an application saved before URLs with spaces around them were refused keeps working.
      if (application.smsStatusCallback && statusCallback === undefined) statusCallback = application.smsStatusCallback.trim();
    }

    const input = {
      to: textParam(p.To),
      from: textParam(p.From),
      body: p.Body,
      media: mediaParam(p.MediaUrl),
      sendAsMms,
      statusCallback,
      callbackFormat: 'form',
      validityPeriod: textParam(p.ValidityPeriod),
      origin: 'compat',
      numberGroupId: typeof groupId === 'string' ? groupId : null,
      applicationId,
      maxPrice: (maxPrice as string | undefined) ?? null,
      smartEncoded,
      sendAt: schedule,
    } as const;
    try {
      // A test token's send is answered by the magic numbers and never sent (test-credentials.ts).
      if (test) return reply.code(201).send(toCompatMessage(testSends.accept(projectId, input, idempotencyKeyHeader(request))));
      // Idempotency-Key (our extension): a retry within 24 hours answers the original message.
      const { message, replayed } = await acceptor.acceptOnce(projectId, input, idempotencyKeyHeader(request));
      if (replayed) void reply.header('idempotent-replayed', 'true');
      return reply.code(201).send(toCompatMessage(message));
    } catch (err) {
      throw textParam(p.ContentSid) ? noTemplates(err) : err;
    }
  };
  const create = (request: FastifyRequest<{ Params: AccountParams }>, reply: FastifyReply) =>
    send(request, reply).catch((err: unknown) => {
      throw givenOnce(err, request.body, CREATE_PARAMS);
    });

  const list = async (request: FastifyRequest<{ Params: AccountParams }>): Promise<CompatMessagePage> => {
    const { projectId } = principalOf(request);
    const query = request.query as Record<string, unknown>;
    const page = parseCompatPage(query, ['To', 'From', 'Status', 'DateSent', 'DateSent<', 'DateSent>']);
    // The other filters are checked all the same.
    const nothing = filtersNothing(query);
    const filter = messageListFilter(nothing ? { ...query, Status: undefined } : query);
    const list = await reads.pageTokens.list(projectId, 'messages', (sid) => reads.messages.seqOf(projectId, sid));
    const seqPage = await compatSeqPage(page, 'newest-first', list);
    // At most `listScanRows` messages examined: a short or empty page links to where the scan stopped.
    const { rows, resumeSeq } = nothing ? { rows: [], resumeSeq: null } : await reads.messages.listScanned(projectId, filter, seqPage, deps.listScanRows);
    const { items, meta } = compatPage(rows, page, `${accountUri(projectId)}/Messages.json`, filterParams(query), list, { page: seqPage, resumeSeq });
    return { ...meta, messages: items.map(toCompatMessage) };
  };

  for (const path of ['/Accounts/:AccountSid/Messages', '/Accounts/:AccountSid/Messages.json']) {
    app.post<{ Params: AccountParams }>(path, { schema: createMessageSchema }, boundedSend(create));
    app.get<{ Params: AccountParams }>(path, { schema: listMessagesSchema }, boundedList(list));
  }

  app.get<{ Params: MessageParams }>('/Accounts/:AccountSid/Messages/:Sid', { schema: fetchMessageSchema }, boundedFetch(async (request) => {
    const { projectId } = principalOf(request);
    return toCompatMessage(await liveMessage(request, projectId, sidOf(request.params.Sid)));
  }));

  // Update: redaction (Body="", as on SignalWire) and canceling a scheduled message (Status=canceled, as on Twilio).
  const update = async (request: FastifyRequest<{ Params: MessageParams }>) => {
    const { projectId } = principalOf(request);
    const m = await liveMessage(request, projectId, sidOf(request.params.Sid));
    const p = paramsOf(request.body);
    if (p.Status === undefined && p.Body === undefined) throw AppError.of('INVALID_PARAMETER', { attribute: 'Body', message: "Send Body with an empty value to redact, or Status=canceled to cancel a scheduled message." });
    // Both checked before anything changes; given together (Twilio's update takes both), the
    // message is canceled first, so a scheduled message can be canceled and redacted in one call.
    if (p.Status !== undefined && p.Status !== 'canceled') throw AppError.of('INVALID_PARAMETER', { attribute: 'Status', message: `Status ${preview(p.Status)} cannot be set: only 'canceled' (to cancel a scheduled message).` });
    if (p.Body !== undefined && p.Body !== '') throw AppError.of('REDACT_BODY_NOT_EMPTY');
    const canceled = p.Status === undefined ? m : ((await deps.scheduled.cancel(projectId, m.id)) ?? m);
    return toCompatMessage(p.Body === undefined ? canceled : await messages.redact(projectId, m.id));
  };
  app.post<{ Params: MessageParams }>('/Accounts/:AccountSid/Messages/:Sid', { schema: updateMessageSchema }, (request) =>
    update(request).catch((err: unknown) => {
      throw givenOnce(err, request.body, UPDATE_PARAMS);
    }),
  );

  app.delete<{ Params: MessageParams }>('/Accounts/:AccountSid/Messages/:Sid', { schema: deleteMessageSchema }, async (request, reply) => {
    const { projectId } = principalOf(request);
    const m = await liveMessage(request, projectId, sidOf(request.params.Sid));
    await messages.delete(projectId, m.id);
    return reply.code(204).send();
  });

  // Feedback (Twilio's subresource, sent after `ProvideFeedback=true` when the recipient acted on
  // the message, e.g. entered a one-time code): acknowledged as Twilio answers it, 201, and not kept,
  // as ProvideFeedback is ignored; an Outcome other than confirmed/unconfirmed is refused.
  const createFeedback = async (request: FastifyRequest<{ Params: AccountParams & { MessageSid: string } }>, reply: FastifyReply) => {
    const { projectId } = principalOf(request);
    const m = await liveMessage(request, projectId, request.params.MessageSid);
    refuseRepeated(request.body, { Outcome: 'INVALID_PARAMETER' });
    const outcome = textParam(paramsOf(request.body).Outcome) ?? 'confirmed';
    if (outcome !== 'confirmed' && outcome !== 'unconfirmed') throw AppError.of('INVALID_PARAMETER', { attribute: 'Outcome', message: `Outcome ${preview(outcome)} must be confirmed or unconfirmed.` });
    const now = rfc2822(deps.clock.now());
    return reply.code(201).send({ account_sid: projectId, message_sid: m.id, outcome, date_created: now, date_updated: now, uri: `${accountUri(projectId)}/Messages/${m.id}/Feedback.json` });
  };
  for (const path of ['/Accounts/:AccountSid/Messages/:MessageSid/Feedback', '/Accounts/:AccountSid/Messages/:MessageSid/Feedback.json']) app.post(path, { schema: createFeedbackSchema }, createFeedback);

  const listMedia = async (request: FastifyRequest<{ Params: AccountParams & { MessageSid: string } }>): Promise<CompatMediaPage> => {
    const { projectId } = principalOf(request);
    const m = await liveMessage(request, projectId, request.params.MessageSid);
    const query = request.query as Record<string, unknown>;
    // Unknown parameters are refused as on the other lists: a misspelt filter would answer every media item.
    const page = parseCompatPage(query, ['DateCreated', 'DateCreated<', 'DateCreated>']);
    const created = dateBounds(query, 'DateCreated');
    const list = await reads.pageTokens.list(projectId, `media:${m.id}`, (sid) => reads.media.seqOf(projectId, m.id, sid));
    const seqPage = await compatSeqPage(page, 'oldest-first', list);
    const rows = await reads.media.listForMessage(projectId, m.id, { ...(created.from !== undefined ? { createdFrom: created.from } : {}), ...(created.to !== undefined ? { createdTo: created.to } : {}) }, seqPage);
    const { items, meta } = compatPage(rows, page, `${accountUri(projectId)}/Messages/${m.id}/Media.json`, filterParams(query), list);
    return { ...meta, media_list: items.map(toCompatMedia) };
  };
  for (const path of ['/Accounts/:AccountSid/Messages/:MessageSid/Media', '/Accounts/:AccountSid/Messages/:MessageSid/Media.json']) app.get(path, { schema: listMediaSchema }, boundedList(listMedia));

  app.get<{ Params: MediaParams }>('/Accounts/:AccountSid/Messages/:MessageSid/Media/:Sid', { schema: fetchMediaSchema }, boundedFetch(async (request, reply) => {
    const { media } = await namedMedia(request);
    // Without an extension the media itself, with `.json` its record (SignalWire's "Retrieve a media
    // object", compatibility-api/client-sdks/methods/media/retrieve; Twilio's Media resource, which
    // redirects to its storage). Switchboard keeps URLs, not files: it redirects to the URL. SignalWire's
    // TypeScript SDK gets the record without `.json`, as its getMedia expects.
    const wantsRecord = request.params.Sid.endsWith('.json') || isSignalWireTsSdk(request.headers['user-agent']);
    const location = wantsRecord ? undefined : mediaLocation(media.url);
    if (location !== undefined) return reply.redirect(location, 302);
    return toCompatMedia(media);
  }));

  app.delete<{ Params: MediaParams }>('/Accounts/:AccountSid/Messages/:MessageSid/Media/:Sid', { schema: deleteMediaSchema }, async (request, reply) => {
    const { projectId, m, media } = await namedMedia(request);
    await deps.messages.deleteMedia(projectId, m, media.id);
    return reply.code(204).send();
  });

}

/**
 * cXML applications (`/Accounts/{AccountSid}/Applications`), messaging fields only: a number whose
 * handler is `laml_application` sends its inbound messages to the application's `SmsUrl`, and a
 * message created with `ApplicationSid` reports its status to `MessageStatusCallback` (alias
 * `SmsStatusCallback`).
 */
import type { CompatApplicationPage, ErrorKey } from '@switchboard/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/app-error.js';
import { isUuid } from '../../domain/ids.js';
import { principalOf } from '../auth.js';
import type { CompatDeps } from './deps.js';
import { resourceNotFound } from './error-format.js';
import { singleParam } from '../query-params.js';
import { boundedList } from '../list-slots.js';
import { checkApiVersion, paramsOf, refuseRepeated, sidOf } from './params.js';
import { compatPage, compatSeqPage, filterParams, parseCompatPage } from './paging.js';
import { accountUri, toCompatApplication } from './presenters.js';
import { createApplicationSchema, deleteApplicationSchema, fetchApplicationSchema, listApplicationsSchema, updateApplicationSchema } from './schemas.js';

type Params = { AccountSid: string; Sid: string };

/** The error of an invalid value of each parameter an application's create or update reads (a repeated one is refused with it). */
const APPLICATION_PARAM_ERRORS: Readonly<Record<string, ErrorKey>> = {
  FriendlyName: 'INVALID_PARAMETER',
  SmsUrl: 'WEBHOOK_URL_INVALID',
  SmsMethod: 'INVALID_PARAMETER',
  SmsFallbackUrl: 'WEBHOOK_URL_INVALID',
  SmsFallbackMethod: 'INVALID_PARAMETER',
  SmsStatusCallback: 'STATUS_CALLBACK_INVALID',
  MessageStatusCallback: 'STATUS_CALLBACK_INVALID',
  ApiVersion: 'INVALID_PARAMETER',
};

export async function applicationRoutes(app: FastifyInstance, deps: CompatDeps): Promise<void> {
  const { reads, applications } = deps;
  const sid = (request: FastifyRequest<{ Params: Params }>) => {
    const s = sidOf(request.params.Sid);
    if (!isUuid(s)) throw resourceNotFound(request.url);
    return s.toLowerCase();
  };
  /** An unknown application is Twilio's 20404 naming the path as sent, as for every other resource. */
  const orNotFound = async <T>(request: FastifyRequest, work: Promise<T>): Promise<T> => {
    try {
      return await work;
    } catch (err) {
      throw err instanceof AppError && err.key === 'NOT_FOUND' ? resourceNotFound(request.url) : err;
    }
  };

  for (const path of ['/Accounts/:AccountSid/Applications', '/Accounts/:AccountSid/Applications.json']) {
    app.post(path, { schema: createApplicationSchema }, async (request, reply) => {
      const { projectId } = principalOf(request);
      const p = paramsOf(request.body);
      refuseRepeated(request.body, APPLICATION_PARAM_ERRORS);
      checkApiVersion(p);
      return reply.code(201).send(toCompatApplication(await applications.create(projectId, p)));
    });
    app.get(path, { schema: listApplicationsSchema }, boundedList(async (request): Promise<CompatApplicationPage> => {
      const { projectId } = principalOf(request);
      const query = request.query as Record<string, unknown>;
      const page = parseCompatPage(query, ['FriendlyName']);
      const list = await reads.pageTokens.list(projectId, 'cxml_applications', (s) => reads.applications.seqOf(projectId, s));
      const seqPage = await compatSeqPage(page, 'newest-first', list);
      const friendlyName = singleParam(query, 'FriendlyName');
      const rows = await reads.applications.list(projectId, friendlyName !== undefined ? { friendlyName } : {}, seqPage);
      const { items, meta } = compatPage(rows, page, `${accountUri(projectId)}/Applications.json`, filterParams(query), list);
      return { ...meta, applications: items.map(toCompatApplication) };
    }));
  }

  app.get<{ Params: Params }>('/Accounts/:AccountSid/Applications/:Sid', { schema: fetchApplicationSchema }, async (request) => {
    const { projectId } = principalOf(request);
    return toCompatApplication(await orNotFound(request, applications.get(projectId, sid(request))));
  });

  app.post<{ Params: Params }>('/Accounts/:AccountSid/Applications/:Sid', { schema: updateApplicationSchema }, async (request) => {
    const { projectId } = principalOf(request);
    // An unknown sid is 20404 whatever the parameters, as for a number (Twilio finds the resource first).
    const id = (await orNotFound(request, applications.get(projectId, sid(request)))).id;
    const p = paramsOf(request.body);
    refuseRepeated(request.body, APPLICATION_PARAM_ERRORS);
    checkApiVersion(p);
    return toCompatApplication(await orNotFound(request, applications.update(projectId, id, p)));
  });

  app.delete<{ Params: Params }>('/Accounts/:AccountSid/Applications/:Sid', { schema: deleteApplicationSchema }, async (request, reply) => {
    const { projectId } = principalOf(request);
    await orNotFound(request, applications.delete(projectId, sid(request)));
    return reply.code(204).send();
  });
}

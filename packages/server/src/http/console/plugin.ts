/**
 * The web console surface: its built files at /console, its session endpoints (login with a
 * project id and API token, the dev login, logout) and the small console API under /api/console
 * for what the public APIs do not offer. Everything else the console does goes through the public
 * APIs, which accept its session cookie (see `ConsoleSessions`). Errors use the native JSON shape.
 */
import type { ConsoleConnections, ConsoleFeatures, ConsoleMessageDetail, ConsoleNoSession, ConsoleOutbox, ConsoleOutboxRedrive, ConsolePage, ConsoleConversation, ConsoleMessageSummary, ConsoleRelaySession, ConsoleSession } from '@switchboard/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, detail } from '../../domain/app-error.js';
import { TOKEN_SCOPES } from '../../domain/credentials.js';
import type { Principal } from '../../engine/admin/credential-verifier.js';
import { authenticate, parseBasicAuth, principalOf, verifyCredentials } from '../auth.js';
import type { HttpDeps } from '../deps.js';
import { useStrictJson } from '../json-body.js';
import { useNativeErrors } from '../native/error-format.js';
import { boundedFetch } from '../fetch-slots.js';
import { boundedList } from '../list-slots.js';
import { clearedSessionCookie, cookieSecure as secure, sessionCookie } from './cookies.js';
import { devLoginAllowed, type DevLoginPolicy } from './dev-login.js';
import type { ConsoleFeed, StillAllowed } from './feed.js';
import { conversationQuery, includeDeletedQuery, messageQuery, noQuery, outboxQuery, redriveQuery } from './query.js';
import { segmentsOf, toConsoleConversation, toConsoleDelivery, toConsoleEvent, toConsoleMessage, toSummary } from './presenters.js';
import type { ConsoleSessions, LiveSession } from './sessions.js';
import { registerStaticFiles } from './static-files.js';
import { sealsOf } from '../sealed-positions.js';

/**
 * A delivered status callback is replayed only while its message has fewer webhook deliveries than
 * this: each replay is a new one, and a message's detail lists them all with their attempts, so a
 * replay loop grew that answer without end (3,000 replays: 2.4 MB, 3,000 reads of attempts).
 */
export const MAX_REPLAYABLE_DELIVERIES = 100;

/**
 * The attempts of a delivery a message's detail shows, the newest: a failing callback retried over
 * and over (each retry one more attempt, with up to 512 bytes of its answer) grew that answer
 * without end. The delivery's `attempts` still counts them all.
 */
export const ATTEMPTS_SHOWN = 50;

/** Live RELAY sessions of a project, when the RELAY surface is part of this server. */
export type RelaySessionSource = (projectId: string) => ConsoleRelaySession[];

export interface ConsoleDeps {
  readonly http: HttpDeps;
  readonly sessions: ConsoleSessions;
  readonly feed: ConsoleFeed;
  readonly devLogin: DevLoginPolicy;
  /** Folder of the built console (index.html and assets/), or null when there is none. */
  readonly staticDir: string | null;
  readonly relaySessions?: RelaySessionSource;
}

/** A request that sets a cookie must not come from another site's page: its Origin, when sent, names this host. */
function checkOrigin(request: FastifyRequest): void {
  const origin = request.headers.origin;
  if (origin === undefined) return;
  let host: string | null = null;
  try {
    host = new URL(origin).host;
  } catch {
    host = null;
  }
  if (host === null || host !== request.headers.host) throw AppError.of('FORBIDDEN', { message: 'Log in from the console itself: this request came from another origin.' });
}

export function consoleSurface(deps: ConsoleDeps) {
  const { http, sessions, feed } = deps;
  const features: ConsoleFeatures = { relay: !!deps.relaySessions };

  async function sessionBody(live: LiveSession): Promise<ConsoleSession> {
    const project = await http.reads.projects.get(live.record.projectId);
    const numbers = await http.reads.numbers.list(live.record.projectId, {}, { limit: 500 });
    return {
      authenticated: true,
      project_id: live.record.projectId,
      project_name: project?.name ?? '',
      scopes: [...live.record.scopes],
      dev: live.record.dev,
      csrf_token: live.csrfToken,
      expires_at: new Date(live.record.expiresAt).toISOString(),
      numbers: numbers.map((n) => n.number).reverse(),
      features,
    };
  }

  /** What keeps a live feed open: the session it was opened with, or its Basic credentials, still valid. */
  function stillAllowed(request: FastifyRequest, principal: Principal): StillAllowed {
    if (principal.via === 'console') return () => sessions.stillOpen(request);
    const creds = parseBasicAuth(request.headers.authorization);
    return async () => !!creds && (await http.verifier.verify(creds.user, creds.password)) !== null;
  }

  function setCookie(request: FastifyRequest, reply: FastifyReply, live: LiveSession): void {
    reply.header('Set-Cookie', sessionCookie(live.id, sessions.secondsLeft(live.record), secure(request, http.publicUrl)));
  }

  /**
   * A login replaces the session the browser held: that one is ended, not left open on the server
   * until it expires with nothing in the browser to end it (a logout ends only the new one).
   */
  async function endHeldSession(request: FastifyRequest): Promise<void> {
    const held = await sessions.resolve(request);
    if (!held) return;
    await sessions.close(held.id);
    feed.recheck(held.record.projectId);
  }

  return async (app: FastifyInstance): Promise<void> => {
    registerStaticFiles(app, deps.staticDir);
    // End live streams before the server waits for its connections to close.
    app.addHook('preClose', async () => feed.close());
    await app.register(async (api) => {
      useStrictJson(api);
      useNativeErrors(api, 'messaging', 'the console API');
      // Its answers' nosniff and no-store headers are set for every answer of the server in http/app.ts.
      const open = new Set(['/api/console/session', '/api/console/login', '/api/console/dev-login', '/api/console/logout']);
      api.addHook('onRequest', async (request) => {
        if (!open.has(request.routeOptions.url ?? '')) await authenticate(http.verifier, request, 'messaging');
      });

      // --- session -----------------------------------------------------------------------
      api.get('/api/console/session', async (request): Promise<ConsoleSession | ConsoleNoSession> => {
        noQuery(request.query as Record<string, unknown>, 'The session check');
        const live = await sessions.resolve(request);
        if (live) return sessionBody(live);
        return { authenticated: false, dev_login: devLoginAllowed(deps.devLogin, request) };
      });

      api.post('/api/console/login', { schema: { body: { type: 'object' } } }, async (request, reply) => {
        checkOrigin(request);
        const b = request.body as Record<string, unknown>;
        // A field given as another type is not missing: the answer says what it must be.
        const problem = (name: string, what: string) => {
          const v = b[name];
          if (typeof v === 'string') return v.trim() === '' ? `${name} is required: ${what}.` : undefined;
          if (v === undefined || v === null) return `${name} is required: ${what}.`;
          const kind = Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`;
          return `${name} must be a string: ${what} (got ${kind}).`;
        };
        const errors = [['project_id', 'the ID of your project'], ['api_token', 'an API token of that project']].flatMap(([name, what]) => {
          const message = problem(name!, what!);
          return message ? [detail('INVALID_PARAMETER', { attribute: name!, message })] : [];
        });
        if (errors.length) throw new AppError(errors);
        const principal = await verifyCredentials(http.verifier, request, (b.project_id as string).trim(), (b.api_token as string).trim());
        if (!principal) throw AppError.of('UNAUTHORIZED', { message: 'That project ID and API token do not match.' });
        await endHeldSession(request);
        const live = await sessions.open(principal.projectId, { tokenId: principal.tokenId ?? null, scopes: principal.scopes, dev: false });
        setCookie(request, reply, live);
        return sessionBody(live);
      });

      api.post('/api/console/dev-login', async (request, reply) => {
        checkOrigin(request);
        if (!devLoginAllowed(deps.devLogin, request)) throw AppError.of('DEV_LOGIN_UNAVAILABLE');
        // The console, in a browser, names its origin on every POST. A request naming none came
        // from a program on this machine: another project's status callback or cXML URL pointed
        // here (loopback is not refused by default) opened the startup project's session, and its
        // attempt log showed the answer: that project's id, name and numbers.
        if (request.headers.origin === undefined) throw AppError.of('DEV_LOGIN_UNAVAILABLE', { message: 'The dev login is the console’s: open the console in a browser (this request named no Origin).' });
        await endHeldSession(request);
        const live = await sessions.open(deps.devLogin.projectId!, { tokenId: null, scopes: TOKEN_SCOPES, dev: true });
        setCookie(request, reply, live);
        return sessionBody(live);
      });

      api.post('/api/console/logout', async (request, reply) => {
        // The CSRF check applies: a session can only be ended by the console that holds it.
        const principal = await sessions.authenticate(request).catch((err: unknown) => {
          if (err instanceof AppError && err.key === 'UNAUTHORIZED') return null;
          throw err;
        });
        const live = principal ? await sessions.resolve(request) : null;
        if (live) {
          await sessions.close(live.id);
          // Its open live feeds end now, not at their next check.
          feed.recheck(live.record.projectId);
        }
        reply.header('Set-Cookie', clearedSessionCookie(secure(request, http.publicUrl)));
        return { authenticated: false, dev_login: devLoginAllowed(deps.devLogin, request) } satisfies ConsoleNoSession;
      });

      // --- messages ------------------------------------------------------------------------
      api.get('/api/console/messages', boundedList(async (request): Promise<ConsolePage<ConsoleMessageSummary>> => {
        const { projectId } = principalOf(request);
        const seals = await sealsOf(http.reads.pageTokens, projectId);
        const { filter, limit, beforeSeq } = messageQuery(request.query as Record<string, unknown>, seals.messages.open);
        // At most `listScanRows` messages examined (a search `q` over a long history too): a short
        // or empty page's `next` continues where the scan stopped.
        const { rows, resumeSeq } = await http.reads.messages.listScanned(projectId, filter, { limit: limit + 1, ...(beforeSeq !== undefined ? { beforeSeq } : {}) }, http.listScanRows);
        const page = rows.slice(0, limit);
        const next = rows.length > limit ? page[page.length - 1]!.seq : resumeSeq;
        return { data: page.map((m) => toSummary(m, seals)), next: next !== null ? seals.messages.seal(next) : null };
      }));

      api.get<{ Params: { id: string } }>('/api/console/messages/:id', boundedFetch(async (request): Promise<ConsoleMessageDetail> => {
        const { projectId } = principalOf(request);
        const id = request.params.id;
        // Deleted through the Compatibility API: gone, as from the list, unless include_deleted=true.
        const includeDeleted = includeDeletedQuery(request.query as Record<string, unknown>);
        const m = id.length <= 64 ? await http.reads.messages.get(projectId, id) : undefined;
        if (!m || (m.deletedAt !== null && !includeDeleted)) throw AppError.of('NOT_FOUND', { message: `Message ${id} was not found.` });
        const [events, deliveries, seals] = await Promise.all([http.reads.events.listForMessage(projectId, m.id), http.reads.webhooks.listForMessage(projectId, m.id), sealsOf(http.reads.pageTokens, projectId)]);
        const webhooks = await Promise.all(deliveries.map(async (d) => toConsoleDelivery(d, seals, await http.reads.webhooks.listAttempts(projectId, d.id, ATTEMPTS_SHOWN))));
        return { message: toConsoleMessage(m, seals), events: events.map((e) => toConsoleEvent(e, seals)), segments: segmentsOf(m.body), webhooks };
      }));

      // --- conversations -------------------------------------------------------------------
      api.get('/api/console/conversations', boundedList(async (request): Promise<ConsolePage<ConsoleConversation>> => {
        const { projectId } = principalOf(request);
        const seals = await sealsOf(http.reads.pageTokens, projectId);
        const { ours, limit, beforeSeq } = conversationQuery(request.query as Record<string, unknown>, seals.messages.open);
        // Threads whose newest message is among the next `listScanRows` messages: `next` continues from there.
        const { rows, resumeSeq } = await http.reads.messages.listConversationsScanned(projectId, ours !== undefined ? { ours } : {}, { limit: limit + 1, ...(beforeSeq !== undefined ? { beforeSeq } : {}) }, http.listScanRows);
        const page = rows.slice(0, limit);
        const next = rows.length > limit ? page[page.length - 1]!.lastSeq : resumeSeq;
        return { data: page.map((c) => toConsoleConversation(c, seals)), next: next !== null ? seals.messages.seal(next) : null };
      }));

      // --- webhook outbox ------------------------------------------------------------------
      api.get('/api/console/outbox', boundedList(async (request): Promise<ConsoleOutbox> => {
        const { projectId } = principalOf(request);
        const seals = await sealsOf(http.reads.pageTokens, projectId);
        const { status, limit, beforeId } = outboxQuery(request.query as Record<string, unknown>, seals.deliveries.open);
        // Counts stop at `listScanRows` each (flagged "more than"): a full count grew with the history.
        const [rows, { counts, capped, cap }] = await Promise.all([
          http.reads.webhooks.listForProject(projectId, status ? { status } : {}, { limit: limit + 1, ...(beforeId !== undefined ? { beforeId } : {}) }),
          http.reads.webhooks.countByStatus(projectId, http.listScanRows),
        ]);
        const page = rows.slice(0, limit);
        return { counts: { ...counts }, capped: { ...capped }, count_cap: cap, data: page.map((d) => toConsoleDelivery(d, seals)), next: rows.length > limit ? seals.deliveries.seal(page[page.length - 1]!.id) : null };
      }));

      api.post<{ Params: { id: string } }>('/api/console/outbox/:id/retry', async (request) => {
        const { projectId } = principalOf(request);
        const seals = await sealsOf(http.reads.pageTokens, projectId);
        const id = seals.deliveries.open(request.params.id);
        const existing = id === undefined ? undefined : await http.reads.webhooks.get(projectId, id);
        if (!existing) throw AppError.of('NOT_FOUND', { message: `Webhook delivery ${request.params.id} was not found.` });
        if (!(await http.webhookOutbox.retryNow(projectId, existing.id))) throw AppError.of('WEBHOOK_NOT_RETRYABLE');
        return toConsoleDelivery((await http.reads.webhooks.get(projectId, existing.id))!, seals);
      });

      // A delivered status callback sent again, as a new delivery through the outbox: same URL and
      // body (signed afresh when sent), behind any of the message's callbacks still waiting, so the
      // receiver can be tested for duplicates without re-sending the message. The original is kept.
      api.post<{ Params: { id: string } }>('/api/console/outbox/:id/replay', async (request, reply) => {
        const { projectId } = principalOf(request);
        const seals = await sealsOf(http.reads.pageTokens, projectId);
        const id = seals.deliveries.open(request.params.id);
        const original = id === undefined ? undefined : await http.reads.webhooks.get(projectId, id);
        if (!original) throw AppError.of('NOT_FOUND', { message: `Webhook delivery ${request.params.id} was not found.` });
        if (original.status !== 'delivered' || original.kind !== 'status_callback' || original.messageId === null) throw AppError.of('WEBHOOK_NOT_REPLAYABLE');
        const { messageId, kind, url, method, contentType, body, signature, fallbackUrl, fallbackMethod, maxAttempts } = original;
        // Bounded: each replay is one more delivery that the message's detail lists with its attempts.
        if ((await http.reads.webhooks.listForMessage(projectId, messageId)).length >= MAX_REPLAYABLE_DELIVERIES) {
          throw AppError.of('WEBHOOK_NOT_REPLAYABLE', { message: `This message already has ${MAX_REPLAYABLE_DELIVERIES} webhook deliveries, the most a replay may add to.` });
        }
        await http.webhookOutbox.schedule([{ projectId, messageId, kind, url, method, contentType, body, signature, fallbackUrl, fallbackMethod, maxAttempts, nextAttemptAt: http.clock.now() }]);
        const all = await http.reads.webhooks.listForMessage(projectId, messageId);
        const replay = all.reduce((newest, d) => (d.id > newest.id ? d : newest));
        reply.code(201);
        return toConsoleDelivery(replay, seals);
      });

      // Failed deliveries of the caller's project only, by URL and creation time. Every field is
      // optional, so no body at all means every failed delivery, as `{}` does.
      api.post('/api/console/outbox/redrive', async (request): Promise<ConsoleOutboxRedrive> => {
        const { projectId } = principalOf(request);
        const body = request.body ?? {};
        if (typeof body !== 'object' || Array.isArray(body)) throw AppError.of('MALFORMED_BODY', { message: 'The request body must be a JSON object (or absent).' });
        return { redriven: await http.webhookOutbox.redrive(projectId, redriveQuery(body as Record<string, unknown>)) };
      });

      // --- connections ---------------------------------------------------------------------
      api.get('/api/console/connections', async (request): Promise<ConsoleConnections> => {
        const { projectId } = principalOf(request);
        noQuery(request.query as Record<string, unknown>, 'The connections view');
        return { relay: deps.relaySessions ? { available: true, sessions: deps.relaySessions(projectId) } : { available: false } };
      });

      // --- live feed -----------------------------------------------------------------------
      api.get('/api/console/events', async (request, reply) => {
        const principal = principalOf(request);
        const { projectId } = principal;
        noQuery(request.query as Record<string, unknown>, 'The live feed');
        // HEAD gets the stream's headers and ends: a stream it never writes to would hold its
        // connection (and a feed slot) with not even the headers sent.
        if (request.method === 'HEAD') return reply.type('text/event-stream; charset=utf-8').send();
        if (!feed.canAccept(projectId)) throw AppError.of('RATE_LIMITED', { message: 'Too many live feeds are open for this project; close a console tab.' });
        const seals = await sealsOf(http.reads.pageTokens, projectId);
        // Written with the stream's headers: a hijacked reply skips the hook that re-issues the cookie.
        const renewed = sessions.renewedCookie(request);
        if (renewed) reply.raw.setHeader('Set-Cookie', renewed);
        reply.hijack();
        feed.attach(projectId, reply.raw, seals, stillAllowed(request, principal));
      });
    });
  };
}

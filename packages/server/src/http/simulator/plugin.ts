/**
 * The simulator's handset API, in the spirit of Mailpit and LocalStack: list and search what the
 * simulated phones received, clear it, wait for a matching message (long poll), inject a message
 * from a phone to one of our numbers, and read or change the simulator's behaviour. Everything is
 * the caller's project's own: its inbox, and its delays and rules (the server's defaults until it
 * changes them), which apply to its messages only. Errors use the native JSON shapes. Inbox entries
 * carry the one-time code found in their body (`code`; `code_pattern` to say what a code looks like).
 */
import type { ErrorDetail } from '@switchboard/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, detail } from '../../domain/app-error.js';
import type { SimulatorControl, SimulatorOverridesPatch, SimulatorTuning } from '../../domain/ports/simulator.js';
import type { HandsetFilter, HandsetMessageRecord } from '../../domain/ports/store.js';
import { preview } from '../../domain/preview.js';
import { checkContent, checkDestination } from '../../domain/send-request.js';
import { parseCodePattern } from '../../domain/simulator/one-time-code.js';
import { MAGIC_NUMBERS } from '../../domain/simulator/outcomes.js';
import { describeOutcomeRule, parseOutcomeRuleSet } from '../../domain/simulator/rules.js';
import { authenticate, principalOf } from '../auth.js';
import type { HttpDeps } from '../deps.js';
import { useStrictJson } from '../json-body.js';
import { clockRoutes } from './clock-routes.js';
import { CODE_PATTERN_BUDGET_MS, codeFinder, PatternTime } from './code-finder.js';
import { useNativeErrors } from '../native/error-format.js';
import { addressParam, checkParamNames, givenOnceMessage, singleParam } from '../query-params.js';
import { isoSeconds, toNativeMessage } from '../native/presenters.js';
import { boundedList } from '../list-slots.js';
import { clearHandsetSchema, inboundSchema, listHandsetSchema, settingsSchema, waitHandsetSchema } from './schemas.js';
import { didYouMean } from '../../domain/closest-name.js';
import { sealsOf, type ProjectSeals } from '../sealed-positions.js';
import { OpenWaits } from './waits.js';

const MAX_WAIT_MS = 120_000;

/** `id` is the inbox position sealed (http/sealed-positions.ts): it counts every project's handset messages. */
function present(h: HandsetMessageRecord, code: (body: string) => string | null, seals: ProjectSeals) {
  return { id: seals.handset.seal(h.seq), message_id: h.messageId, from: h.from, to: h.to, body: h.body, media: h.media, segments: h.segments, received_at: isoSeconds(h.receivedAt), code: code(h.body) };
}

/** The caller's `code_pattern` (a regular expression), or undefined for the default (4–8 digits). */
function codePatternOf(q: Record<string, unknown>): RegExp | undefined {
  if (q.code_pattern === undefined) return undefined;
  const parsed = typeof q.code_pattern === 'string' ? parseCodePattern(q.code_pattern) : 'code_pattern must be given once.';
  if (typeof parsed === 'string') throw AppError.of('FILTER_INVALID', { attribute: 'code_pattern', message: parsed });
  return parsed;
}

function wholeNumberParam(raw: unknown, name: string, min: number, max: number, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (Array.isArray(raw)) throw AppError.of('FILTER_INVALID', { attribute: name, message: givenOnceMessage(name) });
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw AppError.of('FILTER_INVALID', { attribute: name, message: `${name} must be a whole number from ${min} to ${max}.` });
  }
  return Number(raw);
}

function secondsParam(raw: unknown, name: string, max: number, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (typeof raw !== 'string' || !/^\d+(\.\d+)?$/.test(raw) || Number(raw) > max) {
    throw AppError.of('FILTER_INVALID', { attribute: name, message: `${name} must be a number of seconds from 0 to ${max}.` });
  }
  return Number(raw);
}

/** The query parameters of the inbox list; waiting takes `timeout` too. */
const INBOX_PARAMS = ['to', 'from', 'contains', 'since', 'limit', 'code_pattern'];

function filterFrom(q: Record<string, unknown>, seals: ProjectSeals): HandsetFilter {
  // A filter given twice is an error: ignoring it would answer (or wait for) any number's message.
  const text = (name: string) => singleParam(q, name)?.slice(0, 200);
  const since = text('since');
  // An `id` of this project's inbox; a number would let a project probe where its messages stand among every project's.
  const sinceSeq = since === undefined ? undefined : seals.handset.open(since);
  if (since !== undefined && sinceSeq === undefined) {
    throw AppError.of('FILTER_INVALID', { attribute: 'since', message: `since must be the id of a message of this inbox (got ${preview(since)}).` });
  }
  const f: { -readonly [K in keyof HandsetFilter]: HandsetFilter[K] } = {};
  const to = addressParam(q, 'to');
  const from = addressParam(q, 'from');
  const contains = text('contains');
  if (to) f.to = to;
  if (from) f.from = from;
  if (contains) f.bodyContains = contains;
  if (sinceSeq !== undefined) f.sinceSeq = sinceSeq;
  return f;
}

function matches(h: HandsetMessageRecord, projectId: string, f: HandsetFilter): boolean {
  return (
    h.projectId === projectId &&
    (f.to === undefined || h.to === f.to) &&
    (f.from === undefined || h.from === f.from) &&
    (f.sinceSeq === undefined || h.seq > f.sinceSeq) &&
    (f.bodyContains === undefined || h.body.toLowerCase().includes(f.bodyContains.toLowerCase()))
  );
}

/** The fields of `POST /api/simulator/inbound`. */
const INBOUND_FIELDS = ['from', 'to', 'body', 'media'] as const;

/** The fields `PUT /api/simulator/settings` changes. */
const SETTABLE = ['delay_ms', 'delayed_receipt_ms', 'mms_receipts', 'rules'] as const;

function presentTuning(s: SimulatorTuning) {
  return { delay_ms: s.delayMs, delayed_receipt_ms: s.delayedReceiptMs, mms_receipts: s.mmsReceipts, rules: s.rules.map(describeOutcomeRule) };
}

export async function simulatorPlugin(app: FastifyInstance, opts: { deps: HttpDeps; simulator: SimulatorControl; operatorProjectId: string }): Promise<void> {
  const { deps, simulator } = opts;
  useStrictJson(app);
  useNativeErrors(app, 'messaging', 'the simulator API');
  // Response schemas describe the answers for the OpenAPI document; they are written as built.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.addHook('onRequest', async (request) => {
    // By the route the router chose, not the raw target: `/api/simulator/%73ettings` and an
    // absolute-form `http://host/api/simulator/settings` are the same route.
    const write = request.method !== 'GET' && request.routeOptions.url === '/api/simulator/settings';
    await authenticate(deps.verifier, request, write ? 'management' : 'messaging');
  });
  await app.register(clockRoutes(deps.clock, deps.sharedClock, opts.operatorProjectId));
  // One project's code patterns share one budget of the thread (code-finder.ts).
  const patternTime = new PatternTime();
  const openWaits = new OpenWaits();
  const codeOf = (request: FastifyRequest, pattern: RegExp | undefined) =>
    codeFinder(pattern, patternTime.of(principalOf(request).projectId), () => {
      request.retryAfterSeconds = 1;
      throw AppError.of('RATE_LIMITED', { message: `Your project's code_pattern matches used their time on this server (${CODE_PATTERN_BUDGET_MS} ms a second, all requests together); retry in a second, or wait for fewer messages at once.` });
    });

  app.get('/api/simulator/messages', { schema: listHandsetSchema }, boundedList(async (request) => {
    const { projectId } = principalOf(request);
    const q = request.query as Record<string, unknown>;
    checkParamNames(q, INBOX_PARAMS);
    const limit = wholeNumberParam(q.limit, 'limit', 1, 1000, 100);
    const pattern = codePatternOf(q);
    const seals = await sealsOf(deps.reads.pageTokens, projectId);
    const rows = await deps.reads.handsets.list(projectId, filterFrom(q, seals), limit);
    const code = codeOf(request, pattern);
    return { data: rows.map((h) => present(h, code, seals)) };
  }));

  app.delete('/api/simulator/messages', { schema: clearHandsetSchema }, async (request) => {
    const { projectId } = principalOf(request);
    // It empties the whole inbox: `?to=…` was ignored and every phone's messages went, not that one's.
    const filter = Object.keys(request.query as Record<string, unknown>)[0];
    if (filter !== undefined) {
      throw AppError.of('FILTER_INVALID', { attribute: filter, message: `DELETE /api/simulator/messages empties the whole inbox and takes no filter (got '${filter}'); nothing was deleted. Read what you need with the list's filters, then empty it.` });
    }
    return { deleted: await deps.reads.handsets.clear(projectId) };
  });

  app.get('/api/simulator/messages/wait', { schema: waitHandsetSchema }, async (request, reply) => {
    const { projectId } = principalOf(request);
    const q = request.query as Record<string, unknown>;
    checkParamNames(q, [...INBOX_PARAMS.filter((p) => p !== 'limit'), 'timeout']);
    const seals = await sealsOf(deps.reads.pageTokens, projectId);
    const filter = filterFrom(q, seals);
    const pattern = codePatternOf(q);
    const timeoutMs = secondsParam(q.timeout, 'timeout', MAX_WAIT_MS / 1000, 10) * 1000;
    if (!openWaits.take(projectId)) {
      request.retryAfterSeconds = 1;
      throw AppError.of('RATE_LIMITED', { message: `Too Many Requests: this project already has ${openWaits.perProject} waits for a handset message open on this server; wait for fewer messages at once, or retry when one has ended.` });
    }
    try {
      return await waitFor(request, reply, projectId, filter, pattern, seals, timeoutMs);
    } finally {
      openWaits.release(projectId);
    }
  });

  /**
   * Answer the wait: at once with a message already in the inbox, else with the first to arrive.
   * The first look is the list's query, so it runs in the project's list slots (`boundedList`).
   */
  async function waitFor(request: FastifyRequest, reply: FastifyReply, projectId: string, filter: HandsetFilter, pattern: RegExp | undefined, seals: ProjectSeals, timeoutMs: number) {
    // Subscribe before looking, so a message arriving in between is not missed.
    let resolveHit!: (h: HandsetMessageRecord | null) => void;
    const hit = new Promise<HandsetMessageRecord | null>((r) => (resolveHit = r));
    const unsubscribe = deps.bus.subscribe('handset.received', (h) => {
      if (matches(h, projectId, filter)) resolveHit(h);
    });
    const onClose = () => resolveHit(null);
    request.raw.on('close', onClose);
    let timer: NodeJS.Timeout | undefined;
    try {
      const existing = await boundedList(async () => deps.reads.handsets.list(projectId, filter, 1))(request, reply);
      if (existing[0]) resolveHit(existing[0]);
      // The time runs from the look: started before it, a short timeout ended the wait before an
      // asynchronous look (PostgreSQL) answered, and a message already there was answered 408.
      timer = setTimeout(() => resolveHit(null), timeoutMs);
      const found = await hit;
      if (!found) return reply.code(408).send({ error: 'Request Timeout', message: `No matching message reached a handset within ${timeoutMs / 1000} s.` });
      return present(found, codeOf(request, pattern), seals);
    } finally {
      clearTimeout(timer);
      unsubscribe();
      request.raw.off('close', onClose);
    }
  }

  app.post('/api/simulator/inbound', { schema: { ...inboundSchema, body: { type: 'object' } } }, async (request, reply) => {
    const { projectId } = principalOf(request);
    const b = request.body as Record<string, unknown>;
    // A misnamed field was dropped: `media_url` or `mediaUrl` made the picture an SMS without it.
    const unknown = Object.keys(b).find((k) => !(INBOUND_FIELDS as readonly string[]).includes(k));
    if (unknown !== undefined) {
      throw AppError.of('INVALID_PARAMETER', { attribute: unknown, message: `Unknown field '${unknown}'${didYouMean(unknown, INBOUND_FIELDS, "'")}. A phone's message takes ${INBOUND_FIELDS.join(', ')}.` });
    }
    const errors: ErrorDetail[] = checkDestination(b.from).map(() =>
      detail('FROM_INVALID', { message: `From must be the phone's number in E.164 (got ${preview(b.from)}).` }),
    );
    const owned = typeof b.to === 'string' ? await deps.reads.numbers.getByNumber(projectId, b.to) : undefined;
    if (!owned) errors.push(detail('TO_INVALID', { message: `To must be one of your project's numbers (got ${preview(b.to)}).` }));
    const content = checkContent({ to: b.to, from: b.from, body: b.body, media: b.media, callbackFormat: 'json', origin: 'inbound' }, { refusePrivateCallbacks: false });
    errors.push(...content.errors);
    if (errors.length) throw new AppError(errors);
    const [result] = await deps.inbound.receive([{ from: b.from as string, to: b.to as string, body: content.value!.body, media: content.value!.media, carrier: 'simulator', receivedAt: deps.clock.now() }]);
    if (!result?.routed) throw AppError.of('TO_INVALID', { message: 'That number is not registered on this server.' });
    return reply.code(201).send(toNativeMessage(await deps.messages.get(projectId, result.messageId)));
  });

  app.get('/api/simulator/settings', { schema: settingsSchema }, async (request) => {
    return { ...presentTuning(await simulator.settingsOf(principalOf(request).projectId)), magic_numbers: MAGIC_NUMBERS.map(describeOutcomeRule) };
  });

  app.put('/api/simulator/settings', { schema: { body: { type: 'object' } } }, async (request) => {
    const { projectId } = principalOf(request);
    const b = request.body as Record<string, unknown>;
    // A misspelt name would change nothing yet answer 200: refuse it, naming the closest setting.
    // magic_numbers is what GET adds (read-only): a GET, edit, PUT round trip stays valid.
    const unknown = Object.keys(b).find((k) => !(SETTABLE as readonly string[]).includes(k) && k !== 'magic_numbers');
    if (unknown !== undefined) {
      throw AppError.of('INVALID_PARAMETER', { attribute: unknown, message: `Unknown simulator setting '${unknown}'${didYouMean(unknown, SETTABLE, "'")}. The settings are ${SETTABLE.join(', ')}.` });
    }
    // null returns a field to the server's default (the config file).
    const ms = (v: unknown, name: string, max: number) => {
      if (v === null) return null;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw AppError.of('INVALID_PARAMETER', { attribute: name, message: `${name} must be a whole number of milliseconds from 0 to ${max}, or null for the server's default.` });
      return v;
    };
    const p: { -readonly [K in keyof SimulatorOverridesPatch]: SimulatorOverridesPatch[K] } = {};
    if (b.delay_ms !== undefined) p.delayMs = ms(b.delay_ms, 'delay_ms', simulator.delayLimitMs(projectId));
    if (b.delayed_receipt_ms !== undefined) p.delayedReceiptMs = ms(b.delayed_receipt_ms, 'delayed_receipt_ms', 3_600_000);
    if (b.mms_receipts !== undefined) {
      if (typeof b.mms_receipts !== 'boolean' && b.mms_receipts !== null) throw AppError.of('INVALID_PARAMETER', { attribute: 'mms_receipts', message: "mms_receipts must be a boolean, or null for the server's default." });
      p.mmsReceipts = b.mms_receipts;
    }
    if (b.rules !== undefined && b.rules !== null) {
      try {
        p.rules = parseOutcomeRuleSet(b.rules);
      } catch (err) {
        throw AppError.of('INVALID_PARAMETER', { attribute: 'rules', message: (err as Error).message });
      }
    } else if (b.rules === null) p.rules = null;
    return presentTuning(await simulator.updateSettings(projectId, p));
  });
}

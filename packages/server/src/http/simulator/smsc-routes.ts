/**
 * Control of the simulator's SMSC over HTTP: see its binds, counters and the last submissions;
 * inject a mobile-originated message; throttle, slow down or drop binds. The SMSC is shared by
 * every project, so everything but MO injection needs the operator project's `management` scope;
 * any project may inject an MO to one of its own numbers (see "Tenancy" in docs/architecture.md).
 * Errors use the native JSON shape.
 */
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../domain/app-error.js';
import { didYouMean } from '../../domain/closest-name.js';
import type { SmscBehaviour, SmscControl } from '../../domain/ports/simulator.js';
import type { CredentialVerifier } from '../../engine/admin/credential-verifier.js';
import type { EngineReads } from '../../engine/reads.js';
import { authenticate, authenticateOperator, isOperator, principalOf } from '../auth.js';
import { useStrictJson } from '../json-body.js';
import { useNativeErrors } from '../native/error-format.js';

function behaviourView(b: SmscBehaviour) {
  return {
    max_submits_per_second: b.maxSubmitsPerSecond,
    throttle_next: b.throttleNext,
    response_delay_ms: b.responseDelayMs,
    drop_after_submits: b.dropAfterSubmits,
    refuse_binds: b.refuseBinds,
  };
}

const BEHAVIOUR_FIELDS = ['max_submits_per_second', 'throttle_next', 'response_delay_ms', 'drop_after_submits', 'refuse_binds'] as const;
const MO_FIELDS = ['from', 'to', 'body', 'split'] as const;

/**
 * Refuse a field the route does not take, naming the closest: a misspelt one was dropped, so
 * `{"response_delay":5000}` answered 200 and changed nothing, and an MO's `Split` went as udh8 (as
 * the simulator's other routes refuse theirs).
 */
function refuseUnknownFields(b: Record<string, unknown>, fields: readonly string[], what: string): void {
  const unknown = Object.keys(b).find((k) => !fields.includes(k));
  if (unknown !== undefined) {
    throw AppError.of('INVALID_PARAMETER', { attribute: unknown, message: `Unknown field '${unknown}'${didYouMean(unknown, fields, "'")}. ${what} ${fields.join(', ')}.` });
  }
}

function wholeNumber(v: unknown, name: string, max: number, min = 0, note = ''): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw AppError.of('INVALID_PARAMETER', { attribute: name, message: `${name} must be a whole number from ${min} to ${max}${note}.` });
  return v;
}

const MO_PATH = '/api/simulator/smsc/mo';

export function smscRoutes(deps: { verifier: CredentialVerifier; numbers: EngineReads['numbers']; smsc: SmscControl; host: string; operatorProjectId: string }) {
  const { smsc } = deps;
  return async (app: FastifyInstance): Promise<void> => {
    useStrictJson(app);
    useNativeErrors(app, 'messaging', 'the simulator SMSC API');
    app.addHook('onRequest', async (request) => {
      // By the route the router chose (as above for settings), whatever form the target takes.
      if (request.routeOptions.url === MO_PATH) await authenticate(deps.verifier, request, 'messaging');
      else await authenticateOperator(deps.verifier, request, deps.operatorProjectId);
    });

    app.get('/api/simulator/smsc', async () => ({
      host: deps.host,
      port: smsc.port,
      binds: smsc.binds().map((b) => ({ system_id: b.systemId, mode: b.mode, remote: b.remote, awaiting_responses: b.awaitingResponses })),
      behaviour: behaviourView(smsc.getBehaviour()),
      stats: smsc.stats,
      undelivered: smsc.undelivered,
      recent_submissions: smsc
        .submissions()
        .slice(-50)
        .map((s) => ({ id: s.id, from: s.from, to: s.to, text: s.text, data_coding: s.dataCoding, concat: s.concat, registered_delivery: s.registeredDelivery, at: new Date(s.at).toISOString() })),
    }));

    app.put('/api/simulator/smsc/behaviour', { schema: { body: { type: 'object' } } }, async (request) => {
      const b = request.body as Record<string, unknown>;
      refuseUnknownFields(b, BEHAVIOUR_FIELDS, "The SMSC's behaviour takes");
      const p: { -readonly [K in keyof SmscBehaviour]?: SmscBehaviour[K] } = {};
      if (b.max_submits_per_second !== undefined) p.maxSubmitsPerSecond = wholeNumber(b.max_submits_per_second, 'max_submits_per_second', 1_000_000);
      if (b.throttle_next !== undefined) p.throttleNext = wholeNumber(b.throttle_next, 'throttle_next', 1_000_000);
      if (b.response_delay_ms !== undefined) p.responseDelayMs = wholeNumber(b.response_delay_ms, 'response_delay_ms', 600_000);
      if (b.drop_after_submits !== undefined) p.dropAfterSubmits = b.drop_after_submits === null ? null : wholeNumber(b.drop_after_submits, 'drop_after_submits', 1_000_000, 1, ' (null: off)');
      if (b.refuse_binds !== undefined) {
        if (typeof b.refuse_binds !== 'boolean') throw AppError.of('INVALID_PARAMETER', { attribute: 'refuse_binds', message: 'refuse_binds must be a boolean.' });
        p.refuseBinds = b.refuse_binds;
      }
      return behaviourView(smsc.setBehaviour(p));
    });

    app.post(MO_PATH, { schema: { body: { type: 'object' } } }, async (request, reply) => {
      const b = request.body as Record<string, unknown>;
      refuseUnknownFields(b, MO_FIELDS, 'A mobile-originated message takes');
      const text = (v: unknown, name: string, max: number) => {
        if (typeof v !== 'string' || v === '' || v.length > max) throw AppError.of('INVALID_PARAMETER', { attribute: name, message: `${name} must be a string of 1 to ${max} characters.` });
        return v;
      };
      // What a deliver_sm address carries: at most 20 octets of ASCII (v3.4's C-Octet String of 21
      // with its NUL); a leading + is the TON, not written. Others could not be encoded (500) or, a
      // character outside Latin-1 written as its low byte, put a NUL mid-address and broke the PDU.
      const address = (v: unknown, name: string) => {
        const a = text(v, name, 21);
        if (!/^[\x20-\x7e]{1,20}$/.test(a.startsWith('+') ? a.slice(1) : a)) {
          throw AppError.of('INVALID_PARAMETER', { attribute: name, message: `${name} must be an SMPP address: 1 to 20 printable ASCII characters after an optional + (got ${JSON.stringify(a.slice(0, 40))}).` });
        }
        return a;
      };
      const from = address(b.from, 'from');
      const to = address(b.to, 'to');
      const body = text(b.body, 'body', 1600);
      const split = b.split === undefined ? 'udh8' : b.split;
      if (split !== 'udh8' && split !== 'udh16' && split !== 'sar') throw AppError.of('INVALID_PARAMETER', { attribute: 'split', message: 'split must be udh8, udh16 or sar.' });
      // Like POST /api/simulator/inbound: a project reaches its own numbers only; the operator any address.
      const principal = principalOf(request);
      if (!isOperator(principal, deps.operatorProjectId) && !(await deps.numbers.getByNumber(principal.projectId, to))) {
        throw AppError.of('TO_INVALID', { message: `To must be one of your project's numbers (got ${JSON.stringify(to)}).` });
      }
      const parts = smsc.injectMo({ from, to, text: body, split });
      return reply.code(202).send({ parts });
    });

    app.post('/api/simulator/smsc/drop', async () => ({ dropped: smsc.dropBinds() }));
  };
}

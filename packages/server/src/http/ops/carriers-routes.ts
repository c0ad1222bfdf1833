/**
 * `GET /api/ops/carriers`: every carrier with its capabilities, health and live state (SMPP binds,
 * window use, queue, throughput, counters). Carriers are shared by every project and their
 * counters count every project's traffic, so only the operator project's `management` tokens may
 * read it (see "Tenancy" in docs/architecture.md); errors use the native JSON shape.
 */
import type { FastifyInstance } from 'fastify';
import type { Carrier } from '../../domain/ports/carrier.js';
import type { CredentialVerifier } from '../../engine/admin/credential-verifier.js';
import { authenticateOperator } from '../auth.js';
import { useNativeErrors } from '../native/error-format.js';

function present(c: Carrier, routes: ReadonlyArray<{ prefix: string; carrier: string }>, defaultCarrier: string) {
  const s = c.status?.();
  const iso = (ms: number | null) => (ms ? new Date(ms).toISOString() : null);
  return {
    id: c.descriptor.id,
    kind: c.descriptor.kind,
    capabilities: { mms: c.descriptor.capabilities.mms, delivery_receipts: c.descriptor.capabilities.deliveryReceipts, unicode: c.descriptor.capabilities.unicode, max_rate: c.descriptor.capabilities.maxRate },
    routes: routes.filter((r) => r.carrier === c.descriptor.id).map((r) => r.prefix),
    default_route: c.descriptor.id === defaultCarrier,
    health: c.health(),
    state: s?.state ?? (c.health().ok ? 'up' : 'down'),
    links: (s?.links ?? []).map((l) => ({ id: l.id, mode: l.mode, state: l.state, window_used: l.windowUsed, window_size: l.windowSize, bound_since: iso(l.boundSince), last_error: l.lastError })),
    queued_parts: s?.queued ?? 0,
    throughput: s ? Math.round(s.throughput * 10) / 10 : null,
    throughput_limit: s?.throughputLimit ?? null,
    counters: s?.counters ?? {},
  };
}

export function carriersOpsRoutes(deps: { verifier: CredentialVerifier; carriers: () => readonly Carrier[]; routes: ReadonlyArray<{ prefix: string; carrier: string }>; defaultCarrier: string; operatorProjectId: string }) {
  return async (app: FastifyInstance): Promise<void> => {
    useNativeErrors(app, 'messaging', 'the operations API');
    app.addHook('onRequest', async (request) => {
      await authenticateOperator(deps.verifier, request, deps.operatorProjectId);
    });
    app.get('/api/ops/carriers', async () => ({ data: deps.carriers().map((c) => present(c, deps.routes, deps.defaultCarrier)) }));
  };
}

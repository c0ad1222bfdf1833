/** Operations endpoints: liveness (`/health`), readiness (`/ready`) and Prometheus (`/metrics`). */
import type { FastifyInstance } from 'fastify';
import type { Carrier } from '../../domain/ports/carrier.js';
import type { PrometheusMetrics } from './metrics.js';

export interface OpsDeps {
  /** Whether storage answers. */
  readonly ping: () => Promise<void>;
  /** Whether storage takes writes (the engine's last writes, or a probe): red while writes fail, e.g. on a full disk. */
  readonly storage?: () => Promise<{ ok: boolean; detail?: string }>;
  readonly carriers: () => readonly Carrier[];
  readonly metrics: PrometheusMetrics;
  readonly version: string;
  /** False while starting or shutting down. */
  readonly accepting: () => boolean;
  /** Further readiness checks (the NATS connection in scale-out mode). */
  readonly extraChecks?: () => Record<string, { ok: boolean; detail?: string }>;
  /** Who this node is, shown by /ready. */
  readonly node?: Readonly<Record<string, unknown>>;
}

/**
 * How long `/ready` waits for the database. A PostgreSQL that keeps its connections open and does
 * not answer (stopped, hung, frozen backends) held `/ready` for the query timeout, 20 s: a load
 * balancer's or Kubernetes' probe (1–5 s) timed out instead of reading which check failed, and
 * every probe meanwhile held a pooled connection of its own. A check unanswered this long is
 * reported failing, and probes that come meanwhile share the one still waiting.
 */
export const READY_CHECK_MS = 3_000;

type Check = { ok: boolean; detail?: string };

/** `run` at most once at a time (callers meanwhile share it), answered within `READY_CHECK_MS`. */
function boundedCheck(run: () => Promise<Check>): () => Promise<Check> {
  let running: Promise<Check> | null = null;
  return () => {
    const current = (running ??= run()
      .catch((err: unknown): Check => ({ ok: false, detail: (err as Error).message }))
      .finally(() => (running = null)));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<Check>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, detail: `database unavailable: no answer within ${READY_CHECK_MS / 1000} s` }), READY_CHECK_MS);
    });
    return Promise.race([current, late]).finally(() => clearTimeout(timer));
  };
}

export async function opsPlugin(app: FastifyInstance, deps: OpsDeps): Promise<void> {
  app.get('/health', async () => ({ status: 'ok', version: deps.version }));

  const database = boundedCheck(async () => (await deps.ping(), { ok: true }));
  const storage = deps.storage ? boundedCheck(deps.storage) : null;
  app.get('/ready', async (_request, reply) => {
    const checks: Record<string, Check> = {};
    const [db, stored] = await Promise.all([database(), storage?.()]);
    checks.database = db;
    if (stored) checks.storage = stored;
    Object.assign(checks, deps.extraChecks?.() ?? {});
    for (const c of deps.carriers()) checks[`carrier:${c.descriptor.id}`] = c.health();
    checks.accepting = { ok: deps.accepting() };
    const ready = Object.values(checks).every((c) => c.ok);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks, ...(deps.node ? { node: deps.node } : {}) });
  });

  app.get('/metrics', async (_request, reply) => {
    return reply.header('Content-Type', deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
}

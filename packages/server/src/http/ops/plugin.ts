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

export async function opsPlugin(app: FastifyInstance, deps: OpsDeps): Promise<void> {
  app.get('/health', async () => ({ status: 'ok', version: deps.version }));

  app.get('/ready', async (_request, reply) => {
    const checks: Record<string, { ok: boolean; detail?: string }> = {};
    try {
      await deps.ping();
      checks.database = { ok: true };
    } catch (err) {
      checks.database = { ok: false, detail: (err as Error).message };
    }
    if (deps.storage) {
      try {
        checks.storage = await deps.storage();
      } catch (err) {
        checks.storage = { ok: false, detail: (err as Error).message };
      }
    }
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

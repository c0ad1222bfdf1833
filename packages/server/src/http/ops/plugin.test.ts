/**
 * `/ready` against a database that keeps its connections open and never answers: it answers within
 * `READY_CHECK_MS` with the database check failing (it waited for the query timeout, 20 s, so
 * probes timed out instead of reading the cause), and probes meanwhile share one waiting ping
 * instead of holding a pooled connection each.
 */
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { PrometheusMetrics } from './metrics.js';
import { opsPlugin, type OpsDeps } from './plugin.js';

const apps: Array<{ close(): Promise<unknown> }> = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
});

async function appWith(ping: OpsDeps['ping']) {
  const app = Fastify();
  apps.push(app);
  await app.register(opsPlugin, { ping, storage: async () => ({ ok: true }), carriers: () => [], metrics: new PrometheusMetrics(), version: 'test', accepting: () => true });
  return app;
}

describe('/ready', () => {
  it('reports a database that does not answer as failing, and probes share the one ping waiting', async () => {
    let pings = 0;
    const app = await appWith(() => (pings++, new Promise<void>(() => undefined)));
    const [a, b] = await Promise.all([app.inject('/ready'), app.inject('/ready')]);
    for (const r of [a, b]) {
      expect(r.statusCode).toBe(503);
      expect(r.json().checks.database).toEqual({ ok: false, detail: 'database unavailable: no answer within 3 s' });
      expect(r.json().checks.storage).toEqual({ ok: true });
    }
    expect(pings).toBe(1);
  });

  it('is ready when the database answers, and pings it again for the next probe', async () => {
    let pings = 0;
    const app = await appWith(async () => void pings++);
    expect((await app.inject('/ready')).json()).toMatchObject({ status: 'ready', checks: { database: { ok: true }, storage: { ok: true }, accepting: { ok: true } } });
    expect((await app.inject('/ready')).statusCode).toBe(200);
    expect(pings).toBe(2);
  });

  it('reports the error of a ping that fails', async () => {
    const app = await appWith(() => Promise.reject(new Error('database unavailable: connect ECONNREFUSED')));
    const r = await app.inject('/ready');
    expect(r.statusCode).toBe(503);
    expect(r.json().checks.database).toEqual({ ok: false, detail: 'database unavailable: connect ECONNREFUSED' });
  });
});

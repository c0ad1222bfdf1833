#!/usr/bin/env node
/**
 * What the console's webhook outbox view costs over a large outbox: the list (all statuses, and
 * one status) and the per-status counts, timed in the store, with N deliveries of one project
 * inserted in bulk (not through HTTP): mostly delivered, some failed, a few pending (a quarter of
 * them retrying). Counts are capped at `--cap` (`http.listScanRows`): past it they read "N+".
 *
 * Each query runs 3 times; the table shows the median. Bounded: stops by itself.
 *
 *   node bench/outbox-scans.mjs [--deliveries 300000] [--postgres postgres://…/sb_bench] [--cap 20000]
 *
 * Needs `npm run build`. With --postgres the database is used as given (create an empty one).
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { openBenchStore, timeCap } from './lib/bench-store.mjs';

const { values: opts } = parseArgs({ options: { deliveries: { type: 'string', default: '300000' }, postgres: { type: 'string' }, cap: { type: 'string', default: '20000' } } });
const total = Math.min(1_000_000, Number(opts.deliveries));
const cap = Number(opts.cap);
timeCap(600_000);

const { store, close } = await openBenchStore({ postgres: opts.postgres, name: 'outbox' });

const PROJECT = randomUUID();
const T0 = Date.now() - total * 1000;
await store.projects.create({ id: PROJECT, name: 'Bench', signingKey: 'PSK_bench', createdAt: T0 });
let t = performance.now();
for (let i = 0; i < total; i += 1000) {
  const rows = [];
  for (let j = i; j < Math.min(total, i + 1000); j++) {
    const status = j % 100 === 0 ? 'pending' : j % 10 === 0 ? 'failed' : 'delivered';
    const at = T0 + j * 1000;
    rows.push({
      project_id: PROJECT, message_id: null, kind: 'status_callback', url: 'https://hooks.example.com/status', method: 'POST', content_type: 'application/json',
      body: '{}', signature: '', fallback_url: null, fallback_method: null, status, attempts: status === 'pending' ? (j % 400 === 0 ? 1 : 0) : 1, max_attempts: 6,
      next_attempt_at: at, last_status_code: null, last_error: null, lease_owner: null, created_at: at, updated_at: at, head: status === 'pending' ? 1 : 0,
      destination: 'hooks.example.com:443', retry_from: at,
    });
  }
  await store.db.insertInto('webhook_deliveries').values(rows).execute();
}
console.log(`inserted ${total} deliveries in ${Math.round(performance.now() - t)} ms`);

async function time(name, fn) {
  const ms = [];
  let out;
  for (let k = 0; k < 3; k++) {
    t = performance.now();
    out = await fn();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  console.log(`${name.padEnd(36)} ${ms[1].toFixed(1).padStart(8)} ms  ${JSON.stringify(out).slice(0, 120)}`);
}
await time('counts', () => store.webhooks.countByStatus(PROJECT, cap));
await time('list, all statuses, 51', async () => (await store.webhooks.listForProject(PROJECT, {}, { limit: 51 })).length);
await time('list, failed, 51', async () => (await store.webhooks.listForProject(PROJECT, { status: 'failed' }, { limit: 51 })).length);
await time('list, all statuses, 51, deep cursor', async () => (await store.webhooks.listForProject(PROJECT, {}, { limit: 51, beforeId: 1000 })).length);
await close();

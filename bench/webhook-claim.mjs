#!/usr/bin/env node
/**
 * The webhook outbox's claim with a large backlog: `--deliveries` pending status callbacks
 * (`--per-message` per message, all due, as after a burst whose receiver was down), then
 * `--claims` claims of `--batch` deliveries each, settling every claimed one as delivered the way
 * the runner does (which makes the message's next callback its head). Prints per dialect the claim
 * time (mean, p50, p95, max), the time to settle a claimed batch in one transaction, and the time
 * of a claim that finds nothing due while the whole backlog waits for a retry. Uses the built store
 * (`npm run build`) on a PostgreSQL database of its own (dropped at the end) and on a temporary
 * SQLite file; `--server DIR` measures another checkout's built server package instead (before and
 * after a change). Loopback only, bounded, stops by itself.
 *
 *   node bench/webhook-claim.mjs [--deliveries 30000] [--per-message 4] [--claims 50] [--batch 64]
 *                                [--only postgres,sqlite] [--postgres-url URL] [--server DIR] [--json out.json]
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';

const { values: opts } = parseArgs({
  options: {
    deliveries: { type: 'string', default: '30000' },
    'per-message': { type: 'string', default: '4' },
    claims: { type: 'string', default: '50' },
    batch: { type: 'string', default: '64' },
    only: { type: 'string', default: 'postgres,sqlite' },
    json: { type: 'string' },
    server: { type: 'string' },
    'postgres-url': { type: 'string', default: process.env.SWITCHBOARD_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const total = Math.min(200_000, Number(opts.deliveries));
const perMessage = Math.max(1, Math.min(10, Number(opts['per-message'])));
const claims = Math.min(1000, Number(opts.claims));
const batch = Math.min(1024, Number(opts.batch));
const dialects = opts.only.split(',').map((s) => s.trim());

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const storeModule = join(opts.server ? resolve(opts.server) : join(root, 'packages/server'), 'dist/store/index.js');
if (!existsSync(storeModule)) {
  console.error('Build first: npm run build');
  process.exit(2);
}
const { openPostgresStore, openSqliteStore } = await import(pathToFileURL(storeModule).href);

const hardStop = setTimeout(() => {
  console.error('benchmark exceeded its time cap; stopping');
  process.exit(1);
}, 600_000);
hardStop.unref();

const PROJECT = '0b6c3d2e-1f4a-4b5c-8d9e-0a1b2c3d4e5f';
const T0 = Date.now() - 60_000;

function delivery(messageId, seq) {
  return {
    projectId: PROJECT,
    messageId,
    kind: 'status_callback',
    url: `http://127.0.0.1:9/${seq % 20}/status`,
    method: 'POST',
    contentType: 'application/json',
    body: `{"n":${seq}}`,
    signature: 'json-hex',
    fallbackUrl: null,
    fallbackMethod: null,
    maxAttempts: 0,
    nextAttemptAt: T0 + seq,
  };
}

async function fill(store) {
  const rows = [];
  for (let i = 0; rows.length < total; i++) {
    const m = randomUUID();
    for (let k = 0; k < perMessage && rows.length < total; k++) rows.push(delivery(m, rows.length));
  }
  for (let i = 0; i < rows.length; i += 2000) await store.transaction((tx) => tx.webhooks.enqueueMany(rows.slice(i, i + 2000)));
}

function stats(times) {
  const s = [...times].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  const r = (x) => Math.round(x * 100) / 100;
  return { mean: r(s.reduce((a, b) => a + b, 0) / s.length), p50: r(at(0.5)), p95: r(at(0.95)), max: r(s[s.length - 1]) };
}

async function measure(store) {
  await fill(store);
  const now = Date.now();
  const times = [];
  const settles = [];
  let claimed = 0;
  for (let i = 0; i < claims; i++) {
    const t = performance.now();
    const due = await store.webhooks.claimDue(now + i, batch, 30_000, 'bench');
    times.push(performance.now() - t);
    claimed += due.length;
    const s = performance.now();
    const result = { status: 'delivered', attempts: 1, nextAttemptAt: now, lastStatusCode: 200, lastError: null, at: now };
    await store.transaction(async (tx) => {
      // As the runner's bookkeeping does it (settleMany where the build has it).
      if (tx.webhooks.settleMany) await tx.webhooks.settleMany(due.map((d) => ({ id: d.id, ...result })));
      else for (const d of due) await tx.webhooks.settle(d.id, result);
    });
    settles.push(performance.now() - s);
  }
  // Everything left waits for a retry an hour from now: a claim that finds nothing due.
  const waiting = [];
  for (;;) {
    const due = await store.webhooks.claimDue(now + claims, 1000, 3_600_000, 'bench');
    if (due.length === 0) break;
  }
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    await store.webhooks.claimDue(now + claims + i, batch, 30_000, 'bench');
    waiting.push(performance.now() - t);
  }
  return { claimed, due: stats(times), settle: stats(settles), nothingDue: stats(waiting) };
}

const results = {};
for (const dialect of dialects) {
  if (dialect === 'postgres') {
    const name = `sb_bench_claim_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: opts['postgres-url'] });
    await admin.connect();
    await admin.query(`create database ${name}`);
    const url = new URL(opts['postgres-url']);
    url.pathname = `/${name}`;
    const store = await openPostgresStore({ url: url.toString(), poolSize: 4 });
    try {
      results.postgres = await measure(store);
    } finally {
      await store.close();
      await admin.query(`drop database if exists ${name}`);
      await admin.end();
    }
  } else if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-'));
    const store = await openSqliteStore({ file: join(dir, 'bench.db') });
    try {
      results.sqlite = await measure(store);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const r = results[dialect];
  console.log(
    `${dialect.padEnd(8)} ${total} pending (${perMessage}/message): claim of ${batch} with all due ${r.due.mean} ms mean, ${r.due.p50} p50, ${r.due.p95} p95, ${r.due.max} max` +
      ` (${r.claimed} claimed in ${claims} claims); settling them ${r.settle.mean} ms mean; nothing due ${r.nothingDue.p50} ms p50, ${r.nothingDue.max} max`,
  );
}
if (opts.json) writeFileSync(opts.json, JSON.stringify({ total, perMessage, claims, batch, results }, null, 2));

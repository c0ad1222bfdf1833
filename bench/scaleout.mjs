#!/usr/bin/env node
/**
 * Scale-out: the same REST load (create → delivered through the simulator) against
 *   sqlite-1      one node, SQLite, in-process bus (the embedded default)
 *   pg-1          one node, PostgreSQL, in-process bus
 *   pg-nats-1     one node, PostgreSQL and NATS
 *   pg-nats-3     three nodes, PostgreSQL and NATS, the connections spread over the nodes
 * For each: accepted/s, end-to-end msgs/s, create latency, and CPU per message of the Switchboard
 * processes, of PostgreSQL and of nats-server (read from /proc), so a two-core machine's totals can
 * be compared. Uses the local PostgreSQL (a database of its own, dropped at the end) and NATS.
 * Loopback only, bounded in count and time, stops everything it started.
 *
 * `--db-delay-ms 0.5` puts a proxy between the nodes and PostgreSQL that holds each chunk that long in
 * each direction (bench/lib/delay-proxy.mjs): a database on another host, where round trips count.
 *
 *   node bench/scaleout.mjs [--duration 10] [--connections 48] [--only pg-nats-3,sqlite-1] [--db-delay-ms 0.5] [--json out.json]
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';
import { AUTH, FROM, sleep, startBenchServer } from './lib/bench-server.mjs';
import { procCpuSeconds } from './lib/proc.mjs';

const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '48' },
    only: { type: 'string' },
    json: { type: 'string' },
    'postgres-url': { type: 'string', default: process.env.SWITCHBOARD_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
    'db-delay-ms': { type: 'string', default: '0' },
    'nats-url': { type: 'string', default: process.env.SWITCHBOARD_BENCH_NATS_URL ?? 'nats://127.0.0.1:4222' },
  },
});
const duration = Math.min(120, Number(opts.duration));
const connections = Math.min(512, Number(opts.connections));
const body = JSON.stringify({ from: FROM, to: '+15557654321', body: 'Hello from the Switchboard benchmark' });
const request = { method: 'POST', headers: { authorization: AUTH, 'content-type': 'application/json' }, body };

// The nodes are stopped (and their folders removed) by bench-server's exit handler, also on this cap.
const hardStop = setTimeout(() => {
  console.error('benchmark exceeded its time cap; stopping');
  process.exit(1);
}, (duration + 150) * 4 * 1000);
hardStop.unref();

async function admin(text) {
  const c = new pg.Client({ connectionString: opts['postgres-url'] });
  await c.connect();
  try {
    return await c.query(text);
  } finally {
    await c.end();
  }
}
function dbUrl(name, port) {
  const u = new URL(opts['postgres-url']);
  u.pathname = `/${name}`;
  if (port) u.port = String(port);
  return u.toString();
}

/** The proxy's port when `--db-delay-ms` asks for one (the nodes reach PostgreSQL through it; the benchmark's own statements do not). */
async function startDelayProxy() {
  const delayMs = Number(opts['db-delay-ms']);
  if (!(delayMs > 0)) return undefined;
  const u = new URL(opts['postgres-url']);
  const child = spawn(process.execPath, [new URL('./lib/delay-proxy.mjs', import.meta.url).pathname, '--target', `${u.hostname}:${u.port || 5432}`, '--delay-ms', String(delayMs)], { stdio: ['pipe', 'pipe', 'inherit'] });
  process.on('exit', () => child.kill());
  const port = await new Promise((resolve, reject) => {
    child.stdout.once('data', (d) => resolve(Number(String(d).trim())));
    child.once('exit', () => reject(new Error('the delay proxy stopped')));
  });
  console.log(`PostgreSQL reached through a proxy holding each chunk ${delayMs} ms each way (port ${port})`);
  return port;
}

/** utime+stime (s) of processes: by pid, or every process whose command name matches. */
function cpuOf(pids) {
  let t = 0;
  for (const pid of pids) {
    try {
      t += procCpuSeconds(pid);
    } catch {
      // exited
    }
  }
  return t;
}
function pidsNamed(name) {
  const out = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/comm`, 'utf8').trim() === name) out.push(Number(d));
    } catch {
      // exited
    }
  }
  return out;
}

let nextPort = 18900;
async function startNode(name, env) {
  return { name, ...(await startBenchServer({ port: nextPort++, env: { SWITCHBOARD_NODE_ID: name, ...env } })) };
}
async function stopNodes(nodes) {
  for (const n of nodes) await n.stop();
}
/** Delivered and queued transitions, summed over the nodes. */
async function counts(nodes) {
  const each = await Promise.all(nodes.map((n) => n.counts()));
  return { queued: each.reduce((a, c) => a + c.queued, 0), delivered: each.reduce((a, c) => a + c.delivered, 0) };
}
async function drained(nodes, target, deadlineMs) {
  for (;;) {
    const c = await counts(nodes);
    if (c.delivered >= (target ?? c.queued) || performance.now() > deadlineMs) return c;
    await sleep(20);
  }
}
/** The same load split over the nodes: connections / nodes each, all at once. */
async function load(nodes, seconds) {
  const per = Math.max(1, Math.round(connections / nodes.length));
  const runs = await Promise.all(nodes.map((n) => autocannon({ url: `${n.base}/api/messaging/messages`, connections: per, duration: seconds, ...request })));
  const sum = (k) => runs.reduce((a, r) => a + r[k], 0);
  const lat = runs.map((r) => r.latency);
  return { accepted: sum('2xx'), non2xx: sum('non2xx'), errors: sum('errors'), p50: Math.max(...lat.map((l) => l.p50)), p99: Math.max(...lat.map((l) => l.p99)) };
}

async function scenario(label, nodeCount, env) {
  const nodes = [];
  for (let i = 0; i < nodeCount; i++) nodes.push(await startNode(`${label}-${i + 1}`, env));
  await load(nodes, 2); // warm-up, not measured
  await drained(nodes, undefined, performance.now() + 60_000);
  const before = await counts(nodes);
  const pgPids = pidsNamed('postgres');
  const natsPids = pidsNamed('nats-server');
  const nodePids = nodes.map((n) => n.pid);
  const cpu0 = { sb: cpuOf(nodePids), pg: cpuOf(pgPids), nats: cpuOf(natsPids) };
  const t0 = performance.now();
  const run = await load(nodes, duration);
  const sendEnd = performance.now();
  const after = await drained(nodes, before.delivered + run.accepted, sendEnd + 120_000);
  const t1 = performance.now();
  const cpu1 = { sb: cpuOf(nodePids), pg: cpuOf(pgPids), nats: cpuOf(natsPids) };
  const delivered = after.delivered - before.delivered;
  const us = (k) => Math.round(((cpu1[k] - cpu0[k]) / delivered) * 1e6);
  const r = {
    scenario: label,
    nodes: nodeCount,
    connections,
    durationS: duration,
    accepted: run.accepted,
    non2xx: run.non2xx,
    errors: run.errors,
    acceptedPerS: Math.round(run.accepted / ((sendEnd - t0) / 1000)),
    delivered,
    endToEndPerS: Math.round(delivered / ((t1 - t0) / 1000)),
    createLatencyMs: { p50: run.p50, p99: run.p99 },
    cpuUsPerMessage: { switchboard: us('sb'), postgres: us('pg'), nats: us('nats'), total: us('sb') + us('pg') + us('nats') },
  };
  await stopNodes(nodes);
  console.log(
    `${label.padEnd(10)} nodes ${nodeCount}  accepted ${String(r.acceptedPerS).padStart(5)}/s  end-to-end ${String(r.endToEndPerS).padStart(5)}/s  ` +
      `p50 ${r.createLatencyMs.p50} ms p99 ${r.createLatencyMs.p99} ms  CPU/msg: switchboard ${r.cpuUsPerMessage.switchboard} µs, postgres ${r.cpuUsPerMessage.postgres} µs, nats ${r.cpuUsPerMessage.nats} µs  (non-2xx ${r.non2xx}, errors ${r.errors})`,
  );
  return r;
}

const wanted = opts.only ? new Set(opts.only.split(',')) : null;
const want = (s) => !wanted || wanted.has(s);
console.log(`Switchboard scale-out benchmark — ${cpus().length} CPUs, node ${process.version}, ${connections} connections, ${duration} s per run`);
const results = [];
const database = `sbbench_${randomBytes(4).toString('hex')}`;
const prefix = `sbbench-${randomBytes(4).toString('hex')}`;
const proxyPort = wanted && !['pg-1', 'pg-nats-1', 'pg-nats-3'].some(want) ? undefined : await startDelayProxy();
if (want('sqlite-1')) results.push(await scenario('sqlite-1', 1, {}));
for (const [label, n, nats] of [
  ['pg-1', 1, false],
  ['pg-nats-1', 1, true],
  ['pg-nats-3', 3, true],
]) {
  if (!want(label)) continue;
  await admin(`create database ${database}_${n}${nats ? 'n' : ''}`);
  try {
    results.push(
      await scenario(label, n, {
        SWITCHBOARD_DATABASE_URL: dbUrl(`${database}_${n}${nats ? 'n' : ''}`, proxyPort),
        SWITCHBOARD_DATABASE_POOL_SIZE: '10',
        ...(nats ? { SWITCHBOARD_NATS_URL: opts['nats-url'], SWITCHBOARD_NATS_SUBJECT_PREFIX: prefix } : {}),
      }),
    );
  } finally {
    await admin(`drop database if exists ${database}_${n}${nats ? 'n' : ''} with (force)`);
  }
}
if (opts.json) writeFileSync(opts.json, JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: cpus().length, results }, null, 2));
process.exit(0);

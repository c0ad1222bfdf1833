#!/usr/bin/env node
/**
 * RELAY benchmark (loopback, bounded, stops by itself). Starts a built Switchboard as a child
 * process (SQLite in a temp folder, simulator without delays) and measures, with raw WebSocket
 * clients that ack every event:
 *   1. messaging.send throughput over one connection, with every state event flowing back;
 *   2. the same over many connections;
 *   3. the native REST send path (autocannon, 50 connections), for comparison;
 *   4. event latency (send accepted -> `delivered` event received) p50/p99 at a steady pace;
 *   5. server RSS with 10,000 idle connected sessions (held across a server ping cycle).
 * Usage: npm run build && node bench/relay.mjs [--messages 5000] [--connections 20] [--idle 10000]
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import WebSocket from 'ws';
import { LAUNCHER_NODE_FLAGS } from './lib/bench-server.mjs';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '5000' }, connections: { type: 'string', default: '20' }, idle: { type: 'string', default: '10000' }, pace: { type: 'string', default: '200' } } });
const MESSAGES = Number(values.messages);
const CONNECTIONS = Number(values.connections);
const IDLE = Number(values.idle);
const PACE = Number(values.pace);
const PROJECT = '11111111-2222-4333-8444-555555555555';
const TOKEN = 'PTbenchToken0123456789abcdefghijklmnopqrstuvwxyz';
const FROM = '+15551230001';
const DEADLINE = Date.now() + 8 * 60_000;

function rssMiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function startServer() {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-bench-'));
  // BENCH_SERVER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=prof") profiles the server.
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...LAUNCHER_NODE_FLAGS, ...nodeArgs, 'packages/server/dist/cli/main.js', 'start'], {
    env: {
      ...process.env,
      SWITCHBOARD_PORT: '0',
      SWITCHBOARD_DATA_DIR: dataDir,
      SWITCHBOARD_PROJECT_ID: PROJECT,
      SWITCHBOARD_API_TOKEN: TOKEN,
      SWITCHBOARD_SIMULATOR_DELAY_MS: '0',
      SWITCHBOARD_LOG_LEVEL: 'warn',
      SWITCHBOARD_MAX_CONNECTIONS: String(IDLE + 2000),
      // Every connection comes from loopback, and belongs to one project.
      SWITCHBOARD_MAX_CONNECTIONS_PER_ADDRESS: String(IDLE + 2000),
      SWITCHBOARD_RELAY_MAX_SESSIONS_PER_PROJECT: String(IDLE + 1000),
      SWITCHBOARD_RELAY_REQUESTS_PER_SECOND: '1000000',
      SWITCHBOARD_RELAY_REQUEST_BURST: '1000000',
      SWITCHBOARD_RELAY_BYTES_PER_SECOND: '1073741824',
      SWITCHBOARD_RELAY_BYTES_PER_SECOND_PER_ADDRESS: '1073741824',
      SWITCHBOARD_RELAY_EVENT_BUFFER_SIZE: '100000',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const url = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 30_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /running at (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}): ${out}`)));
  });
  return {
    url,
    pid: child.pid,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A raw RELAY connection: acks events, resolves requests, reports state events. */
async function relayConnection(url, onState, onAccepted) {
  const ws = new WebSocket(url.replace('http', 'ws'), { perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const pending = new Map();
  ws.on('message', (data) => {
    const f = JSON.parse(data.toString());
    if (f.method) {
      ws.send(`{"jsonrpc":"2.0","id":${JSON.stringify(f.id)},"result":{}}`);
      if (f.method === 'signalwire.event' && f.params.event_type === 'messaging.state') onState?.(f.params.params);
      return;
    }
    if (f.result?.message_id) onAccepted?.(f.result.message_id, performance.now());
    const p = pending.get(f.id);
    if (p) {
      pending.delete(f.id);
      if (f.error) p.reject(new Error(JSON.stringify(f.error)));
      else p.resolve(f.result);
    }
  });
  const call = (method, params) =>
    new Promise((resolve, reject) => {
      const id = randomUUID();
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
  const result = await call('signalwire.connect', { version: { major: 2, minor: 0, revision: 0 }, event_acks: true, agent: 'bench', authentication: { project: PROJECT, token: TOKEN } });
  return { ws, call, protocol: result.protocol, close: () => new Promise((r) => (ws.once('close', r), ws.close())) };
}

function pct(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

/** Send `total` messages over `conns` connections, `window` requests in flight per connection; wait for every `delivered`. */
async function sendThroughput(url, conns, total, window = 100) {
  const delivered = new Set();
  let lastDelivered = 0;
  let done;
  const allDone = new Promise((r) => (done = r));
  const clients = await Promise.all(
    Array.from({ length: conns }, () =>
      relayConnection(url, (p) => {
        if (p.message_state === 'delivered' && !delivered.has(p.message_id)) {
          delivered.add(p.message_id);
          lastDelivered = performance.now();
          if (delivered.size === total) done();
        }
      }),
    ),
  );
  const start = performance.now();
  let accepted = 0;
  let lastAccepted = 0;
  await Promise.all(
    clients.map(async (c, i) => {
      const mine = Math.floor(total / conns) + (i < total % conns ? 1 : 0);
      let next = 0;
      const worker = async () => {
        while (next < mine) {
          next++;
          const r = await c.call('messaging.send', { to_number: `+1555700${String(next % 10000).padStart(4, '0')}`, from_number: FROM, body: 'bench', context: c.protocol });
          if (r.code !== '200') throw new Error(JSON.stringify(r));
          accepted++;
          lastAccepted = performance.now();
        }
      };
      await Promise.all(Array.from({ length: Math.min(window, mine) }, worker));
    }),
  );
  await Promise.race([allDone, new Promise((r) => setTimeout(r, Math.max(1000, DEADLINE - Date.now())).unref())]);
  await Promise.all(clients.map((c) => c.close()));
  return {
    accepted,
    delivered: delivered.size,
    acceptPerSec: accepted / ((lastAccepted - start) / 1000),
    deliveredPerSec: delivered.size / ((lastDelivered - start) / 1000),
  };
}

/** The native REST send path under load from autocannon (an efficient HTTP load generator). */
async function restThroughput(url, total, connections = 50) {
  const auth = `Basic ${Buffer.from(`${PROJECT}:${TOKEN}`).toString('base64')}`;
  const r = await autocannon({
    url: `${url}/api/messaging/messages`,
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/json' },
    body: JSON.stringify({ from: FROM, to: '+15557000001', body: 'bench' }),
    connections,
    amount: total,
    timeout: 30,
  });
  return { accepted: r['2xx'], connections, acceptPerSec: r['2xx'] / ((r.finish - r.start) / 1000), non2xx: r.non2xx };
}

async function latency(url, perSecond, seconds) {
  const sentAt = new Map();
  const samples = [];
  const c = await relayConnection(
    url,
    (p) => {
      if (p.message_state !== 'delivered') return;
      const t = sentAt.get(p.message_id);
      if (t !== undefined) {
        samples.push(performance.now() - t);
        sentAt.delete(p.message_id);
      }
    },
    (id, at) => sentAt.set(id, at),
  );
  const total = perSecond * seconds;
  const gap = 1000 / perSecond;
  const start = performance.now();
  const sends = [];
  for (let i = 0; i < total; i++) {
    const due = start + i * gap;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    sends.push(c.call('messaging.send', { to_number: '+15557000002', from_number: FROM, body: 'latency', context: c.protocol }));
  }
  await Promise.all(sends);
  const until = Date.now() + 10_000;
  while (sentAt.size && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  await c.close();
  samples.sort((a, b) => a - b);
  return { samples: samples.length, p50: pct(samples, 50), p99: pct(samples, 99), max: samples.at(-1) };
}

async function idleSessions(server, count) {
  const before = rssMiB(server.pid);
  const sockets = [];
  const url = server.url.replace('http', 'ws');
  for (let i = 0; i < count; i += 500) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(500, count - i) }, async () => {
        const ws = new WebSocket(url, { perMessageDeflate: false });
        await new Promise((resolve, reject) => {
          ws.once('open', resolve);
          ws.once('error', reject);
        });
        ws.on('message', (data) => {
          const f = JSON.parse(data.toString());
          if (f.method) ws.send(`{"jsonrpc":"2.0","id":${JSON.stringify(f.id)},"result":{}}`);
        });
        const connected = new Promise((resolve) => ws.once('message', resolve));
        ws.send(JSON.stringify({ jsonrpc: '2.0', id: randomUUID(), method: 'signalwire.connect', params: { version: { major: 3, minor: 0, revision: 0 }, event_acks: true, authentication: { project: PROJECT, token: TOKEN }, contexts: ['default'] } }));
        await connected;
        return ws;
      }),
    );
    sockets.push(...batch);
  }
  const connected = rssMiB(server.pid);
  // Hold across a full ping cycle (server pings every 9 s) so keepalive traffic is included.
  await new Promise((r) => setTimeout(r, 12_000));
  const held = rssMiB(server.pid);
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  const sessions = Number(/^switchboard_relay_sessions (\d+)/m.exec(metrics)?.[1] ?? NaN);
  await Promise.all(sockets.map((ws) => new Promise((r) => (ws.once('close', r), ws.close()))));
  return { count, sessions, rssBeforeMiB: before, rssConnectedMiB: connected, rssAfterPingCycleMiB: held };
}

const results = {};
const t0 = Date.now();
const phase = (name) => console.error(`[bench] ${name} at ${((Date.now() - t0) / 1000).toFixed(1)} s`);
let server = await startServer();
try {
  await sendThroughput(server.url, 1, Math.min(500, MESSAGES)); // warm-up
  phase('one connection');
  results.relayOneConnection = await sendThroughput(server.url, 1, MESSAGES);
  phase('many connections');
  results.relayManyConnections = { connections: CONNECTIONS, ...(await sendThroughput(server.url, CONNECTIONS, MESSAGES, Math.max(1, Math.ceil(100 / CONNECTIONS) * 5))) };
  phase('rest');
  results.rest = await restThroughput(server.url, MESSAGES);
  phase('latency');
  results.latency = { perSecond: PACE, ...(await latency(server.url, PACE, 5)) };
} finally {
  await server.stop();
}
// Idle sessions on a fresh server, so its RSS starts from a clean baseline.
if (IDLE > 0) {
  server = await startServer();
  try {
    phase('idle');
    results.idle = await idleSessions(server, IDLE);
  } finally {
    phase('stopping');
    await server.stop();
  }
}
phase('done');
const f = (n) => (Number.isFinite(n) ? n.toFixed(1) : String(n));
console.log(`node ${process.version}, ${MESSAGES} messages per run`);
console.log(`RELAY, 1 connection:      ${f(results.relayOneConnection.acceptPerSec)} sends/s accepted, ${f(results.relayOneConnection.deliveredPerSec)} msg/s delivered with events (${results.relayOneConnection.delivered}/${MESSAGES})`);
console.log(`RELAY, ${CONNECTIONS} connections:    ${f(results.relayManyConnections.acceptPerSec)} sends/s accepted, ${f(results.relayManyConnections.deliveredPerSec)} msg/s delivered with events (${results.relayManyConnections.delivered}/${MESSAGES})`);
console.log(`REST, ${results.rest.connections} connections:    ${f(results.rest.acceptPerSec)} sends/s accepted (${results.rest.accepted}/${MESSAGES})`);
console.log(`event latency at ${PACE}/s:  p50 ${f(results.latency.p50)} ms, p99 ${f(results.latency.p99)} ms, max ${f(results.latency.max)} ms (${results.latency.samples} samples)`);
if (results.idle) console.log(`${results.idle.count} idle sessions:    RSS ${f(results.idle.rssBeforeMiB)} MiB before, ${f(results.idle.rssConnectedMiB)} MiB connected, ${f(results.idle.rssAfterPingCycleMiB)} MiB after a ping cycle (server counted ${results.idle.sessions})`);
console.log(JSON.stringify(results));
// Nothing may keep the process alive past its report.
process.exit(0);

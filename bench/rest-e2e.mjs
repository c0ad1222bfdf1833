#!/usr/bin/env node
/**
 * REST create → delivered through the simulator, end to end.
 *
 * Starts a server (built dist) in a temporary data folder with the simulator at full speed, then:
 *  1. throughput: N connections send POST /api/messaging/messages as fast as the server answers
 *     for --duration seconds; the run ends when every accepted message is `delivered`;
 *  2. latency: a fixed --rate of sends per second for --latency-duration seconds.
 * Reports accepted/s, end-to-end msgs/s, create latency p50/p99, server CPU per message and the
 * server's peak RSS. Loopback only, bounded in count and time; stops the server when done.
 *
 *   node bench/rest-e2e.mjs [--duration 30] [--connections 64] [--rate 1000] [--latency-duration 30] [--json out.json]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '30' },
    connections: { type: 'string', default: '64' },
    rate: { type: 'string', default: '1000' },
    'latency-duration': { type: 'string', default: '30' },
    json: { type: 'string' },
    port: { type: 'string', default: '18771' },
  },
});
const duration = Math.min(300, Number(opts.duration));
const connections = Math.min(1000, Number(opts.connections));
const rate = Math.min(20000, Number(opts.rate));
const latencyDuration = Math.min(300, Number(opts['latency-duration']));
const port = Number(opts.port);

const PROJECT = '0b6c3d2e-1f4a-4b5c-8d9e-0a1b2c3d4e5f';
const TOKEN = 'PTbenchmarkToken0123456789abcdefghijklmnopqrstuv';
const auth = `Basic ${Buffer.from(`${PROJECT}:${TOKEN}`).toString('base64')}`;
const base = `http://127.0.0.1:${port}`;
const cli = join(root, 'packages/server/dist/cli/main.js');
if (!existsSync(cli)) {
  console.error('Build first: npm run build');
  process.exit(2);
}

const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-bench-'));
const server = spawn(process.execPath, [cli, 'start'], {
  env: {
    ...process.env,
    SWITCHBOARD_PORT: String(port),
    SWITCHBOARD_HTTPS: 'false',
    SWITCHBOARD_DATA_DIR: dataDir,
    SWITCHBOARD_PROJECT_ID: PROJECT,
    SWITCHBOARD_API_TOKEN: TOKEN,
    SWITCHBOARD_NUMBERS: '+15551230001',
    SWITCHBOARD_SIMULATOR_DELAY_MS: '0',
    SWITCHBOARD_LOG_LEVEL: 'warn',
  },
  stdio: ['ignore', 'ignore', 'inherit'],
});
const stopServer = () => {
  try {
    server.kill('SIGTERM');
  } catch {
    // already gone
  }
};
process.on('exit', stopServer);
const hardStop = setTimeout(() => {
  console.error('benchmark exceeded its time cap; stopping');
  stopServer();
  process.exit(1);
}, (duration + latencyDuration + 240) * 1000);
hardStop.unref();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function waitReady() {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${base}/ready`)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  throw new Error('server did not become ready');
}
async function counts() {
  const text = await (await fetch(`${base}/metrics`)).text();
  const get = (status) => Number(new RegExp(`switchboard_message_transitions_total\\{status="${status}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
  return { queued: get('queued'), delivered: get('delivered') };
}
/** utime+stime of the server process, seconds. */
function serverCpu() {
  const f = readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}
function peakRssMb() {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}
const body = JSON.stringify({ from: '+15551230001', to: '+15557654321', body: 'Hello from the Switchboard benchmark' });
const request = { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body };

await waitReady();
console.log(`Switchboard REST end-to-end benchmark — ${cpus().length} CPUs, node ${process.version}`);

// Warm-up (JIT, caches), not measured.
await autocannon({ url: `${base}/api/messaging/messages`, connections: 16, duration: 2, ...request });
while ((await counts()).delivered < (await counts()).queued) await sleep(50);

// 1. Throughput.
const before = await counts();
const cpu0 = serverCpu();
const t0 = performance.now();
const run = await autocannon({ url: `${base}/api/messaging/messages`, connections, duration, ...request });
const sendEnd = performance.now();
const accepted = run['2xx'];
let after;
for (;;) {
  after = await counts();
  if (after.delivered - before.delivered >= accepted) break;
  if (performance.now() - sendEnd > 120_000) break;
  await sleep(20);
}
const t1 = performance.now();
const cpu1 = serverCpu();
const delivered = after.delivered - before.delivered;
const throughput = {
  connections,
  durationS: duration,
  accepted,
  non2xx: run.non2xx,
  errors: run.errors,
  acceptedPerS: Math.round(accepted / ((sendEnd - t0) / 1000)),
  delivered,
  endToEndPerS: Math.round(delivered / ((t1 - t0) / 1000)),
  drainAfterSendsS: +((t1 - sendEnd) / 1000).toFixed(2),
  createLatencyMs: { p50: run.latency.p50, p99: run.latency.p99, max: run.latency.max },
  serverCpuUsPerMessage: Math.round(((cpu1 - cpu0) / delivered) * 1e6),
};

// 2. Latency at a fixed rate.
const lat = await autocannon({ url: `${base}/api/messaging/messages`, connections: Math.max(8, Math.ceil(rate / 200)), overallRate: rate, duration: latencyDuration, ...request });
const latency = { ratePerS: rate, durationS: latencyDuration, sent: lat['2xx'], non2xx: lat.non2xx, createLatencyMs: { p50: lat.latency.p50, p99: lat.latency.p99, max: lat.latency.max } };
while ((await counts()).delivered < (await counts()).queued) await sleep(50);
const rss = peakRssMb();

const result = { date: new Date().toISOString(), node: process.version, cpus: cpus().length, throughput, latency, serverPeakRssMb: Math.round(rss) };
console.log(`
throughput (${connections} connections, ${duration} s)
  accepted           ${throughput.accepted} (${throughput.acceptedPerS}/s), non-2xx ${throughput.non2xx}, errors ${throughput.errors}
  delivered          ${throughput.delivered} — end to end ${throughput.endToEndPerS} msgs/s (last delivered ${throughput.drainAfterSendsS} s after the last send)
  create latency     p50 ${throughput.createLatencyMs.p50} ms, p99 ${throughput.createLatencyMs.p99} ms
  server CPU         ${throughput.serverCpuUsPerMessage} µs per message
latency at ${rate} msgs/s (${latencyDuration} s)
  sent               ${latency.sent}, non-2xx ${latency.non2xx}
  create latency     p50 ${latency.createLatencyMs.p50} ms, p99 ${latency.createLatencyMs.p99} ms, max ${latency.createLatencyMs.max} ms
server peak RSS      ${result.serverPeakRssMb} MB
`);
if (opts.json) writeFileSync(opts.json, JSON.stringify(result, null, 2));
stopServer();
await new Promise((r) => server.once('exit', r));
rmSync(dataDir, { recursive: true, force: true });
process.exit(0);

#!/usr/bin/env node
/**
 * Compatibility API create → delivered through the simulator, with form-encoded status callbacks.
 *
 * Starts a server (built dist) in a temporary data folder with the simulator at full speed and a
 * local HTTP receiver for status callbacks, then for --duration seconds N connections send
 * form-encoded POST /2010-04-01/Accounts/{project}/Messages.json (each with a StatusCallback)
 * as fast as the server answers. The run ends when every accepted message is `delivered` and its
 * four callbacks (queued, sending, sent, delivered) have arrived. Reports accepted/s, end-to-end
 * msgs/s, callbacks/s, create latency and server CPU per message. Loopback only, bounded in count
 * and time; stops the server when done.
 *
 *   node bench/compat-e2e.mjs [--duration 15] [--connections 32] [--json out.json]
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '15' },
    connections: { type: 'string', default: '32' },
    json: { type: 'string' },
    port: { type: 'string', default: '18781' },
  },
});
const duration = Math.min(120, Number(opts.duration));
const connections = Math.min(500, Number(opts.connections));
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

// The status-callback receiver: counts requests, answers 204.
let callbacks = 0;
const receiver = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    callbacks++;
    res.writeHead(204).end();
  });
});
await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
const callbackUrl = `http://127.0.0.1:${receiver.address().port}/status`;

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
const stop = () => {
  try {
    server.kill('SIGTERM');
  } catch {
    // already gone
  }
  receiver.close();
};
process.on('exit', () => {
  stop();
  rmSync(dataDir, { recursive: true, force: true });
});
const hardStop = setTimeout(() => {
  console.error('benchmark exceeded its time cap; stopping');
  process.exit(1);
}, (duration + 200) * 1000);
hardStop.unref();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${base}/ready`)).ok) break;
  } catch {
    // not listening yet
  }
  if (i > 200) throw new Error('server did not become ready');
  await sleep(50);
}
async function delivered() {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(/switchboard_message_transitions_total\{status="delivered"\} (\d+)/.exec(text)?.[1] ?? 0);
}
function serverCpu() {
  const f = readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

const url = `${base}/2010-04-01/Accounts/${PROJECT}/Messages.json`;
const body = new URLSearchParams({ To: '+15557654321', From: '+15551230001', Body: 'Hello from the compat benchmark', StatusCallback: callbackUrl }).toString();
const request = { method: 'POST', headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' }, body };
console.log(`Switchboard Compatibility API end-to-end benchmark — ${cpus().length} CPUs, node ${process.version}`);

// Warm-up, not measured.
await autocannon({ url, connections: 8, duration: 2, ...request });
for (let last = -1; callbacks !== last; ) {
  last = callbacks;
  await sleep(500);
}

const d0 = await delivered();
const c0 = callbacks;
const cpu0 = serverCpu();
const t0 = performance.now();
const run = await autocannon({ url, connections, duration, ...request });
const sendEnd = performance.now();
const accepted = run['2xx'];
let tDelivered = sendEnd;
for (;;) {
  const done = (await delivered()) - d0 >= accepted;
  if (done && tDelivered === sendEnd) tDelivered = performance.now();
  if (done && callbacks - c0 >= accepted * 4) break;
  if (performance.now() - sendEnd > 150_000) break;
  await sleep(20);
}
const t1 = performance.now();
const cpu1 = serverCpu();
const result = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  connections,
  durationS: duration,
  accepted,
  non2xx: run.non2xx,
  acceptedPerS: Math.round(accepted / ((sendEnd - t0) / 1000)),
  endToEndDeliveredPerS: Math.round(accepted / ((tDelivered - t0) / 1000)),
  callbacks: callbacks - c0,
  callbacksPerS: Math.round((callbacks - c0) / ((t1 - t0) / 1000)),
  callbacksDrainAfterSendsS: +((t1 - sendEnd) / 1000).toFixed(2),
  createLatencyMs: { p50: run.latency.p50, p99: run.latency.p99, max: run.latency.max },
  serverCpuUsPerMessage: Math.round(((cpu1 - cpu0) / accepted) * 1e6),
};
console.log(`
${connections} connections, ${duration} s of form-encoded creates with a StatusCallback each
  accepted           ${result.accepted} (${result.acceptedPerS}/s), non-2xx ${result.non2xx}
  delivered          end to end ${result.endToEndDeliveredPerS} msgs/s
  status callbacks   ${result.callbacks} (${result.callbacksPerS}/s), all in ${result.callbacksDrainAfterSendsS} s after the last send
  create latency     p50 ${result.createLatencyMs.p50} ms, p99 ${result.createLatencyMs.p99} ms, max ${result.createLatencyMs.max} ms
  server CPU         ${result.serverCpuUsPerMessage} µs per message (create, dispatch, receipt, 4 callbacks)`);
if (opts.json) writeFileSync(opts.json, JSON.stringify(result, null, 2));
process.exit(0);

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
 * With --rate, the creates are offered at that many per second (autocannon's overall rate) instead
 * of as fast as the server answers: whether callbacks keep up with a given load, and at what CPU.
 *
 *   node bench/compat-e2e.mjs [--duration 15] [--connections 32] [--rate 1000] [--json out.json]
 */
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { AUTH, FROM, PROJECT, sleep, startBenchServer } from './lib/bench-server.mjs';
import { procMainThreadCpuSeconds } from './lib/proc.mjs';

const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '15' },
    connections: { type: 'string', default: '32' },
    json: { type: 'string' },
    rate: { type: 'string' },
    port: { type: 'string', default: '18781' },
  },
});
const duration = Math.min(120, Number(opts.duration));
const connections = Math.min(500, Number(opts.connections));
const rate = opts.rate === undefined ? undefined : Math.max(1, Number(opts.rate));
if (rate !== undefined && !Number.isFinite(rate)) throw new Error('--rate must be a number of creates per second');

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
receiver.unref();
const callbackUrl = `http://127.0.0.1:${receiver.address().port}/status`;

const server = await startBenchServer({ port: Number(opts.port), capSeconds: duration + 200 });
const base = server.base;
const delivered = async () => (await server.counts()).delivered;

const url = `${base}/2010-04-01/Accounts/${PROJECT}/Messages.json`;
const body = new URLSearchParams({ To: '+15557654321', From: FROM, Body: 'Hello from the compat benchmark', StatusCallback: callbackUrl }).toString();
const request = { method: 'POST', headers: { authorization: AUTH, 'content-type': 'application/x-www-form-urlencoded' }, body };
console.log(`Switchboard Compatibility API end-to-end benchmark — ${cpus().length} CPUs, node ${process.version}`);

// Warm-up, not measured.
await autocannon({ url, connections: 8, duration: 2, ...request });
for (let last = -1; callbacks !== last; ) {
  last = callbacks;
  await sleep(500);
}

const d0 = await delivered();
const c0 = callbacks;
const cpu0 = server.cpuSeconds();
const main0 = procMainThreadCpuSeconds(server.pid);
const t0 = performance.now();
const run = await autocannon({ url, connections, duration, ...(rate ? { overallRate: rate } : {}), ...request });
const sendEnd = performance.now();
const accepted = run['2xx'];
let tDelivered = sendEnd;
for (;;) {
  // Once every message is delivered, only the receiver's own count is read (no more /metrics).
  const done = tDelivered !== sendEnd || (await delivered()) - d0 >= accepted;
  if (done && tDelivered === sendEnd) tDelivered = performance.now();
  if (done && callbacks - c0 >= accepted * 4) break;
  if (performance.now() - sendEnd > 150_000) break;
  await sleep(20);
}
const t1 = performance.now();
const cpu1 = server.cpuSeconds();
const main1 = procMainThreadCpuSeconds(server.pid);
const result = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  connections,
  offeredRatePerS: rate ?? null,
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
  mainThreadCpuUsPerMessage: Math.round(((main1 - main0) / accepted) * 1e6),
};
console.log(`
${connections} connections, ${duration} s of form-encoded creates with a StatusCallback each${rate ? `, offered at ${rate}/s` : ''}
  accepted           ${result.accepted} (${result.acceptedPerS}/s), non-2xx ${result.non2xx}
  delivered          end to end ${result.endToEndDeliveredPerS} msgs/s
  status callbacks   ${result.callbacks} (${result.callbacksPerS}/s), all in ${result.callbacksDrainAfterSendsS} s after the last send
  create latency     p50 ${result.createLatencyMs.p50} ms, p99 ${result.createLatencyMs.p99} ms, max ${result.createLatencyMs.max} ms
  server CPU         ${result.serverCpuUsPerMessage} µs per message (create, dispatch, receipt, 4 callbacks)
  main thread        ${result.mainThreadCpuUsPerMessage} µs per message (the thread that owns the database; its limit)`);
if (opts.json) writeFileSync(opts.json, JSON.stringify(result, null, 2));
await server.stop();
process.exit(0);

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
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { AUTH, FROM, sleep, startBenchServer } from './lib/bench-server.mjs';

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

const server = await startBenchServer({ port: Number(opts.port), capSeconds: duration + latencyDuration + 240 });
const base = server.base;
const counts = () => server.counts();
const body = JSON.stringify({ from: FROM, to: '+15557654321', body: 'Hello from the Switchboard benchmark' });
const request = { method: 'POST', headers: { authorization: AUTH, 'content-type': 'application/json' }, body };

console.log(`Switchboard REST end-to-end benchmark — ${cpus().length} CPUs, node ${process.version}`);

// Warm-up (JIT, caches), not measured.
await autocannon({ url: `${base}/api/messaging/messages`, connections: 16, duration: 2, ...request });
while ((await counts()).delivered < (await counts()).queued) await sleep(50);

// 1. Throughput.
const before = await counts();
const cpu0 = server.cpuSeconds();
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
const cpu1 = server.cpuSeconds();
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
const rss = server.peakRssMb();

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
await server.stop();
process.exit(0);

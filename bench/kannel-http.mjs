#!/usr/bin/env node
/**
 * Kannel's HTTP → SMSC pipeline and Switchboard's REST create → delivered path, one after the other
 * in one run, with the same generator and load shape (issue 13):
 *
 *  kannel       Kannel pipeline A (field notes §5): GET /cgi-bin/sendsms → smsbox → bearerbox (file
 *               store) → `fake` SMSC → Kannel's fakesmsc (-m 0); done when bearerbox's "sent"
 *               counter (status.txt) says every accepted message was handed to the SMSC.
 *  switchboard  the built server (SQLite, simulator at delay 0): POST /api/messaging/messages
 *               (JSON); done when every accepted message is `delivered` (/metrics); the moment the
 *               last one was `sent` (handed to the simulated carrier) is printed too.
 *
 * Both: autocannon, --requests requests over --connections keep-alive connections, a 20-character
 * text, one fixed destination, loopback only. A warm-up of 2,000 requests (not measured) comes first
 * on each side. End to end runs from the first request until the last message is handed to the SMSC
 * (Kannel) or delivered (Switchboard). Also: HTTP / create latency p50/p99, peak RSS and CPU per
 * message of the servers (bearerbox + smsbox; the Switchboard process, its in-process simulator
 * included), the cores they used and their busiest thread's share of a core (what limits them),
 * the load generator's CPU per request, the load average, and the ratio Switchboard / Kannel.
 * Everything is started and stopped by pid, bounded in time, in temporary folders removed at the end.
 *
 *   npm run build && KANNEL_INSTALL=1 node bench/kannel-http.mjs \
 *     [--requests 100000] [--connections 50] [--only kannel|switchboard] [--json out.json]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { BEARERBOX, FAKESMSC, SMSBOX, ensureKannel, fakeSmscGroup, freePort, kannelStatus, sentCount, startBox, waitFor, writeKannelConf } from './kannel/kannel.mjs';
import { AUTH, FROM, sleep, startBenchServer } from './lib/bench-server.mjs';
import { procCpuSeconds, procThreadCpuSeconds } from './lib/proc.mjs';

const { values: opts } = parseArgs({
  options: {
    requests: { type: 'string', default: '100000' },
    connections: { type: 'string', default: '50' },
    only: { type: 'string' },
    json: { type: 'string' },
  },
});
const N = Math.max(1, Math.min(1_000_000, Number(opts.requests)));
const connections = Math.max(1, Math.min(1000, N, Number(opts.connections)));
if (opts.only && !['kannel', 'switchboard'].includes(opts.only)) {
  console.error('--only takes kannel or switchboard');
  process.exit(2);
}
const WARMUP = Math.max(connections, 2000);
const TEXT = 'Hello from benchmark'; // 20 characters, one GSM-7 part
const TO = '+15557654321';
const SEND_CAP_MS = 300_000; // the load phase of one side
const DRAIN_CAP_MS = 120_000; // after the load, until the last message is out
const POLL_MS = 25;
// While the load runs, the end cannot come yet: poll less, since each poll is work for the system
// measured (on Switchboard a whole /metrics scrape: 40 a second took 4 % of its main thread).
const POLL_WHILE_SENDING_MS = 250;

// Every process started here is killed by pid when this process exits (also on this cap), and the
// temporary folders go with it.
const hardStop = setTimeout(() => {
  console.error('benchmark exceeded its time cap; stopping');
  process.exit(1);
}, 2 * (SEND_CAP_MS + DRAIN_CAP_MS + 60_000));
hardStop.unref();

const round = (x, digits = 0) => (Number.isFinite(x) ? +x.toFixed(digits) : null);
const load1 = () => round(loadavg()[0], 2);

/** CPU seconds of each thread of the server processes, `${pid}:${thread}` → seconds. */
function threadCpu(pids) {
  const out = new Map();
  for (const pid of pids) for (const [thread, seconds] of procThreadCpuSeconds(pid)) out.set(`${pid}:${thread}`, seconds);
  return out;
}

/**
 * The same load on both sides: `amount` requests over `connections` keep-alive connections, while
 * `delivered()` is polled; returns when it reaches the accepted count (or the caps pass).
 * `delivered()` resolves to {done, sent?}: messages out so far, and (Switchboard) handed to the carrier.
 * `servers` names the server processes by pid, for their CPU time and their busiest thread.
 */
async function measure({ url, request, delivered, servers }) {
  const pids = Object.values(servers);
  const cpuSeconds = () => pids.reduce((t, pid) => t + procCpuSeconds(pid), 0);
  const base = await delivered();
  const threads0 = threadCpu(pids);
  const cpu0 = cpuSeconds();
  const gen0 = process.cpuUsage();
  const t0 = performance.now();
  let lastResponse = t0;
  // autocannon notices the end of an `amount` run only at its next sample tick: keep ticks short
  // and time the last response ourselves.
  const instance = autocannon({ url, connections, amount: N, sampleInt: 100, ...request });
  let responses = 0;
  instance.on('response', () => {
    lastResponse = performance.now();
    responses++;
  });
  const sendCap = setTimeout(() => instance.stop(), SEND_CAP_MS);
  let target = N; // until autocannon tells how many were accepted
  let run;
  instance.then((r) => {
    run = r;
    target = r['2xx'];
    clearTimeout(sendCap);
  });
  let now = base;
  let sentAt;
  let doneAt;
  for (;;) {
    now = await delivered();
    const t = performance.now();
    if (sentAt === undefined && now.sent !== undefined && now.sent - base.sent >= target) sentAt = t;
    // The target only ever drops (N, then the accepted count): the first time it is reached counts.
    if (now.done - base.done >= target) {
      doneAt ??= t;
      if (run) break;
    }
    if (run && t - lastResponse > DRAIN_CAP_MS) break;
    await sleep(run || responses >= N ? POLL_MS : POLL_WHILE_SENDING_MS);
  }
  const cpu = cpuSeconds() - cpu0;
  const wall = (performance.now() - t0) / 1000;
  const gen = process.cpuUsage(gen0);
  // The thread that worked most during the run, as a share of one core: near 100 %, it is the limit.
  let busiest = { thread: '?', seconds: 0 };
  for (const [key, seconds] of threadCpu(pids)) {
    const used = seconds - (threads0.get(key) ?? 0);
    if (used > busiest.seconds) busiest = { thread: key, seconds: used };
  }
  const [pid, thread] = busiest.thread.split(':');
  const out = now.done - base.done;
  const elapsed = ((doneAt ?? performance.now()) - t0) / 1000;
  return {
    requests: N,
    connections,
    accepted: run['2xx'],
    non2xx: run.non2xx,
    errors: run.errors,
    timeouts: run.timeouts,
    acceptedPerS: Math.round(run['2xx'] / ((lastResponse - t0) / 1000)),
    out,
    complete: doneAt !== undefined,
    endToEndS: round(elapsed, 2),
    endToEndPerS: Math.round(out / elapsed),
    sentPerS: sentAt === undefined ? undefined : Math.round(target / ((sentAt - t0) / 1000)),
    latencyMs: { p50: run.latency.p50, p99: run.latency.p99, max: run.latency.max },
    serverCpuUsPerMessage: Math.round((cpu / Math.max(1, out)) * 1e6),
    serverCores: round(cpu / wall, 2),
    busiestThread: { process: Object.keys(servers).find((k) => String(servers[k]) === pid), thread, shareOfCore: round(busiest.seconds / wall, 2) },
    generatorCpuUsPerRequest: Math.round((gen.user + gen.system) / N),
  };
}

async function runKannel() {
  const why = ensureKannel();
  if (why) return { skipped: why };
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-kannel-http-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  process.on('exit', removeDir);
  const ports = { admin: await freePort(), smsbox: await freePort(), sendsms: await freePort() };
  const fakePort = await freePort();
  const conf = writeKannelConf(dir, { ports, smsc: fakeSmscGroup(fakePort) });
  const boxes = [];
  try {
    const bearerbox = startBox(BEARERBOX, ['-v', '2', conf], dir, 'bearerbox');
    boxes.unshift(bearerbox);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${ports.admin}/status.txt?password=benchstatus`)).ok, 20_000, 'bearerbox');
    const fakesmsc = startBox(FAKESMSC, ['-v', '1', '-H', '127.0.0.1', '-r', String(fakePort), '-m', '0', '100 200 text unused'], dir, 'fakesmsc');
    boxes.unshift(fakesmsc);
    await waitFor(async () => /online/.test(await kannelStatus(ports.admin)), 20_000, 'the fake SMSC online');
    const smsbox = startBox(SMSBOX, ['-v', '2', conf], dir, 'smsbox');
    boxes.unshift(smsbox);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${ports.sendsms}/`).catch(() => null)) !== null, 20_000, 'smsbox');
    const version = /version `([^']+)'/.exec(await kannelStatus(ports.admin))?.[1];

    const url = `http://127.0.0.1:${ports.sendsms}/cgi-bin/sendsms?username=bench&password=benchpw&to=${encodeURIComponent(TO)}&text=${encodeURIComponent(TEXT)}`;
    const delivered = async () => ({ done: sentCount(await kannelStatus(ports.admin)) });

    // Warm-up, not measured: the same requests, until bearerbox has sent them all.
    const w0 = (await delivered()).done;
    await autocannon({ url, connections, amount: WARMUP, sampleInt: 100 });
    await waitFor(async () => (await delivered()).done >= w0 + WARMUP, DRAIN_CAP_MS, 'the warm-up sent').catch(() => undefined);

    const fake0 = fakesmsc.cpuSeconds();
    const loadBefore = load1();
    const r = await measure({ url, request: {}, delivered, servers: { bearerbox: bearerbox.pid, smsbox: smsbox.pid } });
    const fakesmscCpuUsPerMessage = Math.round(((fakesmsc.cpuSeconds() - fake0) / Math.max(1, r.out)) * 1e6);
    return {
      system: `Kannel ${version ?? '?'}: HTTP sendsms → smsbox → bearerbox (file store) → fake SMSC → fakesmsc`,
      ...r,
      fakesmscCpuUsPerMessage,
      serverPeakRssMb: { bearerbox: round(bearerbox.peakRssMb(), 1), smsbox: round(smsbox.peakRssMb(), 1), total: round(bearerbox.peakRssMb() + smsbox.peakRssMb(), 1) },
      loadAverage: { before: loadBefore, after: load1() },
    };
  } finally {
    // smsbox, then fakesmsc (SIGINT: how it is asked to stop), then bearerbox.
    for (const b of boxes) await b.stop(b.name === 'fakesmsc' ? 'SIGINT' : 'SIGTERM');
    removeDir();
    process.off('exit', removeDir);
  }
}

async function runSwitchboard() {
  const server = await startBenchServer({ port: await freePort() });
  try {
    const url = `${server.base}/api/messaging/messages`;
    const request = { method: 'POST', headers: { authorization: AUTH, 'content-type': 'application/json' }, body: JSON.stringify({ from: FROM, to: TO, body: TEXT }) };
    const delivered = async () => {
      const { delivered: done, sent } = await server.counts();
      return { done, sent };
    };

    const w0 = (await delivered()).done;
    await autocannon({ url, connections, amount: WARMUP, sampleInt: 100, ...request });
    await waitFor(async () => (await delivered()).done >= w0 + WARMUP, DRAIN_CAP_MS, 'the warm-up delivered').catch(() => undefined);

    const loadBefore = load1();
    const r = await measure({ url, request, delivered, servers: { node: server.pid } });
    return {
      system: 'Switchboard: REST create → simulator → delivered (SQLite)',
      ...r,
      serverPeakRssMb: { node: server.peakRssMb(), total: server.peakRssMb() },
      loadAverage: { before: loadBefore, after: load1() },
    };
  } finally {
    await server.stop();
  }
}

function print(label, r) {
  if (!r) return;
  if (r.skipped) {
    console.log(`${label}: skipped (${r.skipped})\n`);
    return;
  }
  const what = label === 'Kannel' ? 'handed to the SMSC' : 'delivered';
  console.log(`${r.system}
  accepted           ${r.accepted} of ${r.requests} (${r.acceptedPerS}/s), non-2xx ${r.non2xx}, errors ${r.errors}, timeouts ${r.timeouts}
  end to end         ${r.out} ${what} in ${r.endToEndS} s: ${r.endToEndPerS} msgs/s${r.complete ? '' : ' (INCOMPLETE: the drain cap passed)'}`);
  if (r.sentPerS !== undefined) console.log(`  handed to carrier  (sent) ${r.sentPerS} msgs/s`);
  console.log(`  HTTP latency       p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, max ${r.latencyMs.max} ms
  server CPU         ${r.serverCpuUsPerMessage} µs per message${r.fakesmscCpuUsPerMessage !== undefined ? ` (bearerbox + smsbox; fakesmsc another ${r.fakesmscCpuUsPerMessage} µs)` : ''}, ${r.serverCores} cores on average
  busiest thread     ${r.busiestThread.process} ${r.busiestThread.thread}: ${Math.round(r.busiestThread.shareOfCore * 100)} % of a core
  server peak RSS    ${Object.entries(r.serverPeakRssMb)
    .map(([k, v]) => `${k} ${v} MB`)
    .join(', ')}
  generator CPU      ${r.generatorCpuUsPerRequest} µs per request (autocannon, this process)
  load average       ${r.loadAverage.before} before, ${r.loadAverage.after} after
`);
}

const result = { date: new Date().toISOString(), node: process.version, cpus: cpus().length, loadAverageAtStart: load1(), requests: N, connections, text: TEXT, to: TO };
console.log(`Kannel pipeline A against Switchboard's REST path — ${N} requests, ${connections} connections, ${TEXT.length}-character text, ${cpus().length} CPUs, node ${process.version}, load average ${result.loadAverageAtStart}\n`);
// One after the other, never at once.
if (opts.only !== 'switchboard') print('Kannel', (result.kannel = await runKannel()));
if (opts.only !== 'kannel') print('Switchboard', (result.switchboard = await runSwitchboard()));
const k = result.kannel;
const s = result.switchboard;
if (k?.endToEndPerS && s?.endToEndPerS) {
  result.ratio = round(s.endToEndPerS / k.endToEndPerS, 2);
  console.log(`Switchboard / Kannel, end to end: ${result.ratio}× (${s.endToEndPerS} / ${k.endToEndPerS} msgs/s)`);
}
if (opts.json) writeFileSync(opts.json, JSON.stringify(result, null, 2));
process.exit(0);

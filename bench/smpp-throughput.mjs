// SMPP throughput, measured in one run on this machine (loopback only, bounded in count and time):
//  A. Switchboard's SMPP connector → the simulator SMSC (own process), one bind, window 10 and 100,
//     counted until every receipt is back and correlated (parts recorded in SQLite, as in production).
//  B. Kannel's own figure for the same path: HTTP sendsms → smsbox → bearerbox → one SMPP bind
//     (window 10) → Kannel's drive_smpp (field notes §5 pipeline B), and → our simulator SMSC.
//   npx tsc -b && node bench/smpp-throughput.mjs [N]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BEARERBOX, DRIVE_SMPP, SMSBOX, ensureKannel, freePort, kannelStatus, sentCount, startBox, waitFor, writeKannelConf } from './kannel/kannel.mjs';

const N = Number(process.argv[2] ?? 20_000);
const CAP_MS = 120_000;
const { SmppConnector } = await import('../packages/server/dist/carriers/smpp/connector.js');
const { parseSmppSection } = await import('../packages/server/dist/carriers/smpp/config.js');
const { openSqliteStore } = await import('../packages/server/dist/store/dialects/sqlite.js');
const quiet = { info() {}, warn() {}, error: (o, m) => console.error(m, o) };
const results = [];

async function startSmsc() {
  const port = await freePort();
  const child = spawn(process.execPath, [new URL('./smsc-server.mjs', import.meta.url).pathname, String(port), '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => String(d).includes('ready') && resolve());
    child.on('exit', (c) => reject(new Error(`SMSC exited ${c}`)));
  });
  return { port, pid: child.pid, stop: () => new Promise((r) => (child.once('exit', r), child.kill('SIGTERM'))) };
}

async function connectorRun(window, smscPort) {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-'));
  const store = await openSqliteStore({ file: join(dir, 'bench.db') });
  const [config] = parseSmppSection({ connectors: [{ id: 'bench', host: '127.0.0.1', port: smscPort, systemId: 'switchboard', password: 'secret', window, throughput: 0 }] }).connectors;
  let receipts = 0;
  let allReceipts;
  const done = new Promise((r) => (allReceipts = r));
  const sink = {
    report(reports) {
      receipts += reports.length;
      if (receipts >= N) allReceipts();
    },
    inbound: async (m) => m.map(() => ({ routed: false })),
  };
  const c = new SmppConnector(config, { store, logger: quiet, now: Date.now });
  await c.start(sink);
  await waitFor(() => c.status().state === 'up', 10_000, 'bind');
  const started = performance.now();
  let accepted = 0;
  const batch = 500;
  const expiresAt = Date.now() + 3_600_000;
  const batches = [];
  for (let i = 0; i < N; i += batch) batches.push(i);
  // Like the dispatcher: a few batches in flight at once.
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < batches.length) {
        const from = batches[next++];
        const subs = Array.from({ length: Math.min(batch, N - from) }, (_, k) => ({ messageId: `m${from + k}`, projectId: 'p', from: '+15551230001', to: `+4477009${String(from + k).padStart(5, '0')}`, body: `bench message ${from + k}`, media: [], kind: 'sms', encoding: 'GSM-7', segments: 1, attempt: 1, expiresAt }));
        const res = await c.submit(subs);
        accepted += res.filter((r) => r.outcome === 'accepted').length;
      }
    }),
  );
  const submittedMs = performance.now() - started;
  await Promise.race([done, new Promise((r) => setTimeout(r, CAP_MS))]);
  const totalMs = performance.now() - started;
  const counters = c.status().counters;
  await c.stop();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return { accepted, receipts, submitPerSec: Math.round((accepted / submittedMs) * 1000), endToEndPerSec: Math.round((receipts / totalMs) * 1000), throttled: counters.throttled, orphaned: counters.receipts_orphaned };
}

// HTTP GET load like research/kannel-bench/load.js: N requests, C in flight, keep-alive.
async function httpLoad(urlFor, n, concurrency) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let next = 0;
  let failed = 0;
  const deadline = Date.now() + CAP_MS;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n && Date.now() < deadline) {
        const i = next++;
        await new Promise((resolve) => {
          const req = request(urlFor(i), { agent }, (res) => {
            res.resume();
            res.on('end', resolve);
            if (res.statusCode >= 300) failed++;
          });
          req.on('error', () => (failed++, resolve()));
          req.end();
        });
      }
    }),
  );
  agent.destroy();
  return failed;
}

async function kannelRun(name, smscGroup, extraStart, fixedPorts) {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-kbench-'));
  const ports = fixedPorts ?? { admin: await freePort(), smsbox: await freePort(), sendsms: await freePort() };
  const conf = writeKannelConf(dir, { ports, smsc: smscGroup(dir) });
  const extra = extraStart ? await extraStart(dir, conf) : null;
  const bb = startBox(BEARERBOX, ['-v', '2', conf], dir, 'bearerbox');
  try {
    await waitFor(async () => /online/.test(await kannelStatus(ports.admin)), 20_000, `${name}: SMSC online`);
    const sb = startBox(SMSBOX, ['-v', '2', conf], dir, 'smsbox');
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${ports.sendsms}/`).catch(() => null)) !== null, 20_000, 'smsbox');
      const base = sentCount(await kannelStatus(ports.admin));
      const started = performance.now();
      const failed = await httpLoad((i) => `http://127.0.0.1:${ports.sendsms}/cgi-bin/sendsms?username=bench&password=benchpw&to=%2B4477009${String(i).padStart(5, '0')}&text=bench+message+${i}`, N, 50);
      await waitFor(async () => sentCount(await kannelStatus(ports.admin)) >= base + N - failed, CAP_MS, `${name}: all sent`);
      const ms = performance.now() - started;
      return { sent: N - failed, perSec: Math.round(((N - failed) / ms) * 1000) };
    } finally {
      await sb.stop();
    }
  } finally {
    await bb.stop();
    await extra?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const smsc = await startSmsc();
try {
  for (const window of [10, 100]) {
    const r = await connectorRun(window, smsc.port);
    results.push({ path: `Switchboard connector → simulator SMSC, 1 bind, window ${window}, with receipts`, msgsPerSec: r.endToEndPerSec, note: `submit_sm_resp ${r.submitPerSec}/s; receipts ${r.receipts}/${N}; orphaned ${r.orphaned}` });
  }
  const why = ensureKannel();
  if (why) results.push({ path: 'Kannel (skipped)', msgsPerSec: null, note: why });
  else {
    const smppGroup = (host, port, extra = '') => `group = smsc
smsc = smpp
smsc-id = BENCH
host = ${host}
port = ${port}
transceiver-mode = false
smsc-username = "${extra ? 'switchboard' : 'bench'}"
smsc-password = "${extra ? 'secret' : 'bench'}"
system-type = "VMA"
max-pending-submits = 10
${extra}`;
    // drive_smpp also connects to bearerbox as a box on Kannel's default ports: use the field notes' ports.
    const drivePort = 2345;
    const k1 = await kannelRun('drive_smpp', () => smppGroup('127.0.0.1', drivePort), async (dir) => startBox(DRIVE_SMPP, ['-v', '2', '-m', '0', '-p', String(drivePort)], dir, 'drive_smpp'), { admin: 13000, smsbox: 13001, sendsms: 13013 });
    results.push({ path: 'Kannel HTTP → bearerbox → 1 bind, window 10 → drive_smpp (pipeline B)', msgsPerSec: k1.perSec, note: `${k1.sent} sent; no receipts (drive_smpp gives none)` });
    const k2 = await kannelRun('our SMSC', () => smppGroup('127.0.0.1', smsc.port, 'msg-id-type = 0x00'));
    results.push({ path: 'Kannel HTTP → bearerbox → 1 bind, window 10 → simulator SMSC', msgsPerSec: k2.perSec, note: `${k2.sent} sent (receipts come back; Kannel counts submits)` });
  }
} finally {
  await smsc.stop();
}
console.log(`\nSMPP throughput, N = ${N} messages of one part each, node ${process.version}`);
console.log('| path | msgs/s | notes |\n|---|---|---|');
for (const r of results) console.log(`| ${r.path} | ${r.msgsPerSec ?? '—'} | ${r.note} |`);

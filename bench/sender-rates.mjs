#!/usr/bin/env node
/**
 * Per-sender rates at scale: 1,000 sender numbers, each limited to --rate segments per second,
 * each sent --per-sender messages through the native REST API, all scheduled (`send_at`) for the
 * same second so every sender has its whole backlog due at once. Every sender must be held at its
 * rate (no message released before its slot: its first release + k / rate) while all of them drain
 * together, so the backlog should take about (per-sender − 1) / rate seconds, not
 * senders × per-sender / rate.
 *
 * Reports the acceptance rate, how long the backlog took to drain, the aggregate release rate,
 * how many messages went before their slot (must be 0), how late releases were behind their slot
 * (p50 / p99 / max) and the server's CPU per message. Release times are read from the server's
 * SQLite file (`initiated` events, in ms). Loopback only, bounded; stops the server when done.
 *
 *   node bench/sender-rates.mjs [--senders 1000] [--per-sender 5] [--rate 2] [--connections 64] [--json out.json]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AUTH, sleep, startBenchServer } from './lib/bench-server.mjs';

const require = createRequire(import.meta.url);
const Database = require('better-sqlite3');

const { values: opts } = parseArgs({
  options: {
    senders: { type: 'string', default: '1000' },
    'per-sender': { type: 'string', default: '5' },
    rate: { type: 'string', default: '2' },
    connections: { type: 'string', default: '64' },
    json: { type: 'string' },
    port: { type: 'string', default: '18781' },
  },
});
const senders = Math.min(5000, Number(opts.senders));
const perSender = Math.min(100, Number(opts['per-sender']));
const rate = Number(opts.rate);
const connections = Math.min(256, Number(opts.connections));
const numbers = Array.from({ length: senders }, (_, i) => `+1555${String(2_000_000 + i).padStart(7, '0')}`);

const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-bench-rates-'));
const server = await startBenchServer({
  port: Number(opts.port),
  dataDir,
  capSeconds: 600,
  env: { SWITCHBOARD_NUMBERS: numbers.join(','), SWITCHBOARD_SCHEDULE_MIN_LEAD_SECONDS: '1' },
});
const api = async (path, init = {}) => {
  const res = await fetch(`${server.base}${path}`, { ...init, headers: { authorization: AUTH, 'content-type': 'application/json', ...(init.headers ?? {}) } });
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path} answered ${res.status}: ${await res.text()}`);
  return res.json();
};

/** Run `task(i)` for i in [0, n) with `width` in flight. */
async function pool(n, width, task) {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < n) await task(next++);
  }));
}

console.log(`Switchboard per-sender rates — ${senders} senders × ${perSender} messages at ${rate} segments/s each`);

// Give every number its rate (the simulator is otherwise unlimited).
const ids = [];
for (let url = '/api/relay/rest/phone_numbers?page_size=1000'; url; ) {
  const page = await api(url);
  for (const n of page.data) if (numbers.includes(n.number)) ids.push(n.id);
  url = page.links.next ? new URL(page.links.next).pathname + new URL(page.links.next).search : null;
}
if (ids.length !== senders) throw new Error(`found ${ids.length} of ${senders} numbers`);
await pool(ids.length, 16, (i) => api(`/api/relay/rest/phone_numbers/${ids[i]}`, { method: 'PUT', body: JSON.stringify({ messages_per_second: rate }) }));

// Every message scheduled for one second (found by timing the first 100 sends), so all senders'
// backlogs come due together.
const total = senders * perSender;
// Time 100 sends first (scheduled 10 minutes out, never sent while the bench runs, left out of the
// figures) to choose a due time every bench message is accepted before.
const probeStart = performance.now();
await pool(100, connections, (i) =>
  api('/api/messaging/messages', { method: 'POST', body: JSON.stringify({ from: numbers[0], to: `+1555766${String(i).padStart(4, '0')}`, body: 'probe', send_at: new Date(Date.now() + 600_000).toISOString() }) }),
);
const perSecond = 100 / ((performance.now() - probeStart) / 1000);
const due = Math.ceil((Date.now() + (total / perSecond) * 1.5 * 1000 + 3_000) / 1000) * 1000;
const sendAt = new Date(due).toISOString();
const cpu0 = server.cpuSeconds();
const t0 = performance.now();
await pool(total, connections, async (i) => {
  const from = numbers[Math.floor(i / perSender)];
  await api('/api/messaging/messages', { method: 'POST', body: JSON.stringify({ from, to: `+1555765${String(i % 10_000).padStart(4, '0')}`, body: 'rate bench', send_at: sendAt }) });
});
const acceptedIn = (performance.now() - t0) / 1000;
const acceptedBeforeDue = Date.now() <= due;
for (;;) {
  const c = await server.counts();
  if (c.delivered >= total) break;
  if (performance.now() - t0 > 300_000) throw new Error(`only ${c.delivered} of ${total} delivered after 300 s`);
  await sleep(100);
}
const drainedAfterDue = (Date.now() - due) / 1000;
const cpu = server.cpuSeconds() - cpu0;
const peakRss = server.peakRssMb();

// Release times per sender, from the `initiated` events.
const db = new Database(join(dataDir, 'switchboard.db'), { readonly: true });
const rows = db
  .prepare(`select m.from_number as sender, e.at as at from message_events e join messages m on m.id = e.message_id where e.status = 'initiated' and m.body = 'rate bench' order by m.from_number, e.at`)
  .all();
db.close();
await server.stop();
rmSync(dataDir, { recursive: true, force: true });

const bySender = new Map();
for (const r of rows) {
  const list = bySender.get(r.sender) ?? [];
  list.push(Number(r.at));
  bySender.set(r.sender, list);
}
const spacing = 1000 / rate;
let early = 0;
const lateness = [];
let firstRelease = Infinity;
let lastRelease = 0;
// Most senders holding a backlog (between their first and last release) at one moment.
const edges = [];
for (const times of bySender.values()) {
  edges.push([times[0], 1], [times.at(-1), -1]);
  times.forEach((at, k) => {
    // A sender's k-th release may not come before its first + k slots (1 ms for rounding).
    const slot = times[0] + k * spacing;
    if (at < slot - 1) early++;
    lateness.push(Math.max(0, at - slot));
  });
  firstRelease = Math.min(firstRelease, times[0]);
  lastRelease = Math.max(lastRelease, times.at(-1));
}
lateness.sort((a, b) => a - b);
edges.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
let holding = 0;
let peakHolding = 0;
for (const [, d] of edges) peakHolding = Math.max(peakHolding, (holding += d));
const pct = (p) => Math.round(lateness[Math.min(lateness.length - 1, Math.floor((p / 100) * lateness.length))]);
const result = {
  senders,
  perSender,
  rate,
  messages: total,
  released: rows.length,
  sendersSeen: bySender.size,
  acceptedPerSecond: Math.round(total / acceptedIn),
  allAcceptedBeforeDue: acceptedBeforeDue,
  peakSendersHeldAtOnce: peakHolding,
  drainSecondsAfterDue: Number(drainedAfterDue.toFixed(1)),
  releaseSpanSeconds: Number(((lastRelease - firstRelease) / 1000).toFixed(1)),
  idealSpanSeconds: (perSender - 1) / rate,
  aggregateReleasePerSecond: Math.round(rows.length / ((lastRelease - firstRelease) / 1000 || 1)),
  releasedBeforeTheirSlot: early,
  latenessMs: { p50: pct(50), p99: pct(99), max: Math.round(lateness.at(-1) ?? 0) },
  cpuMicrosPerMessage: Math.round((cpu / total) * 1e6),
  peakRssMb: peakRss,
};
console.log(result);
if (opts.json) writeFileSync(opts.json, JSON.stringify(result, null, 2));
if (early > 0 || rows.length !== total) process.exit(1);

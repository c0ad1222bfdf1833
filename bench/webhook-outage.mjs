#!/usr/bin/env node
/**
 * Soak: a status-callback receiver that is down for a long time, then back. Sends `--messages`
 * native messages whose callbacks go to a loopback port nobody listens on (connections refused;
 * `--mode 500` answers 500 instead), keeps the receiver down for `--down-seconds` (10 minutes by
 * default), brings it back and waits until every callback of every message has arrived (or
 * `--drain-cap-seconds` passed). Prints what was expected, delivered, duplicated and given up, and
 * when the first and the last callback arrived after the receiver came back (and the rate between). The server runs with its default webhook
 * settings (24 h retry window, 5 min longest backoff, breaker 5 failures / 30 s) unless `--env
 * KEY=VALUE` overrides one. Loopback only, bounded in count and time, stops what it started.
 *
 *   node bench/webhook-outage.mjs [--messages 2000] [--down-seconds 600] [--mode refuse|500]
 *                                 [--drain-cap-seconds 900] [--port 18090] [--env KEY=VALUE]... [--json out.json]
 */
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AUTH, FROM, sleep, startBenchServer } from './lib/bench-server.mjs';

const { values: opts } = parseArgs({
  options: {
    messages: { type: 'string', default: '2000' },
    'down-seconds': { type: 'string', default: '600' },
    mode: { type: 'string', default: 'refuse' },
    'drain-cap-seconds': { type: 'string', default: '900' },
    port: { type: 'string', default: '18090' },
    env: { type: 'string', multiple: true, default: [] },
    json: { type: 'string' },
  },
});
const messages = Math.min(20_000, Number(opts.messages));
const downSeconds = Math.min(3600, Number(opts['down-seconds']));
const drainCap = Math.min(3600, Number(opts['drain-cap-seconds']));
const mode = opts.mode === '500' ? '500' : 'refuse';
const env = Object.fromEntries(opts.env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));

const server = await startBenchServer({ port: Number(opts.port), env, capSeconds: downSeconds + drainCap + 300 });
const log = (text) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${text}`);

// The receiver: counts each (message, status) once; refuses connections (not listening) or answers 500 while down.
const seen = new Map();
let duplicates = 0;
let down = true;
const receiver = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (down) return void res.writeHead(500).end();
    const { id, status } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const key = `${id} ${status}`;
    if (seen.has(key)) duplicates++;
    else seen.set(key, Date.now());
    res.writeHead(204).end();
  });
});
const listen = (port) => new Promise((resolve) => receiver.listen(port, '127.0.0.1', resolve));
await listen(0);
const receiverPort = receiver.address().port;
if (mode === 'refuse') await new Promise((resolve) => receiver.close(resolve));
const callback = `http://127.0.0.1:${receiverPort}/status`;

// Send, 20 at a time.
const ids = [];
const started = Date.now();
for (let i = 0; i < messages; i += 20) {
  const batch = Array.from({ length: Math.min(20, messages - i) }, (_, k) =>
    fetch(`${server.base}/api/messaging/messages`, {
      method: 'POST',
      headers: { authorization: AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ from: FROM, to: `+1555${String(7000000 + i + k)}`, body: 'outage soak', status_callback: callback }),
    }).then(async (r) => {
      if (r.status !== 201) throw new Error(`send answered ${r.status}: ${await r.text()}`);
      return (await r.json()).id;
    }),
  );
  ids.push(...(await Promise.all(batch)));
}
const expected = messages * 4;
log(`sent ${ids.length} messages in ${((Date.now() - started) / 1000).toFixed(1)} s; receiver ${mode === 'refuse' ? 'refuses connections' : 'answers 500'} for ${downSeconds} s`);

async function outbox() {
  const r = await fetch(`${server.base}/api/console/outbox?limit=1`, { headers: { authorization: AUTH } });
  return (await r.json()).counts;
}

// Down: report the outbox every minute (every 10 s for short runs).
const every = downSeconds >= 120 ? 60 : 10;
for (let t = every; ; t += every) {
  const wait = Math.min(t, downSeconds) * 1000 - (Date.now() - started);
  if (wait > 0) await sleep(wait);
  const c = await outbox();
  log(`down ${Math.round((Date.now() - started) / 1000)} s: outbox pending ${c.pending} (retrying ${c.retrying}), delivered ${c.delivered}, failed ${c.failed}`);
  if (t >= downSeconds) break;
}

// Back.
down = false;
if (mode === 'refuse') await listen(receiverPort);
const back = Date.now();
log(`receiver back on port ${receiverPort}`);
for (let reported = back; seen.size < expected && Date.now() - back < drainCap * 1000; ) {
  await sleep(1000);
  if (Date.now() - reported >= 30_000) {
    reported = Date.now();
    log(`draining: ${seen.size} of ${expected} callbacks`);
  }
}
const times = [...seen.values()];
const drainSeconds = (Math.max(...times, back) - back) / 1000;
// From the first callback after the receiver came back to the last: how fast the backlog drains.
const first = Math.min(...times.filter((t) => t >= back));
const drainRate = Math.round(times.filter((t) => t >= back).length / Math.max(0.001, (Math.max(...times) - first) / 1000));
const c = await outbox();
const result = { messages, downSeconds, mode, expected, delivered: seen.size, duplicates, drainSeconds, firstAfterSeconds: (first - back) / 1000, drainRate, outbox: c };
log(`delivered ${seen.size} of ${expected} callbacks (${duplicates} duplicates), the first ${((first - back) / 1000).toFixed(1)} s and the last ${drainSeconds.toFixed(1)} s after the receiver came back (${drainRate} callbacks/s); outbox failed ${c.failed}, pending ${c.pending}`);
if (opts.json) writeFileSync(opts.json, JSON.stringify(result, null, 2));
await server.stop();
receiver.close();
process.exit(seen.size === expected && c.failed === 0 ? 0 : 1);

#!/usr/bin/env node
/**
 * RELAY greedy-client check (loopback, bounded, stops by itself): what large frames cost a node.
 * Starts a built Switchboard with its default limits, then:
 *   1. a "victim" connection sends `messaging.send` one after another for `--baseline` seconds
 *      alone (latency p50/p99);
 *   2. `--sockets` connections from another address (127.0.0.1; the victim is 127.0.0.2) each send frames of `--frame-bytes` (a
 *      `signalwire.ping` padded with a flat array of zeros, the costliest JSON to parse, or one long
 *      string with `--shape string`) as fast as the server reads them, for `--seconds`, while the
 *      victim keeps sending: the server's CPU (share of one core), the frames and bytes it answered,
 *      the -32005 answers, and the victim's latency again.
 * The greedy frames are written pre-masked on the raw socket, as an attacker would: the load
 * generator costs almost nothing, so what is measured is the server's work.
 * Without the byte budgets (as before they existed): --env SWITCHBOARD_RELAY_BYTES_PER_SECOND=1073741824
 *   --env SWITCHBOARD_RELAY_BYTES_PER_SECOND_PER_ADDRESS=1073741824
 * Usage: npm run build && node bench/relay-bytes.mjs [--sockets 32] [--seconds 5] [--frame-bytes 250000]
 *   [--shape array|string] [--env KEY=VALUE ...]
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { FROM, PROJECT, TOKEN, sleep, startBenchServer } from './lib/bench-server.mjs';
import { freePort } from './lib/ports.mjs';

const { values } = parseArgs({
  options: {
    sockets: { type: 'string', default: '32' },
    seconds: { type: 'string', default: '5' },
    baseline: { type: 'string', default: '2' },
    'frame-bytes': { type: 'string', default: '250000' },
    shape: { type: 'string', default: 'array' },
    env: { type: 'string', multiple: true, default: [] },
  },
});
const SOCKETS = Number(values.sockets);
const SECONDS = Number(values.seconds);
const BASELINE = Number(values.baseline);
const FRAME_BYTES = Number(values['frame-bytes']);
const env = Object.fromEntries(values.env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));

/** One client frame, masked with a zero key (legal; the server still unmasks every byte). */
function maskedTextFrame(text) {
  const payload = Buffer.from(text);
  const head = payload.length < 126 ? Buffer.from([0x81, 0x80 | payload.length]) : payload.length < 65_536 ? Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 255]) : Buffer.alloc(10);
  if (payload.length >= 65_536) {
    head[0] = 0x81;
    head[1] = 0x80 | 127;
    head.writeBigUInt64BE(BigInt(payload.length), 2);
  }
  return Buffer.concat([head, Buffer.alloc(4), payload]);
}

/** A padded ping of about `bytes` bytes. */
function greedyFrame(bytes) {
  const envelope = JSON.stringify({ jsonrpc: '2.0', id: 'g', method: 'signalwire.ping', params: { timestamp: 1, pad: values.shape === 'string' ? '' : [] } });
  const room = bytes - envelope.length;
  const pad = values.shape === 'string' ? `"${'x'.repeat(room - 2)}"` : `[${Array(Math.floor(room / 2)).fill(0).join(',')}]`;
  return envelope.replace(values.shape === 'string' ? '""' : '[]', pad);
}

async function relayConnection(url, localAddress = '127.0.0.1', contexts = []) {
  const ws = new WebSocket(url.replace('http', 'ws'), { perMessageDeflate: false, localAddress });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const pending = new Map();
  const answers = { ok: 0, rate: 0, other: 0 };
  ws.on('message', (data) => {
    const f = JSON.parse(data.toString());
    if (f.method) {
      ws.send(`{"jsonrpc":"2.0","id":${JSON.stringify(f.id)},"result":{}}`);
      return;
    }
    const p = pending.get(f.id);
    if (p) {
      pending.delete(f.id);
      return f.error ? p.reject(new Error(JSON.stringify(f.error))) : p.resolve(f.result);
    }
    if (f.error?.code === -32005) answers.rate++;
    else if (f.error) answers.other++;
    else answers.ok++;
  });
  ws.on('error', () => {});
  const call = (method, params) =>
    new Promise((resolve, reject) => {
      const id = randomUUID();
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
  await call('signalwire.connect', { version: { major: 3, minor: 0, revision: 0 }, event_acks: true, agent: 'bench', authentication: { project: PROJECT, token: TOKEN } });
  if (contexts.length) await call('signalwire.receive', { contexts });
  return { ws, call, answers };
}

/** Send `messaging.send` one after another until `until`; latencies in ms. */
async function victimLoop(victim, until) {
  const lat = [];
  let errors = 0;
  while (performance.now() < until) {
    const t = performance.now();
    try {
      await victim.call('messaging.send', { context: 'office', from_number: FROM, to_number: '+15557654321', body: 'hello' });
      lat.push(performance.now() - t);
    } catch {
      errors++;
    }
    await sleep(20);
  }
  lat.sort((a, b) => a - b);
  const pct = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))].toFixed(1) : 'n/a');
  return { sends: lat.length, errors, p50: pct(50), p99: pct(99), max: lat.length ? lat[lat.length - 1].toFixed(1) : 'n/a' };
}

/** Write the frame on the raw socket as fast as the server takes it, until `until`; frames written. */
function flood(client, frame, until) {
  const socket = client.ws._socket;
  let written = 0;
  return new Promise((resolve) => {
    const pump = () => {
      while (performance.now() < until && !socket.destroyed) {
        written++;
        if (!socket.write(frame)) return void socket.once('drain', pump);
      }
      resolve(written);
    };
    // Stops at the deadline even when the server stopped reading (no 'drain').
    setTimeout(() => resolve(written), until - performance.now() + 50).unref();
    pump();
  });
}

const port = await freePort();
const server = await startBenchServer({ port, capSeconds: 120 + SECONDS + BASELINE, env: { SWITCHBOARD_MAX_CONNECTIONS_PER_ADDRESS: '256', ...env } });
try {
  const frame = maskedTextFrame(greedyFrame(FRAME_BYTES));
  // Another client address (loopback): the greedy one's per-address limits are not the victim's.
  const victim = await relayConnection(server.base, '127.0.0.2', ['office']);
  const alone = await victimLoop(victim, performance.now() + BASELINE * 1000);
  const greedy = await Promise.all(Array.from({ length: SOCKETS }, () => relayConnection(server.base)));
  const cpu0 = server.cpuSeconds();
  const t0 = performance.now();
  const until = t0 + SECONDS * 1000;
  const [loaded, written] = await Promise.all([victimLoop(victim, until), Promise.all(greedy.map((g) => flood(g, frame, until)))]);
  const wall = (performance.now() - t0) / 1000;
  const cpu = server.cpuSeconds() - cpu0;
  await sleep(200);
  const parsed = greedy.reduce((n, g) => n + g.answers.ok, 0);
  const answered = parsed + greedy.reduce((n, g) => n + g.answers.rate + g.answers.other, 0);
  const limited = greedy.reduce((n, g) => n + g.answers.rate, 0);
  console.log(
    JSON.stringify(
      {
        sockets: SOCKETS,
        frameBytes: frame.length,
        shape: values.shape,
        seconds: Number(wall.toFixed(2)),
        env,
        serverCpuCoreShare: Number((cpu / wall).toFixed(2)),
        greedyFramesWritten: written.reduce((a, b) => a + b, 0),
        greedyFramesAnswered: answered,
        greedyAnswered32005: limited,
        greedyFramesServed: parsed,
        greedyMBServedPerSecond: Number(((parsed * frame.length) / wall / 1e6).toFixed(1)),
        victimAloneMs: alone,
        victimUnderLoadMs: loaded,
      },
      null,
      2,
    ),
  );
  for (const g of [victim, ...greedy]) g.ws.terminate();
} finally {
  await server.stop();
}

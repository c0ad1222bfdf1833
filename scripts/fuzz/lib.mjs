/**
 * Helpers of the fuzz scripts: a seeded random source, free loopback ports (bench/lib/ports.mjs),
 * the server they fuzz (HTTP and HTTPS, on :: when the machine has IPv6) with its RSS, one raw request.
 * Every fuzzer runs the built server through bench/lib/bench-server.mjs: set BENCH_SERVER_LOG=<file>
 * to keep its log and look for errors afterwards (`grep '"level":50'`), and SWITCHBOARD_DATABASE_URL
 * with SWITCHBOARD_NATS_URL to run it on PostgreSQL + NATS.
 */

import { readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { networkInterfaces } from 'node:os';
import { startBenchServer } from '../../bench/lib/bench-server.mjs';

/** mulberry32: the same sequence for the same seed. */
/**
 * A run's settings from its command line and environment: `[seed] [size]` (the size is what the
 * script counts: requests, sockets, rounds), the deadline from FUZZ_SECONDS, and the seeded random
 * numbers with `pick` (one element of an array).
 */
export function fuzzRun({ size, seconds }) {
  const seed = Number(process.argv[2] ?? 1);
  const random = rng(seed);
  return {
    seed,
    size: Number(process.argv[3] ?? size),
    deadline: Date.now() + Number(process.env.FUZZ_SECONDS ?? seconds) * 1000,
    random,
    pick: (a) => a[Math.floor(random() * a.length)],
  };
}

export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export { freePorts } from '../../bench/lib/ports.mjs';

/** Whether the machine has IPv6 loopback: the server then listens on :: and clients come from 127.0.0.1 (mapped) and ::1. */
export const ipv6 = Object.values(networkInterfaces()).flat().some((a) => a?.address === '::1');

/**
 * The built server on HTTP `port` and HTTPS `httpsPort` (bench/lib/bench-server.mjs), on :: when the
 * machine has IPv6; `rss()` reads its resident memory in MB.
 */
export async function startFuzzServer({ port, httpsPort, dataDir, env = {}, capSeconds }) {
  const server = await startBenchServer({ port, dataDir, capSeconds, env: { SWITCHBOARD_HOST: ipv6 ? '::' : '127.0.0.1', SWITCHBOARD_HTTPS: 'true', SWITCHBOARD_HTTPS_PORT: String(httpsPort), ...env } });
  return { server, rss: () => rssMb(server.pid) };
}

/** A process's resident memory in MB. */
export function rssMb(pid) {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
}

/** One request through node's client, as sent (no normalising of the path), with a 10 s cap. */
export function send(request, options, body) {
  return new Promise((resolve, reject) => {
    const req = request({ agent: false, ...options, timeout: 10_000 }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Bytes written as they are on one new connection (plain or TLS, `parts` one write each), and what
 * came back before the server closed it or `timeoutMs` passed: `{status, text, body, closed}`
 * (`status` 0 when no answer arrived).
 */
export function rawExchange({ tls: useTls = false, host = '127.0.0.1', port, parts, timeoutMs = 5_000 }) {
  return new Promise((resolve) => {
    const socket = useTls ? tlsConnect({ host, port, rejectUnauthorized: false }) : netConnect({ host, port });
    const chunks = [];
    let done = false;
    const finish = (closed) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, text, body: text.slice(text.indexOf('\r\n\r\n') + 4), closed });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.once(useTls ? 'secureConnect' : 'connect', () => {
      for (const p of parts) socket.write(p);
    });
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
  });
}

/** Print each failure whose `keyOf` was not seen yet (one line per distinct failure, JSON). */
export function printDistinct(failures, keyOf) {
  const seen = new Set();
  for (const f of failures) {
    const key = keyOf(f);
    if (seen.has(key)) continue;
    seen.add(key);
    console.log(JSON.stringify(f));
  }
}

/** Helpers of the fuzz scripts: a seeded random source, free loopback ports, one raw request. */
import { createServer } from 'node:net';

/** mulberry32: the same sequence for the same seed. */
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

export async function freePorts(n) {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise((r) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => r(s));
  })));
  const ports = servers.map((s) => s.address().port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
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

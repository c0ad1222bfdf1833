/** Free loopback ports for the benchmarks and fuzz scripts. */
import { createServer } from 'node:net';

/** `n` distinct free ports on 127.0.0.1 (held together while found, so none repeats). */
export async function freePorts(n) {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise((r) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => r(s));
  })));
  const ports = servers.map((s) => s.address().port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

export async function freePort() {
  return (await freePorts(1))[0];
}

#!/usr/bin/env node
/**
 * A TCP proxy on loopback that holds every chunk for a fixed delay in each direction, so a database
 * on this machine answers as one on another host would: `--delay-ms 0.5` is a round trip of about
 * 1 ms, a database in another availability zone. Order is kept (timers of one delay fire in order).
 * Run as a child of a benchmark (`scaleout.mjs --db-delay-ms`); prints its port, stops with its parent.
 *
 *   node bench/lib/delay-proxy.mjs --target 127.0.0.1:5432 --delay-ms 0.5
 */
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({ options: { target: { type: 'string', default: '127.0.0.1:5432' }, 'delay-ms': { type: 'string', default: '0.5' } } });
const [host, port] = opts.target.split(':');
const delay = Math.max(0, Number(opts['delay-ms']));

function relay(from, to) {
  from.on('data', (chunk) => {
    setTimeout(() => {
      if (!to.destroyed) to.write(chunk);
    }, delay);
  });
  from.on('end', () => setTimeout(() => to.end(), delay));
  from.on('error', () => to.destroy());
  from.on('close', () => setTimeout(() => to.destroy(), delay));
}

const server = net.createServer((client) => {
  client.setNoDelay(true);
  const upstream = net.connect({ host, port: Number(port) });
  upstream.setNoDelay(true);
  relay(client, upstream);
  relay(upstream, client);
});
server.listen(0, '127.0.0.1', () => {
  console.log(String(server.address().port));
});
// Stops with the benchmark that started it.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();

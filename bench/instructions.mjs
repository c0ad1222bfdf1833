#!/usr/bin/env node
/**
 * Instructions the server's main thread (the one that owns the database, and the one that limits
 * the REST path) executes per message on the REST path (create → simulator → delivered), counted by
 * valgrind's callgrind: a figure that does not move with the host's load, so two builds can be
 * compared where throughput runs on a shared or noisy machine differ by ±20 %.
 *
 * The server runs under `valgrind --tool=callgrind` with counting off; after a warm-up (JIT, caches)
 * and a pause, counting is switched on (`callgrind_control`), `--messages` creates are sent over
 * `--connections` connections (a closed loop: under valgrind the server is always the bottleneck,
 * so every build sees the same batches), and counting stops once every message is `delivered`.
 * The main thread's count repeats within about 1 % between runs. It counts work, not time: a change
 * whose cost is waiting on memory or the kernel (cache misses, system calls) hardly shows in it, so
 * it complements the throughput runs and `perf` rather than replacing them. The other threads' is printed too
 * but is not a figure to compare: valgrind runs one thread at a time, and V8's helper threads
 * (garbage collection, compiles) spin far longer there than on a real machine. Needs valgrind
 * (Debian's package); a few minutes (the server runs some 50 times slower while counted).
 * `INSTRUCTIONS_PER_THREAD=1` prints each thread's count; `KEEP_CALLGRIND=1` keeps callgrind's files
 * (named in the output) for `callgrind_annotate`.
 *
 *   node bench/instructions.mjs [--messages 5000] [--connections 32] [--port N] [--json out.json]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { AUTH, FROM, sleep, startBenchServer } from './lib/bench-server.mjs';
import { freePort } from './lib/ports.mjs';

const { values: opts } = parseArgs({
  options: {
    messages: { type: 'string', default: '5000' },
    connections: { type: 'string', default: '32' },
    json: { type: 'string' },
    port: { type: 'string' },
  },
});
const messages = Math.max(500, Math.min(50_000, Number(opts.messages)));
const connections = Math.max(1, Math.min(256, Number(opts.connections)));

try {
  execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
} catch {
  console.error('valgrind is not installed (Debian: apt-get install valgrind)');
  process.exit(2);
}

const outDir = mkdtempSync(join(tmpdir(), 'switchboard-callgrind-'));
if (process.env.KEEP_CALLGRIND) console.log(`callgrind's files: ${outDir}`);
else process.on('exit', () => rmSync(outDir, { recursive: true, force: true }));
const server = await startBenchServer({
  port: opts.port ? Number(opts.port) : await freePort(),
  capSeconds: 3600,
  readySeconds: 600,
  wrapper: ['valgrind', '--tool=callgrind', '--instr-atstart=no', '--separate-threads=yes', `--callgrind-out-file=${join(outDir, 'callgrind.out')}`, '--quiet'],
});
const control = (...args) => execFileSync('callgrind_control', [...args, String(server.pid)], { stdio: 'ignore' });
const body = JSON.stringify({ from: FROM, to: '+15557654321', body: 'Hello from the Switchboard benchmark' });
const request = { method: 'POST', headers: { authorization: AUTH, 'content-type': 'application/json' }, body };

/** Send `n` creates and wait until all of them are delivered (reading /metrics every 2 s: each read is work counted with the messages). */
async function sendAll(n) {
  const before = await server.counts();
  const run = await autocannon({ url: `${server.base}/api/messaging/messages`, connections, amount: n, timeout: 120, ...request });
  if (run['2xx'] !== n) throw new Error(`${n - run['2xx']} of ${n} creates were not accepted`);
  for (let waited = 0; (await server.counts()).delivered - before.delivered < n; waited++) {
    if (waited > 900) throw new Error('messages still not delivered after 30 minutes');
    await sleep(2000);
  }
}

/** Instructions counted while `work` runs, from one dump: of every thread, and of the main thread (the one that owns the database). */
async function counted(work) {
  control('--zero');
  control('--instr=on');
  const t0 = performance.now();
  await work();
  control('--instr=off');
  const seconds = (performance.now() - t0) / 1000;
  control('--dump');
  let total = 0;
  let main = 0;
  for (const f of readdirSync(outDir)) {
    // One file per thread and dump: callgrind.out.<dump>-<thread>, the main thread 01; the files without a dump number are written at exit.
    const dump = /^callgrind\.out\.\d+-(\d+)$/.exec(f);
    if (!dump) continue;
    const m = /^totals: (\d+)/m.exec(readFileSync(join(outDir, f), 'utf8'));
    if (m) {
      if (process.env.INSTRUCTIONS_PER_THREAD) console.log(`  thread ${dump[1]}: ${m[1]}`);
      total += Number(m[1]);
      if (Number(dump[1]) === 1) main += Number(m[1]);
    }
    if (process.env.KEEP_CALLGRIND) renameSync(join(outDir, f), join(outDir, `kept-${f}`));
    else rmSync(join(outDir, f));
  }
  return { total, main, seconds };
}

console.log(`Main-thread instructions per message, REST create → delivered (SQLite), ${messages} messages over ${connections} connections, node ${process.version}`);
await sendAll(Math.min(2000, messages));
// Let the warm-up's aftermath (SQLite's checkpoint, V8's compiles) end before counting.
await sleep(10_000);
// What the server does with nothing to do (its timers), per second, every thread; counted with the messages too.
const idle = await counted(() => sleep(10_000));
const busy = await counted(() => sendAll(messages));
const idleShare = (idle.total / idle.seconds) * busy.seconds / busy.total;
await server.stop();
const perMessage = Math.round(busy.total / messages);
const mainPerMessage = Math.round(busy.main / messages);
console.log(`  counted          ${(busy.total / 1e9).toFixed(2)} G instructions in ${busy.seconds.toFixed(0)} s under valgrind`);
console.log(`  idle             ${(idle.total / idle.seconds / 1e6).toFixed(1)} M instructions a second with nothing to do: ${(idleShare * 100).toFixed(1)} % of the count`);
console.log(`  main thread      ${mainPerMessage.toLocaleString('en-US')} instructions per message`);
console.log(`  all threads      ${perMessage.toLocaleString('en-US')} per message (V8's helper threads spin under valgrind: not a figure to compare)`);
if (opts.json) writeFileSync(opts.json, JSON.stringify({ messages, connections, instructions: busy.total, mainThread: busy.main, seconds: busy.seconds, idlePerSecond: idle.total / idle.seconds, perMessage, mainPerMessage }, null, 2));

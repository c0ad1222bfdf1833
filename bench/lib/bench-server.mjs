/**
 * A Switchboard server for benchmarks: the built CLI in a temporary data folder (or one the caller
 * owns), fixed credentials, the simulator at full speed, plain HTTP on a given port; with readers
 * for its CPU time, peak RSS and message counters. Stopped (and its temporary folder removed) by
 * `stop()` or when the benchmark process exits.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { procCpuSeconds, procPeakRssMb } from './proc.mjs';

export const PROJECT = '0b6c3d2e-1f4a-4b5c-8d9e-0a1b2c3d4e5f';
export const TOKEN = 'PTbenchmarkToken0123456789abcdefghijklmnopqrstuv';
export const AUTH = `Basic ${Buffer.from(`${PROJECT}:${TOKEN}`).toString('base64')}`;
export const FROM = '+15551230001';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const cli = join(root, 'packages/server/dist/cli/main.js');
/** The Node flags the `switchboard` launcher runs with (its shebang line), so a benchmark measures the server as it is run. */
export const LAUNCHER_NODE_FLAGS = readFileSync(join(root, 'packages/server/bin/switchboard.js'), 'utf8').split('\n', 1)[0].split(' ').filter((w) => w.startsWith('--'));

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Start the server and wait until it is ready.
 * @param {{ port: number, env?: Record<string, string>, capSeconds?: number, dataDir?: string, wrapper?: string[], readySeconds?: number }} opts
 *   the process exits with an error if the benchmark runs longer than `capSeconds` (when given);
 *   a given `dataDir` is the caller's (kept, so a restart finds its data), otherwise a temporary one is made;
 *   `wrapper` runs the server under another program (valgrind), which then needs more than the default 20 `readySeconds`
 */
export async function startBenchServer({ port, env = {}, capSeconds, dataDir: givenDataDir, wrapper = [], readySeconds = 20 }) {
  if (!existsSync(cli)) {
    console.error('Build first: npm run build');
    process.exit(2);
  }
  const dataDir = givenDataDir ?? mkdtempSync(join(tmpdir(), 'switchboard-bench-'));
  const removeDataDir = () => {
    if (!givenDataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  // BENCH_SERVER_NODE_ARGS: extra Node flags for the server only, e.g. "--cpu-prof --cpu-prof-dir=prof"
  // (Node refuses --cpu-prof in NODE_OPTIONS).
  const nodeArgs = [...LAUNCHER_NODE_FLAGS, ...(process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean)];
  const argv = [...wrapper, process.execPath, ...nodeArgs, cli, 'start'];
  const child = spawn(argv[0], argv.slice(1), {
    env: {
      ...process.env,
      SWITCHBOARD_PORT: String(port),
      SWITCHBOARD_HTTPS: 'false',
      SWITCHBOARD_DATA_DIR: dataDir,
      SWITCHBOARD_PROJECT_ID: PROJECT,
      SWITCHBOARD_API_TOKEN: TOKEN,
      SWITCHBOARD_NUMBERS: FROM,
      SWITCHBOARD_SIMULATOR_DELAY_MS: '0',
      SWITCHBOARD_LOG_LEVEL: 'warn',
      // Every load generator connects from loopback: one address for all its connections.
      SWITCHBOARD_MAX_CONNECTIONS_PER_ADDRESS: '100000',
      ...env,
    },
    // BENCH_SERVER_LOG=<file>: append the server's log there (to look for errors after a run).
    stdio: ['ignore', process.env.BENCH_SERVER_LOG ? openSync(process.env.BENCH_SERVER_LOG, 'a') : 'ignore', 'inherit'],
  });
  const kill = () => {
    try {
      child.kill('SIGTERM');
    } catch {
      // already gone
    }
  };
  process.on('exit', () => {
    kill();
    removeDataDir();
  });
  if (capSeconds !== undefined) {
    const cap = setTimeout(() => {
      console.error('benchmark exceeded its time cap; stopping');
      process.exit(1);
    }, capSeconds * 1000);
    cap.unref();
  }

  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (i > readySeconds * 20 || child.exitCode !== null) throw new Error('server did not become ready');
    await sleep(50);
  }

  return {
    base,
    pid: child.pid,
    /** utime + stime of the server process, seconds. */
    cpuSeconds: () => procCpuSeconds(child.pid),
    /** The server's peak resident memory, MB. */
    peakRssMb: () => Math.round(procPeakRssMb(child.pid)),
    /** Messages that entered `queued`, `sent` and `delivered`, from one read of /metrics. */
    async counts() {
      const text = await (await fetch(`${base}/metrics`)).text();
      const get = (status) => Number(new RegExp(`switchboard_message_transitions_total\\{status="${status}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
      return { queued: get('queued'), sent: get('sent'), delivered: get('delivered') };
    },
    /** Stop gracefully and wait for the process to end. */
    async stop() {
      kill();
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
      removeDataDir();
    },
  };
}

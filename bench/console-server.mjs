/**
 * Helper for the console benchmarks: start a built Switchboard as a child process on loopback with
 * fixed credentials, wait until it is ready, and stop it (also on exit).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const PROJECT = '0b6c3d2e-1f4a-4b5c-8d9e-0a1b2c3d4e5f';
export const TOKEN = 'PTbenchmarkToken0123456789abcdefghijklmnopqrstuv';
export const NUMBERS = ['+15551230001', '+15551230002', '+15551230003'];
export const auth = `Basic ${Buffer.from(`${PROJECT}:${TOKEN}`).toString('base64')}`;
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const cli = join(root, 'packages/server/dist/cli/main.js');

/** Start a server; resolves with { base, pid, stop(), cpuSeconds() }. */
export async function startServer({ port, dataDir, delayMs = 0 }) {
  if (!existsSync(cli)) throw new Error('Build first: npm run build');
  const child = spawn(process.execPath, [cli, 'start'], {
    env: {
      ...process.env,
      SWITCHBOARD_PORT: String(port),
      SWITCHBOARD_DATA_DIR: dataDir,
      SWITCHBOARD_PROJECT_ID: PROJECT,
      SWITCHBOARD_API_TOKEN: TOKEN,
      SWITCHBOARD_NUMBERS: NUMBERS.join(','),
      SWITCHBOARD_SIMULATOR_DELAY_MS: String(delayMs),
      SWITCHBOARD_LOG_LEVEL: 'warn',
      SWITCHBOARD_HTTPS: 'false',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  process.on('exit', () => child.exitCode === null && child.kill('SIGKILL'));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (i > 400) throw new Error('server did not become ready');
    await sleep(50);
  }
  const cpuSeconds = () => {
    const f = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  };
  return { base, pid: child.pid, stop, cpuSeconds };
}

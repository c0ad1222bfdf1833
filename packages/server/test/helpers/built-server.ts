/**
 * The built server (`packages/server/dist`, made by `npm test`'s pretest) as a child process, for
 * tests that must kill it or run several nodes. Tests that use it skip when the build is missing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { databaseQuery, NATS_TEST_URL, serversOnNats, type TestDatabase } from './postgres.js';

export const BUILT_CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** Whether `BUILT_CLI` exists (checked once, when the test file loads). */
export const serverIsBuilt = existsSync(BUILT_CLI);

/** A loopback port nothing listens on right now (for a server that must be told its port up front). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/**
 * The environment a crash test's server starts with: plain HTTP, one project with one number,
 * errors only on the log, and the suite's PostgreSQL database (and NATS) on its PostgreSQL pass.
 */
export function crashTestEnv(o: { dataDir: string; project: string; token: string; database: TestDatabase | undefined }): Record<string, string> {
  return {
    SWITCHBOARD_HTTPS: 'false',
    SWITCHBOARD_DATA_DIR: o.dataDir,
    SWITCHBOARD_PROJECT_ID: o.project,
    SWITCHBOARD_API_TOKEN: o.token,
    SWITCHBOARD_NUMBERS: '+15551230001',
    SWITCHBOARD_LOG_LEVEL: 'error',
    ...(o.database ? { SWITCHBOARD_DATABASE_URL: o.database.url } : {}),
    ...(serversOnNats ? { SWITCHBOARD_NATS_URL: NATS_TEST_URL } : {}),
  };
}

export interface BuiltServer {
  readonly child: ChildProcess;
  readonly base: string;
  /** The body of its first successful `/ready` answer. */
  readonly ready: any;
}

/**
 * Run `switchboard start [args]` on `port` with `env` on top of this process's environment, and
 * wait until `/ready` answers 200. Fails at once if the process exits, and kills it on a timeout.
 */
export async function startBuiltServer(opts: { port: number; env: Record<string, string>; args?: readonly string[]; name?: string; timeoutMs?: number }): Promise<BuiltServer> {
  const { port, timeoutMs = 20_000, name = 'the server' } = opts;
  const child = spawn(process.execPath, [BUILT_CLI, 'start', ...(opts.args ?? [])], {
    env: { ...process.env, ...opts.env, SWITCHBOARD_PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before it was ready: ${stderr}`);
    try {
      const res = await fetch(`${base}/ready`);
      if (res.ok) return { child, base, ready: await res.json() };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} was not ready after ${timeoutMs} ms: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The rows of a read on the database of a built server started with `crashTestEnv`: its PostgreSQL
 * database when it has one, else the SQLite file of `dataDir`, opened read-only beside the server.
 * `text` numbers its parameters `$1`, `$2`… (read as `?` on SQLite).
 */
export async function readServerRows<T>(o: { dataDir: string; database: TestDatabase | undefined }, text: string, values: unknown[] = []): Promise<T[]> {
  if (o.database) return (await databaseQuery(o.database.url, text, values)).rows as T[];
  const sqlite = new Database(join(o.dataDir, 'switchboard.db'), { readonly: true, fileMustExist: true });
  try {
    return sqlite.prepare(text.replace(/\$\d+/g, '?')).all(...values) as T[];
  } finally {
    sqlite.close();
  }
}

/** Kill `child` with SIGKILL (a crash) if it still runs, and wait until it has exited. */
export async function killNow(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

/** What a finished run of the command printed and how it ended. */
export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run the built command to completion in `cwd` with exactly `env`; killed (and failed) after `timeoutMs`. */
export function runBuiltCli(args: readonly string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<CliRun> {
  const { timeoutMs = 20_000 } = opts;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BUILT_CLI, ...args], { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`switchboard ${args.join(' ')} did not finish in ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A `switchboard start` child whose banner has been printed. */
export interface BannerServer {
  readonly child: ChildProcess;
  /** Everything it printed on stdout up to now (the banner first). */
  stdout(): string;
  stderr(): string;
  /** The plain HTTP base URL from the banner. */
  readonly url: string;
  /** Resolves when it has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with how it ended. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Run the built `switchboard [args]` in `cwd` with exactly `env`, and wait until its banner names
 * the URL it runs at. Fails (and kills it) if it exits first or takes longer than `timeoutMs`.
 */
export async function startBuiltCli(args: readonly string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<BannerServer> {
  const { timeoutMs = 60_000 } = opts;
  const child = spawn(process.execPath, [BUILT_CLI, ...args], { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + timeoutMs;
  let url: string | undefined;
  // The banner is written at once; wait for its last line so every line of it is there.
  while (!(url = /running at (http:\/\/\S+)/.exec(stdout)?.[1]) || !/See it delivered:[\s\S]*\n\n/.test(stdout)) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`switchboard ${args.join(' ')} exited (${child.exitCode ?? child.signalCode}) before its banner: ${stderr}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`switchboard ${args.join(' ')} printed no banner in ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const stop = async (graceMs = 30_000) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const how = await exited;
      clearTimeout(timer);
      return how;
    }
    return exited;
  };
  return { child, url, exited, stop, stdout: () => stdout, stderr: () => stderr };
}

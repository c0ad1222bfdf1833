/**
 * SignalWire's Python SDK for the tests that drive it: not vendored, it is found through
 * SIGNALWIRE_PYTHON_SDK (a checkout of github.com/signalwire/signalwire-python) and needs a python3
 * with some of Debian's modules (python3-websockets and python3-structlog for RELAY,
 * python3-requests and python3-structlog for REST). Without them those tests are skipped and say why.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export type PythonSetup = { python: string; sdk: string } | { missing: string };

/** A python3 that imports `modules`, and the SDK checkout; or why the SDK cannot run. */
export function pythonSetup(modules: readonly string[]): PythonSetup {
  const sdk = process.env.SIGNALWIRE_PYTHON_SDK;
  if (!sdk) return { missing: 'SIGNALWIRE_PYTHON_SDK is not set (a checkout of github.com/signalwire/signalwire-python)' };
  if (!existsSync(join(sdk, 'signalwire', 'signalwire', 'relay', 'client.py'))) return { missing: `SIGNALWIRE_PYTHON_SDK (${sdk}) holds no signalwire/signalwire/relay/client.py` };
  for (const python of ['python3', '/usr/bin/python3']) {
    const probe = spawnSync(python, ['-c', `import ${modules.join(', ')}`], { encoding: 'utf8' });
    if (probe.status === 0) return { python, sdk };
  }
  return { missing: `no python3 with the ${modules.join(', ')} modules (Debian: apt-get install ${modules.map((m) => `python3-${m}`).join(' ')})` };
}

/** Run a fixture script under test/fixtures/signalwire-python; its exit code and output. */
export async function runPythonFixture(setup: { python: string; sdk: string }, script: string, env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(setup.python, [join(import.meta.dirname, 'fixtures', 'signalwire-python', script)], {
    env: { PATH: process.env.PATH ?? '', SIGNALWIRE_PYTHON_SDK: setup.sdk, SIGNALWIRE_LOG_LEVEL: 'warning', ...env },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, out, err };
}

/** A fixture script run step by step: wait for a line it prints, then tell it to go on. */
export interface PythonSteps {
  /** Resolves with the first line the script printed equal to `line`, or matching it (rejects if it exits first). */
  printed(line: string | RegExp): Promise<string>;
  /** Write a line to its stdin. */
  next(): void;
  /** Its exit code and whole output, once it has exited. */
  done: Promise<{ code: number | null; out: string; err: string }>;
  /** End it at once (a test's clean-up after a failure). */
  kill(): void;
}

export function startPythonFixture(setup: { python: string; sdk: string }, script: string, env: Record<string, string>): PythonSteps {
  const child = spawn(setup.python, [join(import.meta.dirname, 'fixtures', 'signalwire-python', script)], {
    env: { PATH: process.env.PATH ?? '', SIGNALWIRE_PYTHON_SDK: setup.sdk, SIGNALWIRE_LOG_LEVEL: 'warning', ...env },
  });
  let out = '';
  let err = '';
  const waiters: Array<() => void> = [];
  child.stdout.on('data', (d) => {
    out += d;
    for (const w of waiters.splice(0)) w();
  });
  child.stderr.on('data', (d) => (err += d));
  const done = new Promise<{ code: number | null; out: string; err: string }>((resolve) => child.on('close', (code) => resolve({ code, out, err })));
  return {
    printed: (line) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = out.split('\n').find((l) => (typeof line === 'string' ? l === line : line.test(l)));
          if (found === undefined) waiters.push(check);
          else resolve(found);
        };
        check();
        void done.then(({ code }) => reject(new Error(`the script exited (${code}) before printing ${line}:\n${out}\n${err}`)));
      }),
    next: () => child.stdin.write('\n'),
    done,
    kill: () => child.kill('SIGKILL'),
  };
}

/** The JSON of the script's `RESULT ` line (the SDK logs to stdout too). */
export function resultOf(out: string): unknown {
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  return line === undefined ? undefined : JSON.parse(line.slice('RESULT '.length));
}

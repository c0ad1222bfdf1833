/**
 * The command when nobody reads its standard output any more (`| head -1`, a log pipe whose reader
 * stopped): a server keeps serving and stops on SIGTERM; a one-shot command ends without a stack trace.
 *
 * Runs `packages/server/dist/cli/main.js` (built by `npm test`'s pretest); skipped when absent.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILT_CLI, freePort, serverIsBuilt as BUILT } from './helpers/built-server.js';

const SLOW = 120_000;
const NOT_BUILT = 'skipped: packages/server/dist is missing — run `npm run build` (npm test does it first)';
const work = mkdtempSync(join(tmpdir(), 'switchboard-closed-output-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** `switchboard args` whose stdout pipe is closed by its reader at once. */
function withClosedStdout(args: string[]) {
  const env = { PATH: process.env.PATH, HOME: work, SWITCHBOARD_LOG_LEVEL: 'info', SWITCHBOARD_DATA_DIR: join(work, 'data') };
  const child = spawn(process.execPath, [BUILT_CLI, ...args], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, exited, stderr: () => stderr };
}

describe.skipIf(!BUILT)(`standard output closed by its reader ${BUILT ? '' : NOT_BUILT}`, { timeout: SLOW }, () => {
  // Its banner met EPIPE: the process crashed into pino's exit flush, which retries a broken pipe
  // for ever. It hung listening without answering, and ignored SIGTERM.
  it('a server keeps answering, then stops on SIGTERM; a command ends without a stack trace', async () => {
    const port = await freePort();
    const server = withClosedStdout(['start', '--port', String(port), '--no-https']);
    try {
      // Bounded, so that a hung server fails the test rather than its timeout (and is killed below).
      let health: Response | undefined;
      for (const deadline = Date.now() + 40_000; !health?.ok && Date.now() < deadline; ) {
        health = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
        if (!health?.ok) await new Promise((r) => setTimeout(r, 100));
      }
      expect(health?.status, server.stderr()).toBe(200);

      const list = withClosedStdout(['token', 'list']);
      const listed = await list.exited;
      expect(list.stderr()).not.toMatch(/EPIPE|\n\s+at /);
      expect(listed).toEqual({ code: 0, signal: null });
    } finally {
      server.child.kill('SIGTERM');
      // A hung process ignores SIGTERM: SIGKILL it after a while, and the assertion below says so.
      const timer = setTimeout(() => server.child.kill('SIGKILL'), 20_000);
      expect(await server.exited).toEqual({ code: 0, signal: null });
      clearTimeout(timer);
    }
    expect(server.stderr()).not.toMatch(/\n\s+at /);
  });
});

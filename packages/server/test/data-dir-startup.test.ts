/**
 * A data folder the server cannot use stops `switchboard start` (and the management commands) with
 * one line naming the folder and the cause — exit code 2, no stack trace — instead of `ENOENT …
 * mkdir …/tls` or SQLite's bare `unable to open database file`.
 *
 * The tests run as root in CI, where permission bits do not stop writes: a folder below a regular
 * file (ENOTDIR) stands in for an unusable path everywhere; a folder with mode 0555 (EACCES) is
 * tried only when the tests do not run as root.
 *
 * Runs `packages/server/dist/cli/main.js` (built by `npm test`'s pretest); skipped when absent.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBuiltCli, serverIsBuilt as BUILT, type CliRun } from './helpers/built-server.js';

const NOT_BUILT = 'skipped: packages/server/dist is missing — run `npm run build` (npm test does it first)';
const asRoot = process.getuid?.() === 0;

let workDir: string;
beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'switchboard-datadir-'));
});
afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

/** Run the built CLI with a clean environment: it must stop by itself (a server that starts is a failure). */
function cli(args: string[], env: Record<string, string>): Promise<CliRun> {
  return runBuiltCli(args, {
    cwd: workDir,
    env: { PATH: process.env.PATH, HOME: workDir, SWITCHBOARD_LOG_LEVEL: 'warn', SWITCHBOARD_PORT: '0', SWITCHBOARD_HTTPS_PORT: '0', ...env },
    timeoutMs: 15_000,
  });
}

/** One line, exit code 2, no stack trace. */
function expectOneLine(run: CliRun, line: string): void {
  expect(run.code, run.stderr).toBe(2);
  expect(run.stderr).toBe(`switchboard: ${line}\n`);
  expect(run.stdout).not.toMatch(/running at/);
}

describe.skipIf(!BUILT)(`a data folder the server cannot use ${BUILT ? '' : NOT_BUILT}`, () => {
  it('below a regular file: names the folder and the cause (ENOTDIR)', async () => {
    const file = join(workDir, 'a-file');
    writeFileSync(file, 'not a folder');
    const dataDir = join(file, 'data');
    const line = `Cannot use the data folder ${dataDir}: a part of its path is a file, not a folder (ENOTDIR). Set SWITCHBOARD_DATA_DIR to a writable folder.`;
    expectOneLine(await cli(['start'], { SWITCHBOARD_DATA_DIR: dataDir }), line);
    // With HTTPS on, the check comes before the certificates are generated in <data>/tls.
    expectOneLine(await cli(['start'], { SWITCHBOARD_DATA_DIR: dataDir, SWITCHBOARD_HTTPS: 'true' }), line);
    // The management commands open the same database the same way.
    expectOneLine(await cli(['token', 'list'], { SWITCHBOARD_DATA_DIR: dataDir }), line);
  });

  // Node's recursive mkdir loops for ever when mkdir answers ENOENT under a folder that exists, as in /proc.
  it.skipIf(!existsSync('/proc/self'))('on a file system that refuses new folders (/proc): one line, not a hang', async () => {
    const dataDir = '/proc/switchboard-data';
    const line = `Cannot use the data folder ${dataDir}: its file system does not let a folder be created there (ENOENT). Set SWITCHBOARD_DATA_DIR to a writable folder.`;
    expectOneLine(await cli(['start'], { SWITCHBOARD_DATA_DIR: dataDir }), line);
    expectOneLine(await cli(['migrate'], { SWITCHBOARD_DATA_DIR: dataDir }), line);
  });

  it('whose database file is not a database: says to restore it, not to pick another folder', async () => {
    const dataDir = mkdtempSync(join(workDir, 'data-'));
    writeFileSync(join(dataDir, 'switchboard.db'), 'x'.repeat(8192));
    expectOneLine(
      await cli(['start'], { SWITCHBOARD_DATA_DIR: dataDir }),
      `Cannot use the data folder ${dataDir}: switchboard.db: the database file is not a SQLite database (SQLITE_NOTADB). Restore switchboard.db from a backup (or move it aside to start with an empty database).`,
    );
  });

  it('where the certificates go (<data>/tls) is a file: names the folder, the cause and the place', async () => {
    const dataDir = mkdtempSync(join(workDir, 'data-'));
    writeFileSync(join(dataDir, 'tls'), 'in the way');
    const run = await cli(['start'], { SWITCHBOARD_DATA_DIR: dataDir, SWITCHBOARD_HTTPS: 'true' });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`^switchboard: Cannot use the data folder ${dataDir}: tls: .* \\((EEXIST|ENOTDIR)\\)\\. Set SWITCHBOARD_DATA_DIR to a writable folder\\.\\n$`));
  });

  it('where the database goes is a folder: names the folder and SQLite cause', async () => {
    const dataDir = mkdtempSync(join(workDir, 'data-'));
    mkdirSync(join(dataDir, 'switchboard.db'));
    expectOneLine(
      await cli(['start'], { SWITCHBOARD_DATA_DIR: dataDir }),
      `Cannot use the data folder ${dataDir}: switchboard.db: the database file cannot be opened (SQLITE_CANTOPEN). Set SWITCHBOARD_DATA_DIR to a writable folder.`,
    );
  });

  it.skipIf(asRoot)('read-only by permission (mode 0555): names the folder and the cause (EACCES)', async () => {
    const parent = mkdtempSync(join(workDir, 'readonly-'));
    chmodSync(parent, 0o555);
    try {
      const dataDir = join(parent, 'data');
      expectOneLine(await cli(['start'], { SWITCHBOARD_DATA_DIR: dataDir }), `Cannot use the data folder ${dataDir}: permission denied (EACCES). Set SWITCHBOARD_DATA_DIR to a writable folder.`);
    } finally {
      chmodSync(parent, 0o755);
    }
  });
});

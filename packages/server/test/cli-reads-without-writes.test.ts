/**
 * The CLI's reads (`project list`, `token list`, `number list`) need no write. Opening the SQLite
 * store ran the migrator, which since migrations became transactional begins a write transaction
 * (BEGIN IMMEDIATE) even when no migration is pending: a read waited for the write lock of a server
 * busy writing and, past the lock wait, failed; and the data folder was checked with a test write,
 * so on a full disk `token list` was refused. The store now takes the lock only to run pending
 * migrations, and the read commands do not write-check the folder (they need its database only).
 *
 * The lock: another connection holds SQLite's write lock while the commands run. The full disk: a
 * 2 MiB tmpfs filled up, where this machine lets the tests mount one (root); skipped elsewhere.
 * PostgreSQL (when SWITCHBOARD_TEST_DATABASE_URL is set): a database whose transactions are
 * read-only; a write there is refused as such ("takes no writes"), not with the advice to check that
 * PostgreSQL runs and the URL points at it, which fits an unreachable database only. Runs `packages/server/dist/cli/main.js`; skipped when absent.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBuiltCli, serverIsBuilt as BUILT, type CliRun } from './helpers/built-server.js';
import { adminQuery, createTestDatabase, serversOnPostgres } from './helpers/postgres.js';

const SLOW = 120_000;
const NOT_BUILT = 'skipped: packages/server/dist is missing — run `npm run build`';

let workDir: string;
beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'switchboard-cli-reads-'));
});
afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

/** Run a command on a data folder (SQLite) or, given one, a PostgreSQL database URL. */
function cli(args: string[], dataDir: string, databaseUrl?: string): Promise<CliRun> {
  return runBuiltCli([...args, '--data-dir', dataDir, ...(databaseUrl ? ['--database-url', databaseUrl] : [])], { cwd: workDir, env: { PATH: process.env.PATH, HOME: workDir, SWITCHBOARD_LOG_LEVEL: 'warn' }, timeoutMs: 60_000 });
}

/** A data folder with a project, a token and a number, made by the CLI. */
async function populated(dataDir: string, databaseUrl?: string): Promise<string> {
  const created = await cli(['project', 'create', 'Reads'], dataDir, databaseUrl);
  expect(created.code, created.stderr).toBe(0);
  const project = /^project (\S+)$/m.exec(created.stdout)![1]!;
  expect((await cli(['number', 'add', '+15551230009'], dataDir, databaseUrl)).code).toBe(0);
  return project;
}

/** Each read command lists what `populated` made, and answers within `withinMs`. */
async function expectReads(dataDir: string, project: string, withinMs: number, databaseUrl?: string): Promise<void> {
  const reads: Array<[string[], RegExp]> = [
    [['project', 'list'], new RegExp(`^${project}  Reads\\n$`)],
    [['token', 'list'], /^\S+ {2}PT\w+… {2}cli {2}\[/],
    [['number', 'list'], /^\+15551230009 {2}longcode/],
  ];
  for (const [args, shows] of reads) {
    const began = Date.now();
    const run = await cli(args, dataDir, databaseUrl);
    expect(run.stderr, args.join(' ')).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(shows);
    expect(Date.now() - began, `${args.join(' ')} took`).toBeLessThan(withinMs);
  }
}

describe.skipIf(!BUILT)(`the read commands ${BUILT ? '' : NOT_BUILT}`, { timeout: SLOW }, () => {
  it('answer while another process holds the write lock (a server busy writing), without waiting for it', async () => {
    const dataDir = mkdtempSync(join(workDir, 'data-'));
    const project = await populated(dataDir);
    const writer = new Database(join(dataDir, 'switchboard.db'));
    try {
      writer.exec('begin immediate');
      // The lock wait is 5 s: a command that waited for the lock would take that long and fail.
      await expectReads(dataDir, project, 4_000);
      // A write still waits for the lock, and is refused once the wait is over.
      const add = await cli(['number', 'add', '+15551230010'], dataDir);
      expect(add.code).not.toBe(0);
      expect(add.stderr).toMatch(/another process holds its lock/);
    } finally {
      writer.exec('rollback');
      writer.close();
    }
  });
});

/** Mount a tmpfs of `size` at `dir`, or null where this machine does not let the tests (not root, no mount). */
function mountTmpfs(dir: string, size: string): (() => void) | null {
  if (process.getuid?.() !== 0 || process.platform !== 'linux') return null;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    return null;
  }
  // Lazily if something still holds a file there: a failed test must not leave the mount behind.
  return () => {
    try {
      execFileSync('umount', [dir], { stdio: 'ignore' });
    } catch {
      execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
    }
  };
}

describe.skipIf(!BUILT)(`the read commands on a full disk ${BUILT ? '' : NOT_BUILT}`, { timeout: SLOW }, () => {
  let mount: string;
  let unmount: (() => void) | null = null;
  beforeAll(() => {
    mount = mkdtempSync(join(tmpdir(), 'switchboard-full-disk-'));
    unmount = mountTmpfs(mount, '2m');
  });
  afterAll(() => {
    unmount?.();
    rmSync(mount, { recursive: true, force: true });
  });

  it('list what the database holds while a server has it open', async (ctx) => {
    if (!unmount) return ctx.skip();
    const dataDir = join(mount, 'data');
    mkdirSync(dataDir);
    const project = await populated(dataDir);
    // The server's connection: SQLite's shared-memory and WAL files exist, as while a server runs.
    const server = new Database(join(dataDir, 'switchboard.db'));
    try {
      server.pragma('journal_mode = WAL');
      server.prepare('select count(*) from projects').get();
      // Fill the disk.
      const filler = join(mount, 'filler');
      try {
        for (let i = 0; ; i++) writeFileSync(filler, Buffer.alloc(64 * 1024), { flag: 'a' });
      } catch (err) {
        expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
      }
      await expectReads(dataDir, project, 30_000);
      // A write is refused with the disk's reason.
      const add = await cli(['number', 'add', '+15551230010'], dataDir);
      expect(add.code).not.toBe(0);
      expect(add.stderr).toMatch(/no space left on the device/);
    } finally {
      server.close();
    }
  });
});

describe.skipIf(!BUILT || !serversOnPostgres)(`the read commands on PostgreSQL (SWITCHBOARD_TEST_DATABASE_URL) ${BUILT ? '' : NOT_BUILT}`, { timeout: SLOW }, () => {
  it('answer from a database that takes no writes (read-only transactions, as on a standby)', async () => {
    const db = await createTestDatabase();
    try {
      const dataDir = mkdtempSync(join(workDir, 'data-'));
      const project = await populated(dataDir, db.url);
      await adminQuery(`alter database "${db.name}" set default_transaction_read_only = on`);
      await expectReads(dataDir, project, 30_000, db.url);
      const add = await cli(['number', 'add', '+15551230010'], dataDir, db.url);
      expect(add.code).not.toBe(0);
      expect(add.stderr).toMatch(/read-only transaction/);
      // Said as what it is: the database answers (it just listed), so its URL and credentials are not at fault.
      expect(add.stderr).toMatch(/^switchboard: database takes no writes .*\(SQLSTATE 25006\)\. Point SWITCHBOARD_DATABASE_URL \(--database-url\) at the primary rather than a standby, or turn default_transaction_read_only off/);
      expect(add.stderr).not.toMatch(/Check that PostgreSQL runs/);
    } finally {
      await db.drop();
    }
  });
});

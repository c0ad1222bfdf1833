/**
 * A zero-config first start writes a project, an API token and the built-in numbers. Stopped
 * half-way (killed, or a disk that filled up), it used to leave the project without its numbers,
 * and every later start found the project, took it for one whose numbers had been released, and
 * added none: the banner said "Numbers (none ...)" for good. The first start's writes now commit
 * together, so an interrupted one leaves nothing and the next start is a first start again.
 *
 * `switchboard project create` likewise wrote its project, then its token: stopped between the two,
 * it left a project without a token (none to print, none to log in with). Both now commit together.
 *
 * The interruption is a storage failure injected in the database itself (a trigger refusing an
 * insert, as SQLITE_FULL or PostgreSQL's 53100 would), on the built server (`packages/server/dist`;
 * skipped when absent): at the token, and at the second number. SQLite always; PostgreSQL (and NATS)
 * when SWITCHBOARD_TEST_DATABASE_URL (SWITCHBOARD_TEST_NATS_URL) is set.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_IN_NUMBERS } from '../src/engine/admin/bootstrap.js';
import { openPostgresStore } from '../src/store/dialects/postgres.js';
import { openSqliteStore } from '../src/store/dialects/sqlite.js';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { runBuiltCli, serverIsBuilt as BUILT, startBuiltCli } from './helpers/built-server.js';
import { createTestDatabase, databaseQuery, NATS_TEST_URL, serversOnNats, serversOnPostgres, type TestDatabase } from './helpers/postgres.js';

const SLOW = 120_000;
const NOT_BUILT = 'skipped: packages/server/dist is missing — run `npm run build`';

/** Where the first start is stopped: the table whose insert fails, and how many rows it takes first. */
const INTERRUPTIONS = [
  { at: 'its API token', table: 'api_tokens', after: 0 },
  { at: 'its second number', table: 'phone_numbers', after: 1 },
] as const;

interface Backend {
  /** The arguments (and environment) that put a start on this backend. */
  readonly args: string[];
  readonly env: Record<string, string>;
  open(): Promise<KyselyStore>;
  /** Refuse inserts into `table` once it has `after` rows (or allow them again), as a full disk would. */
  refuse(on: boolean, table: string, after: number): Promise<void>;
}

let workDir: string;
const databases: TestDatabase[] = [];
beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'switchboard-first-start-'));
});
afterAll(async () => {
  rmSync(workDir, { recursive: true, force: true });
  for (const d of databases) await d.drop();
});

function env(b: Backend): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: workDir, SWITCHBOARD_LOG_LEVEL: 'error', SWITCHBOARD_SIMULATOR_DELAY_MS: '0', ...b.env };
}

async function counts(b: Backend): Promise<{ projects: number; numbers: string[] }> {
  const store = await b.open();
  try {
    const db = store.db as Kysely<any>;
    const projects = (await sql<{ id: string }>`select id from projects`.execute(db)).rows.length;
    const numbers = (await sql<{ number: string }>`select number from phone_numbers order by number`.execute(db)).rows.map((r) => r.number);
    return { projects, numbers };
  } finally {
    await store.close();
  }
}

/** Each project with how many tokens it has. */
async function tokensByProject(b: Backend): Promise<number[]> {
  const store = await b.open();
  try {
    const rows = await sql<{ n: number | string }>`select (select count(*) from api_tokens t where t.project_id = p.id) as n from projects p`.execute(store.db as Kysely<any>);
    return rows.rows.map((r) => Number(r.n));
  } finally {
    await store.close();
  }
}

function interruptedFirstStart(name: string, backend: (dataDir: string) => Promise<Backend>) {
  describe.skipIf(!BUILT)(`a first start stopped half-way (${name}) ${BUILT ? '' : NOT_BUILT}`, { timeout: SLOW }, () => {
    it.each(INTERRUPTIONS)('at $at leaves nothing, and the next start makes the project with its numbers', async ({ table, after }) => {
      const dataDir = mkdtempSync(join(workDir, 'data-'));
      const b = await backend(dataDir);
      const args = ['start', '--port', '0', '--no-https', '--data-dir', dataDir, ...b.args];
      await b.refuse(true, table, after);
      const failed = await runBuiltCli(args, { cwd: workDir, env: env(b), timeoutMs: 60_000 });
      expect(failed.code, failed.stdout).not.toBe(0);
      expect(failed.stderr).toMatch(/disk is full|No space left on device/);
      const left = await counts(b);

      await b.refuse(false, table, after);
      const server = await startBuiltCli(args, { cwd: workDir, env: env(b) });
      const banner = server.stdout();
      expect((await server.stop()).code).toBe(0);
      expect(/^ {2}Numbers +(.*)$/m.exec(banner)?.[1]).toBe(BUILT_IN_NUMBERS.join(', '));
      // Nothing of the interrupted start was kept: no project without its numbers.
      expect(left).toEqual({ projects: 0, numbers: [] });
      expect(await counts(b)).toEqual({ projects: 1, numbers: [...BUILT_IN_NUMBERS].sort() });
    });
  });
}

function interruptedProjectCreate(name: string, backend: (dataDir: string) => Promise<Backend>) {
  describe.skipIf(!BUILT)(`switchboard project create stopped half-way (${name}) ${BUILT ? '' : NOT_BUILT}`, { timeout: SLOW }, () => {
    it('at its API token leaves no project, and the next one makes the project with its token', async () => {
      const dataDir = mkdtempSync(join(workDir, 'data-'));
      const b = await backend(dataDir);
      const args = ['project', 'create', 'Interrupted', '--data-dir', dataDir, ...b.args];
      await b.refuse(true, 'api_tokens', 0);
      const failed = await runBuiltCli(args, { cwd: workDir, env: env(b), timeoutMs: 60_000 });
      expect(failed.code, failed.stdout).not.toBe(0);
      expect(failed.stderr).toMatch(/disk is full|No space left on device/);
      expect(failed.stdout).toBe('');
      // No project without a token.
      expect(await tokensByProject(b)).toEqual([]);

      await b.refuse(false, 'api_tokens', 0);
      const created = await runBuiltCli(args, { cwd: workDir, env: env(b), timeoutMs: 60_000 });
      expect(created.code, created.stderr).toBe(0);
      expect(created.stdout).toMatch(/^project \S+\napi token PT\w+\nsigning key \S+\n$/);
      expect(await tokensByProject(b)).toEqual([1]);
    });
  });
}

function onBothCommands(name: string, backend: (dataDir: string) => Promise<Backend>) {
  interruptedFirstStart(name, backend);
  interruptedProjectCreate(name, backend);
}

onBothCommands('SQLite', async (dataDir) => {
  const file = join(dataDir, 'switchboard.db');
  // The database exists (migrated) before the first start, so the trigger can be in place.
  await (await openSqliteStore({ file })).close();
  return {
    args: [],
    env: {},
    open: () => openSqliteStore({ file }),
    refuse: async (on, table, after) => {
      const raw = new Database(file);
      try {
        raw.exec(on ? `create trigger refuse_rows before insert on ${table} when (select count(*) from ${table}) >= ${after} begin select raise(abort, 'database or disk is full'); end` : 'drop trigger refuse_rows');
      } finally {
        raw.close();
      }
    },
  };
});

describe.skipIf(!serversOnPostgres)('on PostgreSQL (SWITCHBOARD_TEST_DATABASE_URL)', () => {
  onBothCommands('PostgreSQL', async () => {
    const db = await createTestDatabase();
    databases.push(db);
    const admin = (text: string) => databaseQuery(db.url, text);
    return {
      args: ['--database-url', db.url],
      env: serversOnNats ? { SWITCHBOARD_NATS_URL: NATS_TEST_URL } : {},
      open: () => openPostgresStore({ url: db.url, poolSize: 1 }),
      refuse: (on, table, after) =>
        admin(
          on
            ? `create function refuse_rows() returns trigger language plpgsql as $$ begin
                 if (select count(*) from ${table}) >= ${after} then raise exception 'could not extend file: No space left on device' using errcode = '53100'; end if;
                 return new; end $$;
               create trigger refuse_rows before insert on ${table} for each row execute function refuse_rows()`
            : `drop trigger refuse_rows on ${table}; drop function refuse_rows()`,
        ),
    };
  });
});

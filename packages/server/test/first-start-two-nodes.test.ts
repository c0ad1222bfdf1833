/**
 * Two nodes doing a first start at once on one empty PostgreSQL database (a cluster brought up
 * together). Each finds no project and writes its own first start in one transaction; the second to
 * commit loses on a unique key (the built-in numbers; the project's id when it is configured), and
 * its start failed with the duplicate-key error, leaving nothing, until it was started again. Now a
 * first start that loses to another node's is tried once more, finds that node's project and
 * proceeds with it: both nodes come up, one project exists, and both banners name it.
 *
 * The two transactions are made to overlap, not left to timing: a trigger on `projects` holds every
 * insert until the test has seen both waiting (a shared advisory lock the test holds exclusively),
 * then lets them go together. Runs the built server (`packages/server/dist`; skipped when absent) on
 * PostgreSQL and NATS (SWITCHBOARD_TEST_DATABASE_URL and SWITCHBOARD_TEST_NATS_URL).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_IN_NUMBERS } from '../src/engine/admin/bootstrap.js';
import { serverIsBuilt as BUILT, startBuiltCli, type BannerServer } from './helpers/built-server.js';
import { createTestDatabase, NATS_TEST_URL, serversOnNats, serversOnPostgres } from './helpers/postgres.js';

const SLOW = 120_000;
const NOT_BUILT = 'skipped: packages/server/dist is missing — run `npm run build`';
/** The advisory lock key the trigger waits on. */
const BARRIER = 7_340_001;

let workDir: string;
beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'switchboard-first-start-nodes-'));
});
afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

/** A start's banner fields. */
function banner(text: string): { projectId: string | undefined; numbers: string | undefined } {
  return { projectId: /^ {2}Project ID +(\S+)$/m.exec(text)?.[1], numbers: /^ {2}Numbers +(.*)$/m.exec(text)?.[1] };
}

const NUMBER_A = '+15550107001';
const NUMBER_B = '+15550107002';

interface Case {
  readonly name: string;
  readonly env: Record<string, string>;
  /** Per node, added to `env`. */
  readonly nodeEnv?: { readonly a: Record<string, string>; readonly b: Record<string, string> };
  /** The numbers the project ends with. */
  readonly numbers: readonly string[];
}

const CASES: Case[] = [
  { name: 'zero-config (a random project id each; the built-in numbers collide)', env: {}, numbers: BUILT_IN_NUMBERS },
  { name: 'with the same configured project id (the project collides)', env: { SWITCHBOARD_PROJECT_ID: 'c0ffee00-7777-4333-8444-555566660001' }, numbers: BUILT_IN_NUMBERS },
  // No key of the two starts collides: before first starts took a lock, each made a project of its own.
  { name: 'with different numbers and no project id (nothing collides)', env: {}, nodeEnv: { a: { SWITCHBOARD_NUMBERS: NUMBER_A }, b: { SWITCHBOARD_NUMBERS: NUMBER_B } }, numbers: [NUMBER_A, NUMBER_B] },
];

describe.skipIf(!BUILT || !serversOnPostgres || !serversOnNats)(`two nodes starting at once on an empty PostgreSQL database ${BUILT ? '' : NOT_BUILT}`, { timeout: SLOW }, () => {
  it.each(CASES)('both come up on one project: $name', async ({ env: extra, nodeEnv, numbers }) => {
    const db = await createTestDatabase();
    const admin = new pg.Client({ connectionString: db.url });
    const nodes: Array<Promise<BannerServer>> = [];
    await admin.connect();
    try {
      await admin.query(`create function first_start_barrier() returns trigger language plpgsql as $$ begin perform pg_advisory_xact_lock_shared(${BARRIER}); return new; end $$;
        create trigger first_start_barrier before insert on projects for each row execute function first_start_barrier()`);
      await admin.query(`select pg_advisory_lock(${BARRIER})`);

      const prefix = `sbfirst-${randomBytes(4).toString('hex')}`;
      for (const name of ['a', 'b'] as const) {
        const env = {
          PATH: process.env.PATH,
          HOME: workDir,
          SWITCHBOARD_LOG_LEVEL: 'error',
          SWITCHBOARD_DATABASE_URL: db.url,
          SWITCHBOARD_NATS_URL: NATS_TEST_URL,
          SWITCHBOARD_NATS_SUBJECT_PREFIX: prefix,
          SWITCHBOARD_NODE_ID: name,
          ...extra,
          ...nodeEnv?.[name],
        };
        const started = startBuiltCli(['start', '--port', '0', '--no-https', '--data-dir', join(workDir, `${prefix}-${name}`)], { cwd: workDir, env });
        started.catch(() => undefined);
        nodes.push(started);
      }
      // Both first starts are in their transaction: one at its project's insert, the other waiting
      // for it (on the first-start lock; before there was one, at its own insert). Let them go.
      const atInsert = async () => Number((await admin.query(`select count(*) as n from pg_locks where locktype = 'advisory' and objid = ${BARRIER} and not granted`)).rows[0].n);
      const waiting = async () => Number((await admin.query(`select count(*) as n from pg_locks where locktype = 'advisory' and not granted`)).rows[0].n);
      const deadline = Date.now() + 60_000;
      while ((await atInsert()) < 1 || (await waiting()) < 2) {
        if (Date.now() > deadline) throw new Error('the two first starts did not both reach their transaction');
        await new Promise((r) => setTimeout(r, 50));
      }
      await admin.query(`select pg_advisory_unlock(${BARRIER})`);

      const [a, b] = await Promise.all(nodes);
      const projects = (await admin.query<{ id: string }>('select id from projects')).rows;
      expect(projects).toHaveLength(1);
      for (const node of [a!, b!]) expect(banner(node.stdout()).projectId).toBe(projects[0]!.id);
      // Both banners list every number when they collide; otherwise the second lists both.
      const listed = [a!, b!].map((node) => banner(node.stdout()).numbers?.split(', ').sort());
      expect(listed).toContainEqual([...numbers].sort());
      if (extra.SWITCHBOARD_PROJECT_ID) expect(projects[0]!.id).toBe(extra.SWITCHBOARD_PROJECT_ID);
      expect((await admin.query('select number from phone_numbers order by number')).rows.map((r: { number: string }) => r.number)).toEqual([...numbers].sort());
      expect(Number((await admin.query('select count(*) as n from api_tokens')).rows[0].n)).toBe(1);
    } finally {
      for (const node of nodes) await node.then((n) => n.stop(5_000)).catch(() => undefined);
      await admin.end();
      await db.drop();
    }
  });
});

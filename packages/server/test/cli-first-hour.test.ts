/**
 * Mistakes of a developer's first hour with the built `switchboard` command, each answered with one
 * line saying what is wrong and what to do (exit code 2), where commander or the defaults let them
 * through or answered in other words: an empty --config, options before the command, an empty
 * --context, a token given to `token revoke` instead of its id.
 *
 * Runs `packages/server/dist/cli/main.js` (built by `npm test`'s pretest); skipped when absent.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBuiltCli, serverIsBuilt as BUILT, type CliRun } from './helpers/built-server.js';

/** Each command loads the whole server: on a busy two-core machine a few take tens of seconds. */
const SLOW = 120_000;

let workDir: string;
let dataDir: string;

/** Run the CLI in the work folder with a clean environment: no SWITCHBOARD_* of the machine running the tests. */
function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runBuiltCli(args, { cwd: workDir, env: { PATH: process.env.PATH, HOME: workDir, SWITCHBOARD_LOG_LEVEL: 'warn', ...env }, timeoutMs: 60_000 });
}

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'switchboard-first-hour-'));
  dataDir = join(workDir, 'data');
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

describe.skipIf(!BUILT)('the first hour with the switchboard command', { timeout: SLOW }, () => {
  let secret: string;

  beforeAll(async () => {
    const run = await cli(['project', 'create', 'Dev', '--data-dir', dataDir]);
    expect(run.code, run.stderr).toBe(0);
    secret = /^api token (PT\w{48})$/m.exec(run.stdout)![1]!;
  }, SLOW);

  // `--config "$FILE"` with FILE unset started on the defaults, without even ./switchboard.json.
  it('refuses an empty --config; an empty SWITCHBOARD_CONFIG is unset, so ./switchboard.json is read', async () => {
    const run = await cli(['project', 'list', '--config', '', '--data-dir', dataDir]);
    expect([run.code, run.stderr]).toEqual([2, 'switchboard: configuration error: --config is empty: give the path of a JSON file, or leave --config out for ./switchboard.json\n']);
    writeFileSync(join(workDir, 'switchboard.json'), JSON.stringify({ port: 'x' }));
    try {
      const fromFile = await cli(['project', 'list', '--data-dir', dataDir], { SWITCHBOARD_CONFIG: '' });
      expect([fromFile.code, fromFile.stderr]).toEqual([2, expect.stringContaining('"port" in switchboard.json must be')]);
    } finally {
      rmSync(join(workDir, 'switchboard.json'));
    }
  });

  // With SWITCHBOARD_PROJECT_ID changed on a data folder, the commands worked on the first project,
  // so the banner's `number add` hint collided with that project's numbers.
  it('works on the configured operator project (SWITCHBOARD_PROJECT_ID) unless --project says otherwise', async () => {
    const created = await cli(['project', 'create', 'Second', '--data-dir', dataDir]);
    expect(created.code, created.stderr).toBe(0);
    const second = /^project (\S+)$/m.exec(created.stdout)![1]!;
    const added = await cli(['number', 'add', '+15551239876', '--data-dir', dataDir], { SWITCHBOARD_PROJECT_ID: second.toUpperCase() });
    expect(added.code, added.stderr).toBe(0);
    expect((await cli(['number', 'list', '--data-dir', dataDir], { SWITCHBOARD_PROJECT_ID: second })).stdout).toContain('+15551239876');
    expect((await cli(['number', 'list', '--data-dir', dataDir])).stdout).not.toContain('+15551239876');
    const absent = await cli(['number', 'list', '--data-dir', dataDir], { SWITCHBOARD_PROJECT_ID: '0190c0de-0000-7000-8000-000000000001' });
    expect([absent.code, absent.stderr]).toEqual([2, expect.stringContaining('no project 0190c0de-0000-7000-8000-000000000001 (bootstrap.projectId, SWITCHBOARD_PROJECT_ID) yet')]);
  });

  // Commander said "too many arguments for 'start'. Expected 0 arguments but got 1.".
  it('names a command given after its options, with the order that works', async () => {
    const run = await cli(['--data-dir', dataDir, 'token', 'list']);
    expect([run.code, run.stderr]).toEqual([2, `switchboard: the command goes before its options: write switchboard token list --data-dir ${dataDir}\n`]);
  });

  // An empty context registered the number with none: its inbound messages reached no client.
  it('number add refuses an empty --context and registers nothing', async () => {
    const run = await cli(['number', 'add', '+15551230003', '--context', ' ', '--data-dir', dataDir]);
    expect([run.code, run.stderr]).toEqual([2, 'switchboard: --context must not be empty: name the RELAY context inbound messages go to, or leave it out for the default\n']);
    expect((await cli(['number', 'list', '--data-dir', dataDir])).stdout).not.toContain('+15551230003');
  });

  // It said "no active token PT… in project …", echoing the whole secret, with no word of what an id is.
  it('token revoke given a token instead of its id says so, without echoing the token', async () => {
    const run = await cli(['token', 'revoke', secret, '--data-dir', dataDir]);
    expect([run.code, run.stderr]).toEqual([2, `switchboard: no active token with id ${secret.slice(0, 8)}…: that is a token (or its prefix), not its id; give the id, the first column of \`switchboard token list\`\n`]);
    const other = await cli(['token', 'revoke', 'nope', '--data-dir', dataDir]);
    expect([other.code, other.stderr]).toEqual([2, expect.stringMatching(/^switchboard: no active token nope in project [0-9a-f-]{36} \(`switchboard token list` shows the ids\)\n$/)]);
  });
});

/**
 * The built `switchboard` command as operators run it: bad settings, unknown flags, variables and
 * config keys stop it with exit code 2 and one line naming the setting (and the closest valid name);
 * `project`, `token` and `number` manage a data folder; each command's `--help` lists its flags with
 * whole descriptions; boolean flags are switches; and a server started by the command honours what
 * they did and its config file, and `send` sends through it.
 *
 * Runs `packages/server/dist/cli/main.js` (built by `npm test`'s pretest); skipped when absent.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SETTINGS } from '../src/config/settings.js';
import { BUILT_CLI as CLI, freePort, runBuiltCli, serverIsBuilt as BUILT, startBuiltCli, type CliRun } from './helpers/built-server.js';
import { basicAuth, eventually } from './helpers/server.js';

/** Each command loads the whole server: on a busy two-core machine a few take tens of seconds. */
const SLOW = 120_000;
const NOT_BUILT = 'skipped: packages/server/dist is missing — run `npm run build` (npm test does it first)';

type Run = CliRun;

let workDir: string;

/** A clean environment: no SWITCHBOARD_* of the machine running the tests, quiet logs. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: workDir, SWITCHBOARD_LOG_LEVEL: 'warn' };
  return { ...env, ...extra };
}

/** Run the CLI to completion (in the work folder, so no stray ./switchboard.json is read). */
function cli(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<Run> {
  return runBuiltCli(args, { cwd: workDir, env: cleanEnv(env), timeoutMs });
}

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'switchboard-cli-'));
});
afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

function freshDataDir(): string {
  return mkdtempSync(join(workDir, 'data-'));
}

function writeConfig(name: string, content: string | object): string {
  const path = join(workDir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

// One command at a time: each loads the whole server, and on a busy two-core machine a dozen at once starve.
describe.skipIf(!BUILT)(`a bad setting stops the command with exit code 2, naming the setting ${BUILT ? '' : NOT_BUILT}`, { timeout: SLOW }, () => {
  it('names an environment variable and its value, before a management command touches the database', async () => {
    const dataDir = join(workDir, 'never-created');
    const run = await cli(['token', 'list', '--data-dir', dataDir], { SWITCHBOARD_PORT: 'abc' });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toBe('switchboard: configuration error: SWITCHBOARD_PORT must be a whole number from 0 to 65535 (got "abc")\n');
    expect(existsSync(dataDir)).toBe(false);
  });

  it('names a flag', async () => {
    const run = await cli(['start', '--port', '99999', '--data-dir', freshDataDir()]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^switchboard: configuration error: --port .*99999/);
    expect(run.stdout).not.toMatch(/running at/);
  });

  it('names the key and the file of a bad config-file value', async () => {
    const file = writeConfig('bad-value.json', { http: { bodyLimitBytes: 'lots' } });
    const run = await cli(['start', '--config', file, '--data-dir', freshDataDir()]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`configuration error: "http.bodyLimitBytes" in ${file} must be a whole number`);
  });

  it('refuses a number quoted in the config file, and one with letters in an environment variable, before starting', async () => {
    const file = writeConfig('quoted-port.json', { port: '8080' });
    const quoted = await cli(['start', '--config', file, '--data-dir', freshDataDir()]);
    expect(quoted.code).toBe(2);
    expect(quoted.stderr).toBe(`switchboard: configuration error: "port" in ${file} must be a JSON number, not a string: write 8080 without quotes (got "8080")\n`);
    expect(quoted.stdout).not.toMatch(/running at/);
    const letters = await cli(['start', '--data-dir', freshDataDir()], { SWITCHBOARD_DISPATCH_BATCH_SIZE: '12abc' });
    expect(letters.code).toBe(2);
    expect(letters.stderr).toBe('switchboard: configuration error: SWITCHBOARD_DISPATCH_BATCH_SIZE must be a whole number from 1 to 5000 (got "12abc")\n');
  });

  it('reports a config file named by SWITCHBOARD_CONFIG that does not exist', async () => {
    const missing = join(workDir, 'nope.json');
    const run = await cli(['start'], { SWITCHBOARD_CONFIG: missing });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`switchboard: configuration error: Config file ${missing} does not exist (from --config or SWITCHBOARD_CONFIG); give the path of a JSON file, or none for ./switchboard.json\n`);
  });

  it('refuses an unknown flag with the closest one and a pointer to help', async () => {
    const run = await cli(['start', '--prot', '8080']);
    expect(run.code).toBe(2);
    // One line: what is wrong, the closest flag, where the usage is.
    expect(run.stderr).toBe(`switchboard: unknown option '--prot' (did you mean --port?) (run "switchboard help" or "switchboard <command> --help" for usage)\n`);
  });

  it('refuses an unknown SWITCHBOARD_* variable, suggesting the closest setting', async () => {
    const run = await cli(['token', 'list'], { SWITCHBOARD_SIMULATOR_DELAY: '0' });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('switchboard: configuration error: unknown environment variable SWITCHBOARD_SIMULATOR_DELAY (did you mean "SWITCHBOARD_SIMULATOR_DELAY_MS"?); see docs/configuration.md for the settings\n');
  });

  it('lets the variables of the test and benchmark tooling through', async () => {
    const run = await cli(['--version'], { SWITCHBOARD_TEST_DATABASE_URL: 'postgres://x@127.0.0.1/y', SWITCHBOARD_TEST_NATS_URL: 'nats://127.0.0.1:4222' });
    expect(run.code, run.stderr).toBe(0);
    const list = await cli(['project', 'create', '--data-dir', freshDataDir()], { SWITCHBOARD_TEST_DATABASE_URL: 'postgres://x@127.0.0.1/y', SWITCHBOARD_CONFIG: writeConfig('empty.json', {}) });
    expect(list.code, list.stderr).toBe(0);
  });

  it('refuses an unknown config-file key, naming the file and suggesting the closest key', async () => {
    const file = writeConfig('typo.json', { simulator: { delay: 200 }, logLevel: 'warn' });
    const run = await cli(['start', '--config', file, '--data-dir', freshDataDir()]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`switchboard: configuration error: unknown key "simulator.delay" in ${file} (did you mean "simulator.delayMs"?); see docs/configuration.md for the settings\n`);
    const misplaced = await cli(['start', '--config', writeConfig('misplaced.json', { delayMs: 0 }), '--data-dir', freshDataDir()]);
    expect(misplaced.stderr).toMatch(/unknown key "delayMs" .*did you mean "simulator\.delayMs"/);
  });

  it('refuses a bad number list before anything starts, naming the bad entries', async () => {
    const run = await cli(['start', '--numbers', '+15551230001,555-1234', '--data-dir', freshDataDir()]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^switchboard: configuration error: --numbers must list E\.164 numbers .*"555-1234" is not/);
    expect(run.stderr.split('\n')).toHaveLength(2);
  });

  it('reports an unreachable PostgreSQL in one line with a hint', async () => {
    const run = await cli(['migrate', '--database-url', 'postgres://postgres@127.0.0.1:1/nowhere']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^switchboard: database unavailable: .*ECONNREFUSED.*Check that PostgreSQL runs and SWITCHBOARD_DATABASE_URL \(--database-url\) points at it[^\n]*\n$/);
  });

  describe('a bad simulator rule in the config file', () => {
    let run: Promise<Run>;
    beforeAll(() => {
      const file = writeConfig('bad-rules.json', { simulator: { rules: [{ prefix: '+1', outcome: 'lost' }] } });
      run = cli(['start', '--config', file, '--data-dir', freshDataDir(), '--port', '0']);
    });

    it('stops the start with the reason', async () => {
      const r = await run;
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/rule 0: "outcome" must be one of/);
      expect(r.stdout).not.toMatch(/running at/);
    });

    it('names simulator.rules with exit code 2 and no stack trace, like every other bad setting', async () => {
      const r = await run;
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/configuration error: .*simulator\.rules/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  });

  it('--help lists the commands; each command has its own --help with every flag, its whole description and its environment variable', async () => {
    const run = await cli(['--help']);
    expect(run.code).toBe(0);
    for (const command of ['start', 'send', 'project', 'token', 'number', 'migrate']) expect(run.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    expect(run.stdout).toContain('docs/configuration.md');
    const start = await cli(['start', '--help']);
    expect(start.code).toBe(0);
    // commander wraps long descriptions: compare with the whitespace folded.
    const flat = start.stdout.replace(/\s+/g, ' ');
    for (const spec of Object.values(SETTINGS)) {
      if (!spec.flag) continue;
      expect(flat).toContain(`--${spec.flag}`);
      expect(flat).toContain(`${spec.description.replace(/\s+/g, ' ')} (${spec.env})`);
    }
    expect(flat).toContain('--config <file>');
    expect(flat).toContain('--no-https');
    for (const [cmd, expected] of [
      [['token', 'create', '--help'], '--scopes <list>'],
      [['number', 'add', '--help'], '--context <name>'],
      [['send', '--help'], '--from <number>'],
      [['help', 'project'], 'create [options] [name]'],
    ] as const) {
      const r = await cli([...cmd]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(expected);
    }
  });

  it('boolean settings are switches: --smsc needs no value (and --no-https turns HTTPS off)', async () => {
    const dataDir = freshDataDir();
    const server = await startBuiltCli(['--smsc', '--smsc-port', '0', '--no-https', '--port', '0', '--data-dir', dataDir], { cwd: workDir, env: cleanEnv() });
    try {
      expect(server.stdout()).toMatch(/Simulator SMSC 127\.0\.0\.1:\d+ /);
      expect(server.stdout()).not.toMatch(/HTTPS {2}/);
    } finally {
      expect((await server.stop()).code).toBe(0);
    }
  });
});

describe.skipIf(!BUILT)(`managing a data folder ${BUILT ? '' : NOT_BUILT}`, { timeout: SLOW }, () => {
  let dataDir: string;
  let projectId: string;
  let adminToken: string;
  let senderToken: string;
  let doomedToken: string;
  let testToken: string;
  const number = '+15551230003';

  const admin = (args: string[], env: Record<string, string> = {}) => cli([...args, '--data-dir', dataDir], env);

  beforeAll(() => {
    dataDir = freshDataDir();
  });

  it('project create prints the project, a token and a signing key once; project list shows it', async () => {
    const run = await admin(['project', 'create', 'Acme']);
    expect(run.code, run.stderr).toBe(0);
    const m = /^project ([0-9a-f-]{36})\napi token (PT\w{48})\nsigning key (PSK_\w{24})\n$/.exec(run.stdout);
    expect(m, run.stdout).not.toBeNull();
    [, projectId, adminToken] = m as unknown as [string, string, string];
    expect(existsSync(join(dataDir, 'switchboard.db'))).toBe(true);
    const list = await admin(['project', 'list']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toBe(`${projectId}  Acme\n`);
  });

  it('token create prints a new token with the scopes asked for; token list shows prefixes and scopes, never secrets', async () => {
    const sender = await admin(['token', 'create', '--project', projectId, '--name', 'sender', '--scopes', 'messaging']);
    expect(sender.code, sender.stderr).toBe(0);
    senderToken = sender.stdout.trim();
    expect(senderToken).toMatch(/^PT\w{48}$/);
    const doomed = await admin(['token', 'create', '--name', 'doomed']); // the first project by default, all scopes
    doomedToken = doomed.stdout.trim();
    // The project id in capitals names the same project (a UUID, as in credentials and URLs).
    const list = await admin(['token', 'list', '--project', projectId.toUpperCase()]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout.trim().split('\n')).toHaveLength(3);
    expect(list.stdout).toContain(`${senderToken.slice(0, 8)}…  sender  [messaging]`);
    expect(list.stdout).toContain(`${doomedToken.slice(0, 8)}…  doomed  [messaging,numbers,management]`);
    expect(list.stdout).toContain(`${adminToken.slice(0, 8)}…  cli`);
    for (const secret of [senderToken, doomedToken, adminToken]) expect(list.stdout).not.toContain(secret);
  });

  it('token create --test prints a test token; token list marks it', async () => {
    const run = await admin(['token', 'create', '--test', '--name', 'ci']);
    expect(run.code, run.stderr).toBe(0);
    testToken = run.stdout.trim();
    expect(testToken).toMatch(/^PT\w{48}$/);
    expect((await admin(['token', 'list'])).stdout).toContain(`${testToken.slice(0, 8)}…  ci  [messaging,numbers,management]  test`);
  });

  it('token create refuses an unknown scope', async () => {
    const run = await admin(['token', 'create', '--scopes', 'messaging,everything']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown scope\(s\) everything/);
  });

  it('token create refuses no scopes and an empty name, and project create an empty name', async () => {
    const noScopes = await admin(['token', 'create', '--scopes', '']);
    expect([noScopes.code, noScopes.stderr]).toEqual([2, expect.stringContaining('--scopes needs at least one of messaging')]);
    const noName = await admin(['token', 'create', '--name', ' ']);
    expect([noName.code, noName.stderr]).toEqual([2, expect.stringContaining('--name must not be empty')]);
    const project = await admin(['project', 'create', '']);
    expect([project.code, project.stderr]).toEqual([2, expect.stringContaining('the project name must not be empty')]);
  });

  it('token revoke revokes by id, and refuses an id that is not an active token', async () => {
    const list = await admin(['token', 'list']);
    const id = list.stdout.split('\n').find((l) => l.includes('doomed'))!.split(' ')[0]!;
    const run = await admin(['token', 'revoke', id]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(`revoked ${id}\n`);
    const again = await admin(['token', 'revoke', id]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/no active token/);
    // (token list shows it revoked; checked below, where the server refuses it)
  });

  it('number add registers numbers; number list shows type, capabilities and handler', async () => {
    const add = await admin(['number', 'add', number, '--project', projectId, '--context', 'office']);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toMatch(new RegExp(`^registered \\${number} \\([0-9a-f-]{36}\\)\\n$`));
    expect((await admin(['number', 'add', '24680'])).code).toBe(0);
    const list = await admin(['number', 'list']);
    expect(list.stdout).toContain(`${number}  longcode  [voice,sms,mms]  relay_context office`);
    expect(list.stdout).toContain('24680  shortcode  [sms,mms]  relay_context default');
  });

  it('number add refuses a duplicate or an invalid number with exit code 2 and the reason', async () => {
    const dup = await admin(['number', 'add', number]);
    expect(dup.code).toBe(2);
    expect(dup.stderr).toMatch(/already registered/);
    const bad = await admin(['number', 'add', 'call-me-maybe']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/E\.164/);
  });

  // It said "already registered on this server" and no more: not which project holds it (the
  // operator's CLI may say), nor how to move it.
  it("number add names the project that holds a number another project asks for, and how to release it there", async () => {
    const folder = freshDataDir();
    const idOf = async (name: string) => /^project (\S+)\n/.exec((await cli(['project', 'create', name, '--data-dir', folder])).stdout)![1]!;
    const [first, second] = [await idOf('First'), await idOf('Second')];
    expect((await cli(['number', 'add', '+15551230007', '--project', first, '--data-dir', folder])).code).toBe(0);
    const taken = await cli(['number', 'add', '+15551230007', '--project', second, '--data-dir', folder]);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toBe(`switchboard: +15551230007 is already registered, to project ${first}: release it there first (switchboard number remove +15551230007 --project ${first}), or add another number\n`);
  });

  it('number remove releases a number, and refuses one the project does not have', async () => {
    const run = await admin(['number', 'remove', '24680']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('removed 24680\n');
    const again = await admin(['number', 'remove', '24680']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/is not a number of project/);
  });

  describe('then `switchboard start` on that folder', () => {
    let child: ReturnType<typeof spawn> | undefined;
    let url: string;
    let stdout = '';
    let stderr = '';
    let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

    beforeAll(async () => {
      const config = writeConfig('server.json', {
        simulator: { delayMs: 0, rules: [{ prefix: '+1777', outcome: 'undelivered', error: 30005 }] },
        logLevel: 'warn',
      });
      child = spawn(process.execPath, [CLI, 'start', '--config', config, '--data-dir', dataDir, '--port', '0'], { cwd: workDir, env: cleanEnv({ SWITCHBOARD_LOG_LEVEL: 'warn', SWITCHBOARD_HTTPS_PORT: '0' }), stdio: ['ignore', 'pipe', 'pipe'] });
      exited = new Promise((resolve) => child!.on('exit', (code, signal) => resolve({ code, signal })));
      child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      url = await eventually(() => /running at (http:\/\/[^\s]+)/.exec(stdout)?.[1], 60_000, `the server to start (stderr: ${stderr})`);
    }, SLOW);
    afterAll(async () => {
      if (child && child.exitCode === null) child.kill('SIGKILL');
    });

    const call = async (path: string, token: string, body?: unknown) => {
      const res = await fetch(`${url}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: basicAuth(projectId, token), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as any };
    };

    it('uses the existing project and shows it in the banner without re-printing its token', () => {
      expect(stdout).toContain(`Project ID     ${projectId}`);
      expect(stdout).toMatch(new RegExp(`Numbers +\\${number}\\n`));
      expect(stdout).not.toContain(adminToken);
    });

    it('accepts the tokens the CLI created, within their scopes, and refuses the revoked one', async () => {
      const sent = await call('/api/messaging/messages', senderToken, { from: number, to: '+15557654321', body: 'from the CLI project' });
      expect(sent.status).toBe(201);
      await eventually(async () => ((await call(`/api/messaging/logs/${sent.body.id}`, senderToken)).body.status === 'delivered' ? true : undefined));
      expect((await call('/api/relay/rest/phone_numbers', senderToken)).status).toBe(403);
      const numbers = await call('/api/relay/rest/phone_numbers', adminToken);
      expect(numbers.body.data.map((n: any) => n.number)).toEqual([number]);
      expect((await call('/api/messaging/logs', doomedToken)).status).toBe(401);
    });

    it("answers a test token's sends by Twilio's magic numbers and refuses it anything else", async () => {
      const refused = await call('/api/messaging/messages', testToken, { from: '+15005550006', to: '+15005550004', body: 'blocked' });
      expect(refused.status).toBe(422);
      expect(refused.body.errors[0].code).toBe('message_blocked_by_number');
      const answered = await call('/api/messaging/messages', testToken, { from: '+15005550006', to: '+15557654321', body: 'never sent' });
      expect(answered.status).toBe(201);
      expect(answered.body.status).toBe('queued');
      expect((await call('/api/messaging/logs', testToken)).status).toBe(403);
    });

    it("applies the config file's simulator.rules", async () => {
      const sent = await call('/api/messaging/messages', senderToken, { from: number, to: '+17775550123', body: 'ruled' });
      expect(sent.status).toBe(201);
      const log = await eventually(async () => {
        const r = await call(`/api/messaging/logs/${sent.body.id}`, senderToken);
        return r.body.status === 'undelivered' ? r.body : undefined;
      });
      expect(log.error_code).toBe('30005');
      const settings = await call('/api/simulator/settings', senderToken);
      expect(settings.body.rules).toEqual([{ prefix: '+1777', outcome: 'undelivered', error: 30005 }]);
    });

    it('sees a number the CLI adds while it runs', async () => {
      const add = await admin(['number', 'add', '+15551230004']);
      expect(add.code, add.stderr).toBe(0);
      // The number directory caches lookups for a few seconds; a number never looked up is seen at once.
      const sent = await call('/api/messaging/messages', senderToken, { from: '+15551230004', to: '+15557654321', body: 'new number' });
      expect(sent.status).toBe(201);
    });

    it('accepts a token the CLI creates while it runs at once, though a request of the project has just been authenticated', async () => {
      // The project's tokens were read within the last 5 s, as they are while a client sends;
      // the token just made is the one a developer tries next, and must not answer 401 meanwhile.
      expect((await call('/api/messaging/logs', senderToken)).status).toBe(200);
      const made = await admin(['token', 'create', '--project', projectId, '--name', 'fresh', '--scopes', 'messaging']);
      expect(made.code, made.stderr).toBe(0);
      expect((await call('/api/messaging/logs', made.stdout.trim())).status).toBe(200);
    });

    it('send sends through the running server with the given credentials, and --wait prints the final state', async () => {
      const run = await cli(['send', '--url', url, '--project', projectId, '--token', senderToken, '--from', number, '--to', '+17775550124', '--body', 'from the terminal', '--wait']);
      // It ends undelivered: printed, and told to a script by the exit code.
      expect(run.code, run.stderr).toBe(1);
      expect(run.stdout).toMatch(/^([0-9a-f-]{36}) {2}queued\n\1 {2}undelivered {2}30005 .+\n$/);
    });

    it('send reports a refused message, refused credentials and an unreachable server in one line each', async () => {
      const refused = await cli(['send', '--url', url, '--project', projectId, '--token', senderToken, '--from', '+1555', '--to', '+15557654321', '--body', 'x']);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/^switchboard: the server refused the message: The 'From' number \+1555 is not a valid/);
      const wrong = await cli(['send', '--url', url, '--project', projectId, '--token', 'PTnot-a-token', '--from', number, '--to', '+15557654321', '--body', 'x']);
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toMatch(new RegExp(`^switchboard: ${url} refused the credentials of project ${projectId} \\(401\\): check --project and --token .*\n$`));
      const closed = await freePort();
      const nobody = await cli(['send', '--url', `http://127.0.0.1:${closed}`, '--project', projectId, '--token', senderToken, '--from', number, '--to', '+15557654321', '--body', 'x']);
      expect(nobody.code).toBe(2);
      expect(nobody.stderr).toBe(`switchboard: cannot reach http://127.0.0.1:${closed} (ECONNREFUSED): is \`switchboard start\` running? Give its address with --url\n`);
    });

    it('shuts down cleanly on SIGTERM', async () => {
      child!.kill('SIGTERM');
      const { code } = await exited;
      expect(code, stderr).toBe(0);
    });
  });
});

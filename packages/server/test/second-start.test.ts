/**
 * The banner of every start works, not only the first: on the embedded default (SQLite, simulator)
 * the credentials it prints are kept in the data folder (owner-only) and shown again; a kept token
 * that was revoked is replaced; with an operator-supplied token or PostgreSQL nothing secret is
 * printed. The banner names the config file, store and bus, and its commands run as printed:
 * `switchboard send`, and SIGNALWIRE_SPACE as the `host` of SignalWire's @signalwire/realtime-api.
 *
 * Runs `packages/server/dist/cli/main.js` (built by `npm test`'s pretest); skipped when absent. The
 * PostgreSQL case runs when SWITCHBOARD_TEST_DATABASE_URL is set.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignalWire } from '@signalwire/realtime-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBuiltCli, serverIsBuilt as BUILT, startBuiltCli, type BannerServer } from './helpers/built-server.js';
import { createTestDatabase, serversOnPostgres, type TestDatabase } from './helpers/postgres.js';
import { basicAuth, eventually } from './helpers/server.js';

/** Each command loads the whole server: on a busy two-core machine a few take tens of seconds. */
const SLOW = 120_000;
const NOT_BUILT = 'skipped: packages/server/dist is missing — run `npm run build` (npm test does it first)';

let workDir: string;
beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'switchboard-second-start-'));
});
afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

const running: BannerServer[] = [];
afterAll(async () => {
  await Promise.all(running.map((s) => s.stop(2_000)));
}, SLOW);

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: workDir, SWITCHBOARD_LOG_LEVEL: 'warn', SWITCHBOARD_SIMULATOR_DELAY_MS: '0', ...extra };
}

async function start(args: string[], extra: Record<string, string> = {}): Promise<BannerServer> {
  const s = await startBuiltCli(['start', '--port', '0', '--no-https', ...args], { cwd: workDir, env: env(extra) });
  running.push(s);
  return s;
}

/** What a banner says. */
function banner(text: string) {
  const field = (name: string) => new RegExp(`^  ${name} +(.*)$`, 'm').exec(text)?.[1];
  return {
    projectId: field('Project ID')!,
    tokenLine: field('API token')!,
    token: /^(PT\w+)/.exec(field('API token') ?? '')?.[1],
    signingKeyLine: field('Signing key')!,
    configFile: field('Config file')!,
    store: field('Store')!,
    bus: field('Bus')!,
    space: /SIGNALWIRE_SPACE=(\S+)/.exec(text)?.[1],
    sendCommand: /^ {4}npx switchboard (send .*)$/m.exec(text)?.[1],
  };
}

async function logsStatus(url: string, projectId: string, token: string): Promise<number> {
  return (await fetch(`${url}/api/messaging/logs`, { headers: { authorization: basicAuth(projectId, token) } })).status;
}

/** Split a printed command line into arguments (double-quoted words kept whole). */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

describe.skipIf(!BUILT)(`on the embedded default (SQLite) ${BUILT ? '' : NOT_BUILT}`, { timeout: SLOW }, () => {
  let dataDir: string;
  let first: ReturnType<typeof banner>;
  let second: ReturnType<typeof banner>;
  let server: BannerServer;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(workDir, 'data-'));
    const one = await start(['--data-dir', dataDir]);
    first = banner(one.stdout());
    expect((await one.stop()).code).toBe(0);
    server = await start(['--data-dir', dataDir]);
    second = banner(server.stdout());
  }, SLOW);

  it('the second banner prints the same project and a token that works', async () => {
    expect(first.token).toMatch(/^PT\w{48}$/);
    expect(second.projectId).toBe(first.projectId);
    expect(second.token).toBe(first.token);
    expect(second.signingKeyLine).toMatch(/^PSK_\w+$/);
    expect(server.stdout()).not.toContain('<your API token>');
    expect(await logsStatus(server.url, second.projectId, second.token!)).toBe(200);
  });

  it('keeps the credentials in the data folder, readable by its owner only', () => {
    const file = join(dataDir, 'credentials.json');
    expect(second.tokenLine).toContain('credentials.json, owner-only');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ projectId: second.projectId, apiToken: second.token });
  });

  it('names the config file, the store and the bus', () => {
    expect(second.configFile).toBe('(none: defaults, environment and flags)');
    expect(second.store).toMatch(/^SQLite .*switchboard\.db$/);
    expect(second.bus).toMatch(/^in-process \(one node\)/);
  });

  it("the banner's send command sends a message as printed", async () => {
    expect(second.sendCommand).toBeDefined();
    const run = await runBuiltCli(words(second.sendCommand!), { cwd: workDir, env: env() });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^[0-9a-f-]{36} {2}queued\n[0-9a-f-]{36} {2}delivered\n$/);
  });

  it("SIGNALWIRE_SPACE works as the host of SignalWire's @signalwire/realtime-api", async () => {
    expect(second.space).toBe(server.url.replace(/^http/, 'ws'));
    const client = await SignalWire({ project: second.projectId, token: second.token!, host: second.space!, logLevel: 'silent' } as any);
    try {
      const result = await client.messaging.send({ from: '+15551230001', to: '+15557651000', body: 'from the banner' });
      expect(result).toMatchObject({ code: '200' });
    } finally {
      await client.disconnect();
    }
  });

  it('a kept token that was revoked is replaced at the next start by a new one that works', async () => {
    expect((await server.stop()).code).toBe(0);
    const list = await runBuiltCli(['token', 'list', '--data-dir', dataDir], { cwd: workDir, env: env() });
    const id = list.stdout.split('\n').find((l) => l.includes('first start'))!.split(' ')[0]!;
    expect((await runBuiltCli(['token', 'revoke', id, '--data-dir', dataDir], { cwd: workDir, env: env() })).code).toBe(0);
    const third = await start(['--data-dir', dataDir]);
    const b = banner(third.stdout());
    expect(b.token).toMatch(/^PT\w{48}$/);
    expect(b.token).not.toBe(first.token);
    expect(await logsStatus(third.url, b.projectId, b.token!)).toBe(200);
    expect(await logsStatus(third.url, b.projectId, first.token!)).toBe(401);
  });

  it('a second server on a port in use stops with one line naming the port and the setting', async () => {
    const busy = await start(['--data-dir', mkdtempSync(join(workDir, 'data-'))]);
    const port = new URL(busy.url).port;
    const run = await runBuiltCli(['start', '--port', port, '--no-https', '--data-dir', mkdtempSync(join(workDir, 'data-'))], { cwd: workDir, env: env() });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`switchboard: Cannot listen on 127.0.0.1:${port}: the port is in use (another Switchboard still running?). Stop that process, or choose another port for the HTTP port: --port or SWITCHBOARD_PORT; 0 picks a free one.\n`);
  });
});

describe.skipIf(!BUILT)(`nothing secret is printed ${BUILT ? '' : NOT_BUILT}`, { timeout: SLOW }, () => {
  it('with an operator-supplied token: not printed, not kept; the banner names the config file', async () => {
    const dataDir = mkdtempSync(join(workDir, 'data-'));
    const config = join(workDir, 'operator.json');
    writeFileSync(config, JSON.stringify({ simulator: { delayMs: 0 } }));
    const token = 'PToperatorSuppliedToken0123456789abcdefghijklmnopqr';
    const s = await start(['--data-dir', dataDir, '--config', config], { SWITCHBOARD_API_TOKEN: token });
    const b = banner(s.stdout());
    expect(s.stdout()).not.toContain(token);
    expect(b.tokenLine).toBe('(the configured SWITCHBOARD_API_TOKEN; not printed)');
    expect(b.signingKeyLine).toMatch(/not printed/);
    expect(s.stdout()).not.toMatch(/PSK_/);
    expect(b.configFile).toBe('./operator.json');
    expect(() => statSync(join(dataDir, 'credentials.json'))).toThrow();
    expect(await logsStatus(s.url, b.projectId, token)).toBe(200);
  });

  describe.skipIf(!serversOnPostgres)('on PostgreSQL (SWITCHBOARD_TEST_DATABASE_URL)', () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await createTestDatabase();
    }, SLOW);
    afterAll(async () => {
      await Promise.all(running.map((s) => s.stop(2_000)));
      await db?.drop();
    }, SLOW);

    it('prints no token or signing key, at the first start or the second, and hides the database password', async () => {
      const url = db.url.replace('postgres://postgres@', 'postgres://postgres:hunter2@');
      for (let i = 0; i < 2; i++) {
        const s = await start(['--data-dir', mkdtempSync(join(workDir, 'data-')), '--database-url', url]);
        const out = s.stdout();
        expect(out).not.toMatch(/PT\w{48}|PSK_/);
        expect(out).not.toContain('hunter2');
        expect(banner(out).store).toMatch(/^PostgreSQL postgres:\/\/postgres:\*\*\*@/);
        expect(banner(out).tokenLine).toMatch(/not printed on PostgreSQL/);
        await eventually(async () => ((await fetch(`${s.url}/ready`)).ok ? true : undefined));
        expect((await s.stop()).code).toBe(0);
      }
    });
  });
});

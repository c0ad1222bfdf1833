/**
 * A start the command refuses leaves nothing behind, and two servers never share one SQLite file:
 * an unknown command, a taken port, the operator's certificate and key that do not belong together,
 * an unreachable PostgreSQL, or settings that need others each stop it with exit code 2 and one line
 * naming the setting — and a data folder it would have created does not exist afterwards. A second
 * `switchboard start` on a running server's data folder is refused, while the project, token and
 * number commands still work beside that server; once it stops (even by SIGKILL) the folder is free.
 * The management commands do not create a data folder that has no database.
 *
 * Runs `packages/server/dist/cli/main.js` (built by `npm test`'s pretest); skipped when absent.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureLocalCertificates } from '../src/http/tls.js';
import { runBuiltCli, serverIsBuilt as BUILT, startBuiltCli, type BannerServer, type CliRun } from './helpers/built-server.js';

/** Each command loads the whole server: on a busy two-core machine a few take tens of seconds. */
const SLOW = 120_000;
/** A PostgreSQL server to be refused by (with a role or database it does not have); the test is skipped without one. */
const PG_URL = process.env.SWITCHBOARD_TEST_DATABASE_URL;
const NOT_BUILT = 'skipped: packages/server/dist is missing — run `npm run build` (npm test does it first)';

let workDir: string;
const running: BannerServer[] = [];
beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'switchboard-refused-'));
});
afterAll(async () => {
  await Promise.all(running.map((s) => s.stop(5_000)));
  rmSync(workDir, { recursive: true, force: true });
}, SLOW);

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: workDir, SWITCHBOARD_LOG_LEVEL: 'warn', SWITCHBOARD_PORT: '0', SWITCHBOARD_HTTPS_PORT: '0', ...extra };
}

function cli(args: string[], extra: Record<string, string> = {}): Promise<CliRun> {
  return runBuiltCli(args, { cwd: workDir, env: env(extra), timeoutMs: 60_000 });
}

/** One line, exit code 2, no stack trace, no banner. */
function expectRefused(run: CliRun, line: RegExp): void {
  expect(run.code, run.stderr).toBe(2);
  expect(run.stderr.split('\n'), run.stderr).toHaveLength(2);
  expect(run.stderr).toMatch(line);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect(run.stdout).not.toMatch(/running at/);
}

/** A port some other process listens on. */
async function takenPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, server };
}

describe.skipIf(!BUILT)(`a refused start ${BUILT ? '' : NOT_BUILT}`, { timeout: SLOW }, () => {
  it('names an unknown command as one, with the closest command, instead of an argument of start', async () => {
    expectRefused(await cli(['strat']), /^switchboard: unknown command 'strat' \(did you mean "start"\?\); the commands are start, send, migrate, project, token, number/);
    expectRefused(await cli(['bogus', '--port', '1']), /^switchboard: unknown command 'bogus'; the commands are/);
    expectRefused(await cli(['help', 'bogus']), /^switchboard: unknown command 'bogus'; the commands are/);
    expect(existsSync(join(workDir, 'data'))).toBe(false);
  });

  it('a taken port: names the setting before the data folder is created', async () => {
    const { port, server } = await takenPort();
    try {
      const dataDir = join(workDir, 'port-taken');
      expectRefused(await cli(['start', '--port', String(port), '--data-dir', dataDir]), new RegExp(`Cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use .* the HTTP port: --port or SWITCHBOARD_PORT`));
      expectRefused(await cli(['start', '--https-port', String(port), '--data-dir', dataDir]), /the port is in use .* the HTTPS port: --https-port/);
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      server.close();
    }
    expectRefused(await cli(['start', '--port', '18099', '--https-port', '18099']), /^switchboard: configuration error: https.port .* and port .* are both 18099; give each listener its own port$/m);
  });

  it('a host name that does not resolve: names the setting, no stack trace, nothing created', async () => {
    const dataDir = join(workDir, 'never-created-host');
    // .invalid never resolves (RFC 2606).
    expectRefused(await cli(['start', '--data-dir', dataDir], { SWITCHBOARD_HOST: 'no-such-host.invalid' }), /^switchboard: Cannot listen on no-such-host\.invalid: no such host name \((ENOTFOUND|EAI_AGAIN)\)\. Set --host \(SWITCHBOARD_HOST\)/);
    expect(existsSync(dataDir)).toBe(false);
  });

  it("the operator's certificate: unreadable, swapped with its key, or another's key — before anything is written", async () => {
    const a = ensureLocalCertificates(join(workDir, 'tls-a'), ['localhost']);
    ensureLocalCertificates(join(workDir, 'tls-b'), ['localhost']);
    const certA = join(workDir, 'tls-a', 'server.pem');
    const keyA = join(workDir, 'tls-a', 'server-key.pem');
    const keyB = join(workDir, 'tls-b', 'server-key.pem');
    expect(a.generated).toBe(true);
    const dataDir = join(workDir, 'bad-cert');
    const start = (cert: string, key: string) => cli(['start', '--data-dir', dataDir, '--tls-cert', cert, '--tls-key', key]);
    expectRefused(await start(join(workDir, 'none.pem'), keyA), /^switchboard: configuration error: https.certFile \(SWITCHBOARD_TLS_CERT, --tls-cert\): cannot read \S+none.pem \(no such file\)/);
    expectRefused(await start(keyA, certA), /https.certFile .*: \S+server-key.pem is not a PEM certificate .*it holds a private key: are the two files swapped\?/);
    expectRefused(await start(certA, keyB), /https.keyFile .*: \S+tls-b\/server-key.pem is not the key of the certificate \S+tls-a\/server.pem/);
    expectRefused(await cli(['start', '--data-dir', dataDir, '--tls-cert', certA]), /https.certFile and https.keyFile must be given together/);
    expect(existsSync(dataDir)).toBe(false);
    // The pair that belongs together starts (checked, not just read).
    const server = await startBuiltCli(['start', '--data-dir', dataDir, '--tls-cert', certA, '--tls-key', keyA], { cwd: workDir, env: env() });
    running.push(server);
    expect(server.stdout()).toMatch(/HTTPS\s+https:\/\/127\.0\.0\.1:\d+/);
    expect((await server.stop()).code).toBe(0);
  });

  it('an unreachable PostgreSQL: the folder made for the generated certificates is removed again', async () => {
    const dataDir = join(workDir, 'pg-down');
    expectRefused(await cli(['start', '--data-dir', dataDir, '--database-url', 'postgres://nobody@127.0.0.1:1/none']), /^switchboard: database unavailable: .*ECONNREFUSED/);
    expect(existsSync(dataDir)).toBe(false);
  });

  // A URL asking for TLS of a server without it, or with a certificate this process does not trust,
  // printed "Error: Database migration failed: The server does not support SSL connections" and a stack trace (exit 1).
  it('a PostgreSQL URL whose TLS the server refuses: one line saying what to change, for start and the commands', async () => {
    const tlsFiles = ensureLocalCertificates(join(workDir, 'tls-pg'), ['127.0.0.1']);
    // Just enough of PostgreSQL to answer the client's SSLRequest: 'N' (no TLS here), or 'S' and a certificate of a CA the client does not know.
    const fakePostgres = async (answer: 'N' | 'S') => {
      const server = createServer((socket) => {
        socket.on('error', () => undefined);
        socket.once('data', () => {
          if (answer === 'N') return void socket.end('N');
          socket.write('S');
          new TLSSocket(socket, { isServer: true, key: tlsFiles.key, cert: tlsFiles.cert }).on('error', () => undefined);
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return { server, url: `postgres://u@127.0.0.1:${(server.address() as { port: number }).port}/d?sslmode=verify-full` };
    };
    // verify-full: node-postgres itself warns on stderr of what sslmode=require means.
    const noTls = await fakePostgres('N');
    const untrusted = await fakePostgres('S');
    try {
      const dataDir = join(workDir, 'pg-tls');
      for (const args of [['start'], ['migrate'], ['token', 'list']]) {
        expectRefused(
          await cli([...args, '--data-dir', dataDir, '--database-url', noTls.url]),
          /^switchboard: database refuses the connection: The server does not support SSL connections, but the database URL asks for TLS \(its sslmode\): remove sslmode, or turn TLS on in PostgreSQL\. Check that PostgreSQL runs/,
        );
      }
      expectRefused(
        await cli(['start', '--data-dir', dataDir, '--database-url', untrusted.url]),
        /^switchboard: database refuses the connection: its TLS certificate is not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE: .*\): name its CA with sslrootcert=<file> in the database URL\. Check that PostgreSQL runs/,
      );
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      noTls.server.close();
      untrusted.server.close();
    }
  });

  // A running PostgreSQL that refuses the URL's role or database printed a stack trace (exit 1).
  it.skipIf(!PG_URL)('a PostgreSQL that refuses the role or the database: one line naming the setting, for start and the commands', async () => {
    const dataDir = join(workDir, 'pg-refuses');
    const noRole = new URL(PG_URL!);
    noRole.username = 'sb_refused_start_no_such_role';
    noRole.password = '';
    const noDatabase = new URL(PG_URL!);
    noDatabase.pathname = '/sb_refused_start_no_such_database';
    // A database that does not exist is to be created (migrate makes only the schema), not "checked".
    for (const [url, why, hint] of [
      [noRole, /role "sb_refused_start_no_such_role" does not exist|authentication failed/, /\(SQLSTATE 28...\)\. Check that PostgreSQL runs and SWITCHBOARD_DATABASE_URL .* with a user, password and database it accepts/],
      [noDatabase, /database "sb_refused_start_no_such_database" does not exist/, /\(SQLSTATE 3D000\)\. Create the database first \(createdb sb_refused_start_no_such_database, see docs\/deploy\.md\)/],
    ] as const) {
      for (const args of [['start'], ['migrate'], ['project', 'list']]) {
        const run = await cli([...args, '--data-dir', dataDir, '--database-url', url.href]);
        expectRefused(run, /^switchboard: database refuses the connection: /);
        expect(run.stderr).toMatch(why);
        expect(run.stderr).toMatch(hint);
      }
    }
    expect(existsSync(dataDir)).toBe(false);
  });

  it('NATS or split roles without PostgreSQL', async () => {
    const dataDir = join(workDir, 'no-pg');
    expectRefused(await cli(['start', '--data-dir', dataDir, '--nats-url', 'nats://127.0.0.1:4222']), /^switchboard: configuration error: SWITCHBOARD_NATS_URL \(nats.url, --nats-url\) needs SWITCHBOARD_DATABASE_URL/);
    expectRefused(await cli(['start', '--data-dir', dataDir, '--roles', 'api']), /^switchboard: configuration error: SWITCHBOARD_ROLES .* leaves out dispatch and webhooks/);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('a management command on a folder without a database creates nothing', async () => {
    const dataDir = join(workDir, 'never-started');
    for (const args of [['token', 'list'], ['token', 'revoke', 'tok_x'], ['number', 'add', '+15551230009'], ['project', 'list']]) {
      expectRefused(await cli([...args, '--data-dir', dataDir]), /^switchboard: no database in the data folder \S+never-started: run `switchboard start` once/);
    }
    expect(existsSync(dataDir)).toBe(false);
  });

  // commander checks required options before unknown ones: `--form` was reported as a missing --from.
  it('send names a mistyped flag with the right one, before asking for the options it needs', async () => {
    const run = await cli(['send', '--form', '+15551230001', '--to', '+15557654321', '--body', 'hi']);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/^switchboard: unknown option '--form' \(did you mean --from\?\) \(run "switchboard help" .*\)\n$/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expectRefused(await cli(['send', '--to', '+15557654321', '--body', 'hi']), /^switchboard: give --from \(the sender: a number of the project, E\.164, or a short code\)$/m);
  });

  // `npm start --port 9000` hands --port to npm (npm_config_port) and 9000 on as an argument: it said
  // "too many arguments for 'start'", and `npm start --port=9000` started on the default port.
  it('a flag npm kept for itself is named, with the command that passes it on', async () => {
    expectRefused(await cli(['start', '9000'], { npm_lifecycle_event: 'start', npm_config_port: 'true' }), /^switchboard: npm kept --port for itself \(flags before -- go to npm, not to switchboard\): write npm start -- --port 9000$/m);
    expectRefused(await cli(['start'], { npm_lifecycle_event: 'start', npm_config_port: '9000' }), /^switchboard: npm kept --port for itself .*: write npm start -- --port 9000$/m);
  });

  // commander read `false` as an argument of start: "too many arguments for 'start'".
  it('a switch given a value, as its environment variable takes one, is named with how to give it', async () => {
    expectRefused(await cli(['start', '--https', 'false']), /^switchboard: option '--https' is a switch and takes no value \(got "--https false"\): give --https or --no-https$/m);
  });

  // Every command took every server flag: `send --smsc` or `token list --https-port 9443` did
  // nothing, silently, and `send --help` offered "--smsc  Start the simulator's SMSC".
  it('a server flag given to a command that does not use it is refused, and its --help lists only the flags it reads', async () => {
    expectRefused(
      await cli(['send', '--smsc', '--from', '+15551230001', '--to', '+15557654321', '--body', 'hi']),
      /^switchboard: --smsc is a setting of the server \(switchboard start --smsc\); switchboard send does not use it: drop it$/m,
    );
    expectRefused(await cli(['token', 'list', '--https-port=9443']), /^switchboard: --https-port is a setting of the server .*; switchboard token list does not use it: drop it$/m);
    expectRefused(await cli(['number', 'add', '+15551230009', '--no-https']), /^switchboard: --no-https is a setting of the server .*; switchboard number add does not use it/m);
    // A value that looks like a flag is a value: the body "--smsc" is sent as text, not refused as a flag.
    const asBody = await cli(['send', '--url', 'http://127.0.0.1:9', '--project', 'p', '--token', 't', '--from', '+15551230001', '--to', '+15557654321', '--body', '--smsc']);
    expect(asBody.stderr).not.toMatch(/setting of the server/);
    const send = await cli(['send', '--help']);
    expect(send.stdout).toMatch(/--port <port>/);
    expect(send.stdout).not.toMatch(/--smsc|--roles|--tls-cert|--log-format/);
    const tokens = await cli(['token', 'list', '--help']);
    expect(tokens.stdout).toMatch(/--data-dir <folder>[\s\S]*--database-url <url>/);
    expect(tokens.stdout).not.toMatch(/--https|--simulator-delay-ms|--public-url/);
  });

  it('send refuses a --url that is no http(s) address', async () => {
    expectRefused(
      await cli(['send', '--url', 'localhost8080', '--project', 'p', '--token', 't', '--from', '+15551230001', '--to', '+15557654321', '--body', 'hi']),
      /^switchboard: --url must be the server's http:\/\/ or https:\/\/ address, e\.g\. http:\/\/127\.0\.0\.1:8080 \(got "localhost8080"\)$/m,
    );
  });
});

describe.skipIf(!BUILT)(`two servers on one SQLite data folder ${BUILT ? '' : NOT_BUILT}`, { timeout: SLOW }, () => {
  it('the second start is refused while the first runs; the commands work beside it; the folder is free once it stops, even by SIGKILL', async () => {
    const dataDir = join(workDir, 'shared');
    const first = await startBuiltCli(['start', '--data-dir', dataDir, '--no-https'], { cwd: workDir, env: env() });
    running.push(first);
    expectRefused(
      await cli(['start', '--data-dir', dataDir, '--no-https']),
      /^switchboard: Another Switchboard server is running on the data folder \S+shared \(it holds switchboard.lock\); two servers must not write one SQLite database\. Stop that server, or give this one another --data-dir/,
    );
    const list = await cli(['token', 'list', '--data-dir', dataDir]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/first start/);
    expect(readdirSync(dataDir).sort()).toEqual(['credentials.json', 'switchboard.db', 'switchboard.db-shm', 'switchboard.db-wal', 'switchboard.lock']);
    expect((await first.stop()).code).toBe(0);

    const second = await startBuiltCli(['start', '--data-dir', dataDir, '--no-https'], { cwd: workDir, env: env() });
    running.push(second);
    second.child.kill('SIGKILL');
    await second.exited;
    const third = await startBuiltCli(['start', '--data-dir', dataDir, '--no-https'], { cwd: workDir, env: env() });
    running.push(third);
    expect((await third.stop()).code).toBe(0);
  });
});

/**
 * The docs run. Every shell block of README.md and docs/**.md is listed in COVERAGE: run here (against
 * a server this test starts, with the literal ports and placeholders of the docs replaced by the
 * test's own), run by `.ci/run`, or not run with the reason why (a benchmark, a deployment host, a
 * user's script). A new block that is not listed fails the first test, so the docs cannot grow
 * commands nobody runs.
 *
 * Needs the built server (`npm test`'s pretest); the deploy recipe needs PostgreSQL and NATS
 * (SWITCHBOARD_TEST_DATABASE_URL set, as in the PostgreSQL pass).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_CLI, freePort, serverIsBuilt as BUILT, startBuiltCli, type BannerServer } from '../packages/server/test/helpers/built-server.js';
import { createTestDatabase, NATS_TEST_URL, serversOnPostgres, type TestDatabase } from '../packages/server/test/helpers/postgres.js';
import { basicAuth } from '../packages/server/test/helpers/server.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SLOW = 180_000;
const NOT_BUILT = 'skipped: packages/server/dist is missing — run `npm run build` (npm test does it first)';

interface Block {
  readonly file: string;
  readonly line: number;
  readonly text: string;
}

/** A line that starts a shell command (for fenced blocks without a language). */
const COMMAND_START = /^(npm|npx|node|curl|export|createdb|psql|git|apt-get|python3|[A-Z][A-Z0-9_]*=\S*\s)/;

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? markdownFiles(join(dir, e.name)) : e.name.endsWith('.md') ? [join(dir, e.name)] : []));
}

/** The shell blocks of a markdown file: fenced as bash/sh/shell/console, or unlabelled and starting with a command. */
function shellBlocks(path: string): Block[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    // A block inside a list item is indented like its fence: take that much off every line.
    const indent = open[1]!.length;
    for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i]!); i++) body.push(lines[i]!.slice(Math.min(indent, /^ */.exec(lines[i]!)![0].length)));
    const lang = open[2]!;
    const firstCommand = body.find((l) => l.trim() !== '' && !l.trim().startsWith('#'))?.trim() ?? '';
    if (['bash', 'sh', 'shell', 'console'].includes(lang) || (lang === '' && COMMAND_START.test(firstCommand))) {
      out.push({ file: relative(ROOT, path), line: start + 1, text: body.join('\n') });
    }
  }
  return out;
}

const BLOCKS = [join(ROOT, 'README.md'), ...markdownFiles(join(ROOT, 'docs'))].flatMap(shellBlocks);

type How =
  /** Run by this test, in the named scenario. */
  | { readonly run: 'server' | 'manual-clock' | 'deploy' }
  /** Run by `.ci/run` (or by every test run). */
  | { readonly ci: string }
  /** Not run; why. */
  | { readonly not: string };

/** Every shell block of the docs, by file and the start of its first command line. */
const COVERAGE: ReadonlyArray<{ readonly file: string; readonly starts: string; readonly how: How }> = [
  { file: 'README.md', starts: 'npm ci\nnpm start', how: { ci: '.ci/run runs `npm ci`; `npm start` is `npm run build` (run by `npm test`) and `switchboard start`, which second-start.test.ts runs twice on one data folder' } },
  { file: 'README.md', starts: 'npx switchboard send', how: { run: 'server' } },
  { file: 'README.md', starts: 'PROJECT=<project id>', how: { run: 'server' } },
  { file: 'README.md', starts: "curl -s -u \"$PROJECT:$TOKEN\" 'http://127.0.0.1:8080/api/messaging/logs?status=delivered'", how: { run: 'server' } },
  { file: 'README.md', starts: 'curl -s -u "$PROJECT:$TOKEN" http://127.0.0.1:8080/api/simulator/messages', how: { run: 'server' } },
  { file: 'README.md', starts: 'export NODE_EXTRA_CA_CERTS', how: { run: 'server' } },
  { file: 'README.md', starts: 'export SWITCHBOARD_DATABASE_URL=postgres://switchboard:secret@db', how: { not: 'needs hosts named db and nats; the same commands on one machine are docs/deploy.md\'s recipe, run here (deploy)' } },
  { file: 'README.md', starts: 'npx switchboard token create --scopes messaging', how: { run: 'server' } },
  { file: 'README.md', starts: 'npm ci\nnpm test', how: { ci: '.ci/run runs npm ci, npm run lint and npm test; npm run bench is a benchmark of minutes, run by hand (docs/benchmarks.md records its results)' } },
  { file: 'docs/deploy.md', starts: 'createdb switchboard', how: { run: 'deploy' } },
  { file: 'docs/simulator.md', starts: '# send, then wait', how: { run: 'server' } },
  { file: 'docs/simulator.md', starts: 'curl -s -u "$PROJECT:$TOKEN" http://127.0.0.1:8080/api/simulator/clock', how: { run: 'manual-clock' } },
  { file: 'docs/operations.md', starts: 'curl -s http://127.0.0.1:8080/api/openapi.json', how: { run: 'server' } },
  { file: 'docs/console.md', starts: 'npm run build', how: { not: 'the console developer loop: `npm run build` runs before every test run (pretest); `npm run dev` is an interactive Vite server' } },
  { file: 'docs/api/relay.md', starts: 'SIGNALWIRE_SPACE=127.0.0.1:8443', how: { not: "runs the reader's own Python script; SignalWire's Python SDK against Switchboard is run by test/relay-official-sdks-spacing.test.ts" } },
  { file: 'docs/guides/sending-real-traffic.md', starts: 'curl -u "$PROJECT:$TOKEN" -X PUT http://127.0.0.1:8080/api/messaging/settings \\\n  -H \'Content-Type: application/json\' \\\n  -d \'{"help_reply"', how: { run: 'server' } },
  { file: 'docs/guides/sending-real-traffic.md', starts: "curl -u \"$PROJECT:$TOKEN\" 'http://127.0.0.1:8080/api/messaging/opt_outs", how: { run: 'server' } },
  { file: 'docs/guides/sending-real-traffic.md', starts: '# the handset texts STOP', how: { run: 'server' } },
  { file: 'docs/guides/sending-real-traffic.md', starts: 'curl -u "$PROJECT:$TOKEN" -X PUT http://127.0.0.1:8080/api/messaging/settings \\\n  -H \'Content-Type: application/json\' -d \'{"smart_encoding"', how: { run: 'server' } },
  { file: 'docs/guides/sending-real-traffic.md', starts: 'curl -u "$PROJECT:$TOKEN" -X PUT http://127.0.0.1:8080/api/relay/rest/phone_numbers/$NUMBER_ID', how: { run: 'server' } },
  { file: 'docs/benchmarks.md', starts: '', how: { not: 'benchmarks: minutes of load each, run by hand on a quiet machine; their results and exact commands are what the file records' } },
];

function coverageOf(b: Block) {
  return COVERAGE.filter((c) => c.file === b.file && b.text.trimStart().startsWith(c.starts));
}

/** Files whose blocks change the server's state for later ones (the opt-out guide leaves a handset opted out): run last. */
const RUN_LAST = ['docs/guides/sending-real-traffic.md'];

function blocksFor(run: 'server' | 'manual-clock' | 'deploy'): Block[] {
  const blocks = BLOCKS.filter((b) => coverageOf(b).some((c) => 'run' in c.how && c.how.run === run));
  return [...blocks.filter((b) => !RUN_LAST.includes(b.file)), ...blocks.filter((b) => RUN_LAST.includes(b.file))];
}

describe('every shell block of README.md and docs/ is accounted for', () => {
  it('each is listed once: run here, run by .ci/run, or not run with a reason', () => {
    expect(BLOCKS.length).toBeGreaterThan(10);
    const problems = BLOCKS.map((b) => ({ b, n: coverageOf(b).length }))
      .filter(({ n }) => n !== 1)
      .map(({ b, n }) => `${b.file}:${b.line} matches ${n} COVERAGE entries:\n${b.text}`);
    expect(problems).toEqual([]);
  });

  it('no COVERAGE entry is stale', () => {
    const stale = COVERAGE.filter((c) => !BLOCKS.some((b) => coverageOf(b).includes(c)));
    expect(stale).toEqual([]);
  });
});

/** Run a shell script to completion with bash; curl fails on an HTTP error and is bounded in time. */
function bash(
  script: string,
  opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number; detached?: boolean },
): Promise<{ code: number | null; stdout: string; stderr: string; pid: number; output: () => string }> {
  // A command that chose its own failure mode (`curl -sf` in a wait loop) keeps it; curl refuses both.
  const prelude = `set -e -o pipefail
curl() {
  for a in "$@"; do case "$a" in --fail*|-[a-zA-Z]*f*) command curl --max-time 30 "$@"; return; esac; done
  command curl --fail-with-body --show-error --max-time 30 "$@"
}
`;
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', prelude + script], { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], detached: opts.detached ?? false });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out:\n${script}\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? 60_000);
    // 'exit', not 'close': processes the script leaves in the background keep its output pipes open.
    child.on('exit', (code) => {
      clearTimeout(timer);
      // `output` reads on after the exit: what the background processes wrote since.
      setTimeout(() => resolve({ code, stdout, stderr, pid: child.pid!, output: () => `stdout: ${stdout}\nstderr: ${stderr}` }), 200);
    });
  });
}

/** The docs' literal addresses and placeholders, replaced by this test's server. */
function localise(text: string, s: { url: string; httpsHost: string; projectId: string; token: string; messageId: string }): string {
  return text
    .replaceAll('http://127.0.0.1:8080', s.url)
    .replaceAll('127.0.0.1:8443', s.httpsHost)
    .replaceAll('<project id>', s.projectId)
    .replaceAll('<api token>', s.token)
    .replaceAll('<message id>', s.messageId)
    .replaceAll('npx switchboard', `node ${BUILT_CLI}`);
}

describe.skipIf(!BUILT)(`the commands of the docs against a running server ${BUILT ? '' : NOT_BUILT}`, { timeout: SLOW }, () => {
  let work: string;
  let server: BannerServer;
  let env: NodeJS.ProcessEnv;
  let subst: Parameters<typeof localise>[1];

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'switchboard-docs-'));
    const dataDir = join(work, 'data');
    // The settings the docs' commands assume (data folder, port) reach them through the environment, as in a shell.
    const port = await freePort();
    env = { PATH: process.env.PATH, HOME: work, SWITCHBOARD_LOG_LEVEL: 'warn', SWITCHBOARD_DATA_DIR: dataDir, SWITCHBOARD_PORT: String(port), SWITCHBOARD_HTTPS_PORT: '0', SWITCHBOARD_SIMULATOR_DELAY_MS: '0' };
    server = await startBuiltCli(['start'], { cwd: work, env });
    const out = server.stdout();
    const projectId = /Project ID +(\S+)/.exec(out)![1]!;
    const token = /API token +(PT\w+)/.exec(out)![1]!;
    const httpsHost = /HTTPS +https:\/\/(\S+)/.exec(out)![1]!;
    const auth = { authorization: basicAuth(projectId, token), 'content-type': 'application/json' };
    const sent = (await (await fetch(`${server.url}/api/messaging/messages`, { method: 'POST', headers: auth, body: JSON.stringify({ from: '+15551230001', to: '+15557654321', body: 'for the docs' }) })).json()) as { id: string };
    const numbers = (await (await fetch(`${server.url}/api/relay/rest/phone_numbers`, { headers: auth })).json()) as { data: Array<{ id: string; number: string }> };
    subst = { url: server.url, httpsHost, projectId, token, messageId: sent.id };
    env = { ...env, PROJECT: projectId, TOKEN: token, NUMBER_ID: numbers.data.find((n) => n.number === '+15551230001')!.id };
  }, SLOW);
  afterAll(async () => {
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  }, SLOW);

  // One test per block, in document order: later blocks may rely on earlier ones (opt-out, then delete it).
  for (const block of blocksFor('server')) {
    it(`${block.file}:${block.line} runs`, async () => {
      const run = await bash(localise(block.text, subst), { cwd: work, env });
      expect(run.code, `${block.text}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`).toBe(0);
    });
  }

  it('the plain twilio(PROJECT, TOKEN) of the README works with an AC… project id', async () => {
    const { default: twilio } = await import('twilio');
    const dataDir = mkdtempSync(join(work, 'twilio-'));
    const projectId = 'AC0123456789abcdef0123456789abcdef';
    const s = await startBuiltCli(['start', '--port', '0', '--no-https', '--data-dir', dataDir], { cwd: work, env: { ...env, SWITCHBOARD_PROJECT_ID: projectId, SWITCHBOARD_PORT: '0' } });
    try {
      const token = /API token +(PT\w+)/.exec(s.stdout())![1]!;
      const client = twilio(projectId, token);
      client.api.baseUrl = s.url;
      const m = await client.messages.create({ from: '+15551230001', to: '+15557654321', body: 'Hello' });
      expect(m.accountSid).toBe(projectId);
      expect(m.status).toBe('queued');
    } finally {
      await s.stop();
    }
  });

  it('npx switchboard runs from the repository (the bin npm ci links)', async () => {
    const run = await bash('npx --no-install switchboard --version', { cwd: ROOT, env: { PATH: process.env.PATH, HOME: work }, timeoutMs: SLOW - 10_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe.skipIf(!BUILT)(`the simulator clock commands, on a server with the manual clock ${BUILT ? '' : NOT_BUILT}`, { timeout: SLOW }, () => {
  it.each(blocksFor('manual-clock'))('$file:$line runs', async (block) => {
    const work = mkdtempSync(join(tmpdir(), 'switchboard-docs-clock-'));
    const env = { PATH: process.env.PATH, HOME: work, SWITCHBOARD_LOG_LEVEL: 'warn', SWITCHBOARD_SIMULATOR_CLOCK: 'manual' };
    const server = await startBuiltCli(['start', '--port', '0', '--no-https', '--data-dir', join(work, 'data')], { cwd: work, env });
    try {
      const projectId = /Project ID +(\S+)/.exec(server.stdout())![1]!;
      const token = /API token +(PT\w+)/.exec(server.stdout())![1]!;
      const run = await bash(localise(block.text, { url: server.url, httpsHost: '', projectId, token, messageId: '' }), { cwd: work, env: { ...env, PROJECT: projectId, TOKEN: token } });
      expect(run.code, `stdout: ${run.stdout}\nstderr: ${run.stderr}`).toBe(0);
      expect(run.stdout).toContain('"mode":"manual"');
    } finally {
      await server.stop();
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!BUILT || !serversOnPostgres)(`docs/deploy.md's recipe: three nodes on one machine (PostgreSQL and NATS) ${BUILT ? '' : NOT_BUILT}`, { timeout: SLOW }, () => {
  let db: TestDatabase;
  let work: string;
  let group: number | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
    work = mkdtempSync(join(tmpdir(), 'switchboard-docs-deploy-'));
  }, SLOW);
  afterAll(async () => {
    // The recipe leaves its nodes running in the background, as a reader's shell would.
    if (group !== undefined) {
      try {
        process.kill(-group, 'SIGTERM');
      } catch {
        // already gone
      }
      await new Promise((r) => setTimeout(r, 3_000));
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        // stopped by SIGTERM
      }
    }
    await db?.drop();
    rmSync(work, { recursive: true, force: true });
  }, SLOW);

  it('runs as written: every node starts on its own ports and is ready, and token create prints a token', async () => {
    const [recipe] = blocksFor('deploy');
    const ports = new Map<string, number>();
    for (const p of ['8081', '8082', '8083', '8441', '8442', '8443']) ports.set(p, await freePort());
    let script = recipe!.text
      .replace(/^createdb switchboard.*$/m, ': database made by the test')
      .replace(/postgres:\/\/switchboard:secret@127\.0\.0\.1:5432\/switchboard/, db.url)
      .replace('nats://127.0.0.1:4222', NATS_TEST_URL)
      .replaceAll('npx switchboard', `node ${BUILT_CLI}`);
    for (const [doc, free] of ports) script = script.replace(new RegExp(`\\b${doc}\\b`, 'g'), String(free));
    // Detached: the nodes it starts in the background share its process group, stopped afterwards.
    const env = { PATH: process.env.PATH, HOME: work, SWITCHBOARD_LOG_LEVEL: 'warn', SWITCHBOARD_NATS_SUBJECT_PREFIX: `docs${process.pid}` };
    const run = await bash(script, { cwd: work, env, timeoutMs: SLOW - 20_000, detached: true });
    group = run.pid;
    expect(run.code, `stdout: ${run.stdout}\nstderr: ${run.stderr}`).toBe(0);
    // The nodes started in the background print their banners to the same terminal, maybe mid-line.
    expect(run.stdout).toMatch(/\bPT\w{48}\b/);
    for (const [node, doc] of [['a', '8081'], ['b', '8082'], ['c', '8083']] as const) {
      let ready: Response | undefined;
      for (let i = 0; i < 60 && !ready?.ok; i++) {
        ready = await fetch(`http://127.0.0.1:${ports.get(doc)}/ready`).catch(() => undefined);
        if (!ready?.ok) await new Promise((r) => setTimeout(r, 1_000));
      }
      expect(ready?.status, `node ${node} is not ready; the terminal:\n${run.output().slice(-4000)}`).toBe(200);
      expect(JSON.stringify(await ready!.json())).toContain(`"${node}"`);
    }
  });
});

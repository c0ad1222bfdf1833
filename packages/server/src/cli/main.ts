#!/usr/bin/env node
/**
 * The `switchboard` command: `start` runs the server; `project`, `token` and `number` manage the
 * data folder's database directly (a running server sees changes within a few seconds).
 */
import { parseArgs } from 'node:util';
import { InProcessBus } from '../bus/in-process-bus.js';
import { DataDirError } from '../composition/data-dir.js';
import { SchemaBehindError } from '../store/dialects/postgres.js';
import { ConfigError } from '../config/load.js';
import { SETTINGS } from '../config/settings.js';
import { AppError } from '../domain/app-error.js';
import { systemClock } from '../domain/clock.js';
import { isTokenScope, TOKEN_SCOPES, type TokenScope } from '../domain/credentials.js';
import { randomIds } from '../domain/ids.js';
import { isStoreUnavailable } from '../domain/ports/store.js';
import { NumberDirectory } from '../engine/routing/number-directory.js';
import { NumberService } from '../engine/admin/number-service.js';
import { ProjectService } from '../engine/admin/project-service.js';
import { openStore, settingsFromEnvironment, startSwitchboard, VERSION, type ResolvedSettings } from '../main.js';
import { startupBanner } from './banner.js';

const HELP = `switchboard ${VERSION} — self-hosted SMS/MMS platform

Usage: switchboard [command] [options]

Commands:
  start                         run the server (default)
  project list                  list projects
  project create [name]         create a project (prints its signing key)
  token list [--project ID]     list API tokens (prefixes only)
  token create [--project ID] [--name N] [--scopes messaging,numbers,management]
                                create an API token and print it once
  token revoke TOKEN_ID [--project ID]
  number list [--project ID]    list phone numbers
  number add NUMBER [--project ID] [--context CTX]
                                register a number (inbound goes to RELAY context CTX, default "default")
  number remove NUMBER [--project ID]
  migrate                       create or upgrade the database schema
  help                          show this text

Options of every command:
  --config FILE                 JSON config file (default ./switchboard.json if present)
${Object.values(SETTINGS)
  .filter((s) => s.flag)
  .map((s) => `  --${s.flag!.padEnd(28)}${s.description.split('.')[0]} (${s.env})`)
  .join('\n')}

Every setting also has an environment variable and a config-file key: see docs/configuration.md.
`;

function fail(message: string): never {
  process.stderr.write(`switchboard: ${message}\n`);
  process.exit(2);
}

async function withAdmin<T>(settings: ResolvedSettings, work: (ctx: { projects: ProjectService; numbers: NumberService; store: Awaited<ReturnType<typeof openStore>> }) => Promise<T>): Promise<T> {
  const store = await openStore(settings);
  const bus = new InProcessBus();
  const directory = new NumberDirectory(store.numbers, systemClock, bus);
  try {
    return await work({
      store,
      projects: new ProjectService({ store, clock: systemClock, ids: randomIds, bus }),
      numbers: new NumberService({ store, clock: systemClock, ids: randomIds, bus, directory, isUniqueViolation: (e) => store.isUniqueViolation(e) }),
    });
  } finally {
    await store.close();
  }
}

async function projectIdOf(store: Awaited<ReturnType<typeof openStore>>, given: string | undefined): Promise<string> {
  if (given) {
    if (!(await store.projects.get(given))) fail(`no project ${given}`);
    return given;
  }
  const first = (await store.projects.list())[0];
  if (!first) fail('no project yet: run `switchboard start` once, or `switchboard project create`');
  return first.id;
}

async function main(argv: string[]): Promise<void> {
  const settingFlags = Object.fromEntries(Object.values(SETTINGS).filter((s) => s.flag).map((s) => [s.flag!, { type: 'string' as const }]));
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        ...settingFlags,
        config: { type: 'string' },
        project: { type: 'string' },
        name: { type: 'string' },
        scopes: { type: 'string' },
        context: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (err) {
    fail(`${(err as Error).message}\nRun "switchboard help" for usage.`);
  }
  const { values, positionals } = parsed;
  if (values.version) return void process.stdout.write(`${VERSION}\n`);
  const [command = 'start', sub, arg] = positionals;
  if (values.help || command === 'help') return void process.stdout.write(HELP);

  let settings: ResolvedSettings;
  try {
    const flags = Object.fromEntries(Object.keys(settingFlags).map((k) => [k, values[k as keyof typeof values] as string | undefined]));
    settings = settingsFromEnvironment(flags, values.config ? { configFile: values.config } : {});
  } catch (err) {
    if (err instanceof ConfigError) fail(`configuration error: ${err.message}`);
    throw err;
  }

  switch (command) {
    case 'start': {
      const handle = await startSwitchboard(settings);
      process.stdout.write(startupBanner(handle) + '\n');
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) {
          handle.logger.warn(`${signal} again: exiting now`);
          process.exit(1);
        }
        stopping = true;
        handle.logger.info(`${signal} received`);
        handle.close().then(
          () => process.exit(0),
          (err: unknown) => {
            handle.logger.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
      return;
    }
    case 'migrate':
      await withAdmin(settings, async () => undefined);
      process.stdout.write('database schema is up to date\n');
      return;
    case 'project':
      return withAdmin(settings, async ({ store, projects }) => {
        if (sub === 'list' || sub === undefined) {
          for (const p of await store.projects.list()) process.stdout.write(`${p.id}  ${p.name}\n`);
        } else if (sub === 'create') {
          const p = await projects.createProject({ name: arg ?? values.name ?? 'Project' });
          const t = await projects.issueToken(p.id, { name: 'cli' });
          process.stdout.write(`project ${p.id}\napi token ${t.token}\nsigning key ${p.signingKey}\n`);
        } else fail(`unknown project command "${sub}"`);
      });
    case 'token':
      return withAdmin(settings, async ({ store, projects }) => {
        const projectId = await projectIdOf(store, values.project);
        if (sub === 'list' || sub === undefined) {
          for (const t of await store.tokens.list(projectId)) {
            process.stdout.write(`${t.id}  ${t.tokenPrefix}…  ${t.name}  [${t.scopes.join(',')}]${t.revokedAt ? '  revoked' : ''}\n`);
          }
        } else if (sub === 'create') {
          const scopes = (values.scopes ?? TOKEN_SCOPES.join(',')).split(',').map((s) => s.trim());
          const bad = scopes.filter((s) => !isTokenScope(s));
          if (bad.length) fail(`unknown scope(s) ${bad.join(', ')}; use ${TOKEN_SCOPES.join(', ')}`);
          const t = await projects.issueToken(projectId, { name: values.name ?? 'cli', scopes: scopes as TokenScope[] });
          process.stdout.write(`${t.token}\n`);
        } else if (sub === 'revoke') {
          if (!arg) fail('token revoke needs a token id (see token list)');
          if (!(await projects.revokeToken(projectId, arg))) fail(`no active token ${arg} in project ${projectId}`);
          process.stdout.write(`revoked ${arg}\n`);
        } else fail(`unknown token command "${sub}"`);
      });
    case 'number':
      return withAdmin(settings, async ({ store, numbers }) => {
        const projectId = await projectIdOf(store, values.project);
        if (sub === 'list' || sub === undefined) {
          for (const n of await store.numbers.list(projectId, {}, { limit: 1000 })) {
            process.stdout.write(`${n.number}  ${n.numberType}  [${n.capabilities.join(',')}]  ${n.messageHandler ?? '-'} ${n.messageRelayContext ?? n.messageRequestUrl ?? ''}\n`);
          }
        } else if (sub === 'add') {
          if (!arg) fail('number add needs a number, e.g. +15551230003');
          try {
            const n = await numbers.register(projectId, { number: arg, message_handler: 'relay_context', message_relay_context: values.context ?? settings.defaultRelayContext });
            process.stdout.write(`registered ${n.number} (${n.id})\n`);
          } catch (err) {
            if (err instanceof AppError) fail(err.details.map((d) => d.message).join('; '));
            throw err;
          }
        } else if (sub === 'remove') {
          const n = arg ? await store.numbers.getByNumber(projectId, arg) : undefined;
          if (!n) fail(`${arg ?? '(none)'} is not a number of project ${projectId}`);
          await numbers.release(projectId, n.id);
          process.stdout.write(`removed ${n.number}\n`);
        } else fail(`unknown number command "${sub}"`);
      });
    default:
      fail(`unknown command "${command}". Run "switchboard help".`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof ConfigError) fail(`configuration error: ${err.message}`);
  // Problems an operator fixes outside the program: one line, no stack trace.
  if (err instanceof SchemaBehindError || err instanceof DataDirError || isStoreUnavailable(err)) fail((err as Error).message);
  process.stderr.write(`switchboard: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});

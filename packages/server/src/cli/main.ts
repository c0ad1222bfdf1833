/**
 * The `switchboard` command, on commander: `start` runs the server; `send` sends a message through a
 * running server; `project`, `token` and `number` manage the data folder's database directly (a
 * running server sees changes within a few seconds). `start` takes every setting flag; the other
 * commands the few they read (a server flag given to one of them is refused, not ignored).
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { InProcessBus } from '../bus/in-process-bus.js';
import { simulatorRules, smppSection } from '../composition/adapters.js';
import { dataDirError, sqliteFile } from '../composition/data-dir.js';
import { SETTINGS, parsers, type SettingSpec } from '../config/settings.js';
import { AppError } from '../domain/app-error.js';
import { systemClock } from '../domain/clock.js';
import { isTokenScope, TOKEN_SCOPES, type TokenScope } from '../domain/credentials.js';
import { canonicalId, randomIds } from '../domain/ids.js';
import { NumberDirectory } from '../engine/routing/number-directory.js';
import { inOneTransaction } from '../engine/admin/in-transaction.js';
import { NumberService } from '../engine/admin/number-service.js';
import { ProjectService } from '../engine/admin/project-service.js';
import { openStore, settingsFromEnvironment, startSwitchboard, VERSION, type ResolvedSettings } from '../main.js';
import { startupBanner } from './banner.js';
import { handleClosedOutput } from './closed-output.js';
import { bannerCredentials } from './local-credentials.js';
import { SendError, sendFromTerminal } from './send.js';
import { oneLineError, refuseCommandAfterOptions, refuseFlagsNpmKept, refuseHttpListenerAliases, refuseOptionsOfDisabled, refuseServerFlags, refuseSwitchValues, refuseUnknownCommand } from './command-line-checks.js';
import { refuseRepeatedOptions } from './once-options.js';
import { guardedStart } from './start-guard.js';
import { startupFailureLine } from './startup-errors.js';

/** Settings resolved so far, for the hints of a failure line (empty until they are). */
let resolved: Partial<ResolvedSettings> = {};

function fail(message: string): never {
  process.stderr.write(`switchboard: ${message}\n`);
  process.exit(2);
}

const FLAGGED = Object.values(SETTINGS).filter((s): s is typeof s & { flag: string } => s.flag !== null) as Array<SettingSpec<unknown> & { flag: string }>;

/** commander's attribute name of a long flag: `data-dir` → `dataDir`. */
const attributeOf = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

function metavar(flag: string): string {
  if (/port$/.test(flag)) return '<port>';
  if (/url$/.test(flag)) return '<url>';
  if (/dir$/.test(flag)) return '<folder>';
  if (/^tls-/.test(flag)) return '<file>';
  if (/-ms$/.test(flag)) return '<ms>';
  if (flag === 'numbers' || flag === 'roles') return '<list>';
  return '<value>';
}

/** The setting flags `send` reads: where the server is (its default URL) and where its credentials are kept. */
const SEND_FLAGS = ['host', 'port', 'data-dir', 'database-url'];
/** The setting flags the management commands read: the database, and the default project. */
const ADMIN_FLAGS = ['data-dir', 'database-url', 'project-id'];

/**
 * Add `--config` and the settings' flags — every one (`start`), or those in `only`; boolean settings
 * are switches (`--smsc`, `--no-https`).
 */
function withSettingOptions(cmd: Command, only?: readonly string[]): Command {
  cmd.addOption(new Option('--config <file>', 'JSON config file; default ./switchboard.json when it exists').env('SWITCHBOARD_CONFIG'));
  for (const s of FLAGGED) {
    if (only && !only.includes(s.flag)) continue;
    const describe = `${s.description} (${s.env})`;
    if (s.parse === parsers.bool) {
      cmd.addOption(new Option(`--${s.flag}`, describe));
      cmd.addOption(new Option(`--no-${s.flag}`, `turn off --${s.flag}`));
    } else {
      cmd.addOption(new Option(`--${s.flag} ${metavar(s.flag)}`, describe));
    }
  }
  return cmd;
}

/** A management command's setting flags (`ADMIN_FLAGS`). */
const adminOptions = (cmd: Command): Command => withSettingOptions(cmd, ADMIN_FLAGS);

/** Resolve settings from the command's flags, the environment and the config file. */
function settingsOf(cmd: Command): ResolvedSettings {
  const flags: Record<string, string | boolean | undefined> = {};
  for (const s of FLAGGED) flags[s.flag] = cmd.getOptionValue(attributeOf(s.flag)) as string | boolean | undefined;
  // commander also fills --config from SWITCHBOARD_CONFIG: the loader reads that itself (an empty one is unset there, an empty --config an error).
  const configFile = cmd.getOptionValueSource('config') === 'cli' ? (cmd.getOptionValue('config') as string) : undefined;
  // Errors (ConfigError) are reported by the one failure handler below.
  resolved = settingsFromEnvironment(flags, configFile !== undefined ? { configFile } : {});
  return resolved as ResolvedSettings;
}

type Store = Awaited<ReturnType<typeof openStore>>;

/** Refuse a SQLite data folder without a database (or that cannot hold one), creating nothing. */
function requireDatabase(dataDir: string): void {
  try {
    statSync(sqliteFile(dataDir));
    return;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    // Without the path, the failure is the folder's (a file on its way), as the server's own check reports it.
    if (code !== 'ENOENT') throw dataDirError(dataDir, { code }) ?? err;
  }
  fail(`no database in the data folder ${resolve(dataDir)}: run \`switchboard start\` once, or give the folder it uses with --data-dir (SWITCHBOARD_DATA_DIR)`);
}

/**
 * Open the database for an admin command. Only `migrate` and `project create` may make a new SQLite
 * database; the others refuse a data folder without one rather than leave an empty one behind.
 * The lists (`reads`) write nothing, so they work on a full disk: the folder is not write-checked.
 */
/** What an admin command works with; `projectId` resolves its `--project` (`projectIdOf`, with the settings already read). */
interface AdminContext {
  readonly projects: ProjectService;
  readonly numbers: NumberService;
  readonly store: Store;
  projectId(given: string | undefined): Promise<string>;
}

async function withAdmin<T>(settings: ResolvedSettings, work: (ctx: AdminContext) => Promise<T>, opts: { mayCreate?: boolean; reads?: boolean } = {}): Promise<T> {
  if (!settings.databaseUrl && !opts.mayCreate) requireDatabase(settings.dataDir);
  const store = await openStore(settings, { readsOnly: opts.reads === true });
  const bus = new InProcessBus();
  const directory = new NumberDirectory(store.numbers, systemClock, bus);
  try {
    return await work({
      store,
      projectId: (given) => projectIdOf(store, given, settings.projectId),
      projects: new ProjectService({ store, clock: systemClock, ids: randomIds, bus }),
      numbers: new NumberService({ store, clock: systemClock, ids: randomIds, bus, directory, isUniqueViolation: (e) => store.isUniqueViolation(e), maxPerProject: settings.maxNumbersPerProject }),
    });
  } finally {
    await store.close();
  }
}

/**
 * The project a management command works on: `--project`, else the configured operator project
 * (`bootstrap.projectId`: with it changed on a data folder, the first project is another one, whose
 * numbers the banner's `number add` hint then collided with), else the first project.
 */
async function projectIdOf(store: Store, given: string | undefined, configured: string | null): Promise<string> {
  if (given) {
    // A UUID in capitals names its project, as in credentials and URLs.
    const id = canonicalId(given);
    if (!(await store.projects.get(id))) fail(`no project ${given}`);
    return id;
  }
  if (configured) {
    const id = canonicalId(configured);
    if (!(await store.projects.get(id))) fail(`no project ${configured} (bootstrap.projectId, SWITCHBOARD_PROJECT_ID) yet: run \`switchboard start\` once with it, or give --project`);
    return id;
  }
  const first = (await store.projects.list())[0];
  if (!first) fail('no project yet: run `switchboard start` once, or `switchboard project create`');
  return first.id;
}

const out = (text: string) => void process.stdout.write(text);

let serving = false;

async function start(settings: ResolvedSettings): Promise<void> {
  // The config file's sections first: a bad one is a configuration error, reported before any port is tried.
  smppSection(settings);
  simulatorRules(settings);
  const { value: handle, lock } = await guardedStart(settings, () => startSwitchboard(settings));
  serving = true;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      handle.logger.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    handle.logger.info(`${signal} received`);
    handle.close().then(
      () => (lock?.release(), process.exit(0)),
      (err: unknown) => {
        handle.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  // Before the banner: whoever waits for it may stop the server at once, and is to get a graceful stop.
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // A stop that came first closes the store under the credentials' read: no banner then.
  const creds = await bannerCredentials(handle).catch((err: unknown) => {
    if (!stopping) throw err;
  });
  if (creds && !stopping) out(startupBanner(handle, creds) + '\n');
}

function buildProgram(): Command {
  const program = new Command('switchboard')
    .description('Self-hosted SMS/MMS platform speaking SignalWire RELAY, the native REST API and the Compatibility (Twilio-shaped) API.')
    .version(VERSION, '-v, --version', 'print the version')
    .helpOption('-h, --help', 'show help (of a command: switchboard <command> --help)')
    .showSuggestionAfterError(true)
    .configureOutput({ outputError: (text, write) => write(`switchboard: ${oneLineError(text)}\n`) })
    .exitOverride()
    .addHelpText(
      'after',
      '\nEvery setting also has an environment variable and a config-file key: see docs/configuration.md.\nWithout a command, switchboard starts the server.',
    );

  withSettingOptions(program.command('start', { isDefault: true }).description('run the server (the default command)')).action((_opts, cmd: Command) => start(settingsOf(cmd)));

  withSettingOptions(
    program
      .command('send')
      .description('send a message through a running server (its native REST API) and print its id and status')
      .option('--from <number>', 'sender (required): a number of the project (E.164) or short code')
      .option('--to <number>', 'recipient (required, E.164)')
      .option('--body <text>', 'message text')
      .option('--media <url...>', 'media URLs (makes it an MMS)')
      .option('--wait', 'wait until the message reaches a final state and print it')
      .option('--url <url>', 'server base URL (default: http://<host>:<port> of the settings)')
      .option('--project <id>', 'project ID (default: SIGNALWIRE_PROJECT_ID, then the data folder credentials)')
      .option('--token <token>', 'API token (default: SIGNALWIRE_API_TOKEN, then the data folder credentials)'),
    SEND_FLAGS,
  ).action(async (opts: { from?: string; to?: string; body?: string; media?: string[]; wait?: boolean; url?: string; project?: string; token?: string }, cmd: Command) => {
    try {
      const sent = await sendFromTerminal(opts, settingsOf(cmd), process.env, (line) => out(`${line}\n`), (line) => void process.stderr.write(`${line}\n`));
      process.exitCode = sent.exitCode;
    } catch (err) {
      if (err instanceof SendError) fail(err.message);
      throw err;
    }
  });

  adminOptions(program.command('migrate').description('create or upgrade the database schema')).action(async (_opts, cmd: Command) => {
    await withAdmin(settingsOf(cmd), async () => undefined, { mayCreate: true });
    out('database schema is up to date\n');
  });

  const project = program.command('project').description('manage projects');
  adminOptions(project.command('list').description('list projects')).action((_o, cmd: Command) =>
    withAdmin(settingsOf(cmd), async ({ store }) => {
      for (const p of await store.projects.list()) out(`${p.id}  ${p.name}\n`);
    }, { reads: true }),
  );
  adminOptions(project.command('create').description('create a project and print its ID, an API token and its signing key (once)').argument('[name]', 'project name', 'Project')).action(
    (name: string, _o, cmd: Command) => {
      if (!name.trim()) fail('the project name must not be empty');
      return withAdmin(settingsOf(cmd), async ({ store, projects }) => {
        // One transaction: stopped between the two writes (a full disk), it left a project without a token.
        const { p, t } = await inOneTransaction(store, (tx, after) => projects.within(tx, after), async (inTx) => {
          const p = await inTx.createProject({ name });
          return { p, t: await inTx.issueToken(p.id, { name: 'cli' }) };
        });
        out(`project ${p.id}\napi token ${t.token}\nsigning key ${p.signingKey}\n`);
      }, { mayCreate: true });
    },
  );

  const token = program.command('token').description('manage API tokens');
  const projectOption = () => new Option('--project <id>', 'project ID (default: bootstrap.projectId when set, else the first project)');
  adminOptions(token.command('list').description('list API tokens (prefixes only, never secrets)').addOption(projectOption())).action((o: { project?: string }, cmd: Command) =>
    withAdmin(settingsOf(cmd), async ({ store, projectId }) => {
      for (const t of await store.tokens.list(await projectId(o.project))) {
        out(`${t.id}  ${t.tokenPrefix}…  ${t.name}  [${t.scopes.join(',')}]${t.test ? '  test' : ''}${t.revokedAt ? '  revoked' : ''}\n`);
      }
    }, { reads: true }),
  );
  adminOptions(
    token
      .command('create')
      .description('create an API token and print it once (it is stored hashed)')
      .addOption(projectOption())
      .option('--name <name>', 'a label shown by token list', 'cli')
      .option('--scopes <list>', `comma-separated scopes: ${TOKEN_SCOPES.join(', ')}`, TOKEN_SCOPES.join(','))
      .option('--test', "a test token (Twilio's test credentials): its sends are answered by the magic numbers, never sent or stored; see docs/api/compat.md"),
  ).action((o: { project?: string; name: string; scopes: string; test?: boolean }, cmd: Command) => {
    const scopes = o.scopes.split(',').map((s) => s.trim()).filter((s) => s !== '');
    const bad = scopes.filter((s) => !isTokenScope(s));
    if (bad.length) fail(`unknown scope(s) ${bad.join(', ')}; use ${TOKEN_SCOPES.join(', ')}`);
    if (scopes.length === 0) fail(`--scopes needs at least one of ${TOKEN_SCOPES.join(', ')}`);
    if (!o.name.trim()) fail('--name must not be empty (it labels the token in token list)');
    return withAdmin(settingsOf(cmd), async ({ projects, projectId }) => {
      const t = await projects.issueToken(await projectId(o.project), { name: o.name, scopes: scopes as TokenScope[], test: o.test === true });
      out(`${t.token}\n`);
    });
  });
  adminOptions(token.command('revoke').description('revoke a token by its id (see token list)').argument('<token-id>').addOption(projectOption())).action(
    (id: string, o: { project?: string }, cmd: Command) =>
      withAdmin(settingsOf(cmd), async ({ projects, projectId: projectOf }) => {
        const projectId = await projectOf(o.project);
        if (!(await projects.revokeToken(projectId, id))) {
          // The token itself (or the prefix token list shows) is what one has at hand; it is not echoed whole.
          if (id.startsWith('PT')) fail(`no active token with id ${id.slice(0, 8)}…: that is a token (or its prefix), not its id; give the id, the first column of \`switchboard token list\``);
          fail(`no active token ${id} in project ${projectId} (\`switchboard token list\` shows the ids)`);
        }
        out(`revoked ${id}\n`);
      }),
  );

  const number = program.command('number').description('manage phone numbers');
  adminOptions(number.command('list').description('list phone numbers').addOption(projectOption())).action((o: { project?: string }, cmd: Command) =>
    withAdmin(settingsOf(cmd), async ({ store, projectId }) => {
      for (const n of await store.numbers.list(await projectId(o.project), {}, { limit: 1000 })) {
        out(`${n.number}  ${n.numberType}  [${n.capabilities.join(',')}]  ${n.messageHandler ?? '-'} ${n.messageRelayContext ?? n.messageRequestUrl ?? ''}\n`);
      }
    }, { reads: true }),
  );
  adminOptions(
    number
      .command('add')
      .description('register a number; its inbound messages go to a RELAY context')
      .argument('<number>', 'E.164 number or short code, e.g. +15551230003')
      .addOption(projectOption())
      .option('--context <name>', 'RELAY context for inbound messages (default: bootstrap.relayContext, "default")'),
  ).action((arg: string, o: { project?: string; context?: string }, cmd: Command) => {
    // An empty context registered the number with none: its inbound messages reached no client.
    if (o.context !== undefined && !o.context.trim()) fail('--context must not be empty: name the RELAY context inbound messages go to, or leave it out for the default');
    const settings = settingsOf(cmd);
    return withAdmin(settings, async ({ store, numbers, projectId }) => {
      const target = await projectId(o.project);
      try {
        const n = await numbers.register(target, { number: arg, message_handler: 'relay_context', message_relay_context: o.context ?? settings.defaultRelayContext });
        out(`registered ${n.number} (${n.id})\n`);
      } catch (err) {
        // The API may not say who holds a number (another tenant); the operator's CLI says, and how to move it.
        const owner = err instanceof AppError && err.details[0]?.key === 'NUMBER_TAKEN' ? await store.numbers.resolveOwner(arg) : undefined;
        if (owner && owner.projectId !== target) fail(`${owner.number} is already registered, to project ${owner.projectId}: release it there first (switchboard number remove ${owner.number} --project ${owner.projectId}), or add another number`);
        if (err instanceof AppError) fail(err.details.map((d) => d.message).join('; '));
        throw err;
      }
    });
  });
  adminOptions(number.command('remove').description('release a number').argument('<number>').addOption(projectOption())).action((arg: string, o: { project?: string }, cmd: Command) =>
    withAdmin(settingsOf(cmd), async ({ store, numbers, projectId: projectOf }) => {
      const projectId = await projectOf(o.project);
      const n = await store.numbers.getByNumber(projectId, arg);
      if (!n) fail(`${arg} is not a number of project ${projectId}`);
      await numbers.release(projectId, n.id);
      out(`removed ${n.number}\n`);
    }),
  );
  return program;
}

handleClosedOutput(process.stdout, { serving: () => serving, fail });
const program = buildProgram();
refuseRepeatedOptions(program);
refuseFlagsNpmKept(program, process.argv.slice(2), process.env, fail);
refuseUnknownCommand(program, process.argv.slice(2), fail);
refuseCommandAfterOptions(program, process.argv.slice(2), fail);
refuseHttpListenerAliases(process.argv.slice(2), fail);
refuseSwitchValues(program, process.argv.slice(2), fail);
refuseOptionsOfDisabled(program, process.argv.slice(2), fail);
refuseServerFlags(program, process.argv.slice(2), fail);
program
  .parseAsync(process.argv.slice(2), { from: 'user' })
  .catch((err: unknown) => {
    // commander already printed its message (usage errors) or the help/version it was asked for.
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
    const line = startupFailureLine(err, resolved);
    if (line) fail(line);
    process.stderr.write(`switchboard: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  });

/**
 * Mistakes in a command line that commander reports in its own words, which do not say what is
 * wrong: these checks run on the arguments first and name the mistake instead.
 */
import type { Command, Option } from 'commander';
import { HTTP_LISTENER_ALIASES } from '../config/load.js';
import { SETTINGS } from '../config/settings.js';
import { didYouMean } from '../domain/closest-name.js';

export type Refuse = (message: string) => never;

/**
 * `start` is the default command, so commander would read an unknown command as an argument of
 * `start` ("too many arguments for 'start'"): name it as an unknown command instead.
 */
export function refuseUnknownCommand(program: Command, args: readonly string[], refuse: Refuse): void {
  const names = program.commands.flatMap((c) => [c.name(), ...c.aliases()]);
  // `help <command>` names a command too.
  const first = args[0] === 'help' ? args[1] : args[0];
  if (first === undefined || first.startsWith('-') || names.includes(first)) return;
  refuse(`unknown command '${first}'${didYouMean(first, names)}; the commands are ${names.join(', ')} (run "switchboard help" for usage)`);
}

/**
 * Options before the command (`switchboard --port 9000 send …`): commander reads them as options
 * of the default `start` and the command as its argument ("too many arguments for 'start'"). Name
 * the order instead. A command's name that is the value of an option before it is left alone.
 */
export function refuseCommandAfterOptions(program: Command, args: readonly string[], refuse: Refuse): void {
  if (!args[0]?.startsWith('-')) return;
  const start = commandOf(program, []);
  const valued = new Set((start.options as readonly Option[]).filter((o) => (o.required || o.optional) && o.long).map((o) => o.long!));
  for (const [i, arg] of args.entries()) {
    if (arg === '--') return;
    if (i > 0 && valued.has(args[i - 1]!)) continue;
    let cmd = program.commands.find((c) => c.name() === arg);
    if (!cmd || cmd === start) continue;
    // With its subcommand (`token list`), which follows it.
    let end = i + 1;
    for (let sub; (sub = cmd.commands.find((c) => c.name() === args[end])); end++) cmd = sub;
    refuse(`the command goes before its options: write switchboard ${[...args.slice(i, end), ...args.slice(0, i), ...args.slice(end)].join(' ')}`);
  }
}

/** `--http-port`: commander asked whether it meant --https-port, the other listener's (see HTTP_LISTENER_ALIASES). */
export function refuseHttpListenerAliases(args: readonly string[], refuse: Refuse): void {
  for (const arg of args) {
    if (arg === '--') return;
    const flag = arg.includes('=') ? arg.slice(0, arg.indexOf('=')) : arg;
    const setting = HTTP_LISTENER_ALIASES[flag.replace(/^--http-/, 'http.')];
    if (flag.startsWith('--http-') && setting) refuse(`unknown option '${flag}' (did you mean --${SETTINGS[setting].flag}? the HTTP listener's flags take no http- prefix) (${USAGE_HINT})`);
  }
}

/** The command `args` run: the named subcommands in turn, else the default command (`start`). */
function commandOf(program: Command, args: readonly string[]): Command {
  let cmd = program;
  for (const arg of args) {
    const sub = cmd.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (!sub) break;
    cmd = sub;
  }
  if (cmd === program) cmd = program.commands.find((c) => c.name() === 'start') ?? program;
  return cmd;
}

const SWITCH_VALUE = /^(true|false|yes|no|on|off|1|0)$/i;

/**
 * A switch given a value, as its environment variable takes one (`--https false`, `--smsc=true`):
 * commander read the word as an argument of the command ("too many arguments for 'start'") or the
 * whole `--https=false` as an unknown option. Name the switch and how to give it.
 */
export function refuseSwitchValues(program: Command, args: readonly string[], refuse: Refuse): void {
  const cmd = commandOf(program, args);
  const options = cmd.options as readonly Option[];
  const switches = new Set(options.filter((o) => !o.required && !o.optional && o.long).map((o) => o.long!));
  for (const [i, arg] of args.entries()) {
    if (arg === '--') return; // the rest are arguments, not options
    const [flag, value] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, args[i + 1]];
    if (!switches.has(flag) || value === undefined || !SWITCH_VALUE.test(value)) continue;
    const base = flag.replace(/^--no-/, '--');
    const ways = switches.has(`--no-${base.slice(2)}`) ? `${base} or --no-${base.slice(2)}` : `${base}, or leave it out`;
    refuse(`option '${flag}' is a switch and takes no value (got "${flag === arg ? `${arg} ${value}` : arg}"): give ${ways}`);
  }
}

/** Where to read the usage, the end of every command-line error. */
export const USAGE_HINT = 'run "switchboard help" or "switchboard <command> --help" for usage';

/**
 * One of commander's own errors as one line: "error: unknown option '--prot'\n(Did you mean
 * --port?)" and the pointer to help after it were three lines, unlike every other mistake, which
 * is one line saying what is wrong and what to do.
 */
export function oneLineError(text: string): string {
  const lines = text.replace(/^error: /, '').trim().split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const [first = '', ...rest] = lines;
  const suggestion = rest.map((l) => /^\(Did you mean (.+)\?\)$/.exec(l)?.[1]).find((s) => s !== undefined);
  const others = rest.filter((l) => !/^\(Did you mean .+\?\)$/.test(l));
  return [`${first}${suggestion ? ` (did you mean ${suggestion}?)` : ''}`, ...others].join('; ') + ` (${USAGE_HINT})`;
}

/**
 * `npm start --port 9000` gives `--port` to npm, not to us: npm keeps it as its own setting
 * (`npm_config_port` in the script's environment) and passes `9000` on as a stray argument, so
 * the server said "too many arguments for 'start'" — or, with `--port=9000`, started on the default
 * port as if nothing had been asked. Under an npm script, one of our flags among npm's settings
 * is named, with the command that passes it through.
 */
export function refuseFlagsNpmKept(program: Command, args: readonly string[], env: NodeJS.ProcessEnv, refuse: Refuse): void {
  const event = env.npm_lifecycle_event;
  if (!event || event === 'npx') return;
  const cmd = commandOf(program, args);
  for (const option of cmd.options as readonly Option[]) {
    if (!option.long || option.negate) continue;
    const kept = env[`npm_config_${option.long.slice(2).replace(/-/g, '_')}`];
    if (kept === undefined) continue;
    // `--port 9000`: npm read --port as a switch (true) and passed 9000 on; `--port=9000`: npm kept the value.
    const words: string[] = [];
    for (let c: Command | null = cmd; c?.parent; c = c.parent) words.unshift(c.name());
    const stray = args.find((a) => !a.startsWith('-') && !words.includes(a));
    const takesValue = option.required || option.optional;
    const value = takesValue ? ` ${kept === 'true' && stray !== undefined ? stray : kept}` : '';
    // `npm start --no-smsc` leaves npm_config_smsc empty (npm's false): the switch asked for is the negation.
    const flag = !takesValue && (kept === '' || kept === 'false') ? `--no-${option.long.slice(2)}` : option.long;
    const script = event === 'start' || event === 'test' ? `npm ${event}` : `npm run ${event}`;
    // The command's words go after `--` too (`npm run switchboard -- token create --test`), but not
    // the `start` that `npm start`'s own script already gives.
    const given = args.includes(words[0] ?? '') ? words : [];
    const path = event === 'start' && given.join(' ') === 'start' ? [] : given;
    refuse(`npm kept ${flag} for itself (flags before -- go to npm, not to switchboard): write ${script} -- ${[...path, `${flag}${value}`].join(' ')}`);
  }
}

/**
 * `--no-https --https-port 9443` (or `--no-smsc --smsc-port 2776`): a setting of a listener the
 * same command line turns off was dropped without a word. Both are on the command line, so one of
 * them is a mistake; only flags are compared (an environment variable may be set for every run).
 */
export function refuseOptionsOfDisabled(program: Command, args: readonly string[], refuse: Refuse): void {
  const cmd = commandOf(program, args);
  const given = args.slice(0, args.includes('--') ? args.indexOf('--') : undefined).map((a) => (a.includes('=') ? a.slice(0, a.indexOf('=')) : a));
  for (const option of cmd.options as readonly Option[]) {
    if (!option.negate || !option.long || !given.includes(option.long)) continue;
    const feature = option.long.slice('--no-'.length);
    const setting = given.find((a) => a.startsWith(`--${feature}-`) && (cmd.options as readonly Option[]).some((o) => o.long === a));
    if (setting) refuse(`${setting} is given with ${option.long}, which turns that off; drop one of them`);
  }
}

/**
 * A flag of `start` given to a command that does not read it (`send --smsc`, `token list
 * --https-port 9443`): commander would call it unknown and suggest the nearest of the command's
 * own. Say whose it is instead. The value of one of the command's options is skipped (`--body --smsc`).
 */
export function refuseServerFlags(program: Command, args: readonly string[], refuse: Refuse): void {
  const start = program.commands.find((c) => c.name() === 'start');
  let cmd: Command = program;
  let depth = 0;
  for (let sub; (sub = cmd.commands.find((c) => c.name() === args[depth])); depth++) cmd = sub;
  if (!start || cmd === program || cmd === start) return;
  const own = cmd.options as readonly Option[];
  const valued = new Set(own.filter((o) => (o.required || o.optional) && o.long).map((o) => o.long!));
  const words = args.slice(0, args.includes('--') ? args.indexOf('--') : undefined);
  for (const [i, arg] of words.entries()) {
    if (i < depth || !arg.startsWith('--') || (i > 0 && valued.has(words[i - 1]!))) continue;
    const name = arg.includes('=') ? arg.slice(0, arg.indexOf('=')) : arg;
    if (own.some((o) => o.long === name) || !(start.options as readonly Option[]).some((o) => o.long === name)) continue;
    refuse(`${name} is a setting of the server (switchboard start ${name}); switchboard ${args.slice(0, depth).join(' ')} does not use it: drop it`);
  }
}

/**
 * What `switchboard start` prints: where it listens, what it runs on (config file, store, bus), the
 * credentials when this is the embedded default (see local-credentials.ts), and first commands to try.
 */
import { relative, resolve } from 'node:path';
import { sqliteFile } from '../composition/data-dir.js';
import { SETTINGS } from '../config/settings.js';
import { devLoginPolicy } from '../http/console/dev-login.js';
import type { SwitchboardHandle } from '../main.js';
import type { BannerCredentials } from './local-credentials.js';

/** A PostgreSQL URL without its password. */
function withoutPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}

function shortPath(path: string): string {
  const rel = relative(process.cwd(), resolve(path));
  return rel === '' ? '.' : rel.startsWith('..') ? resolve(path) : `./${rel}`;
}

export function startupBanner(h: SwitchboardHandle, creds: BannerCredentials): string {
  const { project, numbers } = h.bootstrap;
  const s = h.settings;
  // Commands below use the token itself where it may be shown, a variable the reader sets otherwise.
  const token = creds.kind === 'local' ? creds.apiToken : '$SIGNALWIRE_API_TOKEN';
  const quote = creds.kind === 'local' ? "'" : '"';
  // Without numbers, the examples name the one to add: a built-in number may be another project's on this folder.
  const from = numbers[0] ?? '<the number you add>';
  const wsUrl = h.url.replace(/^http/, 'ws');
  // On the manual clock nothing moves until a test advances it: `send --wait` would wait its minute for nothing.
  const manualClock = s.simulatorClock === 'manual';
  const tokenLine =
    creds.kind === 'local'
      ? `${creds.apiToken}   (kept in ${shortPath(creds.file)}, owner-only)`
      : creds.kind === 'configured'
        ? '(the configured SWITCHBOARD_API_TOKEN; not printed)'
        : '(not printed on PostgreSQL; make one with: npx switchboard token create --database-url …)';
  const lines = [
    '',
    `  Switchboard is running at ${h.url}   (RELAY: ${wsUrl}/)`,
    '',
    `  Project ID     ${project.id}`,
    `  API token      ${tokenLine}`,
    `  Signing key    ${creds.kind === 'local' ? project.signingKey : '(not printed; the console shows it)'}`,
    // No built-in number here: it may be another project's on this folder (SWITCHBOARD_PROJECT_ID changed).
    `  Numbers        ${numbers.join(', ') || `(none; add one with: npx switchboard number add <E.164 number> --project ${project.id}${s.databaseUrl ? ' --database-url …' : dataDirFlag(h)})`}`,
    `  Config file    ${s.configFile ? shortPath(s.configFile) : '(none: defaults, environment and flags)'}`,
    `  Store          ${s.databaseUrl ? `PostgreSQL ${withoutPassword(s.databaseUrl)}` : `SQLite ${shortPath(resolve(sqliteFile(s.dataDir)))}`}`,
    `  Bus            ${s.natsUrl ? `NATS ${s.natsUrl}` : 'in-process (one node)'}   simulator delay ${s.simulatorDelayMs} ms${manualClock ? ', manual clock' : ''}`,
    ...(s.consoleEnabled
      ? [`  Web console    ${h.url}/console/   ${devLoginPolicy(s, project.id).enabled ? '(one-click dev login)' : '(log in with the project ID and an API token)'}`]
      : []),
    ...(h.smsc ? [`  Simulator SMSC ${s.simulatorSmscHost}:${h.smsc.port}   (SMPP; system_id ${s.simulatorSmscSystemId})`] : []),
    ...httpsLines(h),
    '',
    ...(creds.kind === 'local' ? [] : [`  Set a token of this project in your shell first:  export SIGNALWIRE_PROJECT_ID=${project.id} SIGNALWIRE_API_TOKEN=<token>`, '']),
    '  Send a message:',
    `    npx switchboard send${sendTarget(h)} --from ${from} --to +15557654321 --body "Hello from Switchboard"${manualClock ? '' : ' --wait'}`,
    `    curl -s -u ${quote}${project.id}:${token}${quote} -H 'Content-Type: application/json' \\`,
    `      -d '{"from":"${from}","to":"+15557654321","body":"Hello from Switchboard"}' \\`,
    `      ${h.url}/api/messaging/messages`,
    ...(manualClock
      ? [
          '  The simulator clock is manual: it stands still until it is moved forward, here by a minute (operator project):',
          `    curl -s -u ${quote}${project.id}:${token}${quote} -H 'Content-Type: application/json' -d '{"ms":60000}' ${h.url}/api/simulator/clock/advance`,
        ]
      : []),
    '',
    // SignalWire's @signalwire/realtime-api reads a bare host as wss://: the ws:// URL works for it and for our SDK.
    '  Or over RELAY (WebSocket, JSON-RPC) with the SDK examples (SIGNALWIRE_SPACE is also the `host` of @signalwire/realtime-api):',
    `    export SIGNALWIRE_PROJECT_ID=${project.id}${creds.kind === 'local' ? ` SIGNALWIRE_API_TOKEN=${token}` : ''} SIGNALWIRE_SPACE=${wsUrl}`,
    '    npm run example send-sms',
    '',
    '  See it delivered:',
    `    curl -s -u ${quote}${project.id}:${token}${quote} ${h.url}/api/messaging/logs`,
    '',
  ];
  return lines.join('\n');
}

/** `word` as one word of a POSIX shell command: as it is when it is plain, else in single quotes. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_/.:,+=@%-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The flags `switchboard send` needs to find this server and its kept credentials when they differ from the defaults. */
function sendTarget(h: SwitchboardHandle): string {
  const defaults = { url: `http://${SETTINGS.host.default}:${SETTINGS.port.default}` };
  return `${h.url === defaults.url ? '' : ` --url ${h.url}`}${dataDirFlag(h)}`;
}

/** `--data-dir` for a command to find this server's folder, when it is not the default. */
function dataDirFlag(h: SwitchboardHandle): string {
  return resolve(h.settings.dataDir) === resolve(SETTINGS.dataDir.default) ? '' : ` --data-dir ${shellWord(h.settings.dataDir)}`;
}

/** Where HTTPS listens and, for the generated local CA, how to make Node clients trust it. */
function httpsLines(h: SwitchboardHandle): string[] {
  if (!h.httpsUrl) return [];
  const wss = h.httpsUrl.replace(/^https/, 'wss');
  const lines = ['', `  HTTPS          ${h.httpsUrl}   (same API and RELAY at ${wss}/; the Compatibility API SDKs need HTTPS)`];
  if (h.caFile) {
    lines.push(
      `  Local CA       ${shortPath(h.caFile)}`,
      '  Trust it in the Node process that calls this server (set before that process starts):',
      `    export NODE_EXTRA_CA_CERTS=${shellWord(resolve(h.caFile))}`,
      `  and point the SDK at the host, e.g. new RestClient(project, token, { signalwireSpaceUrl: '${h.httpsUrl.replace(/^https:\/\//, '')}' }),`,
      `  or RELAY clients at ${wss.replace(/^wss:\/\//, '')} (a bare host means wss:// to SignalWire's clients).`,
    );
  }
  return lines;
}

/**
 * Resolve settings from defaults, an optional JSON config file, the environment and CLI flags
 * (later wins). Only the composition root calls this with the real `process.env` and `argv`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { closestName, didYouMean } from '../domain/closest-name.js';
import { jsonSyntaxMessage } from '../util/json-syntax-error.js';
import { quotedInFile } from './file-values.js';
import { duplicateKey, jsonMistakeHint, notJsonHint } from './json-file.js';
import { SETTINGS, InvalidSetting, type SettingName, type SwitchboardSettings } from './settings.js';

/** A bad configuration value; the message names the setting and where it came from. */
export class ConfigError extends Error {}

export interface ConfigSources {
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Flags by long name (`port`, `data-dir`). */
  readonly flags?: Readonly<Record<string, string | boolean | undefined>>;
  /** Config file path; when absent, `./switchboard.json` is read if it exists. */
  readonly configFile?: string;
  /** Values set directly by code (tests, embedding), highest precedence. */
  readonly overrides?: Partial<SwitchboardSettings>;
}

/** The value at a dotted path (`simulator.rules`) of a parsed config file, or undefined. */
export function getPath(obj: unknown, dotted: string): unknown {
  let cur: unknown = obj;
  for (const part of dotted.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOENT') throw new ConfigError(`Config file ${path} does not exist (from --config or SWITCHBOARD_CONFIG); give the path of a JSON file, or none for ./switchboard.json`);
    if (code === 'EISDIR') throw new ConfigError(`Config file ${path} is a folder; give the path of a JSON file`);
    throw new ConfigError(unreadableFile(path, code, (err as Error).message));
  }
  // A byte order mark (Windows editors write one) is no JSON, but says nothing about the settings.
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  let parsed: unknown;
  try {
    if (text.trim() === '') throw new Error('the file is empty (write {} for no settings)');
    parsed = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('the top level must be an object');
  } catch (err) {
    throw new ConfigError(`Config file ${path} is not valid JSON${notJsonHint(path)}: ${jsonSyntaxMessage((err as Error).message, text)}${jsonMistakeHint(text)}`);
  }
  const twice = duplicateKey(text);
  if (twice !== null) throw new ConfigError(`"${twice}" is given twice in ${path}; keep one (JSON would silently use the last)`);
  return parsed as Record<string, unknown>;
}

/** Why a config file could not be read, and what to do: Node's own message names the call, not the remedy. */
function unreadableFile(path: string, code: unknown, detail: string): string {
  if (code === 'EACCES' || code === 'EPERM') {
    return `Cannot read config file ${path}: permission denied (${code}) to the user running switchboard; make the file (and its folders) readable by that user, e.g. chmod a+r ${path}, or run as its owner`;
  }
  if (code === 'ENOTDIR') return `Config file ${path} does not exist: a part of its path is a file, not a folder; give the path of a JSON file`;
  return `Cannot read config file ${path}: ${detail}`;
}

/**
 * Names of the HTTP listener's settings written after the HTTPS ones (`https.port`): the plain
 * listener's are top-level (`port`, `host`), so the nearest name by spelling was the HTTPS port, and
 * following that hint moved the other listener. Each surface's spelling leads to the setting meant.
 */
export const HTTP_LISTENER_ALIASES: Readonly<Record<string, SettingName>> = { 'http.port': 'port', 'http.host': 'host' };

/** Config-file sections read whole by their own parsers (SMPP connectors, simulator rules), not key by key. */
const RAW_SECTIONS = ['smpp', 'simulator.rules'];
/** Keys a config file may carry that are no setting: an editor's schema pointer. */
const IGNORED_KEYS = ['$schema'];

/**
 * `SWITCHBOARD_*` variables that are no setting but are read elsewhere: the config file's path, and
 * the test, benchmark and screenshot tooling. Anything else with the prefix is a typo.
 */
export const OTHER_ENVIRONMENT_VARIABLES: readonly string[] = [
  'SWITCHBOARD_CONFIG',
  'SWITCHBOARD_TEST_DATABASE_URL',
  'SWITCHBOARD_TEST_NATS_URL',
  'SWITCHBOARD_TEST_PG_RUN',
  'SWITCHBOARD_TEST_PG_TEMPLATE',
  'SWITCHBOARD_TEST_SERVICES',
  'SWITCHBOARD_TEST_TLS_DIR',
  'SWITCHBOARD_BENCH_NATS_URL',
  'SWITCHBOARD_BENCH_POSTGRES_URL',
  'SWITCHBOARD_CHROMIUM',
  'SWITCHBOARD_UPDATE_SCREENSHOTS',
];

/**
 * Refuse a `SWITCHBOARD_*` variable that names no setting, suggesting the closest one. Names are
 * compared without the prefix they all share, which made any short name "near" an unrelated one
 * (`SWITCHBOARD_TOKEN` was asked whether it meant `SWITCHBOARD_ROLES`); a name written after a
 * setting's config-file key (`SWITCHBOARD_HTTPS_ENABLED` for `https.enabled`), or after the
 * feature a switch turns on (`SWITCHBOARD_SMSC`), leads to that setting's variable.
 */
function checkEnvironmentNames(env: Readonly<Record<string, string | undefined>>): void {
  const prefix = 'SWITCHBOARD_';
  const known = new Set([...Object.values(SETTINGS).map((s) => s.env), ...OTHER_ENVIRONMENT_VARIABLES]);
  const byName = new Map<string, string>();
  const shaped = (key: string) => key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/\./g, '_').toUpperCase();
  for (const s of Object.values(SETTINGS)) {
    byName.set(shaped(s.key), s.env);
    if (s.key.endsWith('.enabled')) byName.set(shaped(s.key.slice(0, -'.enabled'.length)), s.env);
  }
  for (const [alias, setting] of Object.entries(HTTP_LISTENER_ALIASES)) byName.set(shaped(alias), SETTINGS[setting].env);
  for (const name of known) byName.set(name.slice(prefix.length), name);
  for (const name of Object.keys(env)) {
    if (!name.startsWith(prefix) || known.has(name) || env[name] === undefined) continue;
    // A section read whole (`SWITCHBOARD_SIMULATOR_RULES`, `SWITCHBOARD_SMPP_ROUTES`) was asked whether it meant a setting of similar spelling.
    const section = RAW_SECTIONS.find((sec) => `${name.slice(prefix.length)}_`.startsWith(`${shaped(sec)}_`));
    if (section !== undefined) throw new ConfigError(`unknown environment variable ${name}: "${section}" is set in the config file only (./switchboard.json or --config); see docs/configuration.md`);
    const near = closestName(name.slice(prefix.length), byName.keys());
    const hint = near === null ? '' : ` (did you mean "${byName.get(near)}"?)`;
    throw new ConfigError(`unknown environment variable ${name}${hint}; see docs/configuration.md for the settings`);
  }
}

/** Refuse a config-file key that names no setting or section, suggesting the closest one. */
function checkFileKeys(file: Record<string, unknown>, path: string): void {
  const leaves = new Set<string>([...Object.values(SETTINGS).map((s) => s.key), ...RAW_SECTIONS]);
  const sections = new Set<string>();
  for (const key of leaves) {
    const parts = key.split('.');
    for (let i = 1; i < parts.length; i++) sections.add(parts.slice(0, i).join('.'));
  }
  const walk = (obj: Record<string, unknown>, prefix: string): void => {
    for (const [k, value] of Object.entries(obj)) {
      const key = prefix + k;
      if (leaves.has(key) || (prefix === '' && IGNORED_KEYS.includes(k))) continue;
      if (sections.has(key)) {
        if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(`"${key}" in ${path} must be an object of settings (like "${[...leaves].find((l) => l.startsWith(`${key}.`))}")`);
        walk(value as Record<string, unknown>, `${key}.`);
        continue;
      }
      // A key written without its section (`"projectId"` for `bootstrap.projectId`, `"smsc"` for
      // `simulator.smsc`) is that key, not the name a letter or two away (`projects`, `smpp`).
      const names = [...leaves, ...sections];
      const placed = names.filter((n) => n.toLowerCase().endsWith(`.${key.toLowerCase()}`));
      const alias = HTTP_LISTENER_ALIASES[key];
      const hint = alias ? ` (did you mean "${SETTINGS[alias].key}"?)` : placed.length === 1 ? ` (did you mean "${placed[0]}"?)` : didYouMean(key, names);
      throw new ConfigError(`unknown key "${key}" in ${path}${hint}; see docs/configuration.md for the settings`);
    }
  };
  walk(file, '');
}

/** Refuse settings that only make sense together with others the operator did not give. */
function checkCombinations(s: SwitchboardSettings): void {
  if (!!s.tlsCertFile !== !!s.tlsKeyFile) {
    throw new ConfigError(`https.certFile and https.keyFile must be given together (${SETTINGS.tlsCertFile.env}, ${SETTINGS.tlsKeyFile.env}): set both, or neither for a generated local certificate`);
  }
  // One secret cannot be both: the start kept it live and only logged a warning, so a suite "on
  // test credentials" sent, stored and called back for real.
  if (s.testApiToken && s.testApiToken === s.apiToken) {
    throw new ConfigError(`${SETTINGS.testApiToken.env} (bootstrap.testApiToken) is the same secret as ${SETTINGS.apiToken.env} (bootstrap.apiToken, --api-token): a test token must differ from the live one, whose requests are sent for real`);
  }
  if (s.databaseUrl) return;
  if (s.natsUrl) {
    throw new ConfigError(
      `${SETTINGS.natsUrl.env} (nats.url, --nats-url) needs ${SETTINGS.databaseUrl.env} (database.url): NATS links nodes that share one PostgreSQL database, and SQLite serves one node; set both, or unset ${SETTINGS.natsUrl.env}`,
    );
  }
  const missing = (['dispatch', 'webhooks'] as const).filter((r) => !s.roles.includes(r));
  if (missing.length) {
    throw new ConfigError(
      `${SETTINGS.roles.env} (node.roles, --roles) leaves out ${missing.join(' and ')}, which no other node can run on SQLite: messages would never ${missing.includes('dispatch') ? 'be sent' : 'have their webhooks delivered'}; keep ${missing.join(' and ')}, or set ${SETTINGS.databaseUrl.env} to split roles between nodes`,
    );
  }
}

/** Resolve and validate every setting. Throws `ConfigError` naming the first bad one. */
export function loadSettings(sources: ConfigSources = {}): SwitchboardSettings & { configFile: string | null; rawFile: Record<string, unknown> } {
  const env = sources.env ?? {};
  const flags = sources.flags ?? {};
  // `--config "$FILE"` with FILE unset read no file at all, not even ./switchboard.json, and started on the defaults.
  if (sources.configFile !== undefined && sources.configFile.trim() === '') throw new ConfigError('--config is empty: give the path of a JSON file, or leave --config out for ./switchboard.json');
  // An empty variable is unset, as for every setting.
  let configFile: string | null = sources.configFile ?? (env.SWITCHBOARD_CONFIG?.trim() ? env.SWITCHBOARD_CONFIG : null);
  if (configFile === null && existsSync('switchboard.json')) configFile = 'switchboard.json';
  const file = configFile ? readConfigFile(configFile) : {};
  if (configFile) checkFileKeys(file, configFile);
  checkEnvironmentNames(env);

  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(SETTINGS) as Array<[SettingName, (typeof SETTINGS)[SettingName]]>) {
    let value: unknown = spec.default;
    const candidates: Array<[unknown, string, boolean]> = [
      [getPath(file, spec.key), `"${spec.key}" in ${configFile}`, true],
      [env[spec.env], spec.env, false],
      [spec.flag ? flags[spec.flag] : undefined, `--${spec.flag}`, false],
    ];
    for (const [raw, label, inFile] of candidates) {
      if (raw === undefined) continue;
      try {
        value = spec.parse(raw as never);
      } catch (err) {
        // A section (an object: the price table) is not repeated whole: its parser names the field at fault.
        if (err instanceof InvalidSetting) throw new ConfigError(`${label} ${err.message}${isSection(raw) ? '' : ` (got ${shown(raw)})`}`);
        throw err;
      }
      // A number or switch written as a string in the file ("port": "8080"); text is their form only in the environment and flags.
      const quoted = inFile ? quotedInFile(raw, value) : null;
      if (quoted !== null) throw new ConfigError(`${label} ${quoted} (got ${shown(raw)})`);
    }
    out[name] = value;
  }
  // Settings that contradict each other: checked on what the operator gave, before code overrides (tests, embedding).
  checkCombinations(out as unknown as SwitchboardSettings);
  Object.assign(out, sources.overrides ?? {});
  const settings = out as SwitchboardSettings;
  if (settings.webhookRetryMaxMs < settings.webhookRetryBaseMs) {
    throw new ConfigError(
      `${SETTINGS.webhookRetryMaxMs.env} (${settings.webhookRetryMaxMs}) must not be smaller than ${SETTINGS.webhookRetryBaseMs.env} (${settings.webhookRetryBaseMs})`,
    );
  }
  if (settings.relayMaxSessionsPerProject >= settings.maxConnections) {
    throw new ConfigError(
      `${SETTINGS.relayMaxSessionsPerProject.env} (${settings.relayMaxSessionsPerProject}) must be below ${SETTINGS.maxConnections.env} (${settings.maxConnections}): one project's RELAY sessions may not take every connection of the node`,
    );
  }
  if (settings.clusterNodeTimeoutMs < 2 * settings.clusterHeartbeatMs) {
    throw new ConfigError(
      `${SETTINGS.clusterNodeTimeoutMs.env} (${settings.clusterNodeTimeoutMs}) must be at least twice ${SETTINGS.clusterHeartbeatMs.env} (${settings.clusterHeartbeatMs})`,
    );
  }
  // A window that closes before it opens refuses every SendAt/send_at, with an error no request can satisfy.
  if (settings.scheduleMaxLeadSeconds <= settings.scheduleMinLeadSeconds) {
    throw new ConfigError(
      `${SETTINGS.scheduleMaxLeadSeconds.env} (${SETTINGS.scheduleMaxLeadSeconds.key}, ${settings.scheduleMaxLeadSeconds}) must be greater than ${SETTINGS.scheduleMinLeadSeconds.env} (${SETTINGS.scheduleMinLeadSeconds.key}, ${settings.scheduleMinLeadSeconds}): no send time could be scheduled`,
    );
  }
  return { ...settings, configFile, rawFile: file };
}

/** A refused value as given: a number too large for a double (1e309 in the file) is Infinity, which JSON.stringify writes as null. */
function isSection(raw: unknown): boolean {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw);
}

function shown(raw: unknown): string {
  return typeof raw === 'number' && !Number.isFinite(raw) ? String(raw) : JSON.stringify(raw);
}

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadSettings } from './load.js';
import { SETTINGS } from './settings.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
function configFile(content: unknown): string {
  const path = join(dir, `config-${++fileCount}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

function loadError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadSettings', () => {
  it('gives every setting its default when nothing is configured', () => {
    const s = loadSettings({ env: {}, flags: {}, configFile: configFile({}) });
    for (const [name, spec] of Object.entries(SETTINGS)) expect(s[name as keyof typeof SETTINGS]).toEqual(spec.default);
  });

  it('applies defaults < config file < environment < flags < overrides', () => {
    const file = configFile({ port: 1001 });
    const env = { SWITCHBOARD_PORT: '1002' };
    const flags = { port: '1003' };
    expect(loadSettings({ configFile: file }).port).toBe(1001);
    expect(loadSettings({ configFile: file, env }).port).toBe(1002);
    expect(loadSettings({ configFile: file, env, flags }).port).toBe(1003);
    expect(loadSettings({ configFile: file, env, flags, overrides: { port: 1004 } }).port).toBe(1004);
    expect(loadSettings({ configFile: configFile({}) }).port).toBe(SETTINGS.port.default);
  });

  it('reads nested config-file keys', () => {
    const s = loadSettings({ env: {}, configFile: configFile({ simulator: { delayMs: 5, mmsReceipts: true }, http: { bodyLimitBytes: 2048 }, bootstrap: { numbers: ['+15550001111'] } }) });
    expect(s.simulatorDelayMs).toBe(5);
    expect(s.simulatorMmsReceipts).toBe(true);
    expect(s.bodyLimitBytes).toBe(2048);
    expect(s.numbers).toEqual(['+15550001111']);
  });

  it('names a number too large for a double as Infinity, not null', () => {
    const file = configFile('{"retention":{"deliveredWebhookHours":1e309}}');
    expect(loadError(() => loadSettings({ env: {}, configFile: file })).message).toBe(`"retention.deliveredWebhookHours" in ${file} must be a whole number from 0 to 87600 (got Infinity)`);
    expect(loadError(() => loadSettings({ env: {}, configFile: configFile('{"retention":{"failedWebhookHours":-1e309}}') })).message).toMatch(/\(got -Infinity\)$/);
  });

  // It ended "(got {"unit":"USD","rules":[…]})": the whole table, after a message that already named the field.
  it('names the bad field of a price table in the file without repeating the whole table', () => {
    const file = configFile({ pricing: { unit: 'USD', rules: [{ prefix: '+1', kind: 'sms', perSegment: 'x' }] } });
    expect(loadError(() => loadSettings({ env: {}, configFile: file })).message).toBe(`"pricing" in ${file} rule 0: "perSegment" must be a number of 0 or more (got "x")`);
  });

  it('parses environment strings into numbers, booleans and lists', () => {
    const s = loadSettings({
      configFile: configFile({}),
      env: { SWITCHBOARD_SIMULATOR_DELAY_MS: ' 250 ', SWITCHBOARD_WEBHOOK_REFUSE_PRIVATE_NETWORKS: 'yes', SWITCHBOARD_NUMBERS: '+15550001111, +15550002222,', SWITCHBOARD_LOG_LEVEL: 'debug' },
    });
    expect(s.simulatorDelayMs).toBe(250);
    expect(s.webhookRefusePrivate).toBe(true);
    expect(s.numbers).toEqual(['+15550001111', '+15550002222']);
    expect(s.logLevel).toBe('debug');
  });

  it('reads flags by their long names', () => {
    const s = loadSettings({ env: {}, configFile: configFile({}), flags: { 'data-dir': '/var/lib/sb', 'simulator-delay-ms': '0', 'public-url': 'https://sms.example.com' } });
    expect(s.dataDir).toBe('/var/lib/sb');
    expect(s.simulatorDelayMs).toBe(0);
    expect(s.publicUrl).toBe('https://sms.example.com');
  });

  it('reports which file it read and what was in it', () => {
    const file = configFile({ port: 9000, smpp: { connectors: [] } });
    const s = loadSettings({ env: {}, configFile: file });
    expect(s.configFile).toBe(file);
    expect(s.rawFile).toEqual({ port: 9000, smpp: { connectors: [] } });
  });

  it('takes the config file from SWITCHBOARD_CONFIG', () => {
    const file = configFile({ host: '0.0.0.0' });
    const s = loadSettings({ env: { SWITCHBOARD_CONFIG: file } });
    expect(s.host).toBe('0.0.0.0');
    expect(s.configFile).toBe(file);
  });

  it('reads ./switchboard.json when no file is named', () => {
    const cwd = process.cwd();
    const here = mkdtempSync(join(dir, 'cwd-'));
    writeFileSync(join(here, 'switchboard.json'), JSON.stringify({ logLevel: 'warn' }));
    process.chdir(here);
    try {
      const s = loadSettings({ env: {} });
      expect(s.logLevel).toBe('warn');
      expect(s.configFile).toBe('switchboard.json');
    } finally {
      process.chdir(cwd);
    }
  });

  describe('bad values', () => {
    it('names the environment variable, the rule and the value', () => {
      const err = loadError(() => loadSettings({ configFile: configFile({}), env: { SWITCHBOARD_PORT: 'eighty' } }));
      expect(err.message).toContain('SWITCHBOARD_PORT');
      expect(err.message).toContain('whole number from 0 to 65535');
      expect(err.message).toContain('"eighty"');
    });

    it('names the config-file key and the file', () => {
      const file = configFile({ webhooks: { maxAttempts: 0 } });
      const err = loadError(() => loadSettings({ env: {}, configFile: file }));
      expect(err.message).toContain('"webhooks.maxAttempts"');
      expect(err.message).toContain(file);
      expect(err.message).toContain('from 1 to 50');
    });

    // LOG_LEVEL=DEBUG, as many tools write it, was refused: "must be one of … debug".
    it('takes a choice in any case, as the value it names', () => {
      expect(loadSettings({ env: { SWITCHBOARD_LOG_LEVEL: 'DEBUG' }, configFile: configFile({}) }).logLevel).toBe('debug');
      expect(loadSettings({ env: {}, configFile: configFile({ logLevel: 'Warn' }), flags: { 'log-format': 'JSON' } })).toMatchObject({ logLevel: 'warn', logFormat: 'json' });
      expect(loadError(() => loadSettings({ env: { SWITCHBOARD_LOG_LEVEL: 'LOUD' }, configFile: configFile({}) })).message).toMatch(/must be one of fatal, error/);
    });

    it('names the flag', () => {
      const err = loadError(() => loadSettings({ env: {}, configFile: configFile({}), flags: { 'log-level': 'loud' } }));
      expect(err.message).toContain('--log-level');
      expect(err.message).toContain('must be one of');
      expect(err.message).toContain('"loud"');
    });

    it('refuses a bad value even when a later source would override it', () => {
      const err = loadError(() => loadSettings({ configFile: configFile({ port: 'x' }), env: { SWITCHBOARD_PORT: '8081' } }));
      expect(err.message).toContain('"port"');
    });

    it.each([
      ['SWITCHBOARD_PORT', '65536'],
      ['SWITCHBOARD_PORT', '-1'],
      ['SWITCHBOARD_PORT', '80.5'],
      ['SWITCHBOARD_SIMULATOR_MMS_RECEIPTS', 'maybe'],
      ['SWITCHBOARD_HOST', '   '],
      ['SWITCHBOARD_BODY_LIMIT_BYTES', '100'],
      ['SWITCHBOARD_DISPATCH_CONCURRENCY', '65'],
    ])('refuses %s=%j', (name, value) => {
      expect(loadError(() => loadSettings({ configFile: configFile({}), env: { [name]: value } })).message).toContain(name);
    });

    it('refuses a number or switch written as a string in the config file, naming the key and what to write', () => {
      const port = loadError(() => loadSettings({ env: {}, configFile: configFile({ port: '8080' }) }));
      expect(port.message).toContain('"port"');
      expect(port.message).toContain('must be a JSON number, not a string: write 8080 without quotes (got "8080")');
      expect(loadError(() => loadSettings({ env: {}, configFile: configFile({ webhooks: { maxAttempts: '5' } }) })).message).toContain('"webhooks.maxAttempts"');
      expect(loadError(() => loadSettings({ env: {}, configFile: configFile({ simulator: { delayMs: ' 0 ' } }) })).message).toContain('"simulator.delayMs"');
      const smsc = loadError(() => loadSettings({ env: {}, configFile: configFile({ simulator: { mmsReceipts: 'true' } }) }));
      expect(smsc.message).toContain('"simulator.mmsReceipts"');
      expect(smsc.message).toContain('must be true or false, not a string: write true without quotes');
      // Refused even when the environment would override it, as any bad file value is.
      expect(loadError(() => loadSettings({ env: { SWITCHBOARD_PORT: '9000' }, configFile: configFile({ port: '8080' }) })).message).toContain('"port"');
      // The same values as JSON numbers and booleans, and every text form in the environment, are taken.
      const file = loadSettings({ env: {}, configFile: configFile({ port: 8080, webhooks: { maxAttempts: 5 }, simulator: { mmsReceipts: true } }) });
      expect([file.port, file.webhookMaxAttempts, file.simulatorMmsReceipts]).toEqual([8080, 5, true]);
      const env = loadSettings({ configFile: configFile({}), env: { SWITCHBOARD_PORT: ' 8080 ', SWITCHBOARD_WEBHOOK_MAX_ATTEMPTS: '5', SWITCHBOARD_SIMULATOR_MMS_RECEIPTS: 'true' } });
      expect([env.port, env.webhookMaxAttempts, env.simulatorMmsReceipts]).toEqual([8080, 5, true]);
      // Strings stay strings where the setting is text, digits or not (a project id, a short code).
      expect(loadSettings({ env: {}, configFile: configFile({ bootstrap: { projectId: '12345', numbers: ['24680'] } }) })).toMatchObject({ projectId: '12345', numbers: ['24680'] });
    });

    it('refuses a number with anything else in it in the environment, naming the variable', () => {
      const err = loadError(() => loadSettings({ configFile: configFile({}), env: { SWITCHBOARD_PORT: '12abc' } }));
      expect(err.message).toBe('SWITCHBOARD_PORT must be a whole number from 0 to 65535 (got "12abc")');
      expect(loadError(() => loadSettings({ configFile: configFile({}), env: { SWITCHBOARD_SENDER_RATES: 'longcode=1x' } })).message).toContain('SWITCHBOARD_SENDER_RATES');
    });

    it('refuses a config-file value of the wrong JSON type', () => {
      expect(loadError(() => loadSettings({ env: {}, configFile: configFile({ simulator: { mmsReceipts: 'perhaps' } }) })).message).toContain('"simulator.mmsReceipts"');
      expect(loadError(() => loadSettings({ env: {}, configFile: configFile({ host: 42 }) })).message).toContain('"host"');
      expect(loadError(() => loadSettings({ env: {}, configFile: configFile({ port: 80.5 }) })).message).toContain('"port"');
    });
  });

  describe('bad config files', () => {
    it('says a file is not valid JSON', () => {
      const file = configFile('{ "port": 8080, }');
      const err = loadError(() => loadSettings({ env: {}, configFile: file }));
      expect(err.message).toContain(file);
      expect(err.message).toContain('not valid JSON');
    });

    // Node 20's JSON.parse gives only a character offset, useless in a file of a hundred lines;
    // Node 22 and later add a line and column of their own: the message is the same on each.
    it('says where a syntax error is, by line and column, in the same words on every Node version', () => {
      const err = loadError(() => loadSettings({ env: {}, configFile: configFile('{\n  "port": 8080,\n  "logLevel": "info",\n}\n') }));
      expect(err.message).toMatch(/not valid JSON: Expected double-quoted property name in JSON at position 40 \(line 4, column 1\)(;|$)/);
    });

    // JSON.parse names only the character: "Expected double-quoted property name", "Unexpected token '/'".
    it('says what to change for a comma after the last entry, a comment or single quotes', () => {
      const err = (text: string) => loadError(() => loadSettings({ env: {}, configFile: configFile(text) })).message;
      expect(err('{\n  "port": 8080,\n}\n')).toMatch(/\(line 3, column 1\); JSON allows no comma after the last entry: remove it$/);
      expect(err('{"bootstrap": {"numbers": ["+15551230001",]}}')).toMatch(/; JSON allows no comma after the last entry: remove it$/);
      expect(err('// dev settings\n{"port": 8080}')).toMatch(/\(line 1, column 1\); JSON has no comments: remove them$/);
      expect(err('{"port": 8080 /* http */}')).toMatch(/; JSON has no comments: remove them$/);
      expect(err("{'port': 8080}")).toMatch(/; JSON takes double quotes around keys and strings$/);
      expect(err('{"port": 8080 "host": "0.0.0.0"}')).not.toMatch(/; JSON/);
    });

    // Windows editors (Notepad) save UTF-8 with a byte order mark, which JSON.parse refused as "Unexpected token".
    it('reads a file that starts with a UTF-8 byte order mark', () => {
      expect(loadSettings({ env: {}, configFile: configFile('\uFEFF{"port": 9091}') }).port).toBe(9091);
    });

    it.each([['[1, 2]'], ['"text"'], ['null'], ['42']])('refuses %s at the top level', (text) => {
      const err = loadError(() => loadSettings({ env: {}, configFile: configFile(text) }));
      expect(err.message).toContain('top level must be an object');
    });

    it('says a named file does not exist, or is a folder', () => {
      const missing = join(dir, 'missing.json');
      expect(loadError(() => loadSettings({ env: {}, configFile: missing })).message).toBe(
        `Config file ${missing} does not exist (from --config or SWITCHBOARD_CONFIG); give the path of a JSON file, or none for ./switchboard.json`,
      );
      expect(loadError(() => loadSettings({ env: {}, configFile: dir })).message).toBe(`Config file ${dir} is a folder; give the path of a JSON file`);
    });

    it('says a path through a file is no folder', () => {
      const file = configFile({});
      expect(loadError(() => loadSettings({ env: {}, configFile: join(file, 'x.json') })).message).toBe(`Config file ${join(file, 'x.json')} does not exist: a part of its path is a file, not a folder; give the path of a JSON file`);
    });

    // `--config "$FILE"` with FILE unset started on the defaults, reading no file, not even ./switchboard.json.
    it('refuses an empty --config, and reads an empty SWITCHBOARD_CONFIG as unset', () => {
      expect(loadError(() => loadSettings({ env: {}, configFile: '' })).message).toBe('--config is empty: give the path of a JSON file, or leave --config out for ./switchboard.json');
      const cwd = process.cwd();
      const here = mkdtempSync(join(dir, 'cwd-'));
      writeFileSync(join(here, 'switchboard.json'), JSON.stringify({ logLevel: 'warn' }));
      process.chdir(here);
      try {
        expect(loadSettings({ env: { SWITCHBOARD_CONFIG: ' ' } })).toMatchObject({ configFile: 'switchboard.json', logLevel: 'warn' });
      } finally {
        process.chdir(cwd);
      }
    });

    it('says an empty file is empty, and that YAML is not read', () => {
      expect(loadError(() => loadSettings({ env: {}, configFile: configFile(' \n') })).message).toMatch(/is not valid JSON: the file is empty \(write \{\} for no settings\)$/);
      const yaml = join(dir, 'switchboard.yaml');
      writeFileSync(yaml, 'port: 8080\n');
      expect(loadError(() => loadSettings({ env: {}, configFile: yaml })).message).toMatch(/is not valid JSON \(config files are JSON; YAML is not read/);
    });

    // An unquoted string value gave V8's message, which quotes the file around the mistake over
    // several lines and names no line or column.
    it('names the line and column of an unquoted value, on one line', () => {
      const file = configFile('{\n  "port": 8080,\n  "logLevel": info\n}\n');
      expect(loadError(() => loadSettings({ env: {}, configFile: file })).message).toBe(
        `Config file ${file} is not valid JSON: Unexpected token 'i' in JSON at position 32 (line 3, column 15)`,
      );
      const yaml = join(dir, 'switchboard.yml');
      writeFileSync(yaml, 'port: 8080\nlogLevel: info\n');
      expect(loadError(() => loadSettings({ env: {}, configFile: yaml })).message).toMatch(/YAML is not read: write the same keys as JSON\): Unexpected token 'p' in JSON at position 0 \(line 1, column 1\)$/);
    });

    it('refuses a key given twice (JSON.parse would keep the last), naming its path', () => {
      const message = (text: string) => loadError(() => loadSettings({ env: {}, configFile: configFile(text) })).message;
      expect(message('{"port": 1, "port": 2}')).toMatch(/^"port" is given twice in \S+; keep one/);
      expect(message('{"simulator": {"delayMs": 1, "inboxLimit": 5, "delayMs": 2}}')).toMatch(/^"simulator.delayMs" is given twice/);
      expect(message('{"smpp": {"connectors": [{"id": "a"}, {"id": "b", "host": "x", "host": "y"}]}}')).toMatch(/^"smpp.connectors.1.host" is given twice/);
      // Equal keys in different objects, and a key's name inside a string value, are not duplicates.
      expect(loadSettings({ env: {}, configFile: configFile('{"simulator": {"delayMs": 1, "rules": [{"prefix": "+1", "outcome": "delivered"}, {"prefix": "+2", "outcome": "delivered"}]}, "logLevel": "info", "host": "delayMs"}') }).host).toBe('delayMs');
    });
  });

  describe('settings that need others', () => {
    const load = (env: Record<string, string>, overrides = {}) => loadSettings({ env, configFile: configFile({}), overrides });

    it('refuses NATS without PostgreSQL, and roles that leave work no SQLite node would do', () => {
      expect(loadError(() => load({ SWITCHBOARD_NATS_URL: 'nats://127.0.0.1:4222' })).message).toMatch(/^SWITCHBOARD_NATS_URL \(nats.url, --nats-url\) needs SWITCHBOARD_DATABASE_URL/);
      expect(loadError(() => load({ SWITCHBOARD_ROLES: 'api,relay' })).message).toMatch(/^SWITCHBOARD_ROLES .* leaves out dispatch and webhooks, which no other node can run on SQLite/);
      expect(loadError(() => load({ SWITCHBOARD_ROLES: 'api,relay,dispatch' })).message).toMatch(/leaves out webhooks,/);
      // Without RELAY or the REST API a SQLite node still does all its work.
      expect(load({ SWITCHBOARD_ROLES: 'api,dispatch,webhooks' }).roles).toEqual(['api', 'dispatch', 'webhooks']);
      expect(load({ SWITCHBOARD_DATABASE_URL: 'postgres://db/x', SWITCHBOARD_NATS_URL: 'nats://n:4222', SWITCHBOARD_ROLES: 'api' }).roles).toEqual(['api']);
    });

    // `SWITCHBOARD_ROLES=api,dispach` was told only the list of roles.
    it('names a misspelt role and the one it is near; takes roles in any case, once each', () => {
      const pg = { SWITCHBOARD_DATABASE_URL: 'postgres://db/x', SWITCHBOARD_NATS_URL: 'nats://n:4222' };
      expect(loadError(() => load({ ...pg, SWITCHBOARD_ROLES: 'api,dispach' })).message).toContain('must list one or more of api, relay, dispatch, webhooks; "dispach" (did you mean "dispatch"?) is not one');
      expect(loadError(() => load({ ...pg, SWITCHBOARD_ROLES: ' , ' })).message).toContain('must list one or more of api, relay, dispatch, webhooks');
      expect(load({ ...pg, SWITCHBOARD_ROLES: 'API,Relay,api' }).roles).toEqual(['api', 'relay']);
    });

    it('refuses a certificate without its key (and the other way round)', () => {
      expect(loadError(() => load({ SWITCHBOARD_TLS_CERT: 'cert.pem' })).message).toMatch(/^https.certFile and https.keyFile must be given together/);
      expect(loadError(() => load({ SWITCHBOARD_TLS_KEY: 'key.pem' })).message).toMatch(/^https.certFile and https.keyFile must be given together/);
    });

    // It started, kept the one token live and only logged a warning: sends "with test credentials" went out.
    it('refuses a test token that is the live token', () => {
      const same = 'PTsameSecretForBothTokens0123456789';
      expect(loadError(() => load({ SWITCHBOARD_API_TOKEN: same, SWITCHBOARD_TEST_API_TOKEN: same })).message).toBe(
        'SWITCHBOARD_TEST_API_TOKEN (bootstrap.testApiToken) is the same secret as SWITCHBOARD_API_TOKEN (bootstrap.apiToken, --api-token): a test token must differ from the live one, whose requests are sent for real',
      );
      expect(load({ SWITCHBOARD_API_TOKEN: same, SWITCHBOARD_TEST_API_TOKEN: `${same}-test` }).testApiToken).toBe(`${same}-test`);
    });

    it('leaves code overrides (tests, embedding) to the caller', () => {
      expect(load({}, { natsUrl: 'nats://127.0.0.1:4222' }).natsUrl).toBe('nats://127.0.0.1:4222');
    });
  });

  it('refuses a retry ceiling below the first retry delay, naming both settings', () => {
    expect(() => loadSettings({ env: { SWITCHBOARD_WEBHOOK_RETRY_BASE_MS: '5000', SWITCHBOARD_WEBHOOK_RETRY_MAX_MS: '1000' } })).toThrow(
      /SWITCHBOARD_WEBHOOK_RETRY_MAX_MS \(1000\) must not be smaller than SWITCHBOARD_WEBHOOK_RETRY_BASE_MS \(5000\)/,
    );
  });

  it('refuses a scheduling window that closes before it opens, naming both settings, from the file or the environment', () => {
    expect(loadError(() => loadSettings({ env: { SWITCHBOARD_SCHEDULE_MIN_LEAD_SECONDS: '1000', SWITCHBOARD_SCHEDULE_MAX_LEAD_SECONDS: '10' } })).message).toMatch(
      /SWITCHBOARD_SCHEDULE_MAX_LEAD_SECONDS \(scheduling.maxLeadSeconds, 10\) must be greater than SWITCHBOARD_SCHEDULE_MIN_LEAD_SECONDS \(scheduling.minLeadSeconds, 1000\)/,
    );
    const file = configFile({ scheduling: { minLeadSeconds: 600, maxLeadSeconds: 600 } });
    expect(loadError(() => loadSettings({ configFile: file })).message).toMatch(/must be greater than SWITCHBOARD_SCHEDULE_MIN_LEAD_SECONDS \(scheduling.minLeadSeconds, 600\)/);
    expect(loadSettings({ env: { SWITCHBOARD_SCHEDULE_MIN_LEAD_SECONDS: '0', SWITCHBOARD_SCHEDULE_MAX_LEAD_SECONDS: '1' } }).scheduleMaxLeadSeconds).toBe(1);
  });
});

describe('scale-out settings', () => {
  const load = (env: Record<string, string>) => loadSettings({ env, flags: {}, configFile: configFile({}) });

  it('runs every role on SQLite and the in-process bus unless told otherwise', () => {
    const s = load({});
    expect(s.roles).toEqual(['api', 'relay', 'dispatch', 'webhooks']);
    expect(s.databaseUrl).toBeNull();
    expect(s.natsUrl).toBeNull();
  });

  it('takes PostgreSQL and NATS URLs, and roles as a list', () => {
    const s = load({ SWITCHBOARD_DATABASE_URL: 'postgres://sb:pw@db:5432/switchboard', SWITCHBOARD_NATS_URL: 'nats://a:4222, nats://b:4222', SWITCHBOARD_ROLES: 'dispatch, webhooks' });
    expect(s.databaseUrl).toBe('postgres://sb:pw@db:5432/switchboard');
    expect(s.natsUrl).toBe('nats://a:4222, nats://b:4222');
    expect(s.roles).toEqual(['dispatch', 'webhooks']);
  });

  it('refuses URLs of the wrong kind, unknown roles and a node timeout shorter than two heartbeats, naming the setting', () => {
    expect(loadError(() => load({ SWITCHBOARD_DATABASE_URL: 'mysql://db/x' })).message).toMatch(/SWITCHBOARD_DATABASE_URL must be a postgres:\/\/ URL/);
    expect(loadError(() => load({ SWITCHBOARD_NATS_URL: 'http://nats' })).message).toMatch(/SWITCHBOARD_NATS_URL must be nats:\/\/host:port/);
    expect(loadError(() => load({ SWITCHBOARD_ROLES: 'api,cooking' })).message).toMatch(/SWITCHBOARD_ROLES must list one or more of api, relay, dispatch, webhooks/);
    expect(loadError(() => load({ SWITCHBOARD_CLUSTER_HEARTBEAT_MS: '3000', SWITCHBOARD_CLUSTER_NODE_TIMEOUT_MS: '5000' })).message).toMatch(/at least twice/);
  });
});

describe('loadSettings refuses names that are no setting, suggesting the closest', () => {
  it('a config-file key, at any depth, with the file named', () => {
    const file = configFile({ simulator: { delay: 5 } });
    expect(loadError(() => loadSettings({ env: {}, configFile: file })).message).toBe(`unknown key "simulator.delay" in ${file} (did you mean "simulator.delayMs"?); see docs/configuration.md for the settings`);
    expect(loadError(() => loadSettings({ env: {}, configFile: configFile({ prot: 1 }) })).message).toMatch(/^unknown key "prot" .*\(did you mean "port"\?\)/);
    expect(loadError(() => loadSettings({ env: {}, configFile: configFile({ nonsenseWithNoNeighbour: 1 }) })).message).toMatch(/^unknown key "nonsenseWithNoNeighbour" in \S+; see/);
  });

  // "SIMULATOR" was answered with (did you mean "simulator.clock"?): only settings were candidates, not sections.
  it('a misspelt section, with the section meant', () => {
    expect(loadError(() => loadSettings({ env: {}, configFile: configFile({ SIMULATOR: { delayMs: 5 } }) })).message).toMatch(/^unknown key "SIMULATOR" in \S+ \(did you mean "simulator"\?\)/);
    expect(loadError(() => loadSettings({ env: {}, configFile: configFile({ simulator: { smcs: { enabled: true } } }) })).message).toMatch(/^unknown key "simulator\.smcs" in \S+ \(did you mean "simulator\.smsc"\?\)/);
  });

  it('a section given as a value', () => {
    expect(loadError(() => loadSettings({ env: {}, configFile: configFile({ simulator: 5 }) })).message).toMatch(/^"simulator" in \S+ must be an object of settings/);
  });

  it('leaves sections read whole (smpp, simulator.rules) and $schema to their own readers', () => {
    const s = loadSettings({ env: {}, configFile: configFile({ $schema: 'x', smpp: { anything: 1 }, simulator: { rules: [], delayMs: 3 } }) });
    expect(s.simulatorDelayMs).toBe(3);
  });

  // A config-file key written without its section was taken for a typo of a name a letter or two away.
  // "http.port" was asked whether it meant "https.port" (SWITCHBOARD_HTTP_PORT, SWITCHBOARD_HTTPS_PORT): following that moved the HTTPS listener.
  it("the HTTP listener's port or host written as http.port or SWITCHBOARD_HTTP_PORT, naming the top-level setting", () => {
    const fileError = (content: object) => loadError(() => loadSettings({ env: {}, configFile: configFile(content) })).message;
    expect(fileError({ http: { port: 9000 } })).toMatch(/^unknown key "http\.port" in \S+ \(did you mean "port"\?\)/);
    expect(fileError({ http: { host: '0.0.0.0' } })).toMatch(/^unknown key "http\.host" in \S+ \(did you mean "host"\?\)/);
    const envError = (name: string) => loadError(() => loadSettings({ env: { [name]: '9000' }, configFile: configFile({}) })).message;
    expect(envError('SWITCHBOARD_HTTP_PORT')).toMatch(/^unknown environment variable SWITCHBOARD_HTTP_PORT \(did you mean "SWITCHBOARD_PORT"\?\)/);
    expect(envError('SWITCHBOARD_HTTP_HOST')).toMatch(/\(did you mean "SWITCHBOARD_HOST"\?\)/);
    expect(envError('SWITCHBOARD_HTTPS_PRT')).toMatch(/\(did you mean "SWITCHBOARD_HTTPS_PORT"\?\)/);
  });

  // SWITCHBOARD_SIMULATOR_RULES was asked whether it meant SWITCHBOARD_SIMULATOR_CLOCK.
  it('a section read whole from the config file (smpp, simulator.rules) given in the environment, saying where it goes', () => {
    const envError = (name: string) => loadError(() => loadSettings({ env: { [name]: '[]' }, configFile: configFile({}) })).message;
    expect(envError('SWITCHBOARD_SIMULATOR_RULES')).toBe('unknown environment variable SWITCHBOARD_SIMULATOR_RULES: "simulator.rules" is set in the config file only (./switchboard.json or --config); see docs/configuration.md');
    expect(envError('SWITCHBOARD_SMPP_ROUTES')).toMatch(/: "smpp" is set in the config file only/);
    expect(envError('SWITCHBOARD_SMPP')).toMatch(/: "smpp" is set in the config file only/);
    // A name that only begins alike is no section.
    expect(envError('SWITCHBOARD_SMSC')).toMatch(/\(did you mean "SWITCHBOARD_SIMULATOR_SMSC_ENABLED"\?\)/);
  });

  it('a config-file key written without its section, naming the setting', () => {
    const fileHint = (json: string) => /\(did you mean "([\w.]+)"\?\)/.exec(loadError(() => loadSettings({ env: {}, configFile: configFile(json) })).message)?.[1] ?? null;
    expect(fileHint('{"projectId": "x"}')).toBe('bootstrap.projectId');
    expect(fileHint('{"smsc": {"enabled": true}}')).toBe('simulator.smsc');
    expect(fileHint('{"simulator": {"delay": 5}}')).toBe('simulator.delayMs');
  });

  it('a SWITCHBOARD_* variable, but not the config path or the test and benchmark tooling', () => {
    expect(loadError(() => loadSettings({ env: { SWITCHBOARD_PROT: '1' } })).message).toBe('unknown environment variable SWITCHBOARD_PROT (did you mean "SWITCHBOARD_PORT"?); see docs/configuration.md for the settings');
    // The shared SWITCHBOARD_ prefix made unrelated names look near: SWITCHBOARD_TOKEN was asked about
    // SWITCHBOARD_ROLES, SWITCHBOARD_CLOCK about SWITCHBOARD_HOST, SWITCHBOARD_DB_URL about SWITCHBOARD_NATS_URL.
    const hint = (name: string) => /\(did you mean "(\w+)"\?\)/.exec(loadError(() => loadSettings({ env: { [name]: '1' } })).message)?.[1] ?? null;
    expect(hint('SWITCHBOARD_TOKEN')).toBe('SWITCHBOARD_API_TOKEN');
    expect(hint('SWITCHBOARD_CLOCK')).toBe('SWITCHBOARD_SIMULATOR_CLOCK');
    expect(hint('SWITCHBOARD_DELAY_MS')).toBe('SWITCHBOARD_SIMULATOR_DELAY_MS');
    expect(hint('SWITCHBOARD_SMSC')).toBe('SWITCHBOARD_SIMULATOR_SMSC_ENABLED');
    expect(hint('SWITCHBOARD_HTTPS_ENABLED')).toBe('SWITCHBOARD_HTTPS');
    expect(hint('SWITCHBOARD_DATABASE')).toBe('SWITCHBOARD_DATABASE_URL');
    expect(hint('SWITCHBOARD_DB_URL')).toBeNull();
    expect(hint('SWITCHBOARD_API_KEY')).toBe('SWITCHBOARD_API_TOKEN');
    expect(hint('SWITCHBOARD_DATADIR')).toBe('SWITCHBOARD_DATA_DIR');
    const tooling = { SWITCHBOARD_TEST_DATABASE_URL: 'postgres://x@h/d', SWITCHBOARD_TEST_NATS_URL: 'nats://h:4222', SWITCHBOARD_BENCH_POSTGRES_URL: 'x', OTHER_PREFIX_IS_FINE: '1' };
    expect(loadSettings({ env: tooling, configFile: configFile({}) }).port).toBe(8080);
  });

  it('a number list with an entry that is neither E.164 nor a short code', () => {
    expect(loadError(() => loadSettings({ env: { SWITCHBOARD_NUMBERS: '+15551230001,5551234' }, configFile: configFile({}) })).message).toMatch(/^SWITCHBOARD_NUMBERS must list E\.164 numbers .*"5551234" is not/);
    expect(loadSettings({ env: { SWITCHBOARD_NUMBERS: '+15551230001, 24680' }, configFile: configFile({}) }).numbers).toEqual(['+15551230001', '24680']);
  });

  // "15551230001" got only the rule, though the one thing missing was its "+".
  it('a number written without its + or with spaces, with the E.164 number it meant', () => {
    const err = (numbers: string) => loadError(() => loadSettings({ env: { SWITCHBOARD_NUMBERS: numbers }, configFile: configFile({}) })).message;
    expect(err('15551230001,+15551230002')).toMatch(/; "15551230001" \(did you mean "\+15551230001"\?\) is not \(got/);
    expect(err('+1 555 123-0001')).toMatch(/; "\+1 555 123-0001" \(did you mean "\+15551230001"\?\) is not/);
    // Ten digits or fewer may lack the country code: no guess.
    expect(err('5551230001')).toMatch(/; "5551230001" is not \(got/);
  });
});

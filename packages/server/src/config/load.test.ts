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
    const file = configFile({ port: 9000, extra: { a: 1 } });
    const s = loadSettings({ env: {}, configFile: file });
    expect(s.configFile).toBe(file);
    expect(s.rawFile).toEqual({ port: 9000, extra: { a: 1 } });
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

    it.each([['[1, 2]'], ['"text"'], ['null'], ['42']])('refuses %s at the top level', (text) => {
      const err = loadError(() => loadSettings({ env: {}, configFile: configFile(text) }));
      expect(err.message).toContain('top level must be an object');
    });

    it('says a named file cannot be read', () => {
      const missing = join(dir, 'missing.json');
      const err = loadError(() => loadSettings({ env: {}, configFile: missing }));
      expect(err.message).toContain(`Cannot read config file ${missing}`);
    });
  });

  it('refuses a retry ceiling below the first retry delay, naming both settings', () => {
    expect(() => loadSettings({ env: { SWITCHBOARD_WEBHOOK_RETRY_BASE_MS: '5000', SWITCHBOARD_WEBHOOK_RETRY_MAX_MS: '1000' } })).toThrow(
      /SWITCHBOARD_WEBHOOK_RETRY_MAX_MS \(1000\) must not be smaller than SWITCHBOARD_WEBHOOK_RETRY_BASE_MS \(5000\)/,
    );
  });
});

import { describe, expect, it } from 'vitest';
import { ConfigError, loadSettings } from './load.js';

const load = (env: Record<string, string> = {}) => loadSettings({ env, flags: {}, configFile: undefined });

describe('resource limits by default', () => {
  it('times out incomplete requests within 30 s and caps connections per client address well below the node total', () => {
    const s = load();
    expect(s.headersTimeoutMs).toBeLessThanOrEqual(20_000);
    expect(s.requestTimeoutMs).toBeLessThanOrEqual(30_000);
    expect(s.maxConnectionsPerAddress).toBeLessThanOrEqual(s.maxConnections / 10);
  });

  it("keeps one project's RELAY sessions below the node's connections", () => {
    const s = load();
    expect(s.relayMaxSessionsPerProject).toBeLessThan(s.maxConnections);
    expect(() => load({ SWITCHBOARD_MAX_CONNECTIONS: '500' })).toThrow(ConfigError);
    expect(() => load({ SWITCHBOARD_MAX_CONNECTIONS: '500' })).toThrow(/SWITCHBOARD_RELAY_MAX_SESSIONS_PER_PROJECT \(1000\) must be below SWITCHBOARD_MAX_CONNECTIONS \(500\)/);
    expect(load({ SWITCHBOARD_MAX_CONNECTIONS: '500', SWITCHBOARD_RELAY_MAX_SESSIONS_PER_PROJECT: '400' }).relayMaxSessionsPerProject).toBe(400);
  });

  it("keeps one project's lists in progress below the PostgreSQL connections of a node", () => {
    const s = load();
    expect(s.maxListRequestsPerProject).toBeGreaterThanOrEqual(1);
    expect(s.maxListRequestsPerProject).toBeLessThan(s.databasePoolSize);
    expect(load({ SWITCHBOARD_MAX_LIST_REQUESTS_PER_PROJECT: '16' }).maxListRequestsPerProject).toBe(16);
    expect(() => load({ SWITCHBOARD_MAX_LIST_REQUESTS_PER_PROJECT: '0' })).toThrow(ConfigError);
  });

  it("bounds the bytes one client address makes a node parse over RELAY, leaving an SDK client's sends untouched", () => {
    const s = load();
    // A messaging.send with a 1,600-character body and 10 media URLs is about 3 kB: 100 a second
    // on one connection fit, and any single frame up to the frame limit does.
    expect(s.relayBytesPerSecond).toBeGreaterThanOrEqual(100 * 4096);
    expect(s.relayBytesPerSecond).toBeGreaterThanOrEqual(s.relayMaxFrameBytes);
    // The whole address together: at most a few MiB a second, whatever its connection count.
    expect(s.relayBytesPerSecondPerAddress).toBeGreaterThanOrEqual(s.relayBytesPerSecond);
    expect(s.relayBytesPerSecondPerAddress).toBeLessThanOrEqual(8 * 1024 * 1024);
    expect(load({ SWITCHBOARD_RELAY_BYTES_PER_SECOND_PER_ADDRESS: '16777216' }).relayBytesPerSecondPerAddress).toBe(16_777_216);
  });

  it("bounds one project's numbers, number groups and cXML applications, at Twilio's documented account limits where it has one", () => {
    const s = load();
    expect(s.maxNumbersPerProject).toBe(10_000);
    expect(s.maxNumberGroupsPerProject).toBe(10_000);
    expect(s.maxApplicationsPerProject).toBe(1_000);
    expect(load({ SWITCHBOARD_MAX_APPLICATIONS_PER_PROJECT: '5000' }).maxApplicationsPerProject).toBe(5_000);
    expect(() => load({ SWITCHBOARD_MAX_NUMBERS_PER_PROJECT: '0' })).toThrow(ConfigError);
  });

  it("bounds the opt-out entries a project's API may add, generously (a handset's STOP is recorded past it)", () => {
    expect(load().maxOptOutsPerProject).toBe(1_000_000);
    expect(load({ SWITCHBOARD_MAX_OPT_OUTS_PER_PROJECT: '5000000' }).maxOptOutsPerProject).toBe(5_000_000);
    expect(() => load({ SWITCHBOARD_MAX_OPT_OUTS_PER_PROJECT: '0' })).toThrow(ConfigError);
  });

  it('keeps 50 console sessions per API token by default', () => {
    expect(load().consoleMaxSessionsPerToken).toBe(50);
    expect(load({ SWITCHBOARD_CONSOLE_MAX_SESSIONS_PER_TOKEN: '5' }).consoleMaxSessionsPerToken).toBe(5);
    expect(() => load({ SWITCHBOARD_CONSOLE_MAX_SESSIONS_PER_TOKEN: '0' })).toThrow(ConfigError);
  });
});

/**
 * Start a real Switchboard in this process for a test: SQLite in a temporary folder, a free port,
 * the simulator at full speed, fixed credentials, quiet logs.
 *
 * Scale-out pass: with `SWITCHBOARD_TEST_DATABASE_URL` set, each server gets a fresh PostgreSQL
 * database (dropped when it stops) instead of SQLite; with `SWITCHBOARD_TEST_NATS_URL` set, each
 * uses the NATS bus under a subject prefix of its own. Tests that set `databaseUrl` keep theirs.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadSettings } from '../../src/config/load.js';
import type { SwitchboardSettings } from '../../src/config/settings.js';
import { startSwitchboard, type StartOptions, type SwitchboardHandle } from '../../src/main.js';
import { createTestDatabase, NATS_TEST_URL, serversOnNats, serversOnPostgres, type TestDatabase } from './postgres.js';

export const PROJECT_ID = '8a7c5e2e-3c3b-4a4f-9b8e-0f1d2c3b4a59';
export const API_TOKEN = 'PTtestTokenForSwitchboardIntegrationTests0123456789';
export const SIGNING_KEY = 'PSK_testSigningKey0123456789';
export const NUMBERS = ['+15551230001', '+15551230002'];

export interface TestServer extends SwitchboardHandle {
  readonly dataDir: string;
  /** `Authorization` header value for the configured project. */
  readonly auth: string;
  /** fetch against the server with the project's credentials (JSON body when given an object). */
  api(path: string, init?: { method?: string; body?: unknown; headers?: Record<string, string>; auth?: string | null }): Promise<{ status: number; body: any; headers: Headers; text: string }>;
  stop(): Promise<void>;
}

/** PostgreSQL pass: the database of each data folder, so a restart on the same folder finds its data. */
const databasesByDataDir = new Map<string, TestDatabase>();

export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

export async function startTestServer(overrides: Partial<SwitchboardSettings> = {}, opts: StartOptions & { dataDir?: string; /** Config-file sections (smpp, simulator.rules...). */ file?: Record<string, unknown> } = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'switchboard-test-'));
  // A server reopened on another's data folder (restart tests) reopens that server's database too.
  let database: TestDatabase | null = null;
  if (serversOnPostgres && overrides.databaseUrl === undefined) {
    database = databasesByDataDir.get(dataDir) ?? (await createTestDatabase());
    databasesByDataDir.set(dataDir, database);
  }
  const scaleout: Partial<SwitchboardSettings> = {
    ...(database ? { databaseUrl: database.url, databasePoolSize: 4 } : {}),
    ...(serversOnNats && overrides.natsUrl === undefined ? { natsUrl: NATS_TEST_URL, natsSubjectPrefix: `sbtest-${randomBytes(4).toString('hex')}` } : {}),
  };
  const settings = loadSettings({
    configFile: undefined,
    env: {},
    overrides: {
      port: 0,
      dataDir,
      projectId: PROJECT_ID,
      apiToken: API_TOKEN,
      signingKey: SIGNING_KEY,
      numbers: NUMBERS,
      simulatorDelayMs: 0,
      simulatorDelayedReceiptMs: 200,
      logLevel: 'silent',
      webhookRetryBaseMs: 50,
      webhookRetryMaxMs: 200,
      // Full speed through every carrier (SMPP too) unless a test sets a rate: real defaults are 1 segment/s per long code.
      senderRates: { longcode: 0, 'toll-free': 0, shortcode: 0 },
      // HTTPS (and its certificate generation) only where a test asks for it.
      httpsEnabled: false,
      httpsPort: 0,
      ...scaleout,
      ...overrides,
    },
  });
  let handle: SwitchboardHandle;
  try {
    handle = await startSwitchboard(opts.file ? { ...settings, rawFile: opts.file } : settings, { logger: opts.logger ?? pino({ level: settings.logLevel }), ...opts });
  } catch (err) {
    if (!opts.dataDir) await database?.drop();
    throw err;
  }
  const auth = basicAuth(PROJECT_ID, API_TOKEN);
  return {
    ...handle,
    dataDir,
    auth,
    async api(path, init = {}) {
      const headers: Record<string, string> = { ...(init.headers ?? {}) };
      if (init.auth !== null) headers.authorization = init.auth ?? auth;
      let body: string | undefined;
      if (init.body !== undefined) {
        body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await fetch(`${handle.url}${path}`, { method: init.method ?? (body !== undefined ? 'POST' : 'GET'), headers, body });
      const text = await res.text();
      let parsed: unknown = undefined;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: res.status, body: parsed, headers: res.headers, text };
    },
    async stop() {
      await handle.close();
      if (database) {
        databasesByDataDir.delete(dataDir);
        await database.drop();
      }
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Poll until `check` returns a value (not undefined), or fail after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The per-project simulator behaviour cache against a change made on another node (heard on the
 * bus) while a read of the settings was under way. In-memory SQLite; the test holds each read's
 * answer until it lets it through, as a slow database would.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InProcessBus } from '../../bus/in-process-bus.js';
import type { Logger } from '../../domain/ports/logger.js';
import type { SimulatorTuning } from '../../domain/simulator/tuning.js';
import { openSqliteStore } from '../../store/dialects/sqlite.js';
import type { KyselyStore } from '../../store/kysely-store.js';
import { SimulatorProfiles } from './profiles.js';

const P = '00000000-0000-4000-8000-00000000000a';
const quiet: Logger = { info() {}, warn() {}, error() {} };
const DEFAULTS: SimulatorTuning = { delayMs: 100, delayedReceiptMs: 200, mmsReceipts: false, rules: [] };

let store: KyselyStore;
let waiting: Array<() => void>;
let bus: InProcessBus;
let profiles: SimulatorProfiles;

beforeEach(async () => {
  store = await openSqliteStore({ file: ':memory:' });
  await store.projects.create({ id: P, name: 'p', signingKey: 'PSK_x', createdAt: 0 });
  waiting = [];
  const get = store.simulatorSettings.get.bind(store.simulatorSettings);
  const held = {
    get: async (projectId: string) => {
      const seen = await get(projectId);
      await new Promise<void>((resolve) => waiting.push(resolve));
      return seen;
    },
    update: store.simulatorSettings.update.bind(store.simulatorSettings),
  };
  bus = new InProcessBus();
  profiles = new SimulatorProfiles(DEFAULTS, { settings: held, bus, logger: quiet, now: () => 0 });
});

afterEach(async () => {
  await store.close();
});

const answerAll = () => waiting.splice(0).forEach((r) => r());
const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('SimulatorProfiles', () => {
  it('does not keep, or hand to callers after the change, settings read before another node changed them', async () => {
    const before = profiles.of(P);
    await settled();
    // Another node changes the delay and announces it; this node hears it while its read waits.
    await store.simulatorSettings.update(P, { delayMs: 5 }, 0);
    bus.publish('simulator.settings.changed', { projectId: P });
    const after = profiles.of(P);
    await settled();
    answerAll();
    expect((await before).delayMs).toBe(100);
    expect((await after).delayMs).toBe(5);
    // What is kept is the read after the change.
    expect(profiles.peek(P).delayMs).toBe(5);
  });

  it('shares one read among the callers that ask while it runs, and serves the next from the cache', async () => {
    const calls = [profiles.of(P), profiles.of(P)];
    await settled();
    expect(waiting).toHaveLength(1);
    answerAll();
    expect((await Promise.all(calls)).map((t) => t.delayMs)).toEqual([100, 100]);
    expect((await profiles.of(P)).delayMs).toBe(100);
    expect(waiting).toHaveLength(0);
  });
});

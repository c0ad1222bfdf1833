/**
 * A project's simulator settings as the node caches them, on SQLite and on PostgreSQL: two changes
 * of different fields made at once both hold in what the node reads afterwards, whichever of the
 * two writes returns last. (PUT /api/simulator/settings twice at once on PostgreSQL: the node kept
 * the row the first write returned, without the second's field, until its cache entry expired.)
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { InProcessBus } from '../src/bus/in-process-bus.js';
import { SimulatorProfiles } from '../src/carriers/simulator/profiles.js';
import type { SimulatorSettingsRepository } from '../src/domain/ports/store.js';
import type { SimulatorOverridesPatch } from '../src/domain/simulator/tuning.js';
import { buildTestEngine, RecordingLogger, type TestEngine } from '../src/engine/testing/test-engine.js';
import { storeBackends } from './helpers/postgres.js';

const backends = storeBackends(afterAll);

/** The real repository, with the answer of its first update held back until `release()`. */
class FirstAnswerHeld implements SimulatorSettingsRepository {
  private held = false;
  release: () => void = () => {};
  written!: Promise<void>;
  private markWritten: () => void = () => {};
  constructor(private readonly inner: SimulatorSettingsRepository) {
    this.written = new Promise((resolve) => (this.markWritten = resolve));
  }
  get(projectId: string) {
    return this.inner.get(projectId);
  }
  async update(projectId: string, patch: SimulatorOverridesPatch, at: number) {
    const row = await this.inner.update(projectId, patch, at);
    if (!this.held) {
      this.held = true;
      this.markWritten();
      await new Promise<void>((resolve) => (this.release = resolve));
    }
    return row;
  }
}

describe.each(backends)('simulator settings changed at once on %s', (_name, open) => {
  let t: TestEngine;
  let close: () => Promise<void>;
  afterEach(async () => {
    await t.engine.stop();
    await close();
  });

  it('keep both changes when the first write answers last', async () => {
    const opened = await open();
    close = opened.close;
    t = await buildTestEngine({ store: opened.store, bus: new InProcessBus() });
    const repo = new FirstAnswerHeld(opened.store.simulatorSettings);
    const defaults = { delayMs: 1000, delayedReceiptMs: 60_000, mmsReceipts: true, rules: [] };
    const profiles = new SimulatorProfiles(defaults, { settings: repo, bus: new InProcessBus(), logger: new RecordingLogger(), now: () => t.clock.now() });
    const projectId = t.project.id;

    const first = profiles.update(projectId, { delayMs: 5 });
    await repo.written;
    const second = await profiles.update(projectId, { delayedReceiptMs: 7 });
    expect(second).toMatchObject({ delayMs: 5, delayedReceiptMs: 7 });
    repo.release();
    // What the first write saw: its own field, not yet the second's.
    expect(await first).toMatchObject({ delayMs: 5, delayedReceiptMs: 60_000 });

    expect(await profiles.of(projectId)).toMatchObject({ delayMs: 5, delayedReceiptMs: 7 });
    expect(profiles.peek(projectId)).toMatchObject({ delayMs: 5, delayedReceiptMs: 7 });
  });
});

/**
 * A node that finds another dead takes its work over at once, not when the dead node's leases end.
 * Two engines share one database; each has its own bus (nothing the dead node published reaches the
 * survivor), and the survivor's dispatcher is idle, with no timer for the dead node's jobs. Time
 * moves only by the manual clock, so a job left to its lease's end is never sent.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InProcessBus } from '../../bus/in-process-bus.js';
import type { CarrierSubmission, SubmitResult } from '../../domain/ports/carrier.js';
import type { Store } from '../../domain/ports/store.js';
import { StoreUnavailableError } from '../../domain/ports/store/errors.js';
import { openSqliteStore } from '../../store/dialects/sqlite.js';
import { buildTestEngine, type TestEngine, type TestEngineSettings } from '../testing/test-engine.js';

const NODE_TIMEOUT_MS = 10_000;
/** Heartbeats by timer never come during a test: rounds are run with `cluster.tick()`. */
const cluster = { heartbeatMs: 600_000, nodeTimeoutMs: NODE_TIMEOUT_MS };

let engines: TestEngine[] = [];
let store: Store | undefined;
/** Answers the submission the dead node's carrier still holds (so that engine can stop). */
let release: (() => void) | undefined;
afterEach(async () => {
  release?.();
  release = undefined;
  for (const e of engines.reverse()) await e.engine.stop();
  engines = [];
  await store?.close();
});

async function node(instanceId: string, nodeId: string, shared?: TestEngine): Promise<TestEngine> {
  const settings: TestEngineSettings = { options: { cluster, instanceId, nodeId }, ...(shared ? { clock: shared.clock, ids: shared.ids } : {}) };
  const t = await buildTestEngine({ store: store!, bus: new InProcessBus() }, settings);
  engines.push(t);
  await t.engine.start();
  return t;
}

describe('adopting a dead node', () => {
  it('wakes the dispatchers and webhook runners for its released jobs and callbacks, before its leases end', async () => {
    store = await openSqliteStore({ file: ':memory:' });
    const a = await node('A', 'node-a');
    const b = await node('B', 'node-b', a);
    // Node A takes a message and dies while the carrier has it: its job stays leased to A (30 s).
    a.carrier.answer((s: CarrierSubmission) => new Promise<SubmitResult>((resolve) => (release = () => resolve(a.carrier.accept(s)))));
    const m = await a.send();
    await a.carrier.submitted(1);
    expect(await a.message(m.id)).toMatchObject({ status: 'initiated' });
    const woken: string[] = [];
    b.bus.subscribe('work.available', (e) => woken.push(e.queue));

    // A's heartbeat stops; past the node timeout (well before the lease ends), B finds it dead.
    a.clock.advance(NODE_TIMEOUT_MS + 1);
    await b.engine.cluster!.tick();
    expect(b.logger.messages('warn')).toContain('adopting the work of a node that stopped or died');
    // B's dispatcher claims the released job and sends the message: nothing else wakes it.
    await b.statuses.reached(m.id, 'sent');
    expect(b.carrier.submissions.map((s) => [s.messageId, s.attempt])).toEqual([[m.id, 2]]);
    // Released callbacks are due now too: the webhook runners (of every node) are told.
    expect(woken).toEqual(expect.arrayContaining(['dispatch', 'webhooks']));
  });

  it('takes no live node for dead, itself included, when the database was unwritable for longer than the node timeout', async () => {
    store = await openSqliteStore({ file: ':memory:' });
    const a = await node('A', 'node-a');
    const b = await node('B', 'node-b', a);
    // A is sending a message: its job is leased to A while the carrier has it.
    a.carrier.answer((s: CarrierSubmission) => new Promise<SubmitResult>((resolve) => (release = () => resolve(a.carrier.accept(s)))));
    const m = await a.send();
    await a.carrier.submitted(1);

    // The database cannot write heartbeats for longer than the node timeout (an outage, a long lock).
    const heartbeat = vi.spyOn(store.nodes, 'heartbeat').mockRejectedValue(new StoreUnavailableError('database unavailable'));
    a.clock.advance(NODE_TIMEOUT_MS + 1);
    await b.engine.cluster!.tick();
    // Back: B writes first; A's heartbeat is stale, but only because A could not write either.
    heartbeat.mockRestore();
    await b.engine.cluster!.tick();
    await a.engine.cluster!.tick();
    a.clock.advance(NODE_TIMEOUT_MS / 2);
    await b.engine.cluster!.tick();
    await a.engine.cluster!.tick();
    expect([...a.logger.messages('warn'), ...b.logger.messages('warn')]).not.toContain('adopting the work of a node that stopped or died');
    expect(b.carrier.submissions).toEqual([]);
    expect(await a.message(m.id)).toMatchObject({ status: 'initiated' });

    // A node that really stops is still adopted, once B has been writing for a node timeout.
    a.clock.advance(NODE_TIMEOUT_MS + 1);
    await b.engine.cluster!.tick();
    expect(b.logger.messages('warn')).toContain('adopting the work of a node that stopped or died');
    await b.statuses.reached(m.id, 'sent');
  });
});

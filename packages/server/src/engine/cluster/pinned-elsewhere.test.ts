/**
 * A node of several and a job pinned to a carrier whose connection it does not hold (handed to the
 * node that holds it, or waiting for a node to take the connection): its claims skip the job, and
 * the dispatcher must not arm its timer for it either, or it would claim again at once, for as long
 * as the job waits (a busy loop of two statements, on every node without the connection).
 */
import { afterEach, expect, it } from 'vitest';
import { InProcessBus } from '../../bus/in-process-bus.js';
import { openSqliteStore } from '../../store/dialects/sqlite.js';
import { buildTestEngine, type TestEngine } from '../testing/test-engine.js';

/** Heartbeats by timer never come during a test. */
const cluster = { heartbeatMs: 600_000, nodeTimeoutMs: 10_000 };

let t: TestEngine | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

it('a job due for a carrier another node holds does not make this node claim again and again', async () => {
  t = await buildTestEngine({ store: await openSqliteStore({ file: ':memory:' }), bus: new InProcessBus() }, { options: { cluster, instanceId: 'A1', nodeId: 'node-a' } });
  const started = t.store.nextCall<number | undefined>('jobs.nextRunAt');
  await t.engine.start();
  await started;
  await t.store.jobs.enqueueMany([{ kind: 'dispatch', projectId: t.project.id, messageId: 'held-elsewhere', runAt: t.clock.now(), carrier: 'smpp-of-another-node' }]);
  const looked = t.store.nextCall<number | undefined>('jobs.nextRunAt');
  t.engine.wake();
  await looked;
  // Count the dispatcher's looks at the queue from here on, over many turns of the event loop.
  let again = 0;
  const count = (): void => void t!.store.nextCall('jobs.nextRunAt').then(() => (again++, count()));
  count();
  for (let i = 0; i < 200; i++) await new Promise((r) => setImmediate(r));
  expect(again).toBe(0);
  expect(await t.engine.backlog()).toEqual({ dispatch: 1, webhooks: 0 });
});

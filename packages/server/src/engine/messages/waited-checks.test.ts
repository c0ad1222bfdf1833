/**
 * A message accepted before its number was released and first claimed after (it waited in the
 * queue, however briefly: no free dispatch slot, a node busy) is not sent from the number, which may
 * be another project's by then: it fails with 21210. In-memory SQLite, the manual clock standing
 * still: the claim comes at the very time of the accept.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { InProcessBus } from '../../bus/in-process-bus.js';
import { openSqliteStore } from '../../store/dialects/sqlite.js';
import { buildTestEngine, TEST_NUMBERS, type TestEngine } from '../testing/test-engine.js';

let t: TestEngine;
beforeEach(async () => (t = await buildTestEngine({ store: await openSqliteStore({ file: ':memory:' }), bus: new InProcessBus() })));
afterEach(() => t.close());

it('fails a message whose number was released between its accept and its first claim, sending nothing', async () => {
  // Accepted while no dispatcher runs: its job waits in the queue for a claim.
  const m = await t.send({ from: TEST_NUMBERS[0] });
  const [number] = await t.engine.reads.numbers.list(t.project.id, { numberContains: TEST_NUMBERS[0] }, { limit: 1 });
  expect(await t.engine.numbers.release(t.project.id, number!.id)).toBe(true);
  await t.engine.start();
  const failed = await t.statuses.reached(m.id, 'failed');
  expect(failed.message).toMatchObject({ errorCode: '21210' });
  expect(t.carrier.submissions).toEqual([]);
});

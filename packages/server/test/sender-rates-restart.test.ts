/**
 * A sender's rate across a restart that outlasted its held slots: the messages waiting for slots
 * that passed while no node dispatched go out at the rate from the restart, in their order, not
 * all at once. Driven by the manual clock (kept in the database): the restart finds it moved past
 * every held slot, as a wall clock would after the server was down.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForEnd } from './helpers/messages.js';
import { eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

const CLOCK = '/api/simulator/clock';

describe('per-sender rates across a restart', () => {
  let dataDir: string;
  let server: TestServer | undefined;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'switchboard-rates-'));
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('sends the messages whose slots passed while the server was down one slot apart from the restart', async () => {
    const first = await startTestServer({ simulatorClock: 'manual' }, { dataDir });
    const numbers = (await first.api('/api/relay/rest/phone_numbers')).body.data;
    const number = numbers.find((n: { number: string }) => n.number === NUMBERS[1]);
    expect((await first.api(`/api/relay/rest/phone_numbers/${number.id}`, { method: 'PUT', body: { messages_per_second: 1 } })).status).toBe(200);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await first.api('/api/messaging/messages', { body: { from: NUMBERS[1], to: `+1555776000${i}`, body: 'rate' } });
      expect(res.status, res.text).toBe(201);
      ids.push(res.body.id);
    }
    await waitForEnd(first, ids[0]!);
    // Slots at +1 … +4 s are held. The clock's stored position moves 10 minutes on, the server does
    // not hear of it: the next start finds every held slot long past.
    const stopped = Date.parse((await first.api(CLOCK)).body.now);
    await first.store.simulatorClock.advance(600_000, stopped, Date.now());
    await first.close();

    server = await startTestServer({ simulatorClock: 'manual' }, { dataDir });
    const restarted = Date.parse((await server.api(CLOCK)).body.now);
    expect(restarted).toBeGreaterThanOrEqual(stopped + 600_000);
    const initiatedAt = async (id: string) => (await server!.store.events.listForMessage(PROJECT_ID, id)).find((e) => e.status === 'initiated')?.at;
    await eventually(async () => ((await initiatedAt(ids[1]!)) !== undefined ? true : undefined), 10_000, 'the first held message to go');
    for (let s = 0; s < 5; s++) expect((await server.api('/api/simulator/clock/advance', { body: { ms: 1000 } })).status).toBe(200);
    for (const id of ids.slice(1)) expect((await waitForEnd(server, id)).status).toBe('delivered');
    const sentAt = [];
    for (const id of ids.slice(1)) sentAt.push((await initiatedAt(id))! - restarted);
    expect(sentAt).toEqual([0, 1000, 2000, 3000]);
  });
});

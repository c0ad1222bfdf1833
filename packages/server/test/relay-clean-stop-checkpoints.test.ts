/**
 * A node that stops cleanly writes what changed in its sessions' checkpoints since its last save
 * (relay/checkpoints.ts `flush`), after every session parked or ended: the housekeeping tick that
 * saves them stops with the node. Without it a session ended by its client in the stop's last
 * second kept the checkpoint of the tick before, and a client naming its protocol to the next
 * process resumed it from there (`session_restored: true`, with a catch-up of events it had); and a
 * handed-over session's checkpoint (the fallback should the node it resumes on be killed before
 * its first save there) was a tick older than its park.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { RawRelay } from './helpers/raw-relay.js';
import { API_TOKEN, eventually, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

const servers: TestServer[] = [];
let dataDir: string | undefined;

afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop().catch(() => undefined);
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

/** The stored checkpoint of `protocol` (its expiry), or undefined when there is none. */
async function checkpointOf(server: TestServer, protocol: string): Promise<{ expiresAt: number } | undefined> {
  const row = await (server.store as KyselyStore).db.selectFrom('relay_parked_sessions').select('expires_at').where('protocol', '=', `checkpoint:${protocol}`).executeTakeFirst();
  return row ? { expiresAt: Number(row.expires_at) } : undefined;
}

describe('RELAY checkpoints at a clean stop', () => {
  it("are written as the sessions parked or ended: an ended session's goes, a handed-over one's is its park's", async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'switchboard-clean-stop-'));
    const node = await startTestServer({}, { dataDir });
    servers.push(node);
    const ending = await RawRelay.connected(node.url, PROJECT_ID, API_TOKEN, { contexts: ['default'] });
    const kept = await RawRelay.connected(node.url, PROJECT_ID, API_TOKEN, { contexts: ['default'] });
    const ended = ending.result.protocol as string;
    const handedOver = kept.result.protocol as string;
    await eventually(async () => ((await checkpointOf(node, ended)) && (await checkpointOf(node, handedOver)) ? true : undefined), 10_000, 'both checkpoints saved');

    // The client ends its session, and the node stops within the same second.
    await ending.relay.call('signalwire.disconnect');
    await ending.relay.closed();
    const stoppedAt = Date.now();
    await node.close();
    servers.splice(0);
    await kept.relay.closed();

    const next = await startTestServer({}, { dataDir });
    servers.push(next);
    expect(await checkpointOf(next, ended)).toBeUndefined();
    // Saved as it parked at the stop (a tick's save would have expired sooner).
    expect((await checkpointOf(next, handedOver))!.expiresAt).toBeGreaterThanOrEqual(stoppedAt + next.settings.relayResumeWindowMs);

    const again = await RawRelay.connected(next.url, PROJECT_ID, API_TOKEN, { protocol: ended });
    expect(again.result).toMatchObject({ protocol: ended, session_restored: false });
    const back = await RawRelay.connected(next.url, PROJECT_ID, API_TOKEN, { protocol: handedOver });
    expect(back.result).toMatchObject({ protocol: handedOver, session_restored: true });
    await again.relay.close();
    await back.relay.close();
  });
});

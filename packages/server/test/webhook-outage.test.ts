/**
 * Status callbacks outlive a receiver's outage (issue 12, item 1): the outbox retries every
 * callback, native and Compatibility alike, until a retry window closes, so a receiver that refuses
 * connections or answers 500 for longer than the old attempt counts (6 native, 3 Compatibility)
 * still gets every callback of every message, in order — across a restart of the server too.
 * A short window and backoff come from the settings; the receiver stays down until some delivery
 * has been tried more often than the old counts allowed, so no test waits on a clock.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SwitchboardSettings } from '../src/config/settings.js';
import { twilioClient } from './compat/clients.js';
import { eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';
import { startWebhookReceiver, type ReceivedRequest } from './helpers/webhook-receiver.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A window far longer than the outage, a backoff as the test helper sets it (50 ms doubling to 200 ms). */
const SETTINGS: Partial<SwitchboardSettings> = { webhookRetryWindowMs: 60_000 };

/** The most attempts any of these messages' deliveries has had so far; throws if one was given up. */
async function mostAttempts(server: TestServer, ids: readonly string[]): Promise<number> {
  let most = 0;
  for (const id of ids) {
    for (const d of await server.store.webhooks.listForMessage(PROJECT_ID, id)) {
      if (d.status === 'failed') throw new Error(`a callback was given up after ${d.attempts} attempts`);
      most = Math.max(most, d.attempts);
    }
  }
  return most;
}

/** The statuses each message's callbacks reported, in arrival order. */
function statusesByMessage(requests: readonly ReceivedRequest[], idOf: (r: ReceivedRequest) => string | undefined, statusOf: (r: ReceivedRequest) => string | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of requests) {
    const id = idOf(r);
    if (id) out.set(id, [...(out.get(id) ?? []), statusOf(r)!]);
  }
  return out;
}

/** Every delivery of these messages ends delivered (its bookkeeping commits just after the answer). */
async function allDelivered(server: TestServer, ids: readonly string[]): Promise<void> {
  await eventually(async () => {
    for (const id of ids) if ((await server.store.webhooks.listForMessage(PROJECT_ID, id)).some((d) => d.status !== 'delivered')) return undefined;
    return true;
  });
}

describe('status callbacks through a receiver outage', () => {
  it('delivers every native callback of every message once a receiver that refused connections is back, across a restart', async () => {
    // A port nobody listens on: connections are refused until the receiver comes back there.
    const probe = await startWebhookReceiver();
    const port = Number(new URL(probe.url).port);
    await probe.close();
    const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-outage-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    // The breaker stays out of the way here: this is about the window (the breaker has its own tests).
    const settings = { ...SETTINGS, webhookBreakerFailures: 1000 };
    let server = await startTestServer(settings, { dataDir });

    const callback = `http://127.0.0.1:${port}/native`;
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const sent = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: `+1555765${String(5000 + i)}`, body: `outage ${i}`, status_callback: callback } });
      expect(sent.status).toBe(201);
      ids.push(sent.body.id);
    }
    // Every message reaches the handset; its callbacks pile up in the outbox meanwhile.
    for (const id of ids) await eventually(async () => ((await server.api(`/api/messaging/logs/${id}`)).body.status === 'delivered' ? true : undefined), 10_000, `message ${id} delivered`);
    const before = await mostAttempts(server, ids);

    // Restart: the schedule lives in the database, so the new process keeps retrying.
    await server.close();
    server = await startTestServer(settings, { dataDir });
    const restarted = server;
    cleanups.push(() => restarted.stop());
    await eventually(async () => ((await mostAttempts(server, ids)) > Math.max(before, 6) ? true : undefined), 15_000, 'more attempts than the old limit of 6');

    const receiver = await startWebhookReceiver({ port });
    cleanups.push(() => receiver.close());
    const got = await receiver.waitFor(40, 20_000);
    const statuses = statusesByMessage(got, (r) => r.json?.id, (r) => r.json?.status);
    for (const id of ids) expect(statuses.get(id)).toEqual(['queued', 'initiated', 'sent', 'delivered']);
    await allDelivered(server, ids);
  });

  it('delivers every Compatibility callback, sent through the twilio client, once a receiver answering 500 recovers', async () => {
    const server = await startTestServer(SETTINGS);
    cleanups.push(() => server.stop());
    const receiver = await startWebhookReceiver();
    cleanups.push(() => receiver.close());
    let down = true;
    const answered: ReceivedRequest[] = [];
    receiver.respond((r) => {
      if (down) return { status: 500 };
      answered.push(r);
      return { status: 204 };
    });
    const client = twilioClient(server.url);

    const sids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const m = await client.messages.create({ to: `+1555767${String(5000 + i)}`, from: NUMBERS[0]!, body: `outage ${i}`, statusCallback: `${receiver.url}/compat` });
      sids.push(m.sid);
    }
    await eventually(async () => ((await mostAttempts(server, sids)) > 6 ? true : undefined), 15_000, 'more attempts than the old limits of 3 and 6');
    down = false;
    await eventually(async () => (answered.length >= 20 ? true : undefined), 20_000, 'every callback answered');
    const statuses = statusesByMessage(answered, (r) => r.form?.get('MessageSid') ?? undefined, (r) => r.form?.get('MessageStatus') ?? undefined);
    for (const sid of sids) expect(statuses.get(sid)).toEqual(['queued', 'sending', 'sent', 'delivered']);
    await allDelivered(server, sids);
  });
});

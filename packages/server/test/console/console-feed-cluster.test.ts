/**
 * The console's live feed on one node of two sharing PostgreSQL and NATS. Node a serves the API
 * (and the console) only; node b dispatches. A console open on a shows what is sent through b (the
 * native REST and the Compatibility API), each message's states in lifecycle order. While a was cut
 * off from NATS, the states b committed meanwhile never reached a's feed, which went on showing
 * those messages `queued` (or not at all) until the page was reloaded by hand: a now tells its feeds
 * to reload (`reset`) once it is back, as its RELAY sessions read back what they missed.
 * PostgreSQL-and-NATS pass only.
 */
import type { ConsoleFeedBatch } from '@switchboard/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serversOnNats, serversOnPostgres } from '../helpers/postgres.js';
import { sendMessage, waitForStatus } from '../helpers/messages.js';
import { API_TOKEN, eventually, NUMBERS, PROJECT_ID, type TestServer } from '../helpers/server.js';
import { startNatsGapPair, type NatsGapPair } from '../helpers/nats-gap.js';
import { collectBatches, loginAs } from './console-client.js';

const ORDER = ['queued', 'initiated', 'sent', 'delivered'];

/** An open feed that collects its batches until closed (at most 60 s). */
async function openFeed(server: TestServer, cookie: string): Promise<{ batches: ConsoleFeedBatch[]; close: () => void }> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), 60_000);
  const res = await fetch(`${server.url}/api/console/events`, { headers: { cookie, accept: 'text/event-stream' }, signal: ac.signal });
  expect(res.status).toBe(200);
  const batches: ConsoleFeedBatch[] = [];
  void collectBatches(res, batches).catch(() => {});
  return {
    batches,
    close: () => {
      clearTimeout(timer);
      ac.abort();
    },
  };
}

/** Every status the feed showed for a message, in the order shown. */
const shown = (batches: ConsoleFeedBatch[], id: string) => batches.flatMap((b) => b.messages.filter((m) => m.id === id).map((m) => m.status as string));

describe.runIf(serversOnPostgres && serversOnNats)("the console's live feed on a node of two", () => {
  let pair: NatsGapPair;

  beforeAll(async () => {
    pair = await startNatsGapPair('feed', 'a', ['api', 'relay']);
  });
  afterAll(async () => {
    await pair?.stop();
  });

  it('shows what is sent through the other node, through either API, in lifecycle order', async () => {
    const [a, b] = pair.nodes;
    const c = await loginAs(a, PROJECT_ID, API_TOKEN);
    const feed = await openFeed(a, c.cookie!);
    try {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await sendMessage(b, { to: `+1555713000${i}` })).id as string);
      for (let i = 0; i < 3; i++) {
        const res = await b.api(`/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Messages.json`, {
          body: new URLSearchParams({ From: NUMBERS[0]!, To: `+1555713001${i}`, Body: 'compat' }).toString(),
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        });
        expect(res.status, res.text).toBe(201);
        ids.push(res.body.sid as string);
      }
      await eventually(() => (ids.every((id) => shown(feed.batches, id).includes('delivered')) ? true : undefined), 15_000, 'every message shown delivered on node a');
      // The simulated handsets' copies, which node b's simulator recorded, each shown once.
      await eventually(() => (ids.every((id) => feed.batches.some((x) => x.handset.some((h) => h.message_id === id))) ? true : undefined), 10_000, 'every handset copy shown on node a');
      const copies = feed.batches.flatMap((x) => x.handset.map((h) => h.message_id));
      expect(copies.filter((m, i) => copies.indexOf(m) !== i), 'handset copies shown twice').toEqual([]);
      for (const id of ids) {
        const states = shown(feed.batches, id).map((s) => ORDER.indexOf(s));
        expect(states, `${id}: ${shown(feed.batches, id).join(' → ')}`).toEqual([...states].sort((x, y) => x - y));
      }
    } finally {
      feed.close();
    }
  });

  it('tells its feeds to reload once it is back on NATS, so what the other node did meanwhile is not lost', async () => {
    const [a, b] = pair.nodes;
    const c = await loginAs(a, PROJECT_ID, API_TOKEN);
    const feed = await openFeed(a, c.cookie!);
    try {
      await pair.cutOff();
      const id = (await sendMessage(b, { to: '+15557130099' })).id as string;
      await waitForStatus(b, id);
      expect(shown(feed.batches, id)).toEqual([]);
      await pair.backOn();
      // The feed shows the message's last state, or tells the console to reload its lists (which read the store).
      await eventually(() => (shown(feed.batches, id).includes('delivered') || feed.batches.some((x) => x.reset) ? true : undefined), 10_000, `the feed to show ${id} delivered or to reset`);
    } finally {
      feed.close();
    }
  });
});

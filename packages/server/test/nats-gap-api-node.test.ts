/**
 * Two nodes sharing PostgreSQL and NATS, one of them cut off from NATS for a while. Node a only
 * takes API and RELAY traffic; node b dispatches, and hears of new work from a over NATS
 * (`work.available`; dispatchers never poll). A message accepted on a while it was away from NATS
 * waited until something else woke b, in a quiet cluster for good: a now tells the other nodes to
 * look for work once it is back, as it looks itself. And the states of a message another client
 * sends through b, on a context a RELAY session on a follows, reach a over NATS: those b committed
 * while a was away were lost for that session for good, though it stayed connected; a now reads
 * back the last state of each message its live sessions follow since it lost NATS, as when a node
 * dies (relay/lost-events.ts), and the session hears it, once; so too an inbound message b received
 * meanwhile. PostgreSQL-and-NATS pass only.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serversOnNats, serversOnPostgres } from './helpers/postgres.js';
import { RawRelay } from './helpers/raw-relay.js';
import { API_TOKEN, eventually, NUMBERS, PROJECT_ID, type TestServer } from './helpers/server.js';
import { startNatsGapPair, type NatsGapPair } from './helpers/nats-gap.js';

describe.runIf(serversOnPostgres && serversOnNats)('an API node cut off from NATS', () => {
  let pair: NatsGapPair;

  beforeAll(async () => {
    pair = await startNatsGapPair('relaygap', 'a', ['api', 'relay']);
  });
  afterAll(async () => {
    await pair?.stop();
  });

  const relaySession = async (node: TestServer, context: string) => {
    const { relay } = await RawRelay.connected(node.url, PROJECT_ID, API_TOKEN, { contexts: [context] });
    const send = async (to: string): Promise<string> => {
      const id = randomUUID();
      relay.sendRaw(JSON.stringify({ jsonrpc: '2.0', id, method: 'messaging.send', params: { to_number: to, from_number: NUMBERS[0], body: 'across', context } }));
      const f = await relay.waitFor((x) => x.id === id && x.method === undefined, 10_000);
      return f.result.message_id as string;
    };
    const delivered = () => relay.events('messaging.state').filter((p) => p.message_state === 'delivered').map((p) => p.message_id as string);
    return { relay, send, delivered };
  };
  const deliveredOn = (node: TestServer, ids: string[]) =>
    eventually(async () => {
      for (const id of ids) if ((await node.api(`/api/messaging/logs/${id}`)).body.status !== 'delivered') return undefined;
      return true;
    }, 10_000, `${ids.join(', ')} to be delivered`);

  it('sends, once it is back, what it accepted while away (its wake-up to the dispatching node was lost)', async () => {
    const [a] = pair.nodes;
    const { relay, send, delivered } = await relaySession(a, 'wake');
    await pair.cutOff();
    const id = await send('+15557120011');
    await pair.backOn();
    // Nothing else happens in the cluster: node b hears of the job only if node a tells it again.
    await deliveredOn(a, [id]);
    await eventually(() => (delivered().includes(id) ? true : undefined), 10_000, `'delivered' heard for ${id}`);
    await relay.close();
  });

  it('hears, once it is back, each state the other node committed meanwhile, once', async () => {
    const [a, b] = pair.nodes;
    const { relay, send, delivered } = await relaySession(a, 'gap');
    // Another client sends through node b, on the context a's session follows; b sends and records every state.
    const other = await relaySession(b, 'gap');
    await pair.cutOff();
    const during = [await other.send('+15557120002'), await other.send('+15557120003')];
    await deliveredOn(b, during);
    expect(delivered()).toEqual([]);
    await pair.backOn();

    await eventually(() => (during.every((id) => delivered().includes(id)) ? true : undefined), 10_000, `'delivered' heard for ${during.join(', ')}`);
    const after = await send('+15557120004');
    await eventually(() => (delivered().includes(after) ? true : undefined), 10_000, 'a message sent after to be heard delivered');
    const heard = relay.events('messaging.state').map((p) => `${p.message_id}:${p.message_state}`);
    expect(heard.filter((k, i) => heard.indexOf(k) !== i), 'states heard twice').toEqual([]);
    await relay.close();
    await other.relay.close();
  });

  it('hears, once it is back, an inbound message the other node received meanwhile, once', async () => {
    const [a, b] = pair.nodes;
    const { relay } = await RawRelay.connected(a.url, PROJECT_ID, API_TOKEN, { contexts: ['default'] });
    await pair.cutOff();
    const res = await b.api('/api/simulator/inbound', { body: { from: '+15557120101', to: NUMBERS[0], body: 'while away' } });
    expect(res.status, res.text).toBe(201);
    expect((await b.api(`/api/messaging/logs/${res.body.id as string}`)).body.status).toBe('received');
    await pair.backOn();
    await relay.waitForEvents('messaging.receive', (p) => p.body === 'while away', 1, 10_000);
    // Something after, so a repeat would have had time to arrive.
    await b.api('/api/simulator/inbound', { body: { from: '+15557120101', to: NUMBERS[0], body: 'after' } });
    await relay.waitForEvents('messaging.receive', (p) => p.body === 'after', 1, 10_000);
    expect(relay.events('messaging.receive').filter((p) => p.body === 'while away')).toHaveLength(1);
    await relay.close();
  });
});

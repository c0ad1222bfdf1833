/**
 * Opt-outs across two nodes sharing PostgreSQL and NATS: a node that has remembered "this project
 * has no opt-outs" forgets it when another node records a STOP (the bus tells it), so it refuses
 * the next send to that handset; and settings changed on one node apply on the other. A node cut
 * off from NATS while the STOP is recorded misses that message: it forgets what it cached once it
 * is back, rather than sending to the handset until the cache expires.
 * PostgreSQL-and-NATS pass only.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, NATS_TEST_URL, serversOnNats, serversOnPostgres, type TestDatabase } from './helpers/postgres.js';
import { eventually, NUMBERS, startTestServer, type TestServer } from './helpers/server.js';
import { startNatsGapPair, type NatsGapPair } from './helpers/nats-gap.js';

describe.runIf(serversOnPostgres && serversOnNats)('opt-outs on two nodes', () => {
  let db: TestDatabase;
  const nodes: TestServer[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    const bus = { natsUrl: NATS_TEST_URL, natsSubjectPrefix: `sboptout-${randomBytes(4).toString('hex')}` };
    for (const nodeId of ['optout-a', 'optout-b']) nodes.push(await startTestServer({ databaseUrl: db.url, databasePoolSize: 4, nodeId, ...bus }));
  });
  afterAll(async () => {
    for (const n of nodes) await n.stop();
    await db.drop();
  });

  const send = (node: TestServer, to: string, body = 'hello') => node.api('/api/messaging/messages', { body: { from: NUMBERS[0], to, body } });

  it('a STOP recorded by one node is honoured by the other, which had cached that the project had none', async () => {
    const [a, b] = nodes as [TestServer, TestServer];
    const handset = '+15557100001';
    // Node b reads (and remembers) that the project has no opt-outs.
    expect((await send(b, handset)).status).toBe(201);
    expect((await a.api('/api/simulator/inbound', { body: { from: handset, to: NUMBERS[0], body: 'STOP' } })).status).toBe(201);
    // The bus message reaches b within moments, well before its 30 s fallback.
    const refused = await eventually(async () => {
      const res = await send(b, handset);
      return res.status === 422 ? res : undefined;
    }, 3_000, 'node b to refuse');
    expect(refused.body.errors[0]).toMatchObject({ code: 'recipient_opted_out' });
  });

  it('smart encoding switched on through one node applies to sends through the other', async () => {
    const [a, b] = nodes as [TestServer, TestServer];
    const body = `Caf\u00e9\u2019s \u201cmenu\u201d ${'m'.repeat(70)}`;
    expect((await send(b, '+15557100002', body)).body.number_of_segments).toBe(2);
    expect((await a.api('/api/messaging/settings', { method: 'PUT', body: { smart_encoding: true } })).status).toBe(200);
    await eventually(async () => ((await send(b, '+15557100002', body)).body.number_of_segments === 1 ? true : undefined), 3_000, 'node b to smart-encode');
  });
});

describe.runIf(serversOnPostgres && serversOnNats)('opt-outs on two nodes, one of them cut off from NATS', () => {
  let pair: NatsGapPair;

  beforeAll(async () => {
    pair = await startNatsGapPair('optoutgap', 'b');
  });
  afterAll(async () => {
    await pair?.stop();
  });

  const send = (node: TestServer, to: string) => node.api('/api/messaging/messages', { body: { from: NUMBERS[0], to, body: 'hello' } });

  it('a STOP recorded while a node was away from NATS is honoured by it once it is back', async () => {
    const [a, b] = pair.nodes;
    const handset = '+15557100101';
    // Node b reads (and remembers, for 30 s) that the project has no opt-outs.
    expect((await send(b, handset)).status).toBe(201);
    await pair.cutOff();
    // The STOP goes through node a; the bus message announcing it never reaches b.
    expect((await a.api('/api/simulator/inbound', { body: { from: handset, to: NUMBERS[0], body: 'STOP' } })).status).toBe(201);
    await eventually(async () => ((await a.api('/api/messaging/opt_outs')).body.data?.length ? true : undefined), 5_000, 'the opt-out recorded');
    await pair.backOn();
    // Events may have been missed: b no longer trusts what it cached.
    const res = await send(b, handset);
    expect(res.status).toBe(422);
    expect(res.body.errors[0]).toMatchObject({ code: 'recipient_opted_out' });
  });
});

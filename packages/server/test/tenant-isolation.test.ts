/**
 * One tenant cannot steer or read another through the simulator and the operations API (issue 12,
 * item 4), nor hold its status callbacks back by filling the webhook pool. Two tenants, A and B, each with its own number and every scope, share a server with
 * the operator (the startup project, PROJECT_ID) whose SMPP connector is bound to the simulator's
 * SMSC. B uses its own credentials against A throughout.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SmppConnector } from '../src/carriers/smpp/connector.js';
import { freePort } from './helpers/built-server.js';
import { sendMessage, waitForEnd, waitForStatus } from './helpers/messages.js';
import { createProject, type TestProject } from './helpers/projects.js';
import { eventually, NUMBERS, startTestServer, type TestServer } from './helpers/server.js';
import { startWebhookReceiver } from './helpers/webhook-receiver.js';

const SETTINGS = '/api/simulator/settings';
const A_NUMBER = '+15551239811';
const B_NUMBER = '+15551239822';

let server: TestServer;
let connector: SmppConnector;
let a: TestProject;
let b: TestProject;

beforeAll(async () => {
  const port = await freePort();
  server = await startTestServer(
    // A small webhook pool, one request per receiver: what B's hanging receivers could fill.
    { simulatorSmscEnabled: true, simulatorSmscPort: port, webhookConcurrency: 8, webhookPerHostConcurrency: 1 },
    {
      file: {
        smpp: {
          connectors: [{ id: 'smsc', host: '127.0.0.1', port, systemId: 'switchboard', password: 'secret', reconnectMinMs: 50, reconnectMaxMs: 200 }],
          routes: [{ prefix: '+44', connector: 'smsc' }],
        },
      },
    },
  );
  connector = server.carriers.find((c) => c.descriptor.id === 'smsc') as SmppConnector;
  a = await createProject(server, { name: 'Tenant A', number: A_NUMBER });
  b = await createProject(server, { name: 'Tenant B', number: B_NUMBER });
  await eventually(() => (connector.status().state === 'up' ? true : undefined), 5000, 'the bind');
});
afterAll(async () => {
  await server?.stop();
});

/** Send as `who` from its own number; returns the message id. */
async function send(who: TestProject, from: string, to: string, body = 'hello'): Promise<string> {
  return (await sendMessage(server, { from, to, body }, who.auth)).id as string;
}

const finalStatus = (who: TestProject, id: string): Promise<{ status: string; error_code: string | null }> => waitForEnd(server, id, undefined, who.auth);

async function inboundFrom(who: TestProject, from: string): Promise<any[]> {
  const logs = await server.api('/api/messaging/logs?page_size=100', { auth: who.auth });
  return logs.body.data.filter((l: any) => l.direction === 'inbound' && l.from === from);
}

describe('simulator settings are per project', () => {
  it("B's outcome rule for A's destinations applies to B's messages only", async () => {
    const put = await server.api(SETTINGS, { method: 'PUT', auth: b.auth, body: { rules: [{ prefix: '+1555770', outcome: 'failed', error: 30007 }] } });
    expect(put.status, put.text).toBe(200);
    expect(put.body.rules).toEqual([{ prefix: '+1555770', outcome: 'failed', error: 30007 }]);
    try {
      expect(await finalStatus(a, await send(a, A_NUMBER, '+15557700001'))).toMatchObject({ status: 'delivered', error_code: null });
      expect(await finalStatus(b, await send(b, B_NUMBER, '+15557700002'))).toMatchObject({ status: 'failed', error_code: '30007' });
      expect((await server.api(SETTINGS, { auth: a.auth })).body.rules).toEqual([]);
    } finally {
      await server.api(SETTINGS, { method: 'PUT', auth: b.auth, body: { rules: [] } });
    }
  });

  it("B's delays are B's: A and the operator keep the server's defaults", async () => {
    const put = await server.api(SETTINGS, { method: 'PUT', auth: b.auth, body: { delay_ms: 5000, delayed_receipt_ms: 9000, mms_receipts: false } });
    expect(put.status, put.text).toBe(200);
    try {
      expect(put.body).toMatchObject({ delay_ms: 5000, delayed_receipt_ms: 9000, mms_receipts: false });
      for (const auth of [a.auth, server.auth]) {
        expect((await server.api(SETTINGS, { auth })).body).toMatchObject({ delay_ms: 0, delayed_receipt_ms: 200, mms_receipts: true, rules: [] });
      }
      expect(await finalStatus(a, await send(a, A_NUMBER, '+15557700003'))).toMatchObject({ status: 'delivered' });
    } finally {
      await server.api(SETTINGS, { method: 'PUT', auth: b.auth, body: { delay_ms: 0, delayed_receipt_ms: 200, mms_receipts: null } });
    }
  });

  it("returns a field to the server's default with null, and keeps a tenant's delay short of the dispatch lease", async () => {
    expect((await server.api(SETTINGS, { method: 'PUT', auth: b.auth, body: { delay_ms: 3000, rules: [{ prefix: '+1', outcome: 'delayed' }] } })).body).toMatchObject({ delay_ms: 3000, rules: [{ prefix: '+1' }] });
    const reset = await server.api(SETTINGS, { method: 'PUT', auth: b.auth, body: { delay_ms: null, rules: null } });
    expect(reset.status, reset.text).toBe(200);
    expect(reset.body).toMatchObject({ delay_ms: 0, rules: [] });
    const tenant = await server.api(SETTINGS, { method: 'PUT', auth: b.auth, body: { delay_ms: 10_001 } });
    expect(tenant.status).toBe(422);
    expect(tenant.body.errors[0]).toMatchObject({ attribute: 'delay_ms', message: expect.stringContaining('10000') });
    const operator = await server.api(SETTINGS, { method: 'PUT', body: { delay_ms: 60_000 } });
    expect(operator.status, operator.text).toBe(200);
    expect((await server.api(SETTINGS, { method: 'PUT', body: { delay_ms: null } })).body.delay_ms).toBe(0);
  });
});

describe('the handset inbox is per project', () => {
  it("shows A's handset messages to A only", async () => {
    const id = await send(a, A_NUMBER, '+15557700011', 'for the handset of A');
    await waitForStatus(server, id, 'delivered', { projectId: a.projectId });
    const mine = await server.api('/api/simulator/messages?to=%2B15557700011', { auth: a.auth });
    expect(mine.body.data.map((h: any) => h.message_id)).toEqual([id]);
    expect((await server.api('/api/simulator/messages?to=%2B15557700011', { auth: b.auth })).body.data).toEqual([]);
    expect((await server.api('/api/simulator/messages/wait?to=%2B15557700011&timeout=0', { auth: b.auth })).status).toBe(408);
  });
});

describe('loopback', () => {
  it("does not let B capture A's traffic to a handset by registering the handset's number", async () => {
    const handset = '+15557700021';
    const first = await send(a, A_NUMBER, handset, 'before');
    await waitForStatus(server, first, 'delivered', { projectId: a.projectId });
    const registered = await server.api('/api/relay/rest/phone_numbers', { auth: b.auth, body: { number: handset } });
    expect(registered.status, registered.text).toBe(200);
    const second = await send(a, A_NUMBER, handset, 'after B registered it');
    await waitForStatus(server, second, 'delivered', { projectId: a.projectId });
    expect(await inboundFrom(b, A_NUMBER)).toEqual([]);
    // The handset got it, in A's inbox.
    const inbox = await server.api(`/api/simulator/messages?to=${encodeURIComponent(handset)}`, { auth: a.auth });
    expect(inbox.body.data.map((h: any) => h.message_id)).toEqual([second, first]);
  });

  it("still loops back to the sender's own numbers and to the operator's", async () => {
    const own = await send(b, B_NUMBER, '+15557700021', 'to my own number');
    await waitForStatus(server, own, 'delivered', { projectId: b.projectId });
    expect((await inboundFrom(b, B_NUMBER)).map((m) => m.to)).toEqual(['+15557700021']);
    const toOperator = await send(a, A_NUMBER, NUMBERS[1]!, 'to the operator');
    await waitForStatus(server, toOperator, 'delivered', { projectId: a.projectId });
    expect((await inboundFrom({ auth: server.auth } as TestProject, A_NUMBER)).map((m) => m.to)).toEqual([NUMBERS[1]]);
  });
});

describe("the simulator's SMSC is the operator's", () => {
  it('refuses another project its view, its behaviour and dropping its binds', async () => {
    const drops = server.smsc!.stats.drops;
    for (const [method, path, body] of [
      ['GET', '/api/simulator/smsc', undefined],
      ['PUT', '/api/simulator/smsc/behaviour', { refuse_binds: true }],
      ['POST', '/api/simulator/smsc/drop', undefined],
    ] as const) {
      const res = await server.api(path, { method, auth: b.auth, ...(body ? { body } : {}) });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body.message).toMatch(/operator/);
    }
    expect(server.smsc!.stats.drops).toBe(drops);
    expect(server.smsc!.getBehaviour().refuseBinds).toBe(false);
    expect(connector.status().state).toBe('up');
    const operator = await server.api('/api/simulator/smsc');
    expect(operator.status).toBe(200);
    expect(operator.body.binds).toHaveLength(1);
  });

  it("lets a project inject MOs to its own numbers only, like /api/simulator/inbound", async () => {
    const toA = await server.api('/api/simulator/smsc/mo', { auth: b.auth, body: { from: '+447700900111', to: A_NUMBER, body: 'pretending' } });
    expect(toA.status).toBe(422);
    expect(toA.body.errors[0]).toMatchObject({ attribute: 'to' });
    const toB = await server.api('/api/simulator/smsc/mo', { auth: b.auth, body: { from: '+447700900112', to: B_NUMBER, body: 'mine' } });
    expect(toB.status, toB.text).toBe(202);
    await eventually(async () => ((await inboundFrom(b, '+447700900112')).length === 1 ? true : undefined));
    expect(await inboundFrom(a, '+447700900111')).toEqual([]);
  });
});

describe('GET /api/ops/carriers', () => {
  it('serves the operator project only: the counters count every project', async () => {
    const res = await server.api('/api/ops/carriers', { auth: b.auth });
    expect(res.status).toBe(403);
    expect(res.body.message).toMatch(/operator/);
    expect((await server.api('/api/ops/carriers')).status).toBe(200);
  });
});

describe('webhook pool', () => {
  it("sends A's status callback while B's callbacks to many receivers all hang", async () => {
    // Twelve receivers of B that take requests and never answer (each its own destination).
    let hanging = 0;
    const receivers: Server[] = [];
    for (let i = 0; i < 12; i++) {
      const r = createServer(() => void hanging++);
      await new Promise<void>((resolve) => r.listen(0, '127.0.0.1', resolve));
      receivers.push(r);
    }
    const good = await startWebhookReceiver();
    try {
      for (const [i, r] of receivers.entries()) {
        const url = `http://127.0.0.1:${(r.address() as AddressInfo).port}/cb#rt=15000&tt=15000`;
        expect((await server.api('/api/messaging/messages', { auth: b.auth, body: { from: B_NUMBER, to: `+155577001${String(i).padStart(2, '0')}`, body: 'x', status_callback: url } })).status).toBe(201);
      }
      // B holds all it may of the pool of 8: the pool less one receiver's share.
      await eventually(() => (hanging >= 7 ? true : undefined), 10_000, "B's callbacks in flight");
      const id = (await sendMessage(server, { from: A_NUMBER, to: '+15557700098', body: 'hello', status_callback: good.url }, a.auth)).id;
      const [first] = await good.waitFor(1);
      expect(first!.json).toMatchObject({ id, project_id: a.projectId });
      expect(hanging).toBe(7);
    } finally {
      for (const r of receivers) {
        r.closeAllConnections();
        await new Promise((resolve) => r.close(resolve));
      }
      await good.close();
    }
  });
});

describe('callbacks into the host', () => {
  // webhooks.refusePrivateNetworks is off here (the default): loopback and the LAN stay reachable
  // for local development, but a callback's answer is shown to its project (the attempt log's
  // excerpt), so cloud metadata (credentials on any GET) and link-local addresses never are.
  it.each([
    ['cloud metadata (169.254.169.254)', 'http://169.254.169.254/latest/meta-data/iam/security-credentials/'],
    ['IPv6 link-local', 'http://[fe80::1]:8080/cb'],
    ["AWS's IPv6 metadata", 'http://[fd00:ec2::254]/latest/meta-data/'],
  ])('does not connect a status callback to %s', async (_what, url) => {
    const id = await sendWithCallback(url);
    const webhook = await eventually(async () => {
      const detail = await server.api(`/api/console/messages/${id}`, { auth: b.auth });
      return detail.body.webhooks?.find((w: any) => w.last_error !== null);
    }, 10_000, 'a failed attempt');
    expect(webhook.last_error).toMatch(/refused to connect to .*cloud metadata address/);
  });

  async function sendWithCallback(url: string): Promise<string> {
    const sent = await server.api('/api/messaging/messages', { auth: b.auth, body: { from: B_NUMBER, to: '+15557700200', body: 'x', status_callback: url } });
    expect(sent.status, sent.text).toBe(201);
    return sent.body.id;
  }
});

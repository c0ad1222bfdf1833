import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayClient, RelayError, RestClient, RestError } from '@switchboard/sdk';
import { API_TOKEN, eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from '../packages/server/test/helpers/server.js';

let server: TestServer;
let rest: RestClient;

beforeAll(async () => {
  server = await startTestServer();
  rest = new RestClient({ project: PROJECT_ID, token: API_TOKEN, host: server.url });
});
afterAll(async () => {
  await server.stop();
});

describe('RestClient, native API', () => {
  it('sends, reads the log, and redacts once the message is done', async () => {
    const sent = await rest.messaging.send({ from: NUMBERS[0]!, to: '+15557653000', body: 'Over REST' });
    expect(sent).toMatchObject({ status: 'queued', body: 'Over REST', number_of_segments: 1 });
    const log = await eventually(async () => {
      const l = await rest.messaging.getLog(sent.id);
      return l.status === 'delivered' ? l : undefined;
    });
    expect(log.id).toBe(sent.id);
    const redacted = await rest.messaging.redact(sent.id);
    expect(redacted.body).toBe('');
  });

  it('pages through logs with next() and for await', async () => {
    for (let i = 0; i < 5; i++) await rest.messaging.send({ from: NUMBERS[0]!, to: '+15557653001', body: `page ${i}` });
    const first = await rest.messaging.listLogs({ page_size: 2 });
    expect(first.data).toHaveLength(2);
    const second = await first.next();
    expect(second?.data).toHaveLength(2);
    expect(second!.data[0]!.id).not.toBe(first.data[0]!.id);
    const all: string[] = [];
    for await (const l of rest.messaging.logs({ page_size: 2 })) all.push(l.id);
    expect(all.length).toBeGreaterThanOrEqual(6);
    expect(new Set(all).size).toBe(all.length);
  });

  it('registers, updates, lists and deletes phone numbers', async () => {
    const n = await rest.phoneNumbers.register({ number: '+15551238888', name: 'test' });
    const updated = await rest.phoneNumbers.update(n.id, { message_handler: 'relay_context', message_relay_context: 'office' });
    expect(updated).toMatchObject({ message_handler: 'relay_context', message_relay_context: 'office' });
    expect((await rest.phoneNumbers.get(n.id)).number).toBe('+15551238888');
    const numbers: string[] = [];
    for await (const p of rest.phoneNumbers.all({ page_size: 1 })) numbers.push(p.number);
    expect(numbers).toEqual(expect.arrayContaining(['+15551238888', ...NUMBERS]));
    await rest.phoneNumbers.delete(n.id);
    await expect(rest.phoneNumbers.get(n.id)).rejects.toMatchObject({ status: 404 });
  });

  it('throws RestError with the status and parsed body', async () => {
    const err = await rest.messaging.send({ from: NUMBERS[0]!, to: 'nope', body: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RestError);
    expect(err).toMatchObject({ status: 422, code: 'invalid_to_number' });
    const unauthorized = new RestClient({ project: PROJECT_ID, token: 'PTwrong', host: server.url });
    await expect(unauthorized.messaging.getLog('x')).rejects.toMatchObject({ status: 401 });
  });
});

describe('RestClient, Compatibility API (live)', () => {
  it('creates, fetches, lists, redacts and deletes messages', async () => {
    const created = await rest.compat.messages.create({ To: '+15557653100', From: NUMBERS[0], Body: 'Compat via SDK' });
    expect(created).toMatchObject({ account_sid: PROJECT_ID, to: '+15557653100', from: NUMBERS[0], body: 'Compat via SDK', num_media: 0, direction: 'outbound-api' });
    const done = await eventually(async () => {
      const m = await rest.compat.messages.get(created.sid);
      return m.status === 'delivered' || m.status === 'sent' ? m : undefined;
    });
    expect(done.sid).toBe(created.sid);
    const page = await rest.compat.messages.list({ To: '+15557653100', PageSize: 1 });
    expect(page.messages.map((m) => m.sid)).toEqual([created.sid]);
    await eventually(async () => ((await rest.compat.messages.get(created.sid)).status === 'delivered' ? true : undefined));
    expect((await rest.compat.messages.redact(created.sid)).body).toBe('');
    await rest.compat.messages.delete(created.sid);
    await expect(rest.compat.messages.get(created.sid)).rejects.toMatchObject({ status: 404, code: 20404 });
  });
});

describe('RestClient, Compatibility API requests', () => {
  // The Compatibility API is another surface's; here the requests themselves are checked.
  it('sends form-encoded Twilio-style requests under /api/laml/2010-04-01/Accounts/{project}', async () => {
    const seen: Array<{ method: string; url: string; body: string; headers: IncomingMessage['headers'] }> = [];
    const fake = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, body, headers: req.headers });
        const sid = '9f0e5ec4-071a-408e-948c-2429da869cc9';
        res.setHeader('content-type', 'application/json');
        if (req.method === 'DELETE') return res.writeHead(204).end();
        if (req.url!.includes('/Messages.json?') || req.url!.endsWith('/Messages.json') && req.method === 'GET') {
          const page = Number(new URL(req.url!, 'http://x').searchParams.get('Page') ?? 0);
          return res.end(JSON.stringify({ uri: req.url, first_page_uri: req.url, next_page_uri: page === 0 ? `/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Messages.json?Page=1&PageSize=1&PageToken=PA1` : null, previous_page_uri: null, page, page_size: 1, messages: [{ sid: `${page}` }] }));
        }
        res.writeHead(req.method === 'POST' && !req.url!.includes(sid) ? 201 : 200).end(JSON.stringify({ sid, status: 'queued', body: new URLSearchParams(body).get('Body') }));
      });
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    const client = new RestClient({ project: PROJECT_ID, token: API_TOKEN, host: `127.0.0.1:${(fake.address() as AddressInfo).port}` });
    try {
      const created = await client.compat.messages.create({ To: '+15557653002', From: NUMBERS[0], Body: 'Hi', MediaUrl: ['https://a.example/1.jpg', 'https://a.example/2.jpg'] });
      expect(created.sid).toBe('9f0e5ec4-071a-408e-948c-2429da869cc9');
      await client.compat.messages.redact(created.sid);
      await client.compat.messages.delete(created.sid);
      const sids: string[] = [];
      for await (const m of client.compat.messages.all({ PageSize: 1 })) sids.push(m.sid);
      expect(sids).toEqual(['0', '1']);
      const base = `/api/laml/2010-04-01/Accounts/${PROJECT_ID}`;
      expect(seen[0]).toMatchObject({ method: 'POST', url: `${base}/Messages.json` });
      expect(seen[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(seen[0]!.headers.authorization).toBe(`Basic ${Buffer.from(`${PROJECT_ID}:${API_TOKEN}`).toString('base64')}`);
      expect(new URLSearchParams(seen[0]!.body).getAll('MediaUrl')).toEqual(['https://a.example/1.jpg', 'https://a.example/2.jpg']);
      expect(seen[1]).toMatchObject({ method: 'POST', url: `${base}/Messages/${created.sid}.json`, body: 'Body=' });
      expect(seen[2]).toMatchObject({ method: 'DELETE', url: `${base}/Messages/${created.sid}.json` });
      expect(seen[3]).toMatchObject({ method: 'GET', url: `${base}/Messages.json?PageSize=1` });
      expect(seen[4]!.url).toBe(`${base}/Messages.json?Page=1&PageSize=1&PageToken=PA1`);
    } finally {
      fake.close();
    }
  });
});

describe('RelayClient.run', () => {
  it('stays connected until SIGTERM, then disconnects and returns', async () => {
    const root = fileURLToPath(new URL('..', import.meta.url));
    const child = spawn(process.execPath, ['test/fixtures/run-until-signal.mjs'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', SIGNALWIRE_PROJECT_ID: PROJECT_ID, SIGNALWIRE_API_TOKEN: API_TOKEN, SIGNALWIRE_SPACE: `127.0.0.1:${server.port}` },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    await eventually(() => (out.includes('connected') ? true : undefined), 10_000, `the child to connect: ${out}`);
    child.kill('SIGTERM');
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(0);
    expect(out).toContain('stopped connected=false');
  });

  it('rejects an unknown method with -32601 through request()', async () => {
    const c = new RelayClient({ project: PROJECT_ID, token: API_TOKEN, host: server.url });
    try {
      const err = await c.request('calling.dial', {}).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RelayError);
      expect((err as RelayError).code).toBe(-32601);
    } finally {
      await c.disconnect();
    }
  });
});

/**
 * Errors Fastify raises itself — while routing (a path parameter over `maxParamLength`, a bad
 * %-escape), before any route and its surface's handlers are chosen, or while parsing a body — are
 * answered in the shape of the surface the path belongs to: on the Compatibility API Twilio's
 * `{code, message, more_info, status}` with a numeric code, so both official clients raise a
 * RestException with a number; on the native API `{error, message}`. HTTP and HTTPS alike. So are
 * requests refused while the server shuts down (Fastify's own would be `{"error",…,"statusCode":503}`).
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { requestText } from '../helpers/raw-http.js';
import { dataDirTrustedByTests } from '../helpers/tls.js';
import { NUMBERS, PROJECT_ID, startTestServer, type TestServer } from '../helpers/server.js';
import { rejection, signalwireClient, twilioClient } from './clients.js';

const LONG_SID = `SM${'a'.repeat(99)}`;
const BAD_ESCAPE = '%E0%A4%A';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ httpsEnabled: true }, { dataDir: dataDirTrustedByTests() });
});
afterAll(async () => {
  await server?.stop();
});

/** A GET over HTTPS with the project's credentials: status and parsed body. */
function httpsGet(url: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { headers: { authorization: server.auth } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('framework errors on the Compatibility API', () => {
  const expectNotFound = (err: any) => {
    expect(err.constructor.name).toBe('RestException');
    expect(err.status).toBe(404);
    expect(err.code).toBe(20404);
    expect(typeof err.code).toBe('number');
  };

  for (const scheme of ['http', 'https'] as const) {
    it(`twilio over ${scheme}: a message sid over 100 characters and a bad %-escape are RestExceptions with code 20404`, async () => {
      const client = twilioClient(scheme === 'http' ? server.url : server.httpsUrl!);
      expectNotFound(await rejection(client.messages(LONG_SID).fetch()));
      expectNotFound(await rejection(client.messages(BAD_ESCAPE).fetch()));
      expectNotFound(await rejection(client.messages(LONG_SID).remove()));
    });
  }

  it('@signalwire/compatibility-api (HTTPS): the same, with a numeric code', async () => {
    const client = signalwireClient(server.httpsUrl!);
    for (const sid of [LONG_SID, BAD_ESCAPE]) {
      const err = await rejection(client.messages(sid).fetch());
      expect(err.status).toBe(404);
      expect(err.code).toBe(20404);
    }
  });

  it('answers the flat shape on both prefixes, over HTTP and HTTPS', async () => {
    for (const prefix of ['/2010-04-01', '/api/laml/2010-04-01']) {
      for (const sid of [LONG_SID, BAD_ESCAPE]) {
        const path = `${prefix}/Accounts/${PROJECT_ID}/Messages/${sid}.json`;
        const expected = { code: 20404, status: 404, message: expect.any(String), more_info: expect.stringContaining('20404') };
        const plain = await server.api(path);
        expect(plain.status).toBe(404);
        expect(plain.body).toEqual(expected);
        const tls = await httpsGet(`${server.httpsUrl}${path}`);
        expect(tls.status).toBe(404);
        expect(tls.body).toEqual(expected);
      }
    }
  });

  it('answers unknown paths under /api/laml (another API version, a typo) in the same shape', async () => {
    for (const path of ['/api/laml/2010-04-02/Accounts', `/api/laml/Accounts/${PROJECT_ID}/Messages.json`, `/api/laml/2010-04-01/Acounts/${PROJECT_ID}/Messages.json`]) {
      const r = await server.api(path);
      expect(r.status, path).toBe(404);
      expect(r.body).toEqual({ code: 20404, status: 404, message: expect.stringContaining(path), more_info: expect.any(String) });
    }
  });

  it('reads a prefix written with escapes (/api/lam%6C) as the router does, also when a later escape is malformed', async () => {
    // The router routes /api/lam%6C/… to the Compatibility API; a bad escape further on was answered
    // in the native shape because the whole path failed to decode.
    for (const path of [`/api/lam%6C/2010-04-01/Accounts/${PROJECT_ID}/Messages/${BAD_ESCAPE}.json`, `/%32010-04-01/Accounts/${PROJECT_ID}/Messages/%zz`]) {
      const r = await server.api(path);
      expect(r.status, path).toBe(404);
      expect(r.body).toEqual({ code: 20404, status: 404, message: expect.stringMatching(/%-escape/), more_info: expect.stringContaining('20404') });
    }
  });

  it('gives body errors (invalid JSON, an empty JSON body, an unsupported content type) numeric codes', async () => {
    const path = `/2010-04-01/Accounts/${PROJECT_ID}/Messages.json`;
    for (const [contentType, body] of [
      ['application/json', '{"To":'],
      ['application/json', ''],
      ['text/plain', `To=${NUMBERS[1]}`],
    ] as const) {
      const r = await server.api(path, { method: 'POST', body, headers: { 'content-type': contentType } });
      expect(r.status, `${contentType} ${JSON.stringify(body)}`).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
      expect(r.body).toEqual({ code: expect.any(Number), message: expect.any(String), more_info: expect.any(String), status: r.status });
    }
  });
});

describe('a request target in absolute form (GET http://host/path, which HTTP/1.1 servers must accept)', () => {
  /** A GET whose request line names the scheme and host too, as a client speaking to a proxy writes it. */
  const absolute = async (path: string) => {
    const { port } = new URL(server.url);
    const r = await requestText(httpRequest, { host: '127.0.0.1', port, path: `http://sms.example.com:${port}${path}`, headers: { authorization: server.auth } });
    return { status: r.status, body: JSON.parse(r.body) };
  };

  it("is answered in the shape of the surface its path belongs to, naming the path only", async () => {
    for (const prefix of ['/2010-04-01', '/api/laml/2010-04-01']) {
      for (const sid of [LONG_SID, BAD_ESCAPE]) {
        const r = await absolute(`${prefix}/Accounts/${PROJECT_ID}/Messages/${sid}.json`);
        expect(r.status, `${prefix} ${sid.slice(0, 10)}`).toBe(404);
        expect(r.body).toEqual({ code: 20404, status: 404, message: expect.any(String), more_info: expect.stringContaining('20404') });
        expect(r.body.message).not.toContain('sms.example.com');
      }
    }
    const unknown = await absolute(`/2010-04-01/Accounts/${PROJECT_ID}/Nope.json?x=1`);
    expect(unknown.body).toMatchObject({ code: 20404, message: `The requested resource /2010-04-01/Accounts/${PROJECT_ID}/Nope.json was not found` });
    expect(await absolute(`/api/relay/rest/phone_numbers/${BAD_ESCAPE}`)).toEqual({ status: 400, body: { error: 'Bad Request', message: expect.stringMatching(/%-escape/) } });
    expect(await absolute('/api/messaging/nope')).toEqual({ status: 404, body: { error: 'Not Found', message: 'No route GET /api/messaging/nope' } });
  });
});

describe('a path beginning with a doubled slash (a hand-made join of a base URL ending in "/")', () => {
  it('is not sent by the official clients, whose base URL may end in slashes', async () => {
    const client = twilioClient(`${server.url}/`);
    const sent = await client.messages.create({ from: NUMBERS[0], to: '+15557650101', body: 'trailing slash' });
    expect(sent.status).toBe('queued');
    const laml = twilioClient(`${server.url}/api/laml//`);
    expect((await laml.messages(sent.sid).fetch()).body).toBe('trailing slash');
  });

  it('is answered as an unknown resource of the Compatibility API (20404, naming the path as sent), not served', async () => {
    // Doubled anywhere in the prefix, not only at the start.
    for (const prefix of ['//2010-04-01', '//api/laml/2010-04-01', '///2010-04-01', '/api//laml/2010-04-01', '//api//laml//2010-04-01', '/api/laml//2010-04-01', '/2010-04-01/']) {
      const path = `${prefix}/Accounts/${PROJECT_ID}/Messages.json`;
      const sent = await server.api(path, { method: 'POST', body: `From=${encodeURIComponent(NUMBERS[0])}&To=%2B15557650102&Body=x`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(sent.status, path).toBe(404);
      expect(sent.body).toEqual({ code: 20404, status: 404, message: `The requested resource ${path} was not found`, more_info: expect.stringContaining('20404') });
      expect((await server.api(path)).body).toMatchObject({ code: 20404 });
    }
    // Other surfaces keep their own shape.
    expect(await server.api('//api/messaging/messages')).toMatchObject({ status: 404, body: { error: 'Not Found', message: 'No route GET //api/messaging/messages' } });
    expect(await server.api('/api//messaging/messages')).toMatchObject({ status: 404, body: { error: 'Not Found', message: 'No route GET /api//messaging/messages' } });
    expect(await server.api('/api//relay/rest/phone_numbers')).toMatchObject({ status: 404, body: { error: 'Not Found', message: 'No route GET /api//relay/rest/phone_numbers' } });
  });
});

describe('a request target in asterisk form (OPTIONS *, RFC 9112 §3.2.4)', () => {
  const target = async (method: string, path: string) => {
    const { port } = new URL(server.url);
    return requestText(httpRequest, { host: '127.0.0.1', port, method, path, headers: { authorization: server.auth } });
  };

  it('is answered for OPTIONS * with every method the server takes, and refused for anything else', async () => {
    const options = await target('OPTIONS', '*');
    expect(options.status).toBe(204);
    expect(options.headers.allow).toBe('GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS');
    const refusal = { error: 'Bad Request', message: "The request target is not a path: '*' is only for OPTIONS *." };
    // The router reads `*x` as `/x`: not served, whatever follows.
    for (const path of ['*', '*api/messaging/logs']) {
      const r = await target('GET', path);
      expect(r.status, path).toBe(400);
      expect(JSON.parse(r.body)).toEqual(refusal);
    }
    const compat = await target('GET', `*2010-04-01/Accounts/${PROJECT_ID}/Messages.json`);
    expect(compat.status).toBe(404);
    expect(JSON.parse(compat.body)).toMatchObject({ code: 20404, message: refusal.message });
  });

  it('a raw # in the target is refused in each surface\'s shape, not read into the query', async () => {
    const message = "The request target has a '#': a fragment is not sent to a server; percent-encode it as %23.";
    const native = await target('GET', '/api/messaging/logs#x');
    expect(native.status).toBe(400);
    expect(JSON.parse(native.body)).toEqual({ error: 'Bad Request', message });
    const compat = await target('GET', `/2010-04-01/Accounts/${PROJECT_ID}/Messages.json?PageSize=1#x`);
    // As for `*…` above: the Compatibility API names no such resource (20404).
    expect(compat.status).toBe(404);
    expect(JSON.parse(compat.body)).toMatchObject({ code: 20404, message });
  });
});

describe('framework errors on the native API', () => {
  it('a path parameter over 100 characters is a 414 and a bad %-escape a 400, in the native shape', async () => {
    for (const base of ['/api/messaging/logs', '/api/relay/rest/phone_numbers']) {
      const long = await server.api(`${base}/${'a'.repeat(101)}`);
      expect(long.status).toBe(414);
      expect(long.body).toEqual({ error: 'URI Too Long', message: expect.stringMatching(/100 characters/) });
      const bad = await server.api(`${base}/${BAD_ESCAPE}`);
      expect(bad.status).toBe(400);
      expect(bad.body).toEqual({ error: 'Bad Request', message: expect.stringMatching(/%-escape/) });
      const tls = await httpsGet(`${server.httpsUrl}${base}/${BAD_ESCAPE}`);
      expect(tls).toEqual({ status: 400, body: bad.body });
    }
  });
});

describe('a request that arrives while the server shuts down', () => {
  it('is refused with 503 in its surface\'s shape and Connection: close', async () => {
    const closing = await startTestServer();
    const { port } = new URL(closing.url);
    // A long-poll keeps a connection busy, so closing the server does not drop it as idle; a
    // Compatibility API request sent on it once the server is closing is refused.
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString()));
    const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    const head = (path: string) => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${closing.auth}\r\n\r\n`;
    // The long-poll is in flight once it listens for handset messages.
    const listening = vi.spyOn(closing.bus, 'subscribe');
    socket.write(head('/api/simulator/messages/wait?to=%2B15550009999&timeout=20'));
    await vi.waitFor(() => expect(listening).toHaveBeenCalledWith('handset.received', expect.any(Function)), { timeout: 5_000 });
    const stopped = closing.stop();
    // Once nothing listens any more, the server is closing.
    await eventuallyRefused(Number(port));
    socket.write(head(`/2010-04-01/Accounts/${PROJECT_ID}/Messages.json`));
    // Release the long-poll: its answer goes first, then the refusal, then the connection closes.
    closing.bus.publish('handset.received', { seq: 1, projectId: PROJECT_ID, messageId: null, from: NUMBERS[0]!, to: '+15550009999', body: 'release', media: [], segments: 1, receivedAt: Date.now() } as never);
    await ended;
    await stopped;
    const responses = received.split(/(?=HTTP\/1\.1 )/);
    expect(responses[0]).toMatch(/^HTTP\/1\.1 200/);
    const refused = responses[1]!;
    expect(refused).toMatch(/^HTTP\/1\.1 503/);
    expect(refused).toMatch(/\r\nconnection: close\r\n/i);
    expect(refused).toMatch(/\r\nretry-after: \d+\r\n/i);
    expect(JSON.parse(refused.slice(refused.indexOf('\r\n\r\n') + 4))).toEqual({ code: 20503, message: expect.stringMatching(/shutting down/), more_info: expect.any(String), status: 503 });
  });
});

/** Wait until nothing listens on `port` any more. */
async function eventuallyRefused(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const refused = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.on('connect', () => (s.destroy(), resolve(false)));
      s.on('error', () => resolve(true));
    });
    if (refused) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the server kept listening');
}

import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PRIVATE_NETWORKS } from '../domain/urls.js';
import { WebhookHttpClient } from './http-client.js';
import { signFormRequest, signJsonRequest } from './signing.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** A receiver that answers `/fast` at once and leaves every other request open. */
async function receiver(): Promise<string> {
  const open = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    req.resume();
    if (req.url === '/fast') res.writeHead(204).end();
    else open.add(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('WebhookHttpClient total timeout', () => {
  it('aborts a request still open at its total timeout with a TimeoutError, and not one that ended', async () => {
    const base = await receiver();
    const client = new WebhookHttpClient();
    cleanups.push(() => client.close());
    const timeouts = { connectMs: 1000, readMs: 10_000, totalMs: 300 };
    const fast = await client.send({ project: 'p', url: `${base}/fast`, method: 'POST', headers: {}, body: 'a=b', timeouts });
    expect(fast.statusCode).toBe(204);
    const started = Date.now();
    const err = await client.send({ project: 'p', url: `${base}/hang`, method: 'POST', headers: {}, body: 'a=b', timeouts }).catch((e: unknown) => e);
    const took = Date.now() - started;
    expect((err as Error).name).toBe('TimeoutError');
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(2000);
  });
});

describe('WebhookHttpClient with private networks refused', () => {
  it('refuses to connect to a private address, named or literal, and connects when not asked to refuse', async () => {
    const base = await receiver();
    let connections = 0;
    const port = new URL(base).port;
    const timeouts = { connectMs: 1000, readMs: 2000, totalMs: 3000 };
    const guarded = new WebhookHttpClient({ refuseNetworks: PRIVATE_NETWORKS });
    cleanups.push(() => guarded.close());
    for (const url of [`${base}/fast`, `http://localhost:${port}/fast`, `http://[::ffff:127.0.0.1]:${port}/fast`]) {
      const err = await guarded.send({ project: 'p', url, method: 'POST', headers: {}, body: 'a=b', timeouts }).then(
        () => connections++,
        (e: unknown) => e,
      );
      expect(err, url).toBeInstanceOf(Error);
      expect((err as Error & { code?: string }).code, url).toBe('ERR_PRIVATE_ADDRESS');
    }
    expect(connections).toBe(0);
    const open = new WebhookHttpClient();
    cleanups.push(() => open.close());
    expect((await open.send({ project: 'p', url: `${base}/fast`, method: 'POST', headers: {}, body: 'a=b', timeouts })).statusCode).toBe(204);
    // A name is looked up through the worker's bounded lookups (lookup-slots.ts), twice from its cache.
    for (let i = 0; i < 3; i++) expect((await open.send({ project: 'p', url: `http://localhost:${port}/fast`, method: 'POST', headers: { connection: 'close' }, body: 'a=b', timeouts })).statusCode).toBe(204);
  });
});

describe('WebhookHttpClient building and signing deliveries', () => {
  it('sends the wire form the worker signed, and says what it sent, also when the request fails', async () => {
    const seen: Array<{ url: string; headers: Record<string, string | string[] | undefined>; body: string }> = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ url: req.url ?? '', headers: req.headers, body });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = new WebhookHttpClient();
    cleanups.push(() => client.close());
    const timeouts = { connectMs: 1000, readMs: 2000, totalMs: 3000 };
    const key = 'PSK_test';
    const body = 'MessageStatus=delivered&Body=caf%C3%A9+%2B&To=%2B15557654321';

    // A form POST: signed over the wire URL (the raw space percent-encoded) and the sorted parameters.
    const configured = `${base}/cb?name=a b`;
    const form = await client.send({ project: 'p', url: configured, method: 'POST', headers: { 'User-Agent': 'ua' }, body, timeouts, sign: { key, scheme: 'form-base64', contentType: null } });
    const wire = `${base}/cb?name=a%20b`;
    const expected = signFormRequest(key, wire, [...new URLSearchParams(body)]);
    expect(form).toMatchObject({ statusCode: 200, requestUrl: wire, signature: expected });
    expect(seen[0]).toMatchObject({ url: '/cb?name=a%20b', body });
    expect(seen[0]!.headers).toMatchObject({ 'x-twilio-signature': expected, 'x-signalwire-signature': expected, 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'ua' });

    // A form GET: the parameters go in the query, signed as part of the URL.
    const get = await client.send({ project: 'p', url: `${base}/cb`, method: 'GET', headers: {}, body, timeouts, sign: { key, scheme: 'form-base64', contentType: null } });
    expect(get.requestUrl).toBe(`${base}/cb?${body}`);
    expect(get.signature).toBe(signFormRequest(key, `${base}/cb?${body}`, []));
    expect(seen[1]).toMatchObject({ url: `/cb?${body}`, body: '' });

    // JSON: hex over URL + raw body, with the delivery's content type.
    const json = '{"event_type":"messaging.state"}';
    const native = await client.send({ project: 'p', url: `${base}/native`, method: 'POST', headers: {}, body: json, timeouts, sign: { key, scheme: 'json-hex', contentType: 'application/json' } });
    expect(native.signature).toBe(signJsonRequest(key, `${base}/native`, json));
    expect(seen[2]!.headers).toMatchObject({ 'x-signalwire-signature': native.signature, 'content-type': 'application/json' });
    expect(seen[2]!.headers['x-twilio-signature']).toBeUndefined();

    // Nothing listening: the failure still says what was sent, for the attempt's record.
    const closed = `http://127.0.0.1:${new URL(base).port === '1' ? 2 : 1}/gone`;
    const err = (await client.send({ project: 'p', url: closed, method: 'POST', headers: {}, body, timeouts, sign: { key, scheme: 'form-base64', contentType: null } }).catch((e: unknown) => e)) as Error & { sent?: unknown };
    expect(err).toBeInstanceOf(Error);
    expect(err.sent).toEqual({ requestUrl: closed, signature: signFormRequest(key, closed, [...new URLSearchParams(body)]) });
  });
});

describe('WebhookHttpClient when the worker dies', () => {
  it('fails the requests in flight saying what was sent (the wire URL and its signature), as the attempt records it', async () => {
    const base = await receiver();
    const client = new WebhookHttpClient();
    cleanups.push(() => client.close());
    const timeouts = { connectMs: 1000, readMs: 10_000, totalMs: 10_000 };
    const key = 'PSK_test';
    const body = 'MessageStatus=sent&To=%2B15557654321';
    const sign = { key, scheme: 'form-base64' as const, contentType: null };
    const get = client.send({ project: 'p', url: `${base}/hang?name=a b`, method: 'GET', headers: {}, body, timeouts, sign }).catch((e: unknown) => e);
    const post = client.send({ project: 'p', url: `${base}/hang`, method: 'POST', headers: {}, body, timeouts, sign }).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await (client as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    const getUrl = `${base}/hang?name=a%20b&${body}`;
    expect(((await get) as Error & { sent?: unknown }).sent).toEqual({ requestUrl: getUrl, signature: signFormRequest(key, getUrl, []) });
    expect(((await post) as Error & { sent?: unknown }).sent).toEqual({ requestUrl: `${base}/hang`, signature: signFormRequest(key, `${base}/hang`, [...new URLSearchParams(body)]) });
  });
});

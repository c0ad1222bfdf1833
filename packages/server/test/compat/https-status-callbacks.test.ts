/**
 * Status callbacks to an HTTPS receiver: the signature covers the https:// URL as requested, on a
 * port of its own and with a query string, and validates as the official helpers compute it —
 * `twilio.validateRequest` and `@signalwire/compatibility-api`'s, given the URL as configured or
 * as a receiver rebuilds it from the request (scheme, Host header, path and query), for a host
 * name as for an address. The receiver's certificate comes from the test run's CA, which the
 * server trusts (test/global-setup.ts).
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { RestClient } from '@signalwire/compatibility-api';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, NUMBERS, SIGNING_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { twilioClient } from './clients.js';

interface Received {
  readonly url: string;
  readonly host: string;
  readonly signature: string;
  readonly params: Record<string, string>;
}

let server: TestServer;
let receiver: Server;
let port: number;
const received: Received[] = [];

beforeAll(async () => {
  server = await startTestServer();
  const tls = process.env.SWITCHBOARD_TEST_TLS_DIR!;
  receiver = createServer({ cert: readFileSync(join(tls, 'server.pem')), key: readFileSync(join(tls, 'server-key.pem')) }, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push({ url: req.url ?? '/', host: req.headers.host ?? '', signature: String(req.headers['x-twilio-signature']), params: Object.fromEntries(new URLSearchParams(body)) });
      res.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  port = (receiver.address() as AddressInfo).port;
});
afterAll(async () => {
  await server?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
});

describe('status callbacks over HTTPS', () => {
  for (const host of ['127.0.0.1', 'localhost']) {
    it(`validate with both helpers against https://${host}:<port> with a query string, as configured and as rebuilt from the request`, async () => {
      const configured = `https://${host}:${port}/status?account=a1&name=x%20y&empty=`;
      const client = twilioClient(server.url);
      const m = await client.messages.create({ to: '+15557670101', from: NUMBERS[0]!, body: 'Over TLS & signed', statusCallback: configured });
      const mine = await eventually(() => {
        const got = received.filter((r) => r.params.MessageSid === m.sid);
        return got.length >= 4 ? got : undefined;
      }, 10_000, 'four status callbacks');
      expect(mine.map((r) => r.params.MessageStatus)).toEqual(['queued', 'sending', 'sent', 'delivered']);
      for (const r of mine) {
        expect(r.url).toBe('/status?account=a1&name=x%20y&empty=');
        const rebuilt = `https://${r.host}${r.url}`;
        for (const url of [configured, rebuilt]) {
          expect(twilio.validateRequest(SIGNING_KEY, r.signature, url, r.params)).toBe(true);
          expect(RestClient.validateRequest(SIGNING_KEY, r.signature, url, r.params)).toBe(true);
        }
        // Not over the http:// URL, nor another key: the scheme is signed.
        expect(twilio.validateRequest(SIGNING_KEY, r.signature, rebuilt.replace('https://', 'http://'), r.params)).toBe(false);
        expect(twilio.validateRequest('PSK_wrong', r.signature, rebuilt, r.params)).toBe(false);
      }
    });
  }
});

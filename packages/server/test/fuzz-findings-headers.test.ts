/**
 * Found by a black-box fuzz campaign: a body whose Content-Type came on two lines with different
 * values was parsed as the first (Node keeps it and drops the rest), so a send declared both JSON
 * and a form was sent while a proxy in front may have read it as the other type. It is answered
 * 400 in its surface's shape and nothing is sent, over HTTP and HTTPS; the same value repeated
 * still names one type and is served.
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestText } from './helpers/raw-http.js';
import { NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';
import { dataDirTrustedByTests } from './helpers/tls.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ httpsEnabled: true, httpsPort: 0 }, { dataDir: dataDirTrustedByTests() });
});
afterAll(async () => {
  await server?.stop();
});

/** A POST whose Content-Type lines are `types`, one line each, over `scheme`. */
function post(scheme: 'http' | 'https', path: string, types: string[], body: string) {
  const base = new URL(scheme === 'http' ? server.url : server.httpsUrl!);
  const options = { host: '127.0.0.1', port: Number(base.port), path, method: 'POST', headers: { authorization: server.auth, 'content-type': types, 'content-length': String(Buffer.byteLength(body)) } };
  if (scheme === 'http') return requestText(httpRequest, options, body);
  return requestText(httpsRequest, { ...options, ca: readFileSync(server.caFile!) }, body);
}

const compatPath = () => `/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Messages.json`;

/** Bodies of the project's messages, as the Compatibility API lists them. */
async function sentBodies(): Promise<string[]> {
  const res = await server.api(`${compatPath()}?PageSize=100`);
  expect(res.status).toBe(200);
  return res.body.messages.map((m: { body: string }) => m.body);
}

describe('a body with two different Content-Type lines', () => {
  for (const scheme of ['http', 'https'] as const) {
    it(`${scheme}: the Compatibility API answers 400 in Twilio's shape and sends nothing`, async () => {
      const body = JSON.stringify({ To: '+15551239999', From: NUMBERS[0], Body: `two types compat ${scheme}` });
      const res = await post(scheme, compatPath(), ['application/json', 'application/x-www-form-urlencoded'], body);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(res.body)).toMatchObject({ code: 10000, status: 400, message: expect.stringContaining('Content-Type was given more than once') });
      expect(await sentBodies()).not.toContain(`two types compat ${scheme}`);
    });

    it(`${scheme}: the native API answers 400 {error, message} and sends nothing`, async () => {
      const body = JSON.stringify({ to: '+15551239999', from: NUMBERS[0], body: `two types native ${scheme}` });
      const res = await post(scheme, '/api/messaging/messages', ['application/json', 'text/plain'], body);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body)).toEqual({ error: 'Bad Request', message: 'Content-Type was given more than once with different values: send one, naming the type of the body.' });
      expect(await sentBodies()).not.toContain(`two types native ${scheme}`);
    });

    it(`${scheme}: the same Content-Type repeated is one type, and the send is served`, async () => {
      const body = JSON.stringify({ to: '+15551239999', from: NUMBERS[0], body: `same type twice ${scheme}` });
      const res = await post(scheme, '/api/messaging/messages', ['application/json', 'Application/JSON'], body);
      expect(res.status).toBe(201);
      expect(await sentBodies()).toContain(`same type twice ${scheme}`);
    });
  }
});

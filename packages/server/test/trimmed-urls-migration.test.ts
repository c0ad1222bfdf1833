/**
 * Migration 0024 (trimmed URLs) on a number and a cXML application stored by an earlier version,
 * whose webhook URLs have spaces or control characters around them, or a tab or line break in them
 * (refused since, stored as given before): after the upgrade each reads as the URL it was used as,
 * and a client that reads the record and writes it back whole is answered 200, natively and through
 * the `twilio` client. SQLite, and PostgreSQL+NATS with the scale-out variables.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { urlAsParsed } from '../src/store/migrations/0024-trimmed-urls.js';
import { rejection, twilioClient } from './compat/clients.js';
import { PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

const NUMBER = '+15551239024';
let first: TestServer;
let server: TestServer;
let numberId = '';
let appSid = '';

/** What an earlier version could store: each refused today (untrimmedUrl). */
const LEGACY = {
  request: ' https://example.com/in\n',
  fallback: 'https://example.com/fall\tback',
  blank: ' \r\n',
  sms: '\thttps://example.com/app ',
  status: 'https://example.com/status\r\n',
};

beforeAll(async () => {
  first = await startTestServer();
  const n = await first.api('/api/relay/rest/phone_numbers', { body: { number: NUMBER, name: 'legacy', message_handler: 'laml_webhooks', message_request_url: 'https://example.com/in' } });
  expect(n.status, n.text).toBe(200);
  numberId = n.body.id;
  const app = await first.api(`/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Applications.json`, { body: { FriendlyName: 'legacy app' } });
  expect(app.status, app.text).toBe(201);
  appSid = app.body.sid;
  // The rows as an earlier version left them (the store takes what it is given).
  await first.store.numbers.update(PROJECT_ID, numberId, { messageRequestUrl: LEGACY.request, messageFallbackUrl: LEGACY.fallback }, Date.now());
  await first.store.applications.update(PROJECT_ID, appSid.toLowerCase(), { smsUrl: LEGACY.sms, smsFallbackUrl: LEGACY.blank, smsStatusCallback: LEGACY.status }, Date.now());
  // Before the upgrade, writing the number back as read is refused: the defect this migration closes.
  const read = (await first.api(`/api/relay/rest/phone_numbers/${numberId}`)).body;
  expect(read.message_request_url).toBe(LEGACY.request);
  expect((await first.api(`/api/relay/rest/phone_numbers/${numberId}`, { method: 'PUT', body: read })).status).toBe(422);
  // As if 0024 had not run on this database yet, then the upgrade: the same data, a new start.
  await sql`delete from schema_migrations where name = '0024-trimmed-urls'`.execute((first.store as KyselyStore).db);
  await first.close();
  server = await startTestServer({}, { dataDir: first.dataDir });
});
afterAll(async () => {
  await server?.stop();
  await first?.stop().catch(() => undefined);
});

describe('migration 0024-trimmed-urls', () => {
  it('makes each value the URL a parser reads, and one of nothing but spaces null', () => {
    expect(urlAsParsed(LEGACY.request)).toBe('https://example.com/in');
    expect(urlAsParsed(LEGACY.fallback)).toBe('https://example.com/fallback');
    expect(urlAsParsed(LEGACY.blank)).toBeNull();
    expect(urlAsParsed('https://example.com/a b')).toBe('https://example.com/a b');
    expect(urlAsParsed('\u0000https://example.com/\u001f')).toBe('https://example.com/');
  });

  it("a stored number's URLs read trimmed, and the number is written back whole natively and with IncomingPhoneNumbers", async () => {
    const read = await server.api(`/api/relay/rest/phone_numbers/${numberId}`);
    expect(read.body).toMatchObject({ name: 'legacy', message_handler: 'laml_webhooks', message_request_url: 'https://example.com/in', message_fallback_url: 'https://example.com/fallback' });
    const put = await server.api(`/api/relay/rest/phone_numbers/${numberId}`, { method: 'PUT', body: read.body });
    expect(put.status, put.text).toBe(200);
    expect(put.body).toMatchObject({ message_request_url: 'https://example.com/in', message_fallback_url: 'https://example.com/fallback' });

    const client = twilioClient(server.url);
    const n = await client.incomingPhoneNumbers(numberId).fetch();
    expect([n.smsUrl, n.smsFallbackUrl]).toEqual(['https://example.com/in', 'https://example.com/fallback']);
    const updated = await client.incomingPhoneNumbers(numberId).update({ friendlyName: n.friendlyName, smsUrl: n.smsUrl, smsMethod: n.smsMethod, smsFallbackUrl: n.smsFallbackUrl, smsFallbackMethod: n.smsFallbackMethod });
    expect(updated.smsUrl).toBe('https://example.com/in');
  });

  it("a stored application's URLs read trimmed (null for one of spaces only), and it is written back whole with the twilio client", async () => {
    const client = twilioClient(server.url);
    const app = await client.applications(appSid).fetch();
    expect([app.smsUrl, app.smsFallbackUrl, app.smsStatusCallback]).toEqual(['https://example.com/app', null, 'https://example.com/status']);
    const updated = await client.applications(appSid).update({
      friendlyName: app.friendlyName,
      smsUrl: app.smsUrl,
      smsMethod: app.smsMethod,
      smsFallbackUrl: app.smsFallbackUrl ?? '',
      smsFallbackMethod: app.smsFallbackMethod,
      smsStatusCallback: app.smsStatusCallback,
    });
    expect([updated.smsUrl, updated.smsStatusCallback]).toEqual(['https://example.com/app', 'https://example.com/status']);
    // A new value around spaces is refused as before: the migration changed stored rows, not the rule.
    expect(await rejection(client.applications(appSid).update({ smsUrl: ' https://example.com/app' }))).toMatchObject({ status: 400, code: 21402 });
  });
});

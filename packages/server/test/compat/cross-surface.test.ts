import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs } from '../console/console-client.js';
import { API_TOKEN, eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from '../helpers/server.js';
import { twilioClient } from './clients.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ pricing: { unit: 'USD', rules: [{ prefix: '', kind: null, direction: 'outbound', perSegment: 0.005 }] } });
});
afterAll(async () => {
  await server.stop();
});

const compat = `/api/laml/2010-04-01/Accounts/${PROJECT_ID}`;

describe('one message store behind both REST surfaces', () => {
  it('shows a message sent through the Compatibility API in the native logs, correctly shaped', async () => {
    const client = twilioClient(server.url);
    const m = await client.messages.create({ to: '+15557700001', from: NUMBERS[0]!, body: 'compat to native' });
    const log = await eventually(async () => {
      const r = await server.api(`/api/messaging/logs/${m.sid}`);
      return r.body.status === 'delivered' ? r.body : undefined;
    });
    expect(log).toMatchObject({
      id: m.sid,
      from: NUMBERS[0],
      to: '+15557700001',
      direction: 'outbound-api',
      kind: 'sms',
      source: 'laml',
      type: 'laml_message',
      url: `${server.url}${compat}/Messages/${m.sid}`,
      number_of_segments: 1,
      charge: 0.005,
      charge_details: [{ description: 'Outbound SMS', charge: 0.005 }],
      error_code: null,
    });
    const listed = await server.api('/api/messaging/logs?page_size=100');
    expect(listed.body.data.map((x: any) => x.id)).toContain(m.sid);
  });

  it('shows messages sent natively and received messages through the Compatibility API', async () => {
    const sent = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: '+15557700002', body: 'native to compat', media: ['https://cdn.example.com/n.jpg'] } });
    expect(sent.status).toBe(201);
    const fetched = await eventually(async () => {
      const r = await server.api(`${compat}/Messages/${sent.body.id}.json`);
      // An MMS ends delivered like an SMS (simulator.mmsReceipts defaults to true).
      return r.body.status === 'delivered' ? r.body : undefined;
    });
    expect(fetched).toMatchObject({ sid: sent.body.id, status: 'delivered', direction: 'outbound-api', num_media: 1, num_segments: 1, price: 0.005, price_unit: 'USD', body: 'native to compat', messaging_service_sid: null });
    const media = await server.api(`${compat}/Messages/${sent.body.id}/Media.json`);
    expect(media.body.media_list).toHaveLength(1);

    const inbound = await server.api('/api/simulator/inbound', { body: { from: '+15557700003', to: NUMBERS[1], body: 'a phone writes' } });
    const seen = await server.api(`${compat}/Messages.json?From=${encodeURIComponent('+15557700003')}`);
    expect(seen.body.messages).toHaveLength(1);
    expect(seen.body.messages[0]).toMatchObject({ sid: inbound.body.id, direction: 'inbound', status: 'received', price: null });
    // A received message's date_sent is when it came in (Twilio's definition of the field for an incoming message).
    expect(seen.body.messages[0].date_sent).toBe(seen.body.messages[0].date_created);
    // Exactly the documented keys: paging keys plus one record key.
    expect(Object.keys(seen.body).sort()).toEqual(['end', 'first_page_uri', 'messages', 'next_page_uri', 'page', 'page_size', 'previous_page_uri', 'start', 'uri']);
    expect(seen.body.messages[0].date_created).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
  });

  it('reports the in-progress state as sending and redactions on both sides', async () => {
    const sent = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: '+15557700004', body: 'redact me natively' } });
    await eventually(async () => ((await server.api(`/api/messaging/logs/${sent.body.id}`)).body.status === 'delivered' ? true : undefined));
    const patched = await server.api(`/api/messaging/messages/${sent.body.id}`, { method: 'PATCH', body: { body: '' } });
    expect(patched.status).toBe(200);
    expect((await server.api(`${compat}/Messages/${sent.body.id}.json`)).body.body).toBe('');
    const events = await server.store.events.listForMessage(PROJECT_ID, sent.body.id);
    expect(events.map((e) => e.status)).toContain('initiated');
  });

  it('hides a message deleted through the Compatibility API from every surface, and answers 404 to redacting or canceling it', async () => {
    const to = '+15557700005';
    const sent = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to, body: 'delete me' } });
    const id = sent.body.id as string;
    await eventually(async () => ((await server.api(`/api/messaging/logs/${id}`)).body.status === 'delivered' ? true : undefined));
    expect((await server.api(`${compat}/Messages/${id}.json`, { method: 'DELETE' })).status).toBe(204);

    expect((await server.api(`${compat}/Messages/${id}.json`)).status).toBe(404);
    expect((await server.api(`/api/messaging/logs/${id}`)).status).toBe(404);
    const logs = await server.api('/api/messaging/logs?page_size=1000');
    expect(logs.body.data.map((x: any) => x.id)).not.toContain(id);
    // The documented way back: include_deleted=true (the list, and one log as our extension).
    expect((await server.api('/api/messaging/logs?page_size=1000&include_deleted=true')).body.data.map((x: any) => x.id)).toContain(id);
    expect((await server.api(`/api/messaging/logs/${id}?include_deleted=true`)).body).toMatchObject({ id, status: 'delivered' });

    const redact = await server.api(`/api/messaging/messages/${id}`, { method: 'PATCH', body: { body: '' } });
    expect(redact.status).toBe(404);
    expect(redact.body).toMatchObject({ error: 'Not Found' });
    const cancel = await server.api(`/api/messaging/messages/${id}`, { method: 'PATCH', body: { status: 'canceled' } });
    expect(cancel.status).toBe(404);
    expect(cancel.body).toMatchObject({ error: 'Not Found' });
    expect((await server.api(`${compat}/Messages/${id}.json`, { body: new URLSearchParams({ Status: 'canceled' }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status).toBe(404);
    expect((await server.store.messages.get(PROJECT_ID, id))?.body).toBe('delete me');

    const console = await loginAs(server, PROJECT_ID, API_TOKEN);
    expect((await console.call(`/api/console/messages/${id}`)).status).toBe(404);
    expect((await console.call(`/api/console/messages?number=${encodeURIComponent(to)}`)).body.data).toEqual([]);
    expect((await console.call(`/api/console/messages/${id}?include_deleted=true`)).body.message).toMatchObject({ id, deleted: true });
    // Its thread had only this message: no conversation shows it.
    const threads = await console.call(`/api/console/conversations?ours=${encodeURIComponent(NUMBERS[0]!)}`);
    expect(threads.status).toBe(200);
    expect(threads.body.data.map((t: any) => t.other)).not.toContain(to);
  });
});

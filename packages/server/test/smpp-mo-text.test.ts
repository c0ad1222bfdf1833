/**
 * Text a carrier delivers enters like text from any surface: a NUL or a lone UTF-16 surrogate in a
 * mobile-originated message becomes U+FFFD (domain/clean-text.ts). An SMSC's UCS-2 short message
 * can carry both (octets `00 00`, or half of a surrogate pair such as `D8 3D` alone), and Latin-1 a
 * NUL: the body was kept as decoded, so SQLite stored the NUL where PostgreSQL stored a U+FFFD, a
 * lone surrogate came back from SQLite as three U+FFFD (its UTF-8 form is three invalid octets) and
 * from PostgreSQL as one, and the message's events and webhook carried the NUL on either database.
 * The text is cleaned once the message is whole: a surrogate pair split across two parts stays.
 */
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ShortMessagePdu } from '../src/carriers/smpp/pdu/codec.js';
import { encodePdu } from '../src/carriers/smpp/pdu/codec.js';
import { closeSmscs, smscServer } from './helpers/scripted-smsc.js';
import { eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js';

let server: TestServer;
let receiver: WebhookReceiver;
let bound: Socket | undefined;
let sequence = 100;

beforeAll(async () => {
  const port = await smscServer((pdu, reply, socket) => {
    if (pdu.command.startsWith('bind_')) {
      bound = socket;
      reply({ command: `${pdu.command}_resp` as 'bind_transceiver_resp', sequence: pdu.sequence, status: 0, systemId: 'SMSC', tlvs: [] });
    } else if (pdu.command === 'enquire_link') reply({ command: 'enquire_link_resp', sequence: pdu.sequence, status: 0 });
    else if (pdu.command === 'unbind') reply({ command: 'unbind_resp', sequence: pdu.sequence, status: 0 });
  });
  server = await startTestServer(
    {},
    {
      file: {
        smpp: {
          connectors: [{ id: 'smsc', host: '127.0.0.1', port, systemId: 'sw', password: 'pw', throughput: 0, reconnectMinMs: 50, reconnectMaxMs: 200 }],
          routes: [{ prefix: '+44', connector: 'smsc' }],
        },
      },
    },
  );
  await eventually(() => bound, 5000, 'the bind');
  // The number's inbound messages also go to a cXML webhook, which shows the text as it was handed over.
  receiver = await startWebhookReceiver();
  const numbers = await server.api('/api/relay/rest/phone_numbers');
  const id = numbers.body.data.find((n: { number: string }) => n.number === NUMBERS[0]).id as string;
  const put = await server.api(`/api/relay/rest/phone_numbers/${id}`, { method: 'PUT', body: { message_handler: 'laml_webhooks', message_request_url: `${receiver.url}/sms`, message_request_method: 'POST' } });
  expect(put.status, put.text).toBe(200);
});
afterAll(async () => {
  await receiver?.close();
  await server?.stop();
  await closeSmscs();
});

/** A mobile-originated deliver_sm from `from` (digits) to the project's first number. */
function mo(from: string, dataCoding: number, shortMessage: Buffer, esmClass = 0): ShortMessagePdu {
  return {
    command: 'deliver_sm', sequence: ++sequence, status: 0, serviceType: '', source: { ton: 1, npi: 1, addr: from }, destination: { ton: 1, npi: 1, addr: NUMBERS[0]!.slice(1) },
    esmClass, protocolId: 0, priorityFlag: 0, scheduleDeliveryTime: '', validityPeriod: '', registeredDelivery: 0, replaceIfPresent: 0, dataCoding, smDefaultMsgId: 0,
    shortMessage, tlvs: [],
  };
}

async function inboundBody(from: string): Promise<string> {
  const list = await eventually(async () => {
    const r = await server.api(`/api/messaging/logs?from=${encodeURIComponent(`+${from}`)}&direction=inbound`);
    return r.body.data?.length ? r.body.data : undefined;
  }, 10_000, `the MO from +${from}`);
  const m = await server.api(`/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Messages/${list[0].id}.json`);
  return m.body.body as string;
}

describe('text of mobile-originated messages from an SMPP carrier', () => {
  it.each([
    ['UCS-2 with a NUL', '447700900101', 0x08, Buffer.from([0x00, 0x61, 0x00, 0x00, 0x00, 0x62]), 'a\uFFFDb'],
    ['UCS-2 with a lone surrogate', '447700900102', 0x08, Buffer.from([0x00, 0x61, 0xd8, 0x3d, 0x00, 0x62]), 'a\uFFFDb'],
    ['Latin-1 with a NUL', '447700900103', 0x03, Buffer.from([0x61, 0x00, 0x62]), 'a\uFFFDb'],
  ])('keeps %s as U+FFFD', async (_what, from, dataCoding, bytes, expected) => {
    bound!.write(encodePdu(mo(from, dataCoding, bytes)));
    expect(await inboundBody(from)).toBe(expected);
    const [hook] = await receiver.waitFor(1, 10_000, (r) => r.form?.get('From') === `+${from}`);
    expect(hook!.form!.get('Body')).toBe(expected);
  });

  it('keeps a surrogate pair split across two UCS-2 parts whole', async () => {
    // 😀 is D83D DE00: the first part ends with its high half, the second starts with its low half.
    const udh = (seq: number) => Buffer.from([0x05, 0x00, 0x03, 0x2a, 0x02, seq]);
    bound!.write(encodePdu(mo('447700900104', 0x08, Buffer.concat([udh(1), Buffer.from([0x00, 0x61, 0xd8, 0x3d])]), 0x40)));
    bound!.write(encodePdu(mo('447700900104', 0x08, Buffer.concat([udh(2), Buffer.from([0xde, 0x00, 0x00, 0x62])]), 0x40)));
    expect(await inboundBody('447700900104')).toBe('a\u{1F600}b');
  });
});

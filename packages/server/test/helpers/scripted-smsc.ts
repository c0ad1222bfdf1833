/**
 * SMSCs for tests: a few lines of `net` server on loopback that read SMPP PDUs and answer as the
 * test scripts them. `smscServer` answers nothing by itself; `scriptedSmsc` binds, answers
 * enquire_link and unbind, accepts every submit_sm unless told otherwise, and sends receipts on
 * request. Call `closeSmscs` after each test (it destroys their sockets and closes them).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { decodePdu, encodePdu, type Pdu, type ShortMessagePdu } from '../../src/carriers/smpp/pdu/codec.js';
import { PduFramer } from '../../src/carriers/smpp/pdu/framer.js';

export type Reply = (p: Pdu) => void;

const servers: Server[] = [];
const sockets = new Set<Socket>();

/** Destroy every socket of the SMSCs started here, and close them. */
export async function closeSmscs(): Promise<void> {
  for (const s of sockets) s.destroy();
  sockets.clear();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
}

/** An SMSC that runs `onPdu` for each PDU it reads, and nothing else; resolves with its port. */
export async function smscServer(onPdu: (pdu: Pdu, reply: Reply, socket: Socket) => void): Promise<number> {
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    const framer = new PduFramer();
    socket.on('data', (chunk) => {
      for (const f of framer.push(chunk).frames) {
        const r = decodePdu(f);
        if (r.ok) onPdu(r.pdu, (p) => socket.destroyed || socket.write(encodePdu(p)), socket);
      }
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

/** What a scripted SMSC does where the defaults will not do. */
export interface SmscScript {
  /** The command_status each bind is answered with (0, bound, unless given). */
  bindStatus?(): number;
  /** Each submit_sm; unless given, it is accepted at once. `accept` answers it accepted as `S1`, `S2`… */
  submit?(pdu: Pdu, accept: () => void, reply: Reply): void;
}

export interface ScriptedSmsc {
  readonly port: number;
  /** submit_sm answered accepted so far. */
  readonly accepted: number;
  /** Send a final "delivered" receipt for `id` (with `text` as its text, if given) on the last bind; resolves with the command_status it was answered. */
  receipt(id: string, text?: string): Promise<number>;
}

/** A final "delivered" receipt (deliver_sm) for the carrier id `id`. */
export function deliveredReceipt(id: string, sequence = 1, text?: string): ShortMessagePdu {
  return {
    command: 'deliver_sm', sequence, status: 0, serviceType: '', source: { ton: 1, npi: 1, addr: '447700900001' }, destination: { ton: 1, npi: 1, addr: '15551230001' },
    esmClass: 0x04, protocolId: 0, priorityFlag: 0, scheduleDeliveryTime: '', validityPeriod: '', registeredDelivery: 0, replaceIfPresent: 0, dataCoding: 0, smDefaultMsgId: 0,
    shortMessage: Buffer.from(text ?? `id:${id} sub:001 dlvrd:001 submit date:2401011200 done date:2401011201 stat:DELIVRD err:000 text:`, 'latin1'), tlvs: [],
  };
}

/** An SMSC that binds, answers enquire_link and unbind, and takes submit_sm as `script` says (accepts them by default). */
export async function scriptedSmsc(script: SmscScript = {}): Promise<ScriptedSmsc> {
  let accepted = 0;
  let bound: Socket | undefined;
  let sequence = 1000;
  const answers = new Map<number, (status: number) => void>();
  const port = await smscServer((pdu, reply, socket) => {
    if (pdu.command.startsWith('bind_')) {
      const status = script.bindStatus?.() ?? 0;
      if (status === 0) bound = socket;
      reply({ command: `${pdu.command}_resp` as 'bind_transceiver_resp', sequence: pdu.sequence, status, systemId: 'SMSC', tlvs: [] });
    } else if (pdu.command === 'enquire_link') reply({ command: 'enquire_link_resp', sequence: pdu.sequence, status: 0 });
    else if (pdu.command === 'unbind') reply({ command: 'unbind_resp', sequence: pdu.sequence, status: 0 });
    else if (pdu.command === 'submit_sm') {
      const accept = () => reply({ command: 'submit_sm_resp', sequence: pdu.sequence, status: 0, messageId: `S${++accepted}`, tlvs: [] });
      if (script.submit) script.submit(pdu, accept, reply);
      else accept();
    } else if (pdu.command === 'deliver_sm_resp') answers.get(pdu.sequence)?.(pdu.status);
  });
  return {
    port,
    get accepted() {
      return accepted;
    },
    receipt(id: string, text?: string): Promise<number> {
      const seq = ++sequence;
      if (!bound || bound.destroyed) return Promise.reject(new Error(`no bind to send the receipt for ${id} on`));
      const socket = bound;
      return new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for the answer to the receipt for ${id}`)), 10_000);
        answers.set(seq, (status) => {
          clearTimeout(timer);
          resolve(status);
        });
        socket.write(encodePdu(deliveredReceipt(id, seq, text)));
      });
    },
  };
}

/**
 * The simulator's SMSC keeps its connection slots for ESMEs that bind: silent or unbound sockets
 * give theirs back (real sockets on loopback, deadlines shortened).
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { decodePdu, encodePdu } from '../../smpp/pdu/codec.js';
import { PduFramer } from '../../smpp/pdu/framer.js';
import { SimulatorSmsc } from './smsc-server.js';

let smsc: SimulatorSmsc | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await smsc?.stop();
});

async function start(settings: { bindDeadlineMs: number; idleTimeoutMs: number }): Promise<SimulatorSmsc> {
  smsc = new SimulatorSmsc(
    { host: '127.0.0.1', port: 0, systemId: 'switchboard', password: 'secret', maxBinds: 2, submitIdFormat: 'decimal', receiptIdFormat: 'decimal', ...settings },
    { rules: { getSettings: () => ({ delayMs: 0, delayedReceiptMs: 0, rules: [] }) }, logger: { info() {}, warn() {}, error() {} }, now: Date.now },
  );
  await smsc.start();
  return smsc;
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
    sockets.push(s);
  });
}

function closed(s: Socket): Promise<void> {
  return new Promise((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve())));
}

/** Bind as a transceiver on a new connection; resolves with the answer's command_status, or null if the connection closed unanswered. */
async function bindStatus(port: number): Promise<number | null> {
  const s = await open(port);
  const framer = new PduFramer();
  return new Promise((resolve) => {
    s.on('data', (chunk) => {
      for (const f of framer.push(chunk).frames) {
        const r = decodePdu(f);
        if (r.ok && r.pdu.command === 'bind_transceiver_resp') resolve(r.pdu.status);
      }
    });
    s.on('close', () => resolve(null));
    s.write(encodePdu({ command: 'bind_transceiver', sequence: 1, status: 0, systemId: 'switchboard', password: 'secret', systemType: '', interfaceVersion: 0x34, addrTon: 0, addrNpi: 0, addressRange: '' }));
  });
}

describe('connection slots of the simulator SMSC', () => {
  it('closes connections that never bind, so silent sockets cannot lock ESMEs out', async () => {
    const { port } = await start({ bindDeadlineMs: 300, idleTimeoutMs: 60_000 });
    // maxBinds + 4 = 6 slots, all taken by sockets that say nothing.
    const silent = await Promise.all(Array.from({ length: 6 }, () => open(port)));
    await Promise.all(silent.map(closed));
    expect(await bindStatus(port)).toBe(0);
  });

  it('closes a bound connection that stays silent past the idle timeout', async () => {
    const { port } = await start({ bindDeadlineMs: 60_000, idleTimeoutMs: 300 });
    expect(await bindStatus(port)).toBe(0);
    expect(smsc!.binds()).toHaveLength(1);
    await closed(sockets.at(-1)!);
    expect(smsc!.binds()).toEqual([]);
  });
});

/**
 * One ESME connection of the simulator's SMSC over a stand-in socket whose write backlog the test
 * sets: an ESME that sends requests and never reads the answers stops being read, instead of
 * making the SMSC hold every answer; and a data_sm, which the SMSC does not take, is refused as such.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { SmscStats } from '../../../domain/ports/simulator.js';
import { decodePdu, encodePdu } from '../../smpp/pdu/codec.js';
import { STATUS } from '../../smpp/pdu/constants.js';
import { SmscConnection, WRITE_HIGH_WATER, type ConnectionHost } from './smsc-connection.js';

class FakeSocket extends EventEmitter {
  readonly remoteAddress = '127.0.0.1';
  readonly written: Buffer[] = [];
  writableLength = 0;
  paused = false;
  destroyed = false;
  setNoDelay(): void {}
  setTimeout(): void {}
  write(b: Buffer): boolean {
    this.written.push(b);
    return true;
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
  end(): void {}
  destroy(): void {
    this.destroyed = true;
  }
}

function host(): ConnectionHost & { rooms: number } {
  const stats = { protocolErrors: 0 } as SmscStats;
  const h = {
    stats,
    rooms: 0,
    authorise: () => ({ status: 0, delayMs: 0, close: false }),
    later: () => {},
    bound: () => {},
    submit: () => {},
    query: () => {},
    delivered: () => {},
    redeliver: () => {},
    room: () => void h.rooms++,
    closed: () => {},
  };
  return h;
}

const enquire = (sequence: number) => encodePdu({ command: 'enquire_link', sequence, status: 0 });

describe('an SMSC connection whose ESME does not read', () => {
  it('stops reading while its answers back up, and reads on once they drained', () => {
    const socket = new FakeSocket();
    const h = host();
    const c = new SmscConnection(socket as unknown as Socket, h, { bindMs: 60_000, idleMs: 60_000 });
    socket.emit('data', encodePdu({ command: 'bind_transceiver', sequence: 1, status: 0, systemId: 'a', password: 'b', systemType: '', interfaceVersion: 0x34, addrTon: 0, addrNpi: 0, addressRange: '' }));
    expect(c.hasDeliverRoom).toBe(true);
    socket.emit('data', enquire(2));
    expect(socket.paused).toBe(false);

    // The kernel took nothing for a while: the backlog passes the high-water mark.
    socket.writableLength = WRITE_HIGH_WATER + 1;
    socket.emit('data', Buffer.concat([enquire(3), enquire(4)]));
    expect(socket.paused).toBe(true);
    // What was read is still answered, but no deliver_sm is put behind the backlog.
    expect(socket.written.map((b) => decodePdu(b)).map((r) => r.ok && r.pdu.sequence)).toEqual([1, 2, 3, 4]);
    expect(c.hasDeliverRoom).toBe(false);

    socket.writableLength = 0;
    socket.emit('drain');
    expect(socket.paused).toBe(false);
    expect(c.hasDeliverRoom).toBe(true);
    expect(h.rooms).toBe(1);
  });
});

describe('a data_sm to the SMSC', () => {
  it('is answered ESME_RINVCMDID once bound (not supported, not to be retried), ESME_RINVBNDSTS before', () => {
    const socket = new FakeSocket();
    new SmscConnection(socket as unknown as Socket, host(), { bindMs: 60_000, idleMs: 60_000 });
    const dataSm = (sequence: number) =>
      encodePdu({ command: 'data_sm', sequence, status: 0, serviceType: '', source: { ton: 1, npi: 1, addr: '15557650001' }, destination: { ton: 1, npi: 1, addr: '15557650002' }, esmClass: 0, registeredDelivery: 0, dataCoding: 0, tlvs: [] });
    socket.emit('data', dataSm(1));
    socket.emit('data', encodePdu({ command: 'bind_transceiver', sequence: 2, status: 0, systemId: 'a', password: 'b', systemType: '', interfaceVersion: 0x34, addrTon: 0, addrNpi: 0, addressRange: '' }));
    socket.emit('data', dataSm(3));
    const answers = socket.written.map((b) => decodePdu(b)).map((r) => r.ok && [r.pdu.command, r.pdu.sequence, r.pdu.status]);
    expect(answers).toEqual([['data_sm_resp', 1, STATUS.ESME_RINVBNDSTS], ['bind_transceiver_resp', 2, 0], ['data_sm_resp', 3, STATUS.ESME_RINVCMDID]]);
  });
});

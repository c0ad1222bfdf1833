/**
 * Seeded black-box fuzzer of SMPP, both ways. (1) As an ESME against the simulator's SMSC: binds
 * with odd credentials and versions, then malformed PDUs — command_length under 16, over the frame
 * cap, or lying about the body; unknown command ids; submit_sm/data_sm/query_sm with missing NULs,
 * over-long addresses, sm_length past the body, every data_coding and esm_class, a UDH that
 * overruns, TLVs that overrun or repeat, 64 KB message_payload; responses nobody asked for; random
 * bytes. (2) As an SMSC that the server's own SMPP connector binds to (configured to this script's
 * listener): deliver_sm and data_sm MOs and receipts built the same odd ways. Every request PDU with
 * a readable header must be answered with its sequence number (or the connection closed after a
 * framing error), never ESME_RSYSERR, by its own response where that side takes the command (generic_nack
 * only for one it does not); the server must stay healthy (/health, /api/simulator/smsc,
 * /api/ops/carriers, the message list) with its RSS bounded. Loopback; bounded in connections and
 * time. `npm run build && node scripts/fuzz/smpp.mjs [seed] [connections]`. Not part of the test suite.
 */
import { createServer, connect } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUTH, FROM, sleep } from '../../bench/lib/bench-server.mjs';
import { freePorts, fuzzRun, printDistinct, startFuzzServer } from './lib.mjs';

const { seed, size: connections, deadline, random, pick } = fuzzRun({ size: 60, seconds: 150 });
const [port, httpsPort, smscPort, fakePort] = await freePorts(4);
const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-fuzz-'));
const configPath = join(dataDir, 'switchboard.json');
writeFileSync(configPath, JSON.stringify({ smpp: { connectors: [{ id: 'fuzz-smsc', host: '127.0.0.1', port: fakePort, systemId: 'fuzz', password: 'pw', bindMode: 'transceiver', binds: 1, window: 10 }], routes: [{ prefix: '+4477', connector: 'fuzz-smsc' }] } }));

// --- PDU bytes -------------------------------------------------------------------------------------
const ID = { generic_nack: 0x80000000, bind_receiver: 1, bind_transmitter: 2, query_sm: 3, submit_sm: 4, deliver_sm: 5, unbind: 6, bind_transceiver: 9, enquire_link: 0x15, data_sm: 0x103, deliver_sm_resp: 0x80000005, submit_sm_resp: 0x80000004, bind_transceiver_resp: 0x80000009, enquire_link_resp: 0x80000015, data_sm_resp: 0x80000103, unbind_resp: 0x80000006 };
const cstr = (s) => Buffer.concat([Buffer.from(s, 'latin1'), Buffer.from([0])]);
const u8 = (n) => Buffer.from([n & 0xff]);
function header(cmd, status, seq, bodyLength, lie = 0) {
  const h = Buffer.alloc(16);
  h.writeUInt32BE((16 + bodyLength + lie) >>> 0, 0);
  h.writeUInt32BE(cmd >>> 0, 4);
  h.writeUInt32BE(status >>> 0, 8);
  h.writeUInt32BE(seq >>> 0, 12);
  return h;
}
const pdu = (cmd, seq, body = Buffer.alloc(0), status = 0) => Buffer.concat([header(cmd, status, seq, body.length), body]);
function tlv(tag, value) {
  const h = Buffer.alloc(4);
  h.writeUInt16BE(tag, 0);
  h.writeUInt16BE(value.length & 0xffff, 2);
  return Buffer.concat([h, value]);
}
const bytes = (n) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
const u16 = (n) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n & 0xffff);
  return b;
};

/** An address: usually readable, sometimes odd (too long, no NUL, not digits). */
function address(good) {
  const r = random();
  if (r < 0.6) return Buffer.concat([u8(pick([1, 1, 0, 2, 5, 7])), u8(pick([1, 1, 0, 9])), cstr(good)]);
  if (r < 0.7) return Buffer.concat([u8(1), u8(1), cstr('9'.repeat(pick([21, 22, 65, 300])))]);
  if (r < 0.8) return Buffer.concat([u8(1), u8(1), Buffer.from(good, 'latin1')]); // no NUL
  return Buffer.concat([u8(pick([0, 5, 0xff])), u8(pick([0, 0xff])), cstr(pick(['', 'Alpha Name', '\u00e9\u00ff', '+', '00447700900123', '%00']))]);
}
/** short_message: text, bytes or a UDH (sometimes overrunning), with sm_length true or not. */
function shortMessage(esm) {
  let sm;
  const r = random();
  if (esm & 0x40) sm = random() < 0.5 ? Buffer.concat([Buffer.from([5, 0, 3, Math.floor(random() * 256), pick([0, 1, 2, 255]), pick([0, 1, 2, 3, 255])]), Buffer.from('part')]) : Buffer.concat([u8(pick([0, 200, 255])), bytes(pick([0, 3, 10]))]);
  else if (r < 0.5) sm = Buffer.from(pick(['hello', 'STOP', 'HELP', 'id:abc sub:001 dlvrd:001 submit date:2601011200 done date:2601011201 stat:DELIVRD err:000 text:x', 'id: stat: err:', 'café', '😀'.repeat(20)]), pick(['latin1', 'utf8', 'utf16le']));
  else sm = bytes(Math.floor(random() * 255));
  const len = random() < 0.85 ? sm.length : pick([0, 255, sm.length + 1, 254]);
  return Buffer.concat([u8(len), sm]);
}
function tlvs() {
  const out = [];
  const n = Math.floor(random() * 4);
  for (let i = 0; i < n; i++) {
    const r = random();
    if (r < 0.2) out.push(tlv(0x0424, bytes(pick([0, 1, 255, 4000, 64_000])))); // message_payload
    else if (r < 0.4) out.push(tlv(0x020c, u16(Math.floor(random() * 65536))), tlv(0x020e, u8(pick([0, 1, 2, 255]))), tlv(0x020f, u8(pick([0, 1, 2, 3, 255])))); // sar
    else if (r < 0.5) out.push(tlv(0x001e, cstr(pick(['', 'abc', 'ff'.repeat(40), '\u00ff'])))); // receipted_message_id
    else if (r < 0.6) out.push(tlv(0x0427, u8(pick([0, 2, 5, 8, 255])))); // message_state
    else if (r < 0.7) out.push(Buffer.from([0x04, 0x24, 0xff, 0xff, 1, 2])); // overruns the PDU
    else if (r < 0.8) out.push(Buffer.from([0x02, 0x0c])); // half a TLV header
    else out.push(tlv(Math.floor(random() * 65536), bytes(Math.floor(random() * 20))));
  }
  return Buffer.concat(out);
}
/** submit_sm or deliver_sm body (same layout). */
function smBody(src, dst) {
  const esm = pick([0, 0, 0x04, 0x08, 0x20, 0x40, 0x43, 0xff]);
  return Buffer.concat([cstr(pick(['', '', 'CMT', 'x'.repeat(10)])), address(src), address(dst), u8(esm), u8(pick([0, 0x40, 0xff])), u8(pick([0, 3, 9])), cstr(pick(['', '', '000001000000000R', 'junk', '2601011200000+'])), cstr(pick(['', '', '000001000000000R', '9'.repeat(20)])), u8(pick([0, 1, 0x11, 0xff])), u8(pick([0, 1, 2])), u8(Math.floor(random() * 256)), u8(0), shortMessage(esm), tlvs()]);
}
function dataSmBody(src, dst) {
  return Buffer.concat([cstr(''), address(src), address(dst), u8(pick([0, 0x04, 0x40])), u8(pick([0, 1])), u8(Math.floor(random() * 256)), tlvs()]);
}
/** The largest PDU either side frames (DEFAULT_MAX_FRAME): a longer one is a framing error, the connection closed. */
const MAX_FRAME = 70_000;
/** One odd PDU (request or stray response) with `seq`; `expect` an answer when a well-framed request. */
function oddPdu(seq, kind) {
  const p = oddPduOf(seq, kind);
  return p.bytes.length > MAX_FRAME ? { ...p, expect: false, framing: true } : p;
}
function oddPduOf(seq, kind) {
  const r = random();
  const [src, dst] = kind === 'esme' ? ['+15557650001', pick(['+15557650002', '+447700900123'])] : ['+447700900123', pick([FROM, '+15551230009', FROM])];
  const main = kind === 'esme' ? ID.submit_sm : ID.deliver_sm;
  if (r < 0.45) return { bytes: pdu(main, seq, smBody(src, dst)), expect: true };
  if (r < 0.55) return { bytes: pdu(ID.data_sm, seq, dataSmBody(src, dst)), expect: true };
  if (r < 0.6) return { bytes: pdu(ID.query_sm, seq, Buffer.concat([cstr(pick(['', 'x'.repeat(70), '1'])), address(src)])), expect: true };
  if (r < 0.65) return { bytes: pdu(ID.enquire_link, seq, random() < 0.7 ? Buffer.alloc(0) : bytes(5)), expect: true };
  if (r < 0.72) return { bytes: pdu(Math.floor(random() * 0x7fffffff) | 0x100, seq, bytes(Math.floor(random() * 30))), expect: true };
  if (r < 0.8) return { bytes: pdu(pick([ID.deliver_sm_resp, ID.submit_sm_resp, ID.generic_nack, ID.enquire_link_resp, ID.data_sm_resp, ID.bind_transceiver_resp]), seq, random() < 0.5 ? Buffer.alloc(0) : cstr('zz')), expect: false };
  if (r < 0.85) return { bytes: pdu(pick([ID.bind_transceiver, ID.bind_transmitter]), seq, Buffer.concat([cstr('switchboard'), cstr('secret'), cstr(''), u8(0x34), u8(0), u8(0), cstr('')])), expect: true };
  if (r < 0.9) {
    // A body shorter than the header says (the rest arrives never), or longer: framing errors.
    const body = smBody(src, dst);
    return { bytes: Buffer.concat([header(main, 0, seq, body.length, pick([-3, 5, 1])), body]), expect: false, framing: true };
  }
  if (r < 0.95) return { bytes: Buffer.concat([header(main, 0, seq, 0, pick([-16, -1, 70_000, 0x7fffffff])), bytes(8)]), expect: false, framing: true };
  return { bytes: bytes(Math.floor(random() * 64)), expect: false, framing: true };
}

/**
 * Whether `answerCmd` is the right kind of answer to the request `sent` at `side`: its own response
 * for a command that side takes (even when a field is bad), generic_nack only for one it does not
 * (v3.4 §4.3 keeps generic_nack for a header it cannot read; an ESME takes no bind or query_sm).
 */
const TAKEN = {
  smsc: new Set([ID.bind_receiver, ID.bind_transmitter, ID.bind_transceiver, ID.query_sm, ID.submit_sm, ID.deliver_sm, ID.unbind, ID.enquire_link, ID.data_sm]),
  connector: new Set([ID.deliver_sm, ID.unbind, ID.enquire_link, ID.data_sm]),
};
function answerShapeOk(side, sent, answerCmd) {
  const cmd = sent.readUInt32BE(4);
  return TAKEN[side].has(cmd) ? answerCmd === (cmd | 0x80000000) >>> 0 : answerCmd === ID.generic_nack;
}

/** Reads PDUs off a socket: calls `onPdu({cmd, status, seq, body})`. */
function reader(socket, onPdu) {
  let buf = Buffer.alloc(0);
  socket.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 16) {
      const len = buf.readUInt32BE(0);
      if (len < 16 || buf.length < len) break;
      onPdu({ cmd: buf.readUInt32BE(4), status: buf.readUInt32BE(8), seq: buf.readUInt32BE(12), body: buf.subarray(16, len) });
      buf = buf.subarray(len);
    }
  });
}

const failures = [];
const tally = { esmeConnections: 0, esmePdus: 0, answered: 0, moPdus: 0, moAnswered: 0, closedAfterFraming: 0 };

// --- (2) the SMSC the server's connector binds to --------------------------------------------------
let moSeq = 1;
const moPending = new Map();
const fake = createServer((socket) => {
  let bound = false;
  socket.on('error', () => {});
  reader(socket, (p) => {
    if (p.cmd === ID.bind_transceiver || p.cmd === ID.bind_transmitter || ID.bind_receiver === p.cmd) {
      socket.write(pdu(p.cmd | 0x80000000, p.seq, cstr('fake')));
      bound = true;
    } else if (p.cmd === ID.enquire_link) socket.write(pdu(ID.enquire_link_resp, p.seq));
    else if (p.cmd === ID.unbind) socket.write(pdu(ID.unbind_resp, p.seq));
    else if (p.cmd === ID.submit_sm) socket.write(pdu(ID.submit_sm_resp, p.seq, cstr(`m${p.seq}`)));
    else if (p.cmd & 0x80000000) {
      const sent = moPending.get(p.seq);
      if (sent) {
        moPending.delete(p.seq);
        tally.moAnswered++;
        if (p.status === 0x08) failures.push({ side: 'connector', note: 'ESME_RSYSERR', sent: sent.toString('hex').slice(0, 200) });
        if (!answerShapeOk('connector', sent, p.cmd)) failures.push({ side: 'connector', note: `answered with 0x${p.cmd.toString(16)}`, sent: sent.toString('hex').slice(0, 200) });
      }
    }
  });
  fake.emit('bound', socket, () => bound);
});
await new Promise((r) => fake.listen(fakePort, '127.0.0.1', r));
let connectorSocket = null;
fake.on('bound', (s) => {
  connectorSocket = s;
});

const { server, rss } = await startFuzzServer({
  port,
  httpsPort,
  dataDir,
  capSeconds: 600,
  env: { SWITCHBOARD_CONFIG: configPath, SWITCHBOARD_SIMULATOR_SMSC_ENABLED: 'true', SWITCHBOARD_SIMULATOR_SMSC_PORT: String(smscPort), SWITCHBOARD_SIMULATOR_SMSC_BIND_FAILURE_BURST: '100000' },
});
const rssStart = rss();
let rssMax = rssStart;
const http = (path) => fetch(`http://127.0.0.1:${port}${path}`, { headers: { authorization: AUTH } });

// --- (1) as an ESME against the simulator's SMSC ---------------------------------------------------
async function esmeConnection(k) {
  const socket = connect(smscPort, '127.0.0.1');
  socket.on('error', () => {});
  const answers = new Map();
  let closed = false;
  socket.on('close', () => {
    closed = true;
  });
  reader(socket, (p) => {
    if (p.cmd === ID.enquire_link || p.cmd === ID.deliver_sm) {
      socket.write(pdu(p.cmd | 0x80000000, p.seq)); // the SMSC's own requests: answered
      return;
    }
    answers.set(p.seq, p);
  });
  await new Promise((r) => socket.once('connect', r));
  const waitFor = async (seq, ms = 3000) => {
    for (let t = 0; t < ms && !answers.has(seq) && !closed; t += 20) await sleep(20);
    return answers.get(seq);
  };
  // Bind: usually right, sometimes odd (checked for an answer, not a success).
  const bindKind = random();
  const creds = bindKind < 0.8 ? ['switchboard', 'secret'] : pick([['switchboard', 'wrong'], ['x'.repeat(40), 'secret'], ['', ''], ['switchboard', 'secret\u0000x']]);
  const bindBody = Buffer.concat([cstr(creds[0]), cstr(creds[1]), cstr(pick(['', 'VMA', 'x'.repeat(20)])), u8(pick([0x34, 0x34, 0x33, 0x50, 0])), u8(0), u8(0), cstr(pick(['', '^1555', 'x'.repeat(50)]))]);
  socket.write(pdu(pick([ID.bind_transceiver, ID.bind_transceiver, ID.bind_transmitter, ID.bind_receiver]), 1, bindBody));
  const bind = await waitFor(1, 3000);
  if (!bind && !closed) failures.push({ side: 'smsc', k, note: 'bind not answered' });
  for (let i = 0; i < 40 && !closed && Date.now() < deadline; i++) {
    const seq = 2 + i;
    const p = oddPdu(seq, 'esme');
    tally.esmePdus++;
    socket.write(p.bytes);
    if (p.framing) {
      await sleep(50);
      if (closed) tally.closedAfterFraming++;
      break;
    }
    if (!p.expect) continue;
    const a = await waitFor(seq);
    if (!a) {
      if (!closed) failures.push({ side: 'smsc', k, note: 'not answered', sent: p.bytes.toString('hex').slice(0, 160) });
      break;
    }
    tally.answered++;
    if (a.status === 0x08) failures.push({ side: 'smsc', k, note: 'ESME_RSYSERR', sent: p.bytes.toString('hex').slice(0, 160) });
    if (!answerShapeOk('smsc', p.bytes, a.cmd)) failures.push({ side: 'smsc', k, note: `answered with 0x${a.cmd.toString(16)}`, sent: p.bytes.toString('hex').slice(0, 160) });
  }
  socket.destroy();
}

for (let k = 0; k < connections && Date.now() < deadline; k++) {
  tally.esmeConnections++;
  await esmeConnection(k).catch((err) => failures.push({ side: 'smsc', k, note: `error ${err.message}` }));
  // (2) a burst of odd MOs down the connector's bind, between ESME connections.
  if (connectorSocket && !connectorSocket.destroyed) {
    for (let i = 0; i < 20; i++) {
      const seq = moSeq++;
      const p = oddPdu(seq, 'smsc');
      if (p.framing) continue; // a framing error ends the bind; tried once at the end
      tally.moPdus++;
      if (p.expect) moPending.set(seq, p.bytes);
      connectorSocket.write(p.bytes);
    }
  }
  rssMax = Math.max(rssMax, rss());
  if (k % 10 === 9) {
    for (const path of ['/health', '/api/simulator/smsc', '/api/ops/carriers', '/api/messaging/logs?page_size=5']) {
      const r = await http(path);
      if (r.status !== 200) failures.push({ note: `${path} ${r.status}`, answer: (await r.text()).slice(0, 200) });
    }
  }
}
await sleep(3000);
if (moPending.size) failures.push({ side: 'connector', note: `${moPending.size} MO PDUs not answered`, sample: [...moPending.values()][0]?.toString('hex').slice(0, 160) });
// A framing error on the connector's bind: it closes and binds again.
if (connectorSocket) connectorSocket.write(Buffer.concat([header(ID.deliver_sm, 0, 99, 0, 0x7fffffff), bytes(8)]));
await sleep(1000);
for (const path of ['/health', '/api/simulator/smsc', '/api/ops/carriers']) {
  const r = await http(path);
  if (r.status !== 200) failures.push({ note: `end ${path} ${r.status}` });
}
console.log(JSON.stringify({ seed, ...tally, failures: failures.length, rssStartMb: Math.round(rssStart), rssMaxMb: Math.round(Math.max(rssMax, rss())) }));
printDistinct(failures, (f) => `${f.side} ${f.note} ${f.sent?.slice(0, 40)}`);
await server.stop();
fake.close();
rmSync(dataDir, { recursive: true, force: true });
process.exit(0);

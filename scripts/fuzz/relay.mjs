/**
 * Seeded black-box fuzzer of RELAY (JSON-RPC over WebSocket): malformed frames, batches (of good and
 * bad), ids of every JSON type (and as raw text: past 2^64, -0, lone surrogates), responses nobody
 * asked for, a BOM, methods named after Object.prototype, `__proto__` params, wrong params for every
 * method, binary, fragmented and oversized frames; then frames that break RFC 6455 itself (unmasked,
 * RSV bits, reserved opcodes, long or fragmented control frames, bad close frames, invalid UTF-8,
 * lengths past 2^32), each of which must end in its close code, and a ping flood. Every answer must be a
 * JSON-RPC error object of the documented codes (docs/api/relay.md), never -32603; the socket must
 * stay open except where the documentation says it closes. Over ws:// and wss://. Bounded in frames
 * and time; loopback.
 * `npm run build && node scripts/fuzz/relay.mjs [seed] [sockets]`. Not part of the test suite.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startBenchServer, PROJECT, TOKEN, FROM } from '../../bench/lib/bench-server.mjs';
import { freePorts, fuzzRun, rawExchange, rssMb } from './lib.mjs';

const { seed, size: sockets, deadline, random, pick } = fuzzRun({ size: 40, seconds: 180 });
const [port, httpsPort] = await freePorts(2);
const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-fuzz-'));
const server = await startBenchServer({ port, dataDir, capSeconds: 600, env: { SWITCHBOARD_HTTPS: 'true', SWITCHBOARD_HTTPS_PORT: String(httpsPort) } });
// Half the sockets over TLS (wss://, the HTTPS listener), as the Python SDK only connects.
const url = () => (random() < 0.5 ? `ws://127.0.0.1:${port}/` : `wss://127.0.0.1:${httpsPort}/`);
const rss = () => rssMb(server.pid);
const rssStart = rss();
let rssMax = rssStart;

// signalwire.disconnect is left out: it ends the session, as it should.
const KNOWN = new Set([-32000, -32001, -32002, -32003, -32005, -32600, -32601, -32602, -32700]);
const failures = [];
const odd = [null, true, 1, -1, 1e308, 'x', '', 'x'.repeat(300), [], {}, [1, 2], { a: { b: {} } }, '\u0000', '\ud800', '+15557650001', 'office'];
function sendParams() {
  const p = { context: 'office', from_number: FROM, to_number: '+15557650001', body: 'hi' };
  for (let i = 0; i < 1 + Math.floor(random() * 3); i++) {
    const key = pick(['context', 'from_number', 'to_number', 'body', 'media', 'tags', 'region', 'on_message_update', 'x']);
    p[key] = pick([...odd, ['https://example.com/a.png'], ['ftp://x'], Array(30).fill('t'), 'b'.repeat(2000)]);
  }
  return random() < 0.1 ? pick([[p], 'x', 1, null]) : p;
}
function frame(id) {
  const r = random();
  const method = pick(['messaging.send', 'signalwire.receive', 'signalwire.unreceive', 'signalwire.ping', 'signalwire.connect', 'nope', 'messaging.Send', '', 'signalwire.event', 'blade.execute']);
  let params;
  if (method === 'messaging.send') params = sendParams();
  else if (method.includes('receive')) params = pick([{ contexts: pick([[], ['x'.repeat(129)], Array(101).fill('c'), [1], ['a', 'a'], ['\u0000'], 'office', null, ['office']]) }, { context: pick(odd) }, [], 'x', {}]);
  else if (method === 'signalwire.ping') params = pick([{ timestamp: pick(odd) }, {}, undefined]);
  else params = pick([...odd, undefined]);
  const obj = { jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) };
  if (r < 0.05) return { text: JSON.stringify([obj, obj]), id: null };
  if (r < 0.08) return { text: JSON.stringify({ ...obj, jsonrpc: '1.0' }), id };
  if (r < 0.11) return { text: JSON.stringify({ jsonrpc: '2.0', method }), id: 'none' };
  // A member given twice: answered with id null (which of the two would it be?).
  if (r < 0.14) return { text: `{"jsonrpc":"2.0","id":"${id}","id":"${id}","method":"${method}"}`, id: 'any' };
  if (r < 0.17) return { text: '{"jsonrpc":"2.0","id":', id: null };
  if (r < 0.19) return { text: JSON.stringify({ ...obj, id: pick([1e308, -0, 1.5, 'y'.repeat(257), true, {}, [], null]) }), id: 'any' };
  if (r < 0.21) return { text: '[' .repeat(40) + ']'.repeat(40), id: null };
  // Ids as raw JSON text: past 2^64, -0, past a double, a lone surrogate escape (answered with some id).
  if (r < 0.23) return { text: `{"jsonrpc":"2.0","id":${pick(['123456789012345678901234567890', '-0', '1e400', '"\\ud800"', '"\\u0000"', '0.1e-400'])},"method":"signalwire.ping","params":{}}`, id: 'any' };
  // Responses from the client nobody asked for, or malformed: never answered with -32603.
  if (r < 0.25) return { text: pick([`{"jsonrpc":"2.0","id":"${id}","result":{}}`, `{"jsonrpc":"2.0","id":"${id}","error":5}`, `{"jsonrpc":"2.0","id":"${id}","result":{},"error":{"code":1,"message":"x"}}`, '{"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"x","data":{"__proto__":{"a":1}}}}']), id: 'none' };
  // A BOM before the JSON, a method named after Object.prototype, a batch of good and bad.
  if (r < 0.26) return { text: `\ufeff${JSON.stringify(obj)}`, id: null };
  if (r < 0.28) return { text: JSON.stringify({ jsonrpc: '2.0', id, method: pick(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'messaging.__proto__']), params: {} }), id };
  if (r < 0.29) return { text: JSON.stringify([{ jsonrpc: '2.0', id, method: 'signalwire.ping', params: {} }, 1, null]), id: null };
  if (r < 0.31) return { text: `{"jsonrpc":"2.0","id":"${id}","method":"${method}","params":{"__proto__":{"context":"office"},"constructor":{"prototype":{"body":"x"}}}}`, id };
  return { text: JSON.stringify(obj), id };
}

async function oneSocket(k) {
  const ws = new WebSocket(url(), { rejectUnauthorized: false });
  const answers = new Map();
  let closed;
  const waiting = new Set();
  ws.on('message', (data, isBinary) => {
    let f;
    try {
      f = JSON.parse(data.toString());
    } catch {
      failures.push({ k, note: 'unparseable answer', data: data.toString().slice(0, 200), isBinary });
      return;
    }
    if (f.method && f.id !== undefined) {
      ws.send(JSON.stringify({ jsonrpc: '2.0', id: f.id, result: f.method === 'signalwire.ping' ? { timestamp: f.params?.timestamp } : {} }));
      return;
    }
    if (f.method) return;
    answers.set(f.id, f);
    for (const w of waiting) w();
  });
  const closedP = new Promise((r) => ws.on('close', (code, reason) => r((closed = { code, reason: reason.toString() }))));
  await new Promise((r, j) => {
    ws.once('open', r);
    ws.once('error', j);
  });
  const waitAnswer = (id, ms = 9000) => new Promise((resolve) => {
    const done = () => {
      if (answers.has(id) || closed) {
        waiting.delete(done);
        clearTimeout(t);
        resolve(answers.get(id));
      }
    };
    const t = setTimeout(() => {
      waiting.delete(done);
      resolve(undefined);
    }, ms);
    waiting.add(done);
    done();
  });
  const connectFirst = random() < 0.9;
  if (connectFirst) {
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 'c', method: 'signalwire.connect', params: { version: { major: 2, minor: 0, revision: 0 }, agent: 'fuzz', event_acks: true, authentication: { project: PROJECT, token: TOKEN }, contexts: ['office'] } }));
    const c = await waitAnswer('c');
    if (!c?.result) failures.push({ k, note: 'connect failed', c });
  }
  let invalid = 0;
  for (let i = 0; i < 60 && Date.now() < deadline && !closed; i++) {
    const id = `${k}-${i}`;
    const special = random();
    if (special < 0.04 && invalid < 80) {
      invalid++;
      ws.send(Buffer.from([0x7b, 0x00, 0xff]), { binary: true });
      const a = await waitAnswer(null, 2000);
      if (!a || a.error?.code !== -32600) failures.push({ k, note: 'binary frame answer', a });
      answers.delete(null);
      continue;
    }
    if (special < 0.07) {
      // Fragmented: one text message in three frames.
      const text = JSON.stringify({ jsonrpc: '2.0', id, method: 'signalwire.ping', params: { timestamp: 1 } });
      const third = Math.floor(text.length / 3);
      ws.send(text.slice(0, third), { fin: false });
      ws.send(text.slice(third, 2 * third), { fin: false });
      ws.send(text.slice(2 * third), { fin: true });
      const a = await waitAnswer(id);
      if (!a || (!a.result && !a.error) || a.error?.code === -32603) failures.push({ k, note: 'fragmented ping', a, closed });
      continue;
    }
    if (special < 0.09 && invalid < 80) {
      invalid++;
      ws.send(`{"jsonrpc":"2.0","id":"${id}","method":"messaging.send","params":{"body":"${'x'.repeat(300 * 1024)}"}}`);
      const a = await waitAnswer(id);
      // -32005: over the connection's or the address's bytes per second first (docs/api/relay.md).
      if (a?.error?.code !== -32600 && !(a?.error?.code === -32005 && a.error.data?.retry_after_ms >= 0)) failures.push({ k, note: 'oversized frame', a: JSON.stringify(a)?.slice(0, 300), closed });
      continue;
    }
    const f = frame(id);
    if (f.id === null || f.id === 'none' || f.id === 'any') invalid++;
    if (invalid > 90) break;
    const t0 = Date.now();
    ws.send(f.text);
    if (f.id === 'none' || f.id === 'any') {
      await new Promise((r) => setTimeout(r, 30));
      for (const [key, a] of answers) if (!String(key).startsWith(`${k}-`) && key !== 'c') {
        if (a.error && !KNOWN.has(a.error.code)) failures.push({ k, note: 'unknown code', sent: f.text.slice(0, 300), a });
        answers.delete(key);
      }
      continue;
    }
    const a = await waitAnswer(f.id);
    if (!a) {
      failures.push({ k, note: closed ? `closed ${closed.code} ${closed.reason}` : 'no answer', sent: f.text.slice(0, 300), ms: Date.now() - t0 });
      continue;
    }
    answers.delete(f.id);
    if (a.error && (!KNOWN.has(a.error.code) || typeof a.error.message !== 'string')) failures.push({ k, note: 'bad error', sent: f.text.slice(0, 300), a });
    if (!a.error && a.result === undefined) failures.push({ k, note: 'neither result nor error', sent: f.text.slice(0, 300), a });
  }
  if (!closed) {
    ws.close();
    await closedP;
  } else if (![1000, 1005, 1008].includes(closed.code)) failures.push({ k, note: `closed ${closed.code} ${closed.reason}` });
}

let done = 0;
for (let k = 0; k < sockets && Date.now() < deadline; k++) {
  await oneSocket(k).catch((err) => failures.push({ k, note: `socket error ${err.message}` }));
  done++;
  rssMax = Math.max(rssMax, rss());
}
// A frame far past the cap closes with 1009, and the server is still fine afterwards.
{
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
  await new Promise((r) => ws.once('open', r));
  const code = await new Promise((r) => {
    ws.on('close', (c) => r(c));
    ws.send('x'.repeat(2 * 1024 * 1024));
  });
  if (code !== 1009) failures.push({ note: `2 MiB frame closed with ${code}` });
}
// Frames that break the WebSocket protocol itself, written raw after the upgrade, over ws:// and
// wss://: each must end in a close frame with the code RFC 6455 gives it (1002 protocol error, 1007
// bad UTF-8, 1009 too big), never a hang; a ping flood is answered (pongs) until its byte budget.
function wsFrame(opcode, payload, { fin = true, rsv = 0, length } = {}) {
  const n = length ?? payload.length;
  const head = n < 126 ? Buffer.from([0, 0x80 | n]) : n < 65536 ? Buffer.from([0, 0x80 | 126, n >> 8, n & 255]) : Buffer.concat([Buffer.from([0, 0x80 | 127]), Buffer.from(BigInt(n).toString(16).padStart(16, '0'), 'hex')]);
  head[0] = (fin ? 0x80 : 0) | (rsv << 4) | opcode;
  const mask = Buffer.from([1, 2, 3, 4]);
  return Buffer.concat([head, mask, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]))]);
}
const UPGRADE = Buffer.from('GET / HTTP/1.1\r\nhost: x\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
const bytes = (text) => Buffer.from(text, 'latin1');
const rawCases = [
  ['unmasked', [Buffer.from([0x81, 0x02, 0x7b, 0x7d])], 1002],
  ['RSV1 without an extension', [wsFrame(1, bytes('{}'), { rsv: 4 })], 1002],
  ['reserved opcode', [wsFrame(3, bytes('{}'))], 1002],
  ['ping over 125 bytes', [wsFrame(9, bytes('x'.repeat(200)))], 1002],
  ['fragmented ping', [wsFrame(9, bytes('x'), { fin: false })], 1002],
  ['continuation first', [wsFrame(0, bytes('{}'))], 1002],
  ['text inside a fragmented text', [wsFrame(1, bytes('{"a"'), { fin: false }), wsFrame(1, bytes('{}'))], 1002],
  ['close of one byte', [wsFrame(8, bytes('\x03'))], 1002],
  ['close code 999', [wsFrame(8, bytes('\x03\xe7'))], 1002],
  ['close reason not UTF-8', [wsFrame(8, bytes('\x03\xe8\xff'))], 1007],
  ['text not UTF-8', [wsFrame(1, bytes('{"a":"\xff"}'))], 1007],
  ['length 2^63', [wsFrame(1, bytes(''), { length: 2 ** 63 })], 1009],
  ['length 2^32', [wsFrame(1, bytes(''), { length: 2 ** 32 })], 1009],
];
for (const tls of [false, true]) {
  for (const [name, frames, code] of rawCases) {
    const res = await rawExchange({ tls, port: tls ? httpsPort : port, parts: [UPGRADE, ...frames], timeoutMs: 5_000 });
    const raw = Buffer.from(res.text, 'latin1');
    const at = raw.indexOf('\r\n\r\n') + 4;
    const got = raw[at] === 0x88 ? raw.readUInt16BE(at + 2) : null;
    if (got !== code || !res.closed) failures.push({ note: `raw frame ${name}${tls ? ' (TLS)' : ''}: closed ${res.closed} with ${got}, expected ${code}` });
  }
  const flood = await rawExchange({ tls, port: tls ? httpsPort : port, parts: [UPGRADE, Buffer.concat(Array.from({ length: 5000 }, () => wsFrame(9, bytes('p'))))], timeoutMs: 8_000 });
  if (!flood.closed && !flood.text.includes('\x8a\x01p')) failures.push({ note: `ping flood${tls ? ' (TLS)' : ''}: neither answered nor closed` });
}
const health = await fetch(`http://127.0.0.1:${port}/health`);
if (health.status !== 200) failures.push({ note: `health ${health.status}` });
console.log(JSON.stringify({ seed, sockets: done, failures: failures.length, rssStartMb: Math.round(rssStart), rssMaxMb: Math.round(rssMax), rssEndMb: Math.round(rss()) }));
const seen = new Set();
for (const f of failures) {
  const key = `${f.note} ${f.a?.error?.code} ${f.sent?.slice(0, 60)}`;
  if (seen.has(key)) continue;
  seen.add(key);
  console.log(JSON.stringify(f).slice(0, 800));
}
await server.stop();
rmSync(dataDir, { recursive: true, force: true });
process.exit(0);

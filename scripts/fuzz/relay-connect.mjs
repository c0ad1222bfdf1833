/**
 * RELAY frames sent behind `signalwire.connect`, before its answer (the server holds them until it
 * is answered, docs/api/relay.md): garbage, oversized, binary, thousands of small ones, a second
 * connect, signalwire.disconnect, a close or a cut socket mid-connect, bad credentials; over ws://
 * and wss://, from 127.0.0.1 and ::1 (when the machine has it). Every answer must be JSON-RPC
 * (`{jsonrpc, id, result|error{code, message}}`, documented codes, never -32603), the connect
 * answered before the frames behind it, every request answered unless the socket was closed with
 * a documented code, a close handshake finished within seconds, and the server's RSS bounded.
 * Loopback; bounded in sockets and time; not part of the test suite.
 * `npm run build && node scripts/fuzz/relay-connect.mjs [seed] [sockets]` (FUZZ_SECONDS caps the time).
 */
import WebSocket from 'ws';
import { PROJECT, TOKEN, FROM, sleep } from '../../bench/lib/bench-server.mjs';
import { freePorts, fuzzRun, ipv6, startFuzzServer } from './lib.mjs';

const { seed, size: sockets, deadline, random, pick } = fuzzRun({ size: 600, seconds: 300 });
const [port, httpsPort] = await freePorts(2);
const { server, rss } = await startFuzzServer({ port, httpsPort, capSeconds: 900 });
const rssStart = rss();
let rssMax = rssStart;
const KNOWN = new Set([-32000, -32001, -32002, -32003, -32005, -32600, -32601, -32602, -32700]);
const CLOSES = new Set([1000, 1001, 1005, 1007, 1008, 1009, 1013, 4000]);
const failures = [];
const tally = {};

const connect = (auth = { project: PROJECT, token: TOKEN }) => JSON.stringify({ jsonrpc: '2.0', id: 'c', method: 'signalwire.connect', params: { version: { major: 2, minor: 0, revision: 0 }, agent: 'fuzz', authentication: auth, contexts: ['office'] } });
const req = (id, method, params) => JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) });
const ping = (id) => req(id, 'signalwire.ping', { timestamp: 1 });
const sendMsg = (id) => req(id, 'messaging.send', { context: 'office', from_number: FROM, to_number: '+15557650003', body: 'held' });

/** What goes behind the connect: frames (text or {binary}), the ids that must be answered, and an action after. */
const cases = {
  garbage: () => ({ frames: Array.from({ length: 30 }, () => pick(['{', 'null', '[]', '"x"', '{"jsonrpc":"2.0"}', '\u0000', '[' .repeat(60), '{"id":1,"method":5}'])), expect: [] }),
  huge: () => ({ frames: [`{"jsonrpc":"2.0","id":"h","method":"messaging.send","params":{"body":"${'x'.repeat(300 * 1024)}"}}`, ping('p')], expect: ['h', 'p'] }),
  binary: () => ({ frames: [{ binary: Buffer.from([0x7b, 0, 0xff]) }, { binary: Buffer.from(ping('b')) }, ping('p')], expect: ['p'] }),
  manySmall: () => {
    const n = pick([200, 1000, 4000]);
    return { frames: Array.from({ length: n }, (_, i) => ping(`m${i}`)), expect: Array.from({ length: n }, (_, i) => `m${i}`), mayClose: true };
  },
  sends: () => ({ frames: Array.from({ length: 40 }, (_, i) => sendMsg(`s${i}`)), expect: Array.from({ length: 40 }, (_, i) => `s${i}`) }),
  secondConnect: () => ({ frames: [connect(), ping('p')], expect: ['c', 'p'] }),
  disconnect: () => ({ frames: [req('d', 'signalwire.disconnect', {}), ping('p')], expect: ['d'], mayClose: true }),
  closeMidConnect: () => ({ frames: [ping('p'), sendMsg('s')], expect: [], after: 'close' }),
  cutMidConnect: () => ({ frames: [ping('p'), sendMsg('s')], expect: [], after: 'terminate' }),
  rawJunk: () => ({ frames: [ping('p')], expect: [], after: 'rawJunk' }),
  badToken: () => ({ frames: [ping('p'), sendMsg('s')], expect: [], auth: { project: PROJECT, token: 'PTwrong' }, mayClose: true }),
  mixed: () => ({ frames: Array.from({ length: 60 }, (_, i) => pick([ping(`x${i}`), sendMsg(`x${i}`), req(`x${i}`, 'nope'), req(`x${i}`, 'signalwire.receive', { contexts: ['b'] })])), expect: Array.from({ length: 60 }, (_, i) => `x${i}`) }),
};
// FUZZ_CASES=huge,sends: only those (to find which one a failure or growth comes from).
const names = process.env.FUZZ_CASES ? process.env.FUZZ_CASES.split(',') : Object.keys(cases).filter((n) => n !== 'badToken');

async function oneSocket(k) {
  // Bad credentials rarely: the per-address budget of failed authentications is 20 then 60 a minute.
  const name = k % 40 === 39 && !process.env.FUZZ_CASES ? 'badToken' : pick(names);
  const c = cases[name]();
  const tls = random() < 0.5;
  const host = ipv6 && random() < 0.5 ? '[::1]' : '127.0.0.1';
  const url = `${tls ? 'wss' : 'ws'}://${host}:${tls ? httpsPort : port}/`;
  tally[name] = (tally[name] ?? 0) + 1;
  const ws = new WebSocket(url, { rejectUnauthorized: false, maxPayload: 64 * 1024 * 1024 });
  const answers = new Map();
  const order = [];
  let closed;
  const closedP = new Promise((r) => ws.on('close', (code, reason) => r((closed = { code, reason: reason.toString(), at: Date.now() }))));
  ws.on('error', () => {});
  ws.on('message', (data) => {
    let f;
    try {
      f = JSON.parse(data.toString());
    } catch {
      return void failures.push({ name, url, note: 'unparseable answer', data: data.toString().slice(0, 200) });
    }
    if (f.method) {
      if (f.id !== undefined && ws.readyState === 1) ws.send(JSON.stringify({ jsonrpc: '2.0', id: f.id, result: {} }));
      return;
    }
    if (f.jsonrpc !== '2.0' || !('id' in f) || (f.result === undefined) === (f.error === undefined)) failures.push({ name, url, note: 'not JSON-RPC', f: JSON.stringify(f).slice(0, 300) });
    if (f.error && (!KNOWN.has(f.error.code) || typeof f.error.message !== 'string')) failures.push({ name, url, note: 'bad error', f: JSON.stringify(f).slice(0, 300) });
    order.push(f.id);
    if (!answers.has(f.id)) answers.set(f.id, f);
  });
  try {
    await new Promise((r, j) => {
      ws.once('open', r);
      ws.once('error', j);
    });
  } catch (err) {
    return void failures.push({ name, url, note: `open failed: ${err.message}` });
  }
  ws.send(connect(c.auth));
  for (const f of c.frames) ws.send(typeof f === 'string' ? f : f.binary, { binary: typeof f !== 'string' });
  if (c.after === 'close') ws.close();
  if (c.after === 'terminate') ws.terminate();
  // Unmasked bytes with a reserved opcode: a protocol error, the server must close.
  if (c.after === 'rawJunk') ws._socket.write(Buffer.from([0x83, 0x05, 1, 2, 3, 4, 5]));
  const until = Date.now() + 15_000;
  while (Date.now() < until && !closed && !(answers.has('c') && c.expect.every((id) => answers.has(id)))) await sleep(20);
  if (!answers.has('c') && !['closeMidConnect', 'cutMidConnect', 'rawJunk'].includes(name)) failures.push({ name, url, note: 'connect not answered', closed });
  if (answers.has('c') && order[0] !== 'c' && name !== 'garbage' && name !== 'binary') failures.push({ name, url, note: `answered before the connect: ${order.slice(0, 3)}` });
  const missing = c.expect.filter((id) => !answers.has(id));
  if (missing.length && !(closed && (c.mayClose || CLOSES.has(closed.code)))) failures.push({ name, url, note: `${missing.length} of ${c.expect.length} unanswered`, closed });
  if (name === 'badToken' && answers.get('c')?.error?.code === undefined) failures.push({ name, url, note: 'bad token connected' });
  for (const [id, a] of answers) if (id !== 'c' && name === 'badToken' && a.result) failures.push({ name, url, note: `held ${id} ran after a refused connect` });
  if (!closed) {
    const t0 = Date.now();
    ws.close();
    const timer = sleep(5000).then(() => 'timeout');
    if ((await Promise.race([closedP, timer])) === 'timeout') {
      failures.push({ name, url, note: `close handshake not finished in 5 s (${Date.now() - t0} ms)` });
      ws.terminate();
    }
  } else if (!CLOSES.has(closed.code) && !(c.after && closed.code === 1006) && !(name === 'rawJunk' && closed.code === 1002)) {
    failures.push({ name, url, note: `closed ${closed.code} ${closed.reason}` });
  }
}

/** The server's heap in use (MB), from /metrics: RSS alone does not shrink after a burst. */
const heapMb = async () => Math.round(Number(/^nodejs_heap_size_used_bytes (\S+)$/m.exec(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text())?.[1]) / 1048576);
const heapTimeline = [await heapMb()];
let done = 0;
// A few at once: held frames of one connection must not stall the others.
const PARALLEL = 6;
async function worker(w) {
  for (let k = w; k < sockets && Date.now() < deadline; k += PARALLEL) {
    await oneSocket(k).catch((err) => failures.push({ k, note: `socket error ${err.message}` }));
    done++;
    if (done % 20 === 0) rssMax = Math.max(rssMax, rss());
    if (done % 200 === 0) heapTimeline.push(await heapMb());
  }
}
await Promise.all(Array.from({ length: PARALLEL }, (_, w) => worker(w)));
await sleep(1000);
heapTimeline.push(await heapMb());
// FUZZ_SETTLE_SECONDS: wait (past relay.resumeWindowMs, 120 s, the sessions parked meanwhile are gone) and measure again.
if (process.env.FUZZ_SETTLE_SECONDS) {
  await sleep(Number(process.env.FUZZ_SETTLE_SECONDS) * 1000);
  heapTimeline.push(await heapMb());
}
const health = await fetch(`http://127.0.0.1:${port}/health`);
if (health.status !== 200) failures.push({ note: `health ${health.status}` });
const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
const open = /switchboard_relay_connections(?:\{[^}]*\})? (\d+)/.exec(metrics)?.[1];
console.log(JSON.stringify({ seed, sockets: done, ipv6, tally, failures: failures.length, relayConnectionsOpenAtEnd: open, rssStartMb: Math.round(rssStart), rssMaxMb: Math.round(rssMax), rssEndMb: Math.round(rss()), heapMbEvery200: heapTimeline }));
const seen = new Set();
for (const f of failures) {
  const key = `${f.name} ${f.note}`.replace(/\d+/g, 'N');
  if (seen.has(key)) continue;
  seen.add(key);
  console.log(JSON.stringify(f).slice(0, 800));
}
await server.stop();
process.exit(0);

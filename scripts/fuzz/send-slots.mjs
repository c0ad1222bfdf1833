/**
 * Floods one project's send slots (http.maxSendRequestsPerProject: 128 running + 128 waiting per
 * node) with native and Compatibility API sends at once, over HTTP and HTTPS, from 127.0.0.1 and
 * ::1 (when the machine has it), some clients giving up mid-request, beside RELAY sockets sending
 * too (they always wait their turn). Every answer must be a 2xx or a 429 in its surface's shape
 * (native {error, message}; compat code 20429 with message/more_info/status) with Retry-After,
 * never a 5xx or no answer; RELAY sends must all be answered. After each round, exactly
 * 128 + 128 sends at once must all be taken (a slot leaked would refuse some), and the server's
 * RSS must stay bounded. Loopback; bounded in rounds and time; not part of the test suite.
 * `npm run build && node scripts/fuzz/send-slots.mjs [seed] [rounds]` (FUZZ_SECONDS caps the time).
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import WebSocket from 'ws';
import { PROJECT, TOKEN, AUTH, FROM, sleep } from '../../bench/lib/bench-server.mjs';
import { freePorts, fuzzRun, ipv6, startFuzzServer } from './lib.mjs';

const { seed, size: rounds, deadline, random } = fuzzRun({ size: 20, seconds: 300 });
const PER_PROJECT = 128;
const hosts = ipv6 ? ['127.0.0.1', '::1'] : ['127.0.0.1'];

const [port, httpsPort] = await freePorts(2);
const { server, rss } = await startFuzzServer({ port, httpsPort, capSeconds: 900 });
const rssStart = rss();
let rssMax = rssStart;
const failures = [];
const counts = { sends: 0, ok: 0, refused: 0, aborted: 0, relaySends: 0 };

/** One send; `abortAfterMs` gives up (destroys the socket) that long after it is written. */
function sendOnce({ compat, https, host, abortAfterMs }) {
  const body = compat
    ? `To=%2B15557650001&From=${encodeURIComponent(FROM)}&Body=flood`
    : JSON.stringify({ from: FROM, to: '+15557650001', body: 'flood' });
  const path = compat ? `/api/laml/2010-04-01/Accounts/${PROJECT}/Messages.json` : '/api/messaging/messages';
  const headers = { authorization: AUTH, 'content-type': compat ? 'application/x-www-form-urlencoded' : 'application/json', 'content-length': Buffer.byteLength(body) };
  return new Promise((resolve) => {
    const req = (https ? httpsRequest : httpRequest)({ host, port: https ? httpsPort : port, method: 'POST', path, headers, agent: false, rejectUnauthorized: false, timeout: 30_000 }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString(), headers: res.headers }));
      res.on('error', (err) => resolve({ error: err.message }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', (err) => resolve({ error: err.message }));
    req.end(body);
    if (abortAfterMs !== undefined) setTimeout(() => req.destroy(new Error('aborted')), abortAfterMs);
  });
}

function check(kind, res, aborted) {
  counts.sends++;
  if (aborted && res.error) return void counts.aborted++;
  if (res.error) return void failures.push({ kind, note: res.error });
  if (res.status === 201 || res.status === 200) return void counts.ok++;
  let b;
  try {
    b = JSON.parse(res.body);
  } catch {
    return void failures.push({ kind, status: res.status, note: 'not JSON', body: res.body.slice(0, 200) });
  }
  if (res.status !== 429) return void failures.push({ kind, status: res.status, body: res.body.slice(0, 300) });
  counts.refused++;
  const shaped = kind.startsWith('compat')
    ? b.code === 20429 && typeof b.message === 'string' && typeof b.more_info === 'string' && b.status === 429
    : typeof b.error === 'string' && typeof b.message === 'string';
  if (!shaped || !res.headers['retry-after']) failures.push({ kind, status: 429, note: 'shape', body: res.body.slice(0, 300), retryAfter: res.headers['retry-after'] });
}

/** `n` sends at once, each of a random surface, scheme and address; some give up midway. */
async function burst(n, abortShare) {
  const jobs = [];
  for (let i = 0; i < n; i++) {
    const o = { compat: random() < 0.5, https: random() < 0.5, host: hosts[Math.floor(random() * hosts.length)] };
    const aborted = random() < abortShare;
    if (aborted) o.abortAfterMs = Math.floor(random() * 40);
    const kind = `${o.compat ? 'compat' : 'native'} ${o.https ? 'https' : 'http'} ${o.host}`;
    jobs.push(sendOnce(o).then((res) => ({ kind, res, aborted })));
  }
  return Promise.all(jobs);
}

/** A RELAY socket sending `n` messages at once; resolves with how many were answered (result or error). */
async function relaySender(n, host) {
  const url = `ws://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  const ws = new WebSocket(url);
  await new Promise((r, j) => {
    ws.once('open', r);
    ws.once('error', j);
  });
  let answered = 0;
  const done = new Promise((resolve) => {
    const t = setTimeout(() => resolve('timeout'), 60_000);
    ws.on('message', (data) => {
      const f = JSON.parse(data.toString());
      if (f.method && f.id !== undefined) return ws.send(JSON.stringify({ jsonrpc: '2.0', id: f.id, result: {} }));
      if (f.method || f.id === 'c') return;
      if (f.result?.code !== '200' && !f.error) failures.push({ kind: 'relay', note: 'odd answer', f: JSON.stringify(f).slice(0, 300) });
      if (++answered === n) {
        clearTimeout(t);
        resolve('ok');
      }
    });
  });
  ws.send(JSON.stringify({ jsonrpc: '2.0', id: 'c', method: 'signalwire.connect', params: { version: { major: 2, minor: 0, revision: 0 }, authentication: { project: PROJECT, token: TOKEN }, contexts: ['office'] } }));
  for (let i = 0; i < n; i++) ws.send(JSON.stringify({ jsonrpc: '2.0', id: `s${i}`, method: 'messaging.send', params: { context: 'office', from_number: FROM, to_number: '+15557650002', body: 'relay' } }));
  const outcome = await done;
  counts.relaySends += answered;
  if (outcome !== 'ok') failures.push({ kind: 'relay', note: `${answered} of ${n} sends answered within 60 s` });
  ws.close();
}

let round = 0;
for (; round < rounds && Date.now() < deadline; round++) {
  const size = 300 + Math.floor(random() * 500);
  const [results] = await Promise.all([burst(size, 0.15), ...(round % 2 === 0 ? [relaySender(60, hosts[round % hosts.length]), relaySender(60, '127.0.0.1')] : [])]);
  for (const { kind, res, aborted } of results) check(kind, res, aborted);
  rssMax = Math.max(rssMax, rss());
  // Everything given up on has finished by now (a send takes milliseconds): exactly as many sends
  // as the slots and the waiting room hold must all be taken.
  await sleep(2000);
  const exact = await burst(2 * PER_PROJECT, 0);
  const refused = exact.filter((r) => r.res.status === 429).length;
  if (refused > 0) failures.push({ round, note: `slots leaked: ${refused} of ${2 * PER_PROJECT} sends refused after the flood` });
  for (const { kind, res } of exact) if (res.status !== 429) check(kind, res, false);
  rssMax = Math.max(rssMax, rss());
}
const health = await fetch(`http://127.0.0.1:${port}/health`);
if (health.status !== 200) failures.push({ note: `health ${health.status}` });
console.log(JSON.stringify({ seed, rounds: round, ipv6, ...counts, failures: failures.length, rssStartMb: Math.round(rssStart), rssMaxMb: Math.round(rssMax), rssEndMb: Math.round(rss()) }));
const seen = new Set();
for (const f of failures) {
  const key = `${f.kind} ${f.status} ${f.note} ${f.body?.slice(0, 60)}`;
  if (seen.has(key)) continue;
  seen.add(key);
  console.log(JSON.stringify(f).slice(0, 800));
}
await server.stop();
process.exit(0);

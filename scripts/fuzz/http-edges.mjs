/**
 * Black-box probes of the HTTP surfaces at their edges, where http-surfaces.mjs (random routes,
 * queries and bodies) does not go: the framing of a request (Expect: 100-continue, bodies that stop
 * mid-way, Content-Length and Transfer-Encoding lies, a pipelined request hidden in a refused one's
 * body), content and transfer codings and charsets, malformed Basic auth, repeated and bracketed form fields,
 * unicode and number edge cases in each field of a send, bodies at and one byte over the limit,
 * Upgrade headers on REST paths, request targets in absolute form and `OPTIONS *`, pipelined requests,
 * chunk sizes that are not hex or overflow, chunk extensions and trailers, repeated Content-Length,
 * obs-fold and NULs in headers, and the console API's parameters; over HTTP and HTTPS. Every probe
 * must be answered (or its connection closed, for one that never finishes), never with a 5xx, in
 * its surface's error shape; a refused send must leave no message behind; /health must answer after
 * each. The fixed probes always run; `count` seeded field probes are drawn from the rest. Not part
 * of the test suite: `npm run build && node scripts/fuzz/http-edges.mjs [seed] [count]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PROJECT, AUTH, FROM } from '../../bench/lib/bench-server.mjs';
import { freePorts, fuzzRun, rawExchange, printDistinct, startFuzzServer } from './lib.mjs';

const { seed, size: count, deadline, random, pick } = fuzzRun({ size: 600, seconds: 240 });
const LIMIT = 262_144;
const [port, httpsPort] = await freePorts(2);
const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-fuzz-'));
const { server, rss } = await startFuzzServer({ port, httpsPort, dataDir, env: { SWITCHBOARD_BODY_LIMIT_BYTES: String(LIMIT) }, capSeconds: 600 });

const ACC = `/api/laml/2010-04-01/Accounts/${PROJECT}`;
const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';
const TO = '+15557650001';

/** One HTTP/1.1 request as bytes: `headers` null drops one of the defaults. */
function request(method, path, { headers = {}, body, auth = AUTH } = {}) {
  const h = { host: 'localhost', connection: 'close', authorization: auth, ...headers };
  if (body !== undefined && !('content-length' in h) && !('transfer-encoding' in h)) h['content-length'] = String(Buffer.byteLength(body));
  const head = `${method} ${path} HTTP/1.1\r\n${Object.entries(h).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`;
  return body === undefined ? [Buffer.from(head, 'latin1')] : [Buffer.concat([Buffer.from(head, 'latin1'), Buffer.isBuffer(body) ? body : Buffer.from(body)])];
}
const exchange = (tls, parts, timeoutMs) => rawExchange({ tls, port: tls ? httpsPort : port, parts, timeoutMs });

/** Whether an error answer is in the shape of the surface `path` belongs to (node-level answers carry both). */
function shapeOk(path, res) {
  let b;
  try {
    b = JSON.parse(res.body);
  } catch {
    return false;
  }
  const compat = typeof b.code === 'number' && typeof b.message === 'string' && 'more_info' in b && typeof b.status === 'number';
  const native = (Array.isArray(b.errors) && b.errors.length > 0 && b.errors.every((e) => typeof e.code === 'string' && typeof (e.message ?? e.detail) === 'string')) || (typeof b.error === 'string' && typeof b.message === 'string');
  return path.includes('/2010-04-01/') ? compat : native;
}

/** The newest message of the project, to tell whether a refused send left one behind. */
async function newestMessage() {
  const res = await exchange(false, request('GET', '/api/messaging/logs?page_size=1&include_deleted=true'));
  return JSON.parse(res.body).data[0]?.id ?? null;
}

// --- the fixed probes: framing, codings, auth, limits, upgrades, console parameters ---------------
const fixed = [];
const probe = (name, path, parts, opts = {}) => fixed.push({ name, path, parts, ...opts });
const sendCompat = `To=${encodeURIComponent(TO)}&From=${encodeURIComponent(FROM)}&Body=edge`;
const sendNative = JSON.stringify({ from: FROM, to: TO, body: 'edge' });
for (const [path, type, body] of [[`${ACC}/Messages.json`, FORM, sendCompat], ['/api/messaging/messages', JSON_TYPE, sendNative]]) {
  const kind = path === '/api/messaging/messages' ? 'native' : 'compat';
  probe(`${kind} Expect over the limit: 413 instead of 100`, path, request('POST', path, { headers: { 'content-type': type, expect: '100-continue', 'content-length': String(LIMIT + 1) } }), { status: 413, no100: true, create: true, timeoutMs: 3_000 });
  probe(`${kind} body stops mid-way`, path, request('POST', path, { headers: { 'content-type': type, 'content-length': '500' }, body: body.slice(0, 10) }), { stalls: true, create: true, timeoutMs: 2_000 });
  probe(`${kind} chunked body stops mid-way`, path, [...request('POST', path, { headers: { 'content-type': type, 'transfer-encoding': 'chunked' } }), Buffer.from(`40\r\n${body.slice(0, 10)}`)], { stalls: true, create: true, timeoutMs: 2_000 });
  for (const coding of ['gzip', 'deflate', 'br', 'gzip, identity']) probe(`${kind} Content-Encoding ${coding}`, path, request('POST', path, { headers: { 'content-type': type, 'content-encoding': coding }, body: gzipSync(body) }), { status: 415, create: true });
  for (const coding of ['gzip, chunked', 'deflate,chunked']) {
    const z = gzipSync(body);
    probe(`${kind} Transfer-Encoding ${coding}`, path, [...request('POST', path, { headers: { 'content-type': type, 'transfer-encoding': coding } }), Buffer.from(`${z.length.toString(16)}\r\n`), z, Buffer.from('\r\n0\r\n\r\n')], { status: 415, create: true });
  }
  probe(`${kind} gzip bomb`, path, request('POST', path, { headers: { 'content-type': type, 'content-encoding': 'gzip' }, body: gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x61)) }), { status: 415, create: true });
  for (const charset of ['iso-8859-1', 'utf-16', '"utf-7"']) probe(`${kind} charset ${charset}`, path, request('POST', path, { headers: { 'content-type': `${type}; charset=${charset}` }, body }), { status: 415, create: true });
  for (const t of ['text/plain', 'multipart/form-data; boundary=x', 'application/xml', null]) probe(`${kind} Content-Type ${t}`, path, request('POST', path, { headers: { 'content-type': t }, body }), { status: 415, create: true });
  for (const auth of ['Basic ' + Buffer.from('no-colon').toString('base64'), 'Basic !!!', 'Basic ' + 'A'.repeat(12_000), 'Basic', 'Basic ', 'Bearer x', 'Basic ' + Buffer.from(`${PROJECT}:\u00e9`).toString('base64'), null]) {
    probe(`${kind} auth ${String(auth).slice(0, 16)}`, path, request('POST', path, { headers: { 'content-type': type }, body, auth }), { status: 401, create: true });
  }
  probe(`${kind} body at the limit`, path, request('POST', path, { headers: { 'content-type': type }, body: kind === 'native' ? `${body.slice(0, -1)},"x":"${'x'.repeat(LIMIT - body.length - 7)}"}` : `${body}&X=${'x'.repeat(LIMIT - body.length - 3)}` }), { notStatus: 413 });
  probe(`${kind} body one byte over`, path, request('POST', path, { headers: { 'content-type': type }, body: kind === 'native' ? `${body.slice(0, -1)},"x":"${'x'.repeat(LIMIT - body.length - 6)}"}` : `${body}&X=${'x'.repeat(LIMIT - body.length - 2)}` }), { status: 413, create: true });
  probe(`${kind} chunked one byte over`, path, [...request('POST', path, { headers: { 'content-type': type, 'transfer-encoding': 'chunked' } }), Buffer.from(`${(LIMIT + 1).toString(16)}\r\n${'x'.repeat(LIMIT + 1)}\r\n0\r\n\r\n`)], { status: 413, create: true });
  for (const [name, headers] of [['CL and TE', { 'content-length': '5', 'transfer-encoding': 'chunked' }], ['negative CL', { 'content-length': '-1' }], ['huge CL', { 'content-length': '99999999999999999999' }]]) {
    probe(`${kind} ${name}`, path, request('POST', path, { headers: { 'content-type': type, ...headers }, body: '0\r\n\r\n' }), { status: 400, create: true });
  }
  probe(`${kind} Upgrade: websocket on a send`, path, request('POST', path, { headers: { 'content-type': type, upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' }, body }), { status: 400, create: true });
  // A refused request whose body is a whole request: it must never be served as one.
  for (const [name, h, auth] of [['415', { 'content-type': 'text/plain' }], ['401', { 'content-type': type }, 'Basic x'], ['gzip', { 'content-type': type, 'content-encoding': 'gzip' }]]) {
    const hidden = `GET /api/messaging/logs/smuggled-marker HTTP/1.1\r\nhost: x\r\nauthorization: ${AUTH}\r\n\r\n`;
    probe(`${kind} pipelined ${name} hiding a request`, path, request('POST', path, { headers: { ...h, connection: 'keep-alive' }, body: hidden, auth }), { smuggle: true, create: true, timeoutMs: 2_000 });
  }
}
// A request no route serves: its 404 or 405 comes first, whatever its body.
for (const [method, path, status] of [['POST', '/health', 405], ['PUT', '/api/messaging/messages', 405], ['POST', '/api/messaging/nope', 404], ['PUT', `${ACC}/Messages.json`, 405], ['POST', `${ACC}/Nope.json`, 404]]) {
  for (const [type, body, coding] of [[JSON_TYPE, '{bad'], [`${JSON_TYPE}; charset=utf-16`, '{}'], [JSON_TYPE, '{}', 'gzip']]) {
    probe(`${method} ${path.slice(-16)} ${type.slice(-8)} ${body}`, path, request(method, path, { headers: { 'content-type': type, 'content-encoding': coding }, body }), { status });
  }
}
// Request targets and framing as clients and proxies get them wrong: absolute form (RFC 9112 §3.2.2),
// `OPTIONS *`, pipelined requests (answered in order), chunk sizes that are not hex or overflow,
// chunk extensions and trailers, repeated Content-Length, obs-fold, a NUL in a header, HTTP/1.0.
const raw = (text) => [Buffer.from(text, 'latin1')];
const LOGS = '/api/messaging/logs?page_size=1';
for (const [name, target, status] of [['absolute http', `http://elsewhere.example${LOGS}`, 200], ['absolute https and a port', `https://elsewhere.example:1${LOGS}`, 200], ['absolute ws scheme', `ws://elsewhere.example${LOGS}`, 404], ['absolute with userinfo', `http://u:p@elsewhere.example${LOGS}`, 200], ['absolute no path', 'http://elsewhere.example', 200], ['absolute compat', `http://elsewhere.example${ACC}/Messages.json?PageSize=1`, 200]]) {
  probe(`target ${name}`, target.replace(/^[a-z]+:\/\/[^/]*/, '') || '/', request('GET', target), { status });
}
probe('OPTIONS *', '/', raw('OPTIONS * HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'), { notStatus: 500 });
probe('three pipelined', LOGS, raw(`GET /health HTTP/1.1\r\nhost: x\r\n\r\nGET ${LOGS} HTTP/1.1\r\nhost: x\r\nauthorization: ${AUTH}\r\n\r\nGET /ready HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`), { answers: 3 });
const chunked = (path, type, chunks) => [...request('POST', path, { headers: { 'content-type': type, 'transfer-encoding': 'chunked' } }), Buffer.from(chunks, 'latin1')];
for (const [path, type, body] of [[`${ACC}/Messages.json`, FORM, sendCompat], ['/api/messaging/messages', JSON_TYPE, sendNative]]) {
  const kind = path.includes('laml') ? 'compat' : 'native';
  const size = body.length.toString(16);
  for (const [name, chunks] of [['not hex', `zz\r\n${body}\r\n0\r\n\r\n`], ['past 2^64', `1${'0'.repeat(17)}\r\n${body}\r\n0\r\n\r\n`], ['negative', `-${size}\r\n${body}\r\n0\r\n\r\n`], ['0x', `0x${size}\r\n${body}\r\n0\r\n\r\n`], ['leading space', ` ${size}\r\n${body}\r\n0\r\n\r\n`], ['bare LF', `${size}\n${body}\n0\n\n`], ['longer than said', `${(body.length - 4).toString(16)}\r\n${body}\r\n0\r\n\r\n`]]) {
    probe(`${kind} chunk size ${name}`, path, chunked(path, type, chunks), { status: 400, create: true });
  }
  probe(`${kind} chunk extension`, path, chunked(path, type, `${size};a=b;c\r\n${body}\r\n0\r\n\r\n`), { notStatus: 400 });
  probe(`${kind} trailer`, path, chunked(path, type, `${size}\r\n${body}\r\n0\r\nx-t: 1\r\n\r\n`), { notStatus: 500 });
  for (const [name, lines] of [['Content-Length twice', `content-length: ${body.length}\r\ncontent-length: ${body.length}`], ['Content-Length list', `content-length: ${body.length}, ${body.length}`], ['obs-fold', 'x-a: a\r\n b'], ['NUL in a header', 'x-a: a\u0000b'], ['no colon', 'x-a']]) {
    const extra = lines.includes('content-length') ? lines : `${lines}\r\ncontent-length: ${body.length}`;
    probe(`${kind} ${name}`, path, raw(`POST ${path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\nauthorization: ${AUTH}\r\ncontent-type: ${type}\r\n${extra}\r\n\r\n${body}`), { status: 400, create: true });
  }
}
probe('HTTP/1.0 without Host', LOGS, raw(`GET ${LOGS} HTTP/1.0\r\nauthorization: ${AUTH}\r\n\r\n`), { status: 200 });
for (const method of ['get', 'FOO', 'PRI']) probe(`method ${method}`, '/health', raw(`${method} /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`), { notStatus: 200 });
for (const q of ['statuss=failed', 'status[]=failed', 'limit=0', 'before=-1', 'q=' + 'x'.repeat(300), 'since=2026-02-30']) probe(`console messages ${q.slice(0, 20)}`, '/api/console/messages', request('GET', `/api/console/messages?${q}`), { status: 422 });
for (const q of ['state=failed', 'status=lost']) probe(`console outbox ${q}`, '/api/console/outbox', request('GET', `/api/console/outbox?${q}`), { status: 422 });

// --- the seeded field probes: each field of a send, alone, repeated and bracketed -----------------
const VALUES = ['', '%00', 'a%00b', '%ED%A0%80', '%F0%9F%98%80', '%E2%80%AE%2B1555', 'e%CC%81'.repeat(600), '-1', '1e309', 'NaN', 'Infinity', '0x10', '99999999999999999999', '%20', 'x'.repeat(3000), 'javascript:alert(1)', 'https://%F0%9F%98%80.example/', 'https://a.example/%00', `https://${'a'.repeat(254)}/`];
const FIELDS = ['To', 'From', 'Body', 'StatusCallback', 'MediaUrl', 'ValidityPeriod', 'MaxPrice', 'SendAt', 'ScheduleType', 'MessagingServiceSid', 'SmartEncoded', 'ApplicationSid'];
const JSON_VALUES = ['\ud800', '\u0000', 'a\u0000b', '\u202e+1555', '😀'.repeat(900), '', -1, 0, 1.5, 1e308, 2 ** 53 + 2, true, null, [], {}, ['a', 'b'], { $gt: '' }];
const NATIVE_FIELDS = ['to', 'from', 'body', 'status_callback', 'media', 'validity_period', 'send_at', 'schedule_type', 'custom_variables', 'messaging_service_sid'];
function fieldProbe() {
  if (random() < 0.6) {
    const field = pick(FIELDS);
    const value = pick(VALUES);
    const base = { To: encodeURIComponent(TO), From: encodeURIComponent(FROM), Body: 'f' };
    delete base[field];
    const rest = Object.entries(base).map(([k, v]) => `${k}=${v}`).join('&');
    const mode = pick(['one', 'twice', 'bracket']);
    const own = mode === 'one' ? `${field}=${value}` : mode === 'twice' ? `${field}=${value}&${field}=${value}2` : `${field}[]=${value}`;
    const path = `${ACC}/Messages.json`;
    return { name: `compat ${field} ${mode} ${value.slice(0, 24)}`, path, parts: request('POST', path, { headers: { 'content-type': FORM }, body: `${rest}&${own}` }), create: true };
  }
  const field = pick(NATIVE_FIELDS);
  const value = pick(JSON_VALUES);
  const path = '/api/messaging/messages';
  return { name: `native ${field} ${JSON.stringify(value).slice(0, 24)}`, path, parts: request('POST', path, { headers: { 'content-type': JSON_TYPE }, body: JSON.stringify({ from: FROM, to: TO, body: 'f', [field]: value }) }), create: true };
}

// --- run -------------------------------------------------------------------------------------------
const failures = [];
const rssStart = rss();
let rssMax = rssStart;
let n = 0;
const all = [...fixed.flatMap((p) => [{ ...p, tls: false }, { ...p, tls: true }]), ...Array.from({ length: count }, () => ({ ...fieldProbe(), tls: random() < 0.5 }))];
for (const p of all) {
  if (Date.now() > deadline) break;
  n++;
  const before = p.create ? await newestMessage() : null;
  const res = await exchange(p.tls, p.parts, p.timeoutMs ?? 10_000);
  const problems = [];
  if (res.status >= 500) problems.push('5xx');
  if (res.status === 0 && !p.stalls && !p.smuggle) problems.push(res.closed ? 'closed without an answer' : 'no answer');
  if (res.status >= 400 && !shapeOk(p.path, res)) problems.push('not in its surface\'s shape');
  if (p.status !== undefined && res.status !== p.status) problems.push(`expected ${p.status}`);
  if (p.notStatus !== undefined && res.status === p.notStatus) problems.push(`got ${p.notStatus}`);
  if (p.no100 && /^HTTP\/1\.1 100 /.test(res.text)) problems.push('100 Continue before the refusal');
  if (p.smuggle && res.text.includes('smuggled-marker')) problems.push('served the request hidden in the body');
  if (p.answers !== undefined && (res.text.match(/HTTP\/1\.1 \d{3} /g) ?? []).length !== p.answers) problems.push(`expected ${p.answers} answers`);
  if (p.create && (res.status >= 400 || res.status === 0) && (await newestMessage()) !== before) problems.push('a refused send left a message');
  const health = await exchange(p.tls, request('GET', '/health', { auth: null }));
  if (health.status !== 200) problems.push(`health ${health.status} after it`);
  if (problems.length) failures.push({ probe: p.name, tls: p.tls, status: res.status, problems, answer: res.text.slice(0, 200) });
  if (n % 100 === 0) rssMax = Math.max(rssMax, rss());
}
console.log(JSON.stringify({ seed, probes: n, of: all.length, failures: failures.length, rssStartMb: Math.round(rssStart), rssMaxMb: Math.round(Math.max(rssMax, rss())) }));
printDistinct(failures, (f) => `${f.probe.replace(/ .*$/, '')} ${f.status} ${f.problems.join(',')}`);
await server.stop();
rmSync(dataDir, { recursive: true, force: true });
process.exit(0);

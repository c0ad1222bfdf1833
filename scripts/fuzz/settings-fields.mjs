/**
 * Seeded black-box fuzzer of the settings and fields added late, with odd values and encodings:
 * the simulator's per-project settings (delay_ms, delayed_receipt_ms, mms_receipts, rules), the
 * shared manual clock (`simulator.clock: manual`: GET /api/simulator/clock, POST .../advance), the
 * simulator SMSC's behaviour and MO routes, a number's application fields (native
 * message_laml_application_id / messaging_handler_resource_id, compat SmsApplicationSid, with the
 * project's own, another project's, a deleted and a made-up application id), compat Applications,
 * and the messaging and sender settings. Each field gets negative numbers, -0, NaN and 1e309 as raw
 * JSON tokens, numbers past 2^53, arrays and objects where strings go, unicode, NUL bytes, lone
 * surrogates, long strings; bodies come as JSON, forms (fields repeated and bracketed), gzip,
 * charsets, a BOM, or the other surface's content type. Every answer must be under 500, in its
 * surface's error shape; the settings, the clock and /health must read back afterwards (nothing
 * half-written), and changes of different settings made at once all hold. Over HTTP and HTTPS. Not part of the test suite:
 * `npm run build && node scripts/fuzz/settings-fields.mjs [seed] [count]` (FUZZ_SECONDS caps the time).
 */
import { execFileSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PROJECT, AUTH, FROM } from '../../bench/lib/bench-server.mjs';
import { freePorts, fuzzRun, ipv6, printDistinct, send, startFuzzServer } from './lib.mjs';

const { seed, size: count, deadline, random, pick } = fuzzRun({ size: 3000, seconds: 180 });
const [port, httpsPort, smscPort] = await freePorts(3);
const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-fuzz-'));
// A connector bound to the server's own SMSC: injected MOs are encoded and read back for real.
const configPath = join(dataDir, 'switchboard.json');
writeFileSync(configPath, JSON.stringify({ smpp: { connectors: [{ id: 'self', host: '127.0.0.1', port: smscPort, systemId: 'switchboard', password: 'secret', reconnectMinMs: 50, reconnectMaxMs: 500 }], routes: [{ prefix: '+4477', connector: 'self' }] } }));
const { server, rss } = await startFuzzServer({
  port,
  httpsPort,
  dataDir,
  capSeconds: 600,
  env: { SWITCHBOARD_CONFIG: configPath, SWITCHBOARD_SIMULATOR_CLOCK: 'manual', SWITCHBOARD_SIMULATOR_SMSC_ENABLED: 'true', SWITCHBOARD_SIMULATOR_SMSC_PORT: String(smscPort), SWITCHBOARD_NUMBERS: `${FROM},+15551230002` },
});
const cli = new URL('../../packages/server/dist/cli/main.js', import.meta.url).pathname;
const created = execFileSync(process.execPath, [cli, 'project', 'create', 'fuzz-b'], { env: { ...process.env, SWITCHBOARD_DATA_DIR: dataDir, SWITCHBOARD_LOG_LEVEL: 'warn' } }).toString();
const other = { project: /[0-9a-f-]{36}/.exec(created)[0], token: /PT[A-Za-z0-9]+/.exec(created)[0] };
const otherAuth = `Basic ${Buffer.from(`${other.project}:${other.token}`).toString('base64')}`;

const base = { http: { send: httpRequest, port }, https: { send: httpsRequest, port: httpsPort } };
function call(scheme, method, path, { body, headers = {}, auth = AUTH } = {}) {
  return send(base[scheme].send, { host: ipv6 && random() < 0.5 ? '::1' : '127.0.0.1', port: base[scheme].port, method, path, rejectUnauthorized: false, headers: { ...(auth ? { authorization: auth } : {}), ...headers } }, body);
}
const form = (method, path, fields, auth) => call('http', method, path, { auth, body: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });

// Seed: applications of A (one deleted) and of B, A's numbers.
const ACC = `/api/laml/2010-04-01/Accounts/${PROJECT}`;
const ACC2 = `/2010-04-01/Accounts/${PROJECT}`;
const appA = JSON.parse((await form('POST', `${ACC}/Applications.json`, { FriendlyName: 'a', SmsUrl: 'https://example.com/a' })).body).sid;
const appGone = JSON.parse((await form('POST', `${ACC}/Applications.json`, { FriendlyName: 'gone' })).body).sid;
await call('http', 'DELETE', `${ACC}/Applications/${appGone}.json`);
const appB = JSON.parse((await form('POST', `/api/laml/2010-04-01/Accounts/${other.project}/Applications.json`, { FriendlyName: 'b' }, otherAuth)).body).sid;
const numbers = JSON.parse((await call('http', 'GET', '/api/relay/rest/phone_numbers')).body).data;
const numberId = numbers[0].id;
const pnSid = JSON.parse((await call('http', 'GET', `${ACC}/IncomingPhoneNumbers.json`)).body).incoming_phone_numbers[0].sid;
console.log(`seeded: apps ${appA} ${appGone} (deleted) ${appB} (B), number ${numberId} ${pnSid}`);

// Values as raw JSON text (so NaN, 1e309, -0, duplicate keys and deep nesting reach the parser as written).
const ids = [appA, appA?.toUpperCase(), appGone, appB, numberId, '00000000-0000-0000-0000-000000000000', `AP${'0'.repeat(32)}`, ''];
const RAW = [
  '-1', '-0', '0', '1', '0.5', '1e3', '1e309', '-1e309', 'NaN', 'Infinity', '9007199254740993', '99999999999999999999999', '600001', '10001', '31622400001',
  'true', 'false', 'null', '[]', '[1]', '["a","b"]', '{}', '{"a":{"b":{}}}', '[' .repeat(300) + ']'.repeat(300),
  '""', '"10"', '"x"', '"\\u0000"', '"a\\u0000b"', '"\\ud800"', '"\\u202e+1555"', JSON.stringify('😀'.repeat(2000)), JSON.stringify('x'.repeat(100_000)), '"https://example.com/h"', '"javascript:alert(1)"', JSON.stringify('x'.repeat(21)), JSON.stringify('+' + '4'.repeat(20)), '"😀"', '"Ā"', '"Alpha Name"',
  ...ids.map((id) => JSON.stringify(id)),
  '[{"prefix":"+1555","outcome":"failed","error":30007}]', '[{"prefix":"+1555","outcome":"throttled","times":-1}]', '[{"prefix":"","outcome":"delivered"}]', '[{"prefix":"+1","outcome":"nope"}]',
  '[{"prefix":"+1","outcome":"failed","error":1e309}]', '[{"prefix":"\\u0000","outcome":"delayed"}]', JSON.stringify(Array.from({ length: 1001 }, (_, i) => ({ prefix: `+1${i}`, outcome: 'delivered' }))),
  '[{"prefix":"+1","outcome":"failed","__proto__":{"x":1}}]', '{"__proto__":{"polluted":1}}',
];
const FORM_VALUES = ['', '-1', '0', '1e309', 'NaN', '%00', 'a%00b', '%ED%A0%80', '%ff%fe', '%zz', '%F0%9F%98%80', 'x'.repeat(5000), 'https://example.com/h', 'javascript:alert(1)', 'GET', 'get', 'DELETE', ...ids.map(encodeURIComponent)];

const targets = [
  { method: 'PUT', path: '/api/simulator/settings', kind: 'json', fields: ['delay_ms', 'delayed_receipt_ms', 'mms_receipts', 'rules', 'magic_numbers', 'delayMs', 'x'] },
  { method: 'POST', path: '/api/simulator/clock/advance', kind: 'json', fields: ['ms', 'to', 'x'] },
  { method: 'GET', path: '/api/simulator/clock', kind: 'none' },
  { method: 'PUT', path: '/api/simulator/smsc/behaviour', kind: 'json', fields: ['max_submits_per_second', 'throttle_next', 'response_delay_ms', 'drop_after_submits', 'refuse_binds'] },
  { method: 'POST', path: '/api/simulator/smsc/mo', kind: 'json', fields: ['from', 'to', 'body', 'split'], base: { from: '+15557650001', to: FROM, body: 'mo' } },
  { method: 'PUT', path: `/api/relay/rest/phone_numbers/${numberId}`, kind: 'json', fields: ['message_laml_application_id', 'messaging_handler_resource_id', 'message_handler', 'message_request_url', 'message_request_method', 'name', 'messages_per_second', 'message_relay_context'] },
  { method: 'POST', path: '/api/relay/rest/phone_numbers', kind: 'json', fields: ['number', 'message_laml_application_id', 'message_handler', 'name'], base: { number: '+15551237777' } },
  { method: 'POST', path: `${ACC}/IncomingPhoneNumbers/${pnSid}.json`, kind: 'form', fields: ['SmsApplicationSid', 'SmsUrl', 'SmsMethod', 'SmsFallbackUrl', 'FriendlyName', 'VoiceApplicationSid'] },
  { method: 'POST', path: `${ACC2}/IncomingPhoneNumbers/${pnSid}.json`, kind: 'form', fields: ['SmsApplicationSid', 'SmsUrl'] },
  { method: 'POST', path: `${ACC}/IncomingPhoneNumbers.json`, kind: 'form', fields: ['PhoneNumber', 'SmsApplicationSid', 'SmsUrl', 'FriendlyName'], base: { PhoneNumber: '+15551238888' } },
  { method: 'POST', path: `${ACC}/Applications.json`, kind: 'form', fields: ['FriendlyName', 'SmsUrl', 'SmsMethod', 'MessageStatusCallback', 'SmsStatusCallback', 'SmsFallbackUrl'] },
  { method: 'POST', path: `${ACC}/Applications/${appA}.json`, kind: 'form', fields: ['FriendlyName', 'SmsUrl', 'SmsMethod', 'MessageStatusCallback'] },
  { method: 'POST', path: `${ACC}/Messages.json`, kind: 'form', fields: ['ApplicationSid', 'StatusCallback', 'ValidityPeriod'], base: { To: '+15557650001', From: FROM, Body: 'f' } },
  { method: 'PUT', path: '/api/messaging/settings', kind: 'json', fields: ['opt_out_keywords', 'opt_in_keywords', 'help_keywords', 'opt_out_reply', 'x'] },
  { method: 'PUT', path: '/api/messaging/settings/%2B15551230001', kind: 'json', fields: ['messages_per_second', 'opt_out_keywords', 'x'] },
  { method: 'POST', path: '/api/console/login', kind: 'json', fields: ['project_id', 'token', 'x'], auth: null },
];

/** One body for `t`: a field (or two) set to an odd value, encoded one of several ways. */
function bodyFor(t) {
  const n = 1 + Math.floor(random() * 2);
  if (t.kind === 'json') {
    const members = Object.entries(t.base ?? {}).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
    for (let i = 0; i < n; i++) members.push(`${JSON.stringify(pick(t.fields))}:${pick(RAW)}`);
    if (random() < 0.05) members.push(members[members.length - 1]); // a member twice
    let text = random() < 0.04 ? pick(['[]', 'null', '1', '"x"', '{', '']) : `{${members.join(',')}}`;
    if (random() < 0.03) text = `\ufeff${text}`;
    return { text, type: 'application/json' };
  }
  const fields = Object.entries(t.base ?? {}).map(([k, v]) => `${k}=${encodeURIComponent(v)}`);
  for (let i = 0; i < n; i++) {
    const name = pick(t.fields);
    const mode = random();
    if (mode < 0.1) fields.push(`${name}[]=${pick(FORM_VALUES)}`);
    else if (mode < 0.2) fields.push(`${name}=${pick(FORM_VALUES)}&${name}=${pick(FORM_VALUES)}`);
    else if (mode < 0.25) fields.push(name);
    else fields.push(`${name}=${pick(FORM_VALUES)}`);
  }
  return { text: fields.join('&'), type: 'application/x-www-form-urlencoded' };
}
const TYPE_VARIANTS = ['charset=utf-8', 'charset=UTF-8', 'charset="utf-8"', 'charset=latin1', 'charset=utf-16', 'charset=', 'swap', 'text/plain', 'missing', 'gzip', 'deflate'];

function shapeOk(path, status, text) {
  if (status < 400) return true;
  let b;
  try {
    b = JSON.parse(text);
  } catch {
    return false;
  }
  if (path.includes('/2010-04-01/')) return typeof b.code === 'number' && typeof b.message === 'string' && 'more_info' in b && typeof b.status === 'number';
  if (Array.isArray(b.errors)) return b.errors.length > 0 && b.errors.every((e) => typeof e.code === 'string' && typeof (e.message ?? e.detail) === 'string');
  return typeof b.error === 'string' && typeof b.message === 'string';
}

const failures = [];
const rssStart = rss();
let rssMax = rssStart;
let n = 0;
let slowest = 0;
const statuses = {};
while (n < count && Date.now() < deadline) {
  n++;
  const t = pick(targets);
  const scheme = random() < 0.5 ? 'http' : 'https';
  const auth = t.auth === null ? null : random() < 0.15 ? otherAuth : AUTH;
  const headers = {};
  let body;
  if (t.kind !== 'none') {
    const b = bodyFor(t);
    // Mostly as sent by a client; one in three with an odd content type, coding or charset.
    const variant = random() < 0.67 ? null : pick(TYPE_VARIANTS);
    body = Buffer.from(b.text);
    headers['content-type'] = b.type;
    if (variant === 'swap') headers['content-type'] = b.type === 'application/json' ? 'application/x-www-form-urlencoded' : 'application/json';
    else if (variant === 'text/plain') headers['content-type'] = 'text/plain';
    else if (variant === 'missing') delete headers['content-type'];
    else if (variant === 'gzip' || variant === 'deflate') {
      headers['content-encoding'] = variant;
      body = gzipSync(body);
    } else if (variant) headers['content-type'] = `${b.type}; ${variant}`;
  }
  const t0 = Date.now();
  let res;
  try {
    res = await call(scheme, t.method, t.path, { body, headers, auth });
  } catch (err) {
    failures.push({ method: t.method, path: t.path, body: String(body).slice(0, 200), error: err.message });
    continue;
  }
  const took = Date.now() - t0;
  slowest = Math.max(slowest, took);
  statuses[res.status] = (statuses[res.status] ?? 0) + 1;
  // B's answers never name A's application or number, nor A's its.
  const leak = res.status < 300 && auth === otherAuth && [appA, numberId].some((id) => id && res.body.includes(id));
  if (leak || res.status >= 500 || !shapeOk(t.path, res.status, res.body) || took > 5000) {
    failures.push({ method: t.method, path: t.path, ct: headers['content-type'], ce: headers['content-encoding'], body: String(body).slice(0, 200), status: res.status, answer: res.body.slice(0, 300), took, leak });
  }
  if (n % 100 === 0) {
    rssMax = Math.max(rssMax, rss());
    // Nothing half-written: what was saved reads back.
    for (const [path, key] of [['/api/simulator/settings', 'delay_ms'], ['/api/simulator/clock', 'now'], [`/api/relay/rest/phone_numbers/${numberId}`, 'id'], [`${ACC}/IncomingPhoneNumbers/${pnSid}.json`, 'sid'], ['/api/messaging/settings', null], ['/health', 'status']]) {
      const r = await call('http', 'GET', path);
      let ok = r.status === 200;
      try {
        if (ok && key) ok = JSON.parse(r.body)[key] !== undefined;
      } catch {
        ok = false;
      }
      if (!ok) failures.push({ note: `read-back ${path} ${r.status} after ${n}`, answer: r.body.slice(0, 300) });
    }
  }
}
// The connector's bind to the SMSC outlived every MO (none broke a PDU).
const carriers = JSON.parse((await call('http', 'GET', '/api/ops/carriers')).body).data;
if (carriers.find((c) => c.id === 'self')?.state !== 'up') failures.push({ note: 'the connector to the SMSC is not up', carriers: JSON.stringify(carriers).slice(0, 300) });
const protocolErrors = carriers.find((c) => c.id === 'self')?.counters?.protocol_errors;
if (protocolErrors) failures.push({ note: `the connector read ${protocolErrors} PDUs it could not decode` });

// Changes of different fields at once: each must hold in what is read afterwards (a node cached the
// row of whichever write answered last, losing the other's field).
await call('http', 'PUT', '/api/simulator/settings', { body: '{"delay_ms":null,"delayed_receipt_ms":null,"mms_receipts":null,"rules":null}', headers: { 'content-type': 'application/json' } });
for (let round = 0; round < 20 && Date.now() < deadline + 30_000; round++) {
  const want = { delay_ms: 100 + round, delayed_receipt_ms: 200 + round, mms_receipts: round % 2 === 0 };
  await Promise.all(Object.entries(want).map(([k, v]) => call(pick(['http', 'https']), 'PUT', '/api/simulator/settings', { body: JSON.stringify({ [k]: v }), headers: { 'content-type': 'application/json' } })));
  const got = JSON.parse((await call('http', 'GET', '/api/simulator/settings')).body);
  if (Object.entries(want).some(([k, v]) => got[k] !== v)) failures.push({ note: 'a setting changed at once with another was lost', want, got: { delay_ms: got.delay_ms, delayed_receipt_ms: got.delayed_receipt_ms, mms_receipts: got.mms_receipts } });
}
console.log(JSON.stringify({ seed, requests: n, failures: failures.length, statuses, slowestMs: slowest, rssStartMb: Math.round(rssStart), rssMaxMb: Math.round(Math.max(rssMax, rss())) }));
printDistinct(failures, (f) => f.note ?? `${f.method} ${f.status} ${f.path.replace(/[0-9a-f-]{36}/g, '{uuid}')} ${f.answer?.slice(0, 60)}`);
await server.stop();
rmSync(dataDir, { recursive: true, force: true });
process.exit(0);

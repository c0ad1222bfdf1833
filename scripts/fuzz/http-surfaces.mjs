/**
 * Seeded black-box fuzzer of the HTTP surfaces (native, Compatibility API, console, simulator,
 * ops) over HTTP and HTTPS. Starts the built server on loopback with two projects, sends a bounded
 * number of malformed requests (from 127.0.0.1 and ::1 when the machine has IPv6), and reports
 * every answer that is a 5xx, not in its surface's error shape, slow, or that leaves the server
 * unresponsive or its RSS growing. Not part of the test
 * suite (it takes longer than a test may): `npm run build && node scripts/fuzz/http-surfaces.mjs [seed] [count]`.
 */
import { execFileSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT, TOKEN, AUTH, FROM, sleep } from '../../bench/lib/bench-server.mjs';
import { freePorts, fuzzRun, ipv6, printDistinct, send, startFuzzServer } from './lib.mjs';

const { seed, size: count, deadline, random, pick } = fuzzRun({ size: 4000, seconds: 240 });

const [port, httpsPort] = await freePorts(2);
const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-fuzz-'));
const { server, rss } = await startFuzzServer({ port, httpsPort, dataDir, env: { SWITCHBOARD_NUMBERS: `${FROM},+15551230002` }, capSeconds: 600 });
const cli = new URL('../../packages/server/dist/cli/main.js', import.meta.url).pathname;
const created = execFileSync(process.execPath, [cli, 'project', 'create', 'fuzz-b'], { env: { ...process.env, SWITCHBOARD_DATA_DIR: dataDir, SWITCHBOARD_LOG_LEVEL: 'warn' } }).toString();
const other = { project: /[0-9a-f-]{36}/.exec(created)[0], token: /PT[A-Za-z0-9]+/.exec(created)[0] };
const otherAuth = `Basic ${Buffer.from(`${other.project}:${other.token}`).toString('base64')}`;

const base = { http: { send: httpRequest, port }, https: { send: httpsRequest, port: httpsPort } };
async function call(scheme, method, path, { body, headers = {}, auth = AUTH } = {}) {
  return send(base[scheme].send, { host: ipv6 && random() < 0.5 ? '::1' : '127.0.0.1', port: base[scheme].port, method, path, rejectUnauthorized: false, headers: { ...(auth ? { authorization: auth } : {}), ...headers } }, body);
}

// Seed data: messages of both projects, one deleted through compat, a group, an opt-out.
const sendA = await call('http', 'POST', '/api/messaging/messages', { body: JSON.stringify({ from: FROM, to: '+15557650001', body: 'a' }), headers: { 'content-type': 'application/json' } });
const msgA = JSON.parse(sendA.body).id;
await call('http', 'POST', '/api/relay/rest/phone_numbers', { auth: otherAuth, body: JSON.stringify({ number: '+15551239999' }), headers: { 'content-type': 'application/json' } });
const sendB = await call('http', 'POST', '/api/messaging/messages', { auth: otherAuth, body: JSON.stringify({ from: '+15551239999', to: '+15557650002', body: 'b' }), headers: { 'content-type': 'application/json' } });
const msgB = JSON.parse(sendB.body).id ?? 'none';
await sleep(500);
const deleted = await call('http', 'DELETE', `/api/laml/2010-04-01/Accounts/${PROJECT}/Messages/${msgA}.json`);
const group = JSON.parse((await call('http', 'POST', '/api/relay/rest/number_groups', { body: '{"name":"g"}', headers: { 'content-type': 'application/json' } })).body).id;
const groupB = JSON.parse((await call('http', 'POST', '/api/relay/rest/number_groups', { auth: otherAuth, body: '{"name":"g"}', headers: { 'content-type': 'application/json' } })).body).id;
// An MMS (its media sid), a membership of the group, an opt-out: the routes that take their ids.
const mms = JSON.parse((await call('http', 'POST', `/api/laml/2010-04-01/Accounts/${PROJECT}/Messages.json`, { body: `From=${encodeURIComponent(FROM)}&To=%2B15557650003&Body=m&MediaUrl=https%3A%2F%2Fexample.com%2Fa.png`, headers: { 'content-type': 'application/x-www-form-urlencoded' } })).body);
await sleep(300);
const mediaSid = JSON.parse((await call('http', 'GET', `/api/laml/2010-04-01/Accounts/${PROJECT}/Messages/${mms.sid}/Media.json`)).body).media_list?.[0]?.sid ?? 'none';
const numberId = JSON.parse((await call('http', 'GET', '/api/relay/rest/phone_numbers')).body).data?.[0]?.id ?? 'none';
const membership = JSON.parse((await call('http', 'POST', `/api/relay/rest/number_groups/${group}/number_group_memberships`, { body: JSON.stringify({ phone_number_id: numberId }), headers: { 'content-type': 'application/json' } })).body).id ?? 'none';
const optOut = JSON.parse((await call('http', 'POST', '/api/messaging/opt_outs', { body: JSON.stringify({ sender: FROM, handset: '+15557650004' }), headers: { 'content-type': 'application/json' } })).body).id ?? 'none';
console.log(`seeded: A ${msgA} (deleted ${deleted.status}), B ${msgB}, groups ${group} ${groupB}, MMS ${mms.sid} media ${mediaSid}, membership ${membership}, opt-out ${optOut}`);

const ACC = `/api/laml/2010-04-01/Accounts/${PROJECT}`;
const ACC2 = `/2010-04-01/Accounts/${PROJECT}`;
const ids = [msgA, msgB, group, groupB, other.project, mms.sid, mediaSid, membership, optOut, numberId, '__proto__', 'constructor', '%C0%AF', '%ED%A0%80', 'x'.repeat(5000), '%00', '%ff%fe', '%zz', '..%2f..', '%E2%82', '0', '-1', '1e309', 'SM' + 'a'.repeat(32), encodeURIComponent('😀'.repeat(40))];
const routes = [
  ['GET', '/api/messaging/logs'],
  ['GET', '/api/messaging/logs/{id}'],
  ['POST', '/api/messaging/messages'],
  ['PATCH', '/api/messaging/messages/{id}'],
  ['GET', '/api/relay/rest/phone_numbers'],
  ['GET', '/api/relay/rest/phone_numbers/{id}'],
  ['POST', '/api/relay/rest/phone_numbers'],
  ['PUT', '/api/relay/rest/phone_numbers/{id}'],
  ['GET', '/api/relay/rest/number_groups'],
  ['GET', '/api/relay/rest/number_groups/{id}'],
  ['POST', '/api/relay/rest/number_groups'],
  ['PUT', '/api/relay/rest/number_groups/{id}'],
  ['GET', '/api/relay/rest/number_groups/{id}/number_group_memberships'],
  ['POST', '/api/relay/rest/number_groups/{id}/number_group_memberships'],
  ['GET', '/api/messaging/opt_outs'],
  ['POST', '/api/messaging/opt_outs'],
  ['DELETE', '/api/messaging/opt_outs'],
  ['GET', '/api/messaging/settings'],
  ['PUT', '/api/messaging/settings/{id}'],
  ['GET', `${ACC}/Messages.json`],
  ['POST', `${ACC}/Messages.json`],
  ['GET', `${ACC}/Messages/{id}.json`],
  ['POST', `${ACC}/Messages/{id}.json`],
  ['DELETE', `${ACC}/Messages/{id}.json`],
  ['POST', `${ACC}/Messages/{id}/Feedback.json`],
  ['POST', `${ACC}/Messages/{id}/Feedback`],
  ['POST', `${ACC2}/Messages/{id}/Feedback.json`],
  ['GET', `${ACC}/Messages/{id}/Media.json`],
  ['GET', `${ACC2}/Messages.json`],
  ['POST', `${ACC2}/Messages.json`],
  ['GET', `${ACC2}/Messages/{id}.json`],
  ['GET', `/api/laml/2010-04-01/Accounts/{id}/Messages.json`],
  ['GET', `${ACC}/IncomingPhoneNumbers.json`],
  ['POST', `${ACC}/IncomingPhoneNumbers/{id}.json`],
  ['GET', `${ACC}/Applications.json`],
  ['GET', '/api/console/messages'],
  ['GET', '/api/console/messages/{id}'],
  ['GET', '/api/console/conversations'],
  ['GET', '/api/console/outbox'],
  ['POST', '/api/console/outbox/{id}/retry'],
  ['GET', '/api/simulator/messages'],
  ['POST', '/api/simulator/inbound'],
  ['POST', '/api/simulator/clock/advance'],
  ['PUT', '/api/simulator/settings'],
  // Added later: the clock (409 on the wall clock), settings, the SMSC (off: 404), ops, applications, sender settings.
  ['GET', '/api/simulator/clock'],
  ['GET', '/api/simulator/settings'],
  ['GET', '/api/simulator/messages/wait'],
  ['DELETE', '/api/simulator/messages'],
  ['GET', '/api/simulator/smsc'],
  ['PUT', '/api/simulator/smsc/behaviour'],
  ['POST', '/api/simulator/smsc/mo'],
  ['GET', '/api/ops/carriers'],
  ['GET', '/api/relay/rest/phone_numbers/search'],
  ['DELETE', '/api/relay/rest/phone_numbers/{id}'],
  ['GET', '/api/messaging/opt_outs/{id}'],
  ['PUT', '/api/messaging/settings'],
  ['GET', '/api/messaging/settings/{id}'],
  ['POST', `${ACC}/Applications.json`],
  ['GET', `${ACC}/Applications/{id}.json`],
  ['POST', `${ACC}/Applications/{id}.json`],
  ['DELETE', `${ACC}/Applications/{id}.json`],
  ['POST', `${ACC}/IncomingPhoneNumbers.json`],
  ['GET', `${ACC}/IncomingPhoneNumbers/{id}.json`],
  ['DELETE', `${ACC}/IncomingPhoneNumbers/{id}.json`],
  ['GET', '/2010-04-01/Accounts.json'],
  ['GET', `${ACC2}.json`],
  ['POST', '/api/console/login'],
  ['POST', '/api/console/logout'],
  ['GET', '/api/console/session'],
  ['GET', '/api/console/connections'],
  ['POST', '/api/console/outbox/redrive'],
  // Added later: memberships, a group's deletion, Media by sid, an opt-out by id, accounts, the console's replay and dev login, the OpenAPI document.
  ['GET', '/api/relay/rest/number_group_memberships/{id}'],
  ['DELETE', '/api/relay/rest/number_group_memberships/{id}'],
  ['DELETE', '/api/relay/rest/number_groups/{id}'],
  ['GET', `${ACC}/Messages/${mms.sid}/Media/{id}.json`],
  ['GET', `${ACC}/Messages/{id}/Media/${mediaSid}.json`],
  ['DELETE', `${ACC}/Messages/${mms.sid}/Media/{id}.json`],
  ['DELETE', '/api/messaging/opt_outs/{id}'],
  ['GET', '/api/laml/2010-04-01/Accounts.json'],
  ['GET', '/api/laml/2010-04-01/Accounts'],
  ['GET', ACC],
  ['GET', '/api/laml/2010-04-01/Accounts/{id}.json'],
  ['POST', '/api/laml/2010-04-01/Accounts/{id}.json'],
  ['POST', '/api/console/outbox/{id}/replay'],
  ['GET', '/api/console/messages/{id}'],
  ['POST', '/api/console/dev-login'],
  ['GET', '/api/openapi.json'],
  ['GET', '/health'],
  ['GET', '/ready'],
  ['GET', '/metrics'],
];
const paramNames = ['include_deleted', 'page_size', 'PageSize', 'Page', 'page_token', 'PageToken', 'status', 'from', 'to', 'From', 'To', 'DateSent', 'DateSent>', 'created_after', 'created_on', 'limit', 'before', 'q', 'since', 'until', 'number', 'filter_name', 'timeout', 'contains', 'direction', 'surface', 'ours', 'other', 'x'];
const values = ['true', 'True', 'TRUE', '1', 'yes', '', 'false', '%00', '%ff', '%zz', '%', 'a'.repeat(3000), '-1', '0', '99999999999999999999', '1e309', 'NaN', '[]', '{}', '%E2%82%AC', '%ED%A0%80', 'null', '2026-02-30', '+15557650001', `${msgA}`];
function query() {
  const n = Math.floor(random() * 4);
  const parts = [];
  for (let i = 0; i < n; i++) {
    const name = pick(paramNames);
    const form = random();
    if (form < 0.1) parts.push(`${name}[]=${pick(values)}`);
    else if (form < 0.2) parts.push(`${name}[a]=${pick(values)}`);
    else if (form < 0.3) parts.push(`${name}=${pick(values)}&${name}=${pick(values)}`);
    else if (form < 0.35) parts.push(name);
    else parts.push(`${name}=${pick(values)}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}
const jsonBodies = ['{"ms":1e309}', '{"ms":-0}', '{"delay_ms":-1}', '{"delay_ms":[]}', '{"rules":[{"prefix":"+1","outcome":"failed","error":{}}]}', '{"message_laml_application_id":["a"]}', '{"message_laml_application_id":"\u0000"}', '{"from":"+15557650001","to":"+15551230001","body":"\u0000","split":"sar"}', '{"max_submits_per_second":1e309}', ...['0', '1.5', '"60"', '1e3', '172801', 'null', '[]', '9007199254740993'].map((v) => `{"from":"+15551230001","to":"+15557650001","body":"v","validity_period":${v}}`), '{', '[]', 'null', '1', '"x"', '{"from":1,"to":[],"body":{}}', '{"from":"+15551230001","to":"+15557650001","body":"' + 'x'.repeat(20000) + '"}', '{"body":"\u0000"}', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}', '{"name":' + '['.repeat(200) + ']'.repeat(200) + '}', '{"name":"g","name":"h"}', '{"status":"canceled"}', '{"body":""}', '{"number":"+15551230001"}', '{"to":"+15557650001","from":"+15551230001","body":"hi","media":["ftp://x"]}', '{"a":1e999}', '{"from":"\uD800"}'];
// Odd encodings: BOMs, overlong and surrogate UTF-8, lone surrogates as \u escapes, duplicate keys,
// numbers past every range, nesting at and over the cap (32), prototype keys (raw bytes, so as sent).
const oddJson = ['\ufeff{"name":"bom"}', '{"name":"\\ud800"}', '{"name":"\\udc00\\ud800"}', '{"name":"a\\u0000b"}', '{"name":"g","name":{"x":1}}', '{"number":1e400}', '{"number":-1e-400}', '{"number":18446744073709551617}', '{"number":-0.0e0}', '{"name":' + '['.repeat(31) + ']'.repeat(31) + '}', '{"name":' + '['.repeat(33) + ']'.repeat(33) + '}', '{"__proto__":{"name":"p"}}', '{"name":"c","constructor":{"name":"x"},"prototype":1,"__proto__":[]}', '{"sender":"+15551230001","handset":"+15557650005","__proto__":{"handset":"+1"}}'];
const oddBytes = [[0xfe, 0xff, 0x00, 0x7b, 0x00, 0x7d], [0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00], [0x00, 0x00, 0xfe, 0xff], [0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xc0, 0xaf, 0x22, 0x7d], [0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d], [0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xf4, 0x90, 0x80, 0x80, 0x22, 0x7d], [0x7b, 0x00, 0x7d]].map((b) => Buffer.from(b));
jsonBodies.push(...oddJson);
const formBodies = [...['0', '1.5', '', '%00', '60&ValidityPeriod=70', '1e3'].map((v) => `To=%2B15557650001&From=%2B15551230001&Body=v&ValidityPeriod=${v}`), 'To=%2B15557650001&From=%2B15551230001&Body=hi', 'To=%2B15557650001&To=%2B15557650002&From=%2B15551230001&Body=hi', 'To[]=1&From[a]=2', 'Body=%ff%fe', 'Body=%zz', 'To=%00', 'StatusCallback=javascript:alert(1)&To=%2B15557650001&From=%2B15551230001&Body=x', 'MediaUrl=' + 'a'.repeat(5000), '=&&&==', 'Status=canceled', 'Body=', 'SmsUrl=file:///etc/passwd',
  // Odd percent-escapes (well-formed ones are decoded natively, the rest byte by byte).
  ...['%', '%2', '%%41', '%2B%2b+', '%C3%A9%zz', '%E2%82%AC%', '%F0%9F%98%80', '%F0%9F%98', '%ED%A0%80', '%C0%80', '%EF%BF%BF', '%f4%90%80%80', '%u00e9', '😀%41', '%2541'].map((e) => `To=%2B15557650001&From=%2B15551230001&Body=${e}`),
  '%54o=%2B15557650001&%46rom=%2B15551230001&Body=esc', 'To=%2B15551230001&From=%2B15551230001&Body=self', 'Outcome=confirmed', 'Outcome=%63onfirmed', 'Outcome=unconfirmed&Outcome=confirmed', 'SmsApplicationSid=%00', 'SmsApplicationSid[]=x', 'SmsApplicationSid=a&SmsApplicationSid=b', 'FriendlyName=' + '%F0%9F%98%80'.repeat(100), 'PhoneNumber=%2B15551230003&SmsUrl=https://example.com/x', 'Outcome=%ff', 'Outcome=' + '%41'.repeat(3000)];
const contentTypes = ['application/json', 'application/x-www-form-urlencoded', 'text/plain', 'application/json; charset=latin1', 'multipart/form-data; boundary=x', 'application/xml', '', 'application/json, text/plain', 'application/x-www-form-urlencoded; charset=utf-16'];
const authOptions = [AUTH, AUTH, AUTH, otherAuth, null, 'Basic !!!', `Basic ${Buffer.from(`${PROJECT}:`).toString('base64')}`, 'Bearer ' + TOKEN];

const failures = [];
let n = 0;
let slowest = 0;
function shapeOk(path, status, text, method) {
  if (method === 'HEAD' || status < 400) return true;
  let b;
  try {
    b = JSON.parse(text);
  } catch {
    return false;
  }
  if (path.startsWith('/api/laml/') || path.startsWith('/2010-04-01/')) return typeof b.code === 'number' && typeof b.message === 'string' && 'more_info' in b && typeof b.status === 'number';
  // Native: {error, message} before validation, {errors: [...]} for validation (docs/api/native.md).
  if (Array.isArray(b.errors)) return b.errors.length > 0 && b.errors.every((e) => typeof e.code === 'string' && (typeof e.message === 'string' || typeof e.detail === 'string'));
  return typeof b.error === 'string' && typeof b.message === 'string';
}
// Every operation the served OpenAPI document lists: which no route template above reaches (printed,
// so a route added later is seen to be missed), and HEAD and OPTIONS on each path over both schemes.
const documented = Object.entries(JSON.parse((await call('http', 'GET', '/api/openapi.json', { auth: null })).body).paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => [m.toUpperCase(), p]));
const concrete = (template) => template.replace(/\{[^}]+\}/g, 'ID');
const uncovered = documented.filter(([m, p]) => {
  const re = new RegExp(`^${p.replace('{AccountSid}', PROJECT).replace(/\./g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`);
  return !routes.some(([rm, t]) => rm === m && re.test(concrete(t)));
});
const sweepFailures = [];
for (const [, p] of documented) {
  const path = p.replace('{AccountSid}', PROJECT).replace(/\{[^}]+\}/g, msgA);
  for (const scheme of ['http', 'https']) for (const method of ['HEAD', 'OPTIONS']) {
    const res = await call(scheme, method, path).catch((err) => ({ status: 0, body: err.message }));
    if (res.status === 0 || res.status >= 500 || (method === 'HEAD' && res.body !== '') || !shapeOk(path, res.status, res.body, method)) sweepFailures.push({ scheme, method, path, status: res.status, answer: res.body.slice(0, 200) });
  }
}
console.log(JSON.stringify({ documentedOperations: documented.length, notReached: uncovered.map(([m, p]) => `${m} ${p}`), headOptionsFailures: sweepFailures.length }));
failures.push(...sweepFailures);

const rssStart = rss();
let rssMax = rssStart;
const rssTimeline = [];
// The heap in use (MB) from /metrics: RSS alone does not shrink after a burst, so growth shows here.
const heapMb = async () => Math.round(Number(/^nodejs_heap_size_used_bytes (\S+)$/m.exec((await call('http', 'GET', '/metrics', { auth: null })).body)?.[1]) / 1048576);
const heapTimeline = [await heapMb()];

while (n < count && Date.now() < deadline) {
  n++;
  const scheme = random() < 0.5 ? 'http' : 'https';
  let [method, template] = pick(routes);
  const r = random();
  if (r < 0.08) method = 'HEAD';
  else if (r < 0.14) method = 'OPTIONS';
  else if (r < 0.17) method = pick(['PUT', 'DELETE', 'PATCH', 'TRACE', 'PROPFIND']);
  // The handset wait is a long poll (10 s by default): a short or odd timeout first, so it answers within the cap.
  const wait = template.endsWith('/wait') ? `?timeout=${pick(['0', '1', '0.5', '-1', '1e309', 'NaN', '%00'])}` : '';
  const path = template.replace('{id}', pick(ids)) + (wait ? wait + query().replace('?', '&') : query());
  const headers = {};
  let body;
  if (method !== 'GET' && method !== 'HEAD' && random() < 0.9) {
    const compat = template.includes('Accounts');
    body = compat && random() < 0.7 ? pick(formBodies) : pick(jsonBodies);
    const ct = random() < 0.6 ? (compat ? 'application/x-www-form-urlencoded' : 'application/json') : pick(contentTypes);
    if (ct) headers['content-type'] = ct;
    const mangle = random();
    if (mangle < 0.05) body = Buffer.concat([Buffer.from(body), Buffer.from([0xff, 0xfe, 0x00, 0xc3])]);
    else if (mangle < 0.1) body = pick(oddBytes);
    else if (mangle < 0.13) body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body)]);
  }
  // Always framed: node's client sends an OPTIONS/DELETE body with neither header, which the server rightly reads as a second request.
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  if (random() < 0.1) headers['idempotency-key'] = pick(['k', 'x'.repeat(1000), '%00', '']);
  if (template.startsWith('/api/console') && random() < 0.5) headers.cookie = pick(['sb_session=x', 'sb_session=' + 'a'.repeat(5000), 'a=b; a=c']);
  const t0 = Date.now();
  let res;
  let auth;
  try {
    auth = pick(authOptions);
    res = await call(scheme, method, path, { body, headers, auth });
  } catch (err) {
    failures.push({ scheme, method, path: path.slice(0, 200), body: String(body).slice(0, 200), error: err.message });
    continue;
  }
  const took = Date.now() - t0;
  slowest = Math.max(slowest, took);
  const pathOnly = path.split('?')[0];
  // Another project's record in an answer is a leak.
  const foreign = auth === otherAuth ? [msgA, group] : auth ? [msgB, groupB] : [];
  const leak = res.status < 300 && foreign.some((id) => res.body.includes(id));
  if (leak || res.status >= 500 || !shapeOk(pathOnly, res.status, res.body, method) || took > 5000) {
    failures.push({ scheme, method, path: path.slice(0, 200), ct: headers['content-type'], body: String(body).slice(0, 200), status: res.status, answer: res.body.slice(0, 300), took });
  }
  if (n % 250 === 0) {
    const now = rss();
    rssMax = Math.max(rssMax, now);
    if (n % 2000 === 0) {
      rssTimeline.push(Math.round(now));
      heapTimeline.push(await heapMb());
    }
    const health = await call('http', 'GET', '/health', { auth: null });
    if (health.status !== 200) failures.push({ note: `health ${health.status} after ${n}` });
  }
}
console.log(JSON.stringify({ seed, requests: n, failures: failures.length, slowestMs: slowest, rssStartMb: Math.round(rssStart), rssMaxMb: Math.round(rssMax), rssEndMb: Math.round(rss()), rssEvery2000: rssTimeline, heapMbEvery2000: heapTimeline }));
printDistinct(failures, (f) => `${f.method} ${f.status} ${(f.path ?? '').split('?')[0].replace(/[0-9a-f-]{36}/g, '{uuid}')} ${f.answer?.slice(0, 60)}`);
await server.stop();
rmSync(dataDir, { recursive: true, force: true });
process.exit(0);

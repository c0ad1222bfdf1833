/**
 * Requests that race on one record: creates, updates and deletes of the same number, group,
 * membership, application, opt-out, message and medium sent at once (each race `width` requests of
 * each kind, over HTTP). Every answer must be a 2xx or a 4xx in its surface's error shape, never a
 * 5xx (a foreign key or a read-back that found nothing: both were found this way on PostgreSQL);
 * /health must answer after each round. Run it on PostgreSQL + NATS too (SWITCHBOARD_DATABASE_URL,
 * SWITCHBOARD_NATS_URL, lib.mjs), where requests really run side by side. Loopback; bounded in rounds.
 * `npm run build && node scripts/fuzz/races.mjs [seed] [rounds]`. Not part of the test suite.
 */
import { request as httpRequest } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT, AUTH, FROM, sleep } from '../../bench/lib/bench-server.mjs';
import { freePorts, fuzzRun, printDistinct, send, startFuzzServer } from './lib.mjs';

const { seed, size: rounds, deadline, random } = fuzzRun({ size: 4, seconds: 240 });
const width = 6;
const [port, httpsPort] = await freePorts(2);
const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-fuzz-'));
const { server } = await startFuzzServer({ port, httpsPort, dataDir, capSeconds: 600 });
const ACC = `/api/laml/2010-04-01/Accounts/${PROJECT}`;
const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';

const failures = [];
const statuses = {};
async function call(method, path, body, type = JSON_TYPE) {
  const headers = { authorization: AUTH };
  if (body !== undefined) {
    headers['content-type'] = type;
    headers['content-length'] = String(Buffer.byteLength(body));
  }
  const res = await send(httpRequest, { host: '127.0.0.1', port, method, path, headers }, body).catch((err) => ({ status: 0, body: err.message }));
  statuses[res.status] = (statuses[res.status] ?? 0) + 1;
  let shaped = res.status < 400;
  if (!shaped) {
    try {
      const b = JSON.parse(res.body);
      shaped = path.includes('/2010-04-01/') ? typeof b.code === 'number' && typeof b.message === 'string' && 'more_info' in b : Array.isArray(b.errors) || (typeof b.error === 'string' && typeof b.message === 'string');
    } catch {
      shaped = false;
    }
  }
  if (res.status === 0 || res.status >= 500 || !shaped) failures.push({ method, path: path.replace(/[0-9a-f-]{36}/g, '{id}'), status: res.status, answer: res.body.slice(0, 200) });
  return res;
}
const idOf = (res, key = 'id') => {
  try {
    return JSON.parse(res.body)[key];
  } catch {
    return undefined;
  }
};
/** Each of `fns` `width` times, all at once, in a shuffled order. */
async function race(...fns) {
  const all = fns.flatMap((f) => Array.from({ length: width }, () => f));
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [all[i], all[j]] = [all[j], all[i]];
  }
  await Promise.all(all.map((f) => f()));
}

let n = 0;
const number = () => `+1555${String(2_000_000 + Math.floor(random() * 7_000_000)).padStart(7, '0')}`;
for (let round = 0; round < rounds && Date.now() < deadline; round++) {
  // A group deleted while members are added, renamed and listed; a number released meanwhile.
  const group = idOf(await call('POST', '/api/relay/rest/number_groups', JSON.stringify({ name: `g${round}` })));
  const num = idOf(await call('POST', '/api/relay/rest/phone_numbers', JSON.stringify({ number: number() })));
  await race(
    () => call('POST', `/api/relay/rest/number_groups/${group}/number_group_memberships`, JSON.stringify({ phone_number_id: num })),
    () => call('PUT', `/api/relay/rest/number_groups/${group}`, JSON.stringify({ name: 'renamed', sticky_sender: true })),
    () => call('DELETE', `/api/relay/rest/number_groups/${group}`),
    () => call('GET', `/api/relay/rest/number_groups/${group}/number_group_memberships`),
    () => call('PUT', `/api/relay/rest/phone_numbers/${num}`, JSON.stringify({ name: 'n' })),
    () => call('DELETE', `/api/relay/rest/phone_numbers/${num}`),
  );
  // A membership removed while its group and its number go.
  const g2 = idOf(await call('POST', '/api/relay/rest/number_groups', JSON.stringify({ name: 'm' })));
  const n2 = idOf(await call('POST', '/api/relay/rest/phone_numbers', JSON.stringify({ number: number() })));
  const m2 = idOf(await call('POST', `/api/relay/rest/number_groups/${g2}/number_group_memberships`, JSON.stringify({ phone_number_id: n2 })));
  await race(
    () => call('DELETE', `/api/relay/rest/number_group_memberships/${m2}`),
    () => call('GET', `/api/relay/rest/number_group_memberships/${m2}`),
    () => call('DELETE', `/api/relay/rest/number_groups/${g2}`),
    () => call('DELETE', `/api/relay/rest/phone_numbers/${n2}`),
  );
  // An application deleted while numbers are pointed at it, through both APIs; the number released too.
  const app = idOf(await call('POST', `${ACC}/Applications.json`, 'FriendlyName=a&SmsUrl=https%3A%2F%2Fexample.com%2Fx', FORM), 'sid');
  const pn = idOf(await call('POST', `${ACC}/IncomingPhoneNumbers.json`, `PhoneNumber=${encodeURIComponent(number())}`, FORM), 'sid');
  await race(
    () => call('DELETE', `${ACC}/Applications/${app}.json`),
    () => call('POST', `${ACC}/Applications/${app}.json`, 'FriendlyName=b', FORM),
    () => call('POST', `${ACC}/IncomingPhoneNumbers/${pn}.json`, `SmsApplicationSid=${app}`, FORM),
    () => call('PUT', `/api/relay/rest/phone_numbers/${pn}`, JSON.stringify({ message_handler: 'laml_application', message_laml_application_id: app })),
    () => call('DELETE', `${ACC}/IncomingPhoneNumbers/${pn}.json`),
  );
  // One opt-out added and removed, by pair and by id.
  const handset = number();
  await race(
    () => call('POST', '/api/messaging/opt_outs', JSON.stringify({ sender: FROM, handset })),
    () => call('DELETE', `/api/messaging/opt_outs?sender=${encodeURIComponent(FROM)}&handset=${encodeURIComponent(handset)}`),
    async () => {
      const list = await call('GET', `/api/messaging/opt_outs?handset=${encodeURIComponent(handset)}`);
      const id = JSON.parse(list.body).data?.[0]?.id;
      if (id) await call('DELETE', `/api/messaging/opt_outs/${id}`);
    },
  );
  // A sent MMS redacted, deleted, its media deleted and read, all at once (once it has ended).
  const mms = idOf(await call('POST', `${ACC}/Messages.json`, `From=${encodeURIComponent(FROM)}&To=${encodeURIComponent(number())}&Body=m&MediaUrl=https%3A%2F%2Fexample.com%2Fa.png`, FORM), 'sid');
  await sleep(1500);
  const media = JSON.parse((await call('GET', `${ACC}/Messages/${mms}/Media.json`)).body).media_list?.[0]?.sid ?? 'none';
  await race(
    () => call('POST', `${ACC}/Messages/${mms}.json`, 'Body=', FORM),
    () => call('DELETE', `${ACC}/Messages/${mms}.json`),
    () => call('DELETE', `${ACC}/Messages/${mms}/Media/${media}.json`),
    () => call('GET', `${ACC}/Messages/${mms}/Media/${media}.json`),
    () => call('PATCH', `/api/messaging/messages/${mms}`, JSON.stringify({ body: '' })),
  );
  // The same sender's settings written at once.
  await race(
    () => call('PUT', `/api/messaging/settings/${encodeURIComponent(FROM)}`, JSON.stringify({ opt_out_replies: random() < 0.5 })),
    () => call('GET', `/api/messaging/settings/${encodeURIComponent(FROM)}`),
  );
  n++;
  const health = await call('GET', '/health');
  if (health.status !== 200) failures.push({ note: `health ${health.status} after round ${round}` });
}
console.log(JSON.stringify({ seed, rounds: n, failures: failures.length, statuses }));
printDistinct(failures, (f) => `${f.method} ${f.path} ${f.status}`);
await server.stop();
rmSync(dataDir, { recursive: true, force: true });
process.exit(0);

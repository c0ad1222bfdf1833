/**
 * The webhook HTTP worker: sends the requests `WebhookHttpClient` hands it with undici, each with
 * connect/read/total timeouts, following up to 3 redirects and reading at most `maxResponseBytes`
 * of the answer, and hands the answers back. Requests and answers travel in batches (one message
 * per turn of either event loop). Written as plain CommonJS so it runs from sources and builds
 * alike (as the SQLite checkpointer). Host names are looked up through `lookupSlots`.
 *
 * A request with `sign` is a delivery: the worker builds its wire form and signs it (`wireOf`,
 * signing.ts), work that costs the thread owning the database about 9 µs a callback.
 *
 * Protocol: the client posts arrays of `{ id, project, url, method, headers, body, timeouts, sign? }`,
 * and the string 'close' to end (the worker closes its pools, letting requests in flight finish, and
 * exits); the worker posts arrays of `{ id, ok: true, response }` (with what was sent: `requestUrl`
 * and `signature`) or `{ id, ok: false, name, code, message, sent: { requestUrl, signature } }`.
 */
import { lookupSlots } from './lookup-slots.js';
import { signFormRequest, signJsonRequest, wireOf, wireRequest, wireUrl } from './signing.js';

export const HTTP_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { Agent, buildConnector, interceptors, request } = require(workerData.undici);
const dns = require('node:dns');
const net = require('node:net');

// No connection to a refused address (link-local and cloud metadata always; every private network
// with webhooks.refusePrivateNetworks), whatever the URL says (a name resolving to one, a redirect
// to one). Checked where the address is known: after the lookup for names, before connecting for
// literal addresses.
let blocked = null;
if (workerData.privateNetworks) {
  blocked = new net.BlockList();
  for (const [address, prefix, family] of workerData.privateNetworks) blocked.addSubnet(address, prefix, family);
}
function refusal(address) {
  const err = new Error('refused to connect to ' + address + ': a private, link-local or cloud metadata address (see webhooks.refusePrivateNetworks)');
  err.code = 'ERR_PRIVATE_ADDRESS';
  return err;
}
function isBlocked(address) {
  const family = net.isIP(address);
  return family !== 0 && blocked.check(address, family === 6 ? 'ipv6' : 'ipv4');
}
// The projects with requests in flight to each host name: a lookup of the name is charged to the
// first of them (a redirect's host, asked by no request, to no project: ''), so one project's
// receivers whose DNS hangs hold no more than its share of the lookup slots.
const hostProjects = new Map();
function holdHost(r) {
  let host;
  try {
    host = new URL(r.url).hostname;
  } catch {
    return () => {};
  }
  if (net.isIP(host) !== 0 || host.startsWith('[')) return () => {};
  let projects = hostProjects.get(host);
  if (!projects) hostProjects.set(host, (projects = new Map()));
  projects.set(r.project, (projects.get(r.project) || 0) + 1);
  return () => {
    const n = projects.get(r.project) - 1;
    if (n > 0) projects.set(r.project, n);
    else projects.delete(r.project);
    if (projects.size === 0 && hostProjects.get(host) === projects) hostProjects.delete(host);
  };
}
function projectOfHost(hostname) {
  const projects = hostProjects.get(hostname);
  return projects ? projects.keys().next().value : '';
}
// The wire form of deliveries (signing.ts).
${wireUrl.toString()}
${signJsonRequest.toString()}
${signFormRequest.toString()}
${wireRequest.toString()}
${wireOf.toString()}

// Lookups bounded so that receivers whose DNS hangs cannot hold the process's thread pool (lookup-slots.ts).
const lookup = (${lookupSlots.toString()})(dns.lookup, { slots: 2, maxWaiting: 1000, ttlMs: 30000, negativeTtlMs: 5000, maxCached: 1000, now: Date.now, projectOf: projectOfHost });
function guardedLookup(hostname, options, callback) {
  lookup(hostname, options, (err, address, family) => {
    if (err) return callback(err);
    const all = Array.isArray(address) ? address : [{ address, family }];
    const bad = all.find((a) => isBlocked(a.address));
    if (bad) return callback(refusal(bad.address));
    callback(null, address, family);
  });
}
function connectorFor(connectMs) {
  if (!blocked) return buildConnector({ timeout: connectMs, lookup });
  const connect = buildConnector({ timeout: connectMs, lookup: guardedLookup });
  return (options, callback) => {
    let host = String(options.hostname);
    if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
    if (isBlocked(host)) return callback(refusal(host), null);
    return connect(options, callback);
  };
}

// Total timeouts on one timer: deadlines rounded up to buckets of 25 ms, one timer for the
// earliest bucket (cheaper than AbortSignal.timeout when most requests end long before it).
const RESOLUTION_MS = 25;
const buckets = new Map();
let timer;
let timerAt = Infinity;
function arm(at) {
  if (timer) clearTimeout(timer);
  timerAt = at;
  timer = setTimeout(fire, Math.max(0, at - Date.now()));
}
function fire() {
  timer = undefined;
  timerAt = Infinity;
  const now = Date.now();
  let next = Infinity;
  for (const [at, bucket] of buckets) {
    if (at > now) { next = Math.min(next, at); continue; }
    buckets.delete(at);
    for (const controller of bucket) controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  }
  if (next !== Infinity) arm(next);
}
function deadline(controller, ms) {
  const at = Math.ceil((Date.now() + ms) / RESOLUTION_MS) * RESOLUTION_MS;
  let bucket = buckets.get(at);
  if (!bucket) {
    bucket = new Set();
    buckets.set(at, bucket);
    if (at < timerAt) arm(at);
  }
  bucket.add(controller);
  return () => {
    bucket.delete(controller);
    if (bucket.size === 0 && buckets.get(at) === bucket) buckets.delete(at);
  };
}

// One keep-alive pool per connect timeout.
const agents = new Map();
function agentFor(t) {
  let agent = agents.get(t.connectMs);
  if (!agent) {
    agent = new Agent({ connect: connectorFor(t.connectMs), connections: 64, keepAliveTimeout: 4000 }).compose(interceptors.redirect({ maxRedirections: 3 }));
    agents.set(t.connectMs, agent);
  }
  return agent;
}

// The answer's text in the charset its Content-Type names, else the one its XML declaration names
// (a cXML document in ISO-8859-1), else UTF-8; an unknown label reads as UTF-8, and a UTF-8 BOM is dropped.
function decodeBody(buf, contentType) {
  let label = /;\\s*charset\\s*=\\s*"?([^";\\s]+)/i.exec(contentType || '');
  if (!label) label = /^\\s*<\\?xml[^>]*?\\sencoding\\s*=\\s*["']([A-Za-z0-9._:-]+)["']/.exec(buf.subarray(0, 256).toString('latin1'));
  try {
    return new TextDecoder(label ? label[1] : 'utf-8').decode(buf);
  } catch {
    return new TextDecoder('utf-8').decode(buf);
  }
}

async function exchange(r) {
  const controller = new AbortController();
  const cancel = deadline(controller, r.timeouts.totalMs);
  const releaseHost = holdHost(r);
  let sent = { requestUrl: r.url, signature: '' };
  try {
    const wire = wireOf(r);
    sent = { requestUrl: wire.requestUrl, signature: wire.signature };
    const res = await request(wire.requestUrl, {
      method: r.method,
      headers: wire.headers,
      body: wire.body,
      dispatcher: agentFor(r.timeouts),
      signal: controller.signal,
      headersTimeout: r.timeouts.readMs,
      bodyTimeout: r.timeouts.readMs,
    });
    const chunks = [];
    let size = 0;
    let truncated = false;
    for await (const chunk of res.body) {
      if (size + chunk.length > workerData.maxResponseBytes) {
        chunks.push(chunk.subarray(0, workerData.maxResponseBytes - size));
        truncated = true;
        res.body.destroy();
        break;
      }
      chunks.push(chunk);
      size += chunk.length;
    }
    const ct = res.headers['content-type'];
    const contentType = Array.isArray(ct) ? (ct[0] ?? null) : (ct ?? null);
    return { id: r.id, ok: true, response: { statusCode: res.statusCode, contentType, body: decodeBody(Buffer.concat(chunks), contentType), truncated, requestUrl: sent.requestUrl, signature: sent.signature } };
  } catch (err) {
    const e = err && typeof err === 'object' ? err : { message: String(err) };
    return { id: r.id, ok: false, name: typeof e.name === 'string' ? e.name : 'Error', code: typeof e.code === 'string' ? e.code : undefined, message: String(e.message), sent };
  } finally {
    cancel();
    releaseHost();
  }
}

let answers = [];
function answer(a) {
  answers.push(a);
  if (answers.length === 1) setImmediate(() => { const batch = answers; answers = []; parentPort.postMessage(batch); });
}

parentPort.on('message', (m) => {
  if (m === 'close') {
    if (timer) clearTimeout(timer);
    // The answers of the last requests are posted first (an immediate queued before this one).
    Promise.allSettled([...agents.values()].map((a) => a.close())).then(() => setImmediate(() => parentPort.close()));
    return;
  }
  for (const r of m) exchange(r).then(answer);
});
`;

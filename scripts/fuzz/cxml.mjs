/**
 * Hostile cXML webhooks: an inbound message per case, whose number's webhook answers it with
 * malformed XML, huge or slow documents, deep nesting, DTDs (billion laughs, XXE), odd <Redirect>
 * targets (other schemes, the server itself), wrong content types, 3xx loops. Checks each inbound
 * message is stored, each attempt records an outcome (no hang, no 500 on reads), the replies sent
 * are the ones expected, and the server's RSS stays bounded. Loopback only; bounded.
 * `npm run build && node scripts/fuzz/cxml.mjs`. Not part of the test suite.
 */
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBenchServer, PROJECT, TOKEN, AUTH, FROM, sleep } from '../../bench/lib/bench-server.mjs';
import { freePorts, rssMb } from './lib.mjs';

const [port, hookPort] = await freePorts(2);
const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-fuzz-'));
const server = await startBenchServer({ port, dataDir, capSeconds: 600, env: { SWITCHBOARD_WEBHOOK_BREAKER_FAILURES: '1000' } });
const base = `http://127.0.0.1:${port}`;
const hook = `http://127.0.0.1:${hookPort}`;
const rss = () => rssMb(server.pid);
const rssStart = rss();

const laughs = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><Response><Message>&lol3;</Message></Response>';
const xxe = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><Response><Message>&x;</Message></Response>';
const msg = (text) => `<Response><Message>${text}</Message></Response>`;
const redirect = (url, method = 'POST') => `<Response><Redirect method="${method}">${url}</Redirect></Response>`;
/** Each case: what the hook answers (by path), and the replies expected (null: do not check). */
const cases = {
  ok: { answer: () => ({ body: msg('fine') }), replies: 1 },
  malformed: { answer: () => ({ body: '<Response><Message>hi</Response>' }), replies: 0, code: 12100 },
  notXml: { answer: () => ({ body: '{"reply":"hi"}', type: 'application/json' }), replies: 0, code: 12100 },
  html: { answer: () => ({ body: '<html><body>hi</body></html>', type: 'text/html' }), replies: 0, code: 12100 },
  binary: { answer: () => ({ body: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0xff, 0xfe]), type: 'image/png' }), replies: 0, code: 12100 },
  xmlAsJson: { answer: () => ({ body: msg('typed json'), type: 'application/json' }), replies: null },
  badUtf8: { answer: () => ({ body: Buffer.concat([Buffer.from('<Response><Message>caf'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('</Message></Response>')]) }), replies: null },
  utf16: { answer: () => ({ body: Buffer.from('\ufeff' + msg('wide'), 'utf16le'), type: 'text/xml; charset=utf-16' }), replies: null },
  bogusCharset: { answer: () => ({ body: msg('x'), type: 'text/xml; charset=x-nonsense-%00' }), replies: 1 },
  huge: { answer: () => ({ body: msg('x'.repeat(5 * 1024 * 1024)) }), replies: 0, code: 11750 },
  hugeChunked: { answer: () => ({ stream: 8 * 1024 * 1024 }), replies: 0, code: 11750 },
  lyingLength: { answer: () => ({ body: msg('short'), length: 100000 }), replies: 0 },
  slow: { answer: () => ({ body: msg('late'), delayMs: 8000 }), replies: 0, code: 11200 },
  deep: { answer: () => ({ body: '<Response>' + '<Message>'.repeat(2000) + '</Message>'.repeat(2000) + '</Response>' }), replies: 0, code: 12100 },
  laughs: { answer: () => ({ body: laughs }), replies: 0, code: 12100 },
  xxe: { answer: () => ({ body: xxe }), replies: 0, code: 12100 },
  manyMessages: { answer: () => ({ body: '<Response>' + '<Message>m</Message>'.repeat(500) + '</Response>' }), replies: 10, code: 14109 },
  manyRedirects: { answer: () => ({ body: '<Response>' + '<Redirect>/again</Redirect>'.repeat(500) + '</Response>' }), replies: null },
  nulRef: { answer: () => ({ body: msg('a&#0;b&#xD800;c&#99999999;') }), replies: 1 },
  redirectFile: { answer: () => ({ body: redirect('file:///etc/passwd') }), replies: 0 },
  redirectJs: { answer: () => ({ body: redirect('javascript:alert(1)') }), replies: 0 },
  redirectFtp: { answer: () => ({ body: redirect('ftp://127.0.0.1/x') }), replies: 0 },
  redirectGopher: { answer: () => ({ body: redirect('gopher://127.0.0.1:25/x') }), replies: 0 },
  redirectData: { answer: () => ({ body: redirect('data:text/xml,<Response><Message>d</Message></Response>') }), replies: 0 },
  redirectProtoRel: { answer: () => ({ body: redirect('//127.0.0.1:1/x') }), replies: 0 },
  redirectSelf: { answer: () => ({ body: redirect(`${base}/api/messaging/logs`, 'GET') }), replies: 0 },
  redirectSelfAuth: { answer: () => ({ body: redirect(`http://${PROJECT}:${TOKEN}@127.0.0.1:${port}/api/simulator/inbound`) }), replies: 0 },
  redirectSelfCompat: { answer: () => ({ body: redirect(`http://${PROJECT}:${TOKEN}@127.0.0.1:${port}/api/laml/2010-04-01/Accounts/${PROJECT}/Messages.json`) }), replies: 0 },
  redirectSpaces: { answer: () => ({ body: redirect(' http://exa mple.com/ ') }), replies: 0 },
  redirectHuge: { answer: () => ({ body: redirect(`${hook}/${'a'.repeat(3000)}`) }), replies: 0 },
  redirectBadMethod: { answer: () => ({ body: redirect(`${hook}/x`, 'DELETE') }), replies: 0, code: 12100 },
  loop302: { answer: (path) => ({ status: 302, location: path }), replies: 0 },
  redirect302file: { answer: () => ({ status: 302, location: 'file:///etc/passwd' }), replies: 0 },
  redirect307Self: { answer: () => ({ status: 307, location: `${base}/api/messaging/logs` }), replies: 0 },
  status204: { answer: () => ({ status: 204 }), replies: 0 },
  status500Body: { answer: () => ({ status: 500, body: msg('error page reply') }), replies: 0, code: 11200 },
  actionLoop: { answer: () => ({ body: '<Response><Message action="/act">a</Message></Response>' }), replies: null },
  actionFile: { answer: () => ({ body: '<Response><Message action="file:///etc/passwd">a</Message></Response>' }), replies: null },
  mediaOdd: { answer: () => ({ body: '<Response><Message><Body>m</Body><Media>file:///etc/passwd</Media><Media>javascript:x</Media></Message></Response>' }), replies: 0 },
  toOdd: { answer: () => ({ body: '<Response><Message to="not-a-number" from="+19999999999">x</Message></Response>' }), replies: 0 },
  emptyMsg: { answer: () => ({ body: '<Response><Message></Message></Response>' }), replies: 0 },
  closesEarly: { answer: () => ({ destroy: true }), replies: 0, code: 11200 },
};

const names = Object.keys(cases);
const hookServer = createServer((req, res) => {
  let raw = '';
  req.on('data', (d) => (raw += d));
  req.on('end', () => {
    const params = new URLSearchParams(req.method === 'GET' ? req.url.split('?')[1] ?? '' : raw);
    const name = params.get('Body') ?? '';
    const c = cases[name];
    if (!c) {
      res.writeHead(200, { 'content-type': 'text/xml' }).end('<Response/>');
      return;
    }
    const a = c.answer(req.url.split('?')[0]);
    const reply = () => {
      if (a.destroy) return req.socket.destroy();
      const headers = { 'content-type': a.type ?? 'text/xml' };
      if (a.location) headers.location = a.location;
      if (a.stream) {
        res.writeHead(200, headers);
        let sent = 0;
        const pump = () => {
          while (sent < a.stream) {
            sent += 65536;
            if (!res.write('x'.repeat(65536))) return res.once('drain', pump);
          }
          res.end();
        };
        res.write('<Response><Message>');
        res.on('error', () => undefined);
        return pump();
      }
      if (a.length) headers['content-length'] = String(a.length);
      res.writeHead(a.status ?? 200, headers);
      if (a.length) {
        res.write(a.body);
        setTimeout(() => res.socket?.destroy(), 500);
        return;
      }
      res.end(a.body ?? '');
    };
    if (a.delayMs) setTimeout(reply, a.delayMs);
    else reply();
  });
});
hookServer.on('clientError', () => undefined);
await new Promise((r) => hookServer.listen(hookPort, '127.0.0.1', r));

const api = async (path, init = {}) => {
  const res = await fetch(`${base}${path}`, { ...init, headers: { authorization: AUTH, 'content-type': 'application/json', ...(init.headers ?? {}) } });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
};
const numbers = await api('/api/relay/rest/phone_numbers');
const number = numbers.body.data.find((n) => n.number === FROM);
const set = await api(`/api/relay/rest/phone_numbers/${number.id}`, { method: 'PUT', body: JSON.stringify({ message_handler: 'laml_webhooks', message_request_url: `${hook}/start`, message_request_method: 'POST' }) });
if (set.status !== 200) throw new Error(`could not set the number's webhook: ${JSON.stringify(set.body)}`);
const login = await fetch(`${base}/api/console/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin: base }, body: JSON.stringify({ project_id: PROJECT, api_token: TOKEN }) });
const cookie = /^switchboard_console=[^;]*/.exec(login.headers.get('set-cookie') ?? '')?.[0];
if (!cookie) throw new Error(`console login failed: ${login.status}`);

const inbound = {};
for (const [i, name] of names.entries()) {
  const res = await api('/api/simulator/inbound', { method: 'POST', body: JSON.stringify({ from: `+1555700${String(i).padStart(4, '0')}`, to: FROM, body: name }) });
  if (res.status !== 201) console.log('inbound refused', name, res.status, JSON.stringify(res.body));
  inbound[name] = { id: res.body?.id, phone: `+1555700${String(i).padStart(4, '0')}` };
}
console.log(`sent ${names.length} inbound messages; waiting for their exchanges`);
await sleep(25_000);

const failures = [];
for (const name of names) {
  const c = cases[name];
  const { id, phone } = inbound[name];
  const detail = await fetch(`${base}/api/console/messages/${id}`, { headers: { cookie } });
  if (detail.status !== 200) {
    failures.push({ name, note: `detail ${detail.status}`, text: (await detail.text()).slice(0, 200) });
    continue;
  }
  const d = await detail.json();
    const logs = await api(`/api/messaging/logs?to=${encodeURIComponent(phone)}&direction=outbound&page_size=1000`);
  const replies = logs.body.data.length;
  const summary = { name, inbound: d.message.status, deliveries: d.webhooks.length, last: d.webhooks.slice(-1).map((w) => `${w.status} ${w.last_status_code ?? ''} ${String(w.last_error ?? '').slice(0, 160)}`)[0], replies };
  console.log(JSON.stringify(summary));
  if (d.message.status !== 'received') failures.push({ name, note: 'inbound not received', summary });
  if (c.replies !== null && replies !== c.replies) failures.push({ name, note: `replies ${replies}, expected ${c.replies}`, summary });
  if (c.code && !JSON.stringify(d.webhooks).includes(String(c.code))) failures.push({ name, note: `code ${c.code} not recorded`, webhooks: JSON.stringify(d.webhooks).slice(0, 600) });
}
const health = await fetch(`${base}/health`);
console.log(JSON.stringify({ cases: names.length, failures: failures.length, health: health.status, rssStartMb: Math.round(rssStart), rssEndMb: Math.round(rss()) }));
for (const f of failures) console.log(JSON.stringify(f).slice(0, 900));
hookServer.closeAllConnections();
hookServer.close();
await server.stop();
rmSync(dataDir, { recursive: true, force: true });
process.exit(0);

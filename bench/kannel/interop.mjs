// Kannel ↔ Switchboard interoperability: Kannel's bearerbox (an SMPP client we did not write)
// binds to the simulator's SMSC as a transceiver; its submits (plain, long, UCS-2, failing) get
// message ids and receipts, and an MO from the SMSC reaches Kannel's smsbox.
//   npx tsc -b && node bench/kannel/interop.mjs          (KANNEL_INSTALL=1 to apt-get install it)
// Exits 0 and says "skipped" with the reason when Kannel is not available. Loopback only; every
// process it starts is stopped by pid; bounded in time (about 60 s at most).
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BEARERBOX, SMSBOX, ensureKannel, freePort, startBox, waitFor, writeKannelConf } from './kannel.mjs';

const why = ensureKannel();
if (why) {
  console.log(`kannel interop: skipped (${why})`);
  process.exit(0);
}

const { loadSettings } = await import('../../packages/server/dist/config/load.js');
const { startSwitchboard } = await import('../../packages/server/dist/main.js');

const dir = mkdtempSync(join(tmpdir(), 'switchboard-kannel-'));
const smscPort = await freePort();
const ports = { admin: await freePort(), smsbox: await freePort(), sendsms: await freePort() };
const hits = [];
const receiver = createServer((req, res) => {
  const u = new URL(req.url, 'http://x');
  hits.push({ path: u.pathname, q: Object.fromEntries(u.searchParams) });
  res.end('ok');
});
await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
const rport = receiver.address().port;

const settings = loadSettings({
  env: {},
  overrides: { port: 0, httpsPort: 0, dataDir: dir, logLevel: 'warn', simulatorSmscEnabled: true, simulatorSmscPort: smscPort, simulatorDelayMs: 50, numbers: ['+15551230001'] },
});
const sb = await startSwitchboard(settings);
const conf = writeKannelConf(dir, {
  ports,
  serviceUrl: `http://127.0.0.1:${rport}/mo`,
  smsc: `group = smsc
smsc = smpp
smsc-id = SWITCHBOARD
host = 127.0.0.1
port = ${smscPort}
transceiver-mode = true
smsc-username = "switchboard"
smsc-password = "secret"
system-type = ""
max-pending-submits = 10
msg-id-type = 0x00
enquire-link-interval = 30`,
});
const bearerbox = startBox(BEARERBOX, ['-v', '2', conf], dir, 'bearerbox');
// smsbox gives up if bearerbox is not listening yet: start it once the admin port answers.
await waitFor(async () => (await fetch(`http://127.0.0.1:${ports.admin}/status.txt?password=benchstatus`)).ok, 20_000, 'bearerbox').catch(() => undefined);
const smsbox = startBox(SMSBOX, ['-v', '2', conf], dir, 'smsbox');

const results = [];
async function check(name, fn) {
  try {
    await fn();
    results.push([name, true]);
    console.log(`  ok   ${name}`);
  } catch (err) {
    results.push([name, false]);
    console.log(`  FAIL ${name}: ${err.message}`);
  }
}
function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}
async function sendsms(to, text, extra = '') {
  const dlr = encodeURIComponent(`http://127.0.0.1:${rport}/dlr?to=${encodeURIComponent(to)}&status=%d&smscid=%F`);
  const url = `http://127.0.0.1:${ports.sendsms}/cgi-bin/sendsms?username=bench&password=benchpw&to=${encodeURIComponent(to)}&text=${encodeURIComponent(text)}&dlr-mask=31&dlr-url=${dlr}${extra}`;
  const r = await fetch(url);
  return `${r.status} ${await r.text()}`;
}
const submissionsTo = (to) => sb.smsc.submissions().filter((s) => s.to === to);
const dlrsFor = (to) => hits.filter((h) => h.path === '/dlr' && h.q.to === to).map((h) => Number(h.q.status));

try {
  console.log(`kannel interop: bearerbox pid ${bearerbox.pid}, smsbox pid ${smsbox.pid}, simulator SMSC on 127.0.0.1:${smscPort}`);
  await check('Kannel binds to the simulator SMSC as a transceiver', async () => {
    await waitFor(() => sb.smsc.binds().some((b) => b.mode === 'transceiver'), 20_000, 'a transceiver bind');
  });
  await waitFor(async () => (await fetch(`http://127.0.0.1:${ports.sendsms}/`).catch(() => null)) !== null, 10_000, 'smsbox');

  await check('a plain submit gets a message id and a delivered receipt (dlr 1)', async () => {
    assert((await sendsms('+447700900001', 'hello from kannel')).startsWith('202'), 'sendsms refused');
    await waitFor(() => submissionsTo('+447700900001').length === 1, 10_000, 'the submission');
    const s = submissionsTo('+447700900001')[0];
    assert(s.text === 'hello from kannel' && s.registeredDelivery > 0, `unexpected submission ${JSON.stringify(s)}`);
    await waitFor(() => dlrsFor('+447700900001').includes(1), 10_000, 'a delivered DLR');
  });

  await check('a long text arrives as UDH-concatenated parts and is receipted', async () => {
    const text = 'Kannel long message test. '.repeat(11);
    await sendsms('+447700900002', text);
    await waitFor(() => submissionsTo('+447700900002').length === 2, 10_000, 'two parts');
    const parts = submissionsTo('+447700900002').sort((a, b) => a.concat.seq - b.concat.seq);
    assert(parts.every((p) => p.concat && p.concat.total === 2), 'parts without concatenation info');
    assert(parts.map((p) => p.text).join('') === text, 'reassembled text differs');
    await waitFor(() => dlrsFor('+447700900002').includes(1), 10_000, 'a delivered DLR');
  });

  await check('UCS-2 text with emoji keeps every character', async () => {
    const text = 'Grüße 👋🏽 ✓';
    await sendsms('+447700900003', text, '&coding=2&charset=UTF-8');
    await waitFor(() => submissionsTo('+447700900003').length === 1, 10_000, 'the submission');
    const s = submissionsTo('+447700900003')[0];
    assert(s.dataCoding === 8 && s.text === text, `got ${JSON.stringify(s)}`);
  });

  await check('an undeliverable number gets a failed receipt (dlr 2)', async () => {
    await sendsms('+12015550101', 'unreachable');
    await waitFor(() => dlrsFor('+12015550101').includes(2), 10_000, 'a failed DLR');
  });

  await check('a number the SMSC rejects gets an SMSC-reject report (dlr 16)', async () => {
    await sendsms('+12015550104', 'landline');
    await waitFor(() => dlrsFor('+12015550104').includes(16), 10_000, 'an SMSC reject DLR');
  });

  await check('an MO from the SMSC reaches Kannel smsbox', async () => {
    sb.smsc.injectMo({ from: '+447700900999', to: '12345', text: 'ping from a handset' });
    await waitFor(() => hits.some((h) => h.path === '/mo' && h.q.text === 'ping from a handset'), 10_000, 'the MO at smsbox');
  });
} finally {
  await smsbox.stop();
  await bearerbox.stop();
  await sb.close();
  await new Promise((r) => receiver.close(r));
  if (!process.env.KEEP_KANNEL_DIR) rmSync(dir, { recursive: true, force: true });
}
const failed = results.filter(([, ok]) => !ok).length;
console.log(`kannel interop: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

// Helpers to run Kannel (Debian's kannel + kannel-extras) as an independent peer: find or install
// it, write a config, start boxes by pid and stop them by pid. Loopback only.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { procCpuSeconds, procPeakRssMb } from '../lib/proc.mjs';

export const BEARERBOX = '/usr/sbin/bearerbox';
export const SMSBOX = '/usr/sbin/smsbox';
export const DRIVE_SMPP = '/usr/lib/kannel/test/drive_smpp';
export const FAKESMSC = '/usr/lib/kannel/test/fakesmsc';

/** The programs the benchmarks run, from Debian's kannel and kannel-extras. */
const PROGRAMS = [BEARERBOX, SMSBOX, DRIVE_SMPP, FAKESMSC];
const installed = () => PROGRAMS.every((p) => existsSync(p));

/** Returns null when Kannel can be used, else the reason it cannot. Installs it when KANNEL_INSTALL=1 and apt-get works. */
export function ensureKannel() {
  if (installed()) return null;
  if (process.env.KANNEL_INSTALL === '1' && process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore', timeout: 300_000 });
    const r = spawnSync('apt-get', ['install', '-y', '-qq', 'kannel', 'kannel-extras'], { stdio: 'ignore', timeout: 600_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (r.status === 0 && installed()) return null;
    return `apt-get install kannel kannel-extras failed (exit ${r.status})`;
  }
  return `Kannel is not installed (${PROGRAMS.filter((p) => !existsSync(p)).join(', ')} missing); install Debian's kannel and kannel-extras, or set KANNEL_INSTALL=1 as root`;
}

/** The core, smsbox and sendsms-user groups used by every run; `smsc` is the SMSC group text. */
export function writeKannelConf(dir, { ports, smsc, serviceUrl }) {
  mkdirSync(join(dir, 'store'), { recursive: true });
  const conf = `group = core
admin-port = ${ports.admin}
admin-interface = 127.0.0.1
admin-password = benchadmin
status-password = benchstatus
admin-allow-ip = "127.0.0.1"
smsbox-port = ${ports.smsbox}
smsbox-interface = 127.0.0.1
box-allow-ip = "127.0.0.1"
log-file = "${dir}/bearerbox.log"
log-level = 2
dlr-storage = internal
store-type = file
store-location = "${dir}/store/kannel.store"

${smsc}

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = ${ports.smsbox}
sendsms-port = ${ports.sendsms}
sendsms-interface = 127.0.0.1
global-sender = 12345
log-file = "${dir}/smsbox.log"
log-level = 2

group = sendsms-user
username = bench
password = benchpw
max-messages = 10
concatenation = true

group = sms-service
keyword = default
get-url = "${serviceUrl ?? 'http://127.0.0.1:9/'}?from=%p&to=%P&text=%a"
max-messages = 0
catch-all = true
`;
  const file = join(dir, 'kannel.conf');
  writeFileSync(file, conf);
  return file;
}

/** The `fake` SMSC group (field notes §5, pipeline A): bearerbox listens on `port` for Kannel's fakesmsc. */
export function fakeSmscGroup(port) {
  return `group = smsc
smsc = fake
smsc-id = FAKE
port = ${port}
connect-allow-ip = 127.0.0.1`;
}

/**
 * Start a Kannel program; returns {pid, stop(signal?)} (the signal, SIGTERM unless given, by pid,
 * then SIGKILL). Also killed by pid if the benchmark process exits first (a time cap).
 */
export function startBox(cmd, args, dir, name) {
  const child = spawn(cmd, args, { cwd: dir, stdio: ['ignore', 'ignore', 'ignore'] });
  let exited = false;
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  child.on('exit', () => {
    exited = true;
    process.off('exit', killOnExit);
  });
  return {
    pid: child.pid,
    get exited() {
      return exited;
    },
    /** utime + stime so far, seconds. */
    cpuSeconds: () => procCpuSeconds(child.pid),
    /** Peak resident memory so far, MB. */
    peakRssMb: () => procPeakRssMb(child.pid),
    async stop(signal = 'SIGTERM') {
      if (exited) return;
      child.kill(signal);
      for (let i = 0; i < 50 && !exited; i++) await new Promise((r) => setTimeout(r, 100));
      if (!exited) child.kill('SIGKILL');
    },
    name,
  };
}

/** bearerbox's status.txt as text. */
export async function kannelStatus(adminPort) {
  const r = await fetch(`http://127.0.0.1:${adminPort}/status.txt?password=benchstatus`);
  return r.text();
}

/** Messages sent so far by bearerbox (the "SMS: received N (..), sent M" line). */
export function sentCount(statusText) {
  const m = /SMS: received \d+ \([^)]*\), sent (\d+)/.exec(statusText);
  return m ? Number(m[1]) : 0;
}

export async function waitFor(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export { freePort } from '../lib/ports.mjs';

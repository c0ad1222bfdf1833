import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { certificateHostnames, ensureLocalCertificates } from './tls.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function fresh(): string {
  const d = mkdtempSync(join(tmpdir(), 'switchboard-tls-'));
  dirs.push(d);
  return join(d, 'tls');
}

describe('the local certificate authority', () => {
  it('issues a CA and a server certificate for the host names, keys readable only by the owner', () => {
    const dir = fresh();
    const tls = ensureLocalCertificates(dir, certificateHostnames(['switchboard.test', '[::1]', '0.0.0.0'], 'devbox'));
    expect(tls.generated).toBe(true);
    const ca = new X509Certificate(readFileSync(join(dir, 'ca.pem')));
    const cert = new X509Certificate(tls.cert);
    expect(ca.ca).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.checkIssued(ca)).toBe(true);
    for (const host of ['localhost', 'devbox', 'switchboard.test']) expect(cert.checkHost(host)).toBe(host);
    for (const ip of ['127.0.0.1', '::1']) expect(cert.checkIP(ip)).toBeDefined();
    expect(cert.subjectAltName).not.toMatch(/0\.0\.0\.0/);
    expect(statSync(join(dir, 'ca-key.pem')).mode & 0o077).toBe(0);
    expect(statSync(join(dir, 'server-key.pem')).mode & 0o077).toBe(0);
  });

  it('keeps everything while it is good, and reissues the server certificate from the same CA when names change or it nears expiry', () => {
    const dir = fresh();
    const first = ensureLocalCertificates(dir, ['localhost']);
    const again = ensureLocalCertificates(dir, ['localhost']);
    expect(again.generated).toBe(false);
    expect(again.cert).toBe(first.cert);
    const caPem = readFileSync(join(dir, 'ca.pem'), 'utf8');

    const renamed = ensureLocalCertificates(dir, ['localhost', 'api.switchboard.test']);
    expect(renamed.cert).not.toBe(first.cert);
    expect(new X509Certificate(renamed.cert).checkHost('api.switchboard.test')).toBe('api.switchboard.test');
    expect(readFileSync(join(dir, 'ca.pem'), 'utf8')).toBe(caPem);

    const later = ensureLocalCertificates(dir, ['localhost', 'api.switchboard.test'], Date.now() + 800 * 86_400_000);
    expect(later.cert).not.toBe(renamed.cert);
    expect(new X509Certificate(later.cert).verify(new X509Certificate(caPem).publicKey)).toBe(true);
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { afterAll, describe, expect, it } from 'vitest';
import { operatorCertificate } from './operator-tls.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-operator-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DAY = 86_400_000;
const NOW = Date.UTC(2030, 0, 15);
const keys = forge.pki.rsa.generateKeyPair(2048);

/** A self-signed certificate for localhost valid over [from, to], and its key, written as PEM files. */
function certificate(name: string, from: number, to: number): { cert: string; key: string } {
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date(from);
  cert.validity.notAfter = new Date(to);
  cert.setSubject([{ name: 'commonName', value: 'localhost' }]);
  cert.setIssuer([{ name: 'commonName', value: 'localhost' }]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  const paths = { cert: join(dir, `${name}.pem`), key: join(dir, `${name}-key.pem`) };
  writeFileSync(paths.cert, forge.pki.certificateToPem(cert));
  writeFileSync(paths.key, forge.pki.privateKeyToPem(keys.privateKey));
  return paths;
}

describe("the operator's certificate", () => {
  it('is taken while it is valid', () => {
    const { cert, key } = certificate('valid', NOW - DAY, NOW + 90 * DAY);
    expect(operatorCertificate(cert, key).expiresAt).toBe(NOW + 90 * DAY);
  });

  it('is taken once expired too, saying when it expired (the start warns rather than take every surface down)', () => {
    const { cert, key } = certificate('expired', NOW - 90 * DAY, NOW - DAY);
    const material = operatorCertificate(cert, key);
    expect(material.generated).toBe(false);
    expect(new Date(material.expiresAt!).toISOString()).toBe(new Date(NOW - DAY).toISOString().replace(/\.\d{3}Z$/, '.000Z'));
  });
});

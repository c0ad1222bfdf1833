/**
 * The operator's own certificate and key (`https.certFile`, `https.keyFile`), read and checked
 * before anything opens: an unreadable file, a file that is no PEM certificate or key, or a key
 * that is not the certificate's stops the start with one line naming the setting, instead of a
 * stack trace once the HTTP port is already open.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/load.js';
import type { TlsMaterial } from '../http/tls.js';

const CERT = 'https.certFile (SWITCHBOARD_TLS_CERT, --tls-cert)';
const KEY = 'https.keyFile (SWITCHBOARD_TLS_KEY, --tls-key)';
const OR_NONE = 'or unset both https.certFile and https.keyFile for a generated local certificate';

function read(file: string, setting: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : (err as Error).message;
    throw new ConfigError(`${setting}: cannot read ${file} (${why}); give a readable PEM file, ${OR_NONE}`);
  }
}

/** Read and check the operator's certificate and key; throws `ConfigError` naming the setting. */
export function operatorCertificate(certFile: string, keyFile: string): TlsMaterial {
  const cert = read(certFile, CERT);
  const key = read(keyFile, KEY);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new ConfigError(`${CERT}: ${certFile} is not a PEM certificate (-----BEGIN CERTIFICATE-----)${/PRIVATE KEY-----/.test(cert) ? '; it holds a private key: are the two files swapped?' : ''}`);
  }
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new ConfigError(`${KEY}: ${keyFile} is not an unencrypted PEM private key (-----BEGIN PRIVATE KEY-----)${/CERTIFICATE-----/.test(key) ? '; it holds a certificate: are the two files swapped?' : ''}`);
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new ConfigError(`${KEY}: ${keyFile} is not the key of the certificate ${certFile} (https.certFile); give the key the certificate was issued for`);
  }
  // An expired certificate is not refused: a lapsed renewal would otherwise take HTTP, RELAY and
  // SMPP down at the next restart too. The start warns instead (main.ts).
  return { cert, key, caFile: null, generated: false, expiresAt: Date.parse(x509.validTo) };
}

/**
 * Vitest global setup: a local CA and certificate made with Switchboard's own TLS module, trusted
 * by every test worker through NODE_EXTRA_CA_CERTS. Node reads that variable only when a process
 * starts, so it is set here, before the workers fork; tests that drive HTTPS-only clients (the
 * `@signalwire/compatibility-api` SDK) start servers that use this CA (see helpers/tls.ts).
 * The files are kept in node_modules/.cache and reused by later runs (renewed when stale): a
 * process that still holds the variable after the run must not find them gone.
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { certificateHostnames, ensureLocalCertificates } from '../src/http/tls.js';

export default function setup(): void {
  const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
  const dir = join(root, 'node_modules', '.cache', 'switchboard-tests', 'tls');
  const tls = ensureLocalCertificates(dir, certificateHostnames([], null));
  process.env.NODE_EXTRA_CA_CERTS = tls.caFile!;
  process.env.SWITCHBOARD_TEST_TLS_DIR = dir;
}

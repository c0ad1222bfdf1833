/**
 * A data folder whose `tls/` already holds the test run's CA (made by test/global-setup.ts and
 * trusted by this worker), so a server started on it serves a certificate this process trusts.
 */
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function dataDirTrustedByTests(): string {
  const source = process.env.SWITCHBOARD_TEST_TLS_DIR;
  if (!source) throw new Error('SWITCHBOARD_TEST_TLS_DIR is not set: run the tests through vitest (test/global-setup.ts)');
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-test-'));
  mkdirSync(join(dataDir, 'tls'), { recursive: true });
  for (const f of ['ca.pem', 'ca-key.pem', 'server.pem', 'server-key.pem']) copyFileSync(join(source, f), join(dataDir, 'tls', f));
  return dataDir;
}

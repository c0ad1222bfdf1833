import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { startupBanner } from '../../src/cli/banner.js';
import { bannerCredentials } from '../../src/cli/local-credentials.js';
import { API_TOKEN, NUMBERS, PROJECT_ID, startTestServer } from '../helpers/server.js';

const run = promisify(execFile);
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function freshDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'switchboard-https-'));
  dirs.push(d);
  return d;
}

/** A separate Node process, started with or without NODE_EXTRA_CA_CERTS, sends a message with the SignalWire SDK. */
async function sendFromChild(host: string, caFile: string | null): Promise<{ ok: boolean; out: string }> {
  const script = `
    import { RestClient } from '@signalwire/compatibility-api';
    const client = RestClient(${JSON.stringify(PROJECT_ID)}, ${JSON.stringify(API_TOKEN)}, { signalwireSpaceUrl: ${JSON.stringify(host)} });
    try {
      const m = await client.messages.create({ to: '+15557710001', from: ${JSON.stringify(NUMBERS[0])}, body: 'from a child process' });
      console.log(JSON.stringify({ ok: true, sid: m.sid }));
    } catch (err) {
      console.log(JSON.stringify({ ok: false, error: String(err.code ?? err.message) }));
    }`;
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  if (caFile) env.NODE_EXTRA_CA_CERTS = caFile;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { env, cwd: process.cwd(), timeout: 20_000 });
  const parsed = JSON.parse(stdout.trim().split('\n').pop()!);
  return { ok: parsed.ok, out: stdout };
}

function httpsGet(url: string, ca?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HTTPS beside plain HTTP', () => {
  it('generates a local CA at first start, prints how to trust it, and the SDK works once it is trusted', async () => {
    const dataDir = freshDir();
    const server = await startTestServer({ httpsEnabled: true, httpsPort: 0 }, { dataDir });
    try {
      expect(server.caFile).toBe(join(dataDir, 'tls', 'ca.pem'));
      expect(existsSync(server.caFile!)).toBe(true);
      expect(server.httpsUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(server.servers).toHaveLength(2);
      const banner = startupBanner(server, await bannerCredentials(server));
      expect(banner).toContain(server.httpsUrl!);
      expect(banner).toContain(`export NODE_EXTRA_CA_CERTS=${server.caFile}`);
      // The test server runs with a configured API token: the banner names it without printing it.
      expect(banner).not.toContain(API_TOKEN);

      const host = server.httpsUrl!.replace('https://', '');
      const trusted = await sendFromChild(host, server.caFile);
      expect(trusted.ok).toBe(true);
      const untrusted = await sendFromChild(host, null);
      expect(untrusted.ok).toBe(false);
      // Both listeners serve the same application.
      expect(await httpsGet(`${server.httpsUrl}/health`, readFileSync(server.caFile!, 'utf8'))).toBe(200);
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
    } finally {
      await server.stop();
    }

    // A restart keeps the CA (already trusted) and the still-valid server certificate.
    const caBefore = readFileSync(join(dataDir, 'tls', 'ca.pem'), 'utf8');
    const certBefore = readFileSync(join(dataDir, 'tls', 'server.pem'), 'utf8');
    const again = await startTestServer({ httpsEnabled: true }, { dataDir });
    try {
      expect(readFileSync(join(dataDir, 'tls', 'ca.pem'), 'utf8')).toBe(caBefore);
      expect(readFileSync(join(dataDir, 'tls', 'server.pem'), 'utf8')).toBe(certBefore);
      expect(await httpsGet(`${again.httpsUrl}/health`, caBefore)).toBe(200);
    } finally {
      await again.stop();
    }
  });

  it('serves a certificate and key the operator supplies, and can be turned off', async () => {
    const tlsDir = process.env.SWITCHBOARD_TEST_TLS_DIR!;
    const server = await startTestServer({ httpsEnabled: true, tlsCertFile: join(tlsDir, 'server.pem'), tlsKeyFile: join(tlsDir, 'server-key.pem') }, { dataDir: freshDir() });
    try {
      expect(server.caFile).toBeNull();
      expect(await httpsGet(`${server.httpsUrl}/health`)).toBe(200);
      expect(startupBanner(server, await bannerCredentials(server))).not.toContain('NODE_EXTRA_CA_CERTS');
    } finally {
      await server.stop();
    }
    const off = await startTestServer({ httpsEnabled: false });
    try {
      expect(off.httpsUrl).toBeNull();
      expect(off.servers).toHaveLength(1);
    } finally {
      await off.stop();
    }
    await expect(startTestServer({ httpsEnabled: true, tlsCertFile: join(tlsDir, 'server.pem') }, { dataDir: freshDir() })).rejects.toThrow(/certFile and https.keyFile must be given together/);
  });
});

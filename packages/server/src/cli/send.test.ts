import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../config/load.js';
import { ensureLocalCertificates, tlsDir } from '../http/tls.js';
import { sendFromTerminal } from './send.js';

let dataDir: string;
let server: Server;
let url: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'switchboard-send-'));
  // The certificate a server on the defaults serves: signed by the local CA of its data folder.
  const tls = ensureLocalCertificates(tlsDir(dataDir), ['127.0.0.1']);
  server = createServer({ key: tls.key, cert: tls.cert }, (_req, res) => res.end('{}'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dataDir, { recursive: true, force: true });
});

describe('switchboard send', () => {
  // It said "cannot reach … (UNABLE_TO_VERIFY_LEAF_SIGNATURE): is `switchboard start` running?" of a server that runs.
  it("to an https:// server whose local CA this process does not trust: says so and how to trust it, not that the server is down", async () => {
    const settings = loadSettings({ env: {}, flags: { 'data-dir': dataDir } });
    const sent = sendFromTerminal({ from: '+15551230001', to: '+15557654321', body: 'hi', url, project: 'p', token: 't' }, settings, {});
    await expect(sent).rejects.toThrow(new RegExp(`^${url} answered with a certificate this command does not trust \\(UNABLE_TO_VERIFY_LEAF_SIGNATURE\\): set NODE_EXTRA_CA_CERTS=\\S+ca\\.pem`));
    await expect(sent).rejects.not.toThrow(/is `switchboard start` running/);
  });
});

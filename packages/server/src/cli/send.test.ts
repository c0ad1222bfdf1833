import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
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

  // It said "cannot reach … (ERR_SSL_WRONG_VERSION_NUMBER): is `switchboard start` running?" of a server that runs.
  it('to https:// on a plain HTTP port: says the port speaks plain HTTP, not that the server is down', async () => {
    const plain = createHttpServer((_req, res) => res.end('{}'));
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
    try {
      const port = (plain.address() as { port: number }).port;
      const settings = loadSettings({ env: {}, flags: { 'data-dir': dataDir } });
      await expect(sendFromTerminal({ from: '+15551230001', to: '+15557654321', body: 'hi', url: `https://127.0.0.1:${port}`, project: 'p', token: 't' }, settings, {})).rejects.toThrow(
        `https://127.0.0.1:${port} did not answer in TLS (ERR_SSL_WRONG_VERSION_NUMBER): that is a plain HTTP port; give it as http://127.0.0.1:${port}, or give the server's HTTPS port (8443 by default) with --url`,
      );
    } finally {
      plain.closeAllConnections();
      await new Promise((r) => plain.close(r));
    }
  });

  // The command printed only "cannot read the message's log: 403 Forbidden", without the message's id.
  it('--wait on a message whose log cannot be read: names the message that was sent and the reason the server gave', async () => {
    const fake = createHttpServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.method === 'POST') return void res.writeHead(201).end(JSON.stringify({ id: 'm1', status: 'queued' }));
      res.writeHead(403).end(JSON.stringify({ error: 'Forbidden', message: 'Insufficient scope: this token lacks messaging.' }));
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    try {
      const settings = loadSettings({ env: {}, flags: { 'data-dir': dataDir } });
      const fakeUrl = `http://127.0.0.1:${(fake.address() as { port: number }).port}`;
      await expect(sendFromTerminal({ from: '+15551230001', to: '+15557654321', body: 'hi', url: fakeUrl, project: 'p', token: 't', wait: true }, settings, {})).rejects.toThrow(
        /^sent m1 \(queued\), but cannot read its log to wait for it: Insufficient scope: this token lacks messaging\. \(403\)$/,
      );
    } finally {
      await new Promise((r) => fake.close(r));
    }
  });

  // With a test token the message is answered 201 but never sent or stored, so its log answers 403:
  // the command said "sent m1 …, but cannot read its log", of a message that was not sent.
  it('--wait with a test token: says the message was not sent and that there is nothing to wait for', async () => {
    const fake = createHttpServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.method === 'POST') return void res.writeHead(201).end(JSON.stringify({ id: 'm1', status: 'queued' }));
      res.writeHead(403).end(JSON.stringify({ error: 'Forbidden', message: 'Test credentials can only send messages; use a live API token for this resource.' }));
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    try {
      const settings = loadSettings({ env: {}, flags: { 'data-dir': dataDir } });
      const fakeUrl = `http://127.0.0.1:${(fake.address() as { port: number }).port}`;
      const printed: string[] = [];
      await expect(sendFromTerminal({ from: '+15005550006', to: '+15557654321', body: 'hi', url: fakeUrl, project: 'p', token: 't', wait: true }, settings, {}, (l) => printed.push(l))).rejects.toThrow(
        /^m1 was not sent: the token is a test token, whose messages are answered queued but never sent or stored, so there is no status to wait for; leave out --wait, or give a live API token \(--token\) to send for real$/,
      );
      expect(printed).toEqual(['m1  queued']);
    } finally {
      await new Promise((r) => fake.close(r));
    }
  });

  // It waited its minute and said only "still not final", on a server where nothing moves until a test advances the clock.
  it('--wait on a server with a manual simulator clock says that the clock must be advanced, as it starts waiting and when it runs out', async () => {
    const notes: string[] = [];
    let notesAtFirstLook: string[] | undefined;
    const fake = createHttpServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.method === 'POST') return void res.writeHead(201).end(JSON.stringify({ id: 'm2', status: 'queued' }));
      if (req.url === '/api/simulator/clock') return void res.end(JSON.stringify({ now: '2026-12-03T13:37:00.000Z', mode: 'manual' }));
      notesAtFirstLook ??= [...notes];
      res.end(JSON.stringify({ id: 'm2', status: 'initiated' }));
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    try {
      const settings = loadSettings({ env: {}, flags: { 'data-dir': dataDir } });
      const fakeUrl = `http://127.0.0.1:${(fake.address() as { port: number }).port}`;
      const { lines, exitCode } = await sendFromTerminal({ from: '+15551230001', to: '+15557654321', body: 'hi', url: fakeUrl, project: 'p', token: 't', wait: true, waitTimeoutMs: -1 }, settings, {}, () => {}, (n) => notes.push(n));
      expect(exitCode).toBe(1);
      expect(lines).toEqual(['m2  queued', expect.stringMatching(/^m2 {2}initiated {2}\(still not final; stopped waiting: the server's simulator clock is manual, .*POST \/api\/simulator\/clock\/advance\)$/)]);
      // Said before the wait (on stderr), not only once its minute is over.
      expect(notesAtFirstLook).toEqual([expect.stringMatching(/^waiting for m2: the server's simulator clock is manual, .*POST \/api\/simulator\/clock\/advance$/)]);
    } finally {
      await new Promise((r) => fake.close(r));
    }
  });

  // It printed nothing until the wait was over (a minute on a manual clock): the message's id was not
  // on the terminal while it waited, and a Ctrl-C lost it.
  it('--wait prints the id and first status before it starts waiting, then the final status', async () => {
    const printed: string[] = [];
    let printedAtFirstLook: string[] | undefined;
    const fake = createHttpServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.method === 'POST') return void res.writeHead(201).end(JSON.stringify({ id: 'm4', status: 'queued' }));
      printedAtFirstLook ??= [...printed];
      res.end(JSON.stringify({ id: 'm4', status: 'delivered' }));
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    try {
      const settings = loadSettings({ env: {}, flags: { 'data-dir': dataDir } });
      const fakeUrl = `http://127.0.0.1:${(fake.address() as { port: number }).port}`;
      const sent = await sendFromTerminal({ from: '+15551230001', to: '+15557654321', body: 'hi', url: fakeUrl, project: 'p', token: 't', wait: true }, settings, {}, (line) => printed.push(line));
      expect(printedAtFirstLook).toEqual(['m4  queued']);
      expect(printed).toEqual(['m4  queued', 'm4  delivered']);
      expect(sent).toEqual({ lines: printed, exitCode: 0 });
    } finally {
      await new Promise((r) => fake.close(r));
    }
  });

  // It exited 0 whatever the message became, so a script could not tell a failed send from a delivered one.
  it('--wait exits 0 for a delivered message and 1 for one that ends undelivered or failed', async () => {
    let final = 'delivered';
    const fake = createHttpServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.method === 'POST') return void res.writeHead(201).end(JSON.stringify({ id: 'm3', status: 'queued' }));
      res.end(JSON.stringify({ id: 'm3', status: final, error_code: final === 'delivered' ? null : '30003', error_message: final === 'delivered' ? null : 'Unreachable destination handset' }));
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    try {
      const settings = loadSettings({ env: {}, flags: { 'data-dir': dataDir } });
      const fakeUrl = `http://127.0.0.1:${(fake.address() as { port: number }).port}`;
      const send = () => sendFromTerminal({ from: '+15551230001', to: '+15557654321', body: 'hi', url: fakeUrl, project: 'p', token: 't', wait: true }, settings, {});
      expect(await send()).toEqual({ lines: ['m3  queued', 'm3  delivered'], exitCode: 0 });
      for (final of ['undelivered', 'failed']) expect(await send()).toEqual({ lines: ['m3  queued', `m3  ${final}  30003 Unreachable destination handset`], exitCode: 1 });
    } finally {
      await new Promise((r) => fake.close(r));
    }
  });

  it('says an empty --body is empty, not missing', async () => {
    const settings = loadSettings({ env: {}, flags: { 'data-dir': dataDir } });
    const opts = { from: '+15551230001', to: '+15557654321', url, project: 'p', token: 't' };
    await expect(sendFromTerminal({ ...opts, body: ' ' }, settings, {})).rejects.toThrow(/^--body is empty: give the message text, or --media for a message of media only$/);
    await expect(sendFromTerminal(opts, settings, {})).rejects.toThrow(/^give --body, --media or both$/);
  });

  // It said "no credentials … credentials.json holds them after a start" of a file that is there
  // but cannot be used (another user's, or not what a start writes): say what is wrong with it.
  it('without credentials, names what is wrong with a credentials.json that is there but cannot be used', async () => {
    const send = (dir: string) => sendFromTerminal({ from: '+15551230001', to: '+15557654321', body: 'hi', url }, loadSettings({ env: {}, flags: { 'data-dir': dir } }), {});
    const broken = mkdtempSync(join(tmpdir(), 'switchboard-send-creds-'));
    onTestFinished(() => rmSync(broken, { recursive: true, force: true }));
    writeFileSync(join(broken, 'credentials.json'), '{"projectId": 1}');
    await expect(send(broken)).rejects.toThrow(/^no credentials: \S+credentials\.json is not the credentials a start writes \(JSON with projectId and apiToken\): delete it and start the server again/);
    const unreadable = mkdtempSync(join(tmpdir(), 'switchboard-send-creds-'));
    onTestFinished(() => rmSync(unreadable, { recursive: true, force: true }));
    mkdirSync(join(unreadable, 'credentials.json'));
    await expect(send(unreadable)).rejects.toThrow(/^no credentials: \S+credentials\.json cannot be read \(EISDIR\), or give --project and --token/);
    // No file at all: the hint that a start writes one.
    const empty = mkdtempSync(join(tmpdir(), 'switchboard-send-creds-'));
    onTestFinished(() => rmSync(empty, { recursive: true, force: true }));
    await expect(send(empty)).rejects.toThrow(/credentials\.json holds them after a start on SQLite$/);
  });

  // On PostgreSQL it took the project from an earlier SQLite run's credentials.json and the token from
  // SIGNALWIRE_API_TOKEN (as the banner asks), and the server refused that pair as a wrong token (401).
  it("on PostgreSQL, or for another project, never pairs a token with the data folder's kept credentials", async () => {
    const folder = mkdtempSync(join(tmpdir(), 'switchboard-send-creds-'));
    onTestFinished(() => rmSync(folder, { recursive: true, force: true }));
    writeFileSync(join(folder, 'credentials.json'), JSON.stringify({ projectId: 'sqlite-project', apiToken: 'PTkept' }));
    const opts = { from: '+15551230001', to: '+15557654321', body: 'hi', url };
    const onPostgres = loadSettings({ env: { SWITCHBOARD_DATABASE_URL: 'postgres://u@db/sb' }, flags: { 'data-dir': folder } });
    await expect(sendFromTerminal(opts, onPostgres, { SIGNALWIRE_API_TOKEN: 'PTlive' })).rejects.toThrow(
      /^no credentials: give --project \(SIGNALWIRE_PROJECT_ID; the start banner prints the project ID\); on PostgreSQL none are kept in the data folder$/,
    );
    await expect(sendFromTerminal(opts, onPostgres, {})).rejects.toThrow(/^no credentials: give --project \(.*\) and --token \(SIGNALWIRE_API_TOKEN; make one with `switchboard token create`\);/);
    const onSqlite = loadSettings({ env: {}, flags: { 'data-dir': folder } });
    await expect(sendFromTerminal({ ...opts, project: 'other-project' }, onSqlite, {})).rejects.toThrow(
      /^no token for project other-project: the data folder's credentials \(\S+credentials\.json\) are project sqlite-project's; give --token \(or set SIGNALWIRE_API_TOKEN\)$/,
    );
  });
});


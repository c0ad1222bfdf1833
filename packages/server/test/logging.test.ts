import { createServer } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, isHumanFormat } from '../src/composition/logger.js';
import { WebhookFailureLog } from '../src/webhooks/failure-log.js';
import { captureLogs, type CapturedLogs } from './helpers/log-capture.js';
import { waitForStatus } from './helpers/messages.js';
import { eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

/** What a logger wrote to a stream, as text. */
function collect(stream: PassThrough): () => string {
  const chunks: string[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  return () => chunks.join('');
}

/** A local port nothing listens on: connections to it are refused at once. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe('log format', () => {
  it('is readable on a terminal and JSON otherwise, unless forced', () => {
    expect(isHumanFormat('auto', true)).toBe(true);
    expect(isHumanFormat('auto', false)).toBe(false);
    expect(isHumanFormat('json', true)).toBe(false);
    expect(isHumanFormat('pretty', false)).toBe(true);
  });

  it('writes one JSON object per line for collectors', () => {
    const out = new PassThrough();
    const text = collect(out);
    createLogger({ level: 'info', format: 'json', nodeId: 'n1', destination: out }).info({ req: { method: 'GET', url: '/x' }, responseTime: 1.5 }, 'GET /x 200 1.5 ms');
    const line = JSON.parse(text().trim());
    expect(line).toMatchObject({ level: 30, node: 'n1', msg: 'GET /x 200 1.5 ms', req: { method: 'GET', url: '/x' }, responseTime: 1.5 });
  });

  it('writes one readable line per entry in pretty mode, without the fields its message already says', () => {
    const out = new PassThrough();
    const text = collect(out);
    const logger = createLogger({ level: 'info', format: 'pretty', nodeId: 'n1', destination: out });
    logger.info({ req: { method: 'GET', url: '/x' }, res: { statusCode: 200 }, responseTime: 1.5 }, 'GET /x 200 1.5 ms');
    logger.warn({ destination: 'example.com:443', error: '11200: HTTP 500' }, 'webhooks failing');
    const lines = text().trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: GET \/x 200 1\.5 ms$/);
    // Other fields stay, on the same line.
    expect(lines[1]).toMatch(/WARN: webhooks failing \{"destination":"example\.com:443","error":"11200: HTTP 500"\}$/);
  });
});

describe('webhook failure summary', () => {
  const failure = (destination: string, n: number, giveUp = false) => ({ destination, url: `http://${destination}/cb`, kind: 'status_callback', deliveryId: n, attempt: 1, error: '11200: connection refused', giveUp });

  it('logs a destination\'s first failure at once and the rest as one line per interval', () => {
    const logs = captureLogs('info');
    let now = 0;
    const log = new WebhookFailureLog(logs.logger, 60_000, () => now);
    log.failed(failure('a.test:80', 1));
    expect(logs.lines).toHaveLength(1);
    expect(logs.lines[0]).toMatchObject({ destination: 'a.test:80', url: 'http://a.test:80/cb', giveUp: false });
    expect(logs.lines[0]!.msg).toContain('webhook to http://a.test:80/cb failed; will retry: 11200: connection refused');
    for (let i = 2; i <= 40; i++) log.failed(failure('a.test:80', i, i % 10 === 0));
    log.failed(failure('b.test:80', 99));
    expect(logs.lines).toHaveLength(2);

    now = 60_000;
    log.flush();
    const summaries = logs.lines.slice(2);
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatchObject({ destination: 'a.test:80', failures: 39, gaveUp: 4, lastError: '11200: connection refused', seconds: 60 });
    expect(summaries[0]!.msg).toBe('webhooks to a.test:80: 39 more failed attempts in the last 60 s, 4 given up; last: 11200: connection refused');

    // A quiet interval: nothing written, and the next failure is news again.
    log.flush();
    log.flush();
    expect(logs.lines).toHaveLength(3);
    log.failed(failure('a.test:80', 41));
    expect(logs.lines).toHaveLength(4);
    expect(logs.lines[3]!.msg).toContain('webhook to http://a.test:80/cb failed');
    log.stop();
  });

  it('writes what is pending when stopped', () => {
    const logs = captureLogs('info');
    const log = new WebhookFailureLog(logs.logger, 60_000);
    log.failed(failure('a.test:80', 1));
    log.failed(failure('a.test:80', 2, true));
    log.stop();
    expect(logs.lines.map((l) => l.failures)).toEqual([undefined, 1]);
    expect(logs.lines[1]!.gaveUp).toBe(1);
  });
});

describe('traffic on the log at the default level', () => {
  let server: TestServer;
  let logs: CapturedLogs;
  beforeAll(async () => {
    logs = captureLogs('info');
    server = await startTestServer({ logLevel: 'info', webhookRetryBaseMs: 20, webhookRetryMaxMs: 50 }, { logger: logs.logger });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('writes one line per request, by method, URL, status and time, and none for probes', async () => {
    const sent = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: '+15557650101', body: 'logged' } });
    expect(sent.status).toBe(201);
    await server.api('/health', { auth: null });
    const lines = logs.lines.filter((l) => l.req);
    const create = lines.filter((l) => l.req.url === '/api/messaging/messages');
    expect(create).toHaveLength(1);
    expect(create[0]).toMatchObject({ level: 30, req: { method: 'POST' }, res: { statusCode: 201 } });
    expect(create[0]!.msg).toMatch(/^POST \/api\/messaging\/messages 201 \d+\.\d ms$/);
    expect(typeof create[0]!.reqId).toBe('string');
    expect(lines.filter((l) => l.req.url === '/health')).toHaveLength(0);
  });

  it('writes one line per message state change', async () => {
    const sent = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: '+15557650102', body: 'states' } });
    await waitForStatus(server, sent.body.id, 'delivered');
    const states = logs.lines.filter((l) => l.message?.id === sent.body.id);
    expect(states.map((l) => l.message.status)).toEqual(['queued', 'initiated', 'sent', 'delivered']);
    expect(states[3]).toMatchObject({ level: 30, msg: `message ${sent.body.id} delivered ${NUMBERS[0]} → +15557650102`, message: { direction: 'outbound', from: NUMBERS[0], to: '+15557650102', errorCode: null } });
  });

  it('summarises failed callbacks: one warning for a dead destination, however many attempts fail', async () => {
    const port = await closedPort();
    for (let i = 0; i < 3; i++) {
      const r = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: `+1555765020${i}`, body: 'callback', status_callback: `http://127.0.0.1:${port}/cb` } });
      expect(r.status).toBe(201);
    }
    // Several attempts fail (each message's callbacks, and their retries)...
    await eventually(async () => {
      const m = /switchboard_webhook_deliveries_total\{kind="[a-z_]+",outcome="retry"\} (\d+)/.exec((await server.api('/metrics', { auth: null })).text);
      return Number(m?.[1] ?? 0) >= 4 ? true : undefined;
    });
    // ...and the log has said so once (beside the one line saying the destination is paused).
    const warnings = logs.lines.filter((l) => l.level === 40 && l.destination === `${PROJECT_ID} 127.0.0.1:${port}`);
    const failures = warnings.filter((l) => l.url !== undefined || l.failures !== undefined);
    expect(failures).toHaveLength(1);
    expect(failures[0]!.msg).toContain(`webhook to http://127.0.0.1:${port}/cb failed; will retry`);
    expect(warnings.length).toBeLessThanOrEqual(2);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

describe('operations endpoints', () => {
  it('answers /health without credentials', async () => {
    const res = await server.api('/health', { auth: null });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok' });
    expect(res.body.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('reports readiness of the database and carriers on /ready', async () => {
    const res = await server.api('/ready', { auth: null });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ready');
    expect(res.body.checks.database).toEqual({ ok: true });
    expect(res.body.checks['carrier:simulator']).toMatchObject({ ok: true });
  });

  it('exposes Prometheus metrics for messages by state, queue depth, dispatch latency and webhooks', async () => {
    const sent = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: '+15557650001', body: 'metrics' } });
    expect(sent.status).toBe(201);
    const text = await eventually(async () => {
      const t = (await server.api('/metrics', { auth: null })).text;
      return /switchboard_message_transitions_total\{status="delivered"\} [1-9]/.test(t) ? t : undefined;
    });
    expect(text).toMatch(/switchboard_message_transitions_total\{status="queued"\} \d+/);
    expect(text).toMatch(/switchboard_dispatch_queue_depth \d+/);
    expect(text).toMatch(/switchboard_dispatch_latency_seconds_count [1-9]/);
    expect(text).toMatch(/switchboard_webhooks_pending \d+/);
    expect(text).toMatch(/switchboard_carrier_submissions_total\{carrier="simulator",outcome="accepted"\} [1-9]/);
    // Process metrics under their standard, unprefixed names.
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(text).toMatch(/^# TYPE process_cpu_seconds_total counter$/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(text).not.toMatch(/switchboard_process_/);
  });

  it('follows Prometheus naming: counters end in _total and are typed counter, durations are histograms in seconds', async () => {
    const text = (await server.api('/metrics', { auth: null })).text;
    const types = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
    expect(types.get('switchboard_carrier_events_total')).toBe('counter');
    expect(types.has('switchboard_carrier_events')).toBe(false);
    // Ours only: prom-client's standard runtime gauges include nodejs_active_handles_total.
    const ours = [...types].filter(([name]) => name.startsWith('switchboard_'));
    expect(ours.length).toBeGreaterThan(20);
    for (const [name, type] of ours) {
      if (type === 'counter') expect(name).toMatch(/_total$/);
      if (name.endsWith('_total')) expect(type).toBe('counter');
      if (type === 'histogram') expect(name).toMatch(/_seconds$/);
    }
  });

  it('times HTTP requests per route pattern and status code, not per URL', async () => {
    const sent = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: '+15557650002', body: 'timed' } });
    expect(sent.status).toBe(201);
    expect((await server.api(`/api/messaging/logs/${sent.body.id}`)).status).toBe(200);
    expect((await server.api('/api/messaging/logs/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    await server.api('/no/such/route', { auth: null });
    const text = (await server.api('/metrics', { auth: null })).text;
    const count = (labels: string) => Number(new RegExp(`^switchboard_http_request_duration_seconds_count\\{${labels}\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    expect(count('method="POST",route="/api/messaging/messages",status_code="201"')).toBeGreaterThanOrEqual(1);
    expect(count('method="GET",route="/api/messaging/logs/:id",status_code="200"')).toBeGreaterThanOrEqual(1);
    expect(count('method="GET",route="/api/messaging/logs/:id",status_code="404"')).toBeGreaterThanOrEqual(1);
    expect(count('method="GET",route="unmatched",status_code="404"')).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^switchboard_http_request_duration_seconds_bucket\{le="0\.005",method="POST",route="\/api\/messaging\/messages",status_code="201"\} \d+$/m);
    expect(text).not.toContain(sent.body.id);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await server.api('/no/such/thing', { auth: null });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: 'Not Found', message: 'No route GET /no/such/thing' });
  });

  it('answers a method a path does not take with 405 and the methods it does (Allow), in its API\'s shape', async () => {
    const cases: Array<[string, string, string]> = [
      ['GET', '/api/messaging/messages', 'POST'],
      ['DELETE', '/api/messaging/messages/8a7c5e2e-0000-4000-8000-000000000001', 'PATCH'],
      ['POST', '/api/messaging/logs', 'GET, HEAD'],
      ['PATCH', '/api/relay/rest/phone_numbers/x', 'GET, HEAD, PUT, DELETE'],
      ['DELETE', '/api/relay/rest/number_groups', 'GET, HEAD, POST'],
      ['POST', '/health', 'GET, HEAD'],
    ];
    for (const [method, path, allow] of cases) {
      const res = await server.api(path, { method, auth: null });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get('allow'), `${method} ${path}`).toBe(allow);
      expect(res.body).toEqual({ error: 'Method Not Allowed', message: `${method} is not supported on ${path}; it takes ${allow}.` });
    }
  });

  it("answers the Compatibility API's paths with a method they do not take with Twilio's 20004 (405, Allow), in Twilio's shape", async () => {
    const base = `/2010-04-01/Accounts/${PROJECT_ID}`;
    const sid = '8a7c5e2e-0000-4000-8000-000000000001';
    const cases: Array<[string, string, string]> = [
      ['DELETE', `${base}/Messages.json`, 'GET, HEAD, POST'],
      ['PUT', `${base}/Messages/${sid}.json`, 'GET, HEAD, POST, DELETE'],
      ['PATCH', `/api/laml${base}/Messages/${sid}`, 'GET, HEAD, POST, DELETE'],
      ['DELETE', `${base}/IncomingPhoneNumbers.json`, 'GET, HEAD, POST'],
      ['OPTIONS', `${base}/Messages.json`, 'GET, HEAD, POST'],
    ];
    for (const [method, path, allow] of cases) {
      const res = await server.api(path, { method });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get('allow'), `${method} ${path}`).toBe(allow);
      expect(res.body).toEqual({ code: 20004, message: `${method} is not supported on ${path}; it takes ${allow}.`, more_info: expect.stringContaining('20004'), status: 405 });
    }
    // Credentials come first, as for every path under the prefix; a path no route serves is 20404.
    expect((await server.api(`${base}/Messages.json`, { method: 'DELETE', auth: null })).body).toMatchObject({ code: 20003, status: 401 });
    expect((await server.api(`${base}/Nope.json`, { method: 'DELETE' })).body).toMatchObject({ code: 20404, status: 404 });
  });

  it('answers 404 or 405 for a request no route serves whatever its body, not an error about the body', async () => {
    // Fastify reads the body before its not-found handler: a malformed one was a 400 (or a 415),
    // and the same request with the body fixed a 405.
    const base = `/2010-04-01/Accounts/${PROJECT_ID}`;
    const bodies: Array<[string, string, Record<string, string>?]> = [
      ['application/json', '{bad'],
      ['application/json', ''],
      ['application/json; charset=utf-16', '{}'],
      ['application/json', '{}', { 'content-encoding': 'gzip' }],
      ['application/x-www-form-urlencoded', 'To=%ED%A0%80'],
    ];
    for (const [type, body, extra] of bodies) {
      const headers = { 'content-type': type, ...extra };
      const health = await server.api('/health', { method: 'POST', body, headers, auth: null });
      expect(health.status, `${type} ${body}`).toBe(405);
      expect(health.body).toEqual({ error: 'Method Not Allowed', message: 'POST is not supported on /health; it takes GET, HEAD.' });
      expect((await server.api('/api/messaging/messages', { method: 'PUT', body, headers })).status, `${type} ${body}`).toBe(405);
      expect((await server.api('/api/messaging/nope', { method: 'POST', body, headers })).body).toEqual({ error: 'Not Found', message: 'No route POST /api/messaging/nope' });
      const compat = await server.api(`${base}/Messages.json`, { method: 'PUT', body, headers });
      expect(compat.body, `${type} ${body}`).toMatchObject({ code: 20004, status: 405 });
      expect((await server.api(`${base}/Nope.json`, { method: 'POST', body, headers })).body, `${type} ${body}`).toMatchObject({ code: 20404, status: 404 });
    }
    // A route that exists still refuses the body as before.
    expect((await server.api('/api/messaging/messages', { method: 'POST', body: '{bad', headers: { 'content-type': 'application/json' } })).status).toBe(400);
  });

  it('refuses connections after a graceful close, and what it accepted before finishes after a restart', async () => {
    const other = await startTestServer({ simulatorDelayMs: 50 });
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await other.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: `+1555765${String(i).padStart(4, '0')}`, body: 'drain' } });
      expect(r.status).toBe(201);
      ids.push(r.body.id);
    }
    const url = other.url;
    await other.close();
    await expect(fetch(`${url}/health`)).rejects.toThrow();
    // Reopen the same data: nothing accepted was lost, and the work resumes to the end.
    const again = await startTestServer({}, { dataDir: other.dataDir });
    try {
      await eventually(async () => {
        const logs = await Promise.all(ids.map((id) => again.api(`/api/messaging/logs/${id}`)));
        return logs.every((l) => l.body.status === 'delivered') ? true : undefined;
      });
    } finally {
      await again.stop();
      await other.stop().catch(() => undefined);
    }
  });
});

/** A test client that behaves like the console in a browser: logs in, keeps the cookie, sends the CSRF header. */
import type { ConsoleFeedBatch } from '@switchboard/protocol';
import type { TestServer } from '../helpers/server.js';

export interface ConsoleClient {
  cookie: string | null;
  csrf: string | null;
  setCookie: string | null;
  call(path: string, init?: { method?: string; body?: unknown; csrf?: boolean; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Headers }>;
}

export function consoleClient(server: { url: string }): ConsoleClient {
  const client: ConsoleClient = {
    cookie: null,
    csrf: null,
    setCookie: null,
    async call(path, init = {}) {
      const headers: Record<string, string> = { ...(init.headers ?? {}) };
      if (client.cookie) headers.cookie = client.cookie;
      if (client.csrf && init.csrf !== false) headers['x-switchboard-csrf'] = client.csrf;
      let body: string | undefined;
      if (init.body !== undefined) {
        body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await fetch(`${server.url}${path}`, { method: init.method ?? (body !== undefined ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = text;
      }
      const set = res.headers.get('set-cookie');
      if (set) {
        client.setCookie = set;
        // `__Host-switchboard_console` on HTTPS (http/console/cookies.ts).
        const [, name = '', value = ''] = /^((?:__Host-)?switchboard_console)=([^;]*)/.exec(set) ?? [];
        client.cookie = value ? `${name}=${value}` : null;
      }
      if (parsed && typeof parsed === 'object' && 'csrf_token' in parsed) client.csrf = (parsed as { csrf_token: string }).csrf_token;
      return { status: res.status, body: parsed, headers: res.headers };
    },
  };
  return client;
}

/** Log in with a project id and token. */
export async function loginAs(server: TestServer, projectId: string, token: string): Promise<ConsoleClient> {
  const c = consoleClient(server);
  const res = await c.call('/api/console/login', { body: { project_id: projectId, api_token: token } });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return c;
}

/** Append the feed's `batch` events (SSE) of `res` to `batches` until the stream ends or `until` returns true. */
export async function collectBatches(res: Response, batches: ConsoleFeedBatch[], until: (batches: ConsoleFeedBatch[]) => boolean = () => false): Promise<void> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const frame = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const data = frame.split('\n').find((l) => l.startsWith('data: '));
      if (frame.includes('event: batch') && data) batches.push(JSON.parse(data.slice(6)) as ConsoleFeedBatch);
    }
    if (until(batches)) return;
  }
}

/** Read the live feed (SSE) of a session until `until` returns true for the batches so far. */
export async function readFeed(server: { url: string }, cookie: string, until: (batches: ConsoleFeedBatch[]) => boolean, timeoutMs = 5000): Promise<ConsoleFeedBatch[]> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  const batches: ConsoleFeedBatch[] = [];
  try {
    const res = await fetch(`${server.url}/api/console/events`, { headers: { cookie, accept: 'text/event-stream' }, signal: ac.signal });
    if (res.status !== 200) throw new Error(`feed answered ${res.status}: ${await res.text()}`);
    await collectBatches(res, batches, until);
    return batches;
  } catch (err) {
    if (ac.signal.aborted) throw new Error(`feed timed out after ${timeoutMs} ms with ${batches.length} batches: ${JSON.stringify(batches).slice(0, 500)}`);
    throw err;
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
}

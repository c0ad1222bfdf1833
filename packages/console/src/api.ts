/**
 * Calls to the server: the public APIs and the console API, authenticated by the session cookie
 * (sent by the browser; scripts never see it) plus the CSRF header on every request. Errors come
 * back in the public APIs' shapes and are turned into one `ApiError` with per-field messages.
 */

/** A failed call: the HTTP status, a summary, and the messages per field (`attribute`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fields: Record<string, string>,
    readonly messages: string[],
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;
let onUnauthorized: (() => void) | null = null;

/** Remember the session's CSRF token (null after logout). */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when a request finds the session gone. */
export function onSessionLost(handler: () => void): void {
  onUnauthorized = handler;
}

interface ErrorBody {
  errors?: Array<{ message?: string; detail?: string; attribute?: string | null; code?: string }>;
  message?: string;
  error?: string;
}

function toError(status: number, body: unknown): ApiError {
  const b = (body && typeof body === 'object' ? body : {}) as ErrorBody;
  const fields: Record<string, string> = {};
  const messages: string[] = [];
  for (const e of b.errors ?? []) {
    const text = e.message ?? e.detail ?? e.code ?? 'Invalid value.';
    messages.push(text);
    if (e.attribute && !(e.attribute in fields)) fields[e.attribute] = text;
  }
  if (!messages.length) messages.push(b.message ?? b.error ?? `The server answered ${status}.`);
  return new ApiError(status, messages.join(' '), fields, messages);
}

/** Call the server; resolves with the parsed JSON body (undefined for 204). */
export async function api<T>(path: string, init: { method?: string; body?: unknown; quiet401?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (csrfToken) headers['x-switchboard-csrf'] = csrfToken;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method: init.method ?? (init.body !== undefined ? 'POST' : 'GET'), headers, body: init.body === undefined ? undefined : JSON.stringify(init.body), credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'The server cannot be reached.', {}, ['The server cannot be reached.']);
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = { message: text };
  }
  if (!res.ok) {
    if (res.status === 401 && !init.quiet401) onUnauthorized?.();
    throw toError(res.status, parsed);
  }
  return parsed as T;
}

/** A query string from the defined, non-empty values. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

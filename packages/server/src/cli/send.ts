/**
 * `switchboard send`: send a message from the terminal through the native REST API of a running
 * server, as any client would (so it needs the server, not its database). Credentials come from the
 * flags, then SIGNALWIRE_PROJECT_ID / SIGNALWIRE_API_TOKEN, then the data folder's kept credentials.
 */
import { join, resolve } from 'node:path';
import { ERRORS } from '@switchboard/protocol';
import type { SwitchboardSettings } from '../config/settings.js';
import { tlsDir } from '../http/tls.js';
import { credentialsPath, localCredentialsProblem, readLocalCredentials } from './local-credentials.js';

export interface SendOptions {
  readonly from?: string;
  readonly to?: string;
  readonly body?: string;
  readonly media?: readonly string[];
  readonly url?: string;
  readonly project?: string;
  readonly token?: string;
  readonly wait?: boolean;
  readonly waitTimeoutMs?: number;
}

/** A failure to report in one line (exit code 2). */
export class SendError extends Error {}

const FINAL = new Set(['delivered', 'undelivered', 'failed', 'canceled']);

/** The server a local command talks to: the configured HTTP listener, with a wildcard bind read as loopback. */
export function localServerUrl(s: Pick<SwitchboardSettings, 'host' | 'port'>): string {
  const host = s.host === '0.0.0.0' || s.host === '::' ? '127.0.0.1' : s.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${s.port}`;
}

function credentials(opts: SendOptions, s: SwitchboardSettings, env: NodeJS.ProcessEnv): { project: string; token: string } {
  // The kept file is a SQLite data folder's: with PostgreSQL it is another server's (an earlier run
  // on the defaults), whose project and token this one refuses.
  const kept = s.databaseUrl ? null : readLocalCredentials(s.dataDir);
  const givenProject = opts.project ?? env.SIGNALWIRE_PROJECT_ID;
  const project = givenProject ?? kept?.projectId;
  // The kept token only with its own project: another project's id with it is refused as a wrong token.
  const token = opts.token ?? env.SIGNALWIRE_API_TOKEN ?? (givenProject === undefined || givenProject === kept?.projectId ? kept?.apiToken : undefined);
  if (s.databaseUrl && (!project || !token)) {
    const missing = [!project && '--project (SIGNALWIRE_PROJECT_ID; the start banner prints the project ID)', !token && '--token (SIGNALWIRE_API_TOKEN; make one with `switchboard token create`)'].filter(Boolean);
    throw new SendError(`no credentials: give ${missing.join(' and ')}; on PostgreSQL none are kept in the data folder`);
  }
  if (!project || !token) {
    if (kept && project) throw new SendError(`no token for project ${project}: the data folder's credentials (${credentialsPath(s.dataDir)}) are project ${kept.projectId}'s; give --token (or set SIGNALWIRE_API_TOKEN)`);
    const problem = kept ? null : localCredentialsProblem(s.dataDir);
    if (problem) throw new SendError(`no credentials: ${problem}, or give --project and --token (or set SIGNALWIRE_PROJECT_ID and SIGNALWIRE_API_TOKEN)`);
    throw new SendError(`no credentials: give --project and --token (or set SIGNALWIRE_PROJECT_ID and SIGNALWIRE_API_TOKEN); ${credentialsPath(s.dataDir)} holds them after a start on SQLite`);
  }
  return { project, token };
}

/** Node's codes for a server certificate it does not trust (unknown CA, self-signed, expired, other name). */
const UNTRUSTED_CERTIFICATE = /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|ERR_TLS_CERT_ALTNAME_INVALID)$/;

/** What to say when `base` could not be reached: a certificate this process does not trust is no server that is down. */
function unreachable(base: string, code: string | undefined, detail: string, s: SwitchboardSettings): string {
  if (code && UNTRUSTED_CERTIFICATE.test(code)) {
    return `${base} answered with a certificate this command does not trust (${code}): set NODE_EXTRA_CA_CERTS=${resolve(join(tlsDir(s.dataDir), 'ca.pem'))} (the server's local CA; its start banner prints the path) before running it, or give the server's http:// address with --url`;
  }
  // TLS sent to a plain HTTP port (the server's 8080): it runs, and answered in another protocol.
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') {
    return `${base} did not answer in TLS (${code}): that is a plain HTTP port; give it as http://${base.replace(/^https:\/\//, '')}, or give the server's HTTPS port (8443 by default) with --url`;
  }
  return `cannot reach ${base} (${detail}): is \`switchboard start\` running? Give its address with --url`;
}

/** The message of an error answer of the native API, or its status line. */
async function problem(res: Response): Promise<string> {
  const text = await res.text();
  try {
    // The native API's validation errors (`errors`), or its other errors' one `message` (401, 403, 404…).
    const body = JSON.parse(text) as { errors?: Array<{ message?: string; detail?: string }>; message?: unknown };
    const messages = (body.errors ?? []).map((e) => e.message ?? e.detail).filter(Boolean);
    if (messages.length) return messages.join('; ');
    if (typeof body.message === 'string' && body.message) return `${body.message} (${res.status})`;
  } catch {
    // not JSON: fall through to the status
  }
  return `${res.status} ${res.statusText}`;
}

/** On a server whose simulator clock is manual nothing moves until it is advanced: say so when a wait starts and when it ran out. */
async function manualClockHint(call: (path: string) => Promise<Response>): Promise<string> {
  try {
    const res = await call('/api/simulator/clock');
    const clock = res.ok ? ((await res.json()) as { mode?: unknown }) : null;
    return clock?.mode === 'manual' ? ": the server's simulator clock is manual, so the message moves only when the clock is advanced with POST /api/simulator/clock/advance" : '';
  } catch {
    return '';
  }
}

/**
 * What `send` prints (the message id and its status, and the final status with --wait), and its
 * exit code: 1 when --wait saw the message end other than delivered, or stopped waiting first, so a
 * script can tell.
 */
export interface SendOutcome {
  readonly lines: string[];
  readonly exitCode: 0 | 1;
}

/**
 * Send, and with --wait follow the message to its final state. Each line is given to `print` as soon
 * as it is known: the id must be on the terminal while the command waits (a minute at most, or
 * interrupted), not only once the wait is over.
 */
export async function sendFromTerminal(
  opts: SendOptions,
  s: SwitchboardSettings,
  env: NodeJS.ProcessEnv = process.env,
  print: (line: string) => void = () => undefined,
  /** Said to the user beside the output (stderr), not part of what a script reads. */
  note: (line: string) => void = () => undefined,
): Promise<SendOutcome> {
  // Required, but checked here rather than by commander, which checks required options before
  // unknown ones: a mistyped `--form` was reported as a missing --from instead of "did you mean --from?".
  if (!opts.from) throw new SendError('give --from (the sender: a number of the project, E.164, or a short code)');
  if (!opts.to) throw new SendError('give --to (the recipient, E.164)');
  // `--body "$TEXT"` with TEXT unset: it was given, so "give --body" read as if the flag had been missed.
  if (opts.body !== undefined && !opts.body.trim() && !opts.media?.length) throw new SendError('--body is empty: give the message text, or --media for a message of media only');
  if (!opts.body && !opts.media?.length) throw new SendError('give --body, --media or both');
  const base = (opts.url ?? localServerUrl(s)).replace(/\/+$/, '');
  if (opts.url !== undefined && !/^https?:$/.test(URL.parse(opts.url)?.protocol ?? '')) throw new SendError(`--url must be the server's http:// or https:// address, e.g. http://127.0.0.1:8080 (got ${JSON.stringify(opts.url)})`);
  const { project, token } = credentials(opts, s, env);
  const headers = { authorization: `Basic ${Buffer.from(`${project}:${token}`).toString('base64')}`, 'content-type': 'application/json' };
  const call = async (path: string, init: RequestInit = {}): Promise<Response> => {
    try {
      return await fetch(`${base}${path}`, { ...init, headers });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new SendError(unreachable(base, cause?.code, cause?.code ?? cause?.message ?? (err as Error).message, s));
    }
  };
  const res = await call('/api/messaging/messages', {
    method: 'POST',
    body: JSON.stringify({ from: opts.from, to: opts.to, ...(opts.body ? { body: opts.body } : {}), ...(opts.media?.length ? { media: opts.media } : {}) }),
  });
  if (res.status === 401) {
    throw new SendError(`${base} refused the credentials of project ${project} (401): check --project and --token (or SIGNALWIRE_PROJECT_ID and SIGNALWIRE_API_TOKEN, or ${credentialsPath(s.dataDir)} of the server's data folder)`);
  }
  if (!res.ok) throw new SendError(`the server refused the message: ${await problem(res)}`);
  const sent = (await res.json()) as { id: string; status: string };
  const lines: string[] = [];
  const say = (line: string) => (lines.push(line), print(line));
  say(`${sent.id}  ${sent.status}`);
  if (!opts.wait) return { lines, exitCode: 0 };
  const deadline = Date.now() + (opts.waitTimeoutMs ?? 60_000);
  // On a manual clock nothing moves until it is advanced: said before the wait, not only after its minute.
  const manual = await manualClockHint(call);
  if (manual) note(`waiting for ${sent.id}${manual}`);
  for (;;) {
    const log = await call(`/api/messaging/logs/${encodeURIComponent(sent.id)}`);
    if (!log.ok) {
      const why = await problem(log);
      // A test token's send is answered but never sent or stored: "sent" and a 403 sent the user looking for a missing scope.
      if (log.status === 403 && why.startsWith(ERRORS.TEST_CREDENTIALS_FORBIDDEN.message)) {
        throw new SendError(`${sent.id} was not sent: the token is a test token, whose messages are answered ${sent.status} but never sent or stored, so there is no status to wait for; leave out --wait, or give a live API token (--token) to send for real`);
      }
      // The message was sent: say so with its id.
      throw new SendError(`sent ${sent.id} (${sent.status}), but cannot read its log to wait for it: ${why}`);
    }
    const m = (await log.json()) as { status: string; error_code?: string | null; error_message?: string | null };
    if (FINAL.has(m.status)) {
      say(`${sent.id}  ${m.status}${m.error_code ? `  ${m.error_code} ${m.error_message ?? ''}`.trimEnd() : ''}`);
      return { lines, exitCode: m.status === 'delivered' ? 0 : 1 };
    }
    if (Date.now() > deadline) {
      say(`${sent.id}  ${m.status}  (still not final; stopped waiting${manual})`);
      return { lines, exitCode: 1 };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * The credentials every start of the embedded default prints. Tokens are stored hashed, so the
 * database cannot give a token back: on SQLite without a configured token, the one the banner shows
 * is also kept in `<data folder>/credentials.json`, readable by its owner only, and shown again at
 * every start. A kept token that no longer works (revoked, another project) is replaced by a new one.
 * With PostgreSQL (shared by several nodes and their operators) or an operator-supplied token,
 * nothing is kept and nothing secret printed.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock } from '../domain/clock.js';
import { randomIds } from '../domain/ids.js';
import { ProjectService } from '../engine/admin/project-service.js';
import type { SwitchboardHandle } from '../main.js';

export const CREDENTIALS_FILE = 'credentials.json';

export interface LocalCredentials {
  readonly projectId: string;
  readonly apiToken: string;
}

/** What the banner may show of the credentials. */
export type BannerCredentials =
  | { readonly kind: 'local'; readonly apiToken: string; readonly file: string }
  | { readonly kind: 'configured' }
  | { readonly kind: 'not-shown' };

export function credentialsPath(dataDir: string): string {
  return join(dataDir, CREDENTIALS_FILE);
}

/** The kept credentials of a data folder, or null when there are none (or the file is unreadable). */
export function readLocalCredentials(dataDir: string): LocalCredentials | null {
  try {
    const parsed = JSON.parse(readFileSync(credentialsPath(dataDir), 'utf8')) as Partial<LocalCredentials>;
    return typeof parsed.projectId === 'string' && typeof parsed.apiToken === 'string' ? { projectId: parsed.projectId, apiToken: parsed.apiToken } : null;
  } catch {
    return null;
  }
}

/**
 * Why the kept credentials of a data folder cannot be used, or null when they can or there are
 * none: `send` said only "no credentials" of a file that is there but is not this user's (it is
 * the owner's only, and a server started with sudo owns it) or not what a start writes.
 */
export function localCredentialsProblem(dataDir: string): string | null {
  const file = credentialsPath(dataDir);
  try {
    readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'EACCES' || code === 'EPERM') return `${file} is there but this user may not read it (${code}; it is readable by the user who started the server only): run this command as that user`;
    return `${file} cannot be read (${code ?? String(err)})`;
  }
  return readLocalCredentials(dataDir) === null ? `${file} is not the credentials a start writes (JSON with projectId and apiToken): delete it and start the server again to write it anew` : null;
}

function writeLocalCredentials(dataDir: string, creds: LocalCredentials): string {
  const file = credentialsPath(dataDir);
  writeFileSync(file, `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600 });
  // The mode above applies only to a new file; an older one may have been made with others'.
  chmodSync(file, 0o600);
  return file;
}

/** Decide, and where needed keep or renew, the credentials this start's banner prints. */
export async function bannerCredentials(h: SwitchboardHandle): Promise<BannerCredentials> {
  const { settings, bootstrap } = h;
  if (settings.apiToken) return { kind: 'configured' };
  if (settings.databaseUrl) return { kind: 'not-shown' };
  const projectId = bootstrap.project.id;
  if (bootstrap.apiToken) return { kind: 'local', apiToken: bootstrap.apiToken, file: writeLocalCredentials(settings.dataDir, { projectId, apiToken: bootstrap.apiToken }) };
  const projects = new ProjectService({ store: h.store, clock: systemClock, ids: randomIds, bus: h.bus });
  const kept = readLocalCredentials(settings.dataDir);
  if (kept && kept.projectId === projectId && (await projects.hasToken(projectId, kept.apiToken))) {
    return { kind: 'local', apiToken: kept.apiToken, file: credentialsPath(settings.dataDir) };
  }
  // A folder from before credentials were kept, or the kept token was revoked: issue one to show.
  const issued = await projects.issueToken(projectId, { name: 'local credentials' });
  return { kind: 'local', apiToken: issued.token, file: writeLocalCredentials(settings.dataDir, { projectId, apiToken: issued.token }) };
}

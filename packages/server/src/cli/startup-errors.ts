/**
 * Failures an operator fixes outside the program (a taken port, an unreachable database or NATS, a
 * bad setting, an unusable data folder) as the one line the command prints, with what to do about
 * it. Anything else is a bug and keeps its stack trace.
 */
import { ConfigError } from '../config/load.js';
import { StartupTokenConflict } from '../engine/admin/bootstrap.js';
import { DataDirError } from '../composition/data-dir.js';
import type { SwitchboardSettings } from '../config/settings.js';
import { isStoreUnavailable } from '../domain/ports/store.js';
import { SchemaBehindError } from '../store/dialects/postgres.js';
import { DataDirInUseError } from './start-guard.js';

interface SystemError {
  code?: unknown;
  syscall?: unknown;
  hostname?: unknown;
  port?: unknown;
  address?: unknown;
  message?: unknown;
}

/** Which setting chose a listening port, for the hint. */
function portSetting(port: unknown, s: Partial<SwitchboardSettings>): string {
  if (port === s.httpsPort) return 'the HTTPS port: --https-port or SWITCHBOARD_HTTPS_PORT (or --no-https)';
  if (port === s.simulatorSmscPort && s.simulatorSmscEnabled) return "the simulator SMSC's port: --smsc-port or SWITCHBOARD_SIMULATOR_SMSC_PORT";
  return 'the HTTP port: --port or SWITCHBOARD_PORT';
}

/** The database a PostgreSQL URL names, for a command that creates it. */
function databaseName(url: string | null | undefined): string {
  const name = decodeURIComponent(URL.parse(url ?? '')?.pathname.slice(1) ?? '');
  return /^[A-Za-z0-9_]+$/.test(name) ? name : '<name>';
}

/** The one line for a failure the operator can fix, or null for anything else (a bug: keep the stack). */
export function startupFailureLine(err: unknown, settings: Partial<SwitchboardSettings> = {}): string | null {
  if (err instanceof ConfigError || err instanceof StartupTokenConflict) return `configuration error: ${err.message}`;
  if (err instanceof SchemaBehindError || err instanceof DataDirError || err instanceof DataDirInUseError) return err.message;
  // Migrations wrap the database's failure; the cause is what the operator must fix.
  let unavailable: unknown = err;
  for (let depth = 0; unavailable && !isStoreUnavailable(unavailable) && depth < 4; depth++) unavailable = (unavailable as { cause?: unknown }).cause;
  if (isStoreUnavailable(unavailable)) {
    // A read-only database answers: its address and credentials are fine, it takes no writes.
    const hint =
      unavailable.reason === 'read-only'
        ? 'Point SWITCHBOARD_DATABASE_URL (--database-url) at the primary rather than a standby, or turn default_transaction_read_only off for its database or role (ALTER DATABASE … RESET default_transaction_read_only).'
        : (unavailable.cause as { code?: unknown } | undefined)?.code === '3D000'
          ? `Create the database first (createdb ${databaseName(settings.databaseUrl)}, see docs/deploy.md): \`switchboard migrate\` makes the schema in it, not the database; or correct the name in SWITCHBOARD_DATABASE_URL (--database-url).`
          : settings.databaseUrl
            ? 'Check that PostgreSQL runs and SWITCHBOARD_DATABASE_URL (--database-url) points at it, with a user, password and database it accepts; unset it to use SQLite in the data folder.'
            : 'Check the data folder (SWITCHBOARD_DATA_DIR).';
    return `${unavailable.message}. ${hint}`;
  }
  const e = (err ?? {}) as SystemError;
  // Node leaves `port` out of a listen error when the port asked for was 0 (any free one).
  const where = typeof e.address === 'string' ? `${e.address}${e.port !== undefined ? `:${String(e.port)}` : ''}` : String(e.port ?? '');
  if (e.code === 'EADDRINUSE') return `Cannot listen on ${where}: the port is in use (another Switchboard still running?). Stop that process, or choose another port for ${portSetting(e.port, settings)}; 0 picks a free one.`;
  if (e.code === 'EACCES' && e.port !== undefined) return `Cannot listen on ${where}: permission denied (ports below 1024 need privileges). Choose a port of 1024 or above for ${portSetting(e.port, settings)}.`;
  if (e.code === 'EADDRNOTAVAIL') return `Cannot listen on ${where}: this machine has no such address. Set --host (SWITCHBOARD_HOST) to one of its addresses, e.g. 127.0.0.1 or 0.0.0.0.`;
  // A listening address that is a name no resolver knows (getaddrinfo ENOTFOUND, or EAI_AGAIN without DNS).
  if (e.syscall === 'getaddrinfo' && (e.hostname === settings.host || e.hostname === settings.simulatorSmscHost)) {
    const setting = e.hostname === settings.host ? '--host (SWITCHBOARD_HOST)' : "the simulator SMSC's host (SWITCHBOARD_SIMULATOR_SMSC_HOST)";
    return `Cannot listen on ${String(e.hostname)}: no such host name (${String(e.code)}). Set ${setting} to an address of this machine, e.g. 127.0.0.1 or 0.0.0.0, or a name it resolves.`;
  }
  // The NATS client's own codes (@nats-io/nats-core errors) when no server of the list answers.
  if (settings.natsUrl && typeof e.code === 'string' && /CONNECTION_REFUSED|TIMEOUT|ECONNREFUSED|ENOTFOUND/.test(e.code)) {
    return `Cannot reach NATS at ${settings.natsUrl} (${e.code}). Check that nats-server runs and SWITCHBOARD_NATS_URL (--nats-url) points at it; unset it for in-process events (one node).`;
  }
  if (settings.natsUrl && err instanceof Error && /^(ConnectionError|errors?)\b|connection refused|timeout/i.test(`${err.name} ${err.message}`) && /nats/i.test(`${err.stack ?? ''}`)) {
    return `Cannot reach NATS at ${settings.natsUrl} (${err.message}). Check that nats-server runs and SWITCHBOARD_NATS_URL (--nats-url) points at it; unset it for in-process events (one node).`;
  }
  return null;
}

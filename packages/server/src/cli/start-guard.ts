/**
 * What `switchboard start` makes sure of before the server writes anything, so a refused start
 * leaves nothing behind and two servers never share one SQLite file:
 *
 * - the ports it will listen on are free (a taken one is reported before the data folder is touched);
 * - on SQLite, this process holds the data folder's lock: `<data dir>/switchboard.lock`, a small
 *   SQLite file kept under an exclusive lock for the life of the server. The operating system drops
 *   the lock when the process ends, even by `kill -9`, so a crash leaves no stale lock. The
 *   project/token/number commands do not take it: they may run beside the server;
 * - a start that fails after creating the data folder removes that folder again.
 */
import { lstatSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { checkDataDir, dataDirError, usesDataDir } from '../composition/data-dir.js';
import { ConfigError } from '../config/load.js';
import type { SwitchboardSettings } from '../config/settings.js';

export const LOCK_FILE = 'switchboard.lock';

/** Another server holds the data folder. */
export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';
}

/** Try to listen on `port` and let it go at once; rejects with the listener's error (EADDRINUSE, EACCES…). */
function probePort(host: string, port: number): Promise<void> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen({ host, port, exclusive: true }, () => server.close(() => done()));
  });
}

/** The ports of the settings that the start will listen on, checked free (0: any, not checked). */
export async function checkPortsFree(s: SwitchboardSettings): Promise<void> {
  const listeners: Array<{ host: string; port: number; setting: string }> = [{ host: s.host, port: s.port, setting: 'port (--port, SWITCHBOARD_PORT)' }];
  if (s.httpsEnabled) listeners.push({ host: s.host, port: s.httpsPort, setting: 'https.port (--https-port, SWITCHBOARD_HTTPS_PORT)' });
  if (s.simulatorSmscEnabled) listeners.push({ host: s.simulatorSmscHost, port: s.simulatorSmscPort, setting: 'simulator.smsc.port (--smsc-port, SWITCHBOARD_SIMULATOR_SMSC_PORT)' });
  const fixed = listeners.filter((l) => l.port !== 0);
  for (const [i, l] of fixed.entries()) {
    const other = fixed.slice(0, i).find((o) => o.port === l.port);
    if (other) throw new ConfigError(`${l.setting} and ${other.setting} are both ${l.port}; give each listener its own port`);
  }
  for (const l of fixed) await probePort(l.host, l.port);
}

/** A held data-folder lock; `release` lets it go (the end of the process does too). */
export interface DataDirLock {
  release(): void;
}

/** Take the SQLite data folder's lock, creating the folder if needed; throws `DataDirInUseError` when another server holds it. */
export function lockDataDir(dataDir: string): DataDirLock {
  checkDataDir(dataDir);
  const file = join(resolve(dataDir), LOCK_FILE);
  let db: Database.Database;
  try {
    db = new Database(file, { timeout: 0 });
  } catch (err) {
    throw dataDirError(dataDir, err, file) ?? err;
  }
  try {
    // No journal file beside it: nothing is ever written to the lock file, it is only held.
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = MEMORY');
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    if ((err as { code?: unknown }).code === 'SQLITE_BUSY') {
      throw new DataDirInUseError(
        `Another Switchboard server is running on the data folder ${resolve(dataDir)} (it holds ${LOCK_FILE}); two servers must not write one SQLite database. Stop that server, or give this one another --data-dir (SWITCHBOARD_DATA_DIR); several nodes need PostgreSQL (SWITCHBOARD_DATABASE_URL).`,
      );
    }
    throw dataDirError(dataDir, err, file) ?? err;
  }
  return { release: () => db.close() };
}

/** Whether nothing is at `path` (a path through a file, ENOTDIR, cannot be created: not missing). */
function missing(path: string): boolean {
  try {
    lstatSync(path);
    return false;
  } catch (err) {
    return (err as { code?: unknown }).code === 'ENOENT';
  }
}

/**
 * Run the start with the checks above. A failed start that created the data folder removes it, so
 * the next attempt begins from nothing rather than from a half-made folder.
 */
export async function guardedStart<T>(s: SwitchboardSettings, start: () => Promise<T>): Promise<{ value: T; lock: DataDirLock | null }> {
  await checkPortsFree(s);
  const dir = resolve(s.dataDir);
  const created = usesDataDir(s) && missing(dir);
  let lock: DataDirLock | null = null;
  try {
    if (!s.databaseUrl) lock = lockDataDir(dir);
    return { value: await start(), lock };
  } catch (err) {
    lock?.release();
    if (created) {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // Best effort: the failure being reported matters more than the folder.
      }
    }
    throw err;
  }
}

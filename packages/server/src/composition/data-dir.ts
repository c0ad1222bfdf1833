/**
 * The data folder, checked before anything opens in it (the SQLite database, generated TLS
 * certificates): it exists or can be created, is a folder, takes a write, and has room. A file
 * system failure there — at this check, or later while opening the database or generating
 * certificates — becomes one `DataDirError` naming the folder and the cause, which the command
 * prints as one line without a stack trace.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, statfsSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { SwitchboardSettings } from '../config/settings.js';

/** Below this much free space the folder counts as full: SQLite could not even create its files. */
const FULL_BELOW_BYTES = 1024 * 1024;
/** Below this much the server starts, with a warning. */
const LOW_BELOW_BYTES = 64 * 1024 * 1024;

/** What a code means, in the words of the one line the command prints. */
const REASONS: Readonly<Record<string, string>> = {
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'a folder on its path does not exist',
  ENOTDIR: 'a part of its path is a file, not a folder',
  EEXIST: 'a file of that name is in the way',
  EISDIR: 'a folder is where a file should be',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ELOOP: 'too many symbolic links on its path',
  ENAMETOOLONG: 'its path is too long',
  EIO: 'input/output error',
  SQLITE_CANTOPEN: 'the database file cannot be opened',
  SQLITE_READONLY: 'the database file is read-only',
  SQLITE_FULL: 'the disk is full',
  SQLITE_IOERR: 'input/output error',
  SQLITE_CORRUPT: 'the database file is damaged',
  SQLITE_NOTADB: 'the database file is not a SQLite database',
};

const NO_ROOM = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);
/** The folder is usable; the database file in it is not (another folder would start an empty database). */
const DAMAGED = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB']);

function adviceFor(code: string): string {
  if (NO_ROOM.has(code)) return 'Free some space, or set SWITCHBOARD_DATA_DIR to a folder on a disk with room.';
  if (DAMAGED.has(code)) return 'Restore switchboard.db from a backup (or move it aside to start with an empty database).';
  return 'Set SWITCHBOARD_DATA_DIR to a writable folder.';
}

/** The data folder cannot be used; the message is the whole story (folder, cause, what to do). */
export class DataDirError extends Error {
  override readonly name = 'DataDirError';

  constructor(
    readonly dir: string,
    /** The system or SQLite code, e.g. `EROFS`. */
    readonly code: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Cannot use the data folder ${dir}: ${reason} (${code}). ${adviceFor(code)}`, options);
  }
}

/** The SQLite database in a data folder (the server's, the admin commands', the banner's). */
export function sqliteFile(dataDir: string): string {
  return join(dataDir, 'switchboard.db');
}

/** Whether this node keeps anything in its data folder: the SQLite database, or certificates it generates. */
export function usesDataDir(settings: SwitchboardSettings): boolean {
  return !settings.databaseUrl || (settings.httpsEnabled && !settings.tlsCertFile && !settings.tlsKeyFile);
}

/**
 * `mkdir -p`, one level at a time. Node's recursive mkdir loops for ever, at full CPU, when the
 * system answers ENOENT for a folder whose parent exists — as /proc and /sys do — so
 * `--data-dir /proc/data` hung `start`, `migrate` and `project create` without a word.
 */
function makeFolder(path: string): void {
  try {
    mkdirSync(path);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'EEXIST' && statSync(path).isDirectory()) return;
    if (code !== 'ENOENT' || dirname(path) === path) throw err;
    makeFolder(dirname(path));
    try {
      mkdirSync(path);
    } catch (again) {
      if ((again as { code?: unknown }).code !== 'ENOENT') throw again;
      throw new DataDirError(path, 'ENOENT', 'its file system does not let a folder be created there', { cause: again });
    }
  }
}

/**
 * Check the data folder before anything opens in it: create it if missing, write and remove a small
 * file, and read the free space. Throws `DataDirError`; returns the free bytes (null when the
 * system cannot say) and whether they are few.
 */
export function checkDataDir(dir: string): { freeBytes: number | null; lowOnSpace: boolean } {
  const path = resolve(dir);
  const probe = join(path, `.switchboard-write-check-${process.pid}`);
  try {
    makeFolder(path);
    // Root ignores permission bits, so only a real write tells (a read-only mount, a full disk).
    const fd = openSync(probe, 'w');
    try {
      writeSync(fd, 'switchboard\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
      unlinkSync(probe);
    }
  } catch (err) {
    throw dataDirError(path, err) ?? err;
  }
  let freeBytes: number | null = null;
  try {
    const fs = statfsSync(path);
    freeBytes = Number(fs.bavail) * Number(fs.bsize);
  } catch {
    // Not every system says; the write above is the check that counts.
  }
  if (freeBytes !== null && freeBytes < FULL_BELOW_BYTES) throw new DataDirError(path, 'ENOSPC', `no space left on the device (${(freeBytes / 1024).toFixed(0)} KiB free)`);
  return { freeBytes, lowOnSpace: freeBytes !== null && freeBytes < LOW_BELOW_BYTES };
}

/**
 * A failure of the file system (or of SQLite's files) in the data folder as a `DataDirError`, or
 * null for anything else — including file errors elsewhere, such as an operator's certificate files.
 * `file` names the SQLite database, whose errors carry no path.
 */
export function dataDirError(dir: string, err: unknown, file?: string): DataDirError | null {
  if (err instanceof DataDirError) return err;
  const path = resolve(dir);
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, path: at } = e as { code?: unknown; path?: unknown };
    if (typeof code !== 'string') continue;
    const reason = REASONS[code] ?? REASONS[code.replace(/^(SQLITE_[A-Z]+?)_.*$/, '$1')];
    if (!reason) continue;
    const where = typeof at === 'string' ? resolve(at) : code.startsWith('SQLITE_') && file ? resolve(file) : path;
    // The folder itself, a file in it, or a folder on its way (mkdir of a parent); not files elsewhere.
    const inside = !relative(path, where).startsWith('..');
    if (!inside && relative(where, path).startsWith('..')) return null;
    const place = where === path ? '' : `${inside ? relative(path, where) : where}: `;
    return new DataDirError(path, code, `${place}${reason}`, { cause: err });
  }
  return null;
}

/** Run work that writes in the data folder (generating certificates) with its failures as `DataDirError`. */
export function withinDataDir<T>(dir: string, work: () => T): T {
  try {
    return work();
  } catch (err) {
    throw dataDirError(dir, err) ?? err;
  }
}

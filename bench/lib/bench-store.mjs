/**
 * The built server's store for benchmarks that fill it directly (no HTTP): PostgreSQL at `postgres`
 * when given, else SQLite in a temporary folder. `close` closes it and removes that folder. Also the
 * time cap every such script stops itself at.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function openBenchStore({ postgres, name }) {
  const { openSqliteStore } = await import(join(root, 'packages/server/dist/store/dialects/sqlite.js'));
  const { openPostgresStore } = await import(join(root, 'packages/server/dist/store/dialects/postgres.js'));
  const dataDir = postgres ? null : mkdtempSync(join(tmpdir(), `switchboard-${name}-bench-`));
  const store = postgres ? await openPostgresStore({ url: postgres }) : await openSqliteStore({ file: join(dataDir, 'switchboard.db') });
  const close = async () => {
    await store.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  return { store, close };
}

/** Exit with an error after `ms`, whatever the script is doing. */
export function timeCap(ms) {
  setTimeout(() => {
    console.error('benchmark exceeded its time cap; stopping');
    process.exit(1);
  }, ms).unref();
}

/**
 * Whether the database's path still names the file the server opened. A file replaced under a
 * running server (a backup restored over it, `mv` of another file onto its name) or removed is not
 * noticed by SQLite in WAL mode: the server went on writing to the file it had open, which no name
 * reaches any more, and every message accepted from then on was lost at the next start. While the
 * path names another file, or none, writes are refused (503 on every surface, /ready says why);
 * they are taken again once the original is back under its name, and a restart opens the new one.
 */
import { statSync } from 'node:fs';

export class DatabaseFileWatch {
  /** The file the server opened: device and inode, as decimal strings (an inode may pass 2^53). */
  readonly opened: { readonly dev: string; readonly ino: string };
  private replaced = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly file: string,
    intervalMs = 250,
  ) {
    const s = statSync(file, { bigint: true });
    this.opened = { dev: String(s.dev), ino: String(s.ino) };
    this.timer = setInterval(() => this.check(), intervalMs);
    this.timer.unref();
  }

  /** Look at the path now (also every `intervalMs`). */
  check(): void {
    try {
      const s = statSync(this.file, { bigint: true });
      this.replaced = String(s.dev) !== this.opened.dev || String(s.ino) !== this.opened.ino;
    } catch {
      this.replaced = true;
    }
  }

  /** Why writes must be refused now, or null. */
  refusal(): string | null {
    return this.replaced
      ? `storage failed: the SQLite database ${this.file} was replaced or removed while the server runs; writes would go to the file it opened, which is lost at the next start. Put that file back under its name, or restart the server to use the new one`
      : null;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

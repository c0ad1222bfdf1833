/** Where a `RelayClient` reports what it cannot throw, and where that goes by default. */

/** Where the client reports what it cannot throw (handler errors, reconnects). */
export interface RelayLogger {
  /** Socket errors (a close and reconnect follow). */
  debug?(message: string, detail?: unknown): void;
  /** Reconnects scheduled. */
  info?(message: string, detail?: unknown): void;
  /** Frames ignored, failed connects and lookups, inbound messages nobody handles. */
  warn?(message: string, detail?: unknown): void;
  /** Handler failures, and a reconnect refused for good. */
  error?(message: string, detail?: unknown): void;
}

/** The default logger: errors and warnings to `console.error`, the rest nowhere. */
export const consoleLogger: RelayLogger = {
  warn: (m, d) => console.error(`[switchboard relay] ${m}`, d ?? ''),
  error: (m, d) => console.error(`[switchboard relay] ${m}`, d ?? ''),
};

/** The structured logger the engine and adapters write to (pino satisfies it). */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  /** Lines left out at the other levels (repeated ones: `util/log-limiter.ts`); optional. */
  debug?(obj: object, msg?: string): void;
}

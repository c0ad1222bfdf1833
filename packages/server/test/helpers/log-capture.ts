/** A pino logger whose lines a test can read (parsed), for asserting on warnings. */
import pino, { type Logger } from 'pino';

export interface CapturedLogs {
  readonly logger: Logger;
  readonly lines: Array<Record<string, any>>;
  /** Lines whose message contains `text`. */
  matching(text: string): Array<Record<string, any>>;
}

export function captureLogs(level: pino.Level = 'warn'): CapturedLogs {
  const lines: Array<Record<string, any>> = [];
  const logger = pino({ level }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { logger, lines, matching: (text) => lines.filter((l) => typeof l.msg === 'string' && l.msg.includes(text)) };
}

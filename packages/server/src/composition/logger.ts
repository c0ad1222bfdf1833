/**
 * The process logger: JSON lines for log collectors, or one readable line per entry when a person
 * watches (stdout is a terminal, or `log.format` says `pretty`). Both come from the same pino
 * calls; only the output stream differs, so nothing is formatted twice on the JSON path.
 */
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export type LogFormat = 'auto' | 'json' | 'pretty';

/** Whether entries are rendered for a person: `auto` asks whether stdout is a terminal. */
export function isHumanFormat(format: LogFormat, stdoutIsTty: boolean = process.stdout.isTTY === true): boolean {
  return format === 'pretty' || (format === 'auto' && stdoutIsTty);
}

export function createLogger(opts: { level: string; format: LogFormat; nodeId: string; destination?: NodeJS.WritableStream }): Logger {
  const base = { node: opts.nodeId };
  if (!isHumanFormat(opts.format)) return opts.destination ? pino({ level: opts.level, base }, opts.destination) : pino({ level: opts.level, base });
  // In-process and synchronous: a terminal reads far fewer lines than a collector, and nothing is
  // lost when the process exits right after a line (a start-up failure).
  const stream = pretty({
    sync: true,
    colorize: opts.destination === undefined && process.stdout.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    // Request and state-change lines say everything in their message; their fields are for collectors.
    ignore: 'pid,hostname,node,reqId,req,res,responseTime,message',
    singleLine: true,
    // Only `err` holds an Error; `error` is a string here (a webhook's failure), kept on its line.
    errorLikeObjectKeys: ['err'],
    ...(opts.destination ? { destination: opts.destination } : {}),
  });
  return pino({ level: opts.level, base }, stream);
}

/**
 * Standard output whose reader has gone (`switchboard token list | head -1`, `switchboard start |
 * tee log` once tee is stopped): writes fail with EPIPE. Unhandled, that error crashed a command
 * with a stack trace, and a server whose banner met it crashed into pino's exit-time flush, which
 * retries a broken pipe for ever: the process hung, serving nothing and deaf to SIGTERM.
 */
export function handleClosedOutput(stream: NodeJS.WriteStream, opts: { serving: () => boolean; fail: (message: string) => never }): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    // A server carries on without its stdout (pino stops writing its logs there by itself).
    if (opts.serving()) return;
    // Nobody reads on: what is left to print has no one to print to.
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    opts.fail(`cannot write to standard output: ${err.message}`);
  });
}

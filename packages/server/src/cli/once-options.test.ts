import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { refuseRepeatedOptions } from './once-options.js';

/** A program shaped like the CLI's: a command with a valued option, a switch and its negation, a variadic option. */
function parse(args: string[]): { opts?: Record<string, unknown>; error?: string } {
  const errors: string[] = [];
  let opts: Record<string, unknown> | undefined;
  const program = new Command('switchboard').exitOverride().configureOutput({ writeErr: (t) => void errors.push(t), outputError: (t, write) => write(t) });
  program
    .command('send')
    .option('--from <number>')
    .option('--https')
    .option('--no-https')
    .option('--media <url...>')
    .option('--name <name>', 'a label', 'cli')
    .action((o: Record<string, unknown>) => void (opts = o));
  refuseRepeatedOptions(program);
  try {
    program.parse(args, { from: 'user' });
  } catch (err) {
    expect(err).toBeInstanceOf(CommanderError);
    expect((err as CommanderError).exitCode).toBe(2);
    return { error: errors.join('') };
  }
  return opts ? { opts } : {};
}

describe('refuseRepeatedOptions', () => {
  it('refuses an option given twice instead of keeping the last value', () => {
    expect(parse(['send', '--from', '+15551230001', '--from', '+15551230002']).error).toMatch(/^error: option '--from' is given twice; give one/);
    expect(parse(['send', '--from=+1', '--from', '+2']).error).toMatch(/option '--from' is given twice/);
    expect(parse(['send', '--name', 'a', '--name', 'b']).error).toMatch(/option '--name' is given twice/);
  });

  it('refuses a switch given with its negation, or twice', () => {
    expect(parse(['send', '--https', '--no-https']).error).toMatch(/options '--https' and '--no-https' are both given/);
    expect(parse(['send', '--no-https', '--no-https']).error).toMatch(/option '--no-https' is given twice/);
  });

  it('lets a variadic option be repeated and options given once through, defaults included', () => {
    expect(parse(['send', '--media', 'a', '--media', 'b', 'c', '--from', '+1', '--no-https']).opts).toEqual({ media: ['a', 'b', 'c'], from: '+1', https: false, name: 'cli' });
    expect(parse(['send']).opts).toEqual({ name: 'cli' });
  });
});

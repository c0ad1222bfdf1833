import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { oneLineError, refuseCommandAfterOptions, refuseFlagsNpmKept, refuseHttpListenerAliases, refuseOptionsOfDisabled, refuseSwitchValues, refuseUnknownCommand } from './command-line-checks.js';

/** A program shaped like switchboard's: a default `start` with a switch and its negation, `send` with a plain switch. */
function program(): Command {
  const p = new Command('switchboard');
  p.command('start', { isDefault: true }).option('--https').option('--no-https').option('--smsc').option('--no-smsc').option('--port <port>');
  p.command('send').option('--wait').option('--body <text>');
  return p;
}

const refusal = (check: typeof refuseSwitchValues, args: string[]): string | null => {
  try {
    check(program(), args, (message) => {
      throw new Error(message);
    });
    return null;
  } catch (err) {
    return (err as Error).message;
  }
};

describe('command-line checks', () => {
  // Commander said "too many arguments for 'start'. Expected 0 arguments but got 1." (or "unknown option '--https=false'").
  it('names a switch given a value as its environment variable takes one', () => {
    expect(refusal(refuseSwitchValues, ['start', '--https', 'false'])).toBe(`option '--https' is a switch and takes no value (got "--https false"): give --https or --no-https`);
    expect(refusal(refuseSwitchValues, ['--https=false'])).toBe(`option '--https' is a switch and takes no value (got "--https=false"): give --https or --no-https`);
    expect(refusal(refuseSwitchValues, ['send', '--wait', 'yes'])).toBe(`option '--wait' is a switch and takes no value (got "--wait yes"): give --wait, or leave it out`);
  });

  it('leaves alone what only looks alike', () => {
    expect(refusal(refuseSwitchValues, ['start', '--https', '--port', '1'])).toBeNull();
    expect(refusal(refuseSwitchValues, ['send', '--body', 'true', '--wait'])).toBeNull();
    expect(refusal(refuseSwitchValues, ['start', '--', '--https', 'false'])).toBeNull();
  });

  // Commander said "too many arguments for 'start'. Expected 0 arguments but got 1.".
  it('names a command given after options, with the order that works', () => {
    expect(refusal(refuseCommandAfterOptions, ['--port', '9000', 'send', '--wait'])).toBe('the command goes before its options: write switchboard send --port 9000 --wait');
    expect(refusal(refuseCommandAfterOptions, ['--https', 'send'])).toBe('the command goes before its options: write switchboard send --https');
    const withToken = program();
    withToken.command('token').command('list');
    expect(() => refuseCommandAfterOptions(withToken, ['--port', '1', 'token', 'list', '--https'], (m) => { throw new Error(m); })).toThrow('the command goes before its options: write switchboard token list --port 1 --https');
    expect(refusal(refuseCommandAfterOptions, ['--port', 'send'])).toBeNull();
    expect(refusal(refuseCommandAfterOptions, ['--port', '9000', 'start'])).toBeNull();
    expect(refusal(refuseCommandAfterOptions, ['send', '--body', 'send'])).toBeNull();
    expect(refusal(refuseCommandAfterOptions, ['--https', '--', 'send'])).toBeNull();
  });

  // Commander asked "(Did you mean --https-port?)": following it moved the HTTPS listener.
  it('names --port for --http-port, and --host for --http-host', () => {
    const refusalOf = (args: string[]) => refusal((_p, a, r) => refuseHttpListenerAliases(a, r), args);
    expect(refusalOf(['start', '--http-port', '9000'])).toBe(`unknown option '--http-port' (did you mean --port? the HTTP listener's flags take no http- prefix) (run "switchboard help" or "switchboard <command> --help" for usage)`);
    expect(refusalOf(['--http-host=0.0.0.0'])).toMatch(/^unknown option '--http-host' \(did you mean --host\?/);
    expect(refusalOf(['--https-port', '9443', '--http-other'])).toBeNull();
  });

  it('names an unknown command with the closest one', () => {
    expect(refusal(refuseUnknownCommand, ['strat'])).toMatch(/^unknown command 'strat' \(did you mean "start"\?\); the commands are start, send/);
    expect(refusal(refuseUnknownCommand, ['help', 'sned'])).toMatch(/^unknown command 'sned' \(did you mean "send"\?\)/);
    expect(refusal(refuseUnknownCommand, ['--port', '1'])).toBeNull();
  });

  // Commander wrote "error: unknown option '--prot'", "(Did you mean --port?)" and the pointer to help on three lines.
  it("puts commander's errors, its suggestion and the pointer to help on one line", () => {
    const hint = '(run "switchboard help" or "switchboard <command> --help" for usage)';
    expect(oneLineError("error: unknown option '--prot'\n(Did you mean --port?)\n")).toBe(`unknown option '--prot' (did you mean --port?) ${hint}`);
    expect(oneLineError("error: unknown command 'lst'\n(Did you mean list?)\n")).toBe(`unknown command 'lst' (did you mean list?) ${hint}`);
    expect(oneLineError("error: option '--port <port>' argument missing\n")).toBe(`option '--port <port>' argument missing ${hint}`);
  });

  // `npm start --port 9000` said "too many arguments for 'start'"; `npm start --port=9000` started on the default port.
  it('names a flag npm kept for itself under an npm script, with the command that passes it on', () => {
    const kept = (args: string[], env: Record<string, string>) => {
      try {
        refuseFlagsNpmKept(program(), args, env, (message) => {
          throw new Error(message);
        });
        return null;
      } catch (err) {
        return (err as Error).message;
      }
    };
    const npmStart = { npm_lifecycle_event: 'start' };
    expect(kept(['start', '9000'], { ...npmStart, npm_config_port: 'true' })).toBe('npm kept --port for itself (flags before -- go to npm, not to switchboard): write npm start -- --port 9000');
    expect(kept(['start'], { ...npmStart, npm_config_port: '9000' })).toBe('npm kept --port for itself (flags before -- go to npm, not to switchboard): write npm start -- --port 9000');
    expect(kept(['start'], { npm_lifecycle_event: 'serve', npm_config_https: 'true' })).toBe('npm kept --https for itself (flags before -- go to npm, not to switchboard): write npm run serve -- start --https');
    // `npm start --no-smsc` leaves npm_config_smsc empty: the refusal said to write `-- --smsc`, the opposite.
    expect(kept(['start'], { ...npmStart, npm_config_smsc: '' })).toBe('npm kept --no-smsc for itself (flags before -- go to npm, not to switchboard): write npm start -- --no-smsc');
    expect(kept(['start'], { ...npmStart, npm_config_smsc: 'false' })).toMatch(/write npm start -- --no-smsc$/);
    // The command's words go after the `--` with the flag (and are not taken for its value).
    const tokenProgram = program();
    tokenProgram.command('token').command('create').option('--scopes <list>').option('--test');
    const tokenKept = (env: Record<string, string>) => {
      try {
        refuseFlagsNpmKept(tokenProgram, ['token', 'create', 'messaging'], env, (m) => {
          throw new Error(m);
        });
        return null;
      } catch (err) {
        return (err as Error).message;
      }
    };
    expect(tokenKept({ npm_lifecycle_event: 'switchboard', npm_config_scopes: 'true' })).toMatch(/write npm run switchboard -- token create --scopes messaging$/);
    expect(kept(['send', 'extra'], { npm_lifecycle_event: 'switchboard', npm_config_body: 'true' })).toBe('npm kept --body for itself (flags before -- go to npm, not to switchboard): write npm run switchboard -- send --body extra');
    // Not under an npm script, under npx (which passes flags on), or with none of our flags among npm's settings.
    expect(kept(['start'], { npm_config_port: '9000' })).toBeNull();
    expect(kept(['start'], { npm_lifecycle_event: 'npx', npm_config_port: '9000' })).toBeNull();
    expect(kept(['start', '--port', '9000'], { ...npmStart, npm_config_cache: '/somewhere' })).toBeNull();
  });

  // `--no-https --https-port 9443` started without HTTPS, the port dropped without a word.
  it('names a setting of a listener the same command line turns off', () => {
    const p = () => {
      const prog = program();
      prog.commands.find((c) => c.name() === 'start')!.option('--https-port <port>');
      return prog;
    };
    const refused = (args: string[]) => {
      try {
        refuseOptionsOfDisabled(p(), args, (m) => {
          throw new Error(m);
        });
        return null;
      } catch (err) {
        return (err as Error).message;
      }
    };
    expect(refused(['start', '--no-https', '--https-port', '9443'])).toBe('--https-port is given with --no-https, which turns that off; drop one of them');
    expect(refused(['--https-port=9443', '--no-https'])).toBe('--https-port is given with --no-https, which turns that off; drop one of them');
    expect(refused(['start', '--https', '--https-port', '9443'])).toBeNull();
    expect(refused(['start', '--no-https', '--port', '8080'])).toBeNull();
  });
});


/**
 * commander takes an option given twice and keeps the last value without a word
 * (`switchboard start --port 8080 … --port 9090` listens on 9090; `send --from A --from B` sends
 * from B), and has no setting to refuse it (its `.conflicts()` is between different options). An
 * operator who repeats a flag has made a mistake somewhere in a long command line, so the command
 * stops instead, naming the option. A switch and its negation (`--https --no-https`) count as the
 * same option. Options declared repeatable (variadic, `--media <url...>`) may be given again.
 */
import { type Command, type Option } from 'commander';

/** Refuse, on `cmd` and every command under it, a non-repeatable option given more than once. */
export function refuseRepeatedOptions(cmd: Command): void {
  const given = new Map<string, string>();
  for (const option of cmd.options as readonly Option[]) {
    if (option.variadic) continue;
    const flag = option.long ?? option.short ?? option.flags;
    cmd.on(`option:${option.name()}`, () => {
      const before = given.get(option.attributeName());
      if (before !== undefined) {
        const what = before === flag ? `option '${flag}' is given twice` : `options '${before}' and '${flag}' are both given`;
        cmd.error(`error: ${what}; give one (a repeated option is refused rather than the last one silently winning)`, { code: 'switchboard.repeatedOption', exitCode: 2 });
      }
      given.set(option.attributeName(), flag);
    });
  }
  for (const sub of cmd.commands) refuseRepeatedOptions(sub);
}

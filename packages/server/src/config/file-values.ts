/**
 * Values a config file must give in JSON's own types. The environment and flags are text by
 * nature, so their numbers and switches are read from strings (`SWITCHBOARD_PORT=8080`, and
 * `12abc` there is refused by the setting's parser). A config file is JSON, which has numbers and
 * booleans: `"port": "8080"` is a string where a number is meant (an edit that quoted it, or a
 * value copied from an environment file), so it is refused there rather than read as 8080, as the
 * file's other typed sections (`smpp`, `senders.rates`, `pricing`) already refuse a quoted number.
 */

/**
 * Why a config-file value `raw`, which the setting's parser read as `parsed`, is refused; null when
 * it is not. A string the parser turned into a number or a boolean is refused, naming the value to
 * write instead.
 */
export function quotedInFile(raw: unknown, parsed: unknown): string | null {
  if (typeof raw !== 'string') return null;
  if (typeof parsed === 'number') return `must be a JSON number, not a string: write ${String(parsed)} without quotes`;
  if (typeof parsed === 'boolean') return `must be true or false, not a string: write ${String(parsed)} without quotes`;
  return null;
}

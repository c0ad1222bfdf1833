/**
 * `JSON.parse`'s message, worded the same on every Node version: Node 20 names only the offset
 * ("at position 1234", useless in a long text), Node 22 and later add "(line 3 column 5)" of their
 * own. Node's suffix is dropped and the line and column are computed here, so an answer or a config
 * error does not change with the Node version that runs the server.
 *
 * For a value that starts with a character no JSON value starts with (`"logLevel": info`,
 * `'single quotes'`, `TRUE`, a YAML or `key=value` file), V8 names no offset at all: it quotes the
 * text around the character instead, newlines included, so a config error ran over several lines
 * and said nothing of where in the file the mistake was. That message is replaced by the token and
 * its offset, line and column, found by scanning the text.
 */
export function jsonSyntaxMessage(message: string, text: string): string {
  const bare = message.replace(/ \(line \d+ column \d+\)$/, '');
  const at = /at position (\d+)$/.exec(bare);
  if (at) return `${bare} (line ${lineColumn(text, Number(at[1]))})`;
  const token = /^Unexpected token '([\s\S]+?)', [\s\S]* is not valid JSON$/.exec(bare);
  const offset = token ? firstErrorOffset(text) : null;
  if (token && offset !== null) return `Unexpected token '${token[1]}' in JSON at position ${offset} (line ${lineColumn(text, offset)})`;
  return bare.replace(/\r?\n/g, '\\n');
}

function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  return `${before.split('\n').length}, column ${before.length - before.lastIndexOf('\n')}`;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
// A string: no raw control characters (JSON wants them escaped), and only JSON's escapes.
// eslint-disable-next-line no-control-regex
const STRING = /"(?:[^"\\\u0000-\u001f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"/y;
const LITERAL = /true|false|null/y;
const SPACE = /[ \t\n\r]*/y;

/**
 * The offset of the first character at which `text` stops being JSON (RFC 8259), or null when it
 * is JSON or ends before the mistake. Iterative, so a deeply nested text cannot exhaust the stack.
 */
export function firstErrorOffset(text: string): number | null {
  let i = 0;
  const open: string[] = [];
  const match = (re: RegExp): boolean => {
    re.lastIndex = i;
    if (!re.test(text)) return false;
    i = re.lastIndex;
    return true;
  };
  const skip = () => match(SPACE);
  const key = (): boolean => {
    skip();
    if (!match(STRING)) return false;
    skip();
    if (text[i] !== ':') return false;
    i++;
    return true;
  };
  const errorAt = (): number | null => (i < text.length ? i : null);
  for (;;) {
    skip();
    const c = text[i];
    if (c === '{' || c === '[') {
      i++;
      skip();
      if (text[i] !== (c === '{' ? '}' : ']')) {
        open.push(c);
        if (c === '{' && !key()) return errorAt();
        continue;
      }
      i++;
    } else if (!match(STRING) && !match(NUMBER) && !match(LITERAL)) {
      // `nope`, `tru`: the mistake is where the text leaves the literal it began, as V8 names it.
      const literal = ['true', 'false', 'null'].find((w) => w[0] === c) ?? '';
      for (let k = 0; k < literal.length && text[i] === literal[k]; k++) i++;
      return errorAt();
    }
    // After a value: close what it ends, or go on after a comma.
    for (;;) {
      skip();
      const top = open[open.length - 1];
      if (top === undefined) return errorAt();
      if (text[i] === ',') {
        i++;
        if (top === '{' && !key()) return errorAt();
        break;
      }
      if (text[i] !== (top === '{' ? '}' : ']')) return errorAt();
      i++;
      open.pop();
    }
  }
}

/**
 * `JSON.parse`'s message, worded the same on every Node version: Node 20 names only the offset
 * ("at position 1234", useless in a long text), Node 22 and later add "(line 3 column 5)" of their
 * own. Node's suffix is dropped and the line and column are computed here, so an answer or a config
 * error does not change with the Node version that runs the server.
 */
export function jsonSyntaxMessage(message: string, text: string): string {
  const bare = message.replace(/ \(line \d+ column \d+\)$/, '');
  const at = /at position (\d+)$/.exec(bare);
  if (!at) return bare;
  const before = text.slice(0, Number(at[1]));
  const line = before.split('\n').length;
  return `${bare} (line ${line}, column ${before.length - before.lastIndexOf('\n')})`;
}

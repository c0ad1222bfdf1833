/**
 * Header fields that must come once. Node keeps the first line of a repeated Host or Authorization
 * and drops the others without a word, so a request that names two hosts or two sets of
 * credentials would be served as whichever line came first, while a proxy in front may have
 * read the last.
 */

/** Whether the header field `name` (lower case) came on more than one line of `rawHeaders`. */
export function givenMoreThanOnce(rawHeaders: readonly string[], name: string): boolean {
  let seen = false;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const field = rawHeaders[i]!;
    if (field.length !== name.length || field.toLowerCase() !== name) continue;
    if (seen) return true;
    seen = true;
  }
  return false;
}

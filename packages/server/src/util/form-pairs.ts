/**
 * Whether `text` (a form body, or a URL's query from `from` on) holds more than `limit`
 * `&`-separated pairs, counted by the separators without decoding anything: the bound the form
 * parser and the node servers' query check apply before the costlier parse.
 */
export function formPairsExceed(text: string, limit: number, from = 0): boolean {
  let count = 1;
  for (let i = text.indexOf('&', from); i !== -1; i = text.indexOf('&', i + 1)) if (++count > limit) return true;
  return false;
}

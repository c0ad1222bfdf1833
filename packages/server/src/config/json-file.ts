/**
 * Reading the JSON config file strictly: `JSON.parse` keeps the last of two equal keys without a
 * word, so a setting written twice (an edit that added a key instead of changing it) would silently
 * lose one value. The file is scanned for such a key after it parsed.
 */
import { firstErrorOffset } from '../util/json-syntax-error.js';

/**
 * The first key that appears twice in one object of `text`, as a dotted path (`simulator.delayMs`),
 * or null. `text` must be valid JSON (call after `JSON.parse` succeeded).
 */
export function duplicateKey(text: string): string | null {
  // One entry per open object or array: the keys seen so far (null for an array) and its path.
  const stack: Array<{ keys: Set<string> | null; path: string; index: number }> = [];
  let lastKey: string | null = null;
  let i = 0;
  const child = (parent: string, name: string) => (parent ? `${parent}.${name}` : name);
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const str = JSON.parse(text.slice(i, j + 1)) as string;
      i = j + 1;
      while (i < text.length && /\s/.test(text[i]!)) i++;
      const top = stack[stack.length - 1];
      if (text[i] === ':' && top?.keys) {
        if (top.keys.has(str)) return child(top.path, str);
        top.keys.add(str);
        lastKey = str;
      }
      continue;
    }
    if (c === '{' || c === '[') {
      const top = stack[stack.length - 1];
      const name = top?.keys ? (lastKey ?? '') : top ? String(top.index) : '';
      const path = top ? child(top.path, name) : '';
      stack.push({ keys: c === '{' ? new Set() : null, path, index: 0 });
      lastKey = null;
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      const top = stack[stack.length - 1];
      if (top && !top.keys) top.index++;
    }
    i++;
  }
  return null;
}

/** What to say when a config file is not JSON: JSON is the one format read. */
export function notJsonHint(path: string): string {
  if (/\.ya?ml$/i.test(path)) return ' (config files are JSON; YAML is not read: write the same keys as JSON)';
  if (/\.(toml|ini|env|conf)$/i.test(path)) return ' (config files are JSON; write the same keys as JSON)';
  return '';
}

/**
 * What to change at a syntax error a hand-written file often has, which JSON.parse names only as an
 * unexpected character: a comma after the last entry, a comment, single quotes. Empty otherwise.
 */
export function jsonMistakeHint(text: string): string {
  const at = firstErrorOffset(text);
  if (at === null) return '';
  const c = text[at];
  if ((c === '}' || c === ']') && /,\s*$/.test(text.slice(0, at))) return '; JSON allows no comma after the last entry: remove it';
  if (c === '/' && (text[at + 1] === '/' || text[at + 1] === '*')) return '; JSON has no comments: remove them';
  if (c === "'") return '; JSON takes double quotes around keys and strings';
  return '';
}
